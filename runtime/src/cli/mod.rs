//! The bridge command line, generic over a model: `sync`, `serve`, `purge`,
//! `mock-cai`, `demo`.
//! A generated bridge's `main` is one call: `cai_bridge::cli::run(model, "name")`.
//!
//! Exit codes: 0 done; 1 the API or the network failed for good (after retries), or
//! a record could not be stored; 2 bad usage or configuration; 3 the database
//! refused (schema mismatch, I/O); 4 the credentials were refused.

mod demo;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use cai_bridge_gen::model::Model;
use chrono::{DateTime, Utc};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::load::Loader;
use crate::mock::MockArgs;
use crate::settings::{read_config, ApiSettings, SyncSettings};
use crate::sync::{self, Range};

const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  the API or the network failed for good (after retries), or a record could not be stored
  2  bad usage or configuration
  3  the database refused (schema mismatch, I/O)
  4  the credentials were refused

Environment (wins over bridge.toml):
  CAI_BASE_URL, CAI_TOKEN_URL, CAI_CLIENT_ID, CAI_CLIENT_SECRET, CAI_DEVELOPER_TOKEN
  RUST_LOG   log filter, e.g. RUST_LOG=info or RUST_LOG=cai_bridge=debug (logs go to stderr)";

/// A bridge: SAP Conversational AI logs (or any REST API's records) into SQLite.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// bridge.toml with the [cai] and [sync] settings.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull records from the API into SQLite, incrementally from the last high-water mark.
    #[command(
        after_help = "Examples:\n  export CAI_BASE_URL=... CAI_TOKEN_URL=... CAI_CLIENT_ID=... CAI_CLIENT_SECRET=... CAI_DEVELOPER_TOKEN=...\n  cai-logs-bridge sync --db bridge.db\n  cai-logs-bridge sync --db bridge.db --from 2026-10-01 --to 2026-11-01"
    )]
    Sync(SyncArgs),
    /// Serve the database as OData V4, read-only, for SAP Analytics Cloud (until Ctrl-C).
    #[command(
        after_help = "Examples:\n  cai-logs-bridge serve --db bridge.db\n  cai-logs-bridge serve --db bridge.db --addr 0.0.0.0:4004   # in a container"
    )]
    Serve(ServeArgs),
    /// Erase one conversation (a root record) and every row that belongs to it.
    Purge(PurgeArgs),
    /// Run the mock CAI server (OAuth2 token endpoint + Logs v2), with faults on demand.
    #[command(
        after_help = "Examples:\n  cai-logs-bridge mock-cai --conversations 500\n  cai-logs-bridge mock-cai --addr 127.0.0.1:8080 --fault reset:0.2 --fault rate-limit:0.1"
    )]
    MockCai(MockArgs),
    /// The demo: a mock CAI API on a free loopback port, synced into SQLite, served as
    /// OData V4 on localhost.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
struct SyncArgs {
    /// The SQLite database (created if missing).
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Start of the range (RFC 3339 or YYYY-MM-DD); default: the high-water mark minus the overlap.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339 or YYYY-MM-DD); default: now.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    to: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The SQLite database `sync` fills.
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
}

/// Where OData is served by default: CAP's port, on loopback only.
const DEFAULT_ADDR: &str = "127.0.0.1:4004";

#[derive(Debug, Args)]
struct PurgeArgs {
    /// The SQLite database.
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// The conversation's id (the root record's key).
    #[arg(long, alias = "key", value_name = "ID")]
    conversation: String,
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// Where to write the SQLite database.
    #[arg(long, value_name = "FILE", default_value = "cai-demo.db")]
    db: PathBuf,
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

/// Parses the command line and runs the bridge for `model`; `name` is the binary's.
pub fn run(model: Model, name: &'static str) -> ExitCode {
    let matches = Cli::command().name(name).bin_name(name).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match execute(cli, &model, &runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn execute(cli: Cli, model: &Model, runtime: &tokio::runtime::Runtime) -> Result<(), (u8, String)> {
    let usage = |e: crate::settings::SettingsError| (2, e.to_string());
    match cli.command {
        Command::Sync(args) => {
            let config = read_config(cli.config.as_deref()).map_err(usage)?;
            let api = ApiSettings::resolve(&config).map_err(usage)?;
            let settings = SyncSettings::resolve(&config).map_err(usage)?;
            let range = Range {
                from: args.from,
                to: args.to,
            };
            let summary = sync::sync(runtime, &args.db, model, &api, &settings, range, cli.quiet)
                .map_err(|e| (e.exit_code(), e.to_string()))?;
            println!("{summary}");
            Ok(())
        }
        Command::Purge(args) => {
            let mut loader = Loader::open(&args.db, model).map_err(|e| (3, e.to_string()))?;
            if model.root().keys().count() != 1 {
                return Err((
                    2,
                    "purge needs a root entity with a single key column".into(),
                ));
            }
            let rows = loader
                .purge(&[rusqlite::types::Value::Text(args.conversation.clone())])
                .map_err(|e| (3, e.to_string()))?;
            println!("purged {} ({rows} rows)", args.conversation);
            Ok(())
        }
        Command::MockCai(args) => runtime
            .block_on(crate::mock::run(args))
            .map_err(|e| (2, e.to_string())),
        Command::Serve(args) => crate::serve::run(runtime, model, &args.db, args.addr)
            .map_err(|e| (e.exit_code(), e.to_string())),
        Command::Demo(args) => demo::run(
            runtime,
            model,
            &demo::Demo {
                db: args.db,
                conversations: args.conversations,
                seed: args.seed,
                addr: args.addr,
                once: args.once,
            },
            cli.quiet,
        ),
    }
}

/// RFC 3339, or a date (midnight UTC).
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| {
            format!("{text:?} is neither RFC 3339 (2026-11-01T00:00:00Z) nor a date (2026-11-01)")
        })
}

/// Logs to stderr, filtered by RUST_LOG (warnings by default).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
