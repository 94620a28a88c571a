//! TLS to PostgreSQL as a managed database needs it, against a server of the test's
//! own that takes only TLS and a password: `verify-full` checks the chain and the
//! name, `verify-ca` the chain only, `require` neither; a server the CA did not sign
//! or a name it does not hold is refused; and no error shows the password.

use cai_bridge::database_url::Database;
use cai_bridge::load::{Foreign, Store};
use cai_bridge_tests::postgres_tls::{TlsServer, PASSWORD};

/// Opens the bridge's store on `url` with the password from the environment's
/// way (`DATABASE_PASSWORD`), as a pod with a Secret does: the error's text if it fails.
fn open(rt: &tokio::runtime::Runtime, url: &str, password: &str) -> Result<(), String> {
    let artifacts = cai_logs_bridge::artifacts();
    let db = Database::resolve(Some(url), |name| {
        (name == "DATABASE_PASSWORD").then(|| password.to_owned())
    })
    .map_err(|e| e.to_string())?
    .expect("named");
    Store::open(rt, &db, &artifacts, Foreign::Refuse)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[test]
fn tls_is_verified_as_sslmode_asks() {
    let rt = cai_bridge_tests::runtime();
    let server = TlsServer::start();
    let ca = server.ca();
    let ca = ca.display();

    open(
        &rt,
        &server.url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        PASSWORD,
    )
    .expect("verify-full: the CA signed it, for localhost");
    open(
        &rt,
        &server.url("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
        PASSWORD,
    )
    .expect("verify-ca: the chain is enough");
    open(&rt, &server.url("127.0.0.1", "sslmode=require"), PASSWORD)
        .expect("require: encrypted, unverified");

    let wrong_name = open(
        &rt,
        &server.url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        PASSWORD,
    )
    .expect_err("the certificate is for localhost, not 127.0.0.1");
    assert!(wrong_name.contains("certificate"), "{wrong_name}");
    let unknown_ca = open(
        &rt,
        &server.url("localhost", "sslmode=verify-full"),
        PASSWORD,
    )
    .expect_err("the Mozilla roots did not sign it");
    assert!(unknown_ca.contains("certificate"), "{unknown_ca}");
    let plain = open(&rt, &server.url("127.0.0.1", "sslmode=disable"), PASSWORD)
        .expect_err("the server takes TLS only");
    assert!(plain.contains("127.0.0.1"), "names where: {plain}");

    let refused = open(
        &rt,
        &server.url(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        "not-the-password",
    )
    .expect_err("a wrong password");
    assert!(refused.contains("password"), "{refused}");
    let in_url = format!(
        "postgres://postgres:hunter2-in-url@localhost:{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        server.port
    );
    let refused = open(&rt, &in_url, "").expect_err("a wrong password in the URL");
    assert!(
        !refused.contains("hunter2"),
        "the password shows: {refused}"
    );
}
