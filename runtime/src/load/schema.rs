//! The database's schema against the model: create it where there is none, refuse a
//! database that differs, and hash the content of every table.

use cai_bridge_model::naming;
use cai_bridge_model::Model;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// Why a database does not fit the model.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The first difference between the database and the model.
    #[error("the database does not match the model: {0}; use a new file, or migrate this one")]
    Mismatch(String),
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
        let actual: Vec<(String, String, bool, i64)> = stmt
            .query_map([&table], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut pk = 0;
        let expected: Vec<(String, String, bool, i64)> = entity
            .fields
            .iter()
            .map(|f| {
                let position = if f.key {
                    pk += 1;
                    pk
                } else {
                    0
                };
                (f.name.clone(), f.ty.sqlite(), f.not_null || f.key, position)
            })
            .collect();
        for (i, want) in expected.iter().enumerate() {
            match actual.get(i) {
                None => {
                    return Err(SchemaError::Mismatch(format!(
                        "column {table}.{} is missing",
                        want.0
                    )))
                }
                Some(have) if have != want => {
                    return Err(SchemaError::Mismatch(format!(
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
                    )))
                }
                Some(_) => {}
            }
        }
        if let Some(extra) = actual.get(expected.len()) {
            return Err(SchemaError::Mismatch(format!(
                "column {table}.{} is not in the model",
                extra.0
            )));
        }
    }
    let views = model
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .chain(model.fact.as_ref().map(|f| f.name.as_str()));
    for name in views {
        let view = model.view(name);
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
        let keys: Vec<String> = entity.keys().map(|f| naming::sql(&f.name)).collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT * FROM {} ORDER BY {}",
            naming::sql(&table),
            keys.join(", ")
        ))?;
        let columns = stmt.column_count();
        hasher.update(table.as_bytes());
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            hasher.update(b"\x1e");
            for i in 0..columns {
                // Tag each value with its type and length so no two rows hash alike.
                match row.get_ref(i)? {
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
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}
