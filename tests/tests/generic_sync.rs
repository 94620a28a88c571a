//! A bridge for an API that is not CAI: PagerDuty's `GET /incidents`, synced from the
//! generic mock with that API's own window parameters (`since`, `until`) and auth
//! (`Authorization: Token token=…`), which the mock insists on; and `load` of the same
//! records from exported files giving the same content as the sync.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use cai_bridge::database_url::Database;
use cai_bridge::load::files::{load_file, FileError};
use cai_bridge::load::{content_hash, Loader, Store};
use cai_bridge::settings::{ApiSettings, Credential, Secret, SyncSettings};
use cai_bridge::sync::{sync, Range};
use cai_bridge_mock::generic::{GenericConfig, GenericServer};

const RECORDS: usize = 60;

fn config() -> GenericConfig {
    let mut config = GenericConfig::new(RECORDS);
    config.seed = 11;
    config.days = 10;
    config.page_cap = 25;
    config.secret = Secret::new("pd-key-0123456789");
    config
}

fn start(rt: &tokio::runtime::Runtime, config: GenericConfig) -> GenericServer {
    let model = cai_bridge_golden_pagerduty::artifacts().model;
    rt.block_on(GenericServer::start(
        &model,
        config,
        SocketAddr::from(([127, 0, 0, 1], 0)),
    ))
    .expect("the generic mock starts")
}

fn settings(page_cap: usize) -> SyncSettings {
    let mut settings = SyncSettings::resolve(&Default::default()).expect("defaults");
    settings.page_cap = page_cap;
    settings.window = Duration::from_secs(12 * 3600);
    settings.timeout = Duration::from_secs(5);
    settings.attempts = 2;
    settings
}

fn range(config: &GenericConfig) -> Range {
    Range {
        from: Some(config.start),
        to: Some(config.start + chrono::Duration::days(i64::from(config.days))),
    }
}

fn hash(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("db");
    content_hash(&conn, &cai_bridge_golden_pagerduty::artifacts().model).expect("hash")
}

/// Rows each entity should have for `records`: the roots, and the items of each child array.
fn expected_rows(records: &[serde_json::Value]) -> Vec<(String, i64)> {
    let count = |member: &str| {
        records
            .iter()
            .map(|r| r[member].as_array().map_or(0, Vec::len) as i64)
            .sum::<i64>()
    };
    vec![
        ("Incidents".into(), records.len() as i64),
        ("Assignments".into(), count("assignments")),
        ("Acknowledgements".into(), count("acknowledgements")),
        ("Teams".into(), count("teams")),
    ]
}

#[test]
fn pagerduty_syncs_from_the_generic_mock_with_its_own_parameters_and_auth() {
    let rt = cai_bridge_tests::runtime();
    let config = config();
    let server = start(&rt, config.clone());
    let artifacts = cai_bridge_golden_pagerduty::artifacts();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("pagerduty.db");
    // A cap of 5 per answer (~6 incidents per half day): windows must be split.
    let summary = sync(
        &rt,
        &Database::Sqlite(db.clone()),
        &artifacts,
        &server.api_settings(),
        &settings(5),
        range(&config),
        true,
    )
    .unwrap_or_else(|e| panic!("sync failed: {e}"));
    assert_eq!(summary.records as usize, RECORDS, "{summary}");
    assert!(summary.splits > 0, "{summary}");
    let conn = rusqlite::Connection::open(&db).expect("db");
    let records = server.records();
    assert_eq!(
        cai_bridge_tests::row_counts(&conn, &artifacts.model),
        expected_rows(&records)
    );
    let (_, refused) = server.requests();
    assert_eq!(refused, 0, "the bridge sent only what the API accepts");

    // Again: idempotent.
    let first = hash(&db);
    sync(
        &rt,
        &Database::Sqlite(db.clone()),
        &artifacts,
        &server.api_settings(),
        &settings(25),
        range(&config),
        true,
    )
    .expect("second sync");
    assert_eq!(hash(&db), first);

    // Wrong credentials: exit code 4, and the message names the variable, not the key.
    let wrong = ApiSettings {
        base_url: server.base_url(),
        credentials: vec![Credential::ApiKey(Secret::new("not-the-key"))],
    };
    let err = sync(
        &rt,
        &Database::Sqlite(dir.path().join("wrong.db")),
        &artifacts,
        &wrong,
        &settings(25),
        range(&config),
        true,
    )
    .expect_err("refused");
    assert_eq!(err.exit_code(), 4, "{err}");
    assert!(err.to_string().contains("PAGERDUTY_API_KEY"), "{err}");
    assert!(!err.to_string().contains("not-the-key"), "{err}");
    rt.block_on(server.shutdown());
}

