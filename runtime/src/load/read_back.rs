//! Rows back to records: the inverse of loading, walking the same layout. Proves that
//! loading loses nothing (see the property tests), and serves anyone who wants the
//! records as they were.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{Entity, LogicalType, MemberValue, Model, Record, Role};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{Map, Value as Json};

/// Every root record in the database, in key order, rebuilt from its rows. Members
/// whose value is null are left out (absent and null read the same).
pub fn read_back(conn: &Connection, model: &Model) -> Result<Vec<Json>, rusqlite::Error> {
    read_entity(conn, model, 0, &[])
}

fn read_entity(
    conn: &Connection,
    model: &Model,
    index: usize,
    parent_key: &[Sql],
) -> Result<Vec<Json>, rusqlite::Error> {
    let entity = &model.entities[index];
    let columns: Vec<String> = entity
        .fields
        .iter()
        .map(|f| Dialect::Sqlite.ident(&f.name))
        .collect();
    let keys: Vec<String> = entity
        .keys()
        .map(|f| Dialect::Sqlite.ident(&f.name))
        .collect();
    let filter: Vec<String> = entity
        .fields
        .iter()
        .filter(|f| f.role == Role::ParentKey)
        .enumerate()
        .map(|(i, f)| format!("{} = ?{}", Dialect::Sqlite.ident(&f.name), i + 1))
        .collect();
    let query = format!(
        "SELECT {} FROM {} {} ORDER BY {}",
        columns.join(", "),
        Dialect::Sqlite.ident(&model.table(&entity.name)),
        if filter.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", filter.join(" AND "))
        },
        keys.join(", ")
    );
    let mut stmt = conn.prepare_cached(&query)?;
    let rows: Vec<Vec<Sql>> = stmt
        .query_map(rusqlite::params_from_iter(parent_key.iter()), |row| {
            (0..columns.len()).map(|i| row.get::<_, Sql>(i)).collect()
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let own_key: Vec<Sql> = entity
            .fields
            .iter()
            .zip(&row)
            .filter(|(f, _)| f.key)
            .map(|(_, v)| v.clone())
            .collect();
        let mut children = Vec::with_capacity(entity.children.len());
        for child in &entity.children {
            children.push(read_entity(conn, model, child.entity, &own_key)?);
        }
        let record = if let Some(i) = entity.fields.iter().position(|f| f.role == Role::Value) {
            to_json(&row[i], &entity.fields[i].ty)
        } else {
            Json::Object(record(entity, &entity.layout, &row, &mut children))
        };
        out.push(record);
    }
    Ok(out)
}

fn record(
    entity: &Entity,
    layout: &Record,
    row: &[Sql],
    children: &mut [Vec<Json>],
) -> Map<String, Json> {
    let mut map = Map::new();
    for member in &layout.members {
        let value = member_value(entity, &member.value, row, children);
        if !value.is_null() {
            map.insert(member.wire.clone(), value);
        }
    }
    map
}

fn member_value(
    entity: &Entity,
    value: &MemberValue,
    row: &[Sql],
    children: &mut [Vec<Json>],
) -> Json {
    match value {
        MemberValue::Column(i) => to_json(&row[*i], &entity.fields[*i].ty),
        // The raw text is what came; the parsed columns only repeat it.
        MemberValue::Embedded { raw, .. } => to_json(&row[*raw], &LogicalType::LargeString),
        MemberValue::Object(nested) => {
            let map = record(entity, nested, row, children);
            if map.is_empty() {
                Json::Null
            } else {
                Json::Object(map)
            }
        }
        MemberValue::Children(slot) => Json::Array(std::mem::take(&mut children[*slot])),
    }
}

fn to_json(value: &Sql, ty: &LogicalType) -> Json {
    match (value, ty) {
        (Sql::Null, _) => Json::Null,
        (Sql::Integer(n), LogicalType::Boolean) => Json::Bool(*n != 0),
        (Sql::Integer(n), _) => Json::from(*n),
        (Sql::Real(x), _) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
        (Sql::Text(t), LogicalType::Json) => {
            serde_json::from_str(t).unwrap_or(Json::String(t.clone()))
        }
        (Sql::Text(t), _) => Json::String(t.clone()),
        (Sql::Blob(_), _) => Json::Null,
    }
}
