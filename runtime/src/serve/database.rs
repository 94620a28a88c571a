//! The database the server reads, opened when it can be: at start, or (for `serve
//! --sync-every`, whose first sync may create it) at the first request or probe after
//! it exists and its schema is the model's. Until then OData requests are answered
//! 503 and `/health/ready` holds.
//!
//! Either database is checked as the loader checks it (tables column by column, and
//! the views), so a database of another model (or none yet) is refused naming the
//! first difference, before any client sees a 500.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

use cai_bridge_model::Model;

use super::connection::Connection;
use super::pool::Pool;
use super::{READERS, REQUEST_TIMEOUT};
use crate::database_url::{self, Postgres};
use crate::load::{check_postgres_schema, check_schema, LoadError, SchemaError};
use crate::postgres::{self as pg, PgError};

/// The database and, once it is ready, its reader pool.
pub(super) struct Database {
    backend: Backend,
    pool: OnceLock<Readers>,
    /// Held while the database is checked, so concurrent requests check it once.
    opening: Mutex<()>,
}

enum Backend {
    Sqlite { path: PathBuf, model: Box<Model> },
    Postgres { pg: Postgres, model: Box<Model> },
}

/// The connections requests read with.
pub(super) enum Readers {
    /// Read-only SQLite connections.
    Sqlite(Pool),
    /// PostgreSQL clients.
    Postgres(deadpool_postgres::Pool, Postgres),
}

/// Why the database cannot be read yet.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotReady {
    /// No file yet.
    #[error("no database at {0} yet")]
    Missing(PathBuf),
    /// The database is not (yet) the model's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// PostgreSQL cannot be reached.
    #[error(transparent)]
    Postgres(#[from] PgError),
}

impl Database {
    /// A database that is opened when first needed.
    pub(super) fn later(db: &database_url::Database, model: Model) -> Self {
        let backend = match db {
            database_url::Database::Sqlite(path) => Backend::Sqlite {
                path: path.clone(),
                model: Box::new(model),
            },
            database_url::Database::Postgres(pg) => Backend::Postgres {
                pg: pg.clone(),
                model: Box::new(model),
            },
        };
        Database {
            backend,
            pool: OnceLock::new(),
            opening: Mutex::new(()),
        }
    }

    /// The reader pool if it is open, without opening it.
    pub(super) fn opened(&self) -> Option<&Readers> {
        self.pool.get()
    }

    /// The reader pool, opening it and checking the schema if not done yet. Runs on a
    /// blocking thread (it waits for PostgreSQL there).
    pub(super) fn pool(&self) -> Result<&Readers, NotReady> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let _opening = self.opening.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let readers = match &self.backend {
            Backend::Sqlite { path, model } => {
                if !path.is_file() {
                    return Err(NotReady::Missing(path.clone()));
                }
                let pool = Pool::new(path.clone(), READERS).map_err(SchemaError::from)?;
                check_schema(&*pool.get().map_err(SchemaError::from)?, model)?;
                tracing::info!(db = %path.display(), "the database is ready");
                Readers::Sqlite(pool)
            }
            Backend::Postgres { pg, model } => {
                let pool = pg::readers(pg, READERS, REQUEST_TIMEOUT)?;
                let runtime = tokio::runtime::Handle::current();
                let client = runtime.block_on(pg::client(&pool, pg))?;
                runtime
                    .block_on(check_postgres_schema(&client, pg, model))
                    .map_err(|e| match e {
                        LoadError::Postgres(e) => NotReady::Postgres(e),
                        LoadError::Schema(e) => NotReady::Schema(e),
                        other => NotReady::Schema(SchemaError::Mismatch(other.to_string())),
                    })?;
                drop(client);
                tracing::info!(db = %pg::location(pg), "the database is ready");
                Readers::Postgres(pool, pg.clone())
            }
        };
        Ok(self.pool.get_or_init(|| readers))
    }
}

/// A connection from `readers`, used by `read` within its blocking thread.
pub(super) enum Pooled<'p> {
    Sqlite(super::pool::Pooled<'p>),
    Postgres(deadpool_postgres::Object),
}

impl Readers {
    /// A connection (waiting for PostgreSQL's on this blocking thread).
    pub(super) fn get(&self) -> Result<Pooled<'_>, String> {
        match self {
            Readers::Sqlite(pool) => pool.get().map(Pooled::Sqlite).map_err(|e| e.to_string()),
            Readers::Postgres(pool, pg) => tokio::runtime::Handle::current()
                .block_on(pg::client(pool, pg))
                .map(Pooled::Postgres)
                .map_err(|e| e.to_string()),
        }
    }

    /// Frees what idle SQLite connections cache.
    pub(super) fn release_idle(&self) {
        if let Readers::Sqlite(pool) = self {
            pool.release_idle();
        }
    }
}

impl Pooled<'_> {
    /// The connection to read with.
    pub(super) fn connection(&self) -> Connection<'_> {
        match self {
            Pooled::Sqlite(conn) => Connection::Sqlite(conn),
            Pooled::Postgres(client) => Connection::Postgres(client),
        }
    }
}
