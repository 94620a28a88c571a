//! Who may read the service. Every OData request needs `Authorization: Bearer
//! <token>`; what makes a token valid is the [`Auth`] the server starts with:
//!
//! - [`Auth::Embedded`] (the default of `serve`): the server is its own OAuth2
//!   authorization server for one client. `POST /oauth/token` with
//!   `grant_type=client_credentials` and the client's id and secret (HTTP Basic, or
//!   `client_id` and `client_secret` in the form body) answers a short-lived HS256 JWT
//!   whose audience is the service path. This is what SAP Analytics Cloud's OData
//!   connection with "OAuth 2.0 Client Credentials" needs when nothing else guards the
//!   bridge.
//! - [`Auth::Platform`]: tokens come from an identity provider (SAP Cloud Identity
//!   Services, XSUAA, or whatever a Kyma APIRule's `jwt` rule trusts); the server
//!   checks their signature against the issuer's published keys (JWKS, RS256 or
//!   ES256), their issuer, audience, lifetime and, if asked, a scope. There is no
//!   token endpoint.
//! - [`Auth::Disabled`] (`--no-auth`): no check at all, for a bridge behind a gateway
//!   that already checks every request.
//!
//! `/health/live` and `/health/ready` are open in every mode: they reveal nothing.
//! Secrets, signing keys and tokens are never logged and never sent back; a refused
//! request learns only that its token was missing, expired or otherwise not valid.

mod jwks;
mod jwt;
mod token;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

use super::error::ODataError;
use crate::settings::{secret, Secret, SettingsError};

/// Where the embedded token endpoint listens (`POST`), beside the service path.
pub const TOKEN_PATH: &str = "/oauth/token";

/// How long embedded tokens live unless configured otherwise.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The longest token lifetime accepted: tokens are bearer credentials that cannot be
/// revoked, so they stay short.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The least time between two fetches of an issuer's key set unless configured
/// otherwise: a flood of tokens naming unknown keys costs the issuer one request a
/// minute at most.
pub const DEFAULT_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// HS256 keys shorter than the hash add no strength and are easy to guess.
const MIN_SIGNING_KEY_BYTES: usize = 32;

const CLIENT_ID: &str = "BRIDGE_CLIENT_ID";
const CLIENT_SECRET: &str = "BRIDGE_CLIENT_SECRET";
const CLIENT_SECRET_FILE: &str = "BRIDGE_CLIENT_SECRET_FILE";
const SIGNING_KEY: &str = "BRIDGE_SIGNING_KEY";
const SIGNING_KEY_FILE: &str = "BRIDGE_SIGNING_KEY_FILE";
const TOKEN_LIFETIME: &str = "BRIDGE_TOKEN_LIFETIME";
const JWT_ISSUER: &str = "BRIDGE_JWT_ISSUER";
const JWT_AUDIENCE: &str = "BRIDGE_JWT_AUDIENCE";
const JWKS_URL: &str = "BRIDGE_JWKS_URL";
const JWT_SCOPE: &str = "BRIDGE_JWT_SCOPE";

const NO_CREDENTIALS: &str = "serve needs credentials: export BRIDGE_CLIENT_ID and \
    BRIDGE_CLIENT_SECRET (or BRIDGE_CLIENT_SECRET_FILE) for its own token endpoint, or \
    BRIDGE_JWT_ISSUER, BRIDGE_JWT_AUDIENCE and BRIDGE_JWKS_URL to accept an identity \
    provider's tokens; or pass --no-auth if a gateway in front checks every request";
const PLATFORM_INCOMPLETE: &str = "platform mode needs all three of --jwt-issuer, \
    --jwt-audience and --jwks-url (or BRIDGE_JWT_ISSUER, BRIDGE_JWT_AUDIENCE, BRIDGE_JWKS_URL)";

/// How the server authenticates OData requests.
#[derive(Debug)]
pub enum Auth {
    /// No authentication: anyone who reaches the port reads everything.
    Disabled,
    /// The server's own token endpoint for one client, and its tokens.
    Embedded(EmbeddedAuth),
    /// Tokens of an external issuer, checked against its JWKS.
    Platform(PlatformAuth),
}

/// The embedded authorization server: one client's credentials and how tokens are
/// signed.
#[derive(Debug)]
pub struct EmbeddedAuth {
    client_id: String,
    client_secret: Secret,
    signing_key: Option<Secret>,
    token_lifetime: Duration,
}

