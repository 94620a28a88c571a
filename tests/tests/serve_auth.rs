//! Authentication of the OData server over real HTTP on loopback, in both modes: the
//! embedded token endpoint and its tokens, and an external issuer's tokens checked
//! against a JWKS this test serves itself (with a key added later, as an issuer
//! rotates keys). Tokens are forged here with ring, independently of the server's
//! JWT library: expired, wrongly signed, for another issuer or audience, without the
//! scope. Every refusal is a 4xx with a `WWW-Authenticate` challenge and an OData
//! error body; the health probes answer without a token.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cai_bridge::serve::{Auth, EmbeddedAuth, ODataServer, PlatformAuth};
use cai_bridge::settings::Secret;
use cai_bridge_tests::differential::{database, loopback};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use serde_json::{json, Value};

const CLIENT_ID: &str = "sac-client";
const CLIENT_SECRET: &str = "correct horse battery staple";
const SIGNING_KEY: &str = "a signing key of the test, 32+ bytes long";
const SERVICE: &str = "/odata/v4/catalog";

/// One answer: status, `WWW-Authenticate`, body as JSON (or a string).
struct Answer {
    status: u16,
    challenge: Option<String>,
    body: Value,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        challenge,
        body,
    }
}

async fn get(url: &str, token: Option<&str>) -> Answer {
    let request = reqwest::Client::new().get(url);
    send(match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    })
    .await
}

/// A 401 (or `status`) with the OData error shape, a Bearer challenge, and nothing
/// of the token in the body.
fn assert_refused(answer: &Answer, status: u16, challenge: &str, token: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.body);
    assert_eq!(answer.challenge.as_deref(), Some(challenge), "{what}");
    let error = &answer.body["error"];
    assert!(
        error["code"].is_string() && error["message"].is_string(),
        "{what}: {}",
        answer.body
    );
    let body = answer.body.to_string();
    assert!(token.is_empty() || !body.contains(token), "{what}: {body}");
    assert!(
        !body.contains(CLIENT_SECRET) && !body.contains(SIGNING_KEY),
        "{what}"
    );
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS of `header` and `claims`, signed by `sign`.
fn jwt(header: &Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = sign(message.as_bytes());
    format!("{message}.{}", b64(&signature))
}

fn hs256(key: &str, claims: &Value) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    jwt(&json!({"alg": "HS256", "typ": "JWT"}), claims, |m| {
        ring::hmac::sign(&key, m).as_ref().to_vec()
    })
}

fn embedded_claims(exp: u64) -> Value {
    json!({"iss": "cai-bridge", "sub": CLIENT_ID, "aud": SERVICE, "iat": now(), "exp": exp})
}

/// The claims of a token the server issued.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

async fn start(db: &std::path::Path, auth: Auth) -> ODataServer {
    ODataServer::start(
        &cai_logs_bridge::artifacts(),
        &cai_bridge::database_url::Database::Sqlite(db.to_owned()),
        loopback(),
        auth,
    )
    .await
    .expect("serves")
}

