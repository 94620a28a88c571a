//! The credentials of an API call: [`Credentials`] applies every security scheme the
//! model's operation requires (OAuth2 client credentials, API keys in a header or
//! query parameter, HTTP bearer, HTTP basic) to each request.
//!
//! OAuth2 client credentials as CAI (and SAP's identity service) require them: the
//! client id and secret as HTTP Basic auth, `grant_type=client_credentials`
//! form-encoded, a bearer token back. Tokens are cached and fetched anew shortly
//! before they expire, or at once when the API says one is no longer valid.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use cai_bridge_model::{AuthScheme, KeyLocation, Model};

use crate::settings::{variables, Credential, Secret};

/// How long before its expiry a token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint refused the client (wrong id or secret).
    #[error("the token endpoint refused the client credentials (HTTP {status}); check {check}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The variables that hold the credentials.
        check: String,
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
    /// The variables to check when the endpoint refuses the client.
    check: String,
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl TokenSource {
    /// A token source for the client at `token_url`.
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: Secret,
        check: String,
    ) -> Self {
        TokenSource {
            http,
            token_url,
            client_id,
            client_secret,
            check,
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
                check: self.check.clone(),
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

/// One non-OAuth2 credential, ready to be put on a request.
enum Applied {
    Header(String, Secret),
    Query(String, Secret),
    Bearer(Secret),
    Basic(String, Secret),
}

/// Every credential the model's operation requires, applied to each request.
pub struct Credentials {
    oauth: Option<TokenSource>,
    applied: Vec<Applied>,
    /// The variables that hold them, for the message of a refusal.
    names: String,
}

impl Credentials {
    /// The credentials for `model`'s schemes from `settings` (one per scheme, in order).
    pub fn new(http: reqwest::Client, model: &Model, settings: &[Credential]) -> Self {
        let names: Vec<String> = variables(model)
            .into_iter()
            .filter(|v| v.name != format!("{}_BASE_URL", model.env_prefix()))
            .map(|v| v.name)
            .collect();
        let mut oauth = None;
        let mut applied = Vec::new();
        for (scheme, credential) in model.source.auth.iter().zip(settings) {
            match (scheme, credential) {
                (
                    AuthScheme::Oauth2 { .. },
                    Credential::OAuth2 {
                        token_url,
                        client_id,
                        client_secret,
                    },
                ) => {
                    oauth = Some(TokenSource::new(
                        http.clone(),
                        token_url.clone(),
                        client_id.clone(),
                        client_secret.clone(),
                        format!(
                            "{}_CLIENT_ID and {}_CLIENT_SECRET",
                            model.env_prefix(),
                            model.env_prefix()
                        ),
                    ));
                }
                (
                    AuthScheme::ApiKey {
                        location,
                        parameter,
                        prefix,
                        ..
                    },
                    Credential::ApiKey(key),
                ) => {
                    // A key given with its prefix (CAI's `Token <developer token>`) is
                    // sent as it is; a bare one gets the prefix.
                    let value = match prefix {
                        Some(prefix) if !key.expose().starts_with(prefix.as_str()) => {
                            Secret::new(format!("{prefix}{}", key.expose()))
                        }
                        _ => key.clone(),
                    };
                    applied.push(match location {
                        KeyLocation::Header => Applied::Header(parameter.clone(), value),
                        KeyLocation::Query => Applied::Query(parameter.clone(), value),
                    });
                }
                (AuthScheme::Bearer { .. }, Credential::Bearer(token)) => {
                    applied.push(Applied::Bearer(token.clone()));
                }
                (AuthScheme::Basic { .. }, Credential::Basic { username, password }) => {
                    applied.push(Applied::Basic(username.clone(), password.clone()));
                }
                // The settings were resolved from this very model, scheme by scheme.
                _ => {}
            }
        }
        Credentials {
            oauth,
            applied,
            names: names.join(", "),
        }
    }

    /// The OAuth2 access token, if the operation needs one.
    pub async fn token(&self) -> Result<Option<Secret>, AuthError> {
        match &self.oauth {
            Some(source) => source.token().await.map(Some),
            None => Ok(None),
        }
    }

    /// Whether a 401 may be cured by a fresh token.
    pub fn refreshable(&self) -> bool {
        self.oauth.is_some()
    }

    /// Forgets `token` after the API refused it.
    pub async fn invalidate(&self, token: &Secret) {
        if let Some(source) = &self.oauth {
            source.invalidate(token).await;
        }
    }

    /// The variables that hold the credentials, for messages.
    pub fn names(&self) -> &str {
        &self.names
    }

    /// `request` with every credential on it (`token`: the OAuth2 access token).
    pub fn apply(
        &self,
        mut request: reqwest::RequestBuilder,
        token: Option<&Secret>,
    ) -> reqwest::RequestBuilder {
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        for credential in &self.applied {
            request = match credential {
                Applied::Header(name, value) => {
                    match reqwest::header::HeaderValue::from_str(value.expose()) {
                        // Sensitive, as reqwest marks its own auth headers: kept out of
                        // any debug output of the request.
                        Ok(mut value) => {
                            value.set_sensitive(true);
                            request.header(name.as_str(), value)
                        }
                        // Not a valid header value: reqwest reports it at send time.
                        Err(_) => request.header(name.as_str(), value.expose()),
                    }
                }
                Applied::Query(name, value) => request.query(&[(name.as_str(), value.expose())]),
                Applied::Bearer(token) => request.bearer_auth(token.expose()),
                Applied::Basic(user, password) => request.basic_auth(user, Some(password.expose())),
            };
        }
        request
    }
}