/// An external issuer whose tokens are accepted.
#[derive(Debug)]
pub struct PlatformAuth {
    issuer: String,
    audience: String,
    jwks_url: String,
    scope: Option<String>,
    jwks_refetch_interval: Duration,
}

/// What `serve`'s command line says about authentication; the environment supplies
/// the rest (the flags win over it).
#[derive(Clone, Debug, Default)]
pub struct AuthOptions {
    /// `--no-auth`: serve without authentication.
    pub no_auth: bool,
    /// `--jwt-issuer` (`BRIDGE_JWT_ISSUER`).
    pub jwt_issuer: Option<String>,
    /// `--jwt-audience` (`BRIDGE_JWT_AUDIENCE`).
    pub jwt_audience: Option<String>,
    /// `--jwks-url` (`BRIDGE_JWKS_URL`).
    pub jwks_url: Option<String>,
    /// `--jwt-scope` (`BRIDGE_JWT_SCOPE`).
    pub jwt_scope: Option<String>,
    /// `--token-lifetime` in seconds (`BRIDGE_TOKEN_LIFETIME`), embedded mode only.
    pub token_lifetime: Option<u64>,
}

impl Auth {
    /// The authentication `options` and the environment ask for: platform mode when
    /// an issuer, audience or JWKS URL is set, else embedded mode, which needs
    /// `BRIDGE_CLIENT_ID` and `BRIDGE_CLIENT_SECRET` (or `BRIDGE_CLIENT_SECRET_FILE`).
    pub fn resolve(options: &AuthOptions) -> Result<Auth, SettingsError> {
        Self::resolve_with(options, environment)
    }

    /// The same with an explicit environment (tests).
    pub fn resolve_with(
        options: &AuthOptions,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Auth, SettingsError> {
        if options.no_auth {
            return Ok(Auth::Disabled);
        }
        let pick = |flag: &Option<String>, name: &str| flag.clone().or_else(|| env(name));
        let issuer = pick(&options.jwt_issuer, JWT_ISSUER);
        let audience = pick(&options.jwt_audience, JWT_AUDIENCE);
        let jwks_url = pick(&options.jwks_url, JWKS_URL);
        let scope = pick(&options.jwt_scope, JWT_SCOPE);
        let lifetime = match options.token_lifetime {
            Some(seconds) => Some(seconds),
            None => env(TOKEN_LIFETIME)
                .map(|text| {
                    text.trim()
                        .parse::<u64>()
                        .map_err(|_| SettingsError::Invalid {
                            what: TOKEN_LIFETIME,
                            message: format!("{text:?} is not a number of seconds"),
                        })
                })
                .transpose()?,
        };
        if issuer.is_none() && audience.is_none() && jwks_url.is_none() {
            // A scope nobody checks would be a silent hole, so it is refused.
            if scope.is_some() {
                return Err(SettingsError::Invalid {
                    what: "--jwt-scope / BRIDGE_JWT_SCOPE",
                    message: format!(
                        "a scope is only checked in platform mode; {PLATFORM_INCOMPLETE}"
                    ),
                });
            }
            let embedded = EmbeddedAuth::resolve_with(&env)?;
            return match lifetime {
                Some(seconds) => embedded
                    .with_token_lifetime(Duration::from_secs(seconds))
                    .map(Auth::Embedded),
                None => Ok(Auth::Embedded(embedded)),
            };
        }
        // Both modes configured is ambiguous: which tokens were meant to be accepted?
        if env(CLIENT_ID).is_some() {
            return Err(SettingsError::Invalid {
                what: CLIENT_ID,
                message: "is set together with platform settings (issuer, audience, JWKS \
                          URL); unset one of them: the embedded token endpoint and an \
                          external issuer exclude each other"
                    .into(),
            });
        }
        if lifetime.is_some() {
            return Err(SettingsError::Invalid {
                what: "--token-lifetime / BRIDGE_TOKEN_LIFETIME",
                message: "applies to the embedded token endpoint only; in platform mode the \
                          issuer decides how long its tokens live"
                    .into(),
            });
        }
        let missing = |what| SettingsError::Missing {
            what,
            hint: PLATFORM_INCOMPLETE,
        };
        let platform = PlatformAuth::new(
            issuer.ok_or_else(|| missing(JWT_ISSUER))?,
            audience.ok_or_else(|| missing(JWT_AUDIENCE))?,
            jwks_url.ok_or_else(|| missing(JWKS_URL))?,
        )?;
        Ok(Auth::Platform(match scope {
            Some(scope) => platform.with_scope(scope),
            None => platform,
        }))
    }
}

/// The process environment, with empty values as unset (as `settings` reads it).
fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl EmbeddedAuth {
    /// Accepts one client; tokens live [`DEFAULT_TOKEN_LIFETIME`] and are signed with
    /// a key generated when the server starts (so they end with the process).
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        EmbeddedAuth {
            client_id: client_id.into(),
            client_secret,
            signing_key: None,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }

    /// The client from `BRIDGE_CLIENT_ID` and `BRIDGE_CLIENT_SECRET` (or
    /// `BRIDGE_CLIENT_SECRET_FILE`), the signing key from `BRIDGE_SIGNING_KEY` (or
    /// `BRIDGE_SIGNING_KEY_FILE`) if set.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::resolve_with(environment)
    }

