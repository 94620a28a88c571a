//! The high-water mark: up to when every record is stored. It lives in the bridge's
//! own table beside the model's (CAP and the OData server ignore it) and moves only
//! in the transaction that stores the window it covers. The same table and the same
//! text timestamps on SQLite and PostgreSQL.

use cai_bridge_model::dialect::Dialect;
use chrono::{DateTime, Utc};

use crate::load::{LoadError, Store};

const TABLE: &str = "cai_bridge_sync_state";

/// Creates the state table if it is missing.
pub fn ensure(store: &mut Store<'_>) -> Result<(), LoadError> {
    store.execute(
        &format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, high_water TEXT NOT NULL, updated_at TEXT NOT NULL)"
        ),
        &[],
    )?;
    Ok(())
}

/// The high-water mark of the records of `name`, if a sync stored any.
pub fn high_water(store: &mut Store<'_>, name: &str) -> Result<Option<DateTime<Utc>>, LoadError> {
    let sql = format!(
        "SELECT high_water FROM {TABLE} WHERE name = {}",
        store.dialect().param(1)
    );
    Ok(store
        .query_text(&sql, &[name])?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// The statement that moves the mark, never backwards (a re-sync of an old range
/// must not make the next incremental run start early... or late), with its
/// parameters: run it in the transaction that stores the window up to `to`.
pub fn advance(dialect: Dialect, name: &str, to: DateTime<Utc>) -> (String, [String; 3]) {
    let to = cai_bridge_model::format::timestamp_text(to);
    let now = cai_bridge_model::format::timestamp_text(super::now());
    // The one UTC text form compares as the instants do.
    let later = match dialect {
        Dialect::Sqlite => "max",
        Dialect::Postgres | Dialect::Hana => "GREATEST",
    };
    let [a, b, c] = [1, 2, 3].map(|i| dialect.param(i));
    (
        format!(
            "INSERT INTO {TABLE} (name, high_water, updated_at) VALUES ({a}, {b}, {c}) \
             ON CONFLICT (name) DO UPDATE SET high_water = {later}({TABLE}.high_water, excluded.high_water), \
             updated_at = excluded.updated_at"
        ),
        [name.to_owned(), to, now],
    )
}
