//! The transactional loader: records in, rows of every entity out. This module is
//! SQLite's (the rules below); `postgres` keeps the same rules on PostgreSQL, and
//! [`Store`] is either.
//!
//! - One transaction per batch; a record that cannot be stored fails its batch,
//!   naming the record's key and the field, and the database stays as it was before
//!   that batch.
//! - Upserts by stable keys, so loading the same records again changes nothing. A
//!   re-sent root record replaces all its descendants, so a child that disappeared
//!   from it (say, a message's intents changed) is not left behind.
//! - WAL mode with `synchronous = NORMAL`: a committed transaction survives the
//!   process being killed (SIGKILL included), since it is in the WAL file when the
//!   commit returns; the WAL is synced to disk at each checkpoint rather than at each
//!   commit, so a power cut may take the last commits back, never the database's
//!   integrity. 16 KiB pages in a new file, a page cache of 6 MiB, a busy timeout,
//!   and cached prepared statements.
//! - The schema is created when the database has none of the model's tables, and a
//!   database whose schema differs from the model is refused, naming the first
//!   difference, instead of being written into.

mod checkpoint;
pub mod files;
mod plan;
mod postgres;
mod prepared;
mod read_back;
mod rows;
mod schema;
mod store;
mod value;

use std::path::Path;
use std::time::Duration;

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::Model;
use rusqlite::types::{ToSqlOutput, Value as Sql};
use rusqlite::{CachedStatement, Connection, Transaction};

use crate::record::Record;
use crate::Artifacts;

pub use checkpoint::Checkpointer;
pub use plan::upsert;
pub use postgres::{check_schema as check_postgres_schema, PgLoader, PgWriting};
pub use prepared::{Prepared, PreparedRoot, PreparedRow};
pub use read_back::read_back;
pub use rows::{bound_value, Row, Walker};
pub use schema::{
    check_schema, content_hash, ensure_schema, foreign_objects, refuse_foreign, SchemaError,
    STATE_PREFIX,
};
pub use store::{Foreign, Store, StoreWriting};

/// The page size of a database file a loader creates, in bytes (see [`Loader::open`]).
pub const PAGE_SIZE: i64 = 16 << 10;

/// SQLite's page cache of a loader, in KiB (see [`Loader::open`]).
pub const CACHE_KIB: i64 = 6 << 10;

/// The bytes a WAL file keeps after a checkpoint (SQLite's `journal_size_limit`).
const JOURNAL_SIZE_LIMIT: i64 = 16 << 20;

/// Why records could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A record has a value its column cannot take, or lacks a key.
    #[error("record {key} of {entity}: field {field}: {message}")]
    Record {
        /// The entity (`Messages`).
        entity: String,
        /// The record's key, as `column=value` pairs (or its position in the batch).
        key: String,
        /// The field's data path (`input_message_content.type`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The database's schema is not the model's.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error(transparent)]
    Postgres(#[from] crate::postgres::PgError),
    /// What the database cannot do (yet).
    #[error("{0}")]
    Unsupported(String),
}

/// Cuts `records` into batches of `size` and writes each with `write` (one
/// transaction, returning its rows), adding up what they wrote; stops at the first
/// batch that fails.
fn in_batches<I, W>(records: I, size: usize, mut write: W) -> Result<Stats, LoadError>
where
    I: IntoIterator,
    W: FnMut(&[I::Item]) -> Result<u64, LoadError>,
{
    let mut stats = Stats::default();
    let mut batch = Vec::with_capacity(size);
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        batch.clear();
        batch.extend(records.by_ref().take(size));
        stats.rows += write(&batch)?;
        stats.records += batch.len() as u64;
        stats.batches += 1;
    }
    Ok(stats)
}

/// Counts of what a load wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Root records loaded.
    pub records: u64,
    /// Rows upserted, all entities together.
    pub rows: u64,
    /// Batches committed.
    pub batches: u64,
}

/// Loads records of one model into one SQLite database.
pub struct Loader<'m> {
    conn: Connection,
    model: &'m Model,
    walker: Walker<'m>,
    plans: Vec<plan::TablePlan>,
    /// `SELECT 1 FROM <root> WHERE <key>`: whether a root record is stored already.
    stored: String,
    /// Whether the next write pass takes the tables in reverse order. Passes
    /// alternate, so each starts with the table the last one ended with, whose
    /// index pages the cache still holds: with random keys each pass touches nearly
    /// every page of each index, and the five do not fit the cache together. At
    /// 20,000 conversations a sync made 6 % fewer `pwrite64` and 11 % fewer
    /// `pread64` (bench/profiles/sync.md, sixth pass).
    reversed: bool,
    batch_size: usize,
}

