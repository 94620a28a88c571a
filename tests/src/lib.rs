//! Support for the cross-crate tests: the fixtures, the generator run into a temp
//! dir, and the real oracles (CAP's compiler and server through Node, the OASIS CSDL
//! validator through Python, SQLite) with their outputs summarized for comparison.
//!
//! The oracles are installed by `scripts/test`; run through cargo alone, these tests
//! fail with a hint to run it rather than pass without checking anything.
#![deny(missing_docs)]

pub mod csdl;
pub mod ddl;
pub mod differential;
pub mod oracle;
pub mod postgres;
pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cai_bridge_build::emit::{self, templates::Templates};
use cai_bridge_build::{Inputs, Model};

/// A JSON value with every `null` member removed: for optional fields, absent and
/// `null` say the same, so round trips compare without them.
pub fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// Every conversation in the shipped CAI samples (JSON responses and NDJSON), as
/// JSON values, in file order.
pub fn cai_samples() -> Vec<serde_json::Value> {
    let dir = repo().join("specs/cai-logs-v2/samples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("samples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        if file.extension().is_some_and(|e| e == "ndjson") {
            records.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("NDJSON line")),
            );
        } else {
            let response: serde_json::Value = serde_json::from_str(&text).expect("JSON sample");
            records.extend(
                response["results"]["conversations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    records
}

/// The rows of one entity's table.
pub fn row_count(db: &rusqlite::Connection, model: &Model, entity: &str) -> i64 {
    db.query_row(
        &format!("SELECT count(*) FROM {}", model.table(entity)),
        [],
        |r| r.get(0),
    )
    .expect("count")
}

/// The rows of every entity's table, in model order.
pub fn row_counts(db: &rusqlite::Connection, model: &Model) -> Vec<(String, i64)> {
    model
        .entities
        .iter()
        .map(|e| (e.name.clone(), row_count(db, model, &e.name)))
        .collect()
}

/// A two-thread async runtime, as the bridge CLI builds one, for the servers and
/// clients a test runs.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repo")
        .to_path_buf()
}

/// A fixture: the inputs of one generator run.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// Short name for messages.
    pub name: &'static str,
    /// The generator inputs.
    pub inputs: Inputs,
    /// Where its committed outputs live (the golden copy).
    pub golden: PathBuf,
}

/// The CAI Logs v2 spec and samples that ship, with `generated-example` as golden.
pub fn cai() -> Fixture {
    let root = repo();
    Fixture {
        name: "cai-logs-v2",
        inputs: Inputs {
            spec: Some(root.join("specs/cai-logs-v2/openapi.yaml")),
            samples: vec![root.join("specs/cai-logs-v2/samples")],
            config: None,
        },
        golden: root.join("generated-example"),
    }
}

/// The spec full of hostile names, with `tests/golden-hostile` as golden.
pub fn hostile() -> Fixture {
    let root = repo();
    let dir = root.join("tests/fixtures/hostile");
    Fixture {
        name: "hostile",
        inputs: Inputs {
            spec: Some(dir.join("openapi.yaml")),
            samples: vec![dir.join("samples")],
            config: Some(dir.join("bridge.toml")),
        },
        golden: root.join("tests/golden-hostile"),
    }
}

/// PagerDuty's incident list (`since`/`until`, an API key in `Authorization`), with
/// `tests/golden-pagerduty` as golden: a time-windowed API that is not CAI.
pub fn pagerduty() -> Fixture {
    let root = repo();
    let dir = root.join("specs/pagerduty-incidents");
    Fixture {
        name: "pagerduty-incidents",
        inputs: Inputs {
            spec: Some(dir.join("openapi.yaml")),
            samples: vec![dir.join("samples")],
            config: Some(dir.join("bridge.toml")),
        },
        golden: root.join("tests/golden-pagerduty"),
    }
}

/// Every fixture.
pub fn fixtures() -> Vec<Fixture> {
    vec![cai(), hostile(), pagerduty()]
}

/// A generator run's outputs, written to a temp dir.
pub struct Generated {
    /// The model.
    pub model: Model,
    /// Relative path → content.
    pub files: BTreeMap<String, String>,
    /// The temp dir holding the files (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Generated {
    /// The absolute path of an output.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }
}

/// Runs the generator on a fixture into a fresh temp dir.
pub fn generate(fixture: &Fixture) -> Generated {
    let loaded = fixture
        .inputs
        .load()
        .unwrap_or_else(|e| panic!("{}: generation failed:\n{e}", fixture.name));
    let templates = Templates::none();
    let files = emit::all(&loaded.model, &templates).expect("emits");
    let dir = tempfile::tempdir().expect("temp dir");
    cai_bridge_build::output::write(dir.path(), &files).expect("writes");
    Generated {
        model: loaded.model,
        files,
        dir,
    }
}
