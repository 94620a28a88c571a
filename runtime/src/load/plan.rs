//! What the loader prepares once per model: each table's upsert and delete
//! statements, where each child array is in its parent's record, and which columns
//! of every descendant carry the root record's key.

use cai_bridge_gen::model::naming::sql;
use cai_bridge_gen::model::{Entity, MemberValue, Model, Record, Role, Step};

/// The statements and paths for one entity.
#[derive(Debug)]
pub struct TablePlan {
    /// `INSERT … ON CONFLICT (key) DO UPDATE …`, parameters in field order.
    pub upsert: String,
    /// `DELETE FROM t WHERE <root key columns> = ?…` (for descendants of the root).
    pub delete_by_root: Option<String>,
    /// Per child slot, the steps from this entity's record to the child array.
    pub child_paths: Vec<Vec<Step>>,
}

/// Builds the plan of every entity, indexed like `model.entities`.
pub fn plan(model: &Model) -> Vec<TablePlan> {
    let root_columns = root_key_columns(model);
    model
        .entities
        .iter()
        .enumerate()
        .map(|(i, entity)| TablePlan {
            upsert: upsert(model, entity),
            delete_by_root: (i > 0).then(|| {
                let table = sql(&model.table(&entity.name));
                let conditions: Vec<String> = root_columns[i]
                    .iter()
                    .enumerate()
                    .map(|(n, c)| format!("{} = ?{}", sql(c), n + 1))
                    .collect();
                format!("DELETE FROM {table} WHERE {}", conditions.join(" AND "))
            }),
            child_paths: child_paths(entity),
        })
        .collect()
}

fn upsert(model: &Model, entity: &Entity) -> String {
    let table = sql(&model.table(&entity.name));
    let columns: Vec<String> = entity.fields.iter().map(|f| sql(&f.name)).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let keys: Vec<String> = entity.keys().map(|f| sql(&f.name)).collect();
    let updates: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| !f.key)
        .map(|f| format!("{0} = excluded.{0}", sql(&f.name)))
        .collect();
    let action = if updates.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!("UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO {action}",
        columns.join(", "),
        marks.join(", "),
        keys.join(", ")
    )
}

/// For every entity, its columns that hold the root key, in root key order.
fn root_key_columns(model: &Model) -> Vec<Vec<String>> {
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

fn child_paths(entity: &Entity) -> Vec<Vec<Step>> {
    let mut paths = vec![Vec::new(); entity.children.len()];
    walk(&entity.layout, &mut Vec::new(), &mut paths);
    paths
}

fn walk(record: &Record, prefix: &mut Vec<Step>, paths: &mut [Vec<Step>]) {
    for member in &record.members {
        prefix.push(Step::Key(member.wire.clone()));
        visit(&member.value, prefix, paths);
        prefix.pop();
    }
}

fn visit(value: &MemberValue, prefix: &mut Vec<Step>, paths: &mut [Vec<Step>]) {
    match value {
        MemberValue::Column(_) => {}
        MemberValue::Object(record) => walk(record, prefix, paths),
        MemberValue::Children(slot) => paths[*slot] = prefix.clone(),
        MemberValue::Embedded { inner, .. } => {
            prefix.push(Step::Json);
            visit(inner, prefix, paths);
            prefix.pop();
        }
    }
}

/// Whether a field's value comes from the record (not from the parent or position).
pub fn from_record(role: Role) -> bool {
    matches!(role, Role::Data | Role::RawJson)
}
