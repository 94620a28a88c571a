//! The bridge command line, generic over a bridge's [`Artifacts`]: `sync`, `serve`,
//! `purge`, and whatever subcommands an [`Extension`] adds (the mock crate's
//! `mock-cai` and `demo`, behind a bridge's `demo` feature).
//! A generated bridge's `main` is one call: `cai_bridge::cli::run(artifacts, "name")`.
//!
//! Exit codes: 0 done; 1 the API or the network failed for good (after retries, or
//! tokens kept expiring), or a record could not be stored; 2 bad usage or
//! configuration; 3 the database refused (schema mismatch, tables of another model,
//! a full disk or a file-size limit, I/O, PostgreSQL unreachable or another sync of
//! it running); 4 the credentials were refused.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use cai_bridge_model::format;
use chrono::{DateTime, Utc};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::database_url::Database;
use crate::load::{Foreign, Store};
use crate::serve::{Auth, AuthOptions, SyncJob};
use crate::settings::{read_config, ApiSettings, SyncSettings};
use crate::sync::schedule::parse_period;
use crate::sync::{self, Range};
use crate::Artifacts;

const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  the API or the network failed for good (after retries, or tokens kept expiring),
     or a record could not be stored
  2  bad usage or configuration
  3  the database refused (schema mismatch, tables the model did not create: see --adopt,
     a full disk or a file-size limit, I/O, PostgreSQL unreachable, another sync of the
     same PostgreSQL database still running after a minute)
  4  the credentials were refused

Environment (wins over bridge.toml):
  sync and serve --sync-every: see `sync --help` (named after the bridge, e.g. CAI_BASE_URL)
  serve: BRIDGE_CLIENT_ID, BRIDGE_CLIENT_SECRET or BRIDGE_CLIENT_SECRET_FILE, BRIDGE_SIGNING_KEY
    or BRIDGE_SIGNING_KEY_FILE, BRIDGE_TOKEN_LIFETIME; or BRIDGE_JWT_ISSUER, BRIDGE_JWT_AUDIENCE,
    BRIDGE_JWKS_URL, BRIDGE_JWT_SCOPE
  RUST_LOG   log filter, e.g. RUST_LOG=info or RUST_LOG=cai_bridge=debug (logs go to stderr)";

/// A bridge: SAP Conversational AI logs (or any REST API's records) into SQLite.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli<E: Extension> {
    #[command(subcommand)]
    command: Command<E>,
    /// bridge.toml with the [cai] and [sync] settings.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Debug, Subcommand)]
enum Command<E: Extension> {
    /// Pull records from the API into SQLite, incrementally from the last high-water mark.
    Sync(SyncArgs),
    /// Load exported files (whole API responses, arrays of records, or NDJSON: one
    /// record per line) into SQLite, each file in one transaction: for backfills, and
    /// for bridges whose API cannot be reached from where they run.
    Load(LoadArgs),
    /// Serve the database as OData V4, read-only, for SAP Analytics Cloud (until Ctrl-C).
    ///
    /// Every OData request needs `Authorization: Bearer <token>`. By default the
    /// bridge issues the tokens itself (POST /oauth/token, OAuth2 client credentials)
    /// to the one client in BRIDGE_CLIENT_ID and BRIDGE_CLIENT_SECRET; with
    /// --jwt-issuer, --jwt-audience and --jwks-url it accepts an identity provider's
    /// tokens instead. /health/live and /health/ready need no token.
    ///
    /// With --sync-every the same process also syncs on a schedule (SQLite has one
    /// writer, so on Kubernetes one pod does both), from the settings `sync` reads;
    /// /health/sync shows how the last run went.
    #[command(after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Erase one conversation (a root record) and every row that belongs to it.
    Purge(PurgeArgs),
    #[command(flatten)]
    Extension(E),
}

/// Where the database is, for every subcommand that names one.
#[derive(Debug, Args)]
pub struct DbArg {
    /// The database: a SQLite file (created if missing) or a PostgreSQL URL
    /// (postgres://USER@HOST:5432/DB?sslmode=verify-full). Without it: DATABASE_URL,
    /// DATABASE_URL_FILE, or a PostgreSQL service binding under SERVICE_BINDING_ROOT
    /// (a password from DATABASE_PASSWORD or DATABASE_PASSWORD_FILE where the URL has none).
    #[arg(long, value_name = "FILE|URL")]
    db: Option<String>,
}

impl DbArg {
    /// The database named by `--db` or the environment; exit 2 when neither names one.
    pub fn database(&self) -> Result<Database, Failure> {
        Database::resolve(self.db.as_deref(), |name| std::env::var(name).ok())
            .map_err(|e| Failure::new(2, e.to_string()))?
            .ok_or_else(|| {
                Failure::new(
                    2,
                    "no database named: pass --db bridge.db (SQLite) or --db postgres://USER@HOST/DB, or set DATABASE_URL",
                )
            })
    }
}

