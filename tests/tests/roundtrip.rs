//! Every shipped sample deserializes into the generated structs and re-serializes
//! without losing a field or changing a value, for the CAI spec and for the hostile
//! names (whose structs need raw identifiers and serde renames to say the same).

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn round_trip<T: DeserializeOwned + Serialize>(original: Value, what: &str) {
    let typed: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{what} does not deserialize: {e}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    let same = |v| cai_bridge_tests::json_numbers(cai_bridge_tests::without_nulls(v));
    assert_eq!(same(back), same(original), "{what} changed in a round trip");
}

/// Round-trips every file in `dir`: whole responses as `R`, NDJSON lines as `T`.
/// Returns how many records were seen.
fn round_trip_dir<R, T>(dir: &Path, records: impl Fn(&Value) -> usize) -> usize
where
    R: DeserializeOwned + Serialize,
    T: DeserializeOwned + Serialize,
{
    let mut count = 0;
    for file in files(dir) {
        let text = std::fs::read_to_string(&file).expect("readable sample");
        let name = file.display().to_string();
        if name.ends_with(".ndjson") {
            for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                let value: Value = serde_json::from_str(line).expect("valid NDJSON line");
                round_trip::<T>(value, &format!("{name}:{}", i + 1));
                count += 1;
            }
        } else {
            let value: Value = serde_json::from_str(&text).expect("valid JSON sample");
            count += records(&value);
            round_trip::<R>(value, &name);
        }
    }
    count
}

#[test]
fn cai_samples_round_trip() {
    use cai_logs_bridge::model::{Conversation, Response};
    let dir = cai_bridge_tests::repo().join("specs/cai-logs-v2/samples");
    let count = round_trip_dir::<Response, Conversation>(&dir, |v| {
        v["results"]["conversations"].as_array().map_or(0, Vec::len)
    });
    assert!(count >= 10, "only {count} conversations in the samples");
}

#[test]
fn hostile_samples_round_trip() {
    use cai_bridge_golden_hostile::model::{Item, Response};
    let dir = cai_bridge_tests::repo().join("tests/fixtures/hostile/samples");
    let count = round_trip_dir::<Response, Item>(&dir, |v| {
        v["data"]["items"].as_array().map_or(0, Vec::len)
    });
    assert!(count >= 2, "only {count} hostile records");
}

#[test]
fn embedded_json_stays_text() {
    use cai_logs_bridge::model::Response;
    let dir = cai_bridge_tests::repo().join("specs/cai-logs-v2/samples");
    let file = files(&dir)
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"));
    let text = std::fs::read_to_string(file.expect("a .json sample")).expect("readable");
    let response: Response = serde_json::from_str(&text).expect("deserializes");
    let replies = response
        .results
        .conversations
        .iter()
        .flat_map(|c| &c.messages)
        .find_map(|m| m.replies.clone())
        .expect("a message with replies");
    let replies: Value = serde_json::from_str(&replies).expect("replies hold JSON text");
    assert!(replies.is_array());
}
