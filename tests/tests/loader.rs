//! The transactional loader on the CAI model: every shipped sample loaded twice gives
//! the same rows and the same content hash; a re-sent parent replaces its children;
//! a bad record fails its batch and leaves the database as it was; a database of
//! another schema is refused; and CAP serves what was loaded.

use std::path::Path;

use cai_bridge::load::{bound_value, content_hash, read_back, LoadError, Loader, Prepared, Walker};
use cai_bridge::Artifacts;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value};

fn open(dir: &Path) -> Loader<'static> {
    let artifacts: &'static Artifacts = Box::leak(Box::new(cai_logs_bridge::artifacts()));
    Loader::open(&dir.join("bridge.db"), artifacts).expect("opens")
}

#[test]
fn loading_every_sample_twice_changes_nothing() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let records = cai_bridge_tests::cai_samples();
    let messages: usize = records
        .iter()
        .map(|c| c["messages"].as_array().map_or(0, Vec::len))
        .sum();
    let intents: usize = records
        .iter()
        .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
        .map(|m| m["intents"].as_array().map_or(0, Vec::len))
        .sum();
    let replies: usize = records
        .iter()
        .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
        .map(|m| {
            let text = m["replies"].as_str().unwrap_or("[]");
            serde_json::from_str::<Value>(text)
                .expect("replies JSON")
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();

    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = open(dir.path()).batch_size(3);
    let stats = loader.load(records.clone()).expect("loads");
    assert_eq!(stats.records as usize, records.len());
    let db = loader.connection();
    let counts = cai_bridge_tests::row_counts(db, model);
    assert_eq!(
        cai_bridge_tests::row_count(db, model, "Conversations") as usize,
        records.len()
    );
    assert_eq!(
        cai_bridge_tests::row_count(db, model, "Messages") as usize,
        messages
    );
    assert_eq!(
        cai_bridge_tests::row_count(db, model, "Intents") as usize,
        intents
    );
    assert_eq!(
        cai_bridge_tests::row_count(db, model, "Replies") as usize,
        replies
    );
    let hash = content_hash(db, model).expect("hash");

    loader.load(records.clone()).expect("loads again");
    let db = loader.connection();
    assert_eq!(cai_bridge_tests::row_counts(db, model), counts);
    assert_eq!(content_hash(db, model).expect("hash"), hash);

    // Contents: the embedded JSON was parsed into its columns, timestamps are in
    // CAP's UTC form, and every record reads back (derive_equivalence.rs compares
    // read-back records with the typed ones field by field).
    let (content_type, received): (String, String) = db
        .query_row(
            "SELECT input_message_content_type, received_at FROM cai_logs_Messages \
             WHERE input_message_content_type IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a message");
    assert!(!content_type.is_empty());
    assert_eq!(
        received.len(),
        "2021-02-05T17:45:17.044Z".len(),
        "{received}"
    );
    let back = read_back(db, model).expect("reads back");
    assert_eq!(back.len(), records.len());
}

#[test]
fn a_resent_parent_replaces_its_children() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let mut record = cai_bridge_tests::cai_sample_with_intents();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = open(dir.path());
    loader.load([record.clone()]).expect("loads");
    let before = cai_bridge_tests::row_count(loader.connection(), model, "Intents");
    record["messages"][0]["intents"] = json!([{ "slug": "changed", "confidence": 0.5 }]);
    loader
        .load([record.clone()])
        .expect("loads the changed record");
    let db = loader.connection();
    let after = cai_bridge_tests::row_count(db, model, "Intents");
    let removed = before - after;
    assert!(removed >= 1, "the old intents stayed: {before} → {after}");
    let slugs: Vec<String> = db
        .prepare(
            "SELECT slug FROM cai_logs_Intents WHERE message_message_id = ?1 ORDER BY position",
        )
        .expect("prepare")
        .query_map([record["messages"][0]["message_id"].as_str()], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(slugs, ["changed"]);

    // One record twice in one batch (the API sent it twice): the later copy wins,
    // its rows and all, although the batch is otherwise written table by table.
    let mut later = record.clone();
    later["messages"][0]["intents"] = json!([]);
    let other = cai_bridge_tests::cai_samples()
        .into_iter()
        .find(|r| r["id"] != record["id"])
        .expect("another record");
    loader
        .load([record.clone(), other, later])
        .expect("loads the batch");
    let intents: i64 = loader
        .connection()
        .query_row(
            "SELECT count(*) FROM cai_logs_Intents WHERE message_message_id = ?1",
            [record["messages"][0]["message_id"].as_str()],
            |r| r.get(0),
        )
        .expect("counts");
    assert_eq!(intents, 0, "the earlier copy's intents stayed");
}

#[test]
fn a_bad_record_fails_its_batch_and_leaves_the_database_as_it_was() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let records = cai_bridge_tests::cai_samples();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = open(dir.path()).batch_size(100);
    loader.load(records[..2].to_vec()).expect("first batch");
    let hash = content_hash(loader.connection(), model).expect("hash");

    let mut bad = records[3].clone();
    bad["messages"][0]["nlp_status"] = json!("two hundred");
    let error = loader
        .load(vec![records[2].clone(), bad.clone()])
        .expect_err("a bad value fails the batch");
    let text = error.to_string();
    assert!(matches!(error, LoadError::Record { .. }), "{text}");
    assert!(text.contains("nlp_status"), "{text}");
    let message_id = bad["messages"][0]["message_id"].as_str().expect("id");
    assert!(text.contains(message_id), "names the record's key: {text}");
    assert_eq!(
        content_hash(loader.connection(), model).expect("hash"),
        hash
    );

    let mut keyless = records[2].clone();
    keyless.as_object_mut().expect("object").remove("id");
    let error = loader.load(vec![keyless]).expect_err("a missing key fails");
    assert!(error.to_string().contains("id"), "{error}");
    assert!(error.to_string().contains("key"), "{error}");
    assert_eq!(
        content_hash(loader.connection(), model).expect("hash"),
        hash
    );
}

