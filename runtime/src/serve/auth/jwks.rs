//! The issuer's signing keys (its JWKS), fetched on first use and cached. A token that
//! names an unknown `kid` makes the cache fetch the set anew, since issuers rotate
//! keys by publishing a new one; but at most once per refetch interval, so a flood of
//! made-up `kid`s costs the issuer one request, not one each. One fetch runs at a
//! time; requests that need it wait for its result instead of fetching again.

use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

/// How long a fetched set is trusted before the next token makes the cache fetch it
/// again: keys the issuer withdrew stop being accepted within this time.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// Connect and read timeout of one fetch: a request waiting for the keys waits at
/// most this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why no key fits a token.
#[derive(Debug, thiserror::Error)]
pub(super) enum KeyError {
    /// The set holds no key of that `kid` and algorithm.
    #[error("no such key in the issuer's key set")]
    Unknown,
    /// The set could never be fetched, so nothing can be checked.
    #[error("the issuer's key set has not been fetched")]
    Unavailable,
}

/// Why a fetch failed (logged; the last good set stays in use).
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
    #[error("the answer is not a JWKS: {0}")]
    Json(serde_json::Error),
}

/// One usable key of the set.
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

#[derive(Default)]
struct State {
    keys: Vec<Key>,
    /// When the set was last fetched successfully.
    fetched: Option<Instant>,
    /// When a fetch was last started, successful or not.
    attempted: Option<Instant>,
}

/// The cached key set of one JWKS URL.
pub(super) struct KeyCache {
    url: String,
    http: reqwest::Client,
    refetch_interval: Duration,
    state: RwLock<State>,
    fetching: tokio::sync::Mutex<()>,
}

/// What the cache holds for one token, and whether a fetch may help.
struct Lookup {
    keys: Vec<DecodingKey>,
    loaded: bool,
    stale: bool,
    may_fetch: bool,
}

impl Lookup {
    fn settled(&self) -> bool {
        (!self.keys.is_empty() && !self.stale) || !self.may_fetch
    }

    fn result(self) -> Result<Vec<DecodingKey>, KeyError> {
        match (self.keys.is_empty(), self.loaded) {
            (false, _) => Ok(self.keys),
            (true, true) => Err(KeyError::Unknown),
            (true, false) => Err(KeyError::Unavailable),
        }
    }
}

impl KeyCache {
    pub(super) fn new(url: String, refetch_interval: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!("cai-bridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(KeyCache {
            url,
            http,
            refetch_interval,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// The keys that may have signed a token of `alg` naming `kid` (all keys of `alg`
    /// when it names none).
    pub(super) async fn keys(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<DecodingKey>, KeyError> {
        let lookup = self.lookup(kid, alg);
        if lookup.settled() {
            return lookup.result();
        }
        let _one_fetch = self.fetching.lock().await;
        // Another request may have fetched while this one waited.
        let lookup = self.lookup(kid, alg);
        if lookup.settled() {
            return lookup.result();
        }
        self.refresh().await;
        self.lookup(kid, alg).result()
    }

    fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> Lookup {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let keys = state
            .keys
            .iter()
            .filter(|k| k.alg == alg && (kid.is_none() || k.kid.as_deref() == kid))
            .map(|k| k.key.clone())
            .collect();
        Lookup {
            keys,
            loaded: state.fetched.is_some(),
            stale: state.fetched.is_none_or(|t| t.elapsed() >= MAX_AGE),
            may_fetch: state
                .attempted
                .is_none_or(|t| t.elapsed() >= self.refetch_interval),
        }
    }

    async fn refresh(&self) {
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .attempted = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::debug!(url = %self.url, keys = keys.len(), "fetched the issuer's keys");
                if keys.is_empty() {
                    tracing::warn!(url = %self.url, "the issuer's key set holds no RS256 or ES256 signing key");
                }
                let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
                state.keys = keys;
                state.fetched = Some(Instant::now());
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "cannot fetch the issuer's keys; keeping the last good set");
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<Key>, FetchError> {
        let response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let body = response.bytes().await?;
        parse(&body).map_err(FetchError::Json)
    }
}

/// A key set as RFC 7517 writes it; keys are read one by one, so that a key of a kind
/// not used here (an encryption key, another curve) does not spoil the others.
#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn parse(body: &[u8]) -> Result<Vec<Key>, serde_json::Error> {
    let set: KeySet = serde_json::from_slice(body)?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok()?.key())
        .collect())
}

impl Jwk {
    /// The key, if it is an RS256 or ES256 (P-256) signing key.
    fn key(self) -> Option<Key> {
        if self.usage.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        let (alg, key) = match (self.kty.as_str(), self.alg.as_deref()) {
            ("RSA", None | Some("RS256")) => (
                Algorithm::RS256,
                DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok()?,
            ),
            ("EC", None | Some("ES256")) if self.crv.as_deref() == Some("P-256") => (
                Algorithm::ES256,
                DecodingKey::from_ec_components(self.x.as_deref()?, self.y.as_deref()?).ok()?,
            ),
            _ => return None,
        };
        Some(Key {
            kid: self.kid,
            alg,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rs256_and_es256_signing_keys_are_kept() {
        let body = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r", "use": "sig", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": "sXch", "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "no-modulus", "e": "AQAB"},
            "not a key"
        ]});
        let keys = parse(body.to_string().as_bytes()).unwrap();
        let kept: Vec<(Option<&str>, Algorithm)> =
            keys.iter().map(|k| (k.kid.as_deref(), k.alg)).collect();
        assert_eq!(
            kept,
            [(Some("r"), Algorithm::RS256), (Some("e"), Algorithm::ES256)]
        );
        assert!(parse(b"{\"nokeys\": []}").is_err());
    }
}