#[derive(Debug, Args)]
struct SyncArgs {
    #[command(flatten)]
    db: DbArg,
    /// Start of the range (RFC 3339 or YYYY-MM-DD); default: the high-water mark minus the overlap.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    from: Option<DateTime<Utc>>,
    /// End of the range (RFC 3339 or YYYY-MM-DD); default: now.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    to: Option<DateTime<Utc>>,
    /// Write into a database that holds tables the model did not create (another
    /// model's, or unrelated ones), adding the bridge's beside them; without it
    /// such a file is refused (exit 3), naming the tables.
    #[arg(long)]
    adopt: bool,
}

#[derive(Debug, Args)]
struct LoadArgs {
    #[command(flatten)]
    db: DbArg,
    /// JSON or NDJSON files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// `sync --help`'s epilogue: the variables this bridge's model needs, and examples.
fn sync_help(model: &cai_bridge_model::Model, name: &str) -> String {
    let mut text = String::from("Environment (wins over bridge.toml [cai]):\n");
    let variables = crate::settings::variables(model);
    for v in &variables {
        let mut names = v.name.clone();
        if v.secret {
            names.push_str(&format!(" (or {}_FILE: a file holding it)", v.name));
        }
        if let Some(alias) = &v.alias {
            names.push_str(&format!(" (or {alias})"));
        }
        text.push_str(&format!("  {names}\n      {}\n", v.what));
    }
    match &model.source.window {
        Some(window) => text.push_str(&format!(
            "\nEach call: {} {}?{}=…&{}=… (a window [from, to))\n",
            model
                .source
                .method
                .as_deref()
                .unwrap_or("get")
                .to_uppercase(),
            model.source.path.as_deref().unwrap_or("/"),
            window.from,
            window.to
        )),
        None => text.push_str("\nThis model has no time window: `sync` refuses; use `load`.\n"),
    }
    let exports: Vec<String> = variables
        .iter()
        .map(|v| format!("{}=...", v.name))
        .collect();
    text.push_str(&format!(
        "\nExamples:\n  export {}\n  {name} sync --db bridge.db\n  {name} sync --db bridge.db --from 2026-10-01 --to 2026-11-01",
        exports.join(" ")
    ));
    text
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// No authentication, for a bridge behind a gateway that checks every request:
    /// anyone who reaches the port reads everything.
    #[arg(long, conflicts_with_all = ["jwt_issuer", "jwt_audience", "jwks_url", "jwt_scope", "token_lifetime"])]
    no_auth: bool,
    /// Accept tokens of this issuer (their `iss`) instead of issuing them [env: BRIDGE_JWT_ISSUER].
    #[arg(long, value_name = "URL")]
    jwt_issuer: Option<String>,
    /// The audience those tokens must carry in `aud` [env: BRIDGE_JWT_AUDIENCE].
    #[arg(long, value_name = "AUD")]
    jwt_audience: Option<String>,
    /// Where the issuer publishes its signing keys (RS256, ES256) [env: BRIDGE_JWKS_URL].
    #[arg(long, value_name = "URL")]
    jwks_url: Option<String>,
    /// A scope those tokens must carry (`scope` or `scp`) [env: BRIDGE_JWT_SCOPE].
    #[arg(long, value_name = "SCOPE")]
    jwt_scope: Option<String>,
    /// Lifetime of the tokens POST /oauth/token issues, in seconds (default 3600)
    /// [env: BRIDGE_TOKEN_LIFETIME].
    #[arg(long, value_name = "SECONDS")]
    token_lifetime: Option<u64>,
    /// Also sync, at once and then every DURATION (30s, 15m, 1h, 1h30m), from the
    /// settings `sync` reads (CAI_* or bridge.toml [cai]); the database may be
    /// missing at start (the first sync creates it; /health/ready holds until then).
    #[arg(long, value_name = "DURATION", value_parser = parse_period)]
    sync_every: Option<Duration>,
    /// With --sync-every: write into a database holding tables the model did not
    /// create (see `sync --adopt`).
    #[arg(long, requires = "sync_every")]
    adopt: bool,
}

impl ServeArgs {
    fn auth_options(&self) -> AuthOptions {
        AuthOptions {
            no_auth: self.no_auth,
            jwt_issuer: self.jwt_issuer.clone(),
            jwt_audience: self.jwt_audience.clone(),
            jwks_url: self.jwks_url.clone(),
            jwt_scope: self.jwt_scope.clone(),
            token_lifetime: self.token_lifetime,
        }
    }
}

const SERVE_EXAMPLES: &str = "\
Examples:
  # Tokens from the bridge itself, for one client (in SAP Analytics Cloud:
  # OAuth 2.0 Client Credentials, token URL http://HOST:4004/oauth/token):
  export BRIDGE_CLIENT_ID=sac BRIDGE_CLIENT_SECRET=...
  cai-logs-bridge serve --db bridge.db
  TOKEN=$(curl -s -u \"$BRIDGE_CLIENT_ID:$BRIDGE_CLIENT_SECRET\" \\
    -d grant_type=client_credentials http://127.0.0.1:4004/oauth/token \\
    | jq -r .access_token)
  curl -H \"Authorization: Bearer $TOKEN\" \\
    'http://127.0.0.1:4004/odata/v4/catalog/MessageFacts?$top=3'
  # (BRIDGE_CLIENT_SECRET_FILE=/etc/bridge/client-secret reads a mounted Secret)

