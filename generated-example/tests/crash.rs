//! The sync process killed with SIGKILL at several random moments: every rerun ends
//! with the fault-free content hash, no duplicate rows, and an intact database.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cai_bridge::load::content_hash;
use cai_bridge_mock::{Fault, MockConfig, MockServer};

fn sync_command(server: &MockServer, config: &MockConfig, db: &Path) -> Command {
    let mut command = common::sync_from(server, config, db);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

fn hash(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("db");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    content_hash(&conn, &cai_logs_bridge::artifacts().model).expect("hash")
}

#[test]
fn killed_syncs_resume_to_the_fault_free_content() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = MockConfig::new(400);
    config.days = 20;
    config.retry_after = 0;
    // Some server errors stretch the run, so the kills land in the middle of it.
    config.faults = vec!["server-error:0.3".parse::<Fault>().expect("fault")];
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let dir = tempfile::tempdir().expect("dir");

    let clean = dir.path().join("clean.db");
    let status = sync_command(&server, &config, &clean)
        .status()
        .expect("runs");
    assert!(status.success(), "fault-free sync failed: {status}");
    let expected = hash(&clean);

    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let db = dir.path().join("killed.db");
    for round in 0..5 {
        let mut child = sync_command(&server, &config, &db).spawn().expect("spawns");
        std::thread::sleep(Duration::from_millis(rng.u64(20..400)));
        // SIGKILL: no destructor, no rollback, the process just stops.
        let _ = child.kill();
        let _ = child.wait();
        let status = sync_command(&server, &config, &db)
            .status()
            .expect("reruns");
        assert!(
            status.success(),
            "round {round} (seed {seed}): rerun failed: {status}"
        );
        assert_eq!(
            hash(&db),
            expected,
            "round {round} (seed {seed}): content differs"
        );
    }
    let conn = rusqlite::Connection::open(&db).expect("db");
    let duplicates: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT id FROM cai_logs_Conversations GROUP BY id HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(duplicates, 0);
    rt.block_on(server.shutdown());
}
