//! The mock over HTTP, as clients see it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use super::{Fault, FaultKind, MockConfig, MockServer};

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn config(conversations: usize) -> MockConfig {
    let mut config = MockConfig::new(conversations);
    config.start = time("2021-02-01T00:00:00Z");
    config.days = 10;
    config
}

async fn start(config: MockConfig) -> MockServer {
    MockServer::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn fetch_token(client: &Client, server: &MockServer) -> String {
    let response = client
        .post(server.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn logs(
    client: &Client,
    server: &MockServer,
    token: &str,
    from: &str,
    to: &str,
) -> reqwest::RequestBuilder {
    client
        .get(format!("{}/logs/v2/conversations", server.base_url()))
        .bearer_auth(token)
        .header("X-Token", "Token demo-token")
        .query(&[("from", from), ("to", to)])
}

const ALL_FROM: &str = "2000-01-01T00:00:00Z";
const ALL_TO: &str = "2100-01-01T00:00:00Z";

/// Every conversation, asked for with `token`.
async fn everything(client: &Client, server: &MockServer, token: &str) -> reqwest::Response {
    logs(client, server, token, ALL_FROM, ALL_TO)
        .send()
        .await
        .unwrap()
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

fn is_millis_utc(s: &str) -> bool {
    s.len() == 24
        && s.ends_with('Z')
        && &s[19..20] == "."
        && DateTime::parse_from_rfc3339(s).is_ok()
}

#[tokio::test]
async fn dataset_is_deterministic_per_seed() {
    let a = start(config(200)).await;
    let b = start(config(200)).await;
    assert_eq!(a.conversations(), b.conversations());
    let mut other = config(200);
    other.seed = 7;
    let c = start(other).await;
    assert_ne!(a.conversations(), c.conversations());
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn conversations_match_the_spec_shape() {
    let config = config(600);
    let (from, to) = (config.start, config.start + chrono::Duration::days(10));
    let server = start(config).await;
    let all = server.conversations();
    assert_eq!(all.len(), 600);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut note = |what: &'static str| *seen.entry(what).or_default() += 1;
    let mut previous: Option<(DateTime<Utc>, &str)> = None;
    for c in &all {
        let id = c["id"].as_str().unwrap();
        assert!(is_uuid(id), "{id}");
        let start_text = c["start_at"].as_str().unwrap();
        assert!(is_millis_utc(start_text), "{start_text}");
        let start_at = time(start_text);
        assert!(from <= start_at && start_at < to);
        assert!(previous <= Some((start_at, id)), "sorted by start_at, id");
        previous = Some((start_at, id));
        assert!(c["channel_id"].is_string());
        match c.get("channel_type") {
            None => note("channel_type absent"),
            Some(Value::Null) => note("channel_type null"),
            Some(v) => assert!(v.is_string()),
        }
        let messages = c["messages"].as_array().unwrap();
        assert!((1..=10).contains(&messages.len()));
        let mut last = start_at;
        for m in messages {
            for key in [
                "connector_origin",
                "connector_sender_id",
                "input_message_type",
            ] {
                assert!(m[key].is_string(), "{key}");
            }
            assert!(is_uuid(m["message_id"].as_str().unwrap()));
            assert!(m["conversation_skill"].is_string() || m["conversation_skill"].is_null());
            let received = m["received_at"].as_str().unwrap();
            assert!(is_millis_utc(received));
            assert!(
                time(received) >= last,
                "received_at increases from start_at"
            );
            last = time(received);

            let input: Value =
                serde_json::from_str(m["input_message_content"].as_str().unwrap()).unwrap();
            assert_eq!(input["type"], m["input_message_type"]);
            // CAI's user input types: typed text, or a clicked quick reply or button
            // (singular), whose content is the item clicked.
            let text = match m["input_message_type"].as_str().unwrap() {
                "text" => input["content"].as_str().unwrap(),
                "quickReply" | "button" => {
                    note("click");
                    assert!(input["content"]["value"].is_string());
                    input["content"]["title"].as_str().unwrap()
                }
                other => panic!("input type {other}"),
            };
            if text.chars().any(|ch| "äöüß".contains(ch)) {
                note("german");
            }
            if text
                .chars()
                .any(|ch| ('\u{3040}'..='\u{9fff}').contains(&ch))
            {
                note("cjk");
            }
            if text.chars().any(|ch| ch >= '\u{1f300}') {
                note("emoji");
            }
            let replies_text = m["replies"].as_str().unwrap();
            if replies_text == "[]" {
                note("no replies");
            }
            let replies: Vec<Value> = serde_json::from_str(replies_text).unwrap();
            for r in &replies {
                match r["type"].as_str().unwrap() {
                    "text" => assert!(r["content"].is_string()),
                    _ => {
                        assert!(r["content"]["buttons"].is_array());
                        note("rich reply");
                    }
                }
            }
            let sentiment = &m["nlp_sentiment"];
            assert!(
                sentiment.is_null()
                    || ["vnegative", "negative", "neutral", "positive", "vpositive"]
                        .contains(&sentiment.as_str().unwrap())
            );
            let act = &m["nlp_act"];
            assert!(
                act.is_null()
                    || ["assert", "command", "wh-query", "yn-query"]
                        .contains(&act.as_str().unwrap())
            );
            assert!(m["nlp_status"].is_u64());
            match m.get("nlp_type") {
                None => note("nlp_type absent"),
                Some(Value::Null) => note("nlp_type null"),
                Some(v) => assert!(v.as_str().unwrap().contains(':')),
            }
            let intents = m["intents"].as_array().unwrap();
            assert!(intents.len() <= 3);
            let confidences: Vec<f64> = intents
                .iter()
                .map(|i| i["confidence"].as_f64().unwrap())
                .collect();
            assert!(
                confidences.windows(2).all(|w| w[0] >= w[1]),
                "{confidences:?}"
            );
            assert!(confidences.iter().all(|c| (0.0..=1.0).contains(c)));
            for i in intents {
                assert!(i["slug"].is_string());
                assert!(i["description"].is_string() || i["description"].is_null());
            }
            // Keyed by entity name, each an array of occurrences with the fields of
            // its kind: gold entities without `value`, custom ones with it.
            let entities = m["entities"].as_object().unwrap();
            assert!(entities.len() <= 2);
            for (name, found) in entities {
                for e in found.as_array().unwrap() {
                    assert!(e["raw"].is_string());
                    assert!(e["confidence"].is_f64());
                    match name.as_str() {
                        "number" => {
                            assert!(e["scalar"].is_u64() && e.get("value").is_none());
                        }
                        "datetime" => {
                            assert!(e.get("value").is_none());
                            assert!(is_millis_utc(e["iso"].as_str().unwrap()));
                            for key in ["formatted", "accuracy", "chronology"] {
                                assert!(e[key].is_string(), "{key}");
                            }
                            assert!(e["state"].is_null());
                        }
                        "order-number" => assert!(e["value"].is_string()),
                        other => panic!("entity {other}"),
                    }
                    note("entity");
                }
            }
        }
    }
    for what in [
        "channel_type absent",
        "channel_type null",
        "german",
        "cjk",
        "emoji",
        "no replies",
        "rich reply",
        "nlp_type absent",
        "nlp_type null",
        "entity",
        "click",
    ] {
        assert!(
            seen.get(what).copied().unwrap_or(0) > 0,
            "no {what} in {seen:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn time_range_is_half_open_and_capped() {
    let mut config = config(300);
    config.page_cap = 50;
    let server = start(config).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let all = server.conversations();
    let from = all[10]["start_at"].as_str().unwrap();
    let to = all[40]["start_at"].as_str().unwrap();
    let expected: Vec<&Value> = all
        .iter()
        .filter(|c| {
            let s = time(c["start_at"].as_str().unwrap());
            time(from) <= s && s < time(to)
        })
        .collect();

    let response = logs(&client, &server, &token, from, to)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Conversations retrieved");
    let got: Vec<&Value> = body["results"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got[0]["start_at"], from, "from is inclusive");
    assert!(got.iter().all(|c| c["start_at"] != to), "to is exclusive");

    // A window with more than page_cap conversations: the first page_cap, nothing else.
    let body: Value = everything(&client, &server, &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["results"]["conversations"]
            .as_array()
            .unwrap()
            .as_slice(),
        &all[..50]
    );

    for (from, to) in [("nonsense", ALL_TO), (ALL_TO, ALL_FROM)] {
        let response = logs(&client, &server, &token, from, to)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    }
    let missing = client
        .get(format!(
            "{}/logs/v2/conversations?from={ALL_FROM}",
            server.base_url()
        ))
        .bearer_auth(&token)
        .header("X-Token", "demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    server.shutdown().await;
}

#[tokio::test]
async fn token_endpoint() {
    let server = start(config(1)).await;
    let client = client();
    let ok = client
        .post(server.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 43_200);
    assert!(body["scope"].is_string());

    let fields = client
        .post(server.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(fields.status(), StatusCode::OK);

    for (id, secret) in [("demo-client", "wrong"), ("someone", "demo-secret")] {
        let bad = client
            .post(server.token_url())
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            bad.json::<Value>().await.unwrap()["error"],
            "invalid_client"
        );
    }
    let grant = client
        .post(server.token_url())
        .basic_auth("demo-client", Some("demo-secret"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let stats = server.stats();
    assert_eq!(
        (
            stats.token_requests,
            stats.tokens_issued,
            stats.unauthorized
        ),
        (5, 2, 2)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn log_endpoint_requires_bearer_and_developer_token() {
    let server = start(config(5)).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let url = format!("{}/logs/v2/conversations", server.base_url());
    let range = [("from", ALL_FROM), ("to", ALL_TO)];

    let no_bearer = client
        .get(&url)
        .query(&range)
        .header("X-Token", "demo-token")
        .send()
        .await
        .unwrap();
    assert_eq!(no_bearer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        no_bearer.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    assert!(no_bearer.json::<Value>().await.unwrap()["message"].is_string());

    let unknown = everything(&client, &server, "not-a-token").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let bearer_message = |v: Value| v["message"].as_str().unwrap().to_owned();
    let wrong_x = client
        .get(&url)
        .query(&range)
        .bearer_auth(&token)
        .header("X-Token", "Token nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_x.status(), StatusCode::UNAUTHORIZED);
    let x_message = bearer_message(wrong_x.json().await.unwrap());
    assert!(x_message.contains("developer token"), "{x_message}");
    let no_x = client
        .get(&url)
        .query(&range)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_x.status(), StatusCode::UNAUTHORIZED);

    // The developer token bare or with the `Token` prefix.
    for x in ["demo-token", "Token demo-token"] {
        let ok = client
            .get(&url)
            .query(&range)
            .bearer_auth(&token)
            .header("X-Token", x)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK, "{x}");
    }
    server.shutdown().await;

    let mut short = config(5);
    short.token_ttl = Duration::ZERO;
    let server = start(short).await;
    let token = fetch_token(&client, &server).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let expired = everything(&client, &server, &token).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(expired.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(server.stats().unauthorized, 1);
    server.shutdown().await;
}

async fn faulty(kind: FaultKind) -> MockServer {
    let mut config = config(40);
    config.faults = vec![Fault { kind, rate: 1.0 }];
    config.slow = Duration::from_millis(300);
    start(config).await
}

#[tokio::test]
async fn fault_rate_limit() {
    let server = faulty(FaultKind::RateLimit).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let response = everything(&client, &server, &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "1");
    assert!(response.json::<Value>().await.unwrap()["message"].is_string());
    assert_eq!(server.stats().injected(FaultKind::RateLimit), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn fault_server_error() {
    let server = faulty(FaultKind::ServerError).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    for _ in 0..12 {
        let response = everything(&client, &server, &token).await;
        let status = response.status();
        let html = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html");
        let body = response.text().await.unwrap();
        match status.as_u16() {
            502 => assert!(html && body.contains("Bad Gateway")),
            500 | 503 => assert!(serde_json::from_str::<Value>(&body).is_ok()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(server.stats().injected(FaultKind::ServerError), 12);
    server.shutdown().await;
}

#[tokio::test]
async fn fault_reset_breaks_the_body() {
    let server = faulty(FaultKind::Reset).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let response = everything(&client, &server, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.is_err(), "the body must fail midway");
    assert_eq!(server.stats().injected(FaultKind::Reset), 1);
    assert_eq!(server.stats().conversations_served, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn fault_truncate_cuts_the_json() {
    let clean = start(config(40)).await;
    let server = faulty(FaultKind::Truncate).await;
    let client = client();
    let full = logs(
        &client,
        &clean,
        &fetch_token(&client, &clean).await,
        ALL_FROM,
        ALL_TO,
    )
    .send()
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap();
    let token = fetch_token(&client, &server).await;
    let response = everything(&client, &server, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let cut = response.bytes().await.unwrap();
    assert_eq!(cut.len(), length);
    assert!(cut.len() < full.len() && full.starts_with(&cut));
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
    clean.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn fault_slow_outlasts_a_read_timeout() {
    let server = faulty(FaultKind::Slow).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let impatient = Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let error = logs(&impatient, &server, &token, ALL_FROM, ALL_TO)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    let began = std::time::Instant::now();
    let response = everything(&client, &server, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.stats().injected(FaultKind::Slow), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn fault_token_expiry_forgets_the_token() {
    let server = faulty(FaultKind::TokenExpiry).await;
    let client = client();
    let token = fetch_token(&client, &server).await;
    let first = everything(&client, &server, &token).await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        first.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    // The token is gone for good: the next request fails authentication, no fault.
    let again = everything(&client, &server, &token).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let stats = server.stats();
    assert_eq!(
        (stats.injected(FaultKind::TokenExpiry), stats.unauthorized),
        (1, 2)
    );

    let served: Value = client
        .get(format!("{}/mock/stats", server.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["faults"]["token-expiry"], 1);
    assert_eq!(served["faults"]["reset"], 0);
    assert_eq!(served["log_requests"], 2);
    server.shutdown().await;
}

/// Every fault at once is survivable by a client that retries and renews its token.
#[tokio::test]
async fn a_retrying_client_gets_everything() {
    let mut config = config(120);
    config.faults = FaultKind::ALL
        .iter()
        .map(|&kind| Fault { kind, rate: 0.12 })
        .collect();
    config.slow = Duration::from_millis(300);
    config.retry_after = 0;
    let server = start(config).await;
    let client = Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let mut token = fetch_token(&client, &server).await;
    let mut result = None;
    for _ in 0..100 {
        let response = match logs(&client, &server, &token, ALL_FROM, ALL_TO)
            .send()
            .await
        {
            Ok(response) => response,
            Err(_) => continue,
        };
        match response.status() {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => {
                token = fetch_token(&client, &server).await;
                continue;
            }
            _ => continue,
        }
        let Ok(bytes) = response.bytes().await else {
            continue;
        };
        if let Ok(body) = serde_json::from_slice::<Value>(&bytes) {
            result = Some(body);
            break;
        }
    }
    let body = result.expect("no clean answer in 100 attempts");
    assert_eq!(
        body["results"]["conversations"]
            .as_array()
            .unwrap()
            .as_slice(),
        server.conversations()
    );
    server.shutdown().await;
}
