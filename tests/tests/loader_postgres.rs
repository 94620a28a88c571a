//! The loader on a real PostgreSQL server against the same loads into SQLite: the
//! same content hash for the same records (every sample, twice; a re-sent parent;
//! one root twice in a batch; a purge); a bad record fails its batch and leaves the
//! database as it was; a schema of another model, or tables the model did not
//! create, are refused; what PostgreSQL cannot store is named before it is sent.

use cai_bridge::database_url::Database;
use cai_bridge::load::{Foreign, LoadError, Loader, Store};
use cai_bridge::Artifacts;
use serde_json::{json, Value};

/// A fresh PostgreSQL database and a fresh SQLite file, both opened for `artifacts`.
struct Both<'a> {
    _pg: cai_bridge_tests::postgres::Database,
    _dir: tempfile::TempDir,
    sqlite: Store<'a>,
    postgres: Store<'a>,
}

impl<'a> Both<'a> {
    fn open(rt: &tokio::runtime::Runtime, artifacts: &'a Artifacts) -> Self {
        let pg = cai_bridge_tests::postgres::Database::create();
        let dir = tempfile::tempdir().expect("dir");
        let sqlite =
            Store::Sqlite(Loader::open(&dir.path().join("b.db"), artifacts).expect("opens"));
        let db = Database::parse(pg.url(), "the test server").expect("URL");
        let postgres = Store::open(rt, &db, artifacts, Foreign::Refuse).expect("opens PostgreSQL");
        Both {
            _pg: pg,
            _dir: dir,
            sqlite,
            postgres,
        }
    }

    fn load(&mut self, records: &[Value]) {
        self.sqlite
            .load(records.to_vec())
            .expect("loads into SQLite");
        self.postgres
            .load(records.to_vec())
            .expect("loads into PostgreSQL");
    }

    /// Both hashes, asserted equal.
    fn hash(&mut self) -> String {
        let sqlite = self.sqlite.content_hash().expect("hash");
        let postgres = self.postgres.content_hash().expect("hash");
        assert_eq!(
            postgres, sqlite,
            "PostgreSQL's content differs from SQLite's"
        );
        sqlite
    }
}

fn count(store: &mut Store<'_>, table: &str) -> u64 {
    store
        .query_text(&format!("SELECT CAST(count(*) AS TEXT) FROM {table}"), &[])
        .expect("counts")
        .expect("a count")
        .parse()
        .expect("a number")
}

#[test]
fn every_sample_twice_hashes_as_sqlite() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_logs_bridge::artifacts();
    let mut both = Both::open(&rt, &artifacts);
    let records = cai_bridge_tests::cai_samples();
    both.load(&records);
    let first = both.hash();
    both.load(&records);
    assert_eq!(both.hash(), first, "a second load changed something");
    let stats = both.postgres.load(records.clone()).expect("loads");
    assert_eq!(stats.records as usize, records.len());
}

#[test]
fn a_resent_parent_replaces_its_children_as_in_sqlite() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_logs_bridge::artifacts();
    let mut both = Both::open(&rt, &artifacts);
    let mut record = cai_bridge_tests::cai_sample_with_intents();
    both.load(std::slice::from_ref(&record));
    let intents = artifacts.model.table("Intents");
    let before = count(&mut both.postgres, &intents);
    record["messages"][0]["intents"] = json!([{ "slug": "changed", "confidence": 0.5 }]);
    both.load(std::slice::from_ref(&record));
    both.hash();
    assert!(
        count(&mut both.postgres, &intents) < before,
        "the old intents stayed"
    );

    // One root twice in one batch: the later one wins, whole.
    let mut later = record.clone();
    later["messages"][0]["intents"] = json!([]);
    both.load(&[record.clone(), later]);
    both.hash();
    assert_eq!(
        both.postgres
            .query_text(
                &format!(
                    "SELECT CAST(count(*) AS TEXT) FROM {intents} WHERE message_message_id = $1"
                ),
                &[record["messages"][0]["message_id"].as_str().expect("id")],
            )
            .expect("counts"),
        Some("0".to_owned())
    );
}

#[test]
fn a_purge_erases_as_in_sqlite() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_logs_bridge::artifacts();
    let mut both = Both::open(&rt, &artifacts);
    let records = cai_bridge_tests::cai_samples();
    both.load(&records);
    let id = records[0]["id"].as_str().expect("id").to_owned();
    let key = [rusqlite::types::Value::Text(id)];
    let from_sqlite = both.sqlite.purge(&key).expect("purges");
    let from_postgres = both.postgres.purge(&key).expect("purges");
    assert!(from_postgres > 1, "a conversation and its messages");
    assert_eq!(from_postgres, from_sqlite);
    both.hash();
}

#[test]
fn a_bad_record_fails_its_batch_and_leaves_postgresql_as_it_was() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_logs_bridge::artifacts();
    let mut both = Both::open(&rt, &artifacts);
    let records = cai_bridge_tests::cai_samples();
    both.load(&records[..2]);
    let hash = both.hash();
    let mut bad = records[3].clone();
    bad["messages"][0]["nlp_status"] = json!("two hundred");
    let error = both
        .postgres
        .load(vec![records[2].clone(), bad])
        .expect_err("a bad value fails the batch");
    assert!(matches!(error, LoadError::Record { .. }), "{error}");
    assert!(error.to_string().contains("nlp_status"), "{error}");
    assert_eq!(both.postgres.content_hash().expect("hash"), hash);

    // What SQLite takes but PostgreSQL cannot: named before anything is sent.
    let mut nul = records[2].clone();
    nul["channel_id"] = json!("a\u{0}b");
    let error = both.postgres.load(vec![nul]).expect_err("NUL");
    assert!(
        matches!(&error, LoadError::Record { field, .. } if field == "channel_id"),
        "{error}"
    );
    assert!(error.to_string().contains("NUL"), "{error}");
    assert_eq!(both.postgres.content_hash().expect("hash"), hash);
}

#[test]
fn another_schema_or_foreign_tables_are_refused() {
    let rt = cai_bridge_tests::runtime();
    let artifacts = cai_logs_bridge::artifacts();
    let pg = cai_bridge_tests::postgres::Database::create();
    let db = Database::parse(pg.url(), "the test server").expect("URL");
    pg.execute("CREATE TABLE invoices (id int PRIMARY KEY)")
        .expect("a table of someone else's");
    let error = Store::open(&rt, &db, &artifacts, Foreign::Refuse)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("invoices"), "{error}");
    assert!(error.to_string().contains("--adopt"), "{error}");
    Store::open(&rt, &db, &artifacts, Foreign::Adopt).expect("adopted");

    let other = cai_bridge_tests::postgres::Database::create();
    other
        .execute(
            "CREATE TABLE cai_logs_Conversations (id VARCHAR(36) NOT NULL, \
             start_at TIMESTAMP NOT NULL, channel VARCHAR(255), PRIMARY KEY(id))",
        )
        .expect("create");
    let db = Database::parse(other.url(), "the test server").expect("URL");
    let error = Store::open(&rt, &db, &artifacts, Foreign::Adopt)
        .err()
        .expect("a different schema is refused");
    let text = error.to_string();
    assert!(text.contains("cai_logs_Conversations"), "{text}");
    assert!(
        !text.contains(pg.url()) && !text.contains("password"),
        "no URL in errors: {text}"
    );
}