#[test]
fn the_generic_mock_refuses_other_parameters_and_credentials() {
    let rt = cai_bridge_tests::runtime();
    let config = config();
    let server = start(&rt, config.clone());
    let url = format!("{}/incidents", server.base_url());
    let since = "2026-01-01T00:00:00.000Z";
    let until = "2026-01-02T00:00:00.000Z";
    let status = |query: &[(&str, &str)], authorization: Option<&str>| {
        rt.block_on(async {
            let mut request = reqwest::Client::new().get(&url).query(query);
            if let Some(value) = authorization {
                request = request.header("Authorization", value);
            }
            request.send().await.expect("answers").status().as_u16()
        })
    };
    let key = "Token token=pd-key-0123456789";
    assert_eq!(
        status(&[("since", since), ("until", until)], Some(key)),
        200
    );
    // CAI's parameter names are another API's.
    assert_eq!(status(&[("from", since), ("to", until)], Some(key)), 400);
    assert_eq!(status(&[("since", since)], Some(key)), 400);
    assert_eq!(
        status(&[("since", "yesterday"), ("until", until)], Some(key)),
        400
    );
    assert_eq!(
        status(&[("since", until), ("until", since)], Some(key)),
        400
    );
    assert_eq!(status(&[("since", since), ("until", until)], None), 401);
    assert_eq!(
        status(
            &[("since", since), ("until", until)],
            Some("pd-key-0123456789")
        ),
        401
    );
    assert_eq!(
        status(
            &[("since", since), ("until", until)],
            Some("Bearer pd-key-0123456789")
        ),
        401
    );
    assert_eq!(
        status(
            &[("since", since), ("until", until)],
            Some("Token token=wrong")
        ),
        401
    );
    rt.block_on(server.shutdown());
}

#[test]
fn pagerduty_settings_are_named_after_the_bridge() {
    let model = cai_bridge_golden_pagerduty::artifacts().model;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("key");
    std::fs::write(&file, "from-file\n").expect("write");
    let file = file.display().to_string();
    let env = |name: &str| match name {
        "PAGERDUTY_BASE_URL" => Some("https://api.pagerduty.com/".to_owned()),
        "PAGERDUTY_API_KEY_FILE" => Some(file.clone()),
        _ => None,
    };
    let settings = ApiSettings::resolve_with(&Default::default(), &model, env).expect("resolves");
    assert_eq!(settings.base_url, "https://api.pagerduty.com");
    let [Credential::ApiKey(key)] = &settings.credentials[..] else {
        panic!("{settings:?}")
    };
    assert_eq!(key.expose(), "from-file");
    let missing = ApiSettings::resolve_with(&Default::default(), &model, |name| {
        (name == "PAGERDUTY_BASE_URL").then(|| "https://api.pagerduty.com".to_owned())
    })
    .expect_err("no key");
    assert!(
        missing.to_string().contains("PAGERDUTY_API_KEY"),
        "{missing}"
    );
}

