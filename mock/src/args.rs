//! The command line of `mock-cai`: arguments and the serve-until-signal loop.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::{days_before_today, Fault, MockConfig, MockServer};
use cai_bridge::settings::Secret;

/// The environment variable the client secret is read from when no
/// `--client-secret-file` is given.
pub const CLIENT_SECRET_ENV: &str = "CAI_CLIENT_SECRET";

/// Arguments of `cai-logs-bridge mock-cai`: a mock CAI Logs v2 server.
///
/// The client secret has no flag of its own, so it never shows in a process list or
/// shell history: it comes from `--client-secret-file`, else `CAI_CLIENT_SECRET`, else
/// the demo secret `demo-secret`. The developer token is a [`Secret`], hidden by `Debug`.
#[derive(Clone, Debug, clap::Args)]
pub struct MockArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Number of synthetic conversations.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub conversations: usize,
    /// Seed of the synthetic conversations: the same seed gives the same data.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Start of the period the conversations start in, RFC 3339 or YYYY-MM-DD (UTC)
    /// [default: DAYS days before today, 00:00 UTC].
    #[arg(long, value_name = "TIME", value_parser = parse_start)]
    pub start: Option<DateTime<Utc>>,
    /// Length of that period in days.
    #[arg(long, value_name = "D", default_value_t = MockConfig::DEFAULT_DAYS)]
    pub days: u32,
    /// The most conversations one response holds; there is no paging.
    #[arg(long, value_name = "N", default_value_t = MockConfig::DEFAULT_PAGE_CAP)]
    pub page_cap: usize,
    /// A fault to inject into log requests with a probability (default 0.1); one of
    /// rate-limit, server-error, reset, truncate, slow, token-expiry. Repeatable.
    #[arg(long = "fault", value_name = "KIND[:RATE]")]
    pub faults: Vec<Fault>,
    /// Seed of the faults: a client that sends the same requests in the same order
    /// meets the same faults [default: different every run].
    #[arg(long, value_name = "S")]
    pub fault_seed: Option<u64>,
    /// The OAuth client id clients must present.
    #[arg(long, value_name = "ID", default_value = MockConfig::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// A file holding the OAuth client secret (surrounding whitespace ignored).
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
    /// The developer token clients must send in X-Token.
    #[arg(long, value_name = "TOKEN", default_value = MockConfig::DEFAULT_DEVELOPER_TOKEN, value_parser = parse_secret)]
    pub developer_token: Secret,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 12 * 3600)]
    pub token_ttl: u64,
    /// How long a `slow` fault stalls a response, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub slow: u64,
    /// Seconds announced in Retry-After by a `rate-limit` fault.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u64,
}

/// Parses `--start`: an RFC 3339 date-time, or a date meaning its 00:00 UTC.
/// Wraps a flag's value as a [`Secret`] right away, so it never prints.
fn parse_secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

fn parse_start(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is neither an RFC 3339 date-time nor a YYYY-MM-DD date"))
}

impl MockArgs {
    /// The server configuration these arguments describe; reads the client secret.
    pub fn config(&self) -> Result<MockConfig, String> {
        self.config_with(std::env::var(CLIENT_SECRET_ENV).ok())
    }

    /// [`config`](Self::config) with the environment's secret passed in, so tests need
    /// not touch the process environment.
    fn config_with(&self, env_secret: Option<String>) -> Result<MockConfig, String> {
        if self.days == 0 {
            return Err("--days must be at least 1".into());
        }
        if self.page_cap == 0 {
            return Err("--page-cap must be at least 1".into());
        }
        let client_secret = match (&self.client_secret_file, env_secret) {
            (Some(path), _) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --client-secret-file {}: {e}", path.display()))?
                .trim()
                .to_owned(),
            (None, Some(secret)) => secret.trim().to_owned(),
            (None, None) => MockConfig::DEFAULT_CLIENT_SECRET.to_owned(),
        };
        if client_secret.is_empty() {
            return Err("the client secret is empty".into());
        }
        let mut config = MockConfig::new(self.conversations);
        config.seed = self.seed;
        config.start = self.start.unwrap_or_else(|| days_before_today(self.days));
        config.days = self.days;
        config.page_cap = self.page_cap;
        config.faults = self.faults.clone();
        config.client_id = self.client_id.clone();
        config.client_secret = Secret::new(client_secret);
        config.developer_token = self.developer_token.clone();
        config.token_ttl = Duration::from_secs(self.token_ttl);
        config.slow = Duration::from_secs(self.slow);
        config.retry_after = self.retry_after;
        config.fault_seed = self.fault_seed;
        Ok(config)
    }
}

