//! A mock of any bridge's API, from its model alone, so `demo` and tests work for
//! every bridge and not only CAI's (whose richer mock is the crate root's).
//!
//! - Records are synthesized from the model (the `data` module): types, formats, enums,
//!   nullability, child arrays, embedded JSON; deterministic for a seed.
//! - `GET <the model's operation path>` answers the records whose instant (the root's
//!   first timestamp) lies in `[from, to)`, with the window parameters named and
//!   written as the model says, wrapped in the record path (`{"incidents": […]}`), cut
//!   to the first [`GenericConfig::page_cap`] like an API without paging.
//! - Behind the auth the spec declares, every scheme at once: OAuth2 client credentials
//!   (`POST /oauth/token`, then `Authorization: Bearer`), an API key in its header or
//!   query parameter with its prefix, HTTP bearer, HTTP basic. Missing or wrong
//!   credentials are a 401; a query parameter it does not know (another API's window
//!   names, say), a missing or malformed bound, or `from` after `to` a 400.

mod data;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cai_bridge::model::{format, AuthScheme, KeyLocation, Model, TimeFormat, Window};
use cai_bridge::settings::{ApiSettings, Credential, Secret};
use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::server::basic_credentials;

/// What the generic mock holds and expects.
#[derive(Clone, Debug)]
pub struct GenericConfig {
    /// How many root records.
    pub records: usize,
    /// The seed they are derived from.
    pub seed: u64,
    /// Start of the period their instants lie in.
    pub start: DateTime<Utc>,
    /// Length of that period in days.
    pub days: u32,
    /// The most records one answer holds.
    pub page_cap: usize,
    /// The OAuth2 client id, and the HTTP basic user name.
    pub client_id: String,
    /// The OAuth2 client secret, the API key, the bearer token and the basic password.
    pub secret: Secret,
}

impl GenericConfig {
    /// `records` records over the 30 days before today, seed 42, a cap of 1000, the
    /// demo credentials (`demo-client`, `demo-secret`).
    pub fn new(records: usize) -> Self {
        GenericConfig {
            records,
            seed: 42,
            start: crate::days_before_today(30),
            days: 30,
            page_cap: 1000,
            client_id: crate::MockConfig::DEFAULT_CLIENT_ID.into(),
            secret: Secret::new(crate::MockConfig::DEFAULT_CLIENT_SECRET),
        }
    }
}

