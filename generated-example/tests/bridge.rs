//! The bridge's own tests, as `cai-bridge new` writes them: its committed model, DDL
//! and `$metadata` belong together, and the samples it was generated from load into a
//! fresh database through the bridge's own `load`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_committed_artifacts_belong_together() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    for entity in &model.entities {
        let table = model.table(&entity.name);
        assert!(
            artifacts.ddl.contains(&format!("CREATE TABLE {table} (")),
            "db/schema.sql has no table {table}"
        );
        assert!(
            artifacts
                .metadata
                .contains(&format!("<EntityType Name=\"{}\">", entity.name)),
            "odata/metadata.xml has no entity type {}",
            entity.name
        );
    }
}

#[test]
fn the_samples_load_through_the_bridge() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/samples");
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("spec/samples")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    samples.sort();
    assert!(!samples.is_empty(), "no samples in {}", dir.display());
    let file = format!("cai-logs-bridge-samples-{}.db", std::process::id());
    let db = std::env::temp_dir().join(file);
    let out = Command::new(env!("CARGO_BIN_EXE_cai-logs-bridge"))
        .args(["load", "--db"])
        .arg(&db)
        .args(&samples)
        .output()
        .expect("the bridge runs");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    assert!(
        out.status.success(),
        "load refused the samples:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
