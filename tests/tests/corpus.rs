//! Real public specs (`tests/corpus/`, sources and licences in its README), each with
//! the bridge.toml it needs, through the whole generator: every artifact is proven
//! by the tool that will read it. The Rust of all of them compiles in one throwaway
//! crate with warnings denied, each DDL runs in SQLite, CAP compiles each CDS without
//! a message, and each CSDL passes the OASIS validator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cai_bridge_build::emit::{self, paths, templates::Templates};
use cai_bridge_build::{Inputs, Model};
use cai_bridge_tests::{check_rust, oracle, repo};

/// One corpus spec's generator run.
struct Spec {
    /// Its folder's name under `tests/corpus/`.
    name: String,
    model: Model,
    /// Relative path → content, as `cai-bridge generate` writes them.
    files: BTreeMap<String, String>,
}

fn corpus_dir() -> PathBuf {
    repo().join("tests/corpus")
}

/// Every corpus spec, generated once for all the tests of this binary.
fn corpus() -> &'static [Spec] {
    static CORPUS: OnceLock<Vec<Spec>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
            .expect("tests/corpus")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs.iter().map(|dir| generate(dir)).collect()
    })
}

fn generate(dir: &Path) -> Spec {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 folder name")
        .to_owned();
    let spec = ["openapi.yaml", "openapi.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name}: no openapi.yaml or openapi.json"));
    let config = dir.join("bridge.toml");
    let loaded = Inputs {
        spec: Some(spec),
        samples: Vec::new(),
        config: config.exists().then_some(config),
    }
    .load()
    .unwrap_or_else(|e| panic!("{name}: the generator refuses it:\n{e}"));
    let files = emit::all(&loaded.model, &Templates::none())
        .unwrap_or_else(|e| panic!("{name}: emitting fails: {e}"));
    Spec {
        name,
        model: loaded.model,
        files,
    }
}

/// Writes a spec's outputs under `dir/<name>` and returns that folder.
fn write(spec: &Spec, dir: &Path) -> PathBuf {
    let out = dir.join(&spec.name);
    cai_bridge_build::output::write(&out, &spec.files).expect("writes the outputs");
    out
}

#[test]
fn the_corpus_holds_at_least_ten_specs_and_the_readme_names_each() {
    let readme = std::fs::read_to_string(corpus_dir().join("README.md")).expect("README.md");
    let specs = corpus();
    assert!(specs.len() >= 10, "only {} corpus specs", specs.len());
    for spec in specs {
        assert!(
            readme.contains(&format!("`{}/`", spec.name)),
            "tests/corpus/README.md says nothing of {}",
            spec.name
        );
        assert!(
            !spec.model.entities.is_empty(),
            "{}: no entities",
            spec.name
        );
    }
}

#[test]
fn every_ddl_runs_in_sqlite() {
    for spec in corpus() {
        let db = rusqlite::Connection::open_in_memory().expect("SQLite");
        db.execute_batch(&spec.files[paths::SQL])
            .unwrap_or_else(|e| panic!("{}: SQLite refuses the DDL: {e}", spec.name));
        for entity in &spec.model.entities {
            let view = spec.model.view(&entity.name);
            db.prepare(&format!("SELECT * FROM \"{view}\""))
                .unwrap_or_else(|e| panic!("{}: {view} cannot be read: {e}", spec.name));
        }
    }
}

#[test]
fn cap_compiles_every_cds_without_a_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    for spec in corpus() {
        let out = write(spec, dir.path());
        let cap = oracle::cap_compile(&out.join("cap"));
        assert!(
            cap.messages.is_empty(),
            "{}: CAP reports {:#?}",
            spec.name,
            cap.messages
        );
        assert_eq!(cap.path, spec.model.service.path, "{}", spec.name);
    }
}

#[test]
fn every_csdl_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    for spec in corpus() {
        let out = write(spec, dir.path());
        oracle::validate_edmx(&out.join(paths::CSDL))
            .unwrap_or_else(|report| panic!("{}: invalid CSDL:\n{report}", spec.name));
    }
}

/// One crate holding every spec's `model.rs` as a module, checked once with warnings
/// denied: a compile per spec would cost minutes each on the shared target dir.
#[test]
fn every_rust_model_compiles_with_warnings_denied() {
    let dir = tempfile::tempdir().expect("temp dir");
    let modules: Vec<(String, PathBuf)> = corpus()
        .iter()
        .map(|spec| (spec.name.clone(), write(spec, dir.path()).join(paths::RUST)))
        .collect();
    check_rust(&modules).unwrap_or_else(|log| {
        panic!("the corpus's generated Rust does not compile with warnings denied:\n{log}")
    });
}
