//! A sync into PostgreSQL killed with SIGKILL at random moments: every rerun ends
//! with the fault-free content (the hash of a clean sync into SQLite), and no row
//! twice. The killed process's session dies with it: its open transaction rolls
//! back and its advisory lock goes, which the rerun may have to wait for.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use cai_bridge::database_url::Database;
use cai_bridge::load::{Foreign, Store};
use cai_bridge_mock::{Fault, MockConfig, MockServer};

/// `bridge sync` of the mock's whole range into `db`.
fn sync_command(server: &MockServer, config: &MockConfig, db: &str) -> Command {
    let to = config.start + chrono::Duration::days(i64::from(config.days));
    let mut command = Command::new(env!("CARGO_BIN_EXE_bridge"));
    command
        .args(["sync", "--quiet", "--db", db])
        .args([
            "--from",
            &cai_bridge::model::format::timestamp_text(config.start),
        ])
        .args(["--to", &cai_bridge::model::format::timestamp_text(to)])
        .env("CAI_BASE_URL", server.base_url())
        .env("CAI_TOKEN_URL", server.token_url())
        .env("CAI_CLIENT_ID", &config.client_id)
        .env("CAI_CLIENT_SECRET", config.client_secret.expose())
        .env("CAI_DEVELOPER_TOKEN", config.developer_token.expose())
        .env_remove("RUST_LOG")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn hash(rt: &tokio::runtime::Runtime, db: &Database) -> String {
    let artifacts = cai_logs_bridge::artifacts();
    Store::open(rt, db, &artifacts, Foreign::Refuse)
        .and_then(|mut store| store.content_hash())
        .expect("hash")
}

#[test]
fn killed_syncs_into_postgresql_resume_to_the_fault_free_content() {
    let rt = cai_bridge_tests::runtime();
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
    let clean = clean.to_str().expect("UTF-8 path");
    let output = sync_command(&server, &config, clean)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "fault-free sync failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = hash(&rt, &Database::Sqlite(clean.into()));

    let pg = cai_bridge_tests::postgres::Database::create();
    let db = Database::parse(pg.url(), "the test server").expect("URL");
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    for round in 0..5 {
        let mut child = sync_command(&server, &config, pg.url())
            .spawn()
            .expect("spawns");
        std::thread::sleep(Duration::from_millis(rng.u64(20..600)));
        // SIGKILL: no destructor, no rollback, the process just stops.
        let _ = child.kill();
        let _ = child.wait();
        let output = sync_command(&server, &config, pg.url())
            .output()
            .expect("reruns");
        assert!(
            output.status.success(),
            "round {round} (seed {seed}): rerun failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            hash(&rt, &db),
            expected,
            "round {round} (seed {seed}): content differs"
        );
    }
    let model = cai_logs_bridge::artifacts().model;
    let duplicates = pg.query(&format!(
        "SELECT count(*) FROM (SELECT id FROM {} GROUP BY id HAVING count(*) > 1) d",
        model.table("Conversations")
    ));
    assert_eq!(duplicates, [["0"]]);
    rt.block_on(server.shutdown());
}
