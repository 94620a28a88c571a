//! The derive is a front end of the same model: for the generated structs (which
//! carry `#[derive(Bridge)]`), the model the derive builds at run time yields the
//! very DDL, CDS and CSDL that `cai-bridge generate` wrote from the spec.

use cai_bridge::bridge::artifacts;
use cai_bridge::Bridge;
use cai_bridge_gen::emit::paths;

fn assert_same_artifacts(derived: &cai_bridge::Model, generated: &cai_bridge::Model, what: &str) {
    let ours = artifacts(derived).expect("derived artifacts");
    let theirs = artifacts(generated).expect("generated artifacts");
    for path in [
        paths::SQL,
        paths::CDS_SCHEMA,
        paths::CDS_SERVICE,
        paths::CSDL,
    ] {
        // The header names the source (a spec operation or none); the rest must match.
        let body = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.contains("@generated"))
                .map(str::to_owned)
                .collect()
        };
        let (ours, theirs) = (body(&ours[path]), body(&theirs[path]));
        if let Some(i) = (0..ours.len().max(theirs.len())).find(|&i| ours.get(i) != theirs.get(i)) {
            panic!(
                "{what}: {path} differs at line {}:\n derive:    {:?}\n generator: {:?}",
                i + 1,
                ours.get(i),
                theirs.get(i)
            );
        }
    }
}

#[test]
fn cai_structs_derive_the_generated_model() {
    let derived = cai_logs_bridge::model::Conversation::model()
        .unwrap_or_else(|e| panic!("the derive's model does not build:\n{e}"));
    assert_same_artifacts(derived, &cai_logs_bridge::model(), "cai-logs-v2");
}

#[test]
fn hostile_structs_derive_the_generated_model() {
    let derived = cai_bridge_golden_hostile::model::Item::model()
        .unwrap_or_else(|e| panic!("the derive's model does not build:\n{e}"));
    let generated = cai_bridge_tests::generate(&cai_bridge_tests::hostile());
    assert_same_artifacts(derived, &generated.model, "hostile");
}

#[test]
fn typed_structs_load_like_their_json() {
    use cai_bridge::load::{content_hash, Loader};
    use cai_logs_bridge::model::Response;
    let dir = cai_bridge_tests::repo().join("specs/cai-logs-v2/samples");
    let mut typed = Vec::new();
    let mut json = Vec::new();
    for name in ["2021-02-05.json", "2021-02-06.json", "2021-03-01.json"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("sample");
        let response: Response = serde_json::from_str(&text).expect("typed");
        typed.extend(response.results.conversations);
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        json.extend(
            value["results"]["conversations"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    let model = cai_logs_bridge::model();
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut from_structs = Loader::open(&tmp.path().join("typed.db"), &model).expect("opens");
    from_structs.load(&typed).expect("loads structs");
    let mut from_json = Loader::open(&tmp.path().join("json.db"), &model).expect("opens");
    from_json.load(json).expect("loads JSON");
    assert_eq!(
        content_hash(from_structs.connection(), &model).expect("hash"),
        content_hash(from_json.connection(), &model).expect("hash")
    );
}
