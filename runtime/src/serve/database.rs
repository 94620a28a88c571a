//! The database the server reads, opened when it can be: at start, or (for `serve
//! --sync-every`, whose first sync may create the file) at the first request or
//! probe after the file exists and its schema is the model's. Until then OData
//! requests are answered 503 and `/health/ready` holds.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

use cai_bridge_model::Model;

use super::pool::Pool;
use super::READERS;
use crate::load::{check_schema, SchemaError};

/// The database file and, once it is ready, its reader pool.
pub(super) struct Database {
    path: PathBuf,
    model: Model,
    pool: OnceLock<Pool>,
    /// Held while the file is checked, so concurrent requests check it once.
    opening: Mutex<()>,
}

/// Why the database cannot be read yet.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotReady {
    /// No file yet.
    #[error("no database at {0} yet")]
    Missing(PathBuf),
    /// The file is not (yet) the model's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl Database {
    /// A database that is opened when first needed.
    pub(super) fn later(path: PathBuf, model: Model) -> Self {
        Database {
            path,
            model,
            pool: OnceLock::new(),
            opening: Mutex::new(()),
        }
    }

    /// The reader pool if it is open, without opening it.
    pub(super) fn opened(&self) -> Option<&Pool> {
        self.pool.get()
    }

    /// The reader pool, opening it and checking the schema if not done yet.
    pub(super) fn pool(&self) -> Result<&Pool, NotReady> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let _opening = self.opening.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        if !self.path.is_file() {
            return Err(NotReady::Missing(self.path.clone()));
        }
        let pool = Pool::new(self.path.clone(), READERS).map_err(SchemaError::from)?;
        check_schema(&*pool.get().map_err(SchemaError::from)?, &self.model)?;
        tracing::info!(db = %self.path.display(), "the database is ready");
        Ok(self.pool.get_or_init(|| pool))
    }
}
