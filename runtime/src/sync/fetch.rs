//! One API call for one time window, made robust: timeouts, retries with exponential
//! backoff and full jitter on connection errors, 429 (honouring `Retry-After`), 5xx
//! and bodies that break off or do not parse; a fresh token after a 401.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cai_bridge_model::{format, TimeFormat, Window};
use chrono::{DateTime, Utc};

use super::page::Page;
use crate::auth::{AuthError, Credentials};
use crate::settings::Secret;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Fresh tokens tried in a row after 401s that say the token expired, before the
/// run gives up on the tokens (not on the credentials: the token endpoint accepted
/// them every time).
const MAX_REFRESHES: u32 = 4;
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Why a window could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Credentials were refused.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The API refused the credentials: a 401 with a fresh OAuth2 token that did not
    /// say it expired, a 401 where no token can be renewed, or a 403.
    #[error(
        "the API refused the credentials (HTTP 401/403); check {check} and the client's authorizations"
    )]
    Unauthorized {
        /// The variables that hold the credentials.
        check: String,
    },
    /// Every fresh token was refused as expired (401 `invalid_token`), though the
    /// token endpoint accepted the credentials each time.
    #[error("{window}: the API said {count} fresh tokens in a row had expired (HTTP 401 invalid_token), though the token endpoint accepted the credentials each time; tokens keep expiring (check the machine's clock and the API's token lifetime), retry later")]
    TokensExpiring {
        /// The window.
        window: String,
        /// Tokens refused in a row.
        count: u32,
    },
    /// An answer the client cannot act on (4xx other than 401/429).
    #[error("the API answered HTTP {status} for {window}: {body}")]
    Rejected {
        /// The status.
        status: u16,
        /// The window.
        window: String,
        /// The start of the body.
        body: String,
    },
    /// Every attempt failed.
    #[error("{window}: gave up after {attempts} attempts; last error: {last}")]
    Exhausted {
        /// The window.
        window: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last error.
        last: String,
    },
}

/// Counters shared with the progress display.
#[derive(Debug, Default)]
pub struct Counters {
    /// HTTP requests sent to the log endpoint.
    pub requests: AtomicU64,
    /// Attempts that failed and were retried.
    pub retries: AtomicU64,
    /// Token refreshes after a 401.
    pub refreshes: AtomicU64,
    /// Windows split because they hit the result cap.
    pub splits: AtomicU64,
}

/// The log endpoint of one API.
pub struct Api {
    http: reqwest::Client,
    url: String,
    auth: Credentials,
    window: Window,
    records: Vec<String>,
    attempts: u32,
    /// What happened so far.
    pub counters: Arc<Counters>,
}

enum Attempt {
    Done(Page),
    Retry(String, Option<Duration>),
    /// A 401 to an OAuth2 token, which a fresh one may replace, and whether the API
    /// said it expired (`WWW-Authenticate: Bearer error="invalid_token"`).
    Refresh(Secret, bool),
}

impl Api {
    /// An API client; `url` is the full endpoint URL, `window` its time-window
    /// parameters, `records` the path to the record array in a response.
    pub fn new(
        http: reqwest::Client,
        url: String,
        auth: Credentials,
        window: Window,
        records: Vec<String>,
        attempts: u32,
    ) -> Self {
        Api {
            http,
            url,
            auth,
            window,
            records,
            attempts,
            counters: Arc::default(),
        }
    }

    /// The smallest window its bounds can tell apart (a millisecond in RFC 3339, a
    /// second in Unix time, a day in dates).
    pub fn precision(&self) -> chrono::Duration {
        match self.window.format {
            TimeFormat::Rfc3339 | TimeFormat::UnixMilliseconds => chrono::Duration::milliseconds(1),
            TimeFormat::UnixSeconds => chrono::Duration::seconds(1),
            TimeFormat::Date => chrono::Duration::days(1),
        }
    }

