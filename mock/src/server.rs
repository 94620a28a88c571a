//! The HTTP side of the mock: routes, credentials, tokens and counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use super::data::Dataset;
use super::faults::{self, error_body, FaultKind};
use super::{MockConfig, MockStats};

/// The scope the mock grants; CAI's real scope names are not known.
const SCOPE: &str = "cai.logs.read";

/// Everything the handlers share.
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) data: Dataset,
    /// Issued access tokens and when each expires.
    tokens: Mutex<HashMap<String, Instant>>,
    dice: faults::Dice,
    counters: Counters,
    /// Turns true once the server should stop.
    shutdown: watch::Sender<bool>,
}

#[derive(Default)]
struct Counters {
    token_requests: AtomicU64,
    tokens_issued: AtomicU64,
    log_requests: AtomicU64,
    conversations_served: AtomicU64,
    unauthorized: AtomicU64,
    faults: [AtomicU64; FaultKind::ALL.len()],
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Shared {
    pub(crate) fn new(config: MockConfig) -> Shared {
        let data = Dataset::generate(config.seed, config.conversations, config.start, config.days);
        Shared {
            dice: faults::Dice::new(config.fault_seed),
            config,
            data,
            tokens: Mutex::new(HashMap::new()),
            counters: Counters::default(),
            shutdown: watch::channel(false).0,
        }
    }

    pub(crate) fn stats(&self) -> MockStats {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MockStats {
            token_requests: load(&c.token_requests),
            tokens_issued: load(&c.tokens_issued),
            log_requests: load(&c.log_requests),
            conversations_served: load(&c.conversations_served),
            unauthorized: load(&c.unauthorized),
            faults: FaultKind::ALL
                .into_iter()
                .map(|k| (k, load(&c.faults[k.index()])))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once shutdown has begun.
    async fn stopping(&self) {
        let mut rx = self.shutdown.subscribe();
        // An error means the sender is gone, which also means we are stopping.
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// The token table; a panic elsewhere cannot leave it inconsistent (every update
    /// is a single insert or remove), so a poisoned lock is still usable.
    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn issue_token(&self) -> String {
        let token: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(48)
            .collect();
        let now = Instant::now();
        // A TTL too large for Instant means "never expires".
        let expiry = now
            .checked_add(self.config.token_ttl)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        let mut tokens = self.tokens();
        tokens.retain(|_, exp| *exp > now);
        tokens.insert(token.clone(), expiry);
        token
    }

    /// Whether `token` was issued here and has not expired; expired tokens are forgotten.
    fn token_valid(&self, token: &str) -> bool {
        let mut tokens = self.tokens();
        match tokens.get(token) {
            Some(expiry) if *expiry > Instant::now() => true,
            Some(_) => {
                tokens.remove(token);
                false
            }
            None => false,
        }
    }
}

/// Serves until shutdown begins, then lets requests in flight finish.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<Shared>,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/oauth/token", post(token))
        .route("/logs/v2/conversations", get(conversations))
        .route("/mock/stats", get(stats))
        .fallback(not_found)
        .with_state(Arc::clone(&state));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { state.stopping().await })
        .await
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(error_body(message))).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description });
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "Not found")
}

async fn stats(State(state): State<Arc<Shared>>) -> Json<MockStats> {
    Json(state.stats())
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_in: u64,
    scope: &'a str,
}

