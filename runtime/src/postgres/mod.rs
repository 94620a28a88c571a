//! Connections to a PostgreSQL database: TLS as its `sslmode` asks (certificates
//! verified for `verify-ca` and `verify-full`), and a pool of them from
//! `deadpool-postgres`, shared by the loader and the OData server.
//!
//! Errors never hold the password: `tokio-postgres` does not print its
//! configuration, and [`PgError`] says where it connected as `user@host:port/db`.

mod tls;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

use crate::database_url::{Postgres, SslMode};

/// Why a PostgreSQL database could not be reached or used.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// Connecting, or a statement, failed.
    #[error("PostgreSQL at {at}: {}", describe(.source))]
    Server {
        /// `user@host:port/dbname`, never the password.
        at: String,
        /// What the server or the connection said.
        source: tokio_postgres::Error,
    },
    /// The pool gave no connection (the server is down, or every one is in use).
    #[error("PostgreSQL at {at}: no connection: {message}")]
    Pool {
        /// `user@host:port/dbname`.
        at: String,
        /// What the pool said.
        message: String,
    },
    /// The TLS settings cannot be used (an unreadable or empty CA file).
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
}

/// The server's own message and its SQLSTATE where it sent one, else the client's
/// with its causes (a TLS handshake fails for a reason: an unknown issuer, a name).
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(source) = cause {
        let more = source.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = source.source();
    }
    text
}

/// `user@host:port/dbname`: where `pg` points, for messages.
pub fn location(pg: &Postgres) -> String {
    format!("{}@{}:{}/{}", pg.user, pg.host, pg.port, pg.dbname)
}

/// `tokio-postgres`'s configuration of `pg`; the TLS mode is the connector's.
pub fn config(pg: &Postgres) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&pg.host)
        .port(pg.port)
        .user(&pg.user)
        .dbname(&pg.dbname)
        .application_name("cai-bridge")
        .connect_timeout(Duration::from_secs(10))
        .ssl_mode(match pg.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
    if let Some(password) = &pg.password {
        config.password(password.expose());
    }
    config
}

/// A pool of at most `size` connections to `pg`. Connections open when first
/// needed, at the first [`client`].
pub fn pool(pg: &Postgres, size: usize) -> Result<Pool, PgError> {
    pool_with(pg, size, config(pg))
}

/// A pool of readers whose statements the server itself cancels after `limit`
/// (`statement_timeout`): a request the OData server gave up on does not leave its
/// query running in the database.
pub fn readers(pg: &Postgres, size: usize, limit: Duration) -> Result<Pool, PgError> {
    let mut config = config(pg);
    config.options(format!("-c statement_timeout={}", limit.as_millis()));
    pool_with(pg, size, config)
}

fn pool_with(pg: &Postgres, size: usize, config: tokio_postgres::Config) -> Result<Pool, PgError> {
    let manager = Manager::from_config(
        config,
        tls::connector(pg)?,
        ManagerConfig {
            // A connection back from a failed transaction is rolled back and
            // checked before reuse.
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(15)))
        .build()
        .map_err(|e| PgError::Pool {
            at: location(pg),
            message: e.to_string(),
        })
}

/// A connection from `pool`, `pg` naming it in errors.
pub async fn client(pool: &Pool, pg: &Postgres) -> Result<deadpool_postgres::Object, PgError> {
    pool.get().await.map_err(|e| match e {
        deadpool_postgres::PoolError::Backend(source) => PgError::Server {
            at: location(pg),
            source,
        },
        other => PgError::Pool {
            at: location(pg),
            message: other.to_string(),
        },
    })
}

/// A [`PgError`] for a failed statement on `pg`.
pub fn failed(pg: &Postgres) -> impl Fn(tokio_postgres::Error) -> PgError + '_ {
    move |source| PgError::Server {
        at: location(pg),
        source,
    }
}
