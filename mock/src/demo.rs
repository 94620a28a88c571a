//! The demo: the whole pipeline on one machine with no account anywhere. A mock CAI
//! API on a free loopback port, a sync through it into SQLite, a report of what
//! landed where, and the database served as OData V4 on localhost.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cai_bridge::cli::{Context, Failure};
use cai_bridge::serve::ODataServer;
use cai_bridge::settings::SyncSettings;
use cai_bridge::sync::{self, Range};
use cai_bridge::{Artifacts, Model};

use crate::{MockConfig, MockServer};

/// What the demo does.
pub struct Demo {
    /// The SQLite database it writes.
    pub db: PathBuf,
    /// Conversations in the mock.
    pub conversations: usize,
    /// The mock's data seed.
    pub seed: u64,
    /// Where to serve OData.
    pub addr: SocketAddr,
    /// Read one page and stop instead of serving until Ctrl-C.
    pub once: bool,
}

/// Runs the demo.
pub fn run(cx: &Context<'_>, demo: &Demo) -> Result<(), Failure> {
    let runtime = cx.runtime;
    let model = &cx.artifacts.model;
    let mut config = MockConfig::new(demo.conversations);
    config.seed = demo.seed;
    let start = config.start;
    let end = start + chrono::Duration::days(i64::from(config.days));
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = runtime
        .block_on(MockServer::start(config, loopback))
        .map_err(|e| (1, format!("cannot start the mock CAI server: {e}")))?;
    println!(
        "mock CAI API on {} ({} conversations)",
        server.base_url(),
        demo.conversations
    );
    let api = server.api_settings();
    let settings = SyncSettings::resolve(&Default::default()).map_err(|e| (2, e.to_string()))?;
    let range = Range {
        from: Some(start),
        to: Some(end),
    };
    let result = sync::sync(
        runtime,
        &demo.db,
        cx.artifacts,
        &api,
        &settings,
        range,
        cx.quiet,
    );
    runtime.block_on(server.shutdown());
    let summary = result.map_err(|e| (e.exit_code(), e.to_string()))?;
    println!("{summary}");
    report(&demo.db, model).map_err(|e| (3, e.to_string()))?;
    serve(runtime, cx.artifacts, demo)
}

/// Serves the database, shows where, and reads a first page over HTTP.
fn serve(
    runtime: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    demo: &Demo,
) -> Result<(), Failure> {
    let model = &artifacts.model;
    runtime.block_on(async {
        let server = ODataServer::start(artifacts, &demo.db, demo.addr)
            .await
            .map_err(|e| (e.exit_code(), e.to_string()))?;
        let url = server.url();
        let set = model
            .fact
            .as_ref()
            .map_or(&model.root().name, |fact| &fact.name);
        let first = format!("{url}{set}?$top=3");
        println!("\nOData V4 for SAP Analytics Cloud: {url}");
        println!("  {url}$metadata");
        println!("  {first}");
        let page = read_page(&first).await;
        match &page {
            Ok(body) => println!("\n{body}"),
            Err(e) => eprintln!("error: cannot read {first}: {e}"),
        }
        if page.is_ok() && !demo.once {
            println!("\nServing until Ctrl-C.");
            let _ = cai_bridge::signal::wait_for_signal().await;
        }
        server.shutdown().await;
        page.map(drop).map_err(|e| Failure::new(1, e))
    })
}

async fn read_page(url: &str) -> Result<String, String> {
    let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
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
