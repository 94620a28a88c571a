//! Where a bridge's database is: a SQLite file (`bridge.db`, `sqlite:bridge.db`) or
//! a PostgreSQL server (`postgres://…`, `postgresql://…`), as `--db`, `DATABASE_URL`
//! or a Kubernetes service binding names it, with the credentials from the URL, the
//! environment, files, or the binding.
//!
//! A service binding is a folder of files under `SERVICE_BINDING_ROOT`, one file per
//! value, as the SAP BTP service operator mounts its PostgreSQL offering's
//! credentials (the servicebinding.io convention): `<root>/<binding>/type` says what
//! it is (`postgresql`, `postgresql-db`, …), and `host` (or `hostname`), `port`,
//! `username`, `password`, `dbname` (or `database`), `uri`, `sslmode` and
//! `sslrootcert` (the CA certificate itself) say where and how.
//!
//! A password never shows: [`Postgres`] prints it as `***` in `Debug` and `Display`,
//! and no error message holds it.

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

use crate::settings::{read_mounted, Secret};

/// A bridge's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(Postgres),
}

/// Where a PostgreSQL database is and how to log in. `Debug` and `Display` hide the
/// password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postgres {
    /// A host name or address, or the folder of a Unix socket (starting with `/`).
    pub host: String,
    /// The port (5432 unless named).
    pub port: u16,
    /// The role to log in as.
    pub user: String,
    /// Its password, if it needs one.
    pub password: Option<Secret>,
    /// The database (the user's name unless named, as libpq does).
    pub dbname: String,
    /// Whether and how to use TLS.
    pub sslmode: SslMode,
    /// The CA certificate file to verify the server with.
    pub sslrootcert: Option<PathBuf>,
}

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, unverified (libpq's default).
    Prefer,
    /// TLS, the certificate unverified.
    Require,
    /// TLS, the certificate verified against the CA.
    VerifyCa,
    /// TLS, the certificate verified and the host name checked.
    VerifyFull,
}

impl SslMode {
    const ALL: [(&'static str, SslMode); 5] = [
        ("disable", SslMode::Disable),
        ("prefer", SslMode::Prefer),
        ("require", SslMode::Require),
        ("verify-ca", SslMode::VerifyCa),
        ("verify-full", SslMode::VerifyFull),
    ];

    fn parse(text: &str, origin: &str) -> Result<SslMode, DatabaseError> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == text.trim())
            .map(|(_, mode)| *mode)
            .ok_or_else(|| DatabaseError::invalid(
                origin,
                format!("sslmode {text:?} is not one of disable, prefer, require, verify-ca, verify-full"),
                "verify-full checks the server's certificate and name, as a managed database needs",
            ))
    }

    /// libpq's name of the mode.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, mode)| *mode == self)
            .map_or("prefer", |(name, _)| name)
    }
}

/// Why no database could be made out.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// A database URL, variable or binding is malformed or incomplete.
    #[error("{origin}: {message}; hint: {hint}")]
    Invalid {
        /// Where it came from (`--db`, `DATABASE_URL`, the binding's folder).
        origin: String,
        /// What is wrong (never the password).
        message: String,
        /// How to put it right.
        hint: &'static str,
    },
    /// A file that holds a setting could not be read.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl DatabaseError {
    fn invalid(origin: &str, message: impl Into<String>, hint: &'static str) -> Self {
        DatabaseError::Invalid {
            origin: origin.to_owned(),
            message: message.into(),
            hint,
        }
    }
}

const URL_HINT: &str =
    "give a SQLite file (bridge.db) or postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full";

