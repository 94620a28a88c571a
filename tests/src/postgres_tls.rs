//! A PostgreSQL server of a test's own that takes only TLS connections with a
//! password, its certificate for `localhost` signed by a CA made for it: what a
//! managed database (SAP BTP's PostgreSQL, a hyperscaler's) looks like to a client.
//! The server programs are those `scripts/test` exports in `CAI_BRIDGE_TEST_PG_BIN`
//! (else Debian's); keys and certificates come from the `openssl` command.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The password of the server's `postgres` role.
pub const PASSWORD: &str = "s3cret-Pa55word";

/// A running server, stopped and removed on drop.
pub struct TlsServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The loopback port it listens on.
    pub port: u16,
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Where `initdb` and `pg_ctl` are.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAI_BRIDGE_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| d.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("no initdb: run scripts/test (it installs PostgreSQL's server programs and exports CAI_BRIDGE_TEST_PG_BIN)")
    })
}

/// As the server's owner: root may not run initdb, so Debian's `postgres` user does.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() == 0 }
}

impl TlsServer {
    /// Makes the CA and the server's certificate, and starts the server.
    pub fn start() -> TlsServer {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path();
        let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(path));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=cai-bridge test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(path.join("san.ext"), "subjectAltName=DNS:localhost\n").expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        std::fs::write(path.join("password"), PASSWORD).expect("password file");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if is_root() {
            run(Command::new("chown").args(["-R", "postgres:"]).arg(path));
        }
        run(Command::new("chmod")
            .args(["0600"])
            .arg(path.join("server.key")));
        run(as_owner(&bin.join("initdb"))
            .arg(format!("--pgdata={}", path.join("data").display()))
            .args([
                "--username=postgres",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", path.join("password").display())));
        // TLS or nothing over TCP; the socket (in the temp dir) for nobody else.
        std::fs::write(
            path.join("data/pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("pg_hba.conf");
        run(as_owner(&bin.join("pg_ctl"))
            .arg(format!("--pgdata={}", path.join("data").display()))
            .arg(format!("--log={}", path.join("server.log").display()))
            .arg("--wait")
            .arg(format!(
                "--options=-c listen_addresses=127.0.0.1 -p {port} -k {dir} -c fsync=off -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
                dir = path.display()
            ))
            .arg("start"));
        TlsServer { dir, bin, port }
    }

    /// The CA certificate that signed the server's.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// A URL of the `postgres` database on `host` with `params` (no password).
    pub fn url(&self, host: &str, params: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres?{params}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .arg(format!(
                "--pgdata={}",
                self.dir.path().join("data").display()
            ))
            .args(["--mode=immediate", "stop"])
            .output();
    }
}