#[test]
fn embedded_mode_issues_tokens_and_requires_them() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let auth = EmbeddedAuth::new(CLIENT_ID, Secret::new(CLIENT_SECRET))
        .with_signing_key(Secret::new(SIGNING_KEY))
        .expect("a long key");
    rt.block_on(async {
        let server = start(&db, Auth::Embedded(auth)).await;
        let base = server.url();
        let token_url = server.token_url().expect("a token endpoint");
        let http = reqwest::Client::new();
        let grant = [("grant_type", "client_credentials")];

        // Right credentials, by Basic and in the body.
        let basic = send(
            http.post(&token_url)
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&grant),
        )
        .await;
        assert_eq!(basic.status, 200, "{}", basic.body);
        assert_eq!(basic.body["token_type"], "bearer");
        assert_eq!(basic.body["expires_in"], 3600);
        let token = basic.body["access_token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let claims = claims_of(&token);
        assert_eq!(claims["iss"], "cai-bridge");
        assert_eq!(claims["aud"], SERVICE);
        assert_eq!(claims["sub"], CLIENT_ID);
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            3600
        );
        let in_body = send(http.post(&token_url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]))
        .await;
        assert_eq!(in_body.status, 200, "{}", in_body.body);

        // The endpoint's refusals, as RFC 6749 says.
        let wrong_secret = send(
            http.post(&token_url)
                .basic_auth(CLIENT_ID, Some("wrong"))
                .form(&grant),
        )
        .await;
        assert_eq!(wrong_secret.status, 401);
        assert_eq!(wrong_secret.body["error"], "invalid_client");
        assert!(wrong_secret
            .challenge
            .as_deref()
            .is_some_and(|c| c.starts_with("Basic")));
        let wrong_in_body = send(http.post(&token_url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
        ]))
        .await;
        assert_eq!(wrong_in_body.status, 401);
        assert_eq!(wrong_in_body.body["error"], "invalid_client");
        let anonymous = send(http.post(&token_url).form(&grant)).await;
        assert_eq!(anonymous.body["error"], "invalid_client");
        let password = send(
            http.post(&token_url)
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[("grant_type", "password")]),
        )
        .await;
        assert_eq!(password.status, 400);
        assert_eq!(password.body["error"], "unsupported_grant_type");
        let no_grant = send(
            http.post(&token_url)
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[("scope", "x")]),
        )
        .await;
        assert_eq!(no_grant.status, 400);
        assert_eq!(no_grant.body["error"], "invalid_request");
        let as_get = get(&token_url, None).await;
        assert_eq!(as_get.status, 405);

        // OData: only with a valid token.
        let set = format!("{base}Conversations?$top=2");
        let no_token = get(&set, None).await;
        assert_refused(&no_token, 401, "Bearer", "", "no token");
        let invalid = r#"Bearer error="invalid_token""#;
        assert_refused(
            &get(&set, Some("not-a-jwt")).await,
            401,
            invalid,
            "not-a-jwt",
            "malformed",
        );
        let expired = hs256(SIGNING_KEY, &embedded_claims(now() - 120));
        let answer = get(&set, Some(&expired)).await;
        assert_eq!(answer.status, 401);
        assert!(answer
            .challenge
            .as_deref()
            .is_some_and(|c| c.starts_with(invalid)));
        assert!(answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")));
        let cases = [
            (
                "wrong signature",
                hs256(
                    "another key, also 32 bytes long!!",
                    &embedded_claims(now() + 600),
                ),
            ),
            ("wrong issuer", {
                let mut claims = embedded_claims(now() + 600);
                claims["iss"] = "someone-else".into();
                hs256(SIGNING_KEY, &claims)
            }),
            ("wrong audience", {
                let mut claims = embedded_claims(now() + 600);
                claims["aud"] = "/odata/v4/other".into();
                hs256(SIGNING_KEY, &claims)
            }),
            ("no expiry", {
                let mut claims = embedded_claims(0);
                claims.as_object_mut().unwrap().remove("exp");
                hs256(SIGNING_KEY, &claims)
            }),
            (
                "alg none",
                format!(
                    "{}.{}.",
                    b64(br#"{"alg":"none"}"#),
                    b64(embedded_claims(now() + 600).to_string().as_bytes())
                ),
            ),
        ];
        for (what, bad) in &cases {
            assert_refused(&get(&set, Some(bad)).await, 401, invalid, bad, what);
        }
        let basic_header = send(http.get(&set).basic_auth(CLIENT_ID, Some(CLIENT_SECRET))).await;
        assert_refused(&basic_header, 401, "Bearer", "", "Basic instead of Bearer");

        let page = get(&set, Some(&token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["value"].as_array().map(Vec::len), Some(2));
        let forged = hs256(SIGNING_KEY, &embedded_claims(now() + 600));
        assert_eq!(get(&set, Some(&forged)).await.status, 200, "the key signs");
        for path in ["", "$metadata", "Conversations/$count", "Nope"] {
            let answer = get(&format!("{base}{path}"), None).await;
            assert_eq!(answer.status, 401, "{path} without a token");
        }
        assert_eq!(
            get(&format!("{base}$metadata"), Some(&token)).await.status,
            200
        );
        assert_eq!(get(&format!("{base}Nope"), Some(&token)).await.status, 404);

        assert_health(server.local_addr()).await;
        server.shutdown().await;
    });
}

/// The probes answer `{"status":"ok"}` without a token, and nothing more.
async fn assert_health(addr: SocketAddr) {
    for probe in ["live", "ready"] {
        let answer = get(&format!("http://{addr}/health/{probe}"), None).await;
        assert_eq!(answer.status, 200, "{probe}");
        assert_eq!(answer.body, json!({"status": "ok"}), "{probe}");
    }
}

