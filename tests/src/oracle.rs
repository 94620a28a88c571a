//! The external tools, run for real: CAP's compiler and server (Node) and the OASIS
//! CSDL validator (Python), located through the variables `scripts/test` exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cai_bridge::model::dialect::Dialect;
use serde_json::Value;

use crate::repo;

/// What CAP's compiler made of a CAP project.
#[derive(Debug)]
pub struct CapCompiled {
    /// `cds.compile.to.sql(…, {dialect})` for every dialect, one statement per item.
    pub sql: BTreeMap<Dialect, Vec<String>>,
    /// The words the compiler quotes as names, per dialect.
    pub keywords: BTreeMap<Dialect, Vec<String>>,
    /// `cds.compile.to.edmx` of the service.
    pub edmx: String,
    /// Every message (errors, warnings, infos) the compiler gave.
    pub messages: Vec<Value>,
    /// The service's OData path as CAP computes it.
    pub path: String,
}

fn cap_dir() -> PathBuf {
    std::env::var_os("CAP_DIR").map_or_else(|| repo().join("tests/cap"), PathBuf::from)
}

fn require_setup(what: &str, present: bool) {
    assert!(
        present,
        "{what} is not installed: run scripts/test (or scripts/test --setup-only, then \
         export the variables it prints) before cargo test"
    );
}

/// Compiles the CAP project in `dir` (with `db/` and `srv/`) with the real @sap/cds.
pub fn cap_compile(dir: &Path) -> CapCompiled {
    let cap = cap_dir();
    require_setup(
        "the CAP toolchain (tests/cap/node_modules)",
        cap.join("node_modules/@sap/cds").exists(),
    );
    let output = Command::new(std::env::var("CAP_NODE").unwrap_or_else(|_| "node".into()))
        .arg(cap.join("compile.js"))
        .arg(dir)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "CAP could not compile {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).expect("compile.js prints JSON");
    CapCompiled {
        sql: per_dialect(&out["sql"], "DDL"),
        keywords: per_dialect(&out["keywords"], "keywords"),
        edmx: out["edmx"].as_str().expect("edmx").to_owned(),
        messages: out["messages"].as_array().cloned().unwrap_or_default(),
        path: out["path"].as_str().unwrap_or_default().to_owned(),
    }
}

/// `{ "<dialect>": [ "text", … ] }` for every dialect.
fn per_dialect(value: &Value, what: &str) -> BTreeMap<Dialect, Vec<String>> {
    Dialect::ALL
        .into_iter()
        .map(|dialect| {
            let texts = value[dialect.name()]
                .as_array()
                .unwrap_or_else(|| panic!("compile.js prints no {} {what}", dialect.name()))
                .iter()
                .map(|s| s.as_str().expect("a string").to_owned())
                .collect();
            (dialect, texts)
        })
        .collect()
}

/// Serves the CAP project in `dir` on `db` (a SQLite file, or a `postgres://` URL)
/// with the real @sap/cds and reads `sets`.
pub fn cap_serve(dir: &Path, db: impl AsRef<std::ffi::OsStr>, sets: &[String]) -> Value {
    let db = db.as_ref();
    let cap = cap_dir();
    require_setup(
        "the CAP toolchain (tests/cap/node_modules)",
        cap.join("node_modules/@cap-js/sqlite").exists(),
    );
    let output = Command::new(std::env::var("CAP_NODE").unwrap_or_else(|_| "node".into()))
        .arg(cap.join("serve-check.js"))
        .arg(dir)
        .arg(db)
        .args(sets)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "CAP could not serve {}:\n{}",
        db.to_string_lossy(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("serve-check.js prints JSON")
}

/// The validators: `shared/validators` and the Python venv that runs them (with
/// checkov). Panics with a hint when either is missing.
pub fn validators() -> (PathBuf, PathBuf) {
    let dir = std::env::var_os("VALIDATORS_DIR")
        .map(PathBuf::from)
        .or_else(|| Some(repo().join("../shared/validators")).filter(|d| d.exists()))
        .or_else(|| Some(PathBuf::from("/work/shared/validators")).filter(|d| d.exists()));
    require_setup("shared/validators", dir.is_some());
    let python = std::env::var_os("VALIDATORS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    require_setup("the validators' Python venv (.venv)", python.exists());
    (dir.expect("checked"), python)
}

/// Panics with a hint unless kubectl (with its built-in kustomize) is on PATH.
pub fn require_kubectl() {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "kubectl is not on PATH: install it (any release with kustomize v5, e.g. 1.27+); \
         the tests render k8s/ with `kubectl kustomize`, offline"
    );
}

/// Runs `shared/validators/validate-edmx` on a file; `Err` holds its report.
pub fn validate_edmx(file: &Path) -> Result<(), String> {
    let (dir, python) = validators();
    let output = Command::new(python)
        .arg(dir.join("validate-edmx"))
        .arg(file)
        .output()
        .expect("python runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
