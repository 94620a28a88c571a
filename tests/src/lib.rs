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
pub mod postgres_tls;
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

/// A JSON value with every integral float written as an integer (`4711.0` as `4711`):
/// JSON has one number type, and a struct's `f64` field writes back `4711` as
/// `4711.0`; other numbers are left exactly as they are.
pub fn json_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => match n.as_f64() {
            // Only where the float is exactly an integer an f64 represents.
            Some(x) if n.is_f64() && x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 => {
                Value::from(x as i64)
            }
            _ => Value::Number(n),
        },
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, json_numbers(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(json_numbers).collect()),
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

/// A sample conversation whose first message has two intents or more: what a test
/// of a re-sent parent changes.
pub fn cai_sample_with_intents() -> serde_json::Value {
    cai_samples()
        .into_iter()
        .find(|c| {
            c["messages"][0]["intents"]
                .as_array()
                .is_some_and(|i| i.len() >= 2)
        })
        .expect("a message with two intents")
}

/// Inputs of a one-operation spec in `dir`: `GET path` answers an array of `item`
/// (a JSON Schema), with a bridge.toml of `records = ""` and `config` after it.
pub fn array_spec(dir: &Path, path: &str, item: serde_json::Value, config: &str) -> Inputs {
    let spec = dir.join("openapi.json");
    let document = serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {path: {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"type": "array", "items": item}}}
        }}}}}
    });
    std::fs::write(&spec, document.to_string()).expect("spec");
    let file = dir.join("bridge.toml");
    std::fs::write(&file, format!("records = \"\"\n{config}")).expect("config");
    Inputs {
        spec: Some(spec),
        config: Some(file),
        ..Inputs::default()
    }
}

/// Asserts that a derive's model writes the same DDL, CDS and CSDL as the
/// generator's (but for the `@generated` header lines), so the front ends agree.
pub fn assert_same_artifacts(derived: &Model, generated: &Model) {
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.contains("@generated"))
            .map(str::to_owned)
            .collect()
    };
    let (ours, theirs) = (
        cai_bridge::bridge::artifacts(derived),
        cai_bridge::bridge::artifacts(generated),
    );
    for (path, text) in &ours {
        assert_eq!(body(text), body(&theirs[path]), "{path}");
    }
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

/// The running test's target dir (`CARGO_TARGET_DIR`, else the one its binary is
/// in), so a crate a test builds reuses every compiled dependency.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test binary");
    // <target>/debug/deps/<test>-<hash>
    exe.ancestors()
        .nth(3)
        .expect("inside a target dir")
        .to_path_buf()
}

/// Checks generated `model.rs` files as modules of one throwaway crate on the
/// runtime, with `#![deny(warnings, missing_docs)]`, in the shared target dir (so
/// every dependency is compiled already): `modules` are (name, file). `Err` holds
/// cargo's log.
pub fn check_rust(modules: &[(String, PathBuf)]) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = repo();
    let manifest = format!(
        "[package]\nname = \"cai-bridge-generated-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ncai-bridge = {{ path = {:?}, default-features = false }}\n\n[workspace]\n",
        root.join("runtime")
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("Cargo.toml");
    // The workspace's lock: the same versions, so nothing is resolved or fetched anew.
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("lock");
    let mut lib = String::from("//! Generated Rust, checked.\n#![deny(warnings, missing_docs)]\n");
    for (name, file) in modules {
        lib.push_str(&format!(
            "/// `{name}`.\npub mod {module} {{\n    include!({file:?});\n}}\n",
            module = name.replace('-', "_"),
        ));
    }
    std::fs::create_dir_all(dir.path().join("src")).expect("src");
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("lib.rs");
    let output =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .env("CARGO_TARGET_DIR", target_dir())
            .arg("check")
            .arg("--manifest-path")
            .arg(dir.path().join("Cargo.toml"))
            .arg("--offline")
            .output()
            .expect("cargo runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
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
