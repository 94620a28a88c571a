//! The OData server's PostgreSQL readers: the database itself ends a statement that
//! runs past the server's limit, so a request answered 503 for taking too long
//! leaves no query behind (checked on the real server with a short limit).

use std::time::Duration;

use cai_bridge::database_url::Database;

#[test]
fn a_statement_past_the_readers_limit_is_cancelled_by_the_server() {
    let rt = cai_bridge_tests::runtime();
    let server = cai_bridge_tests::postgres::Database::create();
    let Database::Postgres(pg) = server.bridge_database() else {
        unreachable!("a postgres:// URL");
    };
    let pool = cai_bridge::postgres::readers(&pg, 1, Duration::from_millis(200)).expect("a pool");
    rt.block_on(async {
        let client = cai_bridge::postgres::client(&pool, &pg)
            .await
            .expect("connects");
        let error = client
            .query("SELECT pg_sleep(30)", &[])
            .await
            .expect_err("cancelled");
        // 57014: query_canceled, as statement_timeout ends it.
        assert_eq!(
            error.as_db_error().map(|db| db.code().code()),
            Some("57014"),
            "{error:?}"
        );
        // A statement within the limit runs.
        let row = client.query_one("SELECT 1::int8", &[]).await.expect("runs");
        assert_eq!(row.get::<_, i64>(0), 1);
    });
}
