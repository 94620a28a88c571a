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

mod plan;
mod read_back;
mod schema;
mod value;

use std::path::Path;
use std::time::Duration;

use cai_bridge_gen::model::{Entity, Model, Role, Step};
use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use rusqlite::{Connection, Transaction};
use serde_json::Value as Json;

use crate::record::{Cell, Member, Record};

pub use read_back::read_back;
pub use schema::{content_hash, ensure_schema, SchemaError};
pub use value::normalize_timestamp;

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
    plans: Vec<plan::TablePlan>,
    batch_size: usize,
}

impl<'m> Loader<'m> {
    /// Opens (or creates) the database at `path` for `model`: WAL mode, a 5 s busy
    /// timeout, the schema created if absent and checked if present.
    pub fn open(path: &Path, model: &'m Model) -> Result<Self, LoadError> {
        Self::with_connection(Connection::open(path)?, model)
    }

    /// The same on a connection the caller opened.
    pub fn with_connection(conn: Connection, model: &'m Model) -> Result<Self, LoadError> {
        // WAL lets readers (the OData server, `cds serve`) read while a batch is written.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        ensure_schema(&conn, model)?;
        Ok(Loader {
            conn,
            model,
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
            rows += write_record(&tx, self.model, &self.plans, record as &dyn Record)?;
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
            rows += write_record(&tx, self.model, &self.plans, record)?;
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
                    cai_bridge_gen::model::naming::sql(&f.name),
                    i + 1
                )
            })
            .collect();
        let delete_root = format!(
            "DELETE FROM {} WHERE {}",
            cai_bridge_gen::model::naming::sql(&self.model.table(&root.name)),
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
    model: &Model,
    plans: &[plan::TablePlan],
    record: &dyn Record,
) -> Result<u64, LoadError> {
    let root = model.root();
    let mut cache = Vec::new();
    let key: Vec<Sql> = root
        .keys()
        .map(|field| {
            resolve(record, &field.source, &mut cache)
                .ok()
                .and_then(|found| {
                    found.with_cell(|cell| value::to_sql(&cell, &field.ty).ok().map(owned))
                })
                .unwrap_or(Sql::Null)
        })
        .collect();
    if !key.contains(&Sql::Null) {
        // A re-sent record replaces its descendants (see the module docs).
        for plan in plans.iter().skip(1) {
            if let Some(delete) = &plan.delete_by_root {
                tx.prepare_cached(delete)?
                    .execute(rusqlite::params_from_iter(key.iter()))?;
            }
        }
    }
    write_row(tx, model, plans, 0, record, &[], None)
}

fn write_row(
    tx: &Transaction<'_>,
    model: &Model,
    plans: &[plan::TablePlan],
    index: usize,
    record: &dyn Record,
    parent_key: &[Sql],
    position: Option<i64>,
) -> Result<u64, LoadError> {
    let entity = &model.entities[index];
    let mut cache = Vec::new();
    let mut values: Vec<ToSqlOutput<'_>> = Vec::with_capacity(entity.fields.len());
    let mut parent_keys = parent_key.iter();
    let mut problem = None;
    for field in &entity.fields {
        let converted = match field.role {
            Role::ParentKey => Ok(ToSqlOutput::Owned(
                parent_keys.next().cloned().unwrap_or(Sql::Null),
            )),
            Role::Position => Ok(ToSqlOutput::Owned(position.map_or(Sql::Null, Sql::Integer))),
            Role::Value => value::to_sql(&record.cell(), &field.ty),
            Role::Data | Role::RawJson => match resolve(record, &field.source, &mut cache) {
                Ok(Found::Member(member)) => match member {
                    Member::Cell(cell) => value::to_sql(&cell, &field.ty),
                    Member::Record(nested) => match nested.json() {
                        Some(json) => value::to_sql(&Cell::Json(json), &field.ty),
                        None => Err("expected a value, found an object".to_owned()),
                    },
                    Member::List(_) => Err("expected a value, found an array".to_owned()),
                },
                Ok(Found::Owned(json)) => {
                    value::to_sql(&json.cell(), &field.ty).map(|v| ToSqlOutput::Owned(owned(v)))
                }
                Err(message) => Err(message),
            },
        };
        let value = converted.unwrap_or_else(|message| {
            problem.get_or_insert((field_path(field.role, &field.source, &field.name), message));
            ToSqlOutput::Owned(Sql::Null)
        });
        let null = matches!(
            value,
            ToSqlOutput::Owned(Sql::Null) | ToSqlOutput::Borrowed(ValueRef::Null)
        );
        if null && (field.key || field.not_null) && problem.is_none() {
            let what = if field.key { "key" } else { "required field" };
            problem = Some((
                field_path(field.role, &field.source, &field.name),
                format!("the {what} is missing or null"),
            ));
        }
        values.push(value);
    }
    if let Some((field, message)) = problem {
        return Err(LoadError::Record {
            entity: entity.name.clone(),
            key: describe_key(entity, &values, position),
            field,
            message,
        });
    }
    tx.prepare_cached(&plans[index].upsert)?
        .execute(rusqlite::params_from_iter(values.iter()))?;
    let mut rows = 1;

    let own_key: Vec<Sql> = entity
        .fields
        .iter()
        .zip(&values)
        .filter(|(f, _)| f.key)
        .map(|(_, v)| to_value(v))
        .collect();
    for (slot, child) in entity.children.iter().enumerate() {
        let path = &plans[index].child_paths[slot];
        let failure = |message: String| LoadError::Record {
            entity: entity.name.clone(),
            key: describe_key(entity, &values, position),
            field: path_of(path),
            message,
        };
        // Items borrowed from the record, or from JSON parsed out of one of its strings.
        let parsed;
        let items: Vec<&dyn Record> = match resolve(record, path, &mut cache).map_err(failure)? {
            Found::Member(Member::List(items)) => items,
            Found::Owned(Json::Array(items)) => {
                parsed = items;
                parsed.iter().map(|item| item as &dyn Record).collect()
            }
            Found::Member(Member::Cell(Cell::Null)) | Found::Owned(Json::Null) => Vec::new(),
            _ => return Err(failure("expected an array".to_owned())),
        };
        for (i, item) in items.into_iter().enumerate() {
            let position = Some(i as i64);
            rows += write_row(tx, model, plans, child.entity, item, &own_key, position)?;
        }
    }
    Ok(rows)
}

/// Where `resolve` ended: borrowed from the record, or inside JSON parsed from one
/// of its strings.
enum Found<'a> {
    Member(Member<'a>),
    Owned(Json),
}

impl Found<'_> {
    /// Runs `f` on the cell found, if it is a scalar.
    fn with_cell<T>(&self, f: impl FnOnce(Cell<'_>) -> Option<T>) -> Option<T> {
        match self {
            Found::Member(Member::Cell(cell)) => f(cell.clone()),
            Found::Owned(json) => f(json.cell()),
            _ => None,
        }
    }
}

/// Follows `steps` into `record`. A `Step::Json` parses the string there; parsed
/// strings are cached per record, since several columns read the same one.
fn resolve<'a>(
    record: &'a dyn Record,
    steps: &[Step],
    cache: &mut Vec<(Vec<Step>, Json)>,
) -> Result<Found<'a>, String> {
    let mut current = Found::Member(Member::Record(record));
    for (i, step) in steps.iter().enumerate() {
        current = match (step, current) {
            (Step::Key(key), Found::Member(Member::Record(r))) => Found::Member(r.member(key)),
            (Step::Key(key), Found::Owned(Json::Object(mut map))) => {
                Found::Owned(map.remove(key).unwrap_or(Json::Null))
            }
            (
                Step::Key(_),
                found @ (Found::Member(Member::Cell(Cell::Null)) | Found::Owned(Json::Null)),
            ) => found,
            (Step::Key(_), _) => return Err("expected an object".to_owned()),
            (Step::Json, found) => {
                let at = &steps[..=i];
                if let Some((_, parsed)) = cache.iter().find(|(path, _)| path == at) {
                    Found::Owned(parsed.clone())
                } else {
                    let text = match &found {
                        Found::Member(Member::Cell(Cell::Text(text))) => Some(*text),
                        Found::Owned(Json::String(text)) => Some(text.as_str()),
                        Found::Member(Member::Cell(Cell::Null)) | Found::Owned(Json::Null) => None,
                        _ => return Err("expected JSON text".to_owned()),
                    };
                    let parsed = match text {
                        Some(text) => serde_json::from_str(text)
                            .map_err(|e| format!("does not hold JSON: {e}"))?,
                        None => Json::Null,
                    };
                    cache.push((at.to_vec(), parsed.clone()));
                    Found::Owned(parsed)
                }
            }
        };
    }
    Ok(current)
}

