//! Signing and checking JWTs: HS256 tokens the embedded endpoint issues and checks
//! itself, and RS256/ES256 tokens of an external issuer checked against its keys.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::jwks::{KeyCache, KeyError};
use super::{PlatformAuth, Refusal};

/// The `iss` of embedded tokens.
pub(super) const ISSUER: &str = "cai-bridge";

/// Clock skew allowed between an external issuer and this server.
const PLATFORM_LEEWAY_SECONDS: u64 = 60;

/// Why a token is not valid. The variants say what failed, for the server log at
/// debug level, and nothing of the token itself.
#[derive(Debug, thiserror::Error)]
pub(super) enum TokenError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's issuer is not the expected one")]
    Issuer,
    #[error("the token's audience is not this service")]
    Audience,
    #[error("the token lacks a required claim")]
    MissingClaim,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token names a key the issuer does not publish")]
    UnknownKey,
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidSignature => TokenError::Signature,
            ErrorKind::InvalidIssuer => TokenError::Issuer,
            ErrorKind::InvalidAudience => TokenError::Audience,
            ErrorKind::MissingRequiredClaim(_) => TokenError::MissingClaim,
            ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::MissingAlgorithm => TokenError::Algorithm,
            // Bad base64, JSON or UTF-8, the wrong number of parts, a claim of the
            // wrong type: all a client's malformed token.
            _ => TokenError::Malformed,
        }
    }
}

/// The claims of an embedded token.
#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
}

/// Issues and checks the embedded endpoint's tokens.
pub(super) struct Signer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    audience: String,
    lifetime: Duration,
}

impl Signer {
    /// Signs with `key`; tokens are for `audience` and live `lifetime`.
    pub(super) fn new(key: &[u8], audience: &str, lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Issued and checked on one clock.
        validation.leeway = 0;
        Signer {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            audience: audience.to_owned(),
            lifetime,
        }
    }

    /// A token for `subject` (the client id) and its lifetime in seconds.
    pub(super) fn issue(
        &self,
        subject: &str,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let lifetime = self.lifetime.as_secs();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: subject.to_owned(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + lifetime,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, lifetime))
    }

    /// Whether `token` is one of ours, unexpired.
    pub(super) fn verify(&self, token: &str) -> Result<(), TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        Ok(())
    }
}

/// The scopes of an external token: `scope` (a space-separated string, as OAuth2 and
/// SAP Cloud Identity Services write it, or an array, as XSUAA does) or `scp`.
#[derive(Deserialize)]
struct ScopeClaims {
    #[serde(default)]
    scope: Option<Value>,
    #[serde(default)]
    scp: Option<Value>,
}

impl ScopeClaims {
    fn grants(&self, wanted: &str) -> bool {
        [&self.scope, &self.scp]
            .into_iter()
            .any(|claim| match claim {
                Some(Value::String(text)) => text.split_whitespace().any(|s| s == wanted),
                Some(Value::Array(items)) => items.iter().any(|s| s.as_str() == Some(wanted)),
                _ => false,
            })
    }
}

/// Checks tokens of an external issuer.
pub(super) struct PlatformVerifier {
    keys: KeyCache,
    /// The issuer as configured and with its trailing `/` added or removed: issuers
    /// are compared exactly, and the slash is the usual difference between what an
    /// administrator types and what the identity provider writes.
    issuers: [String; 2],
    audience: String,
    scope: Option<String>,
}

impl PlatformVerifier {
    pub(super) fn new(platform: PlatformAuth) -> Result<Self, reqwest::Error> {
        let issuer = platform.issuer;
        let other = match issuer.strip_suffix('/') {
            Some(bare) => bare.to_owned(),
            None => format!("{issuer}/"),
        };
        Ok(PlatformVerifier {
            keys: KeyCache::new(platform.jwks_url, platform.jwks_refetch_interval)?,
            issuers: [issuer, other],
            audience: platform.audience,
            scope: platform.scope,
        })
    }

    /// Whether `token` is signed by one of the issuer's keys, for this audience,
    /// unexpired, and carries the required scope.
    pub(super) async fn verify(&self, token: &str) -> Result<(), Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(TokenError::from)?;
        // Only asymmetric algorithms: an HS256 token "signed" with a public key must
        // never pass, and a token of another algorithm costs no key fetch.
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(TokenError::Algorithm.into());
        }
        let keys = self
            .keys
            .keys(header.kid.as_deref(), header.alg)
            .await
            .map_err(|e| match e {
                KeyError::Unknown => Refusal::Invalid(TokenError::UnknownKey),
                KeyError::Unavailable => Refusal::Unavailable,
            })?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&self.issuers);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = PLATFORM_LEEWAY_SECONDS;
        let mut failure = TokenError::Signature;
        for key in &keys {
            match jsonwebtoken::decode::<ScopeClaims>(token, key, &validation) {
                Ok(data) => {
                    return match &self.scope {
                        Some(scope) if !data.claims.grants(scope) => {
                            Err(Refusal::Scope(scope.clone()))
                        }
                        _ => Ok(()),
                    }
                }
                Err(error) => failure = error.into(),
            }
        }
        Err(failure.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tokens_verify_only_with_their_key_and_audience() {
        let key = [7u8; 32];
        let signer = Signer::new(&key, "/odata/v4/catalog", Duration::from_secs(60));
        let (token, expires_in) = signer.issue("sac").unwrap();
        assert_eq!(expires_in, 60);
        signer.verify(&token).unwrap();
        let other_key = Signer::new(&[8u8; 32], "/odata/v4/catalog", Duration::from_secs(60));
        assert!(matches!(
            other_key.verify(&token),
            Err(TokenError::Signature)
        ));
        let other_service = Signer::new(&key, "/odata/v4/other", Duration::from_secs(60));
        assert!(matches!(
            other_service.verify(&token),
            Err(TokenError::Audience)
        ));
        assert!(matches!(signer.verify("a.b.c"), Err(TokenError::Malformed)));
        assert!(matches!(
            signer.verify("nonsense"),
            Err(TokenError::Malformed)
        ));
    }

    #[test]
    fn scopes_come_as_a_string_or_an_array() {
        let claims = |json: Value| serde_json::from_value::<ScopeClaims>(json).unwrap();
        assert!(claims(serde_json::json!({"scope": "openid bridge.read"})).grants("bridge.read"));
        assert!(claims(serde_json::json!({"scope": ["app!t1.Read"]})).grants("app!t1.Read"));
        assert!(claims(serde_json::json!({"scp": ["bridge.read"]})).grants("bridge.read"));
        assert!(!claims(serde_json::json!({"scope": "bridge.readonly"})).grants("bridge.read"));
        assert!(!claims(serde_json::json!({"scope": 3})).grants("3"));
        assert!(!claims(serde_json::json!({})).grants("bridge.read"));
    }
}
