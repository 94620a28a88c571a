//! The generated CDS, SQL and CSDL against the real CAP toolchain, for every fixture:
//! CAP compiles our CDS with no message at all; our DDL is CAP's DDL, statement for
//! statement and byte for byte, for SQLite, PostgreSQL and SAP HANA (and on SQLite
//! the same tables, columns, types, keys and views, whose rows are the same); our CSDL
//! validates against the OASIS schemas and means what CAP's CSDL means; and a
//! database made from our DDL is served by `cds serve` unchanged.

use cai_bridge::model::dialect::Dialect;
use cai_bridge_build::emit::paths;
use cai_bridge_tests::ddl::Ddl;
use cai_bridge_tests::{csdl, fixtures, generate, oracle, schema};

#[test]
fn cap_compiles_our_cds_without_any_message() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let cap = oracle::cap_compile(&generated.path("cap"));
        assert!(
            cap.messages.is_empty(),
            "{}: CAP reports {:#?}",
            fixture.name,
            cap.messages
        );
        assert_eq!(
            cap.path, generated.model.service.path,
            "{}: service path",
            fixture.name
        );
    }
}

#[test]
fn our_ddl_is_what_cap_deploys() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let cap = oracle::cap_compile(&generated.path("cap"));
        let ours = schema::database(&[generated.files[paths::SQL].clone()]);
        let theirs = schema::database(&cap.sql[&Dialect::Sqlite]);
        let our_schema = schema::schema(&ours);
        let their_schema = schema::schema(&theirs);
        assert_eq!(our_schema, their_schema, "{}: schemas differ", fixture.name);

        schema::fill(&ours, &our_schema);
        schema::fill(&theirs, &their_schema);
        for view in their_schema.views.keys() {
            let expected = schema::rows(&theirs, view);
            assert!(!expected.is_empty(), "{}: {view} is empty", fixture.name);
            assert_eq!(
                schema::rows(&ours, view),
                expected,
                "{}: rows of {view}",
                fixture.name
            );
        }
    }
}

/// Every dialect's `schema.sql` holds the statements CAP writes for our CDS, in CAP's
/// order and spelt as CAP spells them, then our indexes (CAP writes none); HANA's
/// text can only be compared here, PostgreSQL's also runs (`tests/tests/postgres.rs`).
#[test]
fn our_ddl_is_caps_text_in_every_dialect() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let cap = oracle::cap_compile(&generated.path("cap"));
        for dialect in Dialect::ALL {
            let what = format!("{}: {}", fixture.name, paths::sql(dialect));
            let ddl = Ddl::parse(&generated.files[paths::sql(dialect)]);
            let theirs = &cap.sql[&dialect];
            if let Some(i) = (0..ddl.statements.len().max(theirs.len()))
                .find(|&i| ddl.statements.get(i) != theirs.get(i))
            {
                panic!(
                    "{what}: statement {} differs from CAP's:\n ours:  {:?}\n CAP's: {:?}",
                    i + 1,
                    ddl.statements.get(i),
                    theirs.get(i)
                );
            }
            let tables: Vec<&str> = theirs
                .iter()
                .filter_map(|s| s.strip_prefix("CREATE TABLE ")?.split(' ').next())
                .collect();
            assert!(!ddl.indexes.is_empty(), "{what}: no index");
            for index in &ddl.indexes {
                let table = index
                    .strip_prefix("CREATE INDEX ")
                    .and_then(|rest| rest.split(" ON ").nth(1))
                    .and_then(|on| on.split('(').next());
                assert!(
                    table.is_some_and(|t| tables.contains(&t)) && index.ends_with(");"),
                    "{what}: not an index on one of CAP's tables: {index}"
                );
            }
        }
    }
}

/// The reserved words we quote are those CAP quotes, so a CAP upgrade that changes
/// them fails here instead of in a deployment.
#[test]
fn we_quote_the_words_cap_quotes() {
    let cap = oracle::cap_compile(&generate(&cai_bridge_tests::cai()).path("cap"));
    for dialect in Dialect::ALL {
        let mut theirs = cap.keywords[&dialect].clone();
        theirs.sort();
        let mut ours: Vec<String> = dialect.reserved_words().map(str::to_owned).collect();
        ours.sort();
        assert_eq!(ours, theirs, "{}: reserved words", dialect.name());
    }
}

#[test]
fn our_csdl_validates_and_means_what_caps_means() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        oracle::validate_edmx(&generated.path(paths::CSDL))
            .unwrap_or_else(|report| panic!("{}: invalid CSDL:\n{report}", fixture.name));
        let cap = oracle::cap_compile(&generated.path("cap"));
        assert_eq!(
            csdl::summarize(&generated.files[paths::CSDL]),
            csdl::summarize(&cap.edmx),
            "{}: CSDL differs from CAP's",
            fixture.name
        );
    }
}

#[test]
fn cds_serve_reads_a_database_made_from_our_ddl() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let file = generated.path("bridge.db");
        let db = rusqlite::Connection::open(&file).expect("SQLite file");
        db.execute_batch(&generated.files[paths::SQL])
            .expect("our DDL runs");
        schema::fill(&db, &schema::schema(&db));
        drop(db);
        let model = &generated.model;
        let sets: Vec<String> = model
            .entities
            .iter()
            .map(|e| e.name.clone())
            .chain(model.fact.iter().map(|f| f.name.clone()))
            .collect();
        let served = oracle::cap_serve(&generated.path("cap"), &file, &sets);
        assert_eq!(
            served["$metadata"]["status"], 200,
            "{}: $metadata",
            fixture.name
        );
        for set in &sets {
            assert_eq!(
                served[set]["status"], 200,
                "{}: {set}: {}",
                fixture.name, served[set]
            );
            assert_eq!(served[set]["count"], 3, "{}: {set} rows", fixture.name);
        }
    }
}