/// Why `mock-cai` stopped.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The arguments do not make a configuration.
    #[error("{0}")]
    Config(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// Writing the URLs or waiting for a signal failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Runs the mock until Ctrl-C or SIGTERM.
///
/// Once it is ready it prints exactly two lines on stdout, which a script can `eval`
/// or read: `CAI_BASE_URL=http://127.0.0.1:PORT` and
/// `CAI_TOKEN_URL=http://127.0.0.1:PORT/oauth/token`.
pub async fn run(args: MockArgs) -> Result<(), MockError> {
    let config = args.config().map_err(MockError::Config)?;
    let (count, seed, start, days) = (config.conversations, config.seed, config.start, config.days);
    let faults: Vec<String> = config.faults.iter().map(ToString::to_string).collect();
    let server = MockServer::start(config, args.addr)
        .await
        .map_err(|source| MockError::Bind {
            addr: args.addr,
            source,
        })?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "CAI_BASE_URL={}", server.base_url())?;
        writeln!(out, "CAI_TOKEN_URL={}", server.token_url())?;
        out.flush()?;
    }
    tracing::info!(
        conversations = count,
        seed,
        start = %start,
        days,
        faults = ?faults,
        "mock CAI ready; Ctrl-C to stop"
    );
    let signal = cai_bridge::signal::wait_for_signal().await;
    server.shutdown().await;
    signal?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FaultKind;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: MockArgs,
    }

    fn parse(argv: &[&str]) -> Result<MockArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("mock-cai").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.addr, "127.0.0.1:0".parse().unwrap());
        let config = args.config_with(None).unwrap();
        assert_eq!(config.conversations, 500);
        assert_eq!(config.seed, 42);
        assert_eq!(config.days, 30);
        assert_eq!(config.page_cap, 1000);
        assert_eq!(config.client_id, "demo-client");
        assert_eq!(config.client_secret.expose(), "demo-secret");
        assert_eq!(config.developer_token.expose(), "demo-token");
        assert_eq!(config.token_ttl, Duration::from_secs(43_200));
        assert_eq!(config.start, days_before_today(30));
        assert!(config.faults.is_empty());
    }

    #[test]
    fn faults_start_and_secret() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let args = parse(&[
            "--fault",
            "reset:0.2",
            "--fault",
            "rate-limit",
            "--start",
            "2021-02-05",
            "--client-secret-file",
            secret.to_str().unwrap(),
        ])
        .unwrap();
        let config = args.config_with(Some("from-env".into())).unwrap();
        assert_eq!(config.client_secret.expose(), "s3cret");
        assert_eq!(
            config.faults[0],
            Fault {
                kind: FaultKind::Reset,
                rate: 0.2
            }
        );
        assert_eq!(config.faults[1].kind, FaultKind::RateLimit);
        assert_eq!(config.start, parse_start("2021-02-05T00:00:00Z").unwrap());

        let args = parse(&["--start", "2021-02-05T12:00:00+01:00"]).unwrap();
        assert_eq!(
            args.start,
            Some(parse_start("2021-02-05T11:00:00Z").unwrap())
        );
        assert_eq!(
            args.config_with(Some("from-env".into()))
                .unwrap()
                .client_secret
                .expose(),
            "from-env"
        );

        let err = parse(&["--fault", "explode"]).err().unwrap().to_string();
        assert!(err.contains("valid kinds"), "{err}");
        assert!(parse(&["--start", "yesterday"]).is_err());
        assert!(
            parse(&["--client-secret", "x"]).is_err(),
            "no plain secret flag"
        );
        assert!(parse(&["--days", "0"]).unwrap().config_with(None).is_err());

        let shown = format!(
            "{:?} {:?}",
            args,
            args.config_with(Some("from-env".into())).unwrap()
        );
        assert!(
            !shown.contains("from-env") && !shown.contains("demo-token"),
            "{shown}"
        );
    }
}
