//! Hand-written structs of a non-CAI API: the derive gives them tables, loading,
//! reading back, and CDS that CAP compiles, without the generator.

use cai_bridge::load::{content_hash, read_back, Loader};
use cai_bridge::serde_json::{self, Value};
use cai_bridge::{Artifacts, Bridge};
use cai_bridge_example_derive::{Issue, Label, Reactions, User};

fn issues() -> Vec<Issue> {
    let reactions =
        |plus_one, heart| serde_json::to_string(&Reactions { plus_one, heart }).expect("JSON");
    vec![
        Issue {
            number: 1,
            title: "Löschen schlägt fehl 😢".into(),
            r#type: "bug".into(),
            created_at: "2026-11-01T10:00:00.000Z".into(),
            user: User {
                login: "ada".into(),
                id: 7,
            },
            labels: vec![
                Label {
                    name: "bug".into(),
                    color: Some("d73a4a".into()),
                },
                Label {
                    name: "p1".into(),
                    color: None,
                },
            ],
            assignees: vec!["grace".into(), "linus".into()],
            reactions: reactions(3, 1),
            closed: false,
            score: Some(0.75),
            seen_locally: Some(9),
        },
        Issue {
            number: 2,
            title: "Add \"export\"".into(),
            r#type: "feature".into(),
            created_at: "2026-11-02T08:30:00.000Z".into(),
            user: User {
                login: "grace".into(),
                id: 8,
            },
            labels: vec![],
            assignees: vec![],
            reactions: reactions(0, 0),
            closed: true,
            score: None,
            seen_locally: None,
        },
    ]
}

#[test]
fn the_model_has_the_tables_and_columns_the_attributes_ask_for() {
    let model = Issue::model().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = model.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Issues", "Labels", "Assignees"]);
    let issues = model.root();
    let columns: Vec<&str> = issues.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "number",
            "title",
            "type",
            "created_at",
            "user_login",
            "user_id",
            "reactions",
            "reactions_plus_one",
            "reactions_heart",
            "closed",
            "score"
        ]
    );
    assert_eq!(model.table("Issues"), "tracker_Issues");
    assert_eq!(model.service.path, "/odata/v4/tracker");
    let labels = &model.entities[1];
    let keys: Vec<&str> = labels.keys().map(|f| f.name.as_str()).collect();
    assert_eq!(keys, ["issue_number", "name"]);
}

