//! Generated hostile requests: 10,000 URLs assembled from the service's own names,
//! OData syntax, garbage and broken encodings. Every answer is below 500 (or CAP's
//! 501 for what OData has and neither implements), no body
//! carries SQL, and the server answers a plain read afterwards; then 64 connections
//! read pages for 10 s without one error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cai_bridge_tests::differential::serve_database;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SETS: &[&str] = &[
    "Conversations",
    "Messages",
    "Intents",
    "Entities",
    "Replies",
    "MessageFacts",
    "$metadata",
    "$count",
    "$batch",
    "",
    "Nope",
    "conversations",
];

const OPTIONS: &[&str] = &[
    "$filter",
    "$select",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$expand",
    "$apply",
    "$search",
    "$format",
    "$skiptoken",
    "$levels",
    "$nope",
    "filter",
    "$",
];

/// Pieces of OData and of garbage, joined at random into option values and keys.
const TOKENS: &[&str] = &[
    "eq",
    "ne",
    "gt",
    "le",
    "and",
    "or",
    "not",
    "in",
    "has",
    "add",
    " ",
    " ",
    "(",
    ")",
    "((",
    ",",
    "'",
    "''",
    "'a'",
    "'%27'",
    "1",
    "-1",
    "0",
    "1e309",
    "-9223372036854775809",
    "99999999999999999999",
    "1.5",
    "null",
    "true",
    "false",
    "2021-02-05",
    "2021-02-05T17:45:17Z",
    "2021-13-45T99:99:99Z",
    "00000000-0000-0000-0000-000000000000",
    "contains(",
    "startswith(",
    "tolower(",
    "substring(",
    "length(",
    "year(",
    "now()",
    "any(m:m/",
    "all(",
    "$it",
    "$root",
    "/",
    "id",
    "message_id",
    "conversation_id",
    "nlp_status",
    "received_at",
    "start_at",
    "confidence",
    "slug",
    "messages",
    "conversation",
    "intents",
    "desc",
    "asc",
    "groupby((",
    "aggregate(",
    "with",
    "sum",
    "as",
    "$count",
    "%",
    "%00",
    "%ZZ",
    "%2",
    "😀",
    "\"",
    "\\",
    ";",
    "&",
    "=",
    "#",
    "*",
    "--",
    "/*",
    "'; DROP TABLE cai_logs_Messages; --",
    "\u{202e}",
    "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::collection::vec(proptest::sample::select(TOKENS), 0..24)
            .prop_map(|t| t.concat()),
        1 => "\\PC{0,40}",
        1 => (1usize..3000).prop_map(|n| "(".repeat(n)),
    ]
}

fn encode(text: &str, raw: bool) -> String {
    if raw {
        // As typed by a careless client: spaces and quotes as they are.
        text.chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    c.to_string()
                } else {
                    "%20".into()
                }
            })
            .collect()
    } else {
        form_urlencoded::byte_serialize(text.as_bytes()).collect()
    }
}

fn request() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            4 => proptest::sample::select(SETS).prop_map(str::to_owned),
            1 => "[A-Za-z$_/()']{0,16}",
        ],
        proptest::option::of((soup(), any::<bool>())),
        proptest::option::of(prop_oneof![
            Just("/$count".to_owned()),
            Just("/messages".to_owned()),
            Just("/id/$value".to_owned()),
            "/[a-z_$]{0,12}",
        ]),
        proptest::collection::vec(
            (
                prop_oneof![
                    4 => proptest::sample::select(OPTIONS).prop_map(str::to_owned),
                    1 => "[a-z$]{0,6}",
                ],
                soup(),
                any::<bool>(),
            ),
            0..5,
        ),
    )
        .prop_map(|(set, key, segment, options)| {
            let mut url = set;
            if let Some((key, raw)) = key {
                url.push_str(&format!("({})", encode(&key, raw)));
            }
            url.push_str(&segment.unwrap_or_default());
            let query: Vec<String> = options
                .iter()
                .map(|(name, value, raw)| {
                    format!("{}={}", encode(name, false), encode(value, *raw))
                })
                .collect();
            if !query.is_empty() {
                url.push('?');
                url.push_str(&query.join("&"));
            }
            url
        })
}

#[test]
fn ten_thousand_hostile_requests_get_no_5xx() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let base = server.url();
    let client = reqwest::Client::new();
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u64>::new());
    runner
        .run(&request(), |relative| {
            let Ok(url) = reqwest::Url::parse(&format!("{base}{relative}")) else {
                return Ok(());
            };
            let (status, body) = rt.block_on(async {
                let response = client.get(url).send().await.expect("the server answers");
                let status = response.status().as_u16();
                (status, response.text().await.unwrap_or_default())
            });
            *statuses.borrow_mut().entry(status).or_default() += 1;
            // 501 is CAP's answer to valid OData it does not implement (an unknown
            // function, `$format=xml`), given here alike; every other 5xx is a fault.
            prop_assert!(status < 500 || status == 501, "{relative}: {status} {body}");
            let lower = body.to_ascii_lowercase();
            let sql =
                lower.contains("sqlite") || (lower.contains("select ") && lower.contains(" from "));
            prop_assert!(!sql, "{relative}: SQL in the body: {body}");
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let statuses = statuses.into_inner();
    let answered: u64 = statuses.values().sum();
    eprintln!("statuses: {statuses:?}");
    assert!(
        answered > 9_000,
        "only {answered} requests were sent: {statuses:?}"
    );
    assert!(
        statuses.contains_key(&200) && statuses.contains_key(&400),
        "{statuses:?}"
    );
    let alive = rt.block_on(async {
        client
            .get(format!("{base}Conversations/$count"))
            .send()
            .await
            .expect("alive")
            .status()
    });
    assert_eq!(alive.as_u16(), 200);
    rt.block_on(server.shutdown());
}

#[test]
fn sixty_four_connections_for_ten_seconds_end_without_an_error() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let base = server.url();
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(10);
    rt.block_on(async {
        let tasks: Vec<_> = (0..64u64)
            .map(|n| {
                let (base, ok, errors) = (base.clone(), Arc::clone(&ok), Arc::clone(&errors));
                tokio::spawn(async move {
                    // One client each: one connection each, kept alive.
                    let client = reqwest::Client::builder()
                        .pool_max_idle_per_host(1)
                        .build()
                        .expect("client");
                    let mut i = n;
                    while Instant::now() < until {
                        let url = match i % 3 {
                            0 => format!("{base}MessageFacts?$top=100&$skip={}", (i * 37) % 1200),
                            1 => format!("{base}Messages?$filter=nlp_status%20eq%20200%20and%20nlp_sentiment%20ne%20'neutral'&$orderby=received_at%20desc&$top=50"),
                            _ => format!("{base}Messages?$count=true&$top=0"),
                        };
                        i += 64;
                        let answered = match client.get(url).send().await {
                            Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        let counter = if answered { &ok } else { &errors };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    let (ok, errors) = (ok.load(Ordering::Relaxed), errors.load(Ordering::Relaxed));
    assert_eq!(errors, 0, "{errors} errors, {ok} answers");
    assert!(ok > 64, "{ok} answers");
    rt.block_on(server.shutdown());
}
