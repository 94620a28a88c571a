//! The demo: the whole pipeline on one machine with no account anywhere. A mock CAI
//! API on a free loopback port, a sync through it into SQLite, a report of what
//! landed where, and the database served as OData V4 on localhost, with the
//! embedded token endpoint for a demo client whose credentials it prints.

use std::net::SocketAddr;

use cai_bridge::cli::{Context, Failure};
use cai_bridge::database_url::Database;
use cai_bridge::load::{Foreign, LoadError, Store};
use cai_bridge::serve::{Auth, EmbeddedAuth, ODataServer};
use cai_bridge::settings::{Secret, SyncSettings};
use cai_bridge::sync::{self, Range};
use cai_bridge::Artifacts;

use crate::generic::{GenericConfig, GenericServer};
use crate::{MockConfig, MockServer};

/// The operation of CAI's Logs v2, which the CAI mock serves.
const CAI_PATH: &str = "/logs/v2/conversations";

/// The mock a demo runs.
enum Mock {
    Cai(MockServer),
    Generic(GenericServer),
}

/// The demo client's id at the token endpoint.
pub const DEMO_CLIENT_ID: &str = "demo-client";

/// The demo client's secret: printed, since the demo serves on loopback and the point
/// is to be tried; a real bridge reads its own from `BRIDGE_CLIENT_SECRET`.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";

/// What the demo does.
pub struct Demo {
    /// The database it writes.
    pub db: Database,
    /// Conversations (records) in the mock.
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
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    // The CAI bridge gets CAI's richer mock; every other bridge one built from its model.
    let cai = model.source.path.as_deref() == Some(CAI_PATH);
    let (api, start, end, server) = if cai {
        let mut config = MockConfig::new(demo.conversations);
        config.seed = demo.seed;
        let start = config.start;
        let end = start + chrono::Duration::days(i64::from(config.days));
        let server = runtime
            .block_on(MockServer::start(config, loopback))
            .map_err(|e| (1, format!("cannot start the mock CAI server: {e}")))?;
        println!(
            "mock CAI API on {} ({} conversations)",
            server.base_url(),
            demo.conversations
        );
        (server.api_settings(), start, end, Mock::Cai(server))
    } else {
        let mut config = GenericConfig::new(demo.conversations);
        config.seed = demo.seed;
        let start = config.start;
        let end = start + chrono::Duration::days(i64::from(config.days));
        let server = runtime
            .block_on(GenericServer::start(model, config, loopback))
            .map_err(|e| (2, format!("cannot mock this bridge's API: {e}")))?;
        println!(
            "mock API on {} ({} records)",
            server.base_url(),
            demo.conversations
        );
        (server.api_settings(), start, end, Mock::Generic(server))
    };
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
    match server {
        Mock::Cai(server) => runtime.block_on(server.shutdown()),
        Mock::Generic(server) => runtime.block_on(server.shutdown()),
    }
    let summary = result.map_err(|e| (e.exit_code(), e.to_string()))?;
    println!("{summary}");
    report(runtime, &demo.db, cx.artifacts).map_err(|e| (3, e.to_string()))?;
    serve(runtime, cx.artifacts, demo)
}

/// Serves the database with the embedded token endpoint, shows where, and reads a
/// first page over HTTP with a token, as SAP Analytics Cloud would.
fn serve(
    runtime: &tokio::runtime::Runtime,
    artifacts: &Artifacts,
    demo: &Demo,
) -> Result<(), Failure> {
    let model = &artifacts.model;
    let auth = Auth::Embedded(EmbeddedAuth::new(
        DEMO_CLIENT_ID,
        Secret::new(DEMO_CLIENT_SECRET),
    ));
    runtime.block_on(async {
        let server = ODataServer::start(artifacts, &demo.db, demo.addr, auth)
            .await
            .map_err(|e| (e.exit_code(), e.to_string()))?;
        let url = server.url();
        let token_url = server
            .token_url()
            .ok_or_else(|| Failure::new(1, "the demo server has no token endpoint"))?;
        let set = model
            .fact
            .as_ref()
            .map_or(&model.root().name, |fact| &fact.name);
        let first = format!("{url}{set}?$top=3");
        println!("\nOData V4 for SAP Analytics Cloud: {url}");
        println!("  $metadata:  {url}$metadata");
        println!(
            "  OAuth 2.0 client credentials: token URL {token_url}, client id {DEMO_CLIENT_ID}, secret {DEMO_CLIENT_SECRET}"
        );
        let page = read_page(&token_url, &first).await;
        match &page {
            Ok(body) => println!("\n{first}\n{body}"),
            Err(e) => eprintln!("error: cannot read {first}: {e}"),
        }
        println!("\nWith curl: a token, then a query:");
        println!(
            "  TOKEN=$(curl -s -u {DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET} -d grant_type=client_credentials {token_url} | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')"
        );
        println!("  curl -H \"Authorization: Bearer $TOKEN\" '{first}'");
        if page.is_ok() && !demo.once {
            println!("\nServing until Ctrl-C.");
            let _ = cai_bridge::signal::wait_for_signal().await;
        }
        server.shutdown().await;
        page.map(drop).map_err(|e| Failure::new(1, e))
    })
}

/// Gets a token for the demo client, then reads `url` with it.
async fn read_page(token_url: &str, url: &str) -> Result<String, String> {
    let http = reqwest::Client::new();
    let answer = http
        .post(token_url)
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("the token endpoint answered {}", answer.status()));
    }
    let token: serde_json::Value = answer.json().await.map_err(|e| e.to_string())?;
    let token = token["access_token"]
        .as_str()
        .ok_or("the token endpoint answered no access_token")?;
    let response = http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {body}"));
    }
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

fn report(
    runtime: &tokio::runtime::Runtime,
    db: &Database,
    artifacts: &Artifacts,
) -> Result<(), LoadError> {
    let model = &artifacts.model;
    let mut store = Store::open(runtime, db, artifacts, Foreign::Adopt)?;
    let dialect = store.dialect();
    match db {
        Database::Sqlite(path) => println!("\nSQLite database: {}", path.display()),
        Database::Postgres(pg) => println!("\nPostgreSQL database: {pg}"),
    }
    let mut names: Vec<&str> = model.entities.iter().map(|e| e.name.as_str()).collect();
    if let Some(fact) = &model.fact {
        names.push(&fact.name);
    }
    for name in names {
        let table = model.table(name);
        let count = store
            .query_text(
                &format!(
                    "SELECT CAST(count(*) AS TEXT) FROM {}",
                    dialect.ident(&table)
                ),
                &[],
            )?
            .unwrap_or_default();
        println!("  {table:<40} {count:>8} rows");
    }
    if let (Some(fact), Database::Sqlite(path)) = (&model.fact, db) {
        println!(
            "\nTry:\n  sqlite3 {} \"SELECT * FROM {} LIMIT 5\"",
            path.display(),
            model.table(&fact.name)
        );
    }
    Ok(())
}