/// A JWKS endpoint whose keys the test changes, counting its requests.
struct Jwks {
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
    url: String,
}

async fn jwks_server(keys: Vec<Value>) -> Jwks {
    let keys = Arc::new(Mutex::new(keys));
    let hits = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/keys",
        axum::routing::get({
            let (keys, hits) = (Arc::clone(&keys), Arc::clone(&hits));
            move || async move {
                hits.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({ "keys": *keys.lock().unwrap() }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(loopback())
        .await
        .expect("binds");
    let url = format!("http://{}/keys", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Jwks { keys, hits, url }
}

const ISSUER: &str = "https://issuer.example.test";
const AUDIENCE: &str = "sac-bridge";

fn rsa_key() -> RsaKeyPair {
    let der = std::fs::read(
        cai_bridge_tests::repo().join("tests/fixtures/auth/rsa-2048-test-only.pkcs1.der"),
    )
    .expect("the test RSA key");
    RsaKeyPair::from_der(&der).expect("PKCS#1")
}

fn rsa_jwk(key: &RsaKeyPair, kid: &str) -> Value {
    let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(key.public());
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&public.n), "e": b64(&public.e)})
}

fn rs256(key: &RsaKeyPair, kid: &str, claims: &Value) -> String {
    jwt(
        &json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
        claims,
        |m| {
            let mut signature = vec![0; key.public().modulus_len()];
            key.sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                m,
                &mut signature,
            )
            .expect("signs");
            signature
        },
    )
}

fn ec_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("generates");
    EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("PKCS#8")
}

fn ec_jwk(key: &EcdsaKeyPair, kid: &str) -> Value {
    // An uncompressed point: 0x04, x, y.
    let point = key.public_key().as_ref();
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(&point[1..33]), "y": b64(&point[33..])})
}

fn es256(key: &EcdsaKeyPair, kid: &str, claims: &Value) -> String {
    jwt(&json!({"alg": "ES256", "kid": kid}), claims, |m| {
        key.sign(&SystemRandom::new(), m)
            .expect("signs")
            .as_ref()
            .to_vec()
    })
}

fn platform_claims() -> Value {
    // The audience among others, as XSUAA writes it; the issuer without the
    // trailing slash it is configured with.
    json!({"iss": ISSUER, "sub": "sac", "aud": [AUDIENCE, "other"], "iat": now(),
           "exp": now() + 600, "scope": "openid bridge.read"})
}

