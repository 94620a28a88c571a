//! A mock SAP Conversational AI server: the CAI Logs v2 API and its OAuth token
//! endpoint over deterministic synthetic conversations, with injectable faults; and
//! in [`generic`] a mock of any bridge's API, synthesized from its model alone
//! (`cai-logs-bridge mock`; `demo` uses it for every bridge but CAI's).
//!
//! CAI itself cannot be reached from tests or demos, so bridges are developed and
//! tested against this server; `cai-logs-bridge mock-cai` runs it on its own (see
//! [`MockArgs`] and [`run`]) and `cai-logs-bridge demo` starts it in-process ([`demo`]).
//! A bridge offers both through [`cli::Commands`] behind its `demo` feature; a build
//! without that feature, as in a container image, holds no mock code.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use cai_bridge_mock::{Fault, FaultKind, MockConfig, MockServer};
//!
//! let mut config = MockConfig::new(500);
//! config.faults.push(Fault { kind: FaultKind::Reset, rate: 0.2 });
//! let server = MockServer::start(config, "127.0.0.1:0".parse().unwrap()).await?;
//! println!("CAI at {}, tokens from {}", server.base_url(), server.token_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Endpoints
//!
//! - `POST /oauth/token`: OAuth 2.0 client credentials. `grant_type=client_credentials`
//!   form-encoded, the client id and secret as HTTP Basic auth (as SAC and CAI clients
//!   send them) or as `client_id` / `client_secret` form fields. 200 with
//!   `{"access_token", "token_type": "bearer", "expires_in", "scope"}`; 401
//!   `invalid_client` for an unknown client or wrong secret; 400
//!   `unsupported_grant_type` for other grants and `invalid_request` for a body that is
//!   not a form. Tokens are random opaque strings that live
//!   [`MockConfig::token_ttl`].
//! - `GET /logs/v2/conversations?from=RFC3339&to=RFC3339`: needs
//!   `Authorization: Bearer <token>` with a token issued here and not expired (else 401
//!   with `WWW-Authenticate: Bearer error="invalid_token"`) and the developer token in
//!   `X-Token`, bare or as `Token <developer token>` (else 401). A missing or invalid
//!   `from` / `to`, or `from` after `to`, is a 400. The answer is
//!   `{"results": {"conversations": [...]}, "message": "Conversations retrieved"}` with
//!   the conversations whose `start_at` lies in `[from, to)`, sorted by `start_at` then
//!   `id`. Errors use the spec's `{"results": null, "message": ...}` shape.
//! - `GET /mock/stats`: the [`MockStats`] counters as JSON, for scripts.
//!
//! # No paging: the result cap
//!
//! Like CAI, the mock has no paging: a window with more than
//! [`MockConfig::page_cap`] conversations is cut to its *first* `page_cap`
//! conversations, and nothing says so. A client that receives exactly `page_cap`
//! conversations must assume the window was cut, split it (in halves, say) and fetch
//! each part again. A small `page_cap` makes tests exercise that path.
//!
//! # The data
//!
//! [`MockConfig::conversations`] synthetic conversations spread over
//! [`MockConfig::days`] days from [`MockConfig::start`], with a weekday and
//! time-of-day pattern, in English, German and Japanese (with emoji), over web chat,
//! Slack, Teams and WhatsApp. They follow the spec's schema, including its optional and
//! nullable fields, and are a pure function of seed, count, start and days.
//!
//! # Faults
//!
//! Each [`Fault`] in [`MockConfig::faults`] is drawn per log request (after the request
//! passed authentication and validation) with its rate; the first that hits decides,
//! so a request suffers at most one. Token requests never fail. See [`FaultKind`] for
//! what each does; all of them are survivable by a client that retries (and fetches a
//! new token after a 401).

#![deny(missing_docs)]

mod args;
mod catalog;
pub mod cli;
mod data;
pub mod demo;
mod faults;
pub mod generic;
mod rng;
mod server;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::task::JoinHandle;

use cai_bridge::settings::{ApiSettings, Credential, Secret};

pub use args::{run, MockArgs, MockError, CLIENT_SECRET_ENV};
pub use faults::{Fault, FaultKind, FaultParseError};

/// How the mock behaves: its data, its credentials and its faults.
///
/// The client secret and the developer token are [`Secret`]s, so `Debug` hides them.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// How many conversations the dataset holds.
    pub conversations: usize,
    /// The seed the conversations are derived from.
    pub seed: u64,
    /// Start of the period the conversations start in.
    pub start: DateTime<Utc>,
    /// Length of that period in days (0 counts as 1).
    pub days: u32,
    /// The most conversations one response holds (CAI: 1000).
    pub page_cap: usize,
    /// Faults to inject into log requests.
    pub faults: Vec<Fault>,
    /// The seed of the faults' dice: the same seed and the same requests in the same
    /// order give the same faults (`None`: different every run).
    pub fault_seed: Option<u64>,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Secret,
    /// The developer token expected in `X-Token`.
    pub developer_token: Secret,
    /// How long an access token stays valid (CAI: 12 hours).
    pub token_ttl: Duration,
    /// How long a `slow` fault stalls the response.
    pub slow: Duration,
    /// Seconds announced in `Retry-After` by a `rate-limit` fault.
    pub retry_after: u64,
}

