//! `serve --sync-every` as it runs in a pod: the real binary serving OData on
//! loopback while it syncs from the mock CAI server on a schedule. New data shows up
//! without a restart, a failing sync leaves serving untouched and shows on
//! `/health/sync`, and SIGTERM in the middle of a sync leaves an intact database
//! that a rerun completes. Every wait is a poll with a generous bound.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::{Serving, PATIENCE};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use cai_bridge::load::content_hash;
use cai_bridge_mock::{Fault, MockConfig, MockServer};

fn bridge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cai-logs-bridge"));
    for (name, _) in std::env::vars() {
        if name.starts_with("BRIDGE_") || name.starts_with("CAI_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
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

fn with_api(command: &mut Command, server: &MockServer, config: &MockConfig) {
    command
        .env("CAI_BASE_URL", server.base_url())
        .env("CAI_TOKEN_URL", server.token_url())
        .env("CAI_CLIENT_ID", &config.client_id)
        .env("CAI_CLIENT_SECRET", config.client_secret.expose())
        .env("CAI_DEVELOPER_TOKEN", config.developer_token.expose());
}

/// A bridge.toml with these `[sync]` lines.
fn bridge_toml(dir: &Path, sync: &str) -> PathBuf {
    let file = dir.join("bridge.toml");
    std::fs::write(&file, format!("[sync]\n{sync}\n")).expect("bridge.toml");
    file
}

impl Serving {
    /// Status and body of `GET path`.
    fn get(&self, rt: &tokio::runtime::Runtime, path: &str) -> Option<(u16, String)> {
        let url = format!("http://{}{path}", self.addr());
        rt.block_on(async {
            let response = reqwest::get(&url).await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.text().await.ok()?))
        })
    }

    fn count(&self, rt: &tokio::runtime::Runtime) -> Option<u64> {
        match self.get(rt, "/odata/v4/catalog/Conversations/$count")? {
            (200, body) => body.trim().parse().ok(),
            _ => None,
        }
    }

    fn sync_status(&self, rt: &tokio::runtime::Runtime) -> cai_bridge::serde_json::Value {
        let (status, body) = self.get(rt, "/health/sync").expect("/health/sync answers");
        assert_eq!(status, 200, "{body}");
        cai_bridge::serde_json::from_str(&body).expect("JSON")
    }

    /// Polls `what` until it is `Some`, failing the test after [`PATIENCE`].
    fn until<T>(&mut self, what: &str, mut check: impl FnMut(&Self) -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = check(self) {
                return value;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve ended ({status}) waiting for {what}");
            }
            assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits for the exit; its status, stdout and stderr.
    fn terminate(mut self) -> (ExitStatus, String, String) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("serve did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (stdout, stderr) = self.output();
        (status, stdout, stderr)
    }
}

fn serve_command(db: &Path, config: &Path, every: &str) -> Command {
    let mut command = bridge();
    command
        .args([
            "serve",
            "--no-auth",
            "--addr",
            "127.0.0.1:0",
            "--sync-every",
            every,
        ])
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info");
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
fn new_data_appears_without_a_restart_and_a_failing_sync_leaves_serving_alone() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("bridge.db");
    let mut first = MockConfig::new(60);
    first.seed = 1;
    first.start += chrono::Duration::days(25);
    first.days = 5;
    let mut second = first.clone();
    second.seed = 2;
    second.conversations = 40;
    let ids = |server: &MockServer| -> Vec<String> {
        server
            .conversations()
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = rt
        .block_on(MockServer::start(first.clone(), loopback))
        .expect("mock");
    let addr = server.addr();
    let mut expected: std::collections::BTreeSet<String> = ids(&server).into_iter().collect();
    // Every run goes back over the mock's whole period (a large overlap), so the
    // second mock's conversations, which lie in the same days, are fetched too; two
    // attempts make a stopped mock fail a run quickly.
    let start = cai_bridge::model::format::timestamp_text(first.start);
    let config = bridge_toml(
        dir.path(),
        &format!("start = \"{start}\"\noverlap_minutes = 20000\nattempts = 2\ntimeout_seconds = 5"),
    );
    let mut command = serve_command(&db, &config, "1s");
    with_api(&mut command, &server, &first);
    let mut serving = Serving::start(command);
    // The database may be missing at start: readiness holds until the first sync made it.
    serving.until("readiness", |s| {
        s.get(&rt, "/health/ready").filter(|(code, _)| *code == 200)
    });
    serving.until("the first batch", |s| {
        s.count(&rt).filter(|n| *n == expected.len() as u64)
    });

    // The second batch, from a mock on the same address.
    rt.block_on(server.shutdown());
    let server = rt
        .block_on(MockServer::start(second.clone(), addr))
        .expect("second mock on the same port");
    expected.extend(ids(&server));
    assert!(
        expected.len() > 60,
        "the second mock holds new conversations"
    );
    serving.until("the second batch", |s| {
        s.count(&rt).filter(|n| *n == expected.len() as u64)
    });
    // A run commits what it wrote by its end (sooner while it waits for the API).
    serving.until("a second finished run", |s| {
        let status = s.sync_status(&rt);
        (status["runs"].as_u64() >= Some(2)).then_some(())
    });

    // The mock goes away: runs fail, are shown, and serving goes on as before.
    rt.block_on(server.shutdown());
    let status = serving.until("a failed run on /health/sync", |s| {
        let status = s.sync_status(&rt);
        (status["last_run"]["outcome"] == "failed").then_some(status)
    });
    assert_eq!(status["last_run"]["error"], "api", "{status}");
    assert_eq!(status["last_run"]["exit_code"], 1, "{status}");
    assert!(
        status["consecutive_failures"].as_u64() >= Some(1),
        "{status}"
    );
    assert!(status["last_success"].is_string(), "{status}");
    let text = status.to_string();
    for secret in [first.client_secret.expose(), first.developer_token.expose()] {
        assert!(!text.contains(secret), "{text}");
    }
    assert_eq!(serving.count(&rt), Some(expected.len() as u64));
    assert_eq!(
        serving.get(&rt, "/health/ready").map(|(code, _)| code),
        Some(200)
    );

    let (exit, stdout, stderr) = serving.terminate();
    assert!(exit.success(), "{exit}: {stderr}");
    assert!(stdout.contains("/health/sync"), "{stdout}");
    assert!(stderr.contains("scheduled sync failed"), "{stderr}");
    for secret in [first.client_secret.expose(), first.developer_token.expose()] {
        assert!(!stderr.contains(secret) && !stdout.contains(secret));
    }
    hash(&db);
}

#[test]
fn sigterm_during_a_sync_leaves_an_intact_database_that_a_rerun_completes() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("dir");
    let mut config = MockConfig::new(400);
    config.start += chrono::Duration::days(10);
    config.days = 20;
    config.retry_after = 0;
    // Server errors stretch the run, so the signal lands in the middle of it.
    config.faults = vec!["server-error:0.3".parse::<Fault>().expect("fault")];
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let start = cai_bridge::model::format::timestamp_text(config.start);
    // Six-hour windows: eighty of them, committed in groups whenever the run waits for
    // the API's retries, so the signal lands between commits. Attempts enough
    // that a run of server errors never ends a run (0.3^16 per window).
    let toml = bridge_toml(
        dir.path(),
        &format!("start = \"{start}\"\nwindow_minutes = 360\nattempts = 16"),
    );

    let clean = dir.path().join("clean.db");
    let mut sync = bridge();
    sync.args(["sync", "--quiet", "--db"])
        .arg(&clean)
        .arg("--config")
        .arg(&toml);
    with_api(&mut sync, &server, &config);
    let out = sync.output().expect("sync runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = hash(&clean);

    let db = dir.path().join("bridge.db");
    let mut command = serve_command(&db, &toml, "1h");
    with_api(&mut command, &server, &config);
    let mut serving = Serving::start(command);
    serving.until("some rows", |s| s.count(&rt).filter(|n| *n > 0));
    let (exit, _, stderr) = serving.terminate();
    assert!(exit.success(), "{exit}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Intact, with whole windows only: a rerun ends with the fault-free content.
    hash(&db);
    let mut rerun = bridge();
    rerun
        .args(["sync", "--quiet", "--db"])
        .arg(&db)
        .arg("--config")
        .arg(&toml);
    with_api(&mut rerun, &server, &config);
    let out = rerun.output().expect("rerun");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(hash(&db), expected);
    rt.block_on(server.shutdown());
}

#[test]
fn a_database_the_sync_refuses_keeps_the_server_unready_and_shows_why() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("foreign.db");
    rusqlite::Connection::open(&db)
        .expect("db")
        .execute_batch("CREATE TABLE foo (x INTEGER);")
        .expect("foo");
    let mut config = MockConfig::new(10);
    config.days = 2;
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    let toml = bridge_toml(dir.path(), "attempts = 2");
    let mut command = serve_command(&db, &toml, "1h");
    with_api(&mut command, &server, &config);
    let mut serving = Serving::start(command);
    let status = serving.until("the refused run on /health/sync", |s| {
        let status = s.sync_status(&rt);
        (status["runs"] == 1).then_some(status)
    });
    assert_eq!(status["last_run"]["outcome"], "failed", "{status}");
    assert_eq!(status["last_run"]["error"], "database", "{status}");
    assert_eq!(status["last_run"]["exit_code"], 3, "{status}");
    assert_eq!(status["state"], "waiting", "{status}");
    assert!(status["next_run"].is_string(), "{status}");
    assert!(!status.to_string().contains("foo"), "no message: {status}");
    assert_eq!(
        serving.get(&rt, "/health/ready").map(|(code, _)| code),
        Some(503)
    );
    assert_eq!(
        serving
            .get(&rt, "/odata/v4/catalog/Conversations")
            .map(|(code, _)| code),
        Some(503)
    );
    assert_eq!(
        serving.get(&rt, "/health/live").map(|(code, _)| code),
        Some(200)
    );
    let (exit, _, stderr) = serving.terminate();
    assert!(exit.success(), "{exit}: {stderr}");
    assert!(
        stderr.contains("foo") && stderr.contains("--adopt"),
        "{stderr}"
    );
    rt.block_on(server.shutdown());
}

#[test]
fn a_rotated_secret_file_is_read_again_by_the_next_run() {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("dir");
    let mut config = MockConfig::new(20);
    config.start += chrono::Duration::days(28);
    config.days = 2;
    let server = rt
        .block_on(MockServer::start(
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("mock");
    // The client secret from a file, as a mounted Kubernetes Secret: wrong at first.
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, "not-the-secret\n").expect("secret");
    let toml = dir.path().join("bridge.toml");
    std::fs::write(
        &toml,
        format!(
            "[cai]\nclient_secret_file = {:?}\n[sync]\nattempts = 2\n",
            secret.display().to_string()
        ),
    )
    .expect("bridge.toml");
    let db = dir.path().join("bridge.db");
    let mut command = serve_command(&db, &toml, "1s");
    with_api(&mut command, &server, &config);
    command.env_remove("CAI_CLIENT_SECRET");
    let mut serving = Serving::start(command);
    let status = serving.until("a refused run", |s| {
        let status = s.sync_status(&rt);
        (status["last_run"]["outcome"] == "failed").then_some(status)
    });
    assert_eq!(status["last_run"]["error"], "credentials", "{status}");
    assert_eq!(status["last_run"]["exit_code"], 4, "{status}");
    std::fs::write(&secret, format!("{}\n", config.client_secret.expose())).expect("rotate");
    serving.until("every conversation", |s| s.count(&rt).filter(|n| *n == 20));
    let (exit, stdout, stderr) = serving.terminate();
    assert!(exit.success(), "{exit}: {stderr}");
    assert!(!stderr.contains(config.client_secret.expose()));
    assert!(!stdout.contains(config.client_secret.expose()));
    rt.block_on(server.shutdown());
}
