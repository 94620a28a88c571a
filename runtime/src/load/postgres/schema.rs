//! The PostgreSQL database's schema against the model, as the SQLite side does it
//! (`load::schema`): created from the bridge's PostgreSQL DDL where none of the
//! model's tables exist, refused naming the first difference where it differs, and
//! hashed row by row into the same content hash as SQLite's for the same content.
//! Names are looked up as PostgreSQL stores them (folded to lower case).

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{LogicalType, Model};
use futures_util::StreamExt;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::super::schema::{
    expected_columns, first_difference, hash_value, served_names, service_views, Column,
    STATE_PREFIX,
};
use super::super::LoadError;
use super::Pg;
use crate::postgres::PgError;

const PG: Dialect = Dialect::Postgres;

/// Every table and view the model's DDL creates, as the catalog names them.
fn ours(model: &Model) -> Vec<String> {
    served_names(model)
        .map(|name| model.table(name))
        .chain(service_views(model))
        .map(|n| PG.catalog_name(&n))
        .collect()
}

/// The tables and views of the current schema that the model did not create and
/// that are not the bridge's own state, sorted by name.
pub async fn foreign_objects(pg: &Pg<'_>, model: &Model) -> Result<Vec<String>, PgError> {
    let ours = ours(model);
    let rows = pg
        .client
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1",
            &[],
        )
        .await
        .map_err(pg.failed())?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, String>(0))
        .filter(|name| !ours.contains(name) && !name.starts_with(STATE_PREFIX))
        .collect())
}

/// Creates the schema by running `ddl` if the database has none of the model's
/// tables, in one transaction that holds `lock` (so two replicas starting at once
/// create it once); then checks it.
pub async fn ensure(pg: &Pg<'_>, model: &Model, ddl: &str, lock: i64) -> Result<(), LoadError> {
    if !any_table(pg.client, model).await.map_err(pg.failed())? {
        pg.client
            .batch_execute("BEGIN")
            .await
            .map_err(pg.failed())?;
        let created = async {
            pg.client
                .execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
                .await?;
            // Another process may have created it while this one waited.
            if !any_table(pg.client, model).await? {
                pg.client.batch_execute(ddl).await?;
            }
            pg.client.batch_execute("COMMIT").await
        }
        .await;
        if let Err(error) = created {
            let _ = pg.client.batch_execute("ROLLBACK").await;
            return Err(pg.failed()(error).into());
        }
    }
    super::check_schema(pg.client, pg.pg, model).await
}

async fn any_table(client: &Client, model: &Model) -> Result<bool, tokio_postgres::Error> {
    for entity in &model.entities {
        if relkind(client, &model.table(&entity.name)).await? == Some('r') {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The kind of the relation named `name` in the search path (`r` a table, `v` a
/// view, …), if there is one.
async fn relkind(client: &Client, name: &str) -> Result<Option<char>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)",
            &[&PG.ident(name)],
        )
        .await?;
    Ok(row
        .map(|r| r.get::<_, String>(0))
        .and_then(|kind| kind.chars().next())
        .map(|kind| if kind == 'p' { 'r' } else { kind }))
}

/// Why [`check`] refused.
pub enum Checked {
    /// The first difference.
    Mismatch(String),
    /// PostgreSQL failed.
    Server(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Checked {
    fn from(e: tokio_postgres::Error) -> Self {
        Checked::Server(e)
    }
}

/// PostgreSQL's own spelling of the type CAP's DDL gives `ty` (`format_type`).
fn catalog_type(ty: &LogicalType) -> String {
    match PG.column_type(ty).as_str() {
        "TEXT" => "text".into(),
        "INTEGER" => "integer".into(),
        "BIGINT" => "bigint".into(),
        "FLOAT8" => "double precision".into(),
        "BOOLEAN" => "boolean".into(),
        "TIMESTAMP" => "timestamp without time zone".into(),
        "DATE" => "date".into(),
        other => match other.strip_prefix("VARCHAR") {
            Some(length) => format!("character varying{length}"),
            None => other.to_ascii_lowercase(),
        },
    }
}

/// Checks, without writing, that the database has the model's tables column by
/// column (name, type, not null, position in the primary key) and its views.
pub async fn check(client: &Client, model: &Model) -> Result<(), Checked> {
    for entity in &model.entities {
        let table = model.table(&entity.name);
        if relkind(client, &table).await? != Some('r') {
            return Err(Checked::Mismatch(format!("table {table} is missing")));
        }
        let rows = client
            .query(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                 coalesce((SELECT k.n FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                 WHERE k.attnum = a.attnum), 0)::int8 \
                 FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum",
                &[&PG.ident(&table)],
            )
            .await?;
        let actual: Vec<Column> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        let expected = expected_columns(entity, PG, catalog_type);
        if let Some(difference) = first_difference(&table, &actual, &expected) {
            return Err(Checked::Mismatch(difference));
        }
    }
    for view in service_views(model) {
        if relkind(client, &view).await? != Some('v') {
            return Err(Checked::Mismatch(format!("view {view} is missing")));
        }
    }
    Ok(())
}

/// The content hash of [`content_hash`](super::super::content_hash) over the
/// PostgreSQL tables: every value read back as SQLite holds it (a boolean as 0 or 1,
/// a timestamp as its UTC text), rows in key order by bytes, as SQLite sorts text.
pub async fn content_hash(client: &Client, model: &Model) -> Result<String, tokio_postgres::Error> {
    let mut hasher = Sha256::new();
    for entity in &model.entities {
        let table = model.table(&entity.name);
        let columns: Vec<String> = entity
            .fields
            .iter()
            .map(|f| {
                let c = PG.ident(&f.name);
                match &f.ty {
                    LogicalType::Integer | LogicalType::Integer64 => format!("{c}::int8"),
                    LogicalType::Boolean => format!("{c}::int8"),
                    LogicalType::Double => c,
                    LogicalType::Timestamp => {
                        format!("to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
                    }
                    LogicalType::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
                    _ => format!("{c}::text"),
                }
            })
            .collect();
        let keys: Vec<String> = entity
            .keys()
            .map(|f| match &f.ty {
                LogicalType::String(_) | LogicalType::LargeString | LogicalType::Uuid => {
                    format!("{} COLLATE \"C\"", PG.ident(&f.name))
                }
                _ => PG.ident(&f.name),
            })
            .collect();
        // Streamed: a table of millions of rows is hashed in flat memory.
        let rows = client
            .query_raw(
                &format!(
                    "SELECT {} FROM {} ORDER BY {}",
                    columns.join(", "),
                    PG.ident(&table),
                    keys.join(", ")
                ),
                std::iter::empty::<&str>(),
            )
            .await?;
        let mut rows = std::pin::pin!(rows);
        hasher.update(table.as_bytes());
        while let Some(row) = rows.next().await.transpose()? {
            hasher.update(b"\x1e");
            for (i, field) in entity.fields.iter().enumerate() {
                let value = match &field.ty {
                    LogicalType::Integer | LogicalType::Integer64 | LogicalType::Boolean => row
                        .get::<_, Option<i64>>(i)
                        .map_or(ValueRef::Null, ValueRef::Integer),
                    LogicalType::Double => row
                        .get::<_, Option<f64>>(i)
                        .map_or(ValueRef::Null, ValueRef::Real),
                    _ => row
                        .get::<_, Option<&str>>(i)
                        .map_or(ValueRef::Null, |t| ValueRef::Text(t.as_bytes())),
                };
                hash_value(&mut hasher, value);
            }
        }
    }
    Ok(format!("{:x}", hasher.finalize()))
}
