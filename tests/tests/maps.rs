//! Maps: an object whose keys are data (entity names, ids, dates) becomes one child
//! entity keyed by the parent key and a `key` column, whether the spec says so
//! (`additionalProperties` with a schema), the samples show it (see
//! `cai_bridge_model::map`), or bridge.toml forces it; a map of arrays (CAI's
//! `entities`) gives a row per item, keyed by map key and position. The loader
//! writes those rows and reads the maps back as they came, and the derive over the
//! generated structs builds the very same model.

use cai_bridge::load::{read_back, Loader};
use cai_bridge::model::{MapEntries, Role};
use cai_bridge::Artifacts;
use cai_bridge_build::emit::{self, paths, templates::Templates};
use cai_bridge_build::{Inputs, Model};
use cai_bridge_tests::without_nulls;
use serde_json::{json, Value};

/// A spec whose `GET /messages` answers an array of `item`.
fn spec(dir: &std::path::Path, item: Value, config: &str) -> Inputs {
    cai_bridge_tests::array_spec(dir, "/messages", item, config)
}

/// Samples only: `records` as one JSON array file.
fn samples(dir: &std::path::Path, records: &Value, config: &str) -> Inputs {
    let sample = dir.join("sample.json");
    std::fs::write(&sample, records.to_string()).expect("sample");
    let file = dir.join("bridge.toml");
    std::fs::write(&file, format!("records = \"\"\n{config}")).expect("config");
    Inputs {
        samples: vec![sample],
        config: Some(file),
        ..Inputs::default()
    }
}

/// CAI-shaped messages: `entities` keyed by entity kind, a few kinds per message,
/// each kind with fields of its own besides `raw` and `confidence`.
fn cai_messages() -> Value {
    json!([
        {"id": "m1", "entities": {
            "datetime": [{"raw": "next monday", "confidence": 0.97, "iso": "2026-12-07T09:00:00.000Z",
                          "formatted": "Monday, 07 December 2026 at 09:00:00 AM (UTC)",
                          "accuracy": "day", "chronology": "future", "state": null}],
            "number": [{"raw": "4711", "confidence": 0.99, "scalar": 4711},
                       {"raw": "two", "confidence": 0.91, "scalar": 2}]
        }},
        {"id": "m2", "entities": {
            "location": [{"raw": "Paris", "confidence": 0.95, "formatted": "Paris, France",
                          "lat": 48.8566, "lng": 2.3522, "place": "ChIJD7fiBh9u5kcRYJSMaMOCCwQ",
                          "type": "locality"}],
            "person": [{"raw": "Ada Lovelace", "confidence": 0.9, "fullname": "Ada Lovelace"}]
        }},
        {"id": "m3", "entities": {}},
        {"id": "m4", "entities": {
            "number": [{"raw": "3", "confidence": 0.99, "scalar": 3}],
            "location": [{"raw": "Walldorf", "confidence": 0.93, "formatted": "Walldorf, Germany",
                          "lat": 49.3064, "lng": 8.6428, "place": "x", "type": "locality"}]
        }}
    ])
}

fn entity<'m>(model: &'m Model, name: &str) -> &'m cai_bridge::model::Entity {
    model
        .entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(model)))
}

fn names(model: &Model) -> Vec<&str> {
    model.entities.iter().map(|e| e.name.as_str()).collect()
}

fn key_columns(entity: &cai_bridge::model::Entity) -> Vec<(&str, Role)> {
    entity
        .keys()
        .map(|f| (f.name.as_str(), f.role))
        .collect::<Vec<_>>()
}

/// Loads `records` into a fresh database in `dir` and reads them back.
fn round_trip(
    dir: &std::path::Path,
    model: Model,
    records: &[Value],
) -> (Vec<Value>, rusqlite::Connection) {
    let db = dir.join("maps.db");
    let artifacts = Artifacts::from_model(model);
    let mut loader = Loader::open(&db, &artifacts).expect("opens");
    loader.load(records).unwrap_or_else(|e| panic!("{e}"));
    drop(loader);
    let conn = rusqlite::Connection::open(&db).expect("db");
    let back = read_back(&conn, &artifacts.model).expect("reads back");
    (back, conn)
}

