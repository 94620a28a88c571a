//! Keys as real specs write them: `id` is seldom under `required`, yet it is the
//! records' key all the same (the struct carries it non-optional, the loader refuses
//! a record without it); without a declared key the builder takes what a person
//! would (`id`, `<singular>_id`, `<singular>Id`, `sid`, `uuid`) and says so; and the
//! error for no key names what it looked for and what it saw.

use cai_bridge::load::{LoadError, Loader};
use cai_bridge::Artifacts;
use cai_bridge_build::emit::{self, paths, templates::Templates};
use cai_bridge_build::{Error, Inputs};
use serde_json::json;

fn spec(dir: &std::path::Path, item: serde_json::Value) -> Inputs {
    cai_bridge_tests::array_spec(dir, "/pets", item, "")
}

#[test]
fn an_optional_id_is_the_key_all_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer", "format": "int64"},
            "name": {"type": "string"}
        }}),
    );
    let loaded = inputs.load().unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = loaded
        .model
        .root()
        .keys()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(keys, ["id"]);
    let warning = loaded
        .warnings
        .iter()
        .find(|w| w.message.contains("declare no key"))
        .unwrap_or_else(|| panic!("no warning: {}", loaded.warnings));
    assert!(warning.message.contains("`id`"), "{warning}");
    let files = emit::all(&loaded.model, &Templates::none()).expect("emits");
    let rust = &files[paths::RUST];
    assert!(rust.contains("pub id: i64,"), "{rust}");
    assert!(rust.contains("pub name: Option<String>,"), "{rust}");

    // The loader refuses a record without its key, naming the record and the field.
    let artifacts = Artifacts::from_model(loaded.model);
    let mut loader = Loader::open(&dir.path().join("pets.db"), &artifacts).expect("opens");
    let records = [json!({"id": 1, "name": "a"}), json!({"name": "keyless"})];
    match loader.load(&records) {
        Err(LoadError::Record { entity, field, .. }) => {
            assert_eq!(entity, artifacts.model.root().name);
            assert_eq!(field, "id");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_present_sid_is_taken_without_a_word() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "required": ["sid"], "properties": {
            "sid": {"type": "string"},
            "body": {"type": "string"}
        }}),
    );
    let loaded = inputs.load().unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = loaded
        .model
        .root()
        .keys()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(keys, ["sid"]);
    assert!(
        !loaded.warnings.iter().any(|w| w.message.contains("key")),
        "{}",
        loaded.warnings
    );
}

#[test]
fn no_key_names_the_candidates_and_the_fields() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "tag": {"type": "string"}
        }}),
    );
    let Err(Error::Invalid(diagnostics)) = inputs.load() else {
        panic!("a model without a key");
    };
    let text = diagnostics.to_string();
    for word in ["`id`", "`sid`", "`uuid`", "name, tag", "bridge.toml"] {
        assert!(text.contains(word), "{word} missing from: {text}");
    }
}

// What the generator writes for the spec above, by hand: the derive builds the same
// model from it (`id` the key, not optional), so the two front ends agree.
/// A record of `$[]`.
#[derive(serde::Serialize, serde::Deserialize, cai_bridge::Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(entity = "Records", namespace = "cai.logs", service = "CatalogService")]
struct Pet {
    /// The `id` member.
    id: i64,
    /// The `name` member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[test]
fn the_derive_agrees_on_an_optional_id() {
    use cai_bridge::Bridge;
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = spec(
        dir.path(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer", "format": "int64"},
            "name": {"type": "string"}
        }}),
    );
    let generated = inputs.load().unwrap_or_else(|e| panic!("{e}")).model;
    let derived = Pet::model().unwrap_or_else(|e| panic!("{e}"));
    cai_bridge_tests::assert_same_artifacts(derived, &generated);
}