#[test]
fn structs_load_read_back_and_reload_idempotently() {
    let artifacts = Artifacts::of::<Issue>().unwrap_or_else(|e| panic!("{e}"));
    let model = &artifacts.model;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = Loader::open(&dir.path().join("tracker.db"), &artifacts).expect("opens");
    let records = issues();
    loader.load(&records).expect("loads");
    let db = loader.connection();
    let back = read_back(db, model).expect("reads back");
    let expected: Vec<Value> = records
        .iter()
        .map(|i| cai_bridge_tests::without_nulls(serde_json::to_value(i).expect("serializes")))
        .collect();
    assert_eq!(
        back.into_iter()
            .map(cai_bridge_tests::without_nulls)
            .collect::<Vec<_>>(),
        expected
    );
    let (plus_one, login): (i64, String) = db
        .query_row(
            "SELECT reactions_plus_one, user_login FROM tracker_Issues WHERE number = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!((plus_one, login.as_str()), (3, "ada"));

    let hash = content_hash(db, model).expect("hash");
    loader.load(&records).expect("loads again");
    assert_eq!(
        content_hash(loader.connection(), model).expect("hash"),
        hash
    );
}

#[test]
fn the_trait_alone_gives_ddl_upserts_and_rows_that_fill_a_database() {
    let upserts = Issue::upserts().expect("upserts");
    assert_eq!(
        upserts[0],
        "INSERT INTO tracker_Issues (number, title, type, created_at, user_login, user_id, \
         reactions, reactions_plus_one, reactions_heart, closed, score) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (number) \
         DO UPDATE SET title = excluded.title, type = excluded.type, \
         created_at = excluded.created_at, user_login = excluded.user_login, \
         user_id = excluded.user_id, reactions = excluded.reactions, \
         reactions_plus_one = excluded.reactions_plus_one, \
         reactions_heart = excluded.reactions_heart, closed = excluded.closed, \
         score = excluded.score"
    );

    // Every row of the first issue: its own, then its labels and assignees, each
    // child carrying the issue's key and its position.
    let records = issues();
    let mut seen = Vec::new();
    let count = records[0]
        .rows(&mut |row| {
            let values: Vec<rusqlite::types::Value> = row
                .values
                .iter()
                .map(cai_bridge::load::bound_value)
                .collect();
            seen.push((row.entity.1.name.clone(), row.position, values));
            Ok(())
        })
        .expect("rows");
    assert_eq!(count, 5);
    let shape: Vec<(&str, Option<i64>)> = seen
        .iter()
        .map(|(entity, position, _)| (entity.as_str(), *position))
        .collect();
    assert_eq!(
        shape,
        [
            ("Issues", None),
            ("Labels", Some(0)),
            ("Labels", Some(1)),
            ("Assignees", Some(0)),
            ("Assignees", Some(1))
        ]
    );
    let model = Issue::model().unwrap_or_else(|e| panic!("{e}"));
    let labels = &model.entities[1];
    let label_row: Vec<(&str, &rusqlite::types::Value)> = labels
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .zip(&seen[2].2)
        .collect();
    use rusqlite::types::Value::{Integer, Null, Text};
    assert_eq!(
        label_row,
        [
            ("issue_number", &Integer(1)),
            ("name", &Text("p1".into())),
            ("color", &Null),
        ]
    );

    // DDL, upserts and rows are all a database needs: the same content as the loader's.
    let by_hand = rusqlite::Connection::open_in_memory().expect("opens");
    by_hand
        .execute_batch(&Issue::ddl().expect("DDL"))
        .expect("DDL runs");
    for issue in &records {
        issue
            .rows(&mut |row| {
                by_hand
                    .execute(
                        &upserts[row.entity.0],
                        rusqlite::params_from_iter(row.values.iter()),
                    )
                    .map(drop)
                    .map_err(Into::into)
            })
            .expect("stores");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let artifacts = Artifacts::of::<Issue>().expect("artifacts");
    let mut loader = Loader::open(&dir.path().join("tracker.db"), &artifacts).expect("opens");
    loader.load(&records).expect("loads");
    assert_eq!(
        content_hash(&by_hand, model).expect("hash"),
        content_hash(loader.connection(), model).expect("hash")
    );
}

#[test]
fn cap_compiles_and_serves_what_the_derive_alone_describes() {
    let model = Issue::model().unwrap_or_else(|e| panic!("{e}"));
    let files = cai_bridge::bridge::artifacts(model);
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in &files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    }
    let cap = cai_bridge_tests::oracle::cap_compile(&dir.path().join("cap"));
    assert!(cap.messages.is_empty(), "{:#?}", cap.messages);
    assert_eq!(cap.path, "/odata/v4/tracker");
    cai_bridge_tests::oracle::validate_edmx(&dir.path().join("odata/metadata.xml"))
        .unwrap_or_else(|report| panic!("{report}"));

    // And the real CAP serves, as OData, what the loader stored for these structs.
    let db = dir.path().join("tracker.db");
    Loader::open(&db, &Artifacts::of::<Issue>().expect("artifacts"))
        .expect("opens")
        .load(issues())
        .expect("loads");
    let sets = ["Issues", "Labels", "Assignees"].map(str::to_owned);
    let served = cai_bridge_tests::oracle::cap_serve(&dir.path().join("cap"), &db, &sets);
    assert_eq!(served["$metadata"]["status"], 200, "{served}");
    assert_eq!(served["Issues"]["count"], 2, "{served}");
    assert_eq!(served["Labels"]["count"], 2, "{served}");
    assert_eq!(served["Assignees"]["count"], 2, "{served}");
    let first = served["Issues"]["value"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["number"] == 1))
        .unwrap_or_else(|| panic!("issue 1 is served: {served}"));
    assert_eq!(first["title"], "Löschen schlägt fehl 😢", "{first}");
    assert_eq!(first["user_login"], "ada", "{first}");
    assert_eq!(first["reactions_plus_one"], 3, "{first}");
}