#[test]
fn additional_properties_with_a_schema_is_a_child_entity_keyed_by_the_map_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "titles": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {
                    "text": {"type": "string"}, "reviewed": {"type": "boolean"}}}},
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}}
        }}),
        "",
    );
    let model = inputs.load().unwrap_or_else(|e| panic!("{e}")).model;
    let titles = entity(&model, "Titles");
    assert_eq!(titles.map, Some(MapEntries::Values));
    assert_eq!(titles.path, "$[].titles{}");
    assert_eq!(
        key_columns(titles),
        [("record_id", Role::ParentKey), ("key", Role::MapKey)]
    );
    let columns: Vec<&str> = titles.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(columns, ["record_id", "key", "text", "reviewed"]);
    let counts = entity(&model, "Counts");
    assert!(counts.fields.iter().any(|f| f.role == Role::Value));

    let files = emit::all(&model, &Templates::none()).expect("emits");
    let rust = &files[paths::RUST];
    assert!(
        rust.contains("pub titles: Option<::std::collections::BTreeMap<String, Title>>"),
        "{rust}"
    );
    let cds = &files[paths::CDS_SCHEMA];
    assert!(cds.contains("key ![key]"), "{cds}");

    let records = [
        json!({"id": "a", "titles": {"de": {"text": "Hallo", "reviewed": true}, "en": {"text": "Hello"}},
               "counts": {"2026-11-01": 3, "2026-11-02": 5}}),
        // An empty map leaves no rows, and reads back empty (as an absent one does,
        // like an absent array).
        json!({"id": "b", "titles": {}, "counts": {}}),
    ];
    let (back, conn) = round_trip(dir.path(), model, &records);
    let back: Vec<Value> = back.into_iter().map(without_nulls).collect();
    assert_eq!(back, records);
    let keys: Vec<(String, String)> = conn
        .prepare("SELECT record_id, key FROM cai_logs_Titles ORDER BY 1, 2")
        .expect("query")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(keys, [("a".into(), "de".into()), ("a".into(), "en".into())]);
}

#[test]
fn samples_with_an_entity_map_give_one_entities_table_with_key_and_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let records = cai_messages();
    let loaded = samples(dir.path(), &records, "")
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    let model = loaded.model;
    let entities = entity(&model, "Entities");
    assert_eq!(entities.map, Some(MapEntries::Arrays));
    assert_eq!(entities.path, "$[].entities{}[]");
    assert_eq!(
        key_columns(entities),
        [
            ("record_id", Role::ParentKey),
            ("key", Role::MapKey),
            ("position", Role::Position)
        ]
    );
    // One table for every kind: no column or table per kind.
    assert_eq!(names(&model), ["Records", "Entities"]);
    for column in ["raw", "confidence", "iso", "scalar", "lat", "fullname"] {
        assert!(
            entities.fields.iter().any(|f| f.name == column),
            "{column} in {:?}",
            entities.fields
        );
    }
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("look like data")),
        "{}",
        loaded.warnings
    );

    let records: Vec<Value> = records.as_array().expect("array").clone();
    let (back, conn) = round_trip(dir.path(), model, &records);
    let back: Vec<Value> = back.into_iter().map(without_nulls).collect();
    let expected: Vec<Value> = records.into_iter().map(without_nulls).collect();
    assert_eq!(back, expected);
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM cai_logs_Entities", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 7);
}

#[test]
fn bridge_toml_forces_and_forbids_a_map_per_data_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Forbidden: the entity map's kinds stay members (one column set per kind).
    let forbidden = samples(
        dir.path(),
        &cai_messages(),
        "[maps]\n\"$[].entities\" = false\n",
    )
    .load()
    .unwrap_or_else(|e| panic!("{e}"))
    .model;
    assert!(forbidden.entities.iter().all(|e| e.map.is_none()));
    // (dlt's answer: a table per kind.)
    assert_eq!(
        names(&forbidden),
        ["Records", "Datetimes", "Numbers", "Locations", "Persons"]
    );

    // Forced: two fixed-looking keys in every record are a map all the same.
    let records = json!([
        {"id": 1, "totals": {"north": {"n": 1}, "south": {"n": 2}}},
        {"id": 2, "totals": {"north": {"n": 3}, "south": {"n": 4}}}
    ]);
    let plain = samples(dir.path(), &records, "")
        .load()
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    assert!(plain.entities.iter().all(|e| e.map.is_none()));
    assert!(plain
        .root()
        .fields
        .iter()
        .any(|f| f.name == "totals_north_n"));
    let forced = samples(dir.path(), &records, "[maps]\n\"$[].totals\" = true\n")
        .load()
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    let totals = entity(&forced, "Totals");
    assert_eq!(totals.map, Some(MapEntries::Values));
    let (back, _) = round_trip(dir.path(), forced, records.as_array().expect("array"));
    assert_eq!(back, *records.as_array().expect("array"));

    // A spec's map forbidden: kept as JSON text, as a free-form object is.
    let declared = spec(
        dir.path(),
        json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}}
        }}),
        "[maps]\n\"$[].counts\" = false\n",
    )
    .load()
    .unwrap_or_else(|e| panic!("{e}"))
    .model;
    assert_eq!(names(&declared), ["Records"]);
    let counts = declared.root().fields.iter().find(|f| f.name == "counts");
    assert_eq!(
        counts.map(|f| &f.ty),
        Some(&cai_bridge::model::LogicalType::Json)
    );
}