/// Why the generic mock cannot start.
#[derive(Debug, thiserror::Error)]
pub enum GenericError {
    /// The model says nothing the mock could serve on.
    #[error("the model has no {0}, so there is nothing to mock")]
    Incomplete(&'static str),
    /// The address could not be bound.
    #[error("cannot listen: {0}")]
    Bind(#[from] std::io::Error),
}

struct Shared {
    model: Model,
    window: Window,
    config: GenericConfig,
    records: data::Records,
    tokens: Mutex<HashSet<String>>,
    requests: AtomicU64,
    refused: AtomicU64,
    shutdown: watch::Sender<bool>,
}

/// A running generic mock; dropping it stops the server.
pub struct GenericServer {
    addr: SocketAddr,
    state: Arc<Shared>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl GenericServer {
    /// Synthesizes the records and serves `model`'s operation on `addr`.
    pub async fn start(
        model: &Model,
        config: GenericConfig,
        addr: SocketAddr,
    ) -> Result<Self, GenericError> {
        let window = model
            .source
            .window
            .clone()
            .ok_or(GenericError::Incomplete("time window"))?;
        let path = model
            .source
            .path
            .clone()
            .ok_or(GenericError::Incomplete("operation path"))?;
        let records = data::Records::generate(
            model,
            config.seed,
            config.records,
            config.start,
            config.days,
        );
        let state = Arc::new(Shared {
            model: model.clone(),
            window,
            config,
            records,
            tokens: Mutex::new(HashSet::new()),
            requests: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            shutdown: watch::channel(false).0,
        });
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = crate::reachable(listener.local_addr()?);
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route(&path, get(list))
            .with_state(Arc::clone(&state));
        let stop = Arc::clone(&state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.shutdown.subscribe().wait_for(|s| *s).await;
                })
                .await
        });
        Ok(GenericServer {
            addr: local,
            state,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OAuth2 token URL.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url())
    }

    /// The settings that sync from this server, one credential per scheme.
    pub fn api_settings(&self) -> ApiSettings {
        let config = &self.state.config;
        let credentials = self
            .state
            .model
            .source
            .auth
            .iter()
            .map(|scheme| match scheme {
                AuthScheme::Oauth2 { .. } => Credential::OAuth2 {
                    token_url: self.token_url(),
                    client_id: config.client_id.clone(),
                    client_secret: config.secret.clone(),
                },
                AuthScheme::ApiKey { .. } => Credential::ApiKey(config.secret.clone()),
                AuthScheme::Bearer { .. } => Credential::Bearer(config.secret.clone()),
                AuthScheme::Basic { .. } => Credential::Basic {
                    username: config.client_id.clone(),
                    password: config.secret.clone(),
                },
            })
            .collect();
        ApiSettings {
            base_url: self.base_url(),
            credentials,
        }
    }

    /// Every record, by instant.
    pub fn records(&self) -> Vec<serde_json::Value> {
        self.state
            .records
            .records
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Requests to the operation so far, and how many were refused (400 or 401).
    pub fn requests(&self) -> (u64, u64) {
        (
            self.state.requests.load(Ordering::Relaxed),
            self.state.refused.load(Ordering::Relaxed),
        )
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        self.state.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for GenericServer {
    fn drop(&mut self) {
        self.state.shutdown.send_replace(true);
    }
}

fn error(state: &Shared, status: StatusCode, message: &str) -> Response {
    state.refused.fetch_add(1, Ordering::Relaxed);
    let mut response = (
        status,
        Json(serde_json::json!({ "error": { "message": message } })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

async fn token(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error(&state, StatusCode::BAD_REQUEST, "the body must be a form");
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("client_credentials") {
        return error(&state, StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let (id, secret) = headers
        .get(header::AUTHORIZATION)
        .and_then(basic_credentials)
        .unwrap_or_else(|| {
            (
                field("client_id").unwrap_or_default(),
                field("client_secret").unwrap_or_default(),
            )
        });
    if id != state.config.client_id || secret != state.config.secret.expose() {
        return error(&state, StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let token: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(40)
        .collect();
    state
        .tokens
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(token.clone());
    Json(serde_json::json!({ "access_token": token, "token_type": "bearer", "expires_in": 3600 }))
        .into_response()
}

/// Whether the request carries every credential the model's schemes require.
fn authorized(state: &Shared, headers: &HeaderMap, query: &[(String, String)]) -> bool {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let secret = state.config.secret.expose();
    state.model.source.auth.iter().all(|scheme| match scheme {
        AuthScheme::Oauth2 { .. } => authorization.strip_prefix("Bearer ").is_some_and(|t| {
            state
                .tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(t)
        }),
        AuthScheme::ApiKey {
            location,
            parameter,
            prefix,
            ..
        } => {
            let expected = format!("{}{secret}", prefix.as_deref().unwrap_or(""));
            match location {
                KeyLocation::Header => headers
                    .get(parameter.as_str())
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == expected),
                KeyLocation::Query => query.iter().any(|(k, v)| k == parameter && *v == expected),
            }
        }
        AuthScheme::Bearer { .. } => authorization.strip_prefix("Bearer ") == Some(secret),
        AuthScheme::Basic { .. } => headers
            .get(header::AUTHORIZATION)
            .and_then(basic_credentials)
            .is_some_and(|(user, password)| user == state.config.client_id && password == secret),
    })
}

fn bound(format: TimeFormat, text: &str) -> Option<DateTime<Utc>> {
    match format {
        TimeFormat::Rfc3339 => format::parse_timestamp(text),
        TimeFormat::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc()),
        TimeFormat::UnixSeconds => text
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0)),
        TimeFormat::UnixMilliseconds => text
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis),
    }
}

async fn list(
    State(state): State<Arc<Shared>>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let Ok(Query(query)) = query else {
        return error(&state, StatusCode::BAD_REQUEST, "malformed query string");
    };
    if !authorized(&state, &headers, &query) {
        return error(
            &state,
            StatusCode::UNAUTHORIZED,
            "missing or wrong credentials",
        );
    }
    let window = &state.window;
    let key_parameters: Vec<&str> = state
        .model
        .source
        .auth
        .iter()
        .filter_map(|s| match s {
            AuthScheme::ApiKey {
                location: KeyLocation::Query,
                parameter,
                ..
            } => Some(parameter.as_str()),
            _ => None,
        })
        .collect();
    if let Some((unknown, _)) = query.iter().find(|(k, _)| {
        *k != window.from && *k != window.to && !key_parameters.contains(&k.as_str())
    }) {
        return error(
            &state,
            StatusCode::BAD_REQUEST,
            &format!("unknown query parameter `{unknown}`"),
        );
    }
    let value = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| bound(window.format, v))
    };
    let (Some(from), Some(to)) = (value(&window.from), value(&window.to)) else {
        return error(
            &state,
            StatusCode::BAD_REQUEST,
            &format!(
                "`{}` and `{}` are required, as {:?}",
                window.from, window.to, window.format
            ),
        );
    };
    if from > to {
        return error(
            &state,
            StatusCode::BAD_REQUEST,
            "the window ends before it starts",
        );
    }
    let records: Vec<serde_json::Value> = state
        .records
        .records
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .take(state.config.page_cap)
        .map(|(_, r)| r.clone())
        .collect();
    // Wrapped in the record path, innermost first.
    let mut body = serde_json::Value::Array(records);
    for key in state.model.source.records.iter().rev() {
        body = serde_json::json!({ key.as_str(): body });
    }
    Json(body).into_response()
}
