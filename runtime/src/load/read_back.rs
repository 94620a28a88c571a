//! Rows back to records: the inverse of loading, walking the same layout. Proves that
//! loading loses nothing (see the property tests), and serves anyone who wants the
//! records as they were.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{
    Entity, EntityKind, LogicalType, MapEntries, MemberValue, Model, Record, Role,
};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{Map, Value as Json};

/// Every root record in the database, in key order, rebuilt from its rows. Members
/// whose value is null are left out (absent and null read the same).
pub fn read_back(conn: &Connection, model: &Model) -> Result<Vec<Json>, rusqlite::Error> {
    let records = read_entity(conn, model, 0, &[])?;
    Ok(records.into_iter().map(|(_, record)| record).collect())
}

/// A child's records as its parent holds them: an array, or for a map child an
/// object of the entries (each an array of items for a map of arrays). The rows come
/// in key order, so a map key's items are together and in position order.
fn assemble(map: Option<MapEntries>, records: Vec<(Option<String>, Json)>) -> Json {
    let Some(entries) = map else {
        return Json::Array(records.into_iter().map(|(_, record)| record).collect());
    };
    let mut out = Map::new();
    for (key, record) in records {
        let key = key.unwrap_or_default();
        match entries {
            MapEntries::Values => {
                out.insert(key, record);
            }
            MapEntries::Arrays => {
                let items = out.entry(key).or_insert_with(|| Json::Array(Vec::new()));
                if let Json::Array(items) = items {
                    items.push(record);
                }
            }
        }
    }
    Json::Object(out)
}

fn read_entity(
    conn: &Connection,
    model: &Model,
    index: usize,
    parent_key: &[Sql],
) -> Result<Vec<(Option<String>, Json)>, rusqlite::Error> {
    let entity = &model.entities[index];
    let mut out = Vec::new();
    for row in rows(conn, model, index, parent_key)? {
        let own_key: Vec<Sql> = entity
            .fields
            .iter()
            .zip(&row)
            .filter(|(f, _)| f.key)
            .map(|(_, v)| v.clone())
            .collect();
        let mut children = Children {
            records: Vec::with_capacity(entity.children.len()),
            parts: Vec::with_capacity(entity.children.len()),
        };
        for child in &entity.children {
            // An extension's one row holds more columns of this record.
            if model.entities[child.entity].kind == EntityKind::Extension {
                children.records.push(Json::Null);
                children
                    .parts
                    .push(rows(conn, model, child.entity, &own_key)?.pop());
            } else {
                let records = read_entity(conn, model, child.entity, &own_key)?;
                children
                    .records
                    .push(assemble(model.entities[child.entity].map, records));
                children.parts.push(None);
            }
        }
        let map_key = entity
            .fields
            .iter()
            .zip(&row)
            .find(|(f, _)| f.role == Role::MapKey)
            .and_then(|(_, v)| match v {
                Sql::Text(key) => Some(key.clone()),
                _ => None,
            });
        let record = if let Some(i) = entity.fields.iter().position(|f| f.role == Role::Value) {
            to_json(&row[i], &entity.fields[i].ty)
        } else {
            Json::Object(record(model, entity, &entity.layout, &row, &mut children))
        };
        out.push((map_key, record));
    }
    Ok(out)
}

/// What a record's children give it: the records of each child (an array, or an
/// object for a map), and the row of each extension (by slot).
struct Children {
    records: Vec<Json>,
    parts: Vec<Option<Vec<Sql>>>,
}

/// The rows of entity `index` under `parent_key`, in key order, a value per field.
fn rows(
    conn: &Connection,
    model: &Model,
    index: usize,
    parent_key: &[Sql],
) -> Result<Vec<Vec<Sql>>, rusqlite::Error> {
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
    let filter = super::plan::matching(
        Dialect::Sqlite,
        entity
            .fields
            .iter()
            .filter(|f| f.role == Role::ParentKey)
            .map(|f| f.name.as_str()),
    );
    let query = format!(
        "SELECT {} FROM {} {} ORDER BY {}",
        columns.join(", "),
        Dialect::Sqlite.ident(&model.table(&entity.name)),
        if filter.is_empty() {
            String::new()
        } else {
            format!("WHERE {filter}")
        },
        keys.join(", ")
    );
    let mut stmt = conn.prepare_cached(&query)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(parent_key.iter()), |row| {
            (0..columns.len()).map(|i| row.get::<_, Sql>(i)).collect()
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

fn record(
    model: &Model,
    entity: &Entity,
    layout: &Record,
    row: &[Sql],
    children: &mut Children,
) -> Map<String, Json> {
    let mut map = Map::new();
    for member in &layout.members {
        let value = member_value(model, entity, &member.value, row, children);
        if !value.is_null() {
            map.insert(member.wire.clone(), value);
        }
    }
    map
}

fn member_value(
    model: &Model,
    entity: &Entity,
    value: &MemberValue,
    row: &[Sql],
    children: &mut Children,
) -> Json {
    match value {
        MemberValue::Column(i) => to_json(&row[*i], &entity.fields[*i].ty),
        MemberValue::Extension { child, column } => {
            match (&children.parts[*child], entity.column(model, value)) {
                (Some(part), Some(field)) => to_json(&part[*column], &field.ty),
                _ => Json::Null,
            }
        }
        // The raw text is what came; the parsed columns only repeat it.
        MemberValue::Embedded { raw, .. } => to_json(&row[*raw], &LogicalType::LargeString),
        MemberValue::Object(nested) => {
            let map = record(model, entity, nested, row, children);
            if map.is_empty() {
                Json::Null
            } else {
                Json::Object(map)
            }
        }
        MemberValue::Children(slot) => std::mem::take(&mut children.records[*slot]),
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