impl Database {
    /// The database the settings name, first of: `flag` (`--db`); `DATABASE_URL`, or
    /// `DATABASE_URL_FILE` (a file holding it); a PostgreSQL service binding under
    /// `SERVICE_BINDING_ROOT` (`DATABASE_BINDING` picks one of several). `None` when
    /// none names one (the caller's default applies). A PostgreSQL URL without a
    /// password takes `DATABASE_PASSWORD` or `DATABASE_PASSWORD_FILE`. `env` reads
    /// the environment (tests give their own).
    pub fn resolve(
        flag: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Database>, DatabaseError> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let named = if let Some(flag) = flag {
            Some(Database::parse(flag, "--db")?)
        } else if let Some(url) = env("DATABASE_URL") {
            Some(Database::parse(&url, "DATABASE_URL")?)
        } else if let Some(file) = env("DATABASE_URL_FILE") {
            Some(Database::parse(
                &read_file(Path::new(&file))?,
                "DATABASE_URL_FILE",
            )?)
        } else if let Some(root) = env("SERVICE_BINDING_ROOT") {
            binding(Path::new(&root), env("DATABASE_BINDING").as_deref())?.map(Database::Postgres)
        } else {
            None
        };
        match named {
            Some(Database::Postgres(mut pg)) if pg.password.is_none() => {
                pg.password = match (env("DATABASE_PASSWORD"), env("DATABASE_PASSWORD_FILE")) {
                    (Some(password), _) => Some(Secret::new(password)),
                    (None, Some(file)) => Some(Secret::new(read_file(Path::new(&file))?)),
                    (None, None) => None,
                };
                Ok(Some(Database::Postgres(pg)))
            }
            other => Ok(other),
        }
    }

    /// A database named by `text`: a `postgres://` or `postgresql://` URL, a
    /// `sqlite:` URL, or else a SQLite file's path. `origin` says where `text` came
    /// from, for errors.
    pub fn parse(text: &str, origin: &str) -> Result<Database, DatabaseError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DatabaseError::invalid(origin, "is empty", URL_HINT));
        }
        let scheme = text
            .split_once("://")
            .map(|(scheme, _)| scheme)
            .filter(|s| {
                s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            });
        match scheme.map(str::to_ascii_lowercase).as_deref() {
            Some("postgres" | "postgresql") => Ok(Database::Postgres(postgres_url(text, origin)?)),
            Some("sqlite") => Ok(Database::Sqlite(PathBuf::from(&text["sqlite://".len()..]))),
            Some(other) => Err(DatabaseError::invalid(
                origin,
                format!("{other}:// is not a database the bridge runs on"),
                URL_HINT,
            )),
            None => Ok(Database::Sqlite(PathBuf::from(
                text.strip_prefix("sqlite:").unwrap_or(text),
            ))),
        }
    }
}

/// A `postgres://USER:PASSWORD@HOST:PORT/DATABASE?PARAMS` URL, libpq's form: the
/// parameters `host`, `port`, `user`, `password`, `dbname`, `sslmode`, `sslrootcert`
/// may stand in the query instead (a socket folder as `host` needs to).
fn postgres_url(text: &str, origin: &str) -> Result<Postgres, DatabaseError> {
    // Taken apart here rather than by a URL parser: libpq's URLs may leave the host
    // empty (a socket folder in `?host=`), which generic URL parsers refuse.
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(|| {
            DatabaseError::invalid(origin, "an IPv6 host lacks its closing ]", URL_HINT)
        })?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let mut pg = Partial {
        host: Some(decode(host)).filter(|h| !h.is_empty()),
        port: port.map(decode),
        user: Some(decode(user)).filter(|u| !u.is_empty()),
        password: password.map(|p| Secret::new(decode(p))),
        dbname: Some(decode(path)).filter(|d| !d.is_empty()),
        ..Partial::default()
    };
    // Percent-decoded as libpq does, a `+` staying a `+` (no form encoding).
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match decode(key).as_str() {
            "host" => pg.host = Some(value),
            "port" => pg.port = Some(value),
            "user" => pg.user = Some(value),
            "password" => pg.password = Some(Secret::new(value)),
            "dbname" => pg.dbname = Some(value),
            "sslmode" => pg.sslmode = Some(value),
            "sslrootcert" => pg.sslrootcert = Some(PathBuf::from(value)),
            other => {
                return Err(DatabaseError::invalid(
                    origin,
                    format!("unknown parameter {other:?} in the URL"),
                    "the bridge takes host, port, user, password, dbname, sslmode and sslrootcert",
                ))
            }
        }
    }
    pg.finish(origin, SslMode::Prefer)
}

