//! What the tests that run `cai-logs-bridge serve` share: the process, its service
//! URL (read from what it prints), and everything it writes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a test waits for the server to come up or to change.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A running `serve`, its service URL, and everything it writes.
pub struct Serving {
    /// The process.
    pub child: Child,
    /// The service URL it printed (`http://127.0.0.1:PORT/odata/v4/catalog/`).
    pub url: String,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Serving {
    /// Spawns `command` (a `serve`) and waits until it prints its service URL.
    pub fn start(mut command: Command) -> Serving {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let (url_tx, url_rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let stdout = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("OData V4 service: ") {
                    let _ = url_tx.send(url.trim().to_owned());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let mut err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = err.read_to_string(&mut all);
            all
        });
        let Ok(url) = url_rx.recv_timeout(PATIENCE) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "serve printed no URL: {}",
                stderr.join().unwrap_or_default()
            );
        };
        Serving {
            child,
            url,
            stdout,
            stderr,
        }
    }

    /// `host:port` of the service URL.
    pub fn addr(&self) -> &str {
        self.url
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .expect("an http URL")
    }

    /// Kills the server; its stdout and stderr.
    pub fn stop(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.output()
    }

    /// Stdout and stderr, once the process has ended.
    pub fn output(self) -> (String, String) {
        (
            self.stdout.join().expect("stdout reader"),
            self.stderr.join().expect("stderr reader"),
        )
    }
}

/// `cai-logs-bridge sync --quiet --db DB` over the mock's whole period, with the
/// mock's settings in the environment (and no `RUST_LOG` from the caller's).
pub fn sync_from(
    server: &cai_bridge_mock::MockServer,
    config: &cai_bridge_mock::MockConfig,
    db: &std::path::Path,
) -> Command {
    let to = config.start + chrono::Duration::days(i64::from(config.days));
    let mut command = Command::new(env!("CARGO_BIN_EXE_cai-logs-bridge"));
    command
        .args(["sync", "--quiet", "--db"])
        .arg(db)
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
        .env_remove("RUST_LOG");
    command
}
