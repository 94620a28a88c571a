//! The database's schema against the model: create it where there is none, refuse a
//! database that differs, and hash the content of every table.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{Entity, LogicalType, Model};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// Why a database does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The first difference between the database and the model.
    #[error("the database does not match the model: {0}; use a new file, or migrate this one")]
    Mismatch(String),
    /// The file holds tables or views the model did not create: another model's
    /// database, or an unrelated file, which a sync must not write into unasked.
    #[error(
        "the database holds {} the model did not create: {}; use a new file, or pass --adopt to add the bridge's tables beside them",
        if .0.len() == 1 { "a table" } else { "tables" },
        .0.join(", ")
    )]
    Foreign(Vec<String>),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The prefix of the bridge's own state tables (the sync's high-water mark), which
/// live beside the model's and are ours whatever the model.
pub const STATE_PREFIX: &str = "cai_bridge_";

/// The tables and views in the database that neither `ddl` (the bridge's
/// `db/schema.sql`) creates nor the bridge keeps its state in, sorted by name.
/// SQLite's own (`sqlite_*`) are not counted, and names compare as SQLite compares
/// them, without regard to ASCII case.
pub fn foreign_objects(conn: &Connection, ddl: &str) -> Result<Vec<String>, SchemaError> {
    // What the DDL creates, learnt by running it on an empty in-memory database: the
    // same names SQLite would give them, quoting and case included, with no parser
    // of our own to disagree with it.
    let ours = Connection::open_in_memory()?;
    ours.execute_batch(ddl)?;
    let names = |conn: &Connection| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
        names.collect()
    };
    let ours: std::collections::HashSet<String> = names(&ours)?
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    Ok(names(conn)?
        .into_iter()
        .filter(|name| {
            let folded = name.to_ascii_lowercase();
            !ours.contains(&folded) && !folded.starts_with(STATE_PREFIX)
        })
        .collect())
}

/// Refuses a database holding tables or views the model did not create
/// ([`foreign_objects`]), naming them.
pub fn refuse_foreign(conn: &Connection, ddl: &str) -> Result<(), SchemaError> {
    let foreign = foreign_objects(conn, ddl)?;
    if foreign.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Foreign(foreign))
    }
}

/// Creates the model's tables, views and indexes by running `ddl` (the bridge's
/// `db/schema.sql`) if the database has none of its tables; otherwise checks it with
/// [`check_schema`].
pub fn ensure_schema(conn: &Connection, model: &Model, ddl: &str) -> Result<(), SchemaError> {
    let present: Vec<bool> = model
        .entities
        .iter()
        .map(|e| table_exists(conn, &model.table(&e.name)))
        .collect::<Result<_, _>>()?;
    if present.iter().all(|p| !p) {
        // One transaction: a half-created schema would be refused on the next open.
        conn.execute_batch(&format!("BEGIN;\n{ddl}\nCOMMIT;"))?;
        // The DDL is the bridge's own file: check that it made what the model says.
        return check_schema(conn, model);
    }
    check_schema(conn, model)
}

/// Checks, without writing, that the database has the model's tables column by
/// column (name, type, not null, primary key) and its service views; names the first
/// difference.
pub fn check_schema(conn: &Connection, model: &Model) -> Result<(), SchemaError> {
    for entity in &model.entities {
        let table = model.table(&entity.name);
        if !table_exists(conn, &table)? {
            return Err(SchemaError::Mismatch(format!("table {table} is missing")));
        }
        let mut stmt = conn.prepare(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
        )?;
        let actual: Vec<Column> = stmt
            .query_map([&table], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let expected = expected_columns(entity, Dialect::Sqlite, |ty| {
            Dialect::Sqlite.column_type(ty)
        });
        if let Some(difference) = first_difference(&table, &actual, &expected) {
            return Err(SchemaError::Mismatch(difference));
        }
    }
    for view in service_views(model) {
        let found: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = ?1",
            [&view],
            |r| r.get(0),
        )?;
        if found == 0 {
            return Err(SchemaError::Mismatch(format!("view {view} is missing")));
        }
    }
    Ok(())
}