    /// The same with an explicit environment (tests).
    pub fn resolve_with(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let client_id = env(CLIENT_ID).ok_or(SettingsError::Missing {
            what: CLIENT_ID,
            hint: NO_CREDENTIALS,
        })?;
        let secret_file = env(CLIENT_SECRET_FILE).map(PathBuf::from);
        let client_secret = secret(
            env(CLIENT_SECRET),
            secret_file.as_deref(),
            CLIENT_SECRET,
            NO_CREDENTIALS,
        )?;
        if client_secret.expose().is_empty() {
            return Err(SettingsError::Invalid {
                what: CLIENT_SECRET,
                message: "is empty".into(),
            });
        }
        let embedded = EmbeddedAuth::new(client_id, client_secret);
        let key_file = env(SIGNING_KEY_FILE).map(PathBuf::from);
        match (env(SIGNING_KEY), key_file.as_deref()) {
            (None, None) => Ok(embedded),
            (value, file) => embedded.with_signing_key(signing_key(value, file)?),
        }
    }

    /// Signs with `key` instead of a generated one, so that tokens survive a restart
    /// and several replicas accept each other's tokens. It must have at least 32 bytes.
    pub fn with_signing_key(mut self, key: Secret) -> Result<Self, SettingsError> {
        if key.expose().len() < MIN_SIGNING_KEY_BYTES {
            return Err(SettingsError::Invalid {
                what: SIGNING_KEY,
                message: format!(
                    "must have at least {MIN_SIGNING_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)"
                ),
            });
        }
        self.signing_key = Some(key);
        Ok(self)
    }

    /// Issues tokens that live `lifetime` (1 second to 24 hours).
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Result<Self, SettingsError> {
        if lifetime < Duration::from_secs(1) || lifetime > MAX_TOKEN_LIFETIME {
            return Err(SettingsError::Invalid {
                what: TOKEN_LIFETIME,
                message: format!(
                    "{} seconds is outside 1 to {} seconds",
                    lifetime.as_secs(),
                    MAX_TOKEN_LIFETIME.as_secs()
                ),
            });
        }
        self.token_lifetime = lifetime;
        Ok(self)
    }
}

fn signing_key(value: Option<String>, file: Option<&Path>) -> Result<Secret, SettingsError> {
    secret(
        value,
        file,
        SIGNING_KEY,
        "export BRIDGE_SIGNING_KEY or BRIDGE_SIGNING_KEY_FILE",
    )
}

impl PlatformAuth {
    /// Accepts tokens whose `iss` is `issuer` (a trailing `/` aside) and whose `aud`
    /// holds `audience`, signed by a key of the JWKS at `jwks_url`.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks_url: impl Into<String>,
    ) -> Result<Self, SettingsError> {
        let jwks_url = jwks_url.into();
        match reqwest::Url::parse(&jwks_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => {
                return Err(SettingsError::Invalid {
                    what: JWKS_URL,
                    message: format!("{jwks_url:?} is not an http(s) URL"),
                })
            }
        }
        Ok(PlatformAuth {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url,
            scope: None,
            jwks_refetch_interval: DEFAULT_JWKS_REFETCH_INTERVAL,
        })
    }

    /// Also requires `scope` among the token's scopes (`scope`, space-separated, or
    /// `scp`, an array).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Fetches the key set at most once per `interval` when tokens name unknown keys
    /// (default [`DEFAULT_JWKS_REFETCH_INTERVAL`]).
    pub fn with_jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }
}

/// Why authentication could not be set up when the server started.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// No random signing key could be had from the operating system.
    #[error("cannot generate a signing key: {0}")]
    Random(getrandom::Error),
    /// The HTTP client that fetches the issuer's keys could not be built.
    #[error("cannot build the HTTP client for the JWKS: {0}")]
    Http(reqwest::Error),
}

