//! Our PostgreSQL DDL (`db/postgres/schema.sql`) on a real PostgreSQL server, for
//! every fixture: it runs in one transaction in a throwaway database, and builds
//! exactly what CAP's own DDL for the same CDS builds (tables, columns, types, nulls,
//! keys, views and their columns, as the server's catalog reports them), plus one
//! index per timestamp column. Its text is CAP's too (`cap_conformance.rs`); SAP
//! HANA's DDL can only be compared with CAP's text here, not run.

use cai_bridge::model::dialect::Dialect;
use cai_bridge_build::emit::paths;
use cai_bridge_tests::postgres::Database;
use cai_bridge_tests::{fixtures, generate, oracle};

/// What the server's catalog says of the `public` schema, one line per fact.
fn catalog(db: &Database) -> Vec<String> {
    let queries = [
        "SELECT 'relation', table_name, table_type FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
        "SELECT 'column', table_name, ordinal_position, column_name, data_type, \
         character_maximum_length, is_nullable FROM information_schema.columns \
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
        "SELECT 'key', k.table_name, k.ordinal_position, k.column_name \
         FROM information_schema.key_column_usage k JOIN information_schema.table_constraints c \
         USING (constraint_schema, constraint_name) \
         WHERE c.constraint_type = 'PRIMARY KEY' AND k.table_schema = 'public' \
         ORDER BY k.table_name, k.ordinal_position",
    ];
    queries
        .iter()
        .flat_map(|q| db.query(q))
        .map(|row| row.join(" "))
        .collect()
}

/// The non-key indexes: `table(column)`, sorted.
fn indexes(db: &Database) -> Vec<String> {
    db.query(
        "SELECT t.relname || '(' || a.attname || ')' FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
         WHERE n.nspname = 'public' AND NOT i.indisprimary ORDER BY 1",
    )
    .into_iter()
    .map(|row| row.concat())
    .collect()
}

#[test]
fn our_postgres_ddl_runs_and_builds_what_caps_builds() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let model = &generated.model;
        let ours = Database::create();
        ours.execute(&generated.files[paths::SQL_POSTGRES])
            .unwrap_or_else(|e| panic!("{}: PostgreSQL refuses our DDL:\n{e}", fixture.name));
        let cap = oracle::cap_compile(&generated.path("cap"));
        let theirs = Database::create();
        theirs
            .execute(&cap.sql[&Dialect::Postgres].join("\n"))
            .unwrap_or_else(|e| panic!("{}: PostgreSQL refuses CAP's DDL:\n{e}", fixture.name));

        let catalog_ours = catalog(&ours);
        assert_eq!(
            catalog_ours,
            catalog(&theirs),
            "{}: catalogs differ",
            fixture.name
        );
        // Unquoted names fold to lower case: every table and view of the model is there.
        let relations: Vec<&String> = catalog_ours
            .iter()
            .filter(|l| l.starts_with("relation "))
            .collect();
        let expected = model.entities.len() * 2 + model.fact.iter().count() * 2;
        assert_eq!(
            relations.len(),
            expected,
            "{}: {relations:#?}",
            fixture.name
        );
        for entity in &model.entities {
            let table = model.table(&entity.name).to_lowercase();
            assert!(
                catalog_ours.contains(&format!("relation {table} BASE TABLE")),
                "{}: no table {table}",
                fixture.name
            );
        }

        let timestamps: Vec<String> = model
            .entities
            .iter()
            .flat_map(|e| {
                e.fields
                    .iter()
                    .filter(|f| {
                        f.ty == cai_bridge::model::LogicalType::Timestamp
                            && f.role == cai_bridge::model::Role::Data
                            && !f.key
                    })
                    .map(|f| format!("{}({})", model.table(&e.name), f.name).to_lowercase())
            })
            .collect();
        let mut timestamps = timestamps;
        timestamps.sort();
        assert!(
            !timestamps.is_empty(),
            "{}: no timestamp column",
            fixture.name
        );
        assert_eq!(indexes(&ours), timestamps, "{}: indexes", fixture.name);
        assert!(
            indexes(&theirs).is_empty(),
            "{}: CAP writes no index",
            fixture.name
        );

        // The views answer (the fact view's joins included).
        for line in &relations {
            let name = line.split(' ').nth(1).expect("name");
            let count = ours.query(&format!("SELECT count(*) FROM \"{name}\""));
            assert_eq!(count, [["0"]], "{}: {name}", fixture.name);
        }
        drop(ours);
        drop(theirs);
    }
}
