//! The derive is a front end of the same model: for the generated structs (which
//! carry the `Bridge` impls `#[derive(Bridge)]` expands to, written out by the
//! generator), the model those impls build at run time yields the very DDL, CDS and
//! CSDL that `cai-bridge generate` wrote from the spec.

use cai_bridge::bridge::artifacts;
use cai_bridge::Bridge;
use cai_bridge_build::emit::paths;

fn assert_same_artifacts(derived: &cai_bridge::Model, generated: &cai_bridge::Model, what: &str) {
    let ours = artifacts(derived);
    let theirs = artifacts(generated);
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
    assert_same_artifacts(derived, &cai_logs_bridge::artifacts().model, "cai-logs-v2");
}

#[test]
fn hostile_structs_derive_the_generated_model() {
    let derived = cai_bridge_golden_hostile::model::Item::model()
        .unwrap_or_else(|e| panic!("the derive's model does not build:\n{e}"));
    let generated = cai_bridge_tests::generate(&cai_bridge_tests::hostile());
    assert_same_artifacts(derived, &generated.model, "hostile");
}

#[test]
fn generated_structs_load_every_sample_twice_like_their_json() {
    use cai_bridge::load::{content_hash, read_back, Loader};
    use cai_logs_bridge::model::Conversation;
    let json = cai_bridge_tests::cai_samples();
    let typed: Vec<Conversation> = json
        .iter()
        .map(|c| serde_json::from_value(c.clone()).expect("a sample conversation is typed"))
        .collect();
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut from_structs = Loader::open(&tmp.path().join("typed.db"), &artifacts)
        .expect("opens")
        .batch_size(2);
    from_structs.load(&typed).expect("loads structs");
    let counts = cai_bridge_tests::row_counts(from_structs.connection(), model);
    let hash = content_hash(from_structs.connection(), model).expect("hash");
    from_structs.load(&typed).expect("loads structs again");
    assert_eq!(
        cai_bridge_tests::row_counts(from_structs.connection(), model),
        counts
    );
    assert_eq!(
        content_hash(from_structs.connection(), model).expect("hash"),
        hash
    );
    assert_eq!(counts[0], ("Conversations".to_owned(), typed.len() as i64));
    let messages: usize = typed.iter().map(|c| c.messages.len()).sum();
    assert_eq!(counts[1], ("Messages".to_owned(), messages as i64));

    // The same rows as the JSON the API sends (whose counts tests/loader.rs checks)...
    let mut from_json = Loader::open(&tmp.path().join("json.db"), &artifacts).expect("opens");
    from_json.load(json).expect("loads JSON");
    assert_eq!(
        content_hash(from_json.connection(), model).expect("hash"),
        hash
    );
    // ...and read back, the very records that went in. Rows with a natural key come
    // back in key order (only keyless children keep a position), so both sides are
    // put in key order first.
    let back = in_key_order(
        read_back(from_structs.connection(), model)
            .expect("reads back")
            .into_iter()
            .map(cai_bridge_tests::without_nulls)
            .collect(),
    );
    let expected = in_key_order(
        typed
            .iter()
            .map(|c| cai_bridge_tests::without_nulls(serde_json::to_value(c).expect("serializes")))
            .collect(),
    );
    assert_eq!(back.len(), expected.len());
    for (back, expected) in back.iter().zip(&expected) {
        assert_eq!(back, expected);
    }
}

/// Conversations by `id`, and each one's messages by `message_id`.
fn in_key_order(mut conversations: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
    for conversation in &mut conversations {
        if let Some(messages) = conversation["messages"].as_array_mut() {
            messages.sort_by_key(|m| text(m, "message_id"));
        }
    }
    conversations.sort_by_key(|c| text(c, "id"));
    conversations
}
