//! Several replicas of `serve --sync-every` on one PostgreSQL database, as on Kyma
//! with `k8s/postgres`: two bridge processes sync on a schedule of a second into
//! the same database, and their run logs show that no two syncs ever overlap (the
//! PostgreSQL advisory lock), that a replica whose tick finds the lock taken skips
//! it and serves on, and that the data ends complete.

use std::fs::File;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cai_bridge::load::{Foreign, Store};
use cai_bridge_mock::{Fault, MockConfig, MockServer};
use chrono::{DateTime, Utc};

/// `bridge serve --sync-every 1s` on `db`, its log (RUST_LOG=info) into `log`.
fn replica(server: &MockServer, config: &MockConfig, db: &str, toml: &Path, log: &Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bridge"));
    for (name, _) in std::env::vars() {
        if name.starts_with("BRIDGE_") || name.starts_with("CAI_") || name.starts_with("DATABASE_")
        {
            command.env_remove(name);
        }
    }
    command
        .args([
            "serve",
            "--no-auth",
            "--addr",
            "127.0.0.1:0",
            "--sync-every",
            "1s",
            "--db",
            db,
        ])
        .arg("--config")
        .arg(toml)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("CAI_BASE_URL", server.base_url())
        .env("CAI_TOKEN_URL", server.token_url())
        .env("CAI_CLIENT_ID", &config.client_id)
        .env("CAI_CLIENT_SECRET", config.client_secret.expose())
        .env("CAI_DEVELOPER_TOKEN", config.developer_token.expose())
        .stdout(Stdio::null())
        .stderr(File::create(log).expect("log file"))
        .spawn()
        .expect("the bridge starts")
}

/// The (start, end) of every sync that held the lock, from one replica's log.
fn runs(log: &str) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut runs = Vec::new();
    for line in log.lines() {
        let at = || {
            DateTime::parse_from_rfc3339(line.split_whitespace().next().unwrap_or(""))
                .map(|t| t.to_utc())
                .unwrap_or_else(|e| panic!("a log line without its time ({e}): {line}"))
        };
        if line.contains("sync lock taken") {
            runs.push((at(), None));
        } else if line.contains("sync lock released") {
            let last = runs.last_mut().expect("released after taken");
            assert!(last.1.is_none(), "released twice: {log}");
            last.1 = Some(at());
        }
    }
    runs
}

fn stop(mut child: Child) {
    // SIGTERM, as Kubernetes stops a pod: the running sync finishes its window.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("waits");
    assert!(status.success(), "a replica ended with {status}");
}

#[test]
fn replicas_on_one_postgresql_database_never_sync_at_once() {
    let rt = cai_bridge_tests::runtime();
    let mut config = MockConfig::new(240);
    // Every answer a little slow, so that a run lasts longer than the period and the
    // replicas' ticks meet a held lock.
    config.faults = vec!["slow:1.0".parse::<Fault>().expect("fault")];
    config.slow = Duration::from_millis(60);
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let pg = cai_bridge_tests::postgres::Database::create();
    let dir = tempfile::tempdir().expect("dir");
    // Every run syncs the mock's whole period again (an overlap as long as it), so no
    // run is short enough to miss the others.
    let toml = dir.path().join("bridge.toml");
    std::fs::write(
        &toml,
        format!(
            "[sync]\nstart = \"{}\"\noverlap_minutes = {}\n",
            cai_bridge::model::format::timestamp_text(config.start),
            (config.days + 1) * 24 * 60
        ),
    )
    .expect("bridge.toml");
    let logs = [dir.path().join("a.log"), dir.path().join("b.log")];
    let replicas: Vec<Child> = logs
        .iter()
        .map(|log| replica(&server, &config, pg.url(), &toml, log))
        .collect();

    let read = || {
        logs.each_ref()
            .map(|l| std::fs::read_to_string(l).unwrap_or_default())
    };
    let started = Instant::now();
    loop {
        let texts = read();
        let taken: usize = texts
            .iter()
            .map(|t| t.matches("sync lock taken").count())
            .sum();
        let skipped: usize = texts
            .iter()
            .map(|t| t.matches("sync skipped").count())
            .sum();
        // Runs on either replica, and ticks that met the lock: which replica wins it
        // is up to their timing, and does not matter.
        if taken >= 3 && skipped >= 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the replicas did not sync three times and skip once in 90 s:\n{}\n---\n{}",
            texts[0],
            texts[1]
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in replicas {
        stop(child);
    }

    let texts = read();
    let [a, b] = texts.each_ref().map(|t| runs(t));
    for (run, other) in a.iter().flat_map(|r| b.iter().map(move |o| (r, o))) {
        let (start, end) = (run.0, run.1.expect("every run released its lock"));
        let (other_start, other_end) = (other.0, other.1.expect("released"));
        assert!(
            end <= other_start || other_end <= start,
            "two syncs at once: {start}..{end} and {other_start}..{other_end}\n{}\n---\n{}",
            texts[0],
            texts[1]
        );
    }
    assert!(
        texts.iter().all(|t| !t.contains("scheduled sync failed")),
        "a replica's sync failed:\n{}\n---\n{}",
        texts[0],
        texts[1]
    );
    // What they wrote together is the whole dataset.
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let mut store =
        Store::open(&rt, &pg.bridge_database(), &artifacts, Foreign::Refuse).expect("opens");
    let count = store
        .query_text(
            &format!(
                "SELECT CAST(count(*) AS TEXT) FROM {}",
                model.table("Conversations")
            ),
            &[],
        )
        .expect("counts");
    assert_eq!(count.as_deref(), Some("240"));
    rt.block_on(server.shutdown());
}
