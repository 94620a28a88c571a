//! `serve` as users run it: it will not start without credentials, `--no-auth` says
//! what it gives away, and with every log on (`RUST_LOG=trace`) neither the client
//! secret, nor the signing key, nor an issued token shows in its output.

// Each test binary uses part of the shared helpers.
#[allow(dead_code)]
mod common;

use common::Serving;
use std::path::Path;
use std::process::{Command, Stdio};

const CLIENT_ID: &str = "sac-client";
const CLIENT_SECRET: &str = "client-secret-that-must-never-show-8d1c";
const SIGNING_KEY: &str = "signing-key-that-must-never-show-0123456789abcdef";

fn bridge() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cai-logs-bridge"));
    for (name, _) in std::env::vars() {
        if name.starts_with("BRIDGE_") || name.starts_with("CAI_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A small database, written by the demo.
fn database(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("bridge.db");
    let status = bridge()
        .args(["demo", "--quiet", "--once", "--addr", "127.0.0.1:0"])
        .args(["--conversations", "20", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .status()
        .expect("demo runs");
    assert!(status.success());
    db
}

#[test]
fn serve_without_credentials_exits_2_naming_the_variables() {
    let dir = tempfile::tempdir().expect("dir");
    let out = bridge()
        .args(["serve", "--db"])
        .arg(database(dir.path()))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in [
        "BRIDGE_CLIENT_ID",
        "BRIDGE_CLIENT_SECRET",
        "BRIDGE_CLIENT_SECRET_FILE",
        "BRIDGE_JWT_ISSUER",
        "--no-auth",
    ] {
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[test]
fn no_auth_serves_everyone_and_warns() {
    let dir = tempfile::tempdir().expect("dir");
    let mut command = bridge();
    command
        .args(["serve", "--no-auth", "--addr", "127.0.0.1:0", "--db"])
        .arg(database(dir.path()));
    let serving = Serving::start(command);
    let url = format!("{}Conversations?$top=1", serving.url);
    let status =
        runtime().block_on(async { reqwest::get(&url).await.expect("request").status().as_u16() });
    let (_, stderr) = serving.stop();
    assert_eq!(status, 200);
    assert!(stderr.contains("without authentication"), "{stderr}");
}

#[test]
fn secrets_and_tokens_stay_out_of_the_output_even_at_trace() {
    let dir = tempfile::tempdir().expect("dir");
    let mut command = bridge();
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(database(dir.path()))
        .env("BRIDGE_CLIENT_ID", CLIENT_ID)
        .env("BRIDGE_CLIENT_SECRET", CLIENT_SECRET)
        .env("BRIDGE_SIGNING_KEY", SIGNING_KEY)
        .env("RUST_LOG", "trace");
    let serving = Serving::start(command);
    let base = serving.url.clone();
    let token_url = format!(
        "{}/oauth/token",
        base.split("/odata/").next().expect("a service URL")
    );
    let tokens = runtime().block_on(async {
        let http = reqwest::Client::new();
        let grant = [("grant_type", "client_credentials")];
        let mut tokens = Vec::new();
        for request in [
            http.post(&token_url)
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&grant),
            http.post(&token_url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ]),
        ] {
            let answer = request.send().await.expect("token request");
            assert_eq!(answer.status(), 200);
            let body: cai_bridge::serde_json::Value = answer.json().await.expect("JSON");
            tokens.push(body["access_token"].as_str().expect("a token").to_owned());
        }
        let wrong = http
            .post(&token_url)
            .basic_auth(CLIENT_ID, Some(format!("{CLIENT_SECRET}-not")))
            .form(&grant)
            .send()
            .await
            .expect("token request");
        assert_eq!(wrong.status(), 401);
        for token in &tokens {
            let page = http
                .get(format!("{base}MessageFacts?$top=2"))
                .bearer_auth(token)
                .send()
                .await
                .expect("query");
            assert_eq!(page.status(), 200);
            // The token with its signature cut: refused, and logged as refused.
            let cut = &token[..token.len() - 4];
            let refused = http
                .get(format!("{base}Conversations"))
                .bearer_auth(cut)
                .send()
                .await
                .expect("query");
            assert_eq!(refused.status(), 401);
        }
        tokens
    });
    let (stdout, stderr) = serving.stop();
    // The logs were on (nothing on these paths logs below debug), and on the paths
    // that handle the secrets.
    assert!(stderr.contains("DEBUG"), "{stderr}");
    assert!(stderr.contains("issued an access token"), "{stderr}");
    assert!(stderr.contains("request refused"), "{stderr}");
    let all = format!("{stdout}\n{stderr}");
    assert!(!all.contains(CLIENT_SECRET), "the client secret leaked");
    assert!(!all.contains(SIGNING_KEY), "the signing key leaked");
    for token in &tokens {
        let signature = token.rsplit('.').next().expect("a JWS");
        assert!(!all.contains(signature), "a token leaked");
    }
}
