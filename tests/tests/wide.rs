//! Entities wider than a table takes: SQLite refuses more than 2,000 columns and SAP
//! HANA (where CAP deploys the same CDS) more than 1,000. An object of 2,500
//! properties becomes its entity plus 1:1 extension entities of at most 1,000
//! columns each, keyed by the entity's key, with a warning; every artifact is what
//! its target takes, and a record loads and reads back whole.

use cai_bridge::load::{read_back, Loader};
use cai_bridge::Artifacts;
use cai_bridge_build::emit::{self, paths, templates::Templates};
use cai_bridge_build::model::{builder::TABLE_COLUMNS, EntityKind};
use cai_bridge_build::Inputs;
use cai_bridge_tests::{check_rust, oracle, without_nulls};
use serde_json::{json, Map, Value};

const PROPERTIES: usize = 2500;

/// An `id`, a list of tags (a child entity), a nested object (flattened columns, some
/// of which land in an extension) and 2,500 scalars of every kind.
fn item() -> Value {
    let mut properties = Map::new();
    properties.insert("id".into(), json!({"type": "string"}));
    properties.insert(
        "tags".into(),
        json!({"type": "array", "items": {"type": "string"}}),
    );
    for i in 0..PROPERTIES {
        let schema = match i % 5 {
            0 => json!({"type": "integer"}),
            1 => json!({"type": "string"}),
            2 => json!({"type": "boolean"}),
            3 => json!({"type": "number"}),
            _ => json!({"type": "string", "format": "date-time"}),
        };
        properties.insert(format!("p{i}"), schema);
    }
    properties.insert(
        "last".into(),
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}),
    );
    json!({"type": "object", "required": ["id"], "properties": properties})
}

/// A record with a value in every member.
fn record() -> Value {
    let mut record = Map::new();
    record.insert("id".into(), json!("r1"));
    record.insert("tags".into(), json!(["x", "y"]));
    for i in 0..PROPERTIES {
        let value = match i % 5 {
            0 => json!(i),
            1 => json!(format!("text {i}")),
            2 => json!(i % 2 == 0),
            3 => json!(i as f64 + 0.5),
            _ => json!(format!("2026-11-01T00:00:{:02}.000Z", i % 60)),
        };
        record.insert(format!("p{i}"), value);
    }
    record.insert("last".into(), json!({"a": "end", "b": 7}));
    Value::Object(record)
}

fn inputs(dir: &std::path::Path) -> Inputs {
    let spec = dir.join("openapi.json");
    let document = json!({
        "openapi": "3.0.3",
        "info": {"title": "wide", "version": "1"},
        "paths": {"/wide": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"type": "array", "items": item()}}}
        }}}}}
    });
    std::fs::write(&spec, document.to_string()).expect("spec");
    let config = dir.join("bridge.toml");
    std::fs::write(&config, "records = \"\"\nnamespace = \"wide\"\n").expect("config");
    Inputs {
        spec: Some(spec),
        config: Some(config),
        ..Inputs::default()
    }
}

#[test]
fn a_wide_entity_is_split_into_extensions_every_target_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let loaded = inputs(dir.path())
        .load()
        .unwrap_or_else(|e| panic!("2,500 properties must generate: {e}"));
    let model = &loaded.model;

    // The root and two parts of at most 1,000 columns, each keyed by the root's key.
    let parts: Vec<_> = model
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Extension)
        .collect();
    let names: Vec<&str> = parts.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["RecordsPart2", "RecordsPart3"]);
    for entity in &model.entities {
        assert!(
            entity.fields.len() <= TABLE_COLUMNS,
            "{} has {} columns",
            entity.name,
            entity.fields.len()
        );
    }
    for part in &parts {
        let keys: Vec<&str> = part.keys().map(|f| f.name.as_str()).collect();
        assert_eq!(keys, ["record_id"], "{}", part.name);
    }
    let columns: usize = model
        .entities
        .iter()
        .filter(|e| e.kind != EntityKind::Scalars)
        .map(|e| e.fields.iter().filter(|f| !f.key).count())
        .sum();
    assert_eq!(columns, PROPERTIES + 2, "every data column is somewhere");
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.message.contains("columns past the first"))
        .unwrap_or_else(|| panic!("no warning: {}", loaded.warnings));
    for word in [
        "Records",
        "2503 columns",
        "1000",
        "`RecordsPart2`",
        "`RecordsPart3`",
    ] {
        assert!(warning.message.contains(word), "{word}: {warning}");
    }

    // SQLite takes the DDL, CAP compiles the CDS without a message, the CSDL validates.
    let files = emit::all(model, &Templates::none()).expect("emits");
    let out = dir.path().join("out");
    cai_bridge_build::output::write(&out, &files).expect("writes");
    rusqlite::Connection::open_in_memory()
        .expect("SQLite")
        .execute_batch(&files[paths::SQL])
        .expect("SQLite takes the DDL");
    let cap = oracle::cap_compile(&out.join("cap"));
    assert!(cap.messages.is_empty(), "CAP reports {:#?}", cap.messages);
    oracle::validate_edmx(&out.join(paths::CSDL))
        .unwrap_or_else(|report| panic!("invalid CSDL:\n{report}"));
    // The struct of 2,500 fields compiles, the derive's column check included.
    check_rust(&[("wide".into(), out.join(paths::RUST))])
        .unwrap_or_else(|log| panic!("the wide model's Rust does not compile:\n{log}"));

    // A record with every value loads into the three tables and reads back whole.
    let artifacts = Artifacts::from_model(loaded.model.clone());
    let db = dir.path().join("wide.db");
    let mut loader = Loader::open(&db, &artifacts).expect("opens");
    let record = record();
    loader.load(std::slice::from_ref(&record)).expect("loads");
    drop(loader);
    let conn = rusqlite::Connection::open(&db).expect("opens");
    for part in &parts {
        let rows: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {}", model.table(&part.name)),
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(rows, 1, "{}", part.name);
    }
    let back = read_back(&conn, model).expect("reads back");
    assert_eq!(back, [without_nulls(record)]);
}
