//! The transactional SQLite loader: records in, rows of every entity out.
//!
//! - One transaction per batch; a record that cannot be stored fails its batch,
//!   naming the record's key and the field, and the database stays as it was before
//!   that batch.
//! - Upserts by stable keys, so loading the same records again changes nothing. A
//!   re-sent root record replaces all its descendants, so a child that disappeared
//!   from it (say, a message's intents changed) is not left behind.
//! - WAL mode, a busy timeout, and cached prepared statements.
//! - The schema is created when the database has none of the model's tables, and a
//!   database whose schema differs from the model is refused, naming the first
//!   difference, instead of being written into.

pub mod files;
mod plan;
mod read_back;
mod rows;
mod schema;
mod value;

use std::path::Path;
use std::time::Duration;

use cai_bridge_model::Model;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, Transaction};

use crate::record::Record;
use crate::Artifacts;

pub use plan::upsert;
pub use read_back::read_back;
pub use rows::{bound_value, Row, Walker};
pub use schema::{
    check_schema, content_hash, ensure_schema, foreign_objects, refuse_foreign, SchemaError,
    STATE_PREFIX,
};

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
        // WAL lets readers (the OData server, `cds serve`) read while a batch is written.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        ensure_schema(&conn, model, &artifacts.ddl)?;
        Ok(Loader {
            conn,
            model,
            walker: Walker::new(model),
            plans: plan::plan(model),
            batch_size: 500,
        })
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
        let mut stats = Stats::default();
        let mut batch = Vec::with_capacity(self.batch_size);
        for record in records {
            batch.push(record);
            if batch.len() == self.batch_size {
                self.load_batch(&batch, &mut stats)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            self.load_batch(&batch, &mut stats)?;
        }
        Ok(stats)
    }

    fn load_batch<R: Record>(&mut self, batch: &[R], stats: &mut Stats) -> Result<(), LoadError> {
        let tx = self.conn.transaction()?;
        let mut rows = 0;
        for record in batch {
            rows += write_record(&tx, &self.walker, &self.plans, record)?;
        }
        tx.commit()?;
        stats.records += batch.len() as u64;
        stats.rows += rows;
        stats.batches += 1;
        Ok(())
    }

    /// Loads `records` in one transaction together with the writes of `also` (a sync
    /// watermark, say): both commit, or neither does.
    pub fn load_with<R, F>(&mut self, records: &[R], also: F) -> Result<u64, LoadError>
    where
        R: Record,
        F: FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
    {
        let tx = self.conn.transaction()?;
        let mut rows = 0;
        for record in records {
            rows += write_record(&tx, &self.walker, &self.plans, record)?;
        }
        also(&tx)?;
        tx.commit()?;
        Ok(rows)
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
        let root = self.model.root();
        let conditions: Vec<String> = root
            .keys()
            .enumerate()
            .map(|(i, f)| {
                format!(
                    "{} = ?{}",
                    cai_bridge_model::dialect::Dialect::Sqlite.ident(&f.name),
                    i + 1
                )
            })
            .collect();
        let delete_root = format!(
            "DELETE FROM {} WHERE {}",
            cai_bridge_model::dialect::Dialect::Sqlite.ident(&self.model.table(&root.name)),
            conditions.join(" AND ")
        );
        rows += tx.execute(&delete_root, rusqlite::params_from_iter(key.iter()))? as u64;
        tx.commit()?;
        Ok(rows)
    }
}

/// Writes one root record with all its descendants; returns the rows written.
fn write_record(
    tx: &Transaction<'_>,
    walker: &Walker<'_>,
    plans: &[plan::TablePlan],
    record: &dyn Record,
) -> Result<u64, LoadError> {
    if let Some(key) = walker.root_key(record) {
        // A re-sent record replaces its descendants (see the module docs).
        for plan in plans.iter().skip(1) {
            if let Some(delete) = &plan.delete_by_root {
                tx.prepare_cached(delete)?
                    .execute(rusqlite::params_from_iter(key.iter()))?;
            }
        }
    }
    walker.walk(record, &mut |row| {
        tx.prepare_cached(&plans[row.entity.0].upsert)?
            .execute(rusqlite::params_from_iter(row.values.iter()))?;
        Ok(())
    })
}
