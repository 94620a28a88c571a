//! `POST /oauth/token`: the client credentials grant of RFC 6749 (section 4.4) for
//! the one client the bridge knows. The client authenticates with HTTP Basic or with
//! `client_id` and `client_secret` in the form body (section 2.3.1); errors are the
//! RFC's JSON (`invalid_request`, `unsupported_grant_type`, `invalid_client`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use super::jwt::Signer;
use super::TOKEN_PATH;
use crate::settings::Secret;

/// The one client's credentials, kept as digests: comparing digests takes the same
/// time whatever the length or content of what a client sends.
pub(super) struct TokenEndpoint {
    client_id: String,
    id_digest: [u8; 32],
    secret_digest: [u8; 32],
    signer: Arc<Signer>,
}

/// What the endpoint refuses, with the RFC's error codes.
#[derive(Debug, thiserror::Error)]
enum OAuthError {
    #[error("{0}")]
    InvalidRequest(&'static str),
    #[error("this endpoint grants grant_type=client_credentials only")]
    UnsupportedGrantType,
    #[error("client authentication failed")]
    InvalidClient,
    #[error("cannot issue a token now; the server log has the cause")]
    Server,
}

impl OAuthError {
    fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::Server => "server_error",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthError::Server => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body =
            serde_json::json!({ "error": self.code(), "error_description": self.to_string() });
        let mut response = json(self.status(), &body);
        if let OAuthError::InvalidClient = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"cai-bridge\""),
            );
        }
        response
    }
}

/// A JSON answer that no cache keeps (RFC 6749 section 5.1).
fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The route of the endpoint.
pub(super) fn router(endpoint: TokenEndpoint) -> Router {
    Router::new()
        .route(TOKEN_PATH, post(grant))
        .with_state(Arc::new(endpoint))
}

async fn grant(
    State(endpoint): State<Arc<TokenEndpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match endpoint.grant(&headers, &body) {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%error, "token request refused");
            error.into_response()
        }
    }
}

impl TokenEndpoint {
    pub(super) fn new(client_id: &str, client_secret: &Secret, signer: Arc<Signer>) -> Self {
        TokenEndpoint {
            client_id: client_id.to_owned(),
            id_digest: Sha256::digest(client_id.as_bytes()).into(),
            secret_digest: Sha256::digest(client_secret.expose().as_bytes()).into(),
            signer,
        }
    }

    fn grant(&self, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
        if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
            let media = content_type.to_str().unwrap_or_default();
            let media = media.split(';').next().unwrap_or_default().trim();
            if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
                return Err(OAuthError::InvalidRequest(
                    "send the parameters form-encoded (Content-Type: application/x-www-form-urlencoded)",
                ));
            }
        }
        let (mut grant_type, mut client_id, mut client_secret) = (None, None, None);
        for (name, value) in form_urlencoded::parse(body) {
            let slot = match &*name {
                "grant_type" => &mut grant_type,
                "client_id" => &mut client_id,
                "client_secret" => &mut client_secret,
                _ => continue,
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(OAuthError::InvalidRequest(
                    "a parameter came twice (RFC 6749 section 3.2)",
                ));
            }
        }
        match grant_type.as_deref() {
            None => {
                return Err(OAuthError::InvalidRequest(
                    "grant_type is missing; send grant_type=client_credentials",
                ))
            }
            Some("client_credentials") => {}
            Some(_) => return Err(OAuthError::UnsupportedGrantType),
        }
        let basic = basic_credentials(headers)?;
        let accepted = match (basic, client_id, client_secret) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(OAuthError::InvalidRequest(
                    "the client credentials came both as HTTP Basic and in the body; send them one way",
                ))
            }
            (Some((id, secret)), None, None) => {
                // RFC 6749 form-encodes both before Basic; most clients do not, so both
                // readings are tried (they differ only when `%` or `+` occur).
                self.matches(&id, &secret) | self.matches(&form_decode(&id), &form_decode(&secret))
            }
            (None, Some(id), Some(secret)) => self.matches(&id, &secret),
            _ => Choice::from(0),
        };
        if !bool::from(accepted) {
            return Err(OAuthError::InvalidClient);
        }
        let (token, expires_in) = self.signer.issue(&self.client_id).map_err(|error| {
            tracing::error!(%error, "cannot sign a token");
            OAuthError::Server
        })?;
        tracing::debug!(client = %self.client_id, expires_in, "issued an access token");
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": expires_in,
            }),
        ))
    }

    /// Both halves are always compared, so the time does not tell which one was wrong.
    fn matches(&self, id: &str, secret: &str) -> Choice {
        let id_digest: [u8; 32] = Sha256::digest(id.as_bytes()).into();
        let secret_digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        id_digest[..].ct_eq(&self.id_digest[..]) & secret_digest[..].ct_eq(&self.secret_digest[..])
    }
}

