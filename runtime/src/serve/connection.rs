//! One connection of the reader pool, SQLite or PostgreSQL, behind the few calls the
//! read layer makes: run a query and hand each row to the writer, or read one number.
//! The SQL is the same text for both (spelled for the backend by the catalog's
//! `Dialect`), with plain `?` placeholders so that fragments concatenate; for
//! PostgreSQL they are numbered `$1, $2, …` here, once the text is whole.
//!
//! A row's values are read as SQLite's [`ValueRef`]s on either backend, so that one
//! writer turns them into JSON: SQLite's straight from the statement (no copy, the
//! benchmarked path), PostgreSQL's decoded into [`Value`]s first (see [`pg_value`]).
//! PostgreSQL runs on the async client, waited for on the blocking thread the read
//! runs on.

use std::borrow::Cow;

use axum::http::StatusCode;
use rusqlite::types::{Value, ValueRef};

use super::error::ODataError;
use super::pg_value::{Cell, Param, Refused};

/// A connection to read from.
#[derive(Clone, Copy)]
pub enum Connection<'a> {
    /// A read-only SQLite connection.
    Sqlite(&'a rusqlite::Connection),
    /// A pooled PostgreSQL client.
    Postgres(&'a deadpool_postgres::ClientWrapper),
}

/// One row of a result.
pub enum Row<'r> {
    /// SQLite's, read in place.
    Sqlite(&'r rusqlite::Row<'r>),
    /// PostgreSQL's, decoded.
    Postgres(&'r [Value]),
}

impl Row<'_> {
    /// The value of column `n` (0-based).
    pub fn get(&self, n: usize) -> Result<ValueRef<'_>, ODataError> {
        match self {
            Row::Sqlite(row) => row.get_ref(n).map_err(|e| ODataError::internal(&e)),
            Row::Postgres(values) => values
                .get(n)
                .map(ValueRef::from)
                .ok_or_else(|| ODataError::internal(&format!("no column {n} in the row"))),
        }
    }
}

impl Connection<'_> {
    /// Runs `sql` with `params` and hands each row to `each` while it answers `true`.
    pub fn rows(
        &self,
        sql: &str,
        params: &[Value],
        mut each: impl FnMut(&Row<'_>) -> Result<bool, ODataError>,
    ) -> Result<(), ODataError> {
        match self {
            Connection::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql).map_err(sqlite_failed)?;
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params.iter()))
                    .map_err(sqlite_failed)?;
                while let Some(row) = rows.next().map_err(sqlite_failed)? {
                    if !each(&Row::Sqlite(row))? {
                        break;
                    }
                }
                Ok(())
            }
            Connection::Postgres(client) => {
                let rows = pg_query(client, sql, params)?;
                let mut values = Vec::new();
                for row in &rows {
                    values.clear();
                    for n in 0..row.len() {
                        let Cell(value) = row.try_get(n).map_err(pg_failed)?;
                        values.push(value);
                    }
                    if !each(&Row::Postgres(&values))? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// The first `width` values of the first row of `sql`, if there is one.
    pub fn first(
        &self,
        sql: &str,
        params: &[Value],
        width: usize,
    ) -> Result<Option<Vec<Value>>, ODataError> {
        let mut first = None;
        self.rows(sql, params, |row| {
            first = Some(
                (0..width)
                    .map(|n| row.get(n).map(Value::from))
                    .collect::<Result<Vec<_>, _>>()?,
            );
            Ok(false)
        })?;
        Ok(first)
    }

    /// The integer `sql` gives (a count).
    pub fn number(&self, sql: &str, params: &[Value]) -> Result<i64, ODataError> {
        let mut number = None;
        self.rows(sql, params, |row| {
            if let ValueRef::Integer(n) = row.get(0)? {
                number = Some(n);
            }
            Ok(false)
        })?;
        number.ok_or_else(|| ODataError::internal(&format!("no number from {sql}")))
    }
}

/// Runs `sql` on PostgreSQL, its statement prepared once per connection.
fn pg_query(
    client: &deadpool_postgres::ClientWrapper,
    sql: &str,
    params: &[Value],
) -> Result<Vec<tokio_postgres::Row>, ODataError> {
    let sql = numbered(sql);
    let params: Vec<Param<'_>> = params.iter().map(Param).collect();
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    tokio::runtime::Handle::current().block_on(async {
        let statement = client.prepare_cached(&sql).await.map_err(pg_failed)?;
        client.query(&statement, &refs).await.map_err(pg_failed)
    })
}

/// `sql` with its `?`s numbered as PostgreSQL writes parameters. Quoted text (a
/// string or a quoted name) is left as it is.
fn numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut quote = None;
    let mut n = 0;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '?') => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// A failed SQLite read: a 500, except for a sum past 64 bits (SQLite refuses it),
/// which only a narrower request can avoid.
pub(super) fn sqlite_failed(error: rusqlite::Error) -> ODataError {
    match &error {
        rusqlite::Error::SqliteFailure(_, Some(message)) if message == "integer overflow" => {
            overflow()
        }
        _ => ODataError::internal(&error),
    }
}

fn overflow() -> ODataError {
    ODataError::bad_request(
        "a sum does not fit into 64 bits; sum fewer rows (filter first) or a smaller property",
    )
}

/// A failed PostgreSQL read: the client's (400) when PostgreSQL found fault with a
/// value (SQLSTATE class 22, a data exception: a number out of range, text that is
/// not a timestamp) or a value did not fit the column it is compared with; else a 500.
fn pg_failed(error: tokio_postgres::Error) -> ODataError {
    if let Some(db) = error.as_db_error() {
        if db.code().code().starts_with("22") {
            if db.code() == &tokio_postgres::error::SqlState::NUMERIC_VALUE_OUT_OF_RANGE {
                return ODataError::bad_request(format!(
                    "{}; compare with a smaller number, or sum fewer rows (filter first)",
                    db.message()
                ));
            }
            return ODataError::new(
                StatusCode::BAD_REQUEST,
                format!("a value does not fit: {}", db.message()),
            );
        }
        if db.code() == &tokio_postgres::error::SqlState::QUERY_CANCELED {
            return ODataError::new(StatusCode::SERVICE_UNAVAILABLE, "the query was canceled");
        }
    }
    let refused = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<Refused>());
    match refused {
        Some(refused @ Refused::Value(_)) => ODataError::bad_request(refused.to_string()),
        _ => ODataError::internal(&format!("PostgreSQL: {error:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT \"a?\" FROM t WHERE x = ? AND y = '?' AND z IN (?, ?)"),
            "SELECT \"a?\" FROM t WHERE x = $1 AND y = '?' AND z IN ($2, $3)"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
