//! The bridge binary as users run it: exit codes, purge, and settings that are
//! missing or wrong.

use std::net::SocketAddr;
use std::process::Command;

use cai_bridge_mock::{MockConfig, MockServer};

fn bridge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cai-logs-bridge"));
    for name in [
        "CAI_BASE_URL",
        "CAI_TOKEN_URL",
        "CAI_CLIENT_ID",
        "CAI_CLIENT_SECRET",
        "CAI_DEVELOPER_TOKEN",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn missing_settings_exit_2_naming_the_variable() {
    let dir = tempfile::tempdir().expect("dir");
    let out = bridge()
        .args(["sync", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CAI_BASE_URL") && stderr.contains("hint"),
        "{stderr}"
    );
}

#[test]
fn refused_credentials_exit_4_and_the_secret_stays_out_of_the_output() {
    let rt = runtime();
    let config = MockConfig::new(10);
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let dir = tempfile::tempdir().expect("dir");
    let out = bridge()
        .args(["sync", "--quiet", "--db"])
        .arg(dir.path().join("x.db"))
        .env("CAI_BASE_URL", server.base_url())
        .env("CAI_TOKEN_URL", server.token_url())
        .env("CAI_CLIENT_ID", &config.client_id)
        .env("CAI_CLIENT_SECRET", "wrong-secret-value-123")
        .env("CAI_DEVELOPER_TOKEN", config.developer_token.expose())
        .env("RUST_LOG", "trace")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("wrong-secret-value-123"));
    assert!(!all.contains(config.developer_token.expose()));
    rt.block_on(server.shutdown());
}

#[test]
fn purge_erases_a_conversation_and_every_row_of_it() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let status = bridge()
        .args(["demo", "--quiet", "--once", "--addr", "127.0.0.1:0"])
        .args(["--conversations", "40", "--db"])
        .arg(&db)
        .status()
        .expect("demo runs");
    assert!(status.success());
    let conn = rusqlite::Connection::open(&db).expect("db");
    let (id, messages): (String, i64) = conn
        .query_row(
            "SELECT conversation_id, count(*) FROM cai_logs_Messages GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a conversation with messages");
    assert!(messages > 0);
    let out = bridge()
        .args(["purge", "--db"])
        .arg(&db)
        .args(["--conversation", &id])
        .output()
        .expect("purge runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let refers = |sql: &str| -> i64 { conn.query_row(sql, [&id], |r| r.get(0)).expect("count") };
    assert_eq!(
        refers("SELECT count(*) FROM cai_logs_Conversations WHERE id = ?1"),
        0
    );
    assert_eq!(
        refers("SELECT count(*) FROM cai_logs_Messages WHERE conversation_id = ?1"),
        0
    );
    for table in ["cai_logs_Intents", "cai_logs_Entities", "cai_logs_Replies"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE message_conversation_id = ?1");
        assert_eq!(refers(&sql), 0, "{table}");
    }
    assert_eq!(
        refers("SELECT count(*) FROM cai_logs_MessageFacts WHERE conversation_id = ?1"),
        0
    );
    let left: i64 = conn
        .query_row("SELECT count(*) FROM cai_logs_Conversations", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(left, 39);
}

#[test]
fn sync_help_lists_the_models_variables_and_load_names_a_bad_line() {
    let out = bridge().args(["sync", "--help"]).output().expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for name in [
        "CAI_BASE_URL",
        "CAI_TOKEN_URL",
        "CAI_CLIENT_ID",
        "CAI_CLIENT_SECRET_FILE",
        "CAI_DEVELOPER_TOKEN",
        "X-Token",
    ] {
        assert!(help.contains(name), "{name} missing from:\n{help}");
    }
    let dir = tempfile::tempdir().expect("dir");
    let good = dir.path().join("good.ndjson");
    let samples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../specs/cai-logs-v2/samples/2021-04-12.ndjson"
    );
    let text = std::fs::read_to_string(samples).expect("sample");
    let record = text.lines().next().expect("a record");
    std::fs::write(&good, format!("{record}\n")).expect("write");
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, format!("{record}\n{{\"id\": \n")).expect("write");
    let db = dir.path().join("load.db");
    let out = bridge()
        .args(["load", "--db"])
        .arg(&db)
        .arg(&good)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let out = bridge()
        .args(["load", "--db"])
        .arg(&db)
        .arg(&bad)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.ndjson:"), "{stderr}");
}
