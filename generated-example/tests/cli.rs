//! The bridge binary as users run it: exit codes, purge, and settings that are
//! missing or wrong.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::net::SocketAddr;
use std::process::Command;

use cai_bridge_mock::{MockConfig, MockServer};
use common::sync_from;

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
    // Piped to a file (as a pod's log is), log lines carry no colour codes.
    assert!(all.contains("TRACE") || all.contains("DEBUG"), "{all}");
    assert!(!all.contains('\x1b'), "{all}");
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

fn tables(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("db");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name")
        .expect("query");
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .collect::<Result<Vec<_>, _>>()
        .expect("names");
    names
}

#[test]
fn a_file_with_tables_the_model_did_not_create_is_refused_unless_adopted() {
    let rt = runtime();
    let mut config = MockConfig::new(10);
    config.days = 2;
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let dir = tempfile::tempdir().expect("dir");
    // An unrelated file, and the database of another model in the same namespace.
    let unrelated = dir.path().join("unrelated.db");
    let other = dir.path().join("other-model.db");
    rusqlite::Connection::open(&unrelated)
        .expect("db")
        .execute_batch("CREATE TABLE foo (x INTEGER);")
        .expect("foo");
    rusqlite::Connection::open(&other)
        .expect("db")
        .execute_batch(
            "CREATE TABLE cai_logs_Tickets (id TEXT PRIMARY KEY);
             CREATE VIEW CatalogService_Tickets AS SELECT id FROM cai_logs_Tickets;",
        )
        .expect("another model");
    for (db, named) in [
        (&unrelated, &["foo"][..]),
        (&other, &["CatalogService_Tickets", "cai_logs_Tickets"][..]),
    ] {
        let before = tables(db);
        let out = sync_from(&server, &config, db).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for name in named {
            assert!(stderr.contains(name), "{stderr}");
        }
        assert!(stderr.contains("--adopt"), "{stderr}");
        assert_eq!(tables(db), before, "nothing was added");
    }
    let out = sync_from(&server, &config, &unrelated)
        .arg("--adopt")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = tables(&unrelated);
    assert!(
        after.iter().any(|t| t == "foo") && after.iter().any(|t| t == "cai_logs_Conversations")
    );
    // Our own database, state table included, is never foreign.
    let ours = dir.path().join("ours.db");
    for _ in 0..2 {
        let out = sync_from(&server, &config, &ours).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    rt.block_on(server.shutdown());
}

#[test]
fn tokens_that_keep_expiring_exit_1_saying_so_and_refused_ones_exit_4() {
    let rt = runtime();
    let mut config = MockConfig::new(10);
    config.days = 2;
    config.faults = vec!["token-expiry:1.0".parse().expect("fault")];
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let dir = tempfile::tempdir().expect("dir");
    let out = sync_from(&server, &config, &dir.path().join("x.db"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("5 fresh tokens in a row had expired")
            && stderr.contains("tokens keep expiring"),
        "{stderr}"
    );
    assert!(!stderr.contains("CAI_DEVELOPER_TOKEN"), "{stderr}");
    rt.block_on(server.shutdown());

    // A developer token the API refuses is a refusal of the credentials.
    let mut config = MockConfig::new(10);
    config.days = 2;
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let out = sync_from(&server, &config, &dir.path().join("y.db"))
        .env("CAI_DEVELOPER_TOKEN", "not-the-developer-token")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("CAI_DEVELOPER_TOKEN"), "{stderr}");
    rt.block_on(server.shutdown());
}

#[cfg(unix)]
#[test]
fn a_file_size_limit_is_a_disk_error_naming_the_database_and_nothing_is_half_written() {
    let rt = runtime();
    let mut config = MockConfig::new(400);
    config.days = 20;
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let dir = tempfile::tempdir().expect("dir");
    let clean = dir.path().join("clean.db");
    let out = sync_from(&server, &config, &clean).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model = &cai_logs_bridge::artifacts().model;
    let hash = |db: &std::path::Path| {
        let conn = rusqlite::Connection::open(db).expect("db");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("check");
        assert_eq!(check, "ok");
        cai_bridge::load::content_hash(&conn, model).expect("hash")
    };
    let expected = hash(&clean);
    let clean_size = std::fs::metadata(&clean).expect("size").len()
        + std::fs::metadata(clean.with_extension("db-wal")).map_or(0, |m| m.len());

    // 2048 blocks: 1 MiB where a block is 512 bytes (dash), 2 MiB where it is 1024.
    let limited = dir.path().join("limited.db");
    let sync = sync_from(&server, &config, &limited);
    let mut command = Command::new("sh");
    command
        .args(["-c", "ulimit -f 2048 && exec \"$0\" \"$@\""])
        .arg(sync.get_program())
        .args(sync.get_args());
    for (name, value) in sync.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let out = command.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(clean_size > 2 * 1024 * 1024, "the data outgrows the limit");
    assert_eq!(out.status.code(), Some(3), "{:?}: {stderr}", out.status);
    assert!(
        stderr.contains(&limited.display().to_string()) && stderr.contains("file-size limit"),
        "{stderr}"
    );
    // Whole windows only: a rerun without the limit ends with the clean content.
    hash(&limited);
    let out = sync_from(&server, &config, &limited)
        .output()
        .expect("reruns");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(hash(&limited), expected);
    rt.block_on(server.shutdown());
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