#[test]
fn platform_mode_checks_an_external_issuers_tokens() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let rsa = rsa_key();
    rt.block_on(async {
        let jwks = jwks_server(vec![rsa_jwk(&rsa, "rsa-1")]).await;
        let interval = Duration::from_millis(400);
        let auth = PlatformAuth::new(format!("{ISSUER}/"), AUDIENCE, &jwks.url)
            .expect("settings")
            .with_scope("bridge.read")
            .with_jwks_refetch_interval(interval);
        let server = start(&db, Auth::Platform(auth)).await;
        let set = format!("{}Conversations?$top=1", server.url());
        let invalid = r#"Bearer error="invalid_token""#;

        assert_refused(&get(&set, None).await, 401, "Bearer", "", "no token");
        assert_eq!(jwks.hits.load(Ordering::SeqCst), 0, "no token, no fetch");
        let good = rs256(&rsa, "rsa-1", &platform_claims());
        let page = get(&set, Some(&good)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["value"].as_array().map(Vec::len), Some(1));
        assert_eq!(jwks.hits.load(Ordering::SeqCst), 1);
        let scp = {
            let mut claims = platform_claims();
            let claims_map = claims.as_object_mut().unwrap();
            claims_map.remove("scope");
            claims_map.insert("scp".into(), json!(["bridge.read"]));
            rs256(&rsa, "rsa-1", &claims)
        };
        assert_eq!(get(&set, Some(&scp)).await.status, 200, "scp array");

        let with = |change: &dyn Fn(&mut Value)| {
            let mut claims = platform_claims();
            change(&mut claims);
            rs256(&rsa, "rsa-1", &claims)
        };
        let tampered = {
            let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
            let mut claims = platform_claims();
            claims["sub"] = "admin".into();
            parts[1] = b64(claims.to_string().as_bytes());
            parts.join(".")
        };
        let cases = [
            ("malformed", "a.b.c".to_owned()),
            ("expired", with(&|c| c["exp"] = (now() - 600).into())),
            ("not yet valid", with(&|c| c["nbf"] = (now() + 600).into())),
            ("wrong signature", tampered),
            (
                "wrong issuer",
                with(&|c| c["iss"] = "https://evil.example.test".into()),
            ),
            (
                "wrong audience",
                with(&|c| c["aud"] = "someone-else".into()),
            ),
            (
                "no audience",
                with(&|c| {
                    c.as_object_mut().unwrap().remove("aud");
                }),
            ),
            (
                "HS256",
                hs256("any key at all, 32 bytes or more!", &platform_claims()),
            ),
        ];
        for (what, bad) in &cases {
            let answer = get(&set, Some(bad)).await;
            assert_eq!(answer.status, 401, "{what}: {}", answer.body);
            assert!(
                answer
                    .challenge
                    .as_deref()
                    .is_some_and(|c| c.starts_with(invalid)),
                "{what}"
            );
            assert!(!answer.body.to_string().contains(bad.as_str()), "{what}");
        }
        let no_scope = with(&|c| c["scope"] = "openid bridge.readonly".into());
        assert_refused(
            &get(&set, Some(&no_scope)).await,
            403,
            r#"Bearer error="insufficient_scope", scope="bridge.read""#,
            &no_scope,
            "missing scope",
        );

        // Key rotation: a token of a key the set does not hold yet is refused; once
        // the issuer publishes the key, it is fetched and the token accepted.
        let ec = ec_key();
        let rotated = es256(&ec, "ec-2", &platform_claims());
        tokio::time::sleep(interval).await;
        assert_refused(
            &get(&set, Some(&rotated)).await,
            401,
            invalid,
            &rotated,
            "unknown kid",
        );
        jwks.keys.lock().unwrap().push(ec_jwk(&ec, "ec-2"));
        tokio::time::sleep(interval).await;
        let answer = get(&set, Some(&rotated)).await;
        assert_eq!(answer.status, 200, "the new key: {}", answer.body);
        assert_eq!(
            get(&set, Some(&good)).await.status,
            200,
            "the old key still"
        );

        // A flood of made-up kids costs the issuer one fetch, not one each.
        let before = jwks.hits.load(Ordering::SeqCst);
        let flood = std::time::Instant::now();
        for i in 0..20 {
            let kid = format!("made-up-{i}");
            let answer = get(&set, Some(&es256(&ec, &kid, &platform_claims()))).await;
            assert_eq!(answer.status, 401, "{kid}");
        }
        let fetches = jwks.hits.load(Ordering::SeqCst) - before;
        // One per interval at most, however slow the machine.
        let allowed = 1 + flood.elapsed().as_millis() / interval.as_millis();
        assert!(
            fetches as u128 <= allowed,
            "{fetches} fetches for 20 unknown kids"
        );

        // No token endpoint in platform mode.
        let addr = server.local_addr();
        let token_request = reqwest::Client::new()
            .post(format!("http://{addr}/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("grant_type", "client_credentials")]);
        assert_eq!(send(token_request).await.status, 401);
        assert!(server.token_url().is_none());
        assert_health(addr).await;
        server.shutdown().await;
    });
}

/// When the issuer's keys cannot be had at all, a token cannot be checked: the server
/// says so with a 503 (its fault, not the client's), never lets the request through.
#[test]
fn without_the_issuers_keys_nothing_is_let_through() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    database(&rt, &db);
    let rsa = rsa_key();
    rt.block_on(async {
        // A port that was free a moment ago: nothing listens there.
        let closed = std::net::TcpListener::bind(loopback()).expect("binds");
        let url = format!("http://{}/keys", closed.local_addr().expect("address"));
        drop(closed);
        let auth = PlatformAuth::new(ISSUER, AUDIENCE, url).expect("settings");
        let server = start(&db, Auth::Platform(auth)).await;
        let set = format!("{}Conversations?$top=1", server.url());
        let token = rs256(&rsa, "rsa-1", &platform_claims());
        let answer = get(&set, Some(&token)).await;
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(answer.body["error"]["message"].is_string());
        assert_health(server.local_addr()).await;
        server.shutdown().await;
    });
}