async fn token(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    bump(&state.counters.token_requests);
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be an application/x-www-form-urlencoded form",
        );
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(basic_credentials);
    let used_basic = basic.is_some();
    let (id, secret) = basic.unwrap_or_else(|| {
        let field = |name: &str| form.get(name).cloned().unwrap_or_default();
        (field("client_id"), field("client_secret"))
    });
    if id != state.config.client_id || secret != state.config.client_secret.expose() {
        bump(&state.counters.unauthorized);
        tracing::info!(client_id = %id, "token request with bad client credentials");
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Bad credentials: unknown client or wrong secret",
        );
        if used_basic {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mock-cai\""),
            );
        }
        return response;
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            )
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
            )
        }
    }
    let access_token = state.issue_token();
    bump(&state.counters.tokens_issued);
    tracing::info!(client_id = %id, "token issued");
    let body = TokenResponse {
        access_token: &access_token,
        token_type: "bearer",
        expires_in: state.config.token_ttl.as_secs(),
        scope: SCOPE,
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// The client id and secret of an HTTP Basic `Authorization` header.
pub(crate) fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Standard (and URL-safe) base64 without padding checks: enough for Basic auth, and
/// not worth a dependency.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// 401 for a missing, unknown or expired bearer token: the header tells a client to
/// fetch a new token.
fn invalid_token(state: &Shared, message: &str) -> Response {
    bump(&state.counters.unauthorized);
    let mut response = json_error(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim()
        .split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The developer token of an `X-Token` header, bare or as `Token <developer token>`.
fn developer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("x-token")?.to_str().ok()?.trim();
    Some(value.strip_prefix("Token ").map_or(value, str::trim))
}

/// The instant of query parameter `name`, or the message of a 400.
fn time_param(query: &HashMap<String, String>, name: &str) -> Result<DateTime<Utc>, String> {
    let hint = "an RFC 3339 date-time, e.g. 2021-02-05T00:00:00.000Z";
    let text = query
        .get(name)
        .ok_or_else(|| format!("Query parameter `{name}` is required: {hint}"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|_| format!("Query parameter `{name}` must be {hint}"))
}

#[derive(Serialize)]
struct Page<'a> {
    results: Conversations<'a>,
    message: &'static str,
}

#[derive(Serialize)]
struct Conversations<'a> {
    conversations: &'a [Box<serde_json::value::RawValue>],
}

async fn conversations(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    bump(&state.counters.log_requests);
    let Some(token) = bearer(&headers) else {
        return invalid_token(
            &state,
            "Missing access token: send Authorization: Bearer <token>",
        );
    };
    if !state.token_valid(token) {
        return invalid_token(&state, "Invalid or expired access token");
    }
    if developer_token(&headers) != Some(state.config.developer_token.expose()) {
        bump(&state.counters.unauthorized);
        let mut response = json_error(
            StatusCode::UNAUTHORIZED,
            "Missing or wrong developer token: send X-Token: Token <developer token>",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Token realm=\"X-Token\""),
        );
        return response;
    }
    let Ok(Query(query)) = query else {
        return json_error(StatusCode::BAD_REQUEST, "Malformed query string");
    };
    let (from, to) = match (time_param(&query, "from"), time_param(&query, "to")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => {
            return json_error(StatusCode::BAD_REQUEST, &message)
        }
    };
    if from > to {
        return json_error(StatusCode::BAD_REQUEST, "`from` must not be after `to`");
    }

    let fault = state.dice.draw(&state.config.faults);
    if let Some(kind) = fault {
        bump(&state.counters.faults[kind.index()]);
        tracing::info!(fault = kind.name(), "fault injected");
    }
    match fault {
        Some(FaultKind::TokenExpiry) => {
            state.tokens().remove(token);
            return invalid_token(&state, "The access token expired");
        }
        Some(FaultKind::RateLimit) => return faults::rate_limited(state.config.retry_after),
        Some(FaultKind::ServerError) => return faults::server_error(&state.dice),
        Some(FaultKind::Slow) => {
            tokio::select! {
                () = tokio::time::sleep(state.config.slow) => {}
                () = state.stopping() => {}
            }
        }
        _ => {}
    }

    let window = state.data.window(from, to, state.config.page_cap);
    let page = Page {
        results: Conversations {
            conversations: &window,
        },
        message: "Conversations retrieved",
    };
    let body = match serde_json::to_vec(&page) {
        Ok(body) => Bytes::from(body),
        Err(error) => {
            tracing::error!(%error, "cannot serialize conversations");
            return json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
        }
    };
    match fault {
        Some(FaultKind::Reset) => faults::reset(body, &state.dice),
        Some(FaultKind::Truncate) => faults::truncate(body, &state.dice),
        _ => {
            state
                .counters
                .conversations_served
                .fetch_add(window.len() as u64, Ordering::Relaxed);
            tracing::debug!(%from, %to, count = window.len(), "conversations served");
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_basic_credentials() {
        // "demo-client:demo-secret"
        let value = HeaderValue::from_static("Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=");
        assert_eq!(
            basic_credentials(&value),
            Some(("demo-client".to_owned(), "demo-secret".to_owned()))
        );
        assert_eq!(
            basic_credentials(&HeaderValue::from_static("Bearer abc")),
            None
        );
        assert_eq!(
            basic_credentials(&HeaderValue::from_static("Basic !!!")),
            None
        );
        assert_eq!(base64_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YWJj").as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn reads_developer_token_bare_or_prefixed() {
        let mut headers = HeaderMap::new();
        headers.insert("x-token", HeaderValue::from_static("Token demo-token"));
        assert_eq!(developer_token(&headers), Some("demo-token"));
        headers.insert("x-token", HeaderValue::from_static("demo-token"));
        assert_eq!(developer_token(&headers), Some("demo-token"));
    }
}
