//! Every shipped sample deserializes into the generated structs and re-serializes
//! without losing a field or changing a value.

use std::path::{Path, PathBuf};

use cai_bridge::serde_json::{self, Value};
use cai_logs_bridge::model::{Conversation, Response};

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/cai-logs-v2/samples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("samples folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

/// Absent and `null` say the same for an optional field; everything else must match.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn round_trip<T>(original: Value, what: &str)
where
    T: cai_bridge::serde::de::DeserializeOwned + cai_bridge::serde::Serialize,
{
    let typed: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{what} does not deserialize: {e}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(
        without_nulls(back),
        without_nulls(original),
        "{what} changed in a round trip"
    );
}

#[test]
fn every_sample_round_trips() {
    let mut records = 0;
    for file in samples() {
        let text = std::fs::read_to_string(&file).expect("readable sample");
        let name = file.display().to_string();
        if name.ends_with(".ndjson") {
            for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                let value: Value = serde_json::from_str(line).expect("valid NDJSON line");
                round_trip::<Conversation>(value, &format!("{name}:{}", i + 1));
                records += 1;
            }
        } else {
            let value: Value = serde_json::from_str(&text).expect("valid JSON sample");
            records += value["results"]["conversations"]
                .as_array()
                .map_or(0, Vec::len);
            round_trip::<Response>(value, &name);
        }
    }
    assert!(records >= 10, "only {records} conversations in the samples");
}

#[test]
fn embedded_json_stays_text() {
    let file = samples()
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"));
    let text = std::fs::read_to_string(file.expect("a .json sample")).expect("readable");
    let response: Response = serde_json::from_str(&text).expect("deserializes");
    let message = response
        .results
        .conversations
        .iter()
        .flat_map(|c| &c.messages)
        .find(|m| m.replies.is_some())
        .expect("a message with replies");
    let replies: Value = serde_json::from_str(message.replies.as_deref().unwrap_or("null"))
        .expect("replies hold JSON text");
    assert!(replies.is_array());
}