impl MockConfig {
    /// Length of the default period, in days.
    pub const DEFAULT_DAYS: u32 = 30;
    /// CAI's result cap.
    pub const DEFAULT_PAGE_CAP: usize = 1000;
    /// The demo client id.
    pub const DEFAULT_CLIENT_ID: &'static str = "demo-client";
    /// The demo client secret.
    pub const DEFAULT_CLIENT_SECRET: &'static str = "demo-secret";
    /// The demo developer token.
    pub const DEFAULT_DEVELOPER_TOKEN: &'static str = "demo-token";

    /// `conversations` conversations over the 30 days before today (00:00 UTC), seed
    /// 42, the demo credentials, CAI's cap and token lifetime, no faults.
    pub fn new(conversations: usize) -> Self {
        MockConfig {
            conversations,
            seed: 42,
            start: days_before_today(Self::DEFAULT_DAYS),
            days: Self::DEFAULT_DAYS,
            page_cap: Self::DEFAULT_PAGE_CAP,
            faults: Vec::new(),
            fault_seed: None,
            client_id: Self::DEFAULT_CLIENT_ID.into(),
            client_secret: Secret::new(Self::DEFAULT_CLIENT_SECRET),
            developer_token: Secret::new(Self::DEFAULT_DEVELOPER_TOKEN),
            token_ttl: Duration::from_secs(12 * 3600),
            slow: Duration::from_secs(30),
            retry_after: 1,
        }
    }
}

/// 00:00 UTC `days` days before today.
pub(crate) fn days_before_today(days: u32) -> DateTime<Utc> {
    // chrono's clock feature is off in this workspace; the system clock is enough.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let today = (now / 86_400) as i64;
    DateTime::from_timestamp((today - i64::from(days)) * 86_400, 0).unwrap_or_default()
}

/// What the mock has seen and done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Requests to `POST /oauth/token`.
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Requests to `GET /logs/v2/conversations`.
    pub log_requests: u64,
    /// Conversations delivered in complete 200 responses.
    pub conversations_served: u64,
    /// 401 responses of either endpoint, including those of `token-expiry` faults.
    pub unauthorized: u64,
    /// Faults injected, per kind (every kind present, zero included).
    pub faults: BTreeMap<FaultKind, u64>,
}

impl MockStats {
    /// Faults of `kind` injected so far.
    pub fn injected(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }
}

/// A running mock CAI server. Dropping it stops the server as [`shutdown`] does,
/// without waiting.
///
/// [`shutdown`]: MockServer::shutdown
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<server::Shared>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl MockServer {
    /// Generates the dataset, binds `addr` (port 0 picks a free port) and serves on the
    /// current tokio runtime.
    pub async fn start(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let state = Arc::new(server::Shared::new(config));
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        tracing::info!(addr = %local, "mock CAI server listening");
        Ok(MockServer {
            addr: reachable(local),
            state,
            task: Some(task),
        })
    }

    /// The address clients connect to (a wildcard bind is reported as loopback).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OAuth token URL, `http://127.0.0.1:PORT/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url())
    }

    /// The settings a bridge needs to sync from this server with its credentials.
    pub fn api_settings(&self) -> ApiSettings {
        let config = &self.state.config;
        // In the order of the CAI spec's security requirement: OAuth2, then X-Token.
        ApiSettings {
            base_url: self.base_url(),
            credentials: vec![
                Credential::OAuth2 {
                    token_url: self.token_url(),
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                },
                Credential::ApiKey(config.developer_token.clone()),
            ],
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> MockStats {
        self.state.stats()
    }

    /// The whole dataset, sorted by `start_at` then `id` (made anew at each call).
    pub fn conversations(&self) -> Vec<serde_json::Value> {
        self.state.data.values(0..self.state.data.len())
    }

    /// Stops accepting connections, lets requests in flight finish (stalled `slow`
    /// responses are woken) and waits for the server, at most a few seconds.
    pub async fn shutdown(mut self) {
        self.state.begin_shutdown();
        if let Some(mut task) = self.task.take() {
            match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(error))) => tracing::warn!(%error, "mock CAI server failed"),
                Ok(Err(error)) => tracing::warn!(%error, "mock CAI server task failed"),
                Err(_) => {
                    tracing::warn!("mock CAI server did not stop in time; aborting it");
                    task.abort();
                }
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

/// The address a client should use for a listener bound to `local`.
fn reachable(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), local.port())
        }
        _ => local,
    }
}