/// A column as the schema check compares it: name, type, not null, and position in
/// the primary key (0 for none), each as the database's catalog spells it.
pub(super) type Column = (String, String, bool, i64);

/// The columns the model gives `entity` in `dialect`, in field order; `ty` spells a
/// type as the database's catalog does.
pub(super) fn expected_columns(
    entity: &Entity,
    dialect: Dialect,
    ty: impl Fn(&LogicalType) -> String,
) -> Vec<Column> {
    let mut pk = 0;
    entity
        .fields
        .iter()
        .map(|f| {
            let position = if f.key {
                pk += 1;
                pk
            } else {
                0
            };
            (
                dialect.catalog_name(&f.name),
                ty(&f.ty),
                f.not_null || f.key,
                position,
            )
        })
        .collect()
}

/// The first difference between the columns `table` has and those it should have.
pub(super) fn first_difference(
    table: &str,
    actual: &[Column],
    expected: &[Column],
) -> Option<String> {
    for (i, want) in expected.iter().enumerate() {
        match actual.get(i) {
            None => return Some(format!("column {table}.{} is missing", want.0)),
            Some(have) if have != want => {
                return Some(format!(
                    "column {} of {table} is {} {}{}{}, the model wants {} {}{}{}",
                    i + 1,
                    have.0,
                    have.1,
                    if have.2 { " NOT NULL" } else { "" },
                    if have.3 > 0 { " (key)" } else { "" },
                    want.0,
                    want.1,
                    if want.2 { " NOT NULL" } else { "" },
                    if want.3 > 0 { " (key)" } else { "" },
                ))
            }
            Some(_) => {}
        }
    }
    actual
        .get(expected.len())
        .map(|extra| format!("column {table}.{} is not in the model", extra.0))
}

/// Every entity's name and the fact's: what the DDL makes a view (or table) of.
pub(super) fn served_names(model: &Model) -> impl Iterator<Item = &str> {
    model
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .chain(model.fact.as_ref().map(|f| f.name.as_str()))
}

/// The service views the model's DDL creates: each entity's, and the fact's.
pub(super) fn service_views(model: &Model) -> impl Iterator<Item = String> + '_ {
    served_names(model).map(|name| model.view(name))
}

fn table_exists(conn: &Connection, table: &str) -> Result<bool, rusqlite::Error> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// A SHA-256 over every row of every model table, in key order: equal hashes mean
/// equal content, whatever order or how often the records were loaded.
pub fn content_hash(conn: &Connection, model: &Model) -> Result<String, rusqlite::Error> {
    let mut hasher = Sha256::new();
    for entity in &model.entities {
        let table = model.table(&entity.name);
        let keys: Vec<String> = entity
            .keys()
            .map(|f| Dialect::Sqlite.ident(&f.name))
            .collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM {} ORDER BY {}",
            Dialect::Sqlite.ident(&table),
            keys.join(", ")
        ))?;
        let columns = stmt.column_count();
        hasher.update(table.as_bytes());
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            hasher.update(b"\x1e");
            for i in 0..columns {
                hash_value(&mut hasher, row.get_ref(i)?);
            }
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Adds one value to a content hash, tagged with its type and length so no two rows
/// hash alike; PostgreSQL's content is hashed through this too, as SQLite holds it.
pub(super) fn hash_value(hasher: &mut Sha256, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => hasher.update(b"N"),
        ValueRef::Integer(n) => hasher.update(format!("I{n};")),
        ValueRef::Real(x) => hasher.update(format!("R{};", x.to_bits())),
        ValueRef::Text(t) => {
            hasher.update(format!("T{}:", t.len()));
            hasher.update(t);
        }
        ValueRef::Blob(b) => {
            hasher.update(format!("B{}:", b.len()));
            hasher.update(b);
        }
    }
}
