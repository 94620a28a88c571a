//! `$batch` against the real CAP on one file: JSON batches and multipart batches of
//! reads answer as CAP answers them, part by part; parts that would write are refused
//! on their own (405), and a multipart batch stops where CAP stops, at its first
//! failing part.

use cai_bridge::serve::ODataServer;
use cai_bridge_tests::differential::{database, loopback, numbers_as_f64};
use serde_json::{json, Value};

/// One part's answer: its status and body (JSON where it is JSON).
type Answer = (u16, Value);

/// Statuses and bodies (JSON parsed) of a multipart answer's parts.
fn multipart_parts(text: &str, boundary: &str) -> Vec<Answer> {
    text.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|part| !part.starts_with("--"))
        .map(|part| {
            let http = part.split_once("\r\n\r\n").map_or("", |(_, rest)| rest);
            let status: u16 = http
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let body = http
                .split_once("\r\n\r\n")
                .map_or("", |(_, b)| b)
                .trim_end();
            let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.into()));
            (status, body)
        })
        .collect()
}

/// A JSON body without what only one side writes (`@odata.context` aside, error
/// texts and codes differ by design: only the status must agree for those).
fn comparable(status: u16, body: &Value) -> Value {
    if status >= 400 {
        Value::Null
    } else {
        numbers_as_f64(body)
    }
}

#[test]
fn batches_answer_as_cap_does() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let reads = [
        "Conversations?$top=3&$select=id,start_at&$orderby=start_at",
        "Messages?$filter=nlp_status%20eq%20200&$count=true&$top=2&$select=message_id",
        "Conversations/$count",
        "Intents?$top=2&$skip=5",
        "MessageFacts?$top=1&$select=message_id,top_intent_slug",
    ];
    // JSON: every request answered, writes and mistakes refused one by one.
    let mut requests: Vec<Value> = reads
        .iter()
        .enumerate()
        .map(|(i, url)| json!({"id": format!("r{i}"), "method": "GET", "url": url}))
        .collect();
    requests.insert(2, json!({"id": "w1", "method": "POST", "url": "Conversations", "headers": {"content-type": "application/json"}, "body": {"id": "x"}}));
    requests.insert(4, json!({"id": "bad", "method": "GET", "url": "Nope"}));
    requests.push(json!({"id": "w2", "method": "DELETE", "url": "Conversations(00000000-0000-0000-0000-000000000000)"}));
    let json_body = json!({ "requests": requests }).to_string();

    // Multipart: reads, then a change set (which stops the batch, as in CAP).
    let part = |request: &str| {
        format!("--b1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET {request} HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n")
    };
    let mut multipart: String = reads.iter().map(|r| part(r)).collect();
    multipart.push_str("--b1\r\nContent-Type: multipart/mixed; boundary=cs1\r\n\r\n--cs1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST Conversations HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"id\":\"x\"}\r\n--cs1--\r\n\r\n");
    multipart.push_str(&part("Conversations/$count"));
    multipart.push_str("--b1--\r\n");
    let failing_first = format!("{}{}--b1--\r\n", part("Nope"), part("Conversations/$count"));

    let cases = [
        ("application/json", json_body),
        ("multipart/mixed; boundary=b1", multipart),
        ("multipart/mixed; boundary=b1", failing_first),
    ];
    let artifacts = cai_logs_bridge::artifacts();
    let server = rt
        .block_on(ODataServer::start(
            &artifacts,
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            loopback(),
            cai_bridge::serve::Auth::Disabled,
        ))
        .expect("serves");
    let ours: Vec<(u16, String, String)> = cases
        .iter()
        .map(|(content_type, body)| {
            rt.block_on(async {
                let response = reqwest::Client::new()
                    .post(format!("{}$batch", server.url()))
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .expect("batch");
                let status = response.status().as_u16();
                let ct = response.headers()["content-type"]
                    .to_str()
                    .unwrap_or_default()
                    .to_owned();
                (status, ct, response.text().await.expect("body"))
            })
        })
        .collect();
    rt.block_on(server.shutdown());
    let args: Vec<String> = cases
        .iter()
        .map(|(content_type, body)| format!("POST $batch\n{content_type}\n\n{body}"))
        .collect();
    let cap = cai_bridge_tests::oracle::cap_serve(
        &cai_bridge_tests::repo().join("generated-example/cap"),
        &db,
        &args,
    );
    let mut answered_reads = 0;
    for ((arg, (content_type, _)), (status, ct, text)) in args.iter().zip(&cases).zip(&ours) {
        let theirs = &cap[arg.as_str()];
        assert_eq!(
            Some(u64::from(*status)),
            theirs["status"].as_u64(),
            "{content_type}: {text}"
        );
        assert_eq!(ct.as_str(), theirs["contentType"], "{content_type}");
        let cap_text = theirs["text"].as_str().expect("CAP's answer");
        let (ours, cap): (Vec<Answer>, Vec<Answer>) =
            if content_type.starts_with("application/json") {
                let parse = |text: &str| -> Vec<Answer> {
                    let v: Value = serde_json::from_str(text).expect("JSON batch answer");
                    v["responses"]
                        .as_array()
                        .expect("responses")
                        .iter()
                        .map(|r| (r["status"].as_u64().unwrap_or(0) as u16, r["body"].clone()))
                        .collect()
                };
                (parse(text), parse(cap_text))
            } else {
                (multipart_parts(text, "b1"), multipart_parts(cap_text, "b1"))
            };
        let statuses = |parts: &[Answer]| parts.iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(
            statuses(&ours),
            statuses(&cap),
            "{content_type}:\nours {text}\nCAP  {cap_text}"
        );
        for ((s, a), (_, b)) in ours.iter().zip(&cap) {
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(map) = v.as_object_mut() {
                    map.remove("@odata.context");
                }
                v
            };
            assert_eq!(
                comparable(*s, &strip(a)),
                comparable(*s, &strip(b)),
                "{content_type}"
            );
        }
        answered_reads += statuses(&ours).iter().filter(|&&s| s == 200).count();
    }
    // Agreeing is not agreeing on nothing: the reads were answered.
    assert!(
        answered_reads >= 2 * reads.len(),
        "{answered_reads} reads answered"
    );
}
