//! Hand-written structs of a non-CAI API: the derive gives them tables, loading,
//! reading back, and CDS that CAP compiles, without the generator.

use cai_bridge::load::{content_hash, read_back, Loader};
use cai_bridge::serde_json::{self, Value};
use cai_bridge::Bridge;
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
    let model = Issue::model().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut loader = Loader::open(&dir.path().join("tracker.db"), model).expect("opens");
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
fn cap_compiles_what_the_derive_alone_describes() {
    let model = Issue::model().unwrap_or_else(|e| panic!("{e}"));
    let files = cai_bridge::bridge::artifacts(model).expect("artifacts");
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in &files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    }
    let cap = cai_bridge_tests::oracle::cap_compile(&dir.path().join("cap"));
    assert!(cap.messages.is_empty(), "{:#?}", cap.messages);
    assert_eq!(cap.path, "/odata/v4/tracker");
}
