//! The OData server facing a network: requests built to exceed SQLite's limits are
//! answered 4xx or 200 (never 5xx), a client that stalls mid-request or idles is cut
//! off, a flood of connections cannot exhaust the server, and a database on a
//! read-only volume is served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cai_bridge::serve::ODataServer;
use cai_bridge_tests::differential::{loopback, ours, serve_database};

#[test]
fn requests_past_sqlites_limits_are_answered_without_a_5xx() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let base = server.url();
    // More terms than SQLite's expression depth of 1000, within the 8 KiB filter
    // limit: SQLite would nest a flat chain one level per term.
    for (op, term) in [("or", "true"), ("and", "true"), ("or", "nlp_status eq 1")] {
        let fits = 8 * 1024 / (term.len() + op.len() + 2);
        let chain = vec![term; fits].join(&format!(" {op} "));
        let answer = ours(&rt, &base, &format!("Messages?$filter={chain}&$top=1"));
        assert_eq!(answer["status"], 200, "{op} chain of {fits}: {answer}");
        let longer = vec![term; fits * 2].join(&format!(" {op} "));
        let answer = ours(&rt, &base, &format!("Messages?$filter={longer}&$top=1"));
        assert_eq!(
            answer["status"],
            400,
            "{op} chain of {}: {answer}",
            fits * 2
        );
    }
    // 1,999 $orderby items (each property many times) plus the keys CAP appends.
    let items = ["received_at", "message_id desc", "nlp_status"];
    let orderby: Vec<&str> = items.iter().cycle().take(1999).copied().collect();
    let answer = ours(
        &rt,
        &base,
        &format!("Messages?$orderby={}&$top=2", orderby.join(",")),
    );
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["count"], 2, "{answer}");
    rt.block_on(server.shutdown());
}

#[test]
fn a_stalled_request_is_cut_off() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let mut half = TcpStream::connect(server.local_addr()).expect("connects");
    half.write_all(b"GET /odata/v4/catalog/Conver")
        .expect("writes");
    half.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut rest = Vec::new();
    // The server closes it (an EOF, maybe after a 408) well before the 60 s here.
    let started = std::time::Instant::now();
    let _ = half.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "a half request line held the connection for {:?}",
        started.elapsed()
    );
    rt.block_on(server.shutdown());
}

#[test]
fn a_flood_of_idle_connections_is_bounded_and_passes() {
    let rt = cai_bridge_tests::runtime();
    let (_dir, server) = serve_database(&rt);
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(server.local_addr()).expect("connects"))
        .collect();
    // Past the limit, connections are closed at once: reading them ends.
    let closed = idle
        .iter()
        .filter(|stream| {
            let mut stream = *stream;
            stream
                .set_read_timeout(Some(Duration::from_millis(200)))
                .expect("timeout");
            matches!(stream.read(&mut [0u8; 16]), Ok(0))
        })
        .count();
    assert!(
        closed >= 300 - 256,
        "only {closed} of 300 idle connections closed"
    );
    drop(idle);
    // Once the idle ones are gone, requests are answered as ever.
    let answer = ours(&rt, &server.url(), "Conversations/$count");
    assert_eq!(answer["status"], 200, "{answer}");
    rt.block_on(server.shutdown());
}

/// On a read-only volume SQLite cannot create the WAL index (`-shm`) a reader of a WAL
/// database needs; here a folder in its place has the same effect for root.
#[test]
fn a_database_that_cannot_be_written_beside_is_served() {
    let rt = cai_bridge_tests::runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bridge.db");
    cai_bridge_tests::differential::database(&rt, &db);
    assert!(
        !dir.path().join("bridge.db-shm").exists(),
        "the loader left its -shm"
    );
    std::fs::create_dir(dir.path().join("bridge.db-shm")).expect("a folder in its place");
    let server = rt
        .block_on(ODataServer::start(
            &cai_logs_bridge::artifacts(),
            &cai_bridge::database_url::Database::Sqlite(db.clone()),
            loopback(),
            cai_bridge::serve::Auth::Disabled,
        ))
        .expect("serves a file it cannot write beside");
    let answer = ours(&rt, &server.url(), "Conversations?$count=true&$top=1");
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["odataCount"], 300, "{answer}");
    rt.block_on(server.shutdown());
}