#[test]
fn a_map_in_the_data_that_is_not_an_object_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = samples(dir.path(), &cai_messages(), "")
        .load()
        .unwrap_or_else(|e| panic!("{e}"))
        .model;
    let artifacts = Artifacts::from_model(model);
    let mut loader = Loader::open(&dir.path().join("bad.db"), &artifacts).expect("opens");
    // An empty array is an empty map (CAI's sample prints `"entities": []`).
    let empty = [json!({"id": "e", "entities": []})];
    assert_eq!(loader.load(&empty).expect("loads").rows, 1);
    let bad = [json!({"id": "x", "entities": [1, 2]})];
    let error = loader.load(&bad).expect_err("refused").to_string();
    assert!(error.contains("entities"), "{error}");
    assert!(error.contains("expected an object"), "{error}");
    let bad = [json!({"id": "y", "entities": {"number": {"raw": "1"}}})];
    let error = loader.load(&bad).expect_err("refused").to_string();
    assert!(
        error.contains("expected an array under `number`"),
        "{error}"
    );
}

// What the generator writes for the entity-map samples (`src/model.rs`), by hand:
// the derive over it builds the same model, so the two front ends agree on maps.
mod derived {
    use std::collections::BTreeMap;

    /// A record of `$[]`.
    #[derive(serde::Serialize, serde::Deserialize, cai_bridge::Bridge)]
    #[serde(crate = "cai_bridge::serde")]
    #[bridge(
        entity = "Records",
        key = "id",
        namespace = "cai.logs",
        service = "CatalogService"
    )]
    pub struct Record {
        /// The `id` member.
        pub id: String,
        /// The `titles` member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub titles: Option<BTreeMap<String, Title>>,
        /// The `entities` member.
        pub entities: BTreeMap<String, Vec<Entity>>,
    }

    /// A record of `$[].titles{}`.
    #[derive(serde::Serialize, serde::Deserialize, cai_bridge::Bridge)]
    #[serde(crate = "cai_bridge::serde")]
    #[bridge(entity = "Titles")]
    pub struct Title {
        /// The `text` member.
        pub text: String,
    }

    /// A record of `$[].entities{}[]`.
    #[derive(serde::Serialize, serde::Deserialize, cai_bridge::Bridge)]
    #[serde(crate = "cai_bridge::serde")]
    #[bridge(entity = "Entities")]
    pub struct Entity {
        /// The `raw` member.
        pub raw: String,
        /// The `confidence` member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub confidence: Option<f64>,
    }
}