#[test]
fn a_database_of_another_schema_is_refused() {
    let artifacts = cai_logs_bridge::artifacts();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bridge.db");
    let db = rusqlite::Connection::open(&file).expect("db");
    // Someone else's table under our name: a column renamed, nothing else.
    db.execute_batch(
        "CREATE TABLE cai_logs_Conversations (id NVARCHAR(36) NOT NULL, \
         start_at TIMESTAMP_TEXT NOT NULL, channel NVARCHAR(255), \
         channel_type NVARCHAR(255), PRIMARY KEY(id));",
    )
    .expect("create");
    drop(db);
    let error = match Loader::open(&file, &artifacts) {
        Ok(_) => panic!("a different schema was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("cai_logs_Conversations") && error.contains("channel"),
        "{error}"
    );
}

#[test]
fn cap_serves_what_was_loaded() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let records = cai_bridge_tests::cai_samples();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = open(dir.path());
    loader.load(records.clone()).expect("loads");
    let facts = cai_bridge_tests::row_count(loader.connection(), model, "Messages");
    drop(loader);
    let cap = cai_bridge_tests::repo().join("generated-example/cap");
    let sets = vec!["Conversations".to_owned(), "MessageFacts".to_owned()];
    let served = cai_bridge_tests::oracle::cap_serve(&cap, dir.path().join("bridge.db"), &sets);
    assert_eq!(served["Conversations"]["count"], records.len());
    assert_eq!(served["MessageFacts"]["count"], facts);
    let first = &served["MessageFacts"]["value"][0];
    assert!(first.get("top_intent_slug").is_some(), "{first}");
}