#[test]
fn load_of_responses_arrays_and_ndjson_equals_sync() {
    let rt = cai_bridge_tests::runtime();
    let config = config();
    let server = start(&rt, config.clone());
    let artifacts = cai_bridge_golden_pagerduty::artifacts();
    let dir = tempfile::tempdir().expect("dir");
    let synced = dir.path().join("synced.db");
    sync(
        &rt,
        &Database::Sqlite(synced.clone()),
        &artifacts,
        &server.api_settings(),
        &settings(25),
        range(&config),
        true,
    )
    .expect("sync");
    let records = server.records();
    rt.block_on(server.shutdown());

    let (first, rest) = records.split_at(20);
    let response =
        serde_json::json!({ "incidents": first, "limit": 25, "offset": 0, "more": false });
    let (middle, last) = rest.split_at(20);
    let lines: String = last.iter().map(|r| format!("{r}\n")).collect();
    let files = [
        (
            "response.json",
            serde_json::to_string_pretty(&response).expect("json"),
        ),
        ("array.json", serde_json::to_string(middle).expect("json")),
        ("records.ndjson", lines.clone()),
    ];
    let loaded = dir.path().join("loaded.db");
    let mut loader = Store::Sqlite(Loader::open(&loaded, &artifacts).expect("opens"));
    let mut total = 0;
    for (name, text) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        total += load_file(&mut loader, &path).expect("loads");
    }
    assert_eq!(total, RECORDS);
    drop(loader);
    assert_eq!(hash(&loaded), hash(&synced));

    // A bad line: named with its file and line, exit 2, nothing of that file loaded.
    let fresh = dir.path().join("fresh.db");
    let bad = dir.path().join("bad.ndjson");
    let mut text = lines.clone();
    text.push_str("{\"id\": \n");
    std::fs::write(&bad, &text).expect("write");
    let mut loader = Store::Sqlite(Loader::open(&fresh, &artifacts).expect("opens"));
    let err = load_file(&mut loader, &bad).expect_err("bad");
    assert!(matches!(err, FileError::Bad { .. }), "{err}");
    assert_eq!(err.exit_code(), 2);
    let lines_before = last.len() + 1;
    assert!(
        err.to_string()
            .starts_with(&format!("{}:{lines_before}", bad.display()))
            || err
                .to_string()
                .starts_with(&format!("{}:{}", bad.display(), lines_before + 1)),
        "{err}"
    );
    // A record the table cannot take: nothing of the file either.
    let wrong = dir.path().join("wrong.json");
    let mut broken = last.to_vec();
    broken[1]["incident_number"] = serde_json::json!("not a number");
    std::fs::write(&wrong, serde_json::to_string(&broken).expect("json")).expect("write");
    let err = load_file(&mut loader, &wrong).expect_err("bad record");
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:1: record 2 of the array: ", wrong.display())),
        "{err}"
    );
    let conn = rusqlite::Connection::open(&fresh).expect("db");
    assert_eq!(
        cai_bridge_tests::row_count(&conn, &artifacts.model, "Incidents"),
        0
    );
}

#[test]
fn the_demo_works_for_a_bridge_that_is_not_cai() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_bridge_golden_pagerduty::artifacts();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("demo.db");
    let cx = cai_bridge::cli::Context {
        artifacts: &artifacts,
        runtime: &rt,
        config: None,
        quiet: true,
    };
    let demo = cai_bridge_mock::demo::Demo {
        db: Database::Sqlite(db.clone()),
        conversations: 40,
        seed: 3,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        once: true,
    };
    cai_bridge_mock::demo::run(&cx, &demo).unwrap_or_else(|e| panic!("demo failed: {}", e.message));
    let conn = rusqlite::Connection::open(&db).expect("db");
    assert_eq!(
        cai_bridge_tests::row_count(&conn, &artifacts.model, "Incidents"),
        40
    );
}