/// What a running server checks on every OData request.
enum Guard {
    Embedded(Arc<jwt::Signer>),
    // Boxed: the key cache is large and the guard is built once.
    Platform(Box<jwt::PlatformVerifier>),
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("no bearer token")]
    NoToken,
    #[error(transparent)]
    Invalid(#[from] jwt::TokenError),
    #[error("the token lacks the required scope")]
    Scope(String),
    #[error("the issuer's keys cannot be fetched")]
    Unavailable,
}

/// `odata` behind the guard that `auth` asks for, with the token endpoint in
/// embedded mode; `audience` is the service path that embedded tokens are for.
pub(super) fn router(auth: Auth, odata: Router, audience: &str) -> Result<Router, AuthSetupError> {
    match auth {
        Auth::Disabled => {
            tracing::warn!(
                "serving without authentication (--no-auth): anyone who reaches the port reads every record"
            );
            Ok(odata)
        }
        Auth::Embedded(embedded) => {
            let key = match &embedded.signing_key {
                Some(key) => key.expose().as_bytes().to_vec(),
                None => {
                    let mut key = vec![0; MIN_SIGNING_KEY_BYTES];
                    getrandom::getrandom(&mut key).map_err(AuthSetupError::Random)?;
                    key
                }
            };
            let signer = Arc::new(jwt::Signer::new(&key, audience, embedded.token_lifetime));
            let endpoint = token::TokenEndpoint::new(
                &embedded.client_id,
                &embedded.client_secret,
                Arc::clone(&signer),
            );
            Ok(token::router(endpoint).merge(guarded(odata, Guard::Embedded(signer))))
        }
        Auth::Platform(platform) => {
            let verifier = jwt::PlatformVerifier::new(platform).map_err(AuthSetupError::Http)?;
            Ok(guarded(odata, Guard::Platform(Box::new(verifier))))
        }
    }
}

fn guarded(odata: Router, guard: Guard) -> Router {
    odata.layer(axum::middleware::from_fn_with_state(
        Arc::new(guard),
        require_token,
    ))
}

async fn require_token(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let checked = match bearer(request.headers()) {
        Err(refusal) => Err(refusal),
        Ok(token) => match &*guard {
            Guard::Embedded(signer) => signer.verify(token).map_err(Refusal::from),
            Guard::Platform(verifier) => verifier.verify(token).await,
        },
    };
    match checked {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            // The reason helps whoever sets up the client; the token itself stays out.
            tracing::debug!(reason = %refusal, path = %request.uri().path(), "request refused");
            refuse(&refusal, matches!(*guard, Guard::Embedded(_)))
        }
    }
}

/// The bearer token of `headers`: one `Authorization` header of scheme `Bearer`.
fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(if headers.contains_key(header::AUTHORIZATION) {
            jwt::TokenError::Malformed.into()
        } else {
            Refusal::NoToken
        });
    };
    let value = value.to_str().map_err(|_| jwt::TokenError::Malformed)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => match token.trim() {
            "" => Err(jwt::TokenError::Malformed.into()),
            token => Ok(token),
        },
        // Basic or another scheme: this request brings no bearer token at all.
        _ => Err(Refusal::NoToken),
    }
}