/// An array kept as JSON text (here a recursive tree's children, cut by the
/// generator) is stored as the JSON it was and read back as the same array.
#[test]
fn arrays_in_json_columns_are_kept_as_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("hostile.db");
    cai_bridge_tests::differential::hostile_database(&db, 3);
    let artifacts = cai_bridge_golden_hostile::artifacts();
    let conn = rusqlite::Connection::open(&db).expect("opens");
    let back = read_back(&conn, &artifacts.model).expect("reads back");
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(
            cai_bridge_tests::repo().join("tests/fixtures/hostile/samples/sample.json"),
        )
        .expect("sample"),
    )
    .expect("JSON");
    let children = &sample["data"]["items"][0]["tree"]["children"];
    assert!(children.as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(&back[0]["tree"]["children"], children);
}

/// Rows prepared ahead of writing (as a sync's fetch task prepares each page) are
/// the walk's rows, in its order, and each root's key is its own row's key columns.
#[test]
fn prepared_rows_are_the_walks_rows() {
    let artifacts = cai_logs_bridge::artifacts();
    let model = &artifacts.model;
    let walker = Walker::new(model);
    let records = cai_bridge_tests::cai_samples();
    let mut walked: Vec<(usize, Vec<Sql>)> = Vec::new();
    for record in &records {
        walker
            .walk(record, &mut |row| {
                walked.push((row.entity.0, row.values.iter().map(bound_value).collect()));
                Ok(())
            })
            .expect("walks");
    }
    let prepared = Prepared::new(&walker, &records).expect("prepares");
    assert_eq!(prepared.records(), records.len());
    assert_eq!(prepared.row_count(), walked.len());
    assert!(!prepared.repeats_a_root());
    let rows: Vec<(usize, Vec<Sql>)> = prepared
        .roots()
        .flat_map(|root| root.rows().collect::<Vec<_>>())
        .map(|row| (row.entity(), row.values().map(Sql::from).collect()))
        .collect();
    assert_eq!(rows, walked);
    // Table by table: every row once, the entities in model order, each entity's
    // rows in walk order (a stable sort of the walk by entity).
    let mut by_table = walked.clone();
    by_table.sort_by_key(|(entity, _)| *entity);
    let by_entity: Vec<(usize, Vec<Sql>)> = prepared
        .by_entity()
        .map(|row| (row.entity(), row.values().map(Sql::from).collect()))
        .collect();
    assert_eq!(by_entity, by_table);
    // Reversed: the entities last to first, each entity's rows still in walk order
    // (so a later duplicate of a row still wins).
    let mut reversed_tables = walked.clone();
    reversed_tables.sort_by_key(|(entity, _)| std::cmp::Reverse(*entity));
    let reversed: Vec<(usize, Vec<Sql>)> = prepared
        .by_entity_reversed()
        .map(|row| (row.entity(), row.values().map(Sql::from).collect()))
        .collect();
    assert_eq!(reversed, reversed_tables);
    assert!(reversed.first().is_some_and(|(entity, _)| *entity > 0));
    assert_eq!(
        by_entity.iter().filter(|(entity, _)| *entity == 0).count(),
        records.len()
    );
    let keys: Vec<Vec<Sql>> = prepared
        .roots()
        .map(|root| root.key().expect("keyed").map(Sql::from).collect())
        .collect();
    let ids: Vec<Vec<Sql>> = records
        .iter()
        .map(|r| vec![Sql::Text(r["id"].as_str().expect("id").to_owned())])
        .collect();
    assert_eq!(keys, ids);

    let twice =
        Prepared::new(&walker, &[records[0].clone(), records[0].clone()]).expect("prepares");
    assert!(twice.repeats_a_root());
    let again: Vec<bool> = twice.roots().map(|root| root.again()).collect();
    assert_eq!(again, [false, true]);

    let mut bad = records[1].clone();
    bad["messages"][0]["nlp_status"] = json!("two hundred");
    let error = Prepared::new(&walker, &[records[0].clone(), bad])
        .err()
        .expect("a bad record fails the set");
    assert!(error.to_string().contains("nlp_status"), "{error}");
}