/// The values of a PostgreSQL database as they are found, before defaults.
#[derive(Default)]
struct Partial {
    host: Option<String>,
    port: Option<String>,
    user: Option<String>,
    password: Option<Secret>,
    dbname: Option<String>,
    sslmode: Option<String>,
    sslrootcert: Option<PathBuf>,
}

impl Partial {
    fn finish(self, origin: &str, default_sslmode: SslMode) -> Result<Postgres, DatabaseError> {
        let host = self.host.filter(|h| !h.is_empty()).ok_or_else(|| {
            DatabaseError::invalid(
                origin,
                "names no host",
                "postgres://USER@HOST:5432/DATABASE",
            )
        })?;
        if host.contains(',') {
            return Err(DatabaseError::invalid(
                origin,
                "names several hosts",
                "name the one primary server",
            ));
        }
        let port = match self.port {
            None => 5432,
            Some(port) => port.trim().parse().map_err(|_| {
                DatabaseError::invalid(
                    origin,
                    format!("port {port:?} is not a port number"),
                    "5432 is PostgreSQL's",
                )
            })?,
        };
        let user = self.user.filter(|u| !u.is_empty()).ok_or_else(|| {
            DatabaseError::invalid(
                origin,
                "names no user",
                "postgres://USER@HOST:5432/DATABASE",
            )
        })?;
        let sslmode = match self.sslmode {
            None => default_sslmode,
            Some(mode) => SslMode::parse(&mode, origin)?,
        };
        Ok(Postgres {
            dbname: self
                .dbname
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| user.clone()),
            host,
            port,
            user,
            password: self.password,
            sslmode,
            sslrootcert: self.sslrootcert,
        })
    }
}

