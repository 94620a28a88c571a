//! The properties that matter most, for random records of the CAI model: load →
//! read back gives the same records, and loading twice gives the same hash.

use cai_bridge::load::{content_hash, read_back, Loader};
use proptest::prelude::*;
use serde_json::{json, Value};

fn uuid(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

fn timestamp(seconds: u32) -> String {
    let t = chrono::DateTime::from_timestamp(1_600_000_000 + i64::from(seconds), 0).expect("time");
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z ]{0,12}", "[äöü€😀中文\"'\\\\]{1,6}"]
}

fn maybe<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)]
}

fn intent() -> impl Strategy<Value = Value> {
    ("[a-z_]{1,10}", 0.0f64..1.0, maybe(text())).prop_map(|(slug, confidence, description)| {
        json!({ "slug": slug, "confidence": confidence, "description": description })
    })
}

/// One occurrence of an entity: every kind has `raw` and `confidence`, custom ones
/// a `value`.
fn occurrence() -> impl Strategy<Value = Value> {
    (text(), 0.0f64..1.0, maybe(text())).prop_map(
        |(raw, confidence, value)| json!({ "raw": raw, "confidence": confidence, "value": value }),
    )
}

/// CAI's entity map: entity name → its occurrences (a name is there only when found).
fn entities() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        "[a-z][a-z-]{0,11}",
        proptest::collection::vec(occurrence(), 1..3),
        0..3,
    )
    .prop_map(|map| json!(map))
}

fn message(id: u32) -> impl Strategy<Value = Value> {
    (
        0u32..100_000,
        maybe(text()),
        text(),
        proptest::collection::vec((text(), text()), 0..3),
        maybe(-1000i32..1000),
        proptest::collection::vec(intent(), 0..3),
        entities(),
    )
        .prop_map(move |(at, skill, content, replies, status, intents, entities)| {
            let replies: Vec<Value> = replies
                .into_iter()
                .map(|(t, c)| json!({ "type": t, "content": c }))
                .collect();
            json!({
                "message_id": uuid(id),
                "received_at": timestamp(at),
                "conversation_skill": skill,
                "input_message_content": json!({ "content": content, "type": "text" }).to_string(),
                "replies": Value::Array(replies).to_string(),
                "nlp_status": status,
                "intents": intents,
                "entities": entities,
            })
        })
}

fn conversation(id: u32) -> impl Strategy<Value = Value> {
    (0u32..100_000, maybe(text()), 0u32..4).prop_flat_map(move |(at, channel, n)| {
        let messages: Vec<_> = (0..n).map(|i| message(id * 10 + i)).collect();
        messages.prop_map(move |messages| {
            json!({ "id": uuid(id), "start_at": timestamp(at), "channel_id": channel, "messages": messages })
        })
    })
}

fn conversations() -> impl Strategy<Value = Vec<Value>> {
    (0u32..6).prop_flat_map(|n| (1..=n).map(conversation).collect::<Vec<_>>())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn load_then_read_back_gives_the_records_and_twice_the_same_hash(records in conversations()) {
        let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut loader = Loader::open(&dir.path().join("p.db"), &artifacts).expect("opens").batch_size(2);
        loader.load(records.clone()).expect("loads");
        let back = read_back(loader.connection(), model).expect("reads back");
        let expected: Vec<Value> = records.into_iter().map(cai_bridge_tests::without_nulls).collect();
        prop_assert_eq!(back.into_iter().map(cai_bridge_tests::without_nulls).collect::<Vec<_>>(), expected.clone());
        let hash = content_hash(loader.connection(), model).expect("hash");
        loader.load(expected).expect("loads again");
        prop_assert_eq!(content_hash(loader.connection(), model).expect("hash"), hash);
    }
}
