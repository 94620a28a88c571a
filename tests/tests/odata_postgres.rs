//! The OData server on PostgreSQL against the real CAP (`@sap/cds` 9 with
//! `@cap-js/postgres`) serving the same database: the requests the SQLite
//! differential sends, and those where PostgreSQL's semantics differ from SQLite's
//! (NULLs in an order, case in comparisons and text functions, timestamps), answered
//! as CAP on PostgreSQL answers them.

use cai_bridge::serve::{Auth, ODataServer};
use cai_bridge_tests::differential::{
    database, database_in, differences_on, loopback, ours, requests,
};
use cai_bridge_tests::postgres::Database;

/// A fresh PostgreSQL database holding the mock CAI data, and a message in it
/// (conversation, message, received at).
fn filled(rt: &tokio::runtime::Runtime) -> (Database, (String, String, String)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("bridge.db");
    database(rt, &sqlite);
    let pg = Database::create();
    // The same records through the PostgreSQL loader.
    database_in(rt, &pg.bridge_database());
    let conn = rusqlite::Connection::open(&sqlite).expect("opens");
    let message = conn
        .query_row(
            "SELECT conversation_id, message_id, received_at FROM cai_logs_Messages \
             ORDER BY received_at LIMIT 1 OFFSET 600",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a message");
    (pg, message)
}

#[test]
fn answers_as_cap_on_postgres_does_for_the_same_database() {
    let rt = cai_bridge_tests::runtime();
    let (pg, (conversation, message, start)) = filled(&rt);
    let mut requests = requests(&conversation, &message, &start);
    requests.extend(
        [
            // NULLs first ascending, last descending, as CAP asks PostgreSQL for them.
            "Messages?$orderby=nlp_type&$top=40&$select=message_id,nlp_type",
            "Messages?$orderby=nlp_type%20desc,message_id&$top=40&$select=message_id,nlp_type",
            // Case counts in comparisons and functions; tolower folds it away.
            "Messages?$filter=contains(conversation_skill,'ORDER')&$count=true&$top=3",
            "Messages?$filter=contains(tolower(conversation_skill),'order')&$count=true&$top=3&$select=message_id",
            "Messages?$filter=nlp_sentiment%20eq%20'POSITIVE'&$count=true&$top=1",
            "Messages?$filter=nlp_sentiment%20gt%20'n'&$count=true&$top=1",
            "Messages?$filter=endswith(connector_sender_id,'1')&$count=true&$top=2",
            "Messages?$filter=indexof(nlp_sentiment,'ti')%20eq%202&$count=true&$top=2",
            "Messages?$filter=length(nlp_sentiment)%20eq%208%20and%20toupper(nlp_sentiment)%20eq%20'POSITIVE'&$count=true&$top=2",
            // Timestamps: compared as timestamps, written as CAP writes them.
            "Conversations?$filter=year(start_at)%20ge%202000&$count=true&$top=3&$orderby=start_at",
            "Conversations?$filter=start_at%20lt%202100-01-01T00:00:00Z&$count=true&$top=3",
            // Expansions, navigation and aggregation.
            "Conversations?$expand=messages($select=message_id,nlp_type;$orderby=received_at)&$top=3",
            &format!("Conversations({conversation})/messages?$top=5"),
            &format!("Messages(conversation_id={conversation},message_id={message})/conversation"),
            "Messages?$apply=groupby((nlp_sentiment),aggregate($count%20as%20n))&$orderby=nlp_sentiment",
            "Messages?$search=order&$count=true&$top=3&$select=message_id",
        ]
        .map(str::to_owned),
    );
    let cap_project = cai_bridge_tests::repo().join("generated-example/cap");
    let artifacts = cai_logs_bridge::artifacts();
    // A literal that does not fit its column is the client's mistake: 400 here, where
    // CAP passes PostgreSQL's error (SQLSTATE 22003) on as a 500.
    let server = rt
        .block_on(ODataServer::start(
            &artifacts,
            &pg.bridge_database(),
            loopback(),
            Auth::Disabled,
        ))
        .expect("serves");
    for mistake in [
        "Messages?$filter=nlp_status%20eq%2099999999999",
        "Messages?$filter=received_at%20gt%209999-12-31T23:59:59Z%20and%20year(received_at)%20eq%2099999999999",
    ] {
        let answer = ours(&rt, &server.url(), mistake);
        assert_eq!(answer["status"], 400, "{mistake}: {answer}");
    }
    rt.block_on(server.shutdown());

    let differences = differences_on(
        &rt,
        &artifacts,
        &pg.bridge_database(),
        pg.url().as_ref(),
        &cap_project,
        &requests,
    );
    cai_bridge_tests::differential::assert_agree(&differences, requests.len());
}

#[test]
fn a_database_of_another_model_is_refused_and_ready_waits_for_the_schema() {
    let rt = cai_bridge_tests::runtime();
    let pg = Database::create();
    pg.execute("CREATE TABLE unrelated (id INTEGER)")
        .expect("a table");
    let artifacts = cai_logs_bridge::artifacts();
    let refused = rt.block_on(ODataServer::start(
        &artifacts,
        &pg.bridge_database(),
        loopback(),
        Auth::Disabled,
    ));
    let error = refused.err().expect("refused").to_string();
    assert!(
        error.contains("does not match the model") && error.contains("cai_logs_Conversations"),
        "{error}"
    );

    // Waiting for the first sync: 503 until the schema is there, then answers.
    let options = cai_bridge::serve::ServeOptions {
        wait_for_database: true,
        schedule: None,
    };
    let server = rt
        .block_on(ODataServer::start_with(
            &artifacts,
            &pg.bridge_database(),
            loopback(),
            Auth::Disabled,
            options,
        ))
        .expect("starts");
    let ready = format!("http://{}/health/ready", server.local_addr());
    let status = |url: &str| rt.block_on(async { reqwest::get(url).await.expect("GET").status() });
    assert_eq!(status(&ready), 503);
    assert_eq!(ours(&rt, &server.url(), "Conversations")["status"], 503);
    pg.execute(
        &std::fs::read_to_string(
            cai_bridge_tests::repo().join("generated-example/db/postgres/schema.sql"),
        )
        .expect("the DDL"),
    )
    .expect("the DDL runs");
    assert_eq!(status(&ready), 200);
    let answer = ours(&rt, &server.url(), "Conversations");
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["count"], 0, "{answer}");
    rt.block_on(server.shutdown());
}
