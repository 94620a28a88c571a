//! Differential testing of the OData server against the real CAP: the same requests
//! to both on one SQLite file, answers summarized in the shape
//! `tests/cap/serve-check.js` prints CAP's, and compared.

use std::net::SocketAddr;
use std::path::Path;

use cai_bridge::load::{Foreign, Loader, Store};
use cai_bridge::serve::{Auth, ODataServer};
use cai_bridge::Artifacts;
use cai_bridge_mock::{MockConfig, MockServer};
use serde_json::Value;

/// Port 0 on 127.0.0.1: a free port on loopback.
pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A CAI database of 300 mock conversations (1000+ messages, so answers page).
pub fn database(rt: &tokio::runtime::Runtime, db: &Path) {
    database_in(
        rt,
        &cai_bridge::database_url::Database::Sqlite(db.to_owned()),
    );
}

/// The same records loaded into `db`, SQLite or PostgreSQL.
pub fn database_in(rt: &tokio::runtime::Runtime, db: &cai_bridge::database_url::Database) {
    let artifacts = cai_logs_bridge::artifacts();
    let mock = rt
        .block_on(MockServer::start(MockConfig::new(300), loopback()))
        .expect("mock starts");
    Store::open(rt, db, &artifacts, Foreign::Refuse)
        .expect("opens")
        .load(mock.conversations())
        .expect("loads");
    rt.block_on(mock.shutdown());
}

/// A database of the hostile fixture's model (`tests/golden-hostile`): `items` copies
/// of its sample records, each with its own id and varied numbers, so that filters,
/// orders and pages have something to tell apart.
pub fn hostile_database(db: &Path, items: usize) {
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::repo().join("tests/fixtures/hostile/samples/sample.json"))
            .expect("the hostile sample"),
    )
    .expect("JSON");
    let originals = sample["data"]["items"].as_array().expect("items").clone();
    let records: Vec<Value> = (0..items)
        .map(|i| {
            let mut item = originals[i % originals.len()].clone();
            item["id"] = Value::String(format!("{i:08x}-0000-4000-8000-{:012x}", i * 7919));
            item["position"] = (i as u64 % 13).into();
            item["amount"] = ((i % 17) as f64 * 1.25).into();
            item["paid"] = (i % 3 == 0).into();
            item["status"] = ["in-progress", "done", "new"][i % 3].into();
            item
        })
        .collect();
    Loader::open(db, &cai_bridge_golden_hostile::artifacts())
        .expect("opens")
        .load(&records)
        .expect("loads");
}

