//! `bench-limit`: the limit of `bench/run`'s sync benchmark.
//!
//! It reads every row of a database the bridge synced into memory, then inserts the
//! same rows into the same tables of a new file (created from the bridge's generated
//! `schema.sql`) the fastest plain way: one transaction, one prepared statement per
//! table, with the file settings of the bridge's loader: WAL, the source's page size
//! (the loader's for a new file) and the loader's page cache. Only that insert phase
//! is timed, so its rows per second are what SQLite can take on this machine, with no
//! HTTP, no JSON and no mapping: the ceiling a sync is held against.
//!
//! ```sh
//! bench-limit --source synced.db --schema generated-example/db/schema.sql --out limit.db
//! # {"rows":377048,"tables":5,"insert_seconds":1.31,"sqlite":"3.50.2"}
//! ```
//!
//! Bad arguments, a missing source or an existing `--out` are exit code 2 with a
//! message; nothing is written then.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

/// One table's rows as read from the source, with the columns they fill.
struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

/// The command line: three paths.
struct Args {
    source: PathBuf,
    schema: PathBuf,
    out: PathBuf,
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)).and_then(|args| run(&args)) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-limit: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let usage = "usage: bench-limit --source DB --schema schema.sql --out NEW.db";
    let (mut source, mut schema, mut out) = (None, None, None);
    while let Some(flag) = argv.next() {
        let slot = match flag.as_str() {
            "--source" => &mut source,
            "--schema" => &mut schema,
            "--out" => &mut out,
            other => return Err(format!("unknown argument `{other}`\n{usage}")),
        };
        let value = argv
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value\n{usage}"))?;
        *slot = Some(PathBuf::from(value));
    }
    match (source, schema, out) {
        (Some(source), Some(schema), Some(out)) => Ok(Args {
            source,
            schema,
            out,
        }),
        _ => Err(format!(
            "--source, --schema and --out are all needed\n{usage}"
        )),
    }
}

fn run(args: &Args) -> Result<String, String> {
    let ddl = std::fs::read_to_string(&args.schema)
        .map_err(|e| format!("cannot read --schema {}: {e}", args.schema.display()))?;
    if !args.source.is_file() {
        return Err(format!("--source {} is not a file", args.source.display()));
    }
    if args.out.exists() {
        return Err(format!(
            "--out {} exists; the limit inserts into a new file only",
            args.out.display()
        ));
    }
    let tables = read_tables(&args.source, &ddl).map_err(|e| {
        format!(
            "cannot read the bridge's tables from {}: {e}",
            args.source.display()
        )
    })?;
    let out = Connection::open(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let start = Instant::now();
    let page_size: i64 = Connection::open(&args.source)
        .and_then(|c| c.pragma_query_value(None, "page_size", |r| r.get(0)))
        .map_err(|e| {
            format!(
                "cannot read the page size of {}: {e}",
                args.source.display()
            )
        })?;
    let rows = insert_all(out, page_size, &ddl, &tables)
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    Ok(format!(
        "{{\"rows\":{rows},\"tables\":{},\"insert_seconds\":{seconds:.6},\"sqlite\":\"{}\"}}",
        tables.len(),
        rusqlite::version()
    ))
}

/// The tables `ddl` creates, in its order, each with every row `source` holds of it.
fn read_tables(source: &std::path::Path, ddl: &str) -> rusqlite::Result<Vec<Table>> {
    // The table and column names come from the schema (the model's DDL), never from
    // the source file, so the source only supplies values.
    let shape = Connection::open_in_memory()?;
    shape.execute_batch(ddl)?;
    let names: Vec<String> = shape
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let source = Connection::open_with_flags(source, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns: Vec<String> = shape
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let list = columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let mut select = source.prepare(&format!("SELECT {list} FROM {}", quote(&name)))?;
        let rows = select
            .query_map([], |r| {
                (0..columns.len()).map(|i| r.get::<_, Value>(i)).collect()
            })?
            .collect::<Result<_, _>>()?;
        drop(select);
        tables.push(Table {
            name,
            columns,
            rows,
        });
    }
    Ok(tables)
}

/// The timed phase: the schema, then every row in one transaction. Not inlined, so
/// that `valgrind --tool=callgrind --toggle-collect='*insert_all*'` counts it alone.
#[inline(never)]
fn insert_all(
    mut conn: Connection,
    page_size: i64,
    ddl: &str,
    tables: &[Table],
) -> rusqlite::Result<usize> {
    conn.pragma_update(None, "page_size", page_size)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // The page cache of the bridge's loader (`cai_bridge::load::CACHE_KIB`).
    conn.pragma_update(None, "cache_size", -(6 << 10))?;
    conn.execute_batch(ddl)?;
    let tx = conn.transaction()?;
    let mut rows = 0;
    for table in tables {
        let columns = table.columns.iter().map(|c| quote(c)).collect::<Vec<_>>();
        let marks = vec!["?"; columns.len()].join(", ");
        let mut insert = tx.prepare(&format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            quote(&table.name),
            columns.join(", ")
        ))?;
        for row in &table.rows {
            insert.execute(params_from_iter(row.iter()))?;
            rows += 1;
        }
    }
    tx.commit()?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(rows)
}

/// An SQLite identifier in double quotes, any quote in it doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