/// The PostgreSQL service binding under `root`: the one named `wanted`, else the
/// only one whose `type` names PostgreSQL. `None` when there is none.
fn binding(root: &Path, wanted: Option<&str>) -> Result<Option<Postgres>, DatabaseError> {
    let origin = format!("SERVICE_BINDING_ROOT {}", root.display());
    let entries = std::fs::read_dir(root).map_err(|source| DatabaseError::File {
        path: root.to_path_buf(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let dir = entry
            .map_err(|source| DatabaseError::File {
                path: root.to_path_buf(),
                source,
            })?
            .path();
        // Kubernetes mounts a binding's files through `..data` links: skip its own.
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        if !dir.is_dir() || name.as_deref().is_none_or(|n| n.starts_with('.')) {
            continue;
        }
        let kind = read_optional(&dir.join("type"))?.unwrap_or_default();
        if wanted.map_or(kind.to_ascii_lowercase().contains("postgres"), |w| {
            name.as_deref() == Some(w)
        }) {
            found.push(dir);
        }
    }
    found.sort();
    match found.as_slice() {
        [] if wanted.is_some() => Err(DatabaseError::invalid(
            &origin,
            format!("has no binding {:?}", wanted.unwrap_or_default()),
            "DATABASE_BINDING names a folder under SERVICE_BINDING_ROOT",
        )),
        [] => Ok(None),
        [dir] => binding_values(dir).map(Some),
        several => Err(DatabaseError::invalid(
            &origin,
            format!(
                "holds several PostgreSQL bindings: {}",
                several
                    .iter()
                    .filter_map(|d| d.file_name())
                    .map(|n| n.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "export DATABASE_BINDING=<the folder name of the one to use>",
        )),
    }
}

/// A binding folder's values: its `uri` if it has one, each file of its own over it.
/// A binding that brings a CA certificate is verified against it (`verify-full`),
/// else it still needs TLS (`require`), unless its `sslmode` says otherwise.
fn binding_values(dir: &Path) -> Result<Postgres, DatabaseError> {
    let origin = format!("service binding {}", dir.display());
    let file = |name: &str| read_optional(&dir.join(name));
    let mut pg = match file("uri")? {
        Some(uri) => {
            let url = postgres_url(&uri, &origin)?;
            Partial {
                host: Some(url.host),
                port: Some(url.port.to_string()),
                user: Some(url.user),
                password: url.password,
                dbname: Some(url.dbname),
                sslmode: None,
                sslrootcert: url.sslrootcert,
            }
        }
        None => Partial::default(),
    };
    let first = |names: &[&str]| -> Result<Option<String>, DatabaseError> {
        for name in names {
            if let Some(value) = file(name)? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    };
    pg.host = first(&["host", "hostname"])?.or(pg.host);
    pg.port = first(&["port"])?.or(pg.port);
    pg.user = first(&["username", "user"])?.or(pg.user);
    pg.password = first(&["password"])?.map(Secret::new).or(pg.password);
    pg.dbname = first(&["dbname", "database"])?.or(pg.dbname);
    pg.sslmode = first(&["sslmode"])?;
    let ca = dir.join("sslrootcert");
    let default_sslmode = if ca.is_file() {
        pg.sslrootcert = Some(ca);
        SslMode::VerifyFull
    } else {
        SslMode::Require
    };
    pg.finish(&origin, default_sslmode)
}

/// A file's text without the trailing newline mounted files often end with.
fn read_file(path: &Path) -> Result<String, DatabaseError> {
    read_mounted(path).map_err(|source| DatabaseError::File {
        path: path.to_path_buf(),
        source,
    })
}

/// [`read_file`], `None` where there is no such file.
fn read_optional(path: &Path) -> Result<Option<String>, DatabaseError> {
    if path.is_file() {
        read_file(path).map(Some)
    } else {
        Ok(None)
    }
}

impl fmt::Display for Postgres {
    /// `postgres://user:***@host:port/dbname?sslmode=…`: the password never shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let password = if self.password.is_some() { ":***" } else { "" };
        let (host, socket) = if self.host.starts_with('/') {
            (String::new(), format!("host={}&", self.host))
        } else if self.host.contains(':') {
            (format!("[{}]", self.host), String::new())
        } else {
            (self.host.clone(), String::new())
        };
        write!(
            f,
            "postgres://{}{password}@{host}:{}/{}?{socket}sslmode={}",
            self.user,
            self.port,
            self.dbname,
            self.sslmode.name()
        )
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(pg) => pg.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn postgres(database: Database) -> Postgres {
        match database {
            Database::Postgres(pg) => pg,
            other => panic!("not PostgreSQL: {other:?}"),
        }
    }

    #[test]
    fn paths_and_sqlite_urls_are_sqlite_files() {
        for (text, path) in [
            ("bridge.db", "bridge.db"),
            ("/var/lib/bridge/bridge.db", "/var/lib/bridge/bridge.db"),
            ("sqlite:bridge.db", "bridge.db"),
            ("sqlite:///data/bridge.db", "/data/bridge.db"),
            ("my:odd:name.db", "my:odd:name.db"),
        ] {
            assert_eq!(
                Database::parse(text, "--db").unwrap(),
                Database::Sqlite(PathBuf::from(path)),
                "{text}"
            );
        }
    }

    #[test]
    fn a_postgres_url_is_read_as_libpq_reads_it() {
        let pg = postgres(
            Database::parse(
                "postgresql://bridge:p%40ss%3Aw0rd@db.example.com:6543/logs?sslmode=verify-full&sslrootcert=/etc/ca.pem&password=a+b",
                "DATABASE_URL",
            )
            .unwrap(),
        );
        assert_eq!(pg.host, "db.example.com");
        assert_eq!(pg.port, 6543);
        assert_eq!(pg.user, "bridge");
        // The query's password wins over the user info's, as in libpq.
        assert_eq!(pg.password.as_ref().map(Secret::expose), Some("a+b"));
        assert_eq!(pg.dbname, "logs");
        assert_eq!(pg.sslmode, SslMode::VerifyFull);
        assert_eq!(pg.sslrootcert, Some(PathBuf::from("/etc/ca.pem")));

        let pg =
            postgres(Database::parse("postgres://bridge:p%40ss%3Aw0rd@db/logs", "--db").unwrap());
        assert_eq!(pg.password.as_ref().map(Secret::expose), Some("p@ss:w0rd"));
        let pg = postgres(Database::parse("postgres://me@localhost", "--db").unwrap());
        assert_eq!(
            (pg.port, pg.dbname.as_str(), pg.sslmode),
            (5432, "me", SslMode::Prefer)
        );
        let pg = postgres(
            Database::parse(
                "postgres://me@/bridge?host=/run/postgresql&port=5433",
                "--db",
            )
            .unwrap(),
        );
        assert_eq!((pg.host.as_str(), pg.port), ("/run/postgresql", 5433));
        assert_eq!(
            pg.to_string(),
            "postgres://me@:5433/bridge?host=/run/postgresql&sslmode=prefer"
        );
        let pg = postgres(Database::parse("postgres://me@[::1]:5432/b", "--db").unwrap());
        assert_eq!(pg.host, "::1");
        assert_eq!(pg.to_string(), "postgres://me@[::1]:5432/b?sslmode=prefer");
    }

    #[test]
    fn the_password_never_shows() {
        let secret = "s3cr3t-Pa55";
        let database =
            Database::parse(&format!("postgres://bridge:{secret}@db:5432/logs"), "--db").unwrap();
        for shown in [format!("{database}"), format!("{database:?}")] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(
            database.to_string(),
            "postgres://bridge:***@db:5432/logs?sslmode=prefer"
        );
        // Nor in the errors of a URL that holds one.
        for bad in [
            format!("postgres://bridge:{secret}@db:port/logs"),
            format!("postgres://bridge:{secret}@db/logs?sslmode=sometimes"),
            format!("postgres://bridge:{secret}@db/logs?options=x"),
            format!("postgres://:{secret}@db/logs"),
            format!("mysql://bridge:{secret}@db/logs"),
        ] {
            let error = Database::parse(&bad, "DATABASE_URL")
                .unwrap_err()
                .to_string();
            assert!(!error.contains(secret), "{error}");
            assert!(
                error.starts_with("DATABASE_URL: ") && error.contains("hint: "),
                "{error}"
            );
        }
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let error = |text: &str| Database::parse(text, "--db").unwrap_err().to_string();
        assert!(error("postgres://db/logs").contains("names no user"));
        assert!(error("postgres://u@/logs").contains("names no host"));
        assert!(error("postgres://u@a,b/logs").contains("several hosts"));
        assert!(error("postgres://u@h/l?sslmode=on").contains("is not one of"));
        assert!(error("mysql://u@h/l").contains("mysql:// is not a database"));
        assert!(error("  ").contains("is empty"));
    }

    #[test]
    fn the_flag_wins_then_the_url_then_a_binding() {
        let dir = tempfile::tempdir().unwrap();
        let url_file = dir.path().join("url");
        std::fs::write(&url_file, "postgres://from-file@db/x\n").unwrap();
        let resolve = |flag: Option<&str>, pairs: &[(&str, &str)]| {
            Database::resolve(flag, env(pairs)).unwrap()
        };
        assert_eq!(resolve(None, &[]), None);
        assert_eq!(
            resolve(Some("a.db"), &[("DATABASE_URL", "postgres://u@h/x")]),
            Some(Database::Sqlite("a.db".into()))
        );
        let from_env = postgres(resolve(None, &[("DATABASE_URL", "postgres://u@h/x")]).unwrap());
        assert_eq!(from_env.user, "u");
        let url_file = url_file.to_str().unwrap();
        let from_file = postgres(resolve(None, &[("DATABASE_URL_FILE", url_file)]).unwrap());
        assert_eq!(from_file.user, "from-file");
    }

    #[test]
    fn a_url_without_a_password_takes_it_from_the_environment_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "from-file\n").unwrap();
        let url = ("DATABASE_URL", "postgres://u@h/x");
        let password = |pairs: &[(&str, &str)]| {
            let pg = postgres(Database::resolve(None, env(pairs)).unwrap().unwrap());
            pg.password.map(|p| p.expose().to_owned())
        };
        assert_eq!(password(&[url]), None);
        assert_eq!(
            password(&[url, ("DATABASE_PASSWORD", "pw")]).as_deref(),
            Some("pw")
        );
        let file = file.to_str().unwrap();
        assert_eq!(
            password(&[url, ("DATABASE_PASSWORD_FILE", file)]).as_deref(),
            Some("from-file")
        );
        assert_eq!(
            password(&[
                ("DATABASE_URL", "postgres://u:in-url@h/x"),
                ("DATABASE_PASSWORD", "pw")
            ])
            .as_deref(),
            Some("in-url")
        );
    }

    fn write_binding(root: &Path, name: &str, files: &[(&str, &str)]) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
    }

    #[test]
    fn a_service_binding_is_read_from_its_files() {
        let root = tempfile::tempdir().unwrap();
        write_binding(
            root.path(),
            "cache",
            &[("type", "redis\n"), ("host", "redis")],
        );
        write_binding(
            root.path(),
            "logs-db",
            &[
                ("type", "postgresql-db\n"),
                ("hostname", "pg.internal\n"),
                ("port", "5433\n"),
                ("username", "bridge\n"),
                ("password", "s3cr3t\n"),
                ("dbname", "logs\n"),
                ("sslrootcert", "-----BEGIN CERTIFICATE-----\n"),
            ],
        );
        let root_text = root.path().to_str().unwrap();
        let pg = postgres(
            Database::resolve(None, env(&[("SERVICE_BINDING_ROOT", root_text)]))
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            (
                pg.host.as_str(),
                pg.port,
                pg.user.as_str(),
                pg.dbname.as_str()
            ),
            ("pg.internal", 5433, "bridge", "logs")
        );
        assert_eq!(pg.password.as_ref().map(Secret::expose), Some("s3cr3t"));
        assert_eq!(pg.sslmode, SslMode::VerifyFull);
        assert_eq!(
            pg.sslrootcert,
            Some(root.path().join("logs-db/sslrootcert"))
        );
        assert!(!format!("{pg} {pg:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_bindings_uri_is_completed_by_its_files() {
        let root = tempfile::tempdir().unwrap();
        write_binding(
            root.path(),
            "db",
            &[
                ("type", "postgresql"),
                ("uri", "postgres://bridge:pw@pg:5432/logs"),
                ("database", "other"),
            ],
        );
        let root_text = root.path().to_str().unwrap();
        let pg = postgres(
            Database::resolve(None, env(&[("SERVICE_BINDING_ROOT", root_text)]))
                .unwrap()
                .unwrap(),
        );
        assert_eq!((pg.host.as_str(), pg.dbname.as_str()), ("pg", "other"));
        assert_eq!(pg.password.as_ref().map(Secret::expose), Some("pw"));
        // No CA certificate: TLS still, unverified.
        assert_eq!(pg.sslmode, SslMode::Require);
    }

    #[test]
    fn several_bindings_need_a_name() {
        let root = tempfile::tempdir().unwrap();
        for name in ["a", "b"] {
            write_binding(
                root.path(),
                name,
                &[("type", "postgresql"), ("host", name), ("username", "u")],
            );
        }
        let root_text = root.path().to_str().unwrap();
        let error = Database::resolve(None, env(&[("SERVICE_BINDING_ROOT", root_text)]))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("several PostgreSQL bindings: a, b"),
            "{error}"
        );
        assert!(error.contains("DATABASE_BINDING"), "{error}");
        let pick = env(&[
            ("SERVICE_BINDING_ROOT", root_text),
            ("DATABASE_BINDING", "b"),
        ]);
        let pg = postgres(Database::resolve(None, pick).unwrap().unwrap());
        assert_eq!(pg.host, "b");
        let missing = env(&[
            ("SERVICE_BINDING_ROOT", root_text),
            ("DATABASE_BINDING", "c"),
        ]);
        let error = Database::resolve(None, missing).unwrap_err().to_string();
        assert!(error.contains("has no binding \"c\""), "{error}");
        // A binding without the values a connection needs says which is missing.
        write_binding(root.path(), "c", &[("type", "postgresql"), ("host", "h")]);
        let incomplete = env(&[
            ("SERVICE_BINDING_ROOT", root_text),
            ("DATABASE_BINDING", "c"),
        ]);
        let error = Database::resolve(None, incomplete).unwrap_err().to_string();
        assert!(error.contains("names no user"), "{error}");
    }
}
