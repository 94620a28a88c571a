//! Throwaway databases on a real PostgreSQL server, driven with `psql`: the server
//! is the one `scripts/test` exports in `CAI_BRIDGE_TEST_POSTGRES` (a libpq URL of a
//! role that may create databases; `scripts/test` starts a throwaway cluster where
//! the machine has no server), or else the one on 127.0.0.1:5432 as user `postgres`.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's URL when `CAI_BRIDGE_TEST_POSTGRES` names none.
const DEFAULT_URL: &str = "postgresql://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test, dropped (with its connections) on drop.
pub struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    /// Creates an empty database on the test server. Panics with a hint when there
    /// is no server to create it on.
    pub fn create() -> Database {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let admin =
            std::env::var("CAI_BRIDGE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_URL.into());
        let name = format!(
            "cai_bridge_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        // A database a killed run left behind under the same name goes first.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin_command(&admin, &statement).unwrap_or_else(|e| {
                panic!(
                    "cannot create a test database on {admin}: {e}\nrun scripts/test (it \
                     finds or starts a PostgreSQL server and exports CAI_BRIDGE_TEST_POSTGRES), \
                     or export CAI_BRIDGE_TEST_POSTGRES=postgresql://USER@HOST:PORT/postgres"
                )
            });
        }
        let url = with_database(&admin, &name);
        Database { admin, name, url }
    }

    /// Its libpq URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `sql` (any number of statements) in one transaction, stopping at the
    /// first error; `Err` holds what psql said.
    pub fn execute(&self, sql: &str) -> Result<(), String> {
        run(&self.url, sql)
    }

    /// The rows of a query, each cell as psql prints it (NULL as the empty string).
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let output = psql(&self.url)
            .args(["--tuples-only", "--no-align", "--field-separator=\x1f"])
            .arg("--command")
            .arg(sql)
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("UTF-8")
            .lines()
            .map(|line| line.split('\x1f').map(str::to_owned).collect())
            .collect()
    }
}

impl Database {
    /// The database as the bridge names one (`--db`).
    pub fn bridge_database(&self) -> cai_bridge::database_url::Database {
        cai_bridge::database_url::Database::parse(&self.url, "the test database").expect("a URL")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // Best effort: a database left behind is dropped by the next run of that name.
        let _ = admin_command(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// psql on `url`, without the user's psqlrc, quiet, stopping at the first error.
fn psql(url: &str) -> Command {
    let mut command = Command::new(std::env::var("PSQL").unwrap_or_else(|_| "psql".into()));
    command
        .args([
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--dbname",
        ])
        .arg(url)
        .env("PGCONNECT_TIMEOUT", "10");
    command
}

/// Runs one statement that cannot run in a transaction (`CREATE DATABASE`).
fn admin_command(url: &str, statement: &str) -> Result<(), String> {
    outcome(psql(url).arg("--command").arg(statement).output())
}

/// Runs `sql` from standard input in one transaction.
fn run(url: &str, sql: &str) -> Result<(), String> {
    let output = psql(url)
        .arg("--single-transaction")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            // A psql that stops early (it cannot connect) closes its input: then what
            // it says on stderr is the error, not the broken pipe.
            let _ = child.stdin.take().expect("piped").write_all(sql.as_bytes());
            child.wait_with_output()
        });
    outcome(output)
}

/// What psql's run comes to: `Err` with what it said, or why it did not run.
fn outcome(output: std::io::Result<Output>) -> Result<(), String> {
    match output {
        Err(e) => Err(format!(
            "psql does not run: {e} (install postgresql-client)"
        )),
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
    }
}

/// `url` with its database (the URL's path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let query = url[authority..].find('?').map(|i| authority + i);
    let path = url[authority..query.unwrap_or(url.len())]
        .find('/')
        .map(|i| authority + i);
    let head = &url[..path.or(query).unwrap_or(url.len())];
    let tail = query.map_or("", |q| &url[q..]);
    format!("{head}/{name}{tail}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_is_the_urls_path() {
        assert_eq!(
            with_database("postgresql://postgres@127.0.0.1:5432/postgres", "t"),
            "postgresql://postgres@127.0.0.1:5432/t"
        );
        assert_eq!(
            with_database("postgresql://u@h:1?sslmode=disable", "t"),
            "postgresql://u@h:1/t?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://u@h?host=/tmp/x", "t"),
            "postgresql://u@h/t?host=/tmp/x"
        );
        assert_eq!(
            with_database("postgresql://u@/postgres?host=/tmp/x&port=5433", "t"),
            "postgresql://u@/t?host=/tmp/x&port=5433"
        );
    }
}