/// The same records behind each other kind of scheme and window format the model can
/// declare: the bridge and the mock agree on every one, and the mock refuses a sync
/// that brings the wrong secret.
#[test]
fn every_auth_scheme_and_window_format_syncs() {
    use cai_bridge::model::{AuthScheme, KeyLocation, TimeFormat, Window};
    let rt = cai_bridge_tests::runtime();
    let variants = [
        (
            vec![AuthScheme::Oauth2 {
                name: "oauth".into(),
                token_url: "https://example.invalid/token".into(),
            }],
            TimeFormat::Rfc3339,
        ),
        (
            vec![AuthScheme::Bearer {
                name: "bearer".into(),
            }],
            TimeFormat::UnixSeconds,
        ),
        (
            vec![AuthScheme::Basic {
                name: "basic".into(),
            }],
            TimeFormat::Date,
        ),
        (
            vec![AuthScheme::ApiKey {
                name: "key".into(),
                location: KeyLocation::Query,
                parameter: "api_key".into(),
                prefix: None,
            }],
            TimeFormat::Rfc3339,
        ),
        (
            vec![AuthScheme::Bearer {
                name: "bearer".into(),
            }],
            TimeFormat::UnixMilliseconds,
        ),
    ];
    for (auth, format) in variants {
        let mut artifacts = cai_bridge_golden_pagerduty::artifacts();
        artifacts.model.source.auth = auth.clone();
        artifacts.model.source.window = Some(Window {
            from: "start_date".into(),
            to: "end_date".into(),
            format,
        });
        let mut config = config();
        config.page_cap = 1000;
        let server = rt
            .block_on(GenericServer::start(
                &artifacts.model,
                config.clone(),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ))
            .expect("starts");
        let dir = tempfile::tempdir().expect("dir");
        let mut settings = settings(1000);
        // Whole days, so date bounds are exact.
        settings.window = Duration::from_secs(24 * 3600);
        let summary = sync(
            &rt,
            &Database::Sqlite(dir.path().join("ok.db")),
            &artifacts,
            &server.api_settings(),
            &settings,
            range(&config),
            true,
        )
        .unwrap_or_else(|e| panic!("{auth:?}: {e}"));
        assert_eq!(summary.records as usize, RECORDS, "{auth:?}");
        let mut wrong = server.api_settings();
        for credential in &mut wrong.credentials {
            *credential = match credential {
                Credential::OAuth2 {
                    token_url,
                    client_id,
                    ..
                } => Credential::OAuth2 {
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    client_secret: Secret::new("wrong"),
                },
                Credential::ApiKey(_) => Credential::ApiKey(Secret::new("wrong")),
                Credential::Bearer(_) => Credential::Bearer(Secret::new("wrong")),
                Credential::Basic { username, .. } => Credential::Basic {
                    username: username.clone(),
                    password: Secret::new("wrong"),
                },
            };
        }
        let err = sync(
            &rt,
            &Database::Sqlite(dir.path().join("wrong.db")),
            &artifacts,
            &wrong,
            &settings,
            range(&config),
            true,
        )
        .expect_err("wrong secret");
        assert_eq!(err.exit_code(), 4, "{auth:?}: {err}");
        rt.block_on(server.shutdown());
    }
}

/// Date bounds cannot split a day: a full day is an error, not an endless split into
/// halves that ask the same again.
#[test]
fn a_full_answer_is_not_split_below_the_bounds_precision() {
    use cai_bridge::model::{TimeFormat, Window};
    let rt = cai_bridge_tests::runtime();
    let mut artifacts = cai_bridge_golden_pagerduty::artifacts();
    artifacts.model.source.window = Some(Window {
        from: "since".into(),
        to: "until".into(),
        format: TimeFormat::Date,
    });
    let config = config();
    let server = rt
        .block_on(GenericServer::start(
            &artifacts.model,
            config.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("starts");
    let dir = tempfile::tempdir().expect("dir");
    let mut settings = settings(2);
    settings.window = Duration::from_secs(2 * 24 * 3600);
    let err = sync(
        &rt,
        &Database::Sqlite(dir.path().join("x.db")),
        &artifacts,
        &server.api_settings(),
        &settings,
        range(&config),
        true,
    )
    .expect_err("a day holds more than 2");
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("in the day"), "{err}");
    let (requests, _) = server.requests();
    assert!(requests < 10, "{requests} requests");
    rt.block_on(server.shutdown());
}
