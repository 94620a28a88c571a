//! The high-water mark: up to when every record is stored. It lives in the bridge's
//! own table beside the model's (CAP and the OData server ignore it) and moves only
//! in the transaction that stores the window it covers.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

const TABLE: &str = "cai_bridge_sync_state";

/// Creates the state table if it is missing.
pub fn ensure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, high_water TEXT NOT NULL, updated_at TEXT NOT NULL)"
    ))
}

/// The high-water mark of the records of `name`, if a sync stored any.
pub fn high_water(conn: &Connection, name: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = conn
        .query_row(
            &format!("SELECT high_water FROM {TABLE} WHERE name = ?1"),
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// Moves the mark to `to` in the transaction open on `conn`, never backwards (a re-sync of an old range
/// must not make the next incremental run start early... or late).
pub fn advance(conn: &Connection, name: &str, to: DateTime<Utc>) -> rusqlite::Result<()> {
    let to = cai_bridge_model::format::timestamp_text(to);
    let now = cai_bridge_model::format::timestamp_text(super::now());
    conn.execute(
        &format!(
            "INSERT INTO {TABLE} (name, high_water, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET high_water = max(high_water, excluded.high_water), \
             updated_at = excluded.updated_at"
        ),
        rusqlite::params![name, to, now],
    )?;
    Ok(())
}
