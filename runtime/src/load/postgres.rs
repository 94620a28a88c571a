//! The loader on PostgreSQL (being written).

use std::marker::PhantomData;

use rusqlite::types::Value as Sql;

use super::store::Foreign;
use super::{LoadError, Stats};
use crate::database_url::Postgres;
use crate::record::Record;
use crate::Artifacts;

/// Loads records of one model into one PostgreSQL database.
pub struct PgLoader<'m> {
    model: &'m cai_bridge_model::Model,
    pg: Postgres,
    runtime: tokio::runtime::Handle,
}

/// A transaction of a [`PgLoader`].
pub struct PgWriting<'l, 'm> {
    loader: PhantomData<&'l PgLoader<'m>>,
}

impl<'m> PgLoader<'m> {
    /// Connects to `pg`.
    pub fn open(
        _runtime: tokio::runtime::Handle,
        pg: &Postgres,
        _artifacts: &'m Artifacts,
        _foreign: Foreign,
    ) -> Result<Self, LoadError> {
        Err(LoadError::Unsupported(format!(
            "loading into PostgreSQL ({}) is not there yet",
            crate::postgres::location(pg)
        )))
    }

    /// The model loaded.
    pub fn model(&self) -> &'m cai_bridge_model::Model {
        unreachable!()
    }

    /// Loads root records.
    pub fn load<I>(&mut self, _records: I) -> Result<Stats, LoadError>
    where
        I: IntoIterator,
        I::Item: Record,
    {
        unreachable!()
    }

    /// Erases one root record.
    pub fn purge(&mut self, _key: &[Sql]) -> Result<u64, LoadError> {
        unreachable!()
    }

    /// Runs a statement.
    pub fn execute(&mut self, _sql: &str, _params: &[&str]) -> Result<u64, LoadError> {
        unreachable!()
    }

    /// The first value of a query.
    pub fn query_text(
        &mut self,
        _sql: &str,
        _params: &[&str],
    ) -> Result<Option<String>, LoadError> {
        unreachable!()
    }

    /// Starts a transaction.
    pub fn begin(&mut self) -> Result<PgWriting<'_, 'm>, LoadError> {
        unreachable!()
    }
}

impl PgWriting<'_, '_> {
    /// Loads records.
    pub fn load<R: Record>(&mut self, _records: &[R]) -> Result<u64, LoadError> {
        unreachable!()
    }

    /// Loads records and a statement.
    pub fn load_with<R: Record>(
        &mut self,
        _records: &[R],
        _also: (&str, &[&str]),
    ) -> Result<u64, LoadError> {
        unreachable!()
    }

    /// Rows written.
    pub fn rows(&self) -> u64 {
        unreachable!()
    }

    /// Commits.
    pub fn commit(self) -> Result<(), LoadError> {
        unreachable!()
    }
}