impl<'m> Loader<'m> {
    /// Opens (or creates) the database at `path` for a bridge: WAL mode, a 5 s busy
    /// timeout, the schema created from the bridge's DDL if absent and checked against
    /// its model if present.
    pub fn open(path: &Path, artifacts: &'m Artifacts) -> Result<Self, LoadError> {
        Self::with_connection(Connection::open(path)?, artifacts)
    }

    /// The same on a connection the caller opened.
    pub fn with_connection(conn: Connection, artifacts: &'m Artifacts) -> Result<Self, LoadError> {
        let model = &artifacts.model;
        // Taken by a new file only (before its first table and before WAL mode);
        // one that exists keeps its own. Larger pages mean fewer reads and writes for
        // the same bytes, and fewer bytes where a random key dirties an index page:
        // at 200,000 records a sync wrote 2.94x the file instead of 3.03x, in 10%
        // less time (BENCHMARKS.md). CAP and every SQLite read any page size.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        // WAL lets readers (the OData server, `cds serve`) read while a batch is written.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // An fsync per commit would only guard against power loss (see the module
        // docs), and it is what a sync's commits wait for most.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A large transaction grows the WAL file; after the checkpoint that follows
        // it, the file is cut back to this instead of staying at its largest.
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Keys are random (UUIDs), so every row lands on an index page of its own:
        // with SQLite's 2 MB default each is read back from the file and spilled to
        // the WAL again and again within one transaction. 6 MiB cut a 20,000-record
        // sync's system time by a fifth for 4 MB more memory (BENCHMARKS.md).
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.set_prepared_statement_cache_capacity(64);
        ensure_schema(&conn, model, &artifacts.ddl)?;
        Ok(Loader {
            conn,
            model,
            walker: Walker::new(model),
            plans: plan::plan(model, Dialect::Sqlite),
            stored: format!(
                "SELECT 1 FROM {}",
                plan::root_by_key(model, Dialect::Sqlite)
            ),
            reversed: false,
            batch_size: 500,
        })
    }

    /// Takes checkpoints off this connection, for the rest of its life, onto a
    /// thread of their own (see [`Checkpointer`]); `None` for a database in memory,
    /// or where the thread cannot be had.
    pub fn checkpoint_aside(&self) -> Option<Checkpointer> {
        let path = self.conn.path().filter(|path| !path.is_empty())?;
        Checkpointer::start(&self.conn, Path::new(path))
    }

    /// Records per transaction (default 500).
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = records.max(1);
        self
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Loads root records, one transaction per batch. On error, the batches before
    /// the failing one stay committed and the failing one leaves no trace.
    pub fn load<I>(&mut self, records: I) -> Result<Stats, LoadError>
    where
        I: IntoIterator,
        I::Item: Record,
    {
        in_batches(records, self.batch_size, |batch| {
            let mut writing = self.begin()?;
            let rows = writing.load(batch)?;
            writing.commit()?;
            Ok(rows)
        })
    }

    /// Starts a transaction that several loads can share (see [`Writing`]).
    pub fn begin(&mut self) -> Result<Writing<'_, 'm>, LoadError> {
        Ok(Writing {
            tx: self.conn.transaction()?,
            walker: &self.walker,
            plans: &self.plans,
            stored: &self.stored,
            reversed: &mut self.reversed,
            rows: 0,
        })
    }

    /// Erases one root record and every row that descends from it (GDPR erasure),
    /// in one transaction. Returns the rows deleted.
    pub fn purge(&mut self, key: &[Sql]) -> Result<u64, LoadError> {
        let tx = self.conn.transaction()?;
        let mut rows = 0;
        for plan in self.plans.iter().skip(1) {
            if let Some(delete) = &plan.delete_by_root {
                rows += tx
                    .prepare_cached(delete)?
                    .execute(rusqlite::params_from_iter(key.iter()))?
                    as u64;
            }
        }
        let delete_root = format!(
            "DELETE FROM {}",
            plan::root_by_key(self.model, Dialect::Sqlite)
        );
        rows += tx.execute(&delete_root, rusqlite::params_from_iter(key.iter()))? as u64;
        tx.commit()?;
        Ok(rows)
    }
}

