//! `#[derive(Bridge)]` on small structs that use every attribute, checked through the
//! model it builds (the generator's own model code) and the values it reads.

use cai_bridge::model::{Entity, LogicalType, Model};
use cai_bridge::record::{Cell, Member, Record};
use cai_bridge::serde::Deserialize;
use cai_bridge::Bridge;

/// `crate = "..."` names the runtime through a re-export.
mod reexport {
    pub use cai_bridge;
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(
    entity = "Talks",
    key = "talk_id",
    records = "results.talks",
    namespace = "test.talks",
    service = "TalkService",
    path = "/odata/v4/talks"
)]
struct Talk {
    #[bridge(uuid)]
    talk_id: String,
    #[serde(rename = "startedAt")]
    #[bridge(timestamp)]
    started_at: String,
    #[bridge(date)]
    day: Option<String>,
    #[bridge(rename = "body_text", large)]
    body: String,
    #[bridge(max_length = 8, one_of("low", "high"))]
    priority: String,
    r#type: i32,
    #[bridge(skip)]
    #[serde(default)]
    cache: std::collections::HashMap<String, String>,
    #[bridge(json)]
    raw: Option<String>,
    #[bridge(json = "Payload")]
    payload: String,
    #[bridge(json = "Vec<Reply>")]
    replies: String,
    sender: Sender,
    messages: Vec<Message>,
    tags: Vec<String>,
    mentions: Option<Vec<Mention>>,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Sender {
    id: String,
    /// Confidence \[0, 1\], as [the docs](https://example.com/score) define it.
    score: f64,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(entity = "Messages", key = "seq, part")]
struct Message {
    seq: i64,
    part: u32,
    text: String,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(crate = "reexport::cai_bridge", entity = "Mentions", key("who", "at"))]
struct Mention {
    who: String,
    at: i64,
    seen: bool,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
struct Payload {
    kind: String,
    size: i32,
}

#[derive(Deserialize, Bridge)]
#[serde(crate = "cai_bridge::serde")]
#[bridge(entity = "Replies")]
struct Reply {
    content: String,
}

fn entity<'m>(model: &'m Model, name: &str) -> &'m Entity {
    let found = model.entities.iter().find(|e| e.name == name);
    found.unwrap_or_else(|| panic!("no entity {name}"))
}

/// (column, type, key, not null) of every column of `name`.
fn columns<'m>(model: &'m Model, name: &str) -> Vec<(&'m str, LogicalType, bool, bool)> {
    let fields = &entity(model, name).fields;
    let column =
        |f: &'m cai_bridge::model::Field| (f.name.as_str(), f.ty.clone(), f.key, f.not_null);
    fields.iter().map(column).collect()
}

#[test]
fn model_follows_the_attributes() {
    use LogicalType as T;
    let model = Talk::model().expect("a valid model");
    assert_eq!(model.namespace, "test.talks");
    assert_eq!(model.service.name, "TalkService");
    assert_eq!(model.service.path, "/odata/v4/talks");
    assert_eq!(model.source.records, ["results", "talks"]);
    let names: Vec<&str> = model.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Talks", "Replies", "Messages", "Tags", "Mentions"]);
    // A doc's escaped brackets are brackets in the description, as rustdoc shows them.
    let score = entity(model, "Talks")
        .fields
        .iter()
        .find(|f| f.name == "sender_score")
        .expect("the nested struct flattens");
    assert_eq!(
        score.doc.as_deref(),
        Some("Confidence [0, 1], as [the docs](https://example.com/score) define it.")
    );

    // Hints, renames, a raw identifier; `skip` leaves `cache` out; `json` keeps the
    // raw text, `json = "Payload"` adds its columns, a nested struct flattens.
    assert_eq!(
        columns(model, "Talks"),
        [
            ("talk_id", T::Uuid, true, true),
            ("startedAt", T::Timestamp, false, true),
            ("day", T::Date, false, false),
            ("body_text", T::LargeString, false, true),
            ("priority", T::String(Some(8)), false, true),
            ("type", T::Integer, false, true),
            ("raw", T::LargeString, false, false),
            ("payload", T::LargeString, false, true),
            ("payload_kind", T::String(None), false, false),
            ("payload_size", T::Integer, false, false),
            ("replies", T::LargeString, false, true),
            ("sender_id", T::String(None), false, true),
            ("sender_score", T::Double, false, true),
        ]
    );
    let priority = &entity(model, "Talks").fields[4];
    assert_eq!(
        priority.enum_values.as_deref(),
        Some(&["low".to_owned(), "high".to_owned()][..])
    );

    // `json = "Vec<Reply>"`: a child entity, keyed by position.
    assert_eq!(
        columns(model, "Replies"),
        [
            ("talk_talk_id", T::Uuid, true, true),
            ("position", T::Integer, true, true),
            ("content", T::String(None), false, false),
        ]
    );
    // `key = "seq, part"` and `key("who", "at")` (through `crate = "..."`).
    let keys = |name| -> Vec<String> {
        let fields = &entity(model, name).fields;
        fields
            .iter()
            .filter(|f| f.key)
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(keys("Messages"), ["talk_talk_id", "seq", "part"]);
    assert_eq!(keys("Mentions"), ["talk_talk_id", "who", "at"]);
    assert_eq!(entity(model, "Messages").fields[2].ty, T::Integer64);
    // `Vec<String>`: (parent key, position, value).
    assert_eq!(keys("Tags"), ["talk_talk_id", "position"]);
    assert_eq!(entity(model, "Tags").fields[2].name, "value");
}

#[test]
fn record_borrows_the_fields() {
    let json = r#"{
        "talk_id": "7d3c0c52-5b39-4c1e-9a41-0f7d0c5e8b11", "startedAt": "2024-01-02T03:04:05.000Z",
        "day": null, "body": "hello", "priority": "low", "type": 3, "raw": null,
        "payload": "{}", "replies": "[]", "sender": {"id": "s1", "score": 0.5},
        "messages": [{"seq": 1, "part": 0, "text": "a"}, {"seq": 2, "part": 0, "text": "b"}],
        "tags": ["x", "y"], "mentions": [{"who": "ann", "at": 1, "seen": true}]
    }"#;
    let talk: Talk = cai_bridge::serde_json::from_str(json).expect("a talk");
    match talk.member("startedAt") {
        Member::Cell(Cell::Text(s)) => assert!(std::ptr::eq(s, talk.started_at.as_str())),
        _ => panic!("startedAt is text"),
    }
    assert_eq!(cell(&talk, "type"), Cell::Int(3));
    assert_eq!(cell(&talk, "day"), Cell::Null);
    assert_eq!(cell(&talk, "cache"), Cell::Null, "skipped: not a member");
    assert!(talk.cache.is_empty());
    let Member::Record(sender) = talk.member("sender") else {
        panic!("sender is a record")
    };
    assert_eq!(cell(sender, "score"), Cell::Real(0.5));
    let Member::List(messages) = talk.member("messages") else {
        panic!("messages is a list")
    };
    assert_eq!(cell(messages[1], "text"), Cell::Text("b"));
    let Member::List(tags) = talk.member("tags") else {
        panic!("tags is a list")
    };
    assert_eq!(tags[0].cell(), Cell::Text("x"));
    let Member::List(mentions) = talk.member("mentions") else {
        panic!("mentions is a list")
    };
    assert_eq!(cell(mentions[0], "seen"), Cell::Bool(true));
}

fn cell<'a>(record: &'a dyn Record, key: &str) -> Cell<'a> {
    match record.member(key) {
        Member::Cell(cell) => cell,
        _ => panic!("{key} is not a scalar"),
    }
}
