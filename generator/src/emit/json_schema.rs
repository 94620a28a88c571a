//! The inferred model as JSON Schema (2020-12), for `cai-bridge infer`: the records'
//! wire shape, with each entity, column and rename visible through `x-` keywords.
//! Strings that hold JSON use the standard `contentMediaType` and `contentSchema`.

use serde_json::{json, Map, Value};

use cai_bridge_model::{
    path, Entity, EntityKind, MapEntries, Member, MemberValue, Model, Record, Role,
};

/// The JSON Schema of one record, with the entities it maps to.
pub fn emit(model: &Model) -> Value {
    let root = model.root();
    let mut schema = record(model, root, &root.layout);
    if let Value::Object(map) = &mut schema {
        map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        map.insert("title".into(), json!(root.rust_name));
        map.insert(
            "x-records".into(),
            json!(path::of_keys(&model.source.records)),
        );
        map.insert(
            "x-enum-candidates".into(),
            json!(model
                .enum_candidates
                .iter()
                .map(|c| json!({"path": c.path, "values": c.values}))
                .collect::<Vec<_>>()),
        );
        map.insert(
            "x-renames".into(),
            json!(model
                .renames
                .iter()
                .map(|r| json!({"path": r.path, "from": r.from, "to": r.to, "reason": r.reason}))
                .collect::<Vec<_>>()),
        );
    }
    schema
}

fn record(model: &Model, entity: &Entity, record: &Record) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for member in &record.members {
        if !member.optional {
            required.push(json!(member.wire));
        }
        properties.insert(
            member.wire.clone(),
            member_schema(model, entity, member, &member.value),
        );
    }
    let mut out = json!({
        "type": "object",
        "properties": properties,
        "required": required,
    });
    if std::ptr::eq(record, &entity.layout) {
        out["x-entity"] = json!(entity.name);
        out["x-key"] = json!(entity.keys().map(|f| f.name.clone()).collect::<Vec<_>>());
    }
    out
}

fn member_schema(model: &Model, entity: &Entity, member: &Member, value: &MemberValue) -> Value {
    let mut schema = match value {
        MemberValue::Column(_) | MemberValue::Extension { .. } => {
            let Some(field) = entity.column(model, value) else {
                return json!({});
            };
            let (ty, format) = field.ty.json_schema();
            let mut s = json!({ "type": ty, "x-column": field.name });
            if let Some(format) = format.filter(|_| field.role != Role::RawJson) {
                s["format"] = json!(format);
            }
            if let Some(values) = &field.enum_values {
                s["enum"] = json!(values);
            }
            s
        }
        MemberValue::Object(nested) => record(model, entity, nested),
        MemberValue::Children(slot) => {
            let child = &model.entities[entity.children[*slot].entity];
            let items = match child.kind {
                EntityKind::Scalars => {
                    let value = child.fields.iter().find(|f| f.role == Role::Value);
                    let (ty, _) = value.map_or(("string", None), |f| f.ty.json_schema());
                    json!({ "type": ty, "x-entity": child.name })
                }
                _ => record(model, child, &child.layout),
            };
            let array = |items| json!({ "type": "array", "items": items });
            match child.map {
                None => array(items),
                Some(MapEntries::Values) => {
                    json!({ "type": "object", "additionalProperties": items, "x-map": child.name })
                }
                Some(MapEntries::Arrays) => json!({
                    "type": "object",
                    "additionalProperties": array(items),
                    "x-map": child.name,
                }),
            }
        }
        MemberValue::Embedded { raw, inner } => json!({
            "type": "string",
            "x-column": entity.fields[*raw].name,
            "contentMediaType": "application/json",
            "contentSchema": member_schema(model, entity, member, inner),
        }),
    };
    if member.nullable {
        if let Some(Value::String(ty)) = schema.get("type").cloned() {
            schema["type"] = json!([ty, "null"]);
        }
    }
    if let Some(doc) = &member.doc {
        schema["description"] = json!(doc);
    }
    schema
}