/// Loads into one transaction that commits them together with
/// [`commit`](Writing::commit) (a sync commits several windows so, each with its
/// watermark: [`write_with`](Writing::write_with)); dropped without a commit, it rolls
/// back whole. There is no savepoint per load: in a large transaction SQLite would
/// copy every page a load touches again into a statement journal on disk.
pub struct Writing<'l, 'm> {
    tx: Transaction<'l>,
    walker: &'l Walker<'m>,
    plans: &'l [plan::TablePlan],
    stored: &'l str,
    reversed: &'l mut bool,
    rows: u64,
}

impl Writing<'_, '_> {
    /// Loads `records`; returns the rows written. On error part of them may be
    /// written: drop the `Writing` then (it rolls back whole), do not commit it.
    pub fn load<R: Record>(&mut self, records: &[R]) -> Result<u64, LoadError> {
        let prepared = Prepared::new(self.walker, records)?;
        self.write_with(&prepared, |_| Ok(()))
    }

    /// Writes rows walked ahead (of this loader's model), then the writes of `also`
    /// (a sync's watermark); returns the rows written. On error, as [`load`](Self::load).
    pub fn write_with<F>(&mut self, prepared: &Prepared, also: F) -> Result<u64, LoadError>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<()>,
    {
        let mut statements = Statements::prepare(&self.tx, self.plans, self.stored)?;
        if prepared.repeats_a_root() {
            // A later copy of a record must replace the earlier one's rows.
            for root in prepared.roots() {
                statements.replace(root)?;
                root.rows().try_for_each(|row| statements.upsert(row))?;
            }
        } else {
            // Table by table (see `Prepared::by_entity`); a re-sent record's old
            // descendants go first.
            for root in prepared.roots() {
                statements.replace(root)?;
            }
            // Each pass starts with the table the one before ended with, whose index
            // pages are still in the cache (see `Loader::reversed`).
            if *self.reversed {
                prepared
                    .by_entity_reversed()
                    .try_for_each(|row| statements.upsert(row))?;
            } else {
                prepared
                    .by_entity()
                    .try_for_each(|row| statements.upsert(row))?;
            }
            *self.reversed = !*self.reversed;
        }
        drop(statements);
        also(&self.tx)?;
        let rows = prepared.row_count() as u64;
        self.rows += rows;
        Ok(rows)
    }

    /// Rows written so far, all loads together.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Commits every load.
    pub fn commit(self) -> Result<(), LoadError> {
        Ok(self.tx.commit()?)
    }
}

/// The statements that write records, prepared once for a whole load: looked up
/// per row, a cached statement costs a hash of its whole SQL text.
struct Statements<'c> {
    /// Per entity, its upsert.
    upserts: Vec<CachedStatement<'c>>,
    /// Per descendant of the root, its delete by the root's key.
    deletes: Vec<CachedStatement<'c>>,
    /// Whether a root record is stored already.
    stored: CachedStatement<'c>,
}

impl<'c> Statements<'c> {
    fn prepare(
        conn: &'c Connection,
        plans: &[plan::TablePlan],
        stored: &str,
    ) -> rusqlite::Result<Self> {
        Ok(Statements {
            upserts: plans
                .iter()
                .map(|p| conn.prepare_cached(&p.upsert))
                .collect::<Result<_, _>>()?,
            deletes: plans
                .iter()
                .filter_map(|p| p.delete_by_root.as_deref())
                .map(|delete| conn.prepare_cached(delete))
                .collect::<Result<_, _>>()?,
            stored: conn.prepare_cached(stored)?,
        })
    }

    /// Deletes the descendants of `root` if it is stored already: a re-sent record
    /// replaces them (see the module docs); a new one, the common case, has none.
    fn replace(&mut self, root: PreparedRoot<'_>) -> Result<(), LoadError> {
        if let Some(key) = root.key() {
            let params = || rusqlite::params_from_iter(key.clone().map(ToSqlOutput::Borrowed));
            if self.stored.exists(params())? {
                for delete in &mut self.deletes {
                    delete.execute(params())?;
                }
            }
        }
        Ok(())
    }

    /// Upserts one row.
    fn upsert(&mut self, row: PreparedRow<'_>) -> Result<(), LoadError> {
        // Bound by position: a row holds a value per parameter of its upsert.
        let upsert = &mut self.upserts[row.entity()];
        for (i, value) in row.values().enumerate() {
            upsert.raw_bind_parameter(i + 1, ToSqlOutput::Borrowed(value))?;
        }
        upsert.raw_execute()?;
        Ok(())
    }
}
