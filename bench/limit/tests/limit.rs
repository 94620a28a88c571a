//! `bench-limit` copies every row of the bridge's tables, values and all, and refuses
//! bad arguments with exit code 2 before writing anything. (Its speed is measured by
//! bench/run, never here.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated-example/db/schema.sql")
}

fn limit(args: &[&Path]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bench-limit"));
    for (flag, value) in ["--source", "--schema", "--out"].iter().zip(args) {
        cmd.arg(flag).arg(value);
    }
    cmd.output().expect("bench-limit runs")
}

/// Every row of every table of `db`, in key order, as text.
fn dump(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut rows = Vec::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2, 3"))
            .unwrap();
        let width = stmt.column_count();
        let found = stmt
            .query_map([], |r| {
                let values = (0..width)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(format!("{table}: {}", values.join(", ")))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.extend(found);
    }
    rows
}

fn source(dir: &Path) -> PathBuf {
    let path = dir.join("source.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(&std::fs::read_to_string(schema()).unwrap())
        .unwrap();
    conn.execute_batch(
        "INSERT INTO cai_logs_Conversations VALUES ('c1', '2026-01-01T00:00:00.000Z', NULL, 'webchat');
         INSERT INTO cai_logs_Conversations VALUES ('c2', '2026-01-02T00:00:00.000Z', 'ch', NULL);
         INSERT INTO cai_logs_Messages (conversation_id, message_id, received_at, nlp_status, replies)
           VALUES ('c1', 'm1', '2026-01-01T00:00:01.000Z', 200, '[{\"type\":\"text\"}]');
         INSERT INTO cai_logs_Intents VALUES ('c1', 'm1', 0, 'greet', 0.5, NULL);
         INSERT INTO cai_logs_Entities (message_conversation_id, message_message_id, \"key\", position, raw, confidence, scalar)
           VALUES ('c1', 'm1', 'number', 0, 'two', 1.0, 2.0);",
    )
    .unwrap();
    path
}

#[test]
fn copies_every_row_of_the_schemas_tables() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let out = dir.path().join("out.db");
    let run = limit(&[&source, &schema(), &out]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = String::from_utf8(run.stdout).unwrap();
    assert!(report.starts_with("{\"rows\":5,\"tables\":5,"), "{report}");
    assert_eq!(dump(&out), dump(&source));
}

#[test]
fn an_existing_out_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let source = source(dir.path());
    let out = dir.path().join("out.db");
    std::fs::write(&out, b"keep me").unwrap();
    let run = limit(&[&source, &schema(), &out]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("exists"));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
}

#[test]
fn missing_arguments_and_a_missing_source_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.db");
    let run = limit(&[&dir.path().join("nope.db"), &schema(), &out]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("nope.db"));
    assert!(!out.exists());
    let run = limit(&[&dir.path().join("nope.db")]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("usage"));
}