  # In a container, tokens from SAP Cloud Identity Services:
  cai-logs-bridge serve --db bridge.db --addr 0.0.0.0:4004 \\
    --jwt-issuer https://TENANT.accounts.ondemand.com \\
    --jwt-audience CLIENT_ID \\
    --jwks-url https://TENANT.accounts.ondemand.com/oauth2/certs

  # Behind a gateway that checks every request (a Kyma APIRule's jwt rule):
  cai-logs-bridge serve --db bridge.db --addr 0.0.0.0:4004 --no-auth

  # One pod that serves and syncs every 15 minutes (the database is created by the
  # first sync; /health/ready holds until then, /health/sync shows the last run):
  export CAI_BASE_URL=... CAI_TOKEN_URL=... CAI_CLIENT_ID=... CAI_CLIENT_SECRET=... CAI_DEVELOPER_TOKEN=...
  cai-logs-bridge serve --db /data/bridge.db --addr 0.0.0.0:4004 --sync-every 15m
  curl http://127.0.0.1:4004/health/sync";

/// Where OData is served by default: CAP's port, on loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4004";

#[derive(Debug, Args)]
struct PurgeArgs {
    #[command(flatten)]
    db: DbArg,
    /// The conversation's id (the root record's key).
    #[arg(long, alias = "key", value_name = "ID")]
    conversation: String,
}

/// Subcommands a bridge adds to the runtime's own, with what they do.
pub trait Extension: Subcommand + fmt::Debug {
    /// Runs the subcommand.
    fn run(self, cx: &Context<'_>) -> Result<(), Failure>;
}

/// What an [`Extension`]'s subcommand gets to work with.
pub struct Context<'a> {
    /// The bridge's model, DDL and `$metadata`.
    pub artifacts: &'a Artifacts,
    /// The async runtime the command runs on.
    pub runtime: &'a tokio::runtime::Runtime,
    /// `--config`, if given.
    pub config: Option<&'a Path>,
    /// `--quiet`: no progress bar.
    pub quiet: bool,
}

/// A command that failed: the exit code (see the module docs) and what to print.
#[derive(Debug)]
pub struct Failure {
    /// The process exit code.
    pub code: u8,
    /// The message, printed after `error: `.
    pub message: String,
}

impl Failure {
    /// A failure with exit code `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<(u8, String)> for Failure {
    fn from((code, message): (u8, String)) -> Self {
        Failure { code, message }
    }
}

/// No subcommands beyond the runtime's own: what a bridge built without its `demo`
/// feature runs.
#[derive(Debug)]
pub enum NoExtension {}

impl FromArgMatches for NoExtension {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Err(clap::Error::raw(
            clap::error::ErrorKind::InvalidSubcommand,
            format!("no such subcommand: {:?}", matches.subcommand_name()),
        ))
    }

    fn update_from_arg_matches(&mut self, _: &ArgMatches) -> Result<(), clap::Error> {
        match *self {}
    }
}

impl Subcommand for NoExtension {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        cmd
    }

    fn has_subcommand(_: &str) -> bool {
        false
    }
}

impl Extension for NoExtension {
    fn run(self, _: &Context<'_>) -> Result<(), Failure> {
        match self {}
    }
}

/// Parses the command line and runs the bridge; `name` is the binary's.
pub fn run(artifacts: Artifacts, name: &'static str) -> ExitCode {
    run_with::<NoExtension>(artifacts, name)
}