/// The answer to a refused request, as RFC 6750 says: 401 with a `Bearer` challenge
/// (`invalid_token` when a token came), 403 for a missing scope; an OData error body.
fn refuse(refusal: &Refusal, embedded: bool) -> Response {
    let (status, challenge, message) = match refusal {
        Refusal::NoToken => (
            StatusCode::UNAUTHORIZED,
            "Bearer".to_owned(),
            if embedded {
                "this service needs a bearer token: send Authorization: Bearer <token>; \
                 POST /oauth/token with grant_type=client_credentials and the client's \
                 credentials gives one"
            } else {
                "this service needs a bearer token from its identity provider: send \
                 Authorization: Bearer <token>"
            },
        ),
        Refusal::Invalid(jwt::TokenError::Expired) => (
            StatusCode::UNAUTHORIZED,
            r#"Bearer error="invalid_token", error_description="the token has expired""#.to_owned(),
            "the bearer token has expired; get a new one",
        ),
        Refusal::Invalid(_) => (
            StatusCode::UNAUTHORIZED,
            r#"Bearer error="invalid_token""#.to_owned(),
            "the bearer token is not valid for this service",
        ),
        Refusal::Scope(scope) => (
            StatusCode::FORBIDDEN,
            format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
            "the bearer token lacks the scope this service requires",
        ),
        Refusal::Unavailable => {
            return ODataError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "tokens cannot be checked now: the identity provider's keys cannot be \
                 fetched; the server log has the cause",
            )
            .into_response()
        }
    };
    let mut response = ODataError::new(status, message).into_response();
    // A scope is configuration, not a secret; should it hold a quote, the challenge
    // falls back to the bare scheme rather than failing the answer.
    let challenge = HeaderValue::from_str(&challenge)
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer error=\"insufficient_scope\""));
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn without_credentials_the_error_names_every_variable() {
        let error = Auth::resolve_with(&AuthOptions::default(), |_| None).unwrap_err();
        let text = error.to_string();
        for name in [
            CLIENT_ID,
            CLIENT_SECRET,
            CLIENT_SECRET_FILE,
            JWT_ISSUER,
            JWT_AUDIENCE,
            JWKS_URL,
            "--no-auth",
        ] {
            assert!(text.contains(name), "{name}: {text}");
        }
        let no_secret =
            Auth::resolve_with(&AuthOptions::default(), env_of(&[(CLIENT_ID, "sac")])).unwrap_err();
        assert!(
            no_secret.to_string().starts_with(CLIENT_SECRET),
            "{no_secret}"
        );
    }

    #[test]
    fn embedded_reads_the_secret_from_a_file_and_checks_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let path = file.to_str().unwrap();
        let auth = Auth::resolve_with(
            &AuthOptions::default(),
            env_of(&[(CLIENT_ID, "sac"), (CLIENT_SECRET_FILE, path)]),
        )
        .unwrap();
        let Auth::Embedded(embedded) = auth else {
            panic!("{auth:?}")
        };
        assert_eq!(embedded.client_secret.expose(), "from-file");
        assert_eq!(embedded.token_lifetime, DEFAULT_TOKEN_LIFETIME);
        assert!(!format!("{embedded:?}").contains("from-file"));

        let short = env_of(&[
            (CLIENT_ID, "sac"),
            (CLIENT_SECRET, "s"),
            (SIGNING_KEY, "short"),
        ]);
        let error = Auth::resolve_with(&AuthOptions::default(), short).unwrap_err();
        assert!(error.to_string().contains("32 bytes"), "{error}");
        assert!(!error.to_string().contains("short"), "{error}");

        let options = AuthOptions {
            token_lifetime: Some(0),
            ..AuthOptions::default()
        };
        let zero = env_of(&[(CLIENT_ID, "sac"), (CLIENT_SECRET, "s")]);
        assert!(Auth::resolve_with(&options, zero).is_err());
    }

    #[test]
    fn platform_needs_all_three_settings_and_no_client() {
        let options = AuthOptions {
            jwt_issuer: Some("https://issuer".into()),
            jwt_audience: Some("sac".into()),
            ..AuthOptions::default()
        };
        let error = Auth::resolve_with(&options, |_| None).unwrap_err();
        assert!(error.to_string().starts_with(JWKS_URL), "{error}");
        let complete = env_of(&[(JWKS_URL, "https://issuer/keys"), (JWT_SCOPE, "read")]);
        let Auth::Platform(platform) = Auth::resolve_with(&options, complete).unwrap() else {
            panic!("platform mode")
        };
        assert_eq!(platform.scope.as_deref(), Some("read"));
        let both = env_of(&[(JWKS_URL, "https://issuer/keys"), (CLIENT_ID, "sac")]);
        assert!(Auth::resolve_with(&options, both).is_err());
        let bad_url = env_of(&[(JWKS_URL, "keys.json")]);
        assert!(Auth::resolve_with(&options, bad_url).is_err());
        let scope_only = env_of(&[(CLIENT_ID, "sac"), (CLIENT_SECRET, "s"), (JWT_SCOPE, "x")]);
        assert!(Auth::resolve_with(&AuthOptions::default(), scope_only).is_err());
    }

    #[test]
    fn no_auth_wins_over_everything() {
        let options = AuthOptions {
            no_auth: true,
            ..AuthOptions::default()
        };
        assert!(matches!(
            Auth::resolve_with(&options, |_| None),
            Ok(Auth::Disabled)
        ));
    }

    #[test]
    fn bearer_tokens_are_read_from_one_authorization_header() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer(&headers), Err(Refusal::NoToken)));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic eDp5"),
        );
        assert!(matches!(bearer(&headers), Err(Refusal::NoToken)));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&headers).unwrap(), "abc");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer  "));
        assert!(matches!(bearer(&headers), Err(Refusal::Invalid(_))));
        headers.append(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert!(matches!(bearer(&headers), Err(Refusal::Invalid(_))));
    }
}