/// The requests the differential tests send (SQLite and PostgreSQL alike): what SAC
/// and a person exploring the service send, on a database of [`database`];
/// `conversation`, `message` and `start` name a message in it and its time.
pub fn requests(conversation: &str, message: &str, start: &str) -> Vec<String> {
    [
        // Whole sets, and pages.
        "Conversations",
        "MessageFacts",
        "MessageFacts?$skip=1000",
        "Messages?$count=true",
        "Intents?$top=5&$skip=7",
        "Conversations/$count",
        // What SAC sends: $select, $filter with eq ne gt ge lt le and or, $orderby.
        "Conversations?$select=id,channel_type&$orderby=start_at%20desc&$top=5",
        "Messages?$filter=nlp_sentiment%20eq%20'positive'%20and%20nlp_status%20eq%20200&$select=message_id,nlp_sentiment&$top=20",
        "Messages?$filter=nlp_sentiment%20eq%20'positive'%20or%20nlp_sentiment%20eq%20'negative'%20and%20nlp_status%20eq%20200&$count=true&$top=3",
        "Messages?$filter=nlp_type%20eq%20null&$count=true&$top=3",
        "Messages?$filter=nlp_type%20ne%20null&$count=true&$top=3",
        "Messages?$filter=nlp_sentiment%20ne%20'neutral'&$count=true&$top=2",
        "Intents?$filter=confidence%20ge%200.5%20and%20confidence%20lt%200.9&$orderby=confidence%20desc&$top=10",
        "Entities?$filter=confidence%20gt%200.8&$orderby=key,confidence%20desc&$top=25",
        // The entity map's rows: one per occurrence, keyed by the entity name.
        "Entities?$filter=key%20eq%20'datetime'&$select=key,position,iso,formatted,chronology",
        "Entities?$apply=groupby((key),aggregate($count%20as%20n))",
        "Conversations?$orderby=channel_type,start_at%20desc&$top=50",
        "MessageFacts?$filter=top_intent_slug%20eq%20'greetings'&$select=message_id,top_intent_slug,conversation_channel_type&$top=10",
        "Messages/$count?$filter=nlp_status%20eq%20200",
        // The fact set counted in its entity table (filtered on its columns, or not:
        // on a joined one it is counted in the view), paged on its keys, and bounded
        // at the page's end when its order starts descending (at nulls, ties, the end).
        "MessageFacts?$count=true&$top=0",
        "MessageFacts/$count?$filter=nlp_status%20eq%20200%20and%20input_message_type%20eq%20'text'",
        "MessageFacts?$filter=top_intent_confidence%20gt%200.5&$count=true&$top=3",
        "MessageFacts?$search=hello&$count=true&$top=2",
        "MessageFacts?$filter=(nlp_status%20eq%20200%20and%20input_message_type%20eq%20'text')%20or%20top_intent_confidence%20gt%200.9&$orderby=received_at%20desc&$top=100&$skip=40&$count=true",
        "MessageFacts?$orderby=conversation_channel_type%20desc,received_at&$top=7&$skip=600&$select=message_id,conversation_channel_type",
        "MessageFacts?$orderby=top_intent_slug%20desc&$skip=990&$select=message_id,top_intent_slug",
        "MessageFacts?$filter=nlp_status%20eq%20999&$orderby=received_at%20desc&$top=5",
        "Messages?$orderby=nlp_type%20desc&$skip=900&$top=200&$select=message_id,nlp_type",
        // Functions a person exploring the service may use.
        "Messages?$filter=contains(conversation_skill,'order')&$select=message_id,conversation_skill&$top=5",
        "Messages?$filter=startswith(connector_sender_id,'p-')&$count=true&$top=1",
        // Single entities, by simple and compound key, and one that is not there.
        &format!("Conversations({conversation})"),
        &format!("Messages(conversation_id={conversation},message_id={message})"),
        "Conversations(00000000-0000-0000-0000-000000000000)",
        // Client mistakes: 4xx on both.
        "Conversations?$filter=nope%20eq%201",
        "Nope",
        "Conversations?$orderby=nope",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([format!(
        "Messages?$filter=received_at%20ge%20{start}&$orderby=received_at&$select=message_id,received_at&$top=30"
    )])
    .collect()
}

/// Our server on a fresh CAI database (kept alive by the returned temp dir), without
/// authentication: CAP is compared on what it answers, and `serve_auth` tests the auth.
pub fn serve_database(rt: &tokio::runtime::Runtime) -> (tempfile::TempDir, ODataServer) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(rt, &db);
    let server = rt
        .block_on(ODataServer::start(
            &cai_logs_bridge::artifacts(),
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            loopback(),
            Auth::Disabled,
        ))
        .expect("serves");
    (dir, server)
}

/// What one answer says, in the shape `tests/cap/serve-check.js` reports CAP's.
pub fn ours(rt: &tokio::runtime::Runtime, base: &str, relative: &str) -> Value {
    let bare = relative
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    let url = if bare {
        format!("{base}{relative}?$top=1000")
    } else {
        format!("{base}{relative}")
    };
    let (status, content_type, body) = rt.block_on(async {
        let response = reqwest::get(&url).await.expect("request");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, content_type, response.text().await.expect("body"))
    });
    let media = content_type
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut entry =
        serde_json::json!({ "status": status, "contentType": content_type, "type": media });
    match serde_json::from_str::<Value>(&body) {
        Ok(json) if status == 200 && json["value"].is_array() => {
            entry["count"] = json["value"].as_array().map(Vec::len).into();
            entry["value"] = json["value"].clone();
            if let Some(next) = json.get("@odata.nextLink") {
                entry["nextLink"] = next.clone();
            }
            if let Some(count) = json.get("@odata.count") {
                entry["odataCount"] = count.clone();
            }
            if let Some(context) = json.get("@odata.context") {
                entry["context"] = context.clone();
            }
        }
        Ok(json) if status == 200 && json.is_object() => entry["entity"] = json,
        Ok(json) => entry["body"] = json,
        Err(_) => entry["body"] = Value::String(body),
    }
    entry
}

