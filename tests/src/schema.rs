//! SQLite schemas compared by what SQLite itself reports, not by DDL text: run the
//! statements in a fresh database and read tables, columns, types, keys and views.

use std::collections::BTreeMap;

use rusqlite::Connection;

/// A database's schema as SQLite sees it.
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    /// Table → columns (name, declared type, not null, position in the primary key).
    pub tables: BTreeMap<String, Vec<(String, String, bool, i64)>>,
    /// View → column names.
    pub views: BTreeMap<String, Vec<String>>,
}

/// Runs `statements` in a new in-memory database.
pub fn database(statements: &[String]) -> Connection {
    let db = Connection::open_in_memory().expect("in-memory SQLite");
    for statement in statements {
        db.execute_batch(statement)
            .unwrap_or_else(|e| panic!("SQLite rejects:\n{statement}\n{e}"));
    }
    db
}

/// What SQLite reports about `db`.
pub fn schema(db: &Connection) -> Schema {
    let objects = |kind: &str| -> Vec<String> {
        let mut stmt = db
            .prepare("SELECT name FROM sqlite_schema WHERE type = ?1 AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("prepare");
        stmt.query_map([kind], |row| row.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    let columns = |name: &str| -> Vec<(String, String, bool, i64)> {
        let mut stmt = db
            .prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid")
            .expect("prepare");
        stmt.query_map([name], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
    };
    Schema {
        tables: objects("table")
            .into_iter()
            .map(|t| {
                let c = columns(&t);
                (t, c)
            })
            .collect(),
        views: objects("view")
            .into_iter()
            .map(|v| {
                let names = columns(&v).into_iter().map(|c| c.0).collect();
                (v, names)
            })
            .collect(),
    }
}

/// Fills every table with the same three deterministic rows per table, whose key
/// values line up across tables (row i's text keys are all `k{i}`), so joins match.
pub fn fill(db: &Connection, schema: &Schema) {
    for (table, columns) in &schema.tables {
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.0)).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO \"{table}\" ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        );
        for i in 0..3i64 {
            let values: Vec<rusqlite::types::Value> = columns
                .iter()
                .map(|(_, ty, _, _)| sample_value(ty, i))
                .collect();
            db.execute(&sql, rusqlite::params_from_iter(values))
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

fn sample_value(ty: &str, i: i64) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match ty {
        "INTEGER" | "BIGINT" => Value::Integer(i),
        "DOUBLE" => Value::Real(i as f64 + 0.5),
        "BOOLEAN" => Value::Integer(i % 2),
        "TIMESTAMP_TEXT" => Value::Text(format!("2021-02-0{}T17:45:17.044Z", i + 1)),
        "DATE_TEXT" => Value::Text(format!("2021-02-0{}", i + 1)),
        t if t.starts_with("NVARCHAR(36)") => {
            Value::Text(format!("00000000-0000-4000-8000-00000000000{i}"))
        }
        _ => Value::Text(format!("k{i}")),
    }
}

/// Every row of a view or table, as text, sorted.
pub fn rows(db: &Connection, name: &str) -> Vec<String> {
    let mut stmt = db
        .prepare(&format!("SELECT * FROM \"{name}\""))
        .expect("prepare");
    let count = stmt.column_count();
    let mut out: Vec<String> = stmt
        .query_map([], |row| {
            let cells: Vec<String> = (0..count)
                .map(|i| {
                    format!("{:?}", row.get_ref(i).map(|v| v.data_type()).ok())
                        + &match row.get::<_, rusqlite::types::Value>(i) {
                            Ok(v) => format!("={v:?}"),
                            Err(e) => format!("!{e}"),
                        }
                })
                .collect();
            Ok(cells.join("|"))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    out.sort();
    out
}