/// The id and secret of an `Authorization: Basic` header, if there is one; a Basic
/// header that does not decode fails client authentication.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| OAuthError::InvalidClient)?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::InvalidClient);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| OAuthError::InvalidClient)?;
    let text = String::from_utf8(decoded).map_err(|_| OAuthError::InvalidClient)?;
    let (id, secret) = text.split_once(':').ok_or(OAuthError::InvalidClient)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decode(text: &str) -> String {
    form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn endpoint() -> TokenEndpoint {
        let signer = Arc::new(Signer::new(&[1; 32], "/svc", Duration::from_secs(60)));
        TokenEndpoint::new("sac client", &Secret::new("s3cret+/%"), signer)
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
            .into_bytes()
    }

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        headers
    }

    fn code(result: Result<Response, OAuthError>) -> &'static str {
        result.map_or_else(|e| e.code(), |_| "ok")
    }

    #[test]
    fn grants_to_the_client_by_basic_or_body() {
        let endpoint = endpoint();
        let grant = form(&[("grant_type", "client_credentials")]);
        assert_eq!(
            code(endpoint.grant(&basic("sac client", "s3cret+/%"), &grant)),
            "ok"
        );
        // RFC 6749's encoding of the same credentials.
        assert_eq!(
            code(endpoint.grant(&basic("sac+client", "s3cret%2B%2F%25"), &grant)),
            "ok"
        );
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sac client"),
            ("client_secret", "s3cret+/%"),
        ]);
        assert_eq!(code(endpoint.grant(&HeaderMap::new(), &body)), "ok");
    }

    #[test]
    fn refuses_as_rfc_6749_says() {
        let endpoint = endpoint();
        let none = HeaderMap::new();
        let grant = form(&[("grant_type", "client_credentials")]);
        assert_eq!(
            code(endpoint.grant(&basic("sac client", "wrong"), &grant)),
            "invalid_client"
        );
        assert_eq!(
            code(endpoint.grant(&basic("other", "s3cret+/%"), &grant)),
            "invalid_client"
        );
        assert_eq!(code(endpoint.grant(&none, &grant)), "invalid_client");
        let id_only = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sac client"),
        ]);
        assert_eq!(code(endpoint.grant(&none, &id_only)), "invalid_client");
        assert_eq!(
            code(endpoint.grant(&basic("sac client", "s3cret+/%"), &id_only)),
            "invalid_request"
        );
        let password = form(&[("grant_type", "password")]);
        assert_eq!(
            code(endpoint.grant(&none, &password)),
            "unsupported_grant_type"
        );
        assert_eq!(code(endpoint.grant(&none, b"")), "invalid_request");
        let twice = b"grant_type=client_credentials&grant_type=client_credentials";
        assert_eq!(code(endpoint.grant(&none, twice)), "invalid_request");
        let mut json = basic("sac client", "s3cret+/%");
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(code(endpoint.grant(&json, &grant)), "invalid_request");
        let mut garbage = HeaderMap::new();
        garbage.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(code(endpoint.grant(&garbage, &grant)), "invalid_client");
    }
}