    /// [`precision`](Self::precision) in words.
    pub fn precision_name(&self) -> &'static str {
        match self.window.format {
            TimeFormat::Rfc3339 | TimeFormat::UnixMilliseconds => "millisecond",
            TimeFormat::UnixSeconds => "second",
            TimeFormat::Date => "day",
        }
    }

    /// The records whose time is in `[from, to)`.
    pub async fn fetch(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Page, FetchError> {
        let window = format!(
            "[{}, {})",
            format::timestamp_text(from),
            format::timestamp_text(to)
        );
        // Expired tokens and other refusals count apart: only a refusal that does not
        // say the token expired can mean bad credentials.
        let (mut refreshes, mut refused) = (0, false);
        let mut last = String::new();
        let mut attempt = 0;
        while attempt < self.attempts {
            attempt += 1;
            let token = match self.auth.token().await {
                Ok(token) => token,
                Err(e) if e.is_transient() => {
                    last = e.to_string();
                    self.backoff(attempt, None, &window, &last).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            match self.attempt(from, to, token.as_ref(), &window).await? {
                Attempt::Done(records) => return Ok(records),
                // A fresh token refused without saying it expired: the credentials
                // themselves are refused.
                Attempt::Refresh(_, false) if refused => {
                    return Err(FetchError::Unauthorized {
                        check: self.auth.names().to_owned(),
                    })
                }
                Attempt::Refresh(_, true) if refreshes >= MAX_REFRESHES => {
                    return Err(FetchError::TokensExpiring {
                        window,
                        count: refreshes + 1,
                    })
                }
                Attempt::Refresh(token, expired) => {
                    // A token can expire between our check and the API's, or be
                    // revoked while cached: fetch a new one and try again at once,
                    // without using up an attempt.
                    if expired {
                        refreshes += 1;
                    } else {
                        refused = true;
                    }
                    attempt -= 1;
                    self.counters.refreshes.fetch_add(1, Ordering::Relaxed);
                    self.auth.invalidate(&token).await;
                    tracing::info!(%window, expired, "the API refused the token; fetching a new one");
                }
                Attempt::Retry(why, wait) => {
                    last = why;
                    if attempt < self.attempts {
                        self.backoff(attempt, wait, &window, &last).await;
                    }
                }
            }
        }
        Err(FetchError::Exhausted {
            window,
            attempts: self.attempts,
            last,
        })
    }

    async fn attempt(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        token: Option<&Secret>,
        window: &str,
    ) -> Result<Attempt, FetchError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let request = self
            .http
            .get(&self.url)
            .query(&[
                (self.window.from.as_str(), bound(self.window.format, from)),
                (self.window.to.as_str(), bound(self.window.format, to)),
            ])
            .header(reqwest::header::ACCEPT, "application/json");
        let sent = self.auth.apply(request, token).send().await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return Ok(Attempt::Retry(describe(&e), None)),
        };
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            let expired = response
                .headers()
                .get_all(reqwest::header::WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("invalid_token"));
            let Some(token) = token else {
                // Nothing to renew (an API key, basic auth): the credentials are refused.
                return Err(FetchError::Unauthorized {
                    check: self.auth.names().to_owned(),
                });
            };
            return Ok(Attempt::Refresh(token.clone(), expired));
        }
        if status == reqwest::StatusCode::FORBIDDEN {
            return Err(FetchError::Unauthorized {
                check: self.auth.names().to_owned(),
            });
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            return Ok(Attempt::Retry("HTTP 429 Too Many Requests".into(), wait));
        }
        if status.is_server_error() {
            return Ok(Attempt::Retry(format!("HTTP {status}"), None));
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(FetchError::Rejected {
                status: status.as_u16(),
                window: window.to_owned(),
                body: body.chars().take(200).collect(),
            });
        }
        let body = match read_body(response).await {
            Ok(body) => body,
            Err(e) => {
                return Ok(Attempt::Retry(
                    format!("the body broke off: {}", describe(&e)),
                    None,
                ))
            }
        };
        // Parsed here, where a body that breaks off or does not parse can be retried.
        match Page::parse(body, &self.records) {
            Ok(page) => Ok(Attempt::Done(page)),
            Err(why) => Ok(Attempt::Retry(why, None)),
        }
    }

    async fn backoff(&self, attempt: u32, wait: Option<Duration>, window: &str, why: &str) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        // Full jitter: a uniform wait up to the exponential bound, so many clients
        // (or many windows) do not retry in lockstep.
        let bound =
            Duration::from_millis(200u64.saturating_mul(1 << attempt.min(10))).min(MAX_BACKOFF);
        let wait = wait.unwrap_or_else(|| bound.mul_f64(jitter()));
        tracing::warn!(%window, attempt, wait_ms = wait.as_millis() as u64, error = %why, "retrying");
        tokio::time::sleep(wait).await;
    }
}

/// The most a body's announced length reserves before its bytes arrive.
const MAX_RESERVE: u64 = 64 << 20;

/// The body in one buffer, sized by its length where the answer says it: collected
/// chunk by chunk into a list and then copied whole, it would be in memory twice.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let announced = response.content_length().unwrap_or(0).min(MAX_RESERVE);
    let mut body = Vec::with_capacity(announced as usize);
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A window bound as the API wants it written.
pub fn bound(format: TimeFormat, at: DateTime<Utc>) -> String {
    match format {
        TimeFormat::Rfc3339 => format::timestamp_text(at),
        TimeFormat::Date => at.format("%Y-%m-%d").to_string(),
        TimeFormat::UnixSeconds => at.timestamp().to_string(),
        TimeFormat::UnixMilliseconds => at.timestamp_millis().to_string(),
    }
}

/// A uniform draw from [0, 1), different in every call and every process: enough
/// for spreading retries, and without a random-number crate in the bridge.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A transport error in words, without the URL (it carries only the time range, but
/// an API could put anything in a URL).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the body broke off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// `Arc<Counters>` values, for a summary.
pub fn read(counters: &Counters) -> (u64, u64, u64, u64) {
    (
        counters.requests.load(Ordering::Relaxed),
        counters.retries.load(Ordering::Relaxed),
        counters.refreshes.load(Ordering::Relaxed),
        counters.splits.load(Ordering::Relaxed),
    )
}