/// Numbers compared as numbers (`3` and `3.0` are one value to a JSON client).
pub fn numbers_as_f64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Sends every request to our server (for `artifacts`, on `db`) and to the real CAP
/// serving the CAP project `cap_project` on the same file, and lists every request
/// the two answer differently: statuses (4xx against 4xx agree), media types (and
/// the whole `Content-Type`), entities in order (nested ones included),
/// `@odata.count`, `@odata.context`, whether there is a next link, single entities and
/// plain bodies (a `/$value`'s text, a 204's emptiness). Every 200 of ours must carry
/// what was asked for. Ours runs without authentication, as CAP does here.
pub fn differences(
    rt: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    db: &Path,
    cap_project: &Path,
    requests: &[String],
) -> Vec<String> {
    let ours = cai_bridge::database_url::Database::Sqlite(db.to_owned());
    differences_on(rt, artifacts, &ours, db.as_os_str(), cap_project, requests)
}

/// [`differences`] on any database: ours serves `db`, CAP `cap_db` (a SQLite file,
/// or a `postgres://` URL it serves with `@cap-js/postgres`).
pub fn differences_on(
    rt: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    db: &cai_bridge::database_url::Database,
    cap_db: &std::ffi::OsStr,
    cap_project: &Path,
    requests: &[String],
) -> Vec<String> {
    let server = rt
        .block_on(ODataServer::start(
            artifacts,
            db,
            loopback(),
            Auth::Disabled,
        ))
        .expect("serves");
    let base = server.url();
    let answers: Vec<Value> = requests.iter().map(|r| ours(rt, &base, r)).collect();
    rt.block_on(server.shutdown());
    let cap = crate::oracle::cap_serve(cap_project, cap_db, requests);
    let mut differences = Vec::new();
    for (request, ours) in requests.iter().zip(&answers) {
        let theirs = &cap[request.as_str()];
        let (status, cap_status) = (ours["status"].as_u64(), theirs["status"].as_u64());
        let agree = match (status, cap_status) {
            (Some(a), Some(b)) if a >= 400 && b >= 400 => (a < 500) == (b < 500),
            (a, b) => {
                a == b
                    && ours["type"] == theirs["type"]
                    && ours["context"] == theirs["context"]
                    && ours["entity"]["@odata.context"] == theirs["entity"]["@odata.context"]
                    && numbers_as_f64(&ours["value"]) == numbers_as_f64(&theirs["value"])
                    && ours["odataCount"] == theirs["odataCount"]
                    && ours["contentType"] == theirs["contentType"]
                    && ours["nextLink"].is_null() == theirs["nextLink"].is_null()
                    && numbers_as_f64(&without_context(&ours["entity"]))
                        == numbers_as_f64(&without_context(&theirs["entity"]))
                    && (ours["body"].is_null() || ours["body"] == theirs["body"])
            }
        };
        // A 200 carries what was asked for, so agreeing is not agreeing on nothing.
        if ours["status"] == 200 {
            let path = request.split('?').next().unwrap_or_default();
            let carried = if path.ends_with("/$count") {
                ours["body"].is_number()
            } else if path.ends_with("/$value") {
                !ours["body"].is_null() && ours["body"] != ""
            } else {
                ours["value"].is_array() || ours["entity"].is_object()
            };
            assert!(carried, "{request}: {ours}");
        }
        if !agree {
            differences.push(format!(
                "{request}\n  ours: {}\n  CAP:  {}",
                abbreviate(ours),
                abbreviate(theirs)
            ));
        }
    }
    differences
}

fn without_context(entity: &Value) -> Value {
    let mut entity = entity.clone();
    if let Some(map) = entity.as_object_mut() {
        map.retain(|k, _| !k.starts_with('@'));
    }
    entity
}

fn abbreviate(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 600 {
        let cut = (0..=600)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

/// Fails naming every request answered differently (`differences`, of `requests`).
pub fn assert_agree(differences: &[String], requests: usize) {
    assert!(
        differences.is_empty(),
        "{} of {requests} requests answered differently:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