#[test]
fn the_derive_agrees_on_maps() {
    use cai_bridge::Bridge;
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "required": ["id", "entities"], "properties": {
            "id": {"type": "string"},
            "titles": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}},
            "entities": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "required": ["raw"], "properties": {
                    "raw": {"type": "string"}, "confidence": {"type": "number"}}}}}
        }}),
        "",
    );
    let generated = inputs.load().unwrap_or_else(|e| panic!("{e}")).model;
    let rust = &emit::all(&generated, &Templates::none()).expect("emits")[paths::RUST];
    assert!(
        rust.contains("pub entities: ::std::collections::BTreeMap<String, Vec<Entity>>"),
        "{rust}"
    );
    let derived = derived::Record::model().unwrap_or_else(|e| panic!("{e}"));
    cai_bridge_tests::assert_same_artifacts(derived, &generated);

    // The structs load through the same walker as JSON, and read back the same.
    let record = derived::Record {
        id: "m1".into(),
        titles: Some(std::collections::BTreeMap::from([(
            "de".to_owned(),
            derived::Title {
                text: "Hallo".into(),
            },
        )])),
        entities: std::collections::BTreeMap::from([(
            "number".to_owned(),
            vec![
                derived::Entity {
                    raw: "4711".into(),
                    confidence: Some(0.99),
                },
                derived::Entity {
                    raw: "2".into(),
                    confidence: None,
                },
            ],
        )]),
    };
    let db = dir.path().join("derived.db");
    let artifacts = Artifacts::of::<derived::Record>().expect("artifacts");
    let mut loader = Loader::open(&db, &artifacts).expect("opens");
    loader.load(&[record]).unwrap_or_else(|e| panic!("{e}"));
    let back = read_back(loader.connection(), &artifacts.model).expect("reads back");
    assert_eq!(
        back,
        [json!({"id": "m1", "titles": {"de": {"text": "Hallo"}},
                "entities": {"number": [{"raw": "4711", "confidence": 0.99}, {"raw": "2"}]}})]
    );
}

#[test]
fn the_generic_mock_serves_maps_as_maps_and_they_load() {
    use cai_bridge::model::{TimeFormat, Window};
    use cai_bridge_mock::generic::{GenericConfig, GenericServer};
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "required": ["id", "at"], "properties": {
            "id": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "titles": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"text": {"type": "string"}}}},
            "entities": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "required": ["raw"], "properties": {"raw": {"type": "string"}}}}}
        }}),
        "",
    );
    let mut model = inputs.load().unwrap_or_else(|e| panic!("{e}")).model;
    model.source.window = Some(Window {
        from: "from".into(),
        to: "to".into(),
        format: TimeFormat::Rfc3339,
    });
    let rt = cai_bridge_tests::runtime();
    let server = rt
        .block_on(GenericServer::start(
            &model,
            GenericConfig::new(40),
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("the generic mock starts");
    let records = server.records();
    let entries = |member: &str| -> usize {
        records
            .iter()
            .filter_map(|r| r[member].as_object())
            .map(|map| map.len())
            .sum()
    };
    let items: usize = records
        .iter()
        .filter_map(|r| r["entities"].as_object())
        .flat_map(|map| map.values())
        .map(|items| items.as_array().expect("a map of arrays").len())
        .sum();
    assert!(entries("titles") > 0 && items > 0, "{records:?}");
    let (back, conn) = round_trip(dir.path(), model.clone(), &records);
    assert_eq!(back.len(), records.len());
    assert_eq!(
        cai_bridge_tests::row_count(&conn, &model, "Titles"),
        entries("titles") as i64
    );
    assert_eq!(
        cai_bridge_tests::row_count(&conn, &model, "Entities"),
        items as i64
    );
}

#[test]
fn the_shipped_cai_samples_alone_give_one_entities_map() {
    let samples = cai_bridge_tests::repo().join("specs/cai-logs-v2/samples");
    let loaded = Inputs {
        samples: vec![samples],
        ..Inputs::default()
    }
    .load()
    .unwrap_or_else(|e| panic!("{e}"));
    let model = loaded.model;
    let entities = entity(&model, "Entities");
    assert_eq!(entities.map, Some(MapEntries::Arrays));
    assert_eq!(
        entities.path,
        "results.conversations[].messages[].entities{}[]"
    );
    let keys: Vec<&str> = entities.keys().map(|f| f.name.as_str()).collect();
    assert_eq!(
        keys,
        [
            "message_conversation_id",
            "message_message_id",
            "key",
            "position"
        ]
    );
    // `cai-bridge infer` says it as a JSON Schema map of arrays.
    let schema = emit::json_schema::emit(&model);
    let map = &schema["properties"]["messages"]["items"]["properties"]["entities"];
    assert_eq!(map["x-map"], "Entities", "{map}");
    assert_eq!(map["additionalProperties"]["type"], "array", "{map}");
    // No table or column per entity kind.
    for kind in ["Numbers", "Persons", "Datetimes", "Locations"] {
        assert!(!names(&model).contains(&kind), "{:?}", names(&model));
    }
    let messages = entity(&model, "Messages");
    assert!(
        messages
            .fields
            .iter()
            .all(|f| !f.name.starts_with("entities_")),
        "{:?}",
        messages.fields
    );
}
