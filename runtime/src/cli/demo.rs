//! The demo: the whole pipeline on one machine with no account anywhere. A mock CAI
//! API on a free loopback port, a sync through it into SQLite, and a report of what
//! landed where.

use std::net::SocketAddr;
use std::path::Path;

use cai_bridge_gen::model::Model;

use crate::mock::{MockConfig, MockServer};
use crate::settings::SyncSettings;
use crate::sync::{self, Range};

/// Runs the demo into `db`.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    model: &Model,
    db: &Path,
    conversations: usize,
    seed: u64,
    quiet: bool,
) -> Result<(), (u8, String)> {
    let mut config = MockConfig::new(conversations);
    config.seed = seed;
    let start = config.start;
    let end = start + chrono::Duration::days(i64::from(config.days));
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = runtime
        .block_on(MockServer::start(config, loopback))
        .map_err(|e| (1, format!("cannot start the mock CAI server: {e}")))?;
    println!(
        "mock CAI API on {} ({conversations} conversations)",
        server.base_url()
    );
    let api = server.api_settings();
    let settings = SyncSettings::resolve(&Default::default()).map_err(|e| (2, e.to_string()))?;
    let range = Range {
        from: Some(start),
        to: Some(end),
    };
    let result = sync::sync(runtime, db, model, &api, &settings, range, quiet);
    runtime.block_on(server.shutdown());
    let summary = result.map_err(|e| (e.exit_code(), e.to_string()))?;
    println!("{summary}");
    report(db, model).map_err(|e| (3, e.to_string()))?;
    Ok(())
}

fn report(db: &Path, model: &Model) -> rusqlite::Result<()> {
    let conn = rusqlite::Connection::open(db)?;
    println!("\nSQLite database: {}", db.display());
    let mut names: Vec<&str> = model.entities.iter().map(|e| e.name.as_str()).collect();
    if let Some(fact) = &model.fact {
        names.push(&fact.name);
    }
    for name in names {
        let table = model.table(name);
        let count: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        println!("  {table:<40} {count:>8} rows");
    }
    if let Some(fact) = &model.fact {
        println!(
            "\nTry:\n  sqlite3 {} \"SELECT * FROM {} LIMIT 5\"",
            db.display(),
            model.table(&fact.name)
        );
    }
    Ok(())
}
