//! The statements the loader prepares once per model: each table's upsert, for
//! every descendant of the root the delete by the root record's key, and the root's
//! own lookup and delete by key.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{Entity, Model};

/// The statements and paths for one entity.
#[derive(Debug)]
pub struct TablePlan {
    /// `INSERT … ON CONFLICT (key) DO UPDATE …`, parameters in field order.
    pub upsert: String,
    /// `DELETE FROM t WHERE <root key columns> = ?…` (for descendants of the root).
    pub delete_by_root: Option<String>,
}

/// Builds the plan of every entity, indexed like `model.entities`.
pub fn plan(model: &Model, dialect: Dialect) -> Vec<TablePlan> {
    let root_columns = root_key_columns(model);
    model
        .entities
        .iter()
        .enumerate()
        .map(|(i, entity)| TablePlan {
            upsert: upsert(model, entity),
            delete_by_root: (i > 0).then(|| {
                format!(
                    "DELETE FROM {} WHERE {}",
                    dialect.ident(&model.table(&entity.name)),
                    matching(dialect, root_columns[i].iter().map(String::as_str))
                )
            }),
        })
        .collect()
}

/// `<table> WHERE <key column> = ?1 AND …` of the root table, its key in key order.
pub fn root_by_key(model: &Model, dialect: Dialect) -> String {
    let root = model.root();
    format!(
        "{} WHERE {}",
        dialect.ident(&model.table(&root.name)),
        matching(dialect, root.keys().map(|f| f.name.as_str()))
    )
}

/// `<a> = ?1 AND <b> = ?2 …`: the condition binding `columns` in order.
pub fn matching<'c>(dialect: Dialect, columns: impl Iterator<Item = &'c str>) -> String {
    let conditions: Vec<String> = columns
        .enumerate()
        .map(|(i, c)| format!("{} = {}", dialect.ident(c), dialect.param(i + 1)))
        .collect();
    conditions.join(" AND ")
}

/// `INSERT INTO <table> (<every column>) VALUES (?1, …) ON CONFLICT (<key>) DO UPDATE
/// SET <every other column> = excluded.<column>`, parameters in field order.
pub fn upsert(model: &Model, entity: &Entity) -> String {
    let d = Dialect::Sqlite;
    let marks: Vec<String> = (1..=entity.fields.len()).map(|i| d.param(i)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) {}",
        d.ident(&model.table(&entity.name)),
        column_list(d, entity),
        marks.join(", "),
        on_conflict(d, entity)
    )
}

/// Every column of `entity`, in field order, as `dialect` names them.
pub fn column_list(dialect: Dialect, entity: &Entity) -> String {
    let columns: Vec<String> = entity
        .fields
        .iter()
        .map(|f| dialect.ident(&f.name))
        .collect();
    columns.join(", ")
}

/// `ON CONFLICT (<key>) DO UPDATE SET <every other column> = excluded.<column>` (or
/// `DO NOTHING` for a table of keys only): what makes an insert an upsert, in SQLite
/// and PostgreSQL alike.
pub fn on_conflict(dialect: Dialect, entity: &Entity) -> String {
    let keys: Vec<String> = entity.keys().map(|f| dialect.ident(&f.name)).collect();
    let updates: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| !f.key)
        .map(|f| format!("{0} = excluded.{0}", dialect.ident(&f.name)))
        .collect();
    let action = if updates.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    format!("ON CONFLICT ({}) DO {action}", keys.join(", "))
}

/// For every entity, its columns that hold the root key, in root key order.
pub fn root_key_columns(model: &Model) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::with_capacity(model.entities.len());
    for entity in &model.entities {
        let columns = match &entity.parent {
            None => entity.keys().map(|f| f.name.clone()).collect(),
            Some(link) => out[link.entity]
                .iter()
                .map(|parent_column| {
                    link.foreign_keys
                        .iter()
                        .find(|fk| &fk.references == parent_column)
                        .map(|fk| fk.column.clone())
                        .unwrap_or_default()
                })
                .collect(),
        };
        out.push(columns);
    }
    out
}
