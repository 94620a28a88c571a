//! The loader of whichever database a bridge names: a SQLite file ([`Loader`]) or
//! PostgreSQL ([`PgLoader`]). `sync`, `load` and `purge` write through this, so the
//! rules of a load (one transaction per batch or window, upserts by stable keys,
//! children of a re-sent record replaced) hold on both.

use cai_bridge_model::dialect::Dialect;
use rusqlite::types::Value as Sql;

use super::postgres::{PgLoader, PgWriting};
use super::{refuse_foreign, Checkpointer, LoadError, Loader, Prepared, Stats, Writing};
use crate::database_url::Database;
use crate::record::Record;
use crate::Artifacts;

/// Whether a database holding tables the model did not create may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreign {
    /// Refuse it, naming the tables (`sync` without `--adopt`).
    Refuse,
    /// Add the bridge's tables beside them.
    Adopt,
}

/// A loader on SQLite or PostgreSQL.
// One store lives per run, never in a collection: boxing either side buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum Store<'m> {
    /// A SQLite file.
    Sqlite(Loader<'m>),
    /// A PostgreSQL database.
    Postgres(PgLoader<'m>),
}

impl<'m> Store<'m> {
    /// Opens `db` for `artifacts`' model, creating its schema where it has none and
    /// checking it where it has one. `runtime` runs PostgreSQL's connection (call
    /// from outside any async context).
    pub fn open(
        runtime: &tokio::runtime::Runtime,
        db: &Database,
        artifacts: &'m Artifacts,
        foreign: Foreign,
    ) -> Result<Self, LoadError> {
        match db {
            Database::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path)?;
                if foreign == Foreign::Refuse {
                    refuse_foreign(&conn, &artifacts.ddl)?;
                }
                Ok(Store::Sqlite(Loader::with_connection(conn, artifacts)?))
            }
            Database::Postgres(pg) => Ok(Store::Postgres(PgLoader::open(
                runtime.handle().clone(),
                pg,
                artifacts,
                foreign,
            )?)),
        }
    }

    /// The model loaded.
    pub fn model(&self) -> &'m cai_bridge_model::Model {
        match self {
            Store::Sqlite(loader) => loader.model,
            Store::Postgres(loader) => loader.model(),
        }
    }

    /// A SQLite file's checkpoints on a thread of their own (see [`Checkpointer`]);
    /// PostgreSQL has nothing of the kind.
    pub fn checkpoint_aside(&self) -> Option<Checkpointer> {
        match self {
            Store::Sqlite(loader) => loader.checkpoint_aside(),
            Store::Postgres(_) => None,
        }
    }

    /// The SQL dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Loads root records, one transaction per batch (see [`Loader::load`]).
    pub fn load<I>(&mut self, records: I) -> Result<Stats, LoadError>
    where
        I: IntoIterator,
        I::Item: Record,
    {
        match self {
            Store::Sqlite(loader) => loader.load(records),
            Store::Postgres(loader) => loader.load(records),
        }
    }

    /// Erases one root record and everything that descends from it, in one
    /// transaction; returns the rows deleted.
    pub fn purge(&mut self, key: &[Sql]) -> Result<u64, LoadError> {
        match self {
            Store::Sqlite(loader) => loader.purge(key),
            Store::Postgres(loader) => loader.purge(key),
        }
    }

    /// Runs `sql` (in this database's dialect) with text parameters, outside any
    /// transaction of ours: the bridge's own state table, say.
    pub fn execute(&mut self, sql: &str, params: &[&str]) -> Result<u64, LoadError> {
        match self {
            Store::Sqlite(loader) => Ok(loader
                .connection()
                .execute(sql, rusqlite::params_from_iter(params))?
                as u64),
            Store::Postgres(loader) => loader.execute(sql, params),
        }
    }

    /// The first column of the first row `sql` gives, as text (`None` for no row or
    /// a NULL).
    pub fn query_text(&mut self, sql: &str, params: &[&str]) -> Result<Option<String>, LoadError> {
        match self {
            Store::Sqlite(loader) => {
                use rusqlite::OptionalExtension;
                Ok(loader
                    .connection()
                    .query_row(sql, rusqlite::params_from_iter(params), |r| {
                        r.get::<_, Option<String>>(0)
                    })
                    .optional()?
                    .flatten())
            }
            Store::Postgres(loader) => loader.query_text(sql, params),
        }
    }

    /// Takes the right to sync this database, without waiting: on PostgreSQL an
    /// advisory lock held until [`unlock_sync`](Self::unlock_sync) or until the
    /// store is dropped, `false` when another process holds it; on SQLite always
    /// `true` (SQLite lets one writer in at a time by itself).
    pub fn try_lock_sync(&mut self) -> Result<bool, LoadError> {
        match self {
            Store::Sqlite(_) => Ok(true),
            Store::Postgres(loader) => loader.try_lock_sync(),
        }
    }

    /// Gives the right to sync back.
    pub fn unlock_sync(&mut self) -> Result<(), LoadError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(loader) => loader.unlock_sync(),
        }
    }

    /// Brings the database's planner statistics up to date after a load that wrote
    /// many rows: `ANALYZE` on PostgreSQL; nothing on SQLite, where CAP reads the file
    /// as the bridge left it and statistics would change its plans.
    pub fn analyze(&mut self) -> Result<(), LoadError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(loader) => loader.analyze(),
        }
    }

    /// A SHA-256 over every row of every model table in key order, the same for
    /// the same content on SQLite and PostgreSQL.
    pub fn content_hash(&mut self) -> Result<String, LoadError> {
        match self {
            Store::Sqlite(loader) => Ok(super::content_hash(loader.connection(), loader.model)?),
            Store::Postgres(loader) => loader.content_hash(),
        }
    }

    /// Starts a transaction that several loads share until [`StoreWriting::commit`].
    pub fn begin(&mut self) -> Result<StoreWriting<'_, 'm>, LoadError> {
        Ok(match self {
            Store::Sqlite(loader) => StoreWriting::Sqlite(loader.begin()?),
            Store::Postgres(loader) => StoreWriting::Postgres(loader.begin()?),
        })
    }
}

