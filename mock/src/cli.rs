//! `mock-cai` and `demo`, the subcommands this crate adds to a bridge's command line
//! (behind the bridge's `demo` feature): `cai_bridge::cli::run_with::<Commands>`.

use std::net::SocketAddr;

use cai_bridge::cli::{Context, Extension, Failure, DEFAULT_ADDR};
use cai_bridge::database_url::Database;
use clap::{Args, Subcommand};

use cai_bridge::model::AuthScheme;

use crate::demo::{self, Demo};
use crate::generic::{GenericConfig, GenericServer};
use crate::MockArgs;

/// The mock's and the demo's subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the mock CAI server (OAuth2 token endpoint + Logs v2), with faults on demand.
    #[command(
        after_help = "Examples:\n  cai-logs-bridge mock-cai --conversations 500\n  cai-logs-bridge mock-cai --addr 127.0.0.1:8080 --fault reset:0.2 --fault rate-limit:0.1"
    )]
    MockCai(MockArgs),
    /// Run a mock of this bridge's API, synthesized from its model: its operation path,
    /// window parameters and auth, refusing anything else; prints the settings to use.
    Mock(GenericArgs),
    /// The demo: a mock of the bridge's API on a free loopback port (CAI's own for the
    /// CAI bridge), synced into SQLite, served as OData V4 on localhost.
    Demo(DemoArgs),
}

/// The generic mock's options. Its one secret (OAuth2 client secret, API key, bearer
/// token or basic password, as the model needs) comes from `MOCK_SECRET`, else it is
/// the demo secret `demo-secret`.
#[derive(Debug, Args)]
pub struct GenericArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Number of synthetic records.
    #[arg(long, value_name = "N", default_value_t = 500)]
    records: usize,
    /// Seed of the records.
    #[arg(long, value_name = "S", default_value_t = 42)]
    seed: u64,
    /// Days before today the records spread over.
    #[arg(long, value_name = "D", default_value_t = 30)]
    days: u32,
    /// The most records one answer holds.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    page_cap: usize,
}

/// The demo's options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The database to write: a SQLite file, or postgres://USER@HOST/DB.
    #[arg(long, value_name = "FILE|URL", default_value = "cai-demo.db")]
    db: String,
    /// How many synthetic conversations the mock holds.
    #[arg(long, default_value_t = 300)]
    conversations: usize,
    /// The mock's data seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to serve OData (port 0 picks a free one).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Read one page over HTTP, print it and stop, instead of serving until Ctrl-C.
    #[arg(long)]
    once: bool,
}

impl Extension for Commands {
    fn run(self, cx: &Context<'_>) -> Result<(), Failure> {
        match self {
            Commands::MockCai(args) => cx
                .runtime
                .block_on(crate::run(args))
                .map_err(|e| Failure::new(2, e.to_string())),
            Commands::Mock(args) => cx
                .runtime
                .block_on(generic_mock(&cx.artifacts.model, args))
                .map_err(|e| Failure::new(2, e)),
            Commands::Demo(args) => demo::run(
                cx,
                &Demo {
                    db: Database::resolve(Some(&args.db), |name| std::env::var(name).ok())
                        .map_err(|e| Failure::new(2, e.to_string()))?
                        .unwrap_or_else(|| Database::Sqlite(args.db.into())),
                    conversations: args.conversations,
                    seed: args.seed,
                    addr: args.addr,
                    once: args.once,
                },
            ),
        }
    }
}

/// Serves the generic mock until a signal, after printing the variables to export.
async fn generic_mock(model: &cai_bridge::Model, args: GenericArgs) -> Result<(), String> {
    let mut config = GenericConfig::new(args.records);
    config.seed = args.seed;
    config.days = args.days.max(1);
    config.start = crate::days_before_today(config.days);
    config.page_cap = args.page_cap.max(1);
    if let Ok(secret) = std::env::var("MOCK_SECRET") {
        config.secret = cai_bridge::settings::Secret::new(secret);
    }
    let server = GenericServer::start(model, config.clone(), args.addr)
        .await
        .map_err(|e| e.to_string())?;
    let prefix = model.env_prefix();
    println!("{prefix}_BASE_URL={}", server.base_url());
    for scheme in &model.source.auth {
        match scheme {
            AuthScheme::Oauth2 { .. } => {
                println!("{prefix}_TOKEN_URL={}", server.token_url());
                println!("{prefix}_CLIENT_ID={}", config.client_id);
            }
            AuthScheme::Basic { .. } => println!("{prefix}_USERNAME={}", config.client_id),
            AuthScheme::ApiKey { .. } | AuthScheme::Bearer { .. } => {}
        }
    }
    tracing::info!(
        "generic mock ready; every secret is MOCK_SECRET (default demo-secret); Ctrl-C to stop"
    );
    let signal = cai_bridge::signal::wait_for_signal().await;
    server.shutdown().await;
    signal.map_err(|e| e.to_string())
}
