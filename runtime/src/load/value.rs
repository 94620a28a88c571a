//! One JSON value → one SQLite value, by the column's logical type. This is where
//! bad data is caught (an integer column holding text, a missing key) and where
//! timestamps get the one UTC form CAP writes and compares as text.

use cai_bridge_gen::model::LogicalType;
use rusqlite::types::Value as Sql;
use serde_json::Value as Json;

/// Converts `value` for a column of type `ty`; `Err` says what is wrong with it.
pub fn to_sql(value: &Json, ty: &LogicalType) -> Result<Sql, String> {
    if value.is_null() {
        return Ok(Sql::Null);
    }
    match ty {
        LogicalType::Json => Ok(Sql::Text(value.to_string())),
        LogicalType::LargeString | LogicalType::String(_) => match value {
            Json::String(s) => Ok(Sql::Text(s.clone())),
            // A scalar in a text column keeps its JSON spelling, so nothing is lost.
            Json::Number(_) | Json::Bool(_) => Ok(Sql::Text(value.to_string())),
            _ => Err(format!("expected text, found {}", kind(value))),
        },
        LogicalType::Integer | LogicalType::Integer64 => match value.as_i64() {
            Some(n) if *ty == LogicalType::Integer64 || i32::try_from(n).is_ok() => {
                Ok(Sql::Integer(n))
            }
            Some(n) => Err(format!("{n} does not fit a 32-bit integer")),
            None => Err(format!("expected an integer, found {}", describe(value))),
        },
        LogicalType::Double => value
            .as_f64()
            .map(Sql::Real)
            .ok_or_else(|| format!("expected a number, found {}", describe(value))),
        LogicalType::Boolean => value
            .as_bool()
            .map(|b| Sql::Integer(i64::from(b)))
            .ok_or_else(|| format!("expected true or false, found {}", describe(value))),
        LogicalType::Timestamp => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("expected a timestamp, found {}", describe(value)))?;
            normalize_timestamp(text).map(Sql::Text)
        }
        LogicalType::Date => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("expected a date, found {}", describe(value)))?;
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|_| Sql::Text(text.to_owned()))
                .map_err(|e| format!("{text:?} is not a date (YYYY-MM-DD): {e}"))
        }
        LogicalType::Uuid => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("expected a UUID, found {}", describe(value)))?;
            if is_uuid(text) {
                Ok(Sql::Text(text.to_owned()))
            } else {
                Err(format!("{text:?} is not a UUID"))
            }
        }
    }
}

/// RFC 3339 → `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC, the form CAP writes and compares.
pub fn normalize_timestamp(text: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        })
        .map_err(|e| format!("{text:?} is not an RFC 3339 timestamp: {e}"))
}

/// 8-4-4-4-12 hex digits (any case: stored as it came, as CAP compares it).
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "text",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A short description of a value for an error message (never the whole value:
/// it may be long, or personal data).
fn describe(value: &Json) -> String {
    match value {
        Json::String(s) if s.chars().count() <= 40 => format!("{s:?}"),
        Json::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_become_utc_milliseconds() {
        assert_eq!(
            normalize_timestamp("2021-02-05T18:45:17+01:00").unwrap(),
            "2021-02-05T17:45:17.000Z"
        );
        assert_eq!(
            normalize_timestamp("2021-02-05T17:45:17.044Z").unwrap(),
            "2021-02-05T17:45:17.044Z"
        );
        assert!(normalize_timestamp("yesterday").is_err());
    }

    #[test]
    fn types_are_checked() {
        assert_eq!(
            to_sql(&json!(5), &LogicalType::Integer),
            Ok(Sql::Integer(5))
        );
        assert!(to_sql(&json!(5_000_000_000i64), &LogicalType::Integer).is_err());
        assert!(to_sql(&json!("x"), &LogicalType::Integer).is_err());
        assert_eq!(
            to_sql(&json!(true), &LogicalType::Boolean),
            Ok(Sql::Integer(1))
        );
        assert!(to_sql(&json!("aedfe87b-b897"), &LogicalType::Uuid).is_err());
        assert_eq!(
            to_sql(&json!({"a": 1}), &LogicalType::Json),
            Ok(Sql::Text("{\"a\":1}".into()))
        );
        assert_eq!(to_sql(&json!(null), &LogicalType::Integer), Ok(Sql::Null));
    }
}