/// A transaction of a [`Store`]: rolled back whole when dropped uncommitted.
pub enum StoreWriting<'l, 'm> {
    /// On SQLite.
    Sqlite(Writing<'l, 'm>),
    /// On PostgreSQL.
    Postgres(PgWriting<'l, 'm>),
}

impl StoreWriting<'_, '_> {
    /// Loads `records`; returns the rows written. On error, drop the transaction
    /// (it rolls back whole), do not commit it.
    pub fn load<R: Record>(&mut self, records: &[R]) -> Result<u64, LoadError> {
        match self {
            StoreWriting::Sqlite(writing) => writing.load(records),
            StoreWriting::Postgres(writing) => writing.load(records),
        }
    }

    /// Writes rows walked ahead and then runs `also` (SQL in the store's dialect,
    /// text parameters: a sync's watermark) in the same transaction; returns the
    /// rows written.
    pub fn write_with(
        &mut self,
        prepared: &Prepared,
        also: (&str, &[&str]),
    ) -> Result<u64, LoadError> {
        match self {
            StoreWriting::Sqlite(writing) => writing.write_with(prepared, |conn| {
                conn.execute(also.0, rusqlite::params_from_iter(also.1))
                    .map(drop)
            }),
            StoreWriting::Postgres(writing) => writing.write_with(prepared, also),
        }
    }

    /// Rows written so far, all loads together.
    pub fn rows(&self) -> u64 {
        match self {
            StoreWriting::Sqlite(writing) => writing.rows(),
            StoreWriting::Postgres(writing) => writing.rows(),
        }
    }

    /// Commits every load.
    pub fn commit(self) -> Result<(), LoadError> {
        match self {
            StoreWriting::Sqlite(writing) => writing.commit(),
            StoreWriting::Postgres(writing) => writing.commit(),
        }
    }
}