/// The same, with the subcommands of `E` beside the runtime's own.
pub fn run_with<E: Extension>(artifacts: Artifacts, name: &'static str) -> ExitCode {
    let sync_help = sync_help(&artifacts.model, name);
    let matches = Cli::<E>::command()
        .name(name)
        .bin_name(name)
        .mut_subcommand("sync", |sync| sync.after_help(sync_help))
        .get_matches();
    let cli = match Cli::<E>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging();
    ignore_file_size_signal();
    let syncing = matches!(cli.command, Command::Sync(_));
    if syncing {
        crate::allocator::for_syncing();
    }
    // A sync's fetch is one task, whose memory then stays in one arena (see
    // `allocator::for_syncing`); serving answers requests on both threads.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(if syncing { 1 } else { 2 })
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match execute(cli, &artifacts, &runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn execute<E: Extension>(
    cli: Cli<E>,
    artifacts: &Artifacts,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), Failure> {
    let model = &artifacts.model;
    let usage = |e: crate::settings::SettingsError| (2, e.to_string());
    match cli.command {
        Command::Sync(args) => {
            let config = read_config(cli.config.as_deref()).map_err(usage)?;
            let api = ApiSettings::resolve(&config, model).map_err(usage)?;
            let settings = SyncSettings::resolve(&config).map_err(usage)?;
            let options = sync::Options {
                range: Range {
                    from: args.from,
                    to: args.to,
                },
                quiet: cli.quiet,
                adopt: args.adopt,
                stop: None,
                lock_wait: Duration::from_secs(60),
            };
            let db = args.db.database()?;
            let summary = sync::run(runtime, &db, artifacts, &api, &settings, &options)
                .map_err(|e| (e.exit_code(), e.to_string()))?;
            println!("{summary}");
            Ok(())
        }
        Command::Load(args) => {
            let db = args.db.database()?;
            let mut loader = Store::open(runtime, &db, artifacts, Foreign::Adopt)
                .map_err(|e| (3, e.to_string()))?;
            for file in &args.files {
                let records = crate::load::files::load_file(&mut loader, file)
                    .map_err(|e| (e.exit_code(), e.to_string()))?;
                println!("{}: {records} records", file.display());
            }
            // Statistics for the readers' plans (PostgreSQL); the files are stored anyway.
            if let Err(error) = loader.analyze() {
                tracing::warn!(%error, "cannot refresh the planner's statistics; autovacuum will");
            }
            Ok(())
        }
        Command::Purge(args) => {
            let db = args.db.database()?;
            let mut loader = Store::open(runtime, &db, artifacts, Foreign::Adopt)
                .map_err(|e| (3, e.to_string()))?;
            if model.root().keys().count() != 1 {
                return Err(Failure::new(
                    2,
                    "purge needs a root entity with a single key column",
                ));
            }
            let rows = loader
                .purge(&[rusqlite::types::Value::Text(args.conversation.clone())])
                .map_err(|e| (3, e.to_string()))?;
            println!("purged {} ({rows} rows)", args.conversation);
            Ok(())
        }
        Command::Serve(args) => {
            // Before the database: a bridge without credentials must not start at all.
            let auth = Auth::resolve(&args.auth_options()).map_err(usage)?;
            crate::allocator::for_serving();
            let db = args.db.database()?;
            let served = match args.sync_every {
                None => crate::serve::run(runtime, artifacts, &db, args.addr, auth),
                Some(every) => {
                    // Checked before serving too: a pod without them must not start.
                    let config = read_config(cli.config.as_deref()).map_err(usage)?;
                    let job = SyncJob {
                        api: ApiSettings::resolve(&config, &artifacts.model).map_err(usage)?,
                        settings: SyncSettings::resolve(&config).map_err(usage)?,
                        config,
                        every,
                        adopt: args.adopt,
                    };
                    crate::serve::run_with_sync(runtime, artifacts, &db, args.addr, auth, &job)
                }
            };
            served.map_err(|e| Failure::new(e.exit_code(), e.to_string()))
        }
        Command::Extension(extension) => extension.run(&Context {
            artifacts,
            runtime,
            config: cli.config.as_deref(),
            quiet: cli.quiet,
        }),
    }
}

/// RFC 3339, or a date (midnight UTC).
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    format::parse_timestamp(text)
        .or_else(|| format::parse_date(text).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()))
        .ok_or_else(|| {
            format!("{text:?} is neither RFC 3339 (2026-11-01T00:00:00Z) nor a date (2026-11-01)")
        })
}

/// Ignores SIGXFSZ, which a write past the file-size limit (`ulimit -f`,
/// RLIMIT_FSIZE) raises and which by default kills the process without a word: with
/// it ignored the write fails with EFBIG instead, the window's transaction rolls
/// back, and the bridge says which file it could not write (exit 3).
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler, so no
    // code of ours can run in signal context; it happens before any thread starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Logs to stderr, filtered by RUST_LOG (warnings by default), in colour only on a
/// terminal: a pod's log or a file piped to gets plain lines, and `NO_COLOR` is honoured.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .try_init();
}