fn owned(value: ToSqlOutput<'_>) -> Sql {
    to_value(&value)
}

fn to_value(value: &ToSqlOutput<'_>) -> Sql {
    match value {
        ToSqlOutput::Borrowed(v) => (*v).into(),
        ToSqlOutput::Owned(v) => v.clone(),
        _ => Sql::Null,
    }
}

fn field_path(role: Role, source: &[Step], name: &str) -> String {
    if plan::from_record(role) {
        path_of(source)
    } else {
        name.to_owned()
    }
}

fn path_of(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Json => out.push_str("(json)"),
        }
    }
    out
}

fn describe_key(entity: &Entity, values: &[ToSqlOutput<'_>], position: Option<i64>) -> String {
    let parts: Vec<String> = entity
        .fields
        .iter()
        .zip(values)
        .filter(|(f, _)| f.key)
        .map(|(f, v)| match to_value(v) {
            Sql::Text(t) => format!("{}={t}", f.name),
            Sql::Integer(n) => format!("{}={n}", f.name),
            Sql::Null => format!("{}=?", f.name),
            other => format!("{}={other:?}", f.name),
        })
        .collect();
    match position {
        Some(p) if parts.is_empty() => format!("#{p}"),
        _ => format!("({})", parts.join(", ")),
    }
}
