//! OAuth2 client credentials, as CAI (and SAP's identity service) require: the client
//! id and secret as HTTP Basic auth, `grant_type=client_credentials` form-encoded,
//! a bearer token back. Tokens are cached and fetched anew shortly before they
//! expire, or at once when the API says one is no longer valid.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::settings::Secret;

/// How long before its expiry a token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint refused the client (wrong id or secret).
    #[error("the token endpoint refused the client credentials (HTTP {status}); check CAI_CLIENT_ID and CAI_CLIENT_SECRET")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// The token endpoint could not be reached or answered nonsense.
    #[error("token endpoint: {0}")]
    Transport(String),
}

impl AuthError {
    /// Whether trying again may help (a network fault, not a refusal).
    pub fn is_transient(&self) -> bool {
        matches!(self, AuthError::Transport(_))
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// A cached bearer token for one client.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl TokenSource {
    /// A token source for the client at `token_url`.
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: Secret,
    ) -> Self {
        TokenSource {
            http,
            token_url,
            client_id,
            client_secret,
            cached: Mutex::new(None),
        }
    }

    /// A valid token: the cached one unless it expires within a minute.
    pub async fn token(&self) -> Result<Secret, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if Instant::now() + REFRESH_MARGIN < *expires {
                return Ok(token.clone());
            }
        }
        let (token, expires) = self.fetch().await?;
        *cached = Some((token.clone(), expires));
        Ok(token)
    }

    /// Forgets `token` after the API refused it, so the next call fetches a new one.
    pub async fn invalidate(&self, token: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == token) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<(Secret, Instant), AuthError> {
        tracing::debug!(url = %self.token_url, client = %self.client_id, "fetching a token");
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| AuthError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN
            || status == reqwest::StatusCode::BAD_REQUEST
        {
            return Err(AuthError::Refused {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(AuthError::Transport(format!("HTTP {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| AuthError::Transport(e.without_url().to_string()))?;
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            AuthError::Transport(format!("the answer is not a token response: {e}"))
        })?;
        // CAI tokens live 12 hours; assume so when the answer does not say.
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(12 * 3600));
        tracing::debug!(expires_in = lifetime.as_secs(), "token received");
        Ok((Secret::new(parsed.access_token), Instant::now() + lifetime))
    }
}
