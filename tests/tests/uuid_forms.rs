//! Every spelling of a UUID that UUID libraries accept, inferred from samples and then
//! loaded: the type the generator infers is exactly what the loader stores and what
//! CAP compares. Only the 8-4-4-4-12 form (either case) is `Edm.Guid`; the others are
//! strings, stored as they came.

use cai_bridge::load::{read_back, Loader};
use cai_bridge::model::LogicalType;
use cai_bridge::Artifacts;
use cai_bridge_build::Inputs;
use serde_json::json;

const FORMS: [(&str, &str, LogicalType); 5] = [
    (
        "canonical",
        "67e55044-10b1-426f-9247-bb680e5fe0c8",
        LogicalType::Uuid,
    ),
    (
        "upper case",
        "67E55044-10B1-426F-9247-BB680E5FE0C8",
        LogicalType::Uuid,
    ),
    (
        "simple",
        "67e5504410b1426f9247bb680e5fe0c8",
        LogicalType::String(None),
    ),
    (
        "braced",
        "{67e55044-10b1-426f-9247-bb680e5fe0c9}",
        LogicalType::String(None),
    ),
    (
        "urn",
        "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
        LogicalType::String(None),
    ),
];

#[test]
fn each_uuid_form_infers_and_loads_consistently() {
    for (form, id, expected) in FORMS {
        let dir = tempfile::tempdir().expect("temp dir");
        let records =
            json!([{"id": id, "ref": id, "n": 1}, {"id": format!("{id} "), "ref": id, "n": 2}]);
        // The second record's id is not a UUID in any form: only `ref` decides here.
        let sample = dir.path().join("sample.json");
        std::fs::write(&sample, records.to_string()).expect("sample");
        let loaded = Inputs {
            samples: vec![sample],
            ..Inputs::default()
        }
        .load()
        .unwrap_or_else(|e| panic!("{form}: inference fails:\n{e}"));
        let root = loaded.model.root();
        let field = |name: &str| {
            root.fields
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{form}: no field {name}"))
                .ty
                .clone()
        };
        assert_eq!(
            field("ref"),
            expected,
            "{form}: {id} infers as {:?}",
            field("ref")
        );
        assert_eq!(field("id"), LogicalType::String(None), "{form}: mixed ids");

        let artifacts = Artifacts::from_model(loaded.model);
        let mut loader = Loader::open(&dir.path().join("uuid.db"), &artifacts).expect("opens");
        let stats = loader
            .load(records.as_array().expect("array"))
            .unwrap_or_else(|e| panic!("{form}: the loader refuses what was inferred: {e}"));
        assert_eq!(stats.records, 2, "{form}");
        let back = read_back(loader.connection(), &artifacts.model).expect("reads back");
        assert_eq!(back[0]["ref"], id, "{form}: stored as it came");
        assert_eq!(back[1]["ref"], id, "{form}: stored as it came");
    }
}

/// The `$filter` parser and key predicates read GUIDs by the same rule: the dashed
/// form in either case is a GUID, the other spellings are not.
#[test]
fn filters_and_keys_take_exactly_the_inferred_uuid_form() {
    use cai_bridge::serve::filter::{key, parse, Property};
    let ty = LogicalType::Uuid;
    let id = [Property {
        name: "id",
        column: "\"id\"",
        ty: &ty,
    }];
    for (form, value, inferred) in FORMS {
        let as_guid = inferred == LogicalType::Uuid;
        let filter = parse(
            &format!("id eq '{value}'"),
            &id,
            cai_bridge::model::dialect::Dialect::Sqlite,
        );
        assert_eq!(filter.is_ok(), as_guid, "{form}: $filter id eq '{value}'");
        let key = key(&format!("'{value}'"), &id);
        assert_eq!(key.is_ok(), as_guid, "{form}: key ('{value}')");
    }
}
