//! One cell → one SQLite value, by the column's logical type. This is where bad
//! data is caught (an integer column holding text, a missing key) and where
//! timestamps get the one UTC form CAP writes and compares as text. Text is bound
//! borrowed from the record, so a row binds without copying its strings.

use cai_bridge_model::{format, LogicalType};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use crate::record::Cell;

/// Converts `cell` for a column of type `ty`; `Err` says what is wrong with it.
pub fn to_sql<'a>(cell: &Cell<'a>, ty: &LogicalType) -> Result<ToSqlOutput<'a>, String> {
    let borrowed = |text: &'a str| ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes()));
    let owned = |value: Value| ToSqlOutput::Owned(value);
    match (cell, ty) {
        (Cell::Null, _) => Ok(owned(Value::Null)),
        (Cell::Json(json), LogicalType::Json) => Ok(owned(Value::Text(json.to_string()))),
        // A scalar in a JSON column is stored as its JSON spelling, so reading the
        // column back as JSON gives the scalar again.
        (Cell::Text(text), LogicalType::Json) => Ok(owned(Value::Text(
            serde_json::Value::String((*text).to_owned()).to_string(),
        ))),
        (Cell::Int(n), LogicalType::Json) => Ok(owned(Value::Text(n.to_string()))),
        (Cell::Real(x), LogicalType::Json) => Ok(owned(Value::Text(real_text(*x)))),
        (Cell::Bool(b), LogicalType::Json) => Ok(owned(Value::Text(b.to_string()))),
        (Cell::Text(text), LogicalType::String(_) | LogicalType::LargeString) => Ok(borrowed(text)),
        // A scalar in a text column keeps its JSON spelling, so nothing is lost.
        (Cell::Int(n), LogicalType::String(_) | LogicalType::LargeString) => {
            Ok(owned(Value::Text(n.to_string())))
        }
        (Cell::Real(x), LogicalType::String(_) | LogicalType::LargeString) => {
            Ok(owned(Value::Text(real_text(*x))))
        }
        (Cell::Bool(b), LogicalType::String(_) | LogicalType::LargeString) => {
            Ok(owned(Value::Text(b.to_string())))
        }
        (Cell::Int(n), LogicalType::Integer) => i32::try_from(*n)
            .map(|_| owned(Value::Integer(*n)))
            .map_err(|_| format!("{n} does not fit a 32-bit integer")),
        (Cell::Int(n), LogicalType::Integer64) => Ok(owned(Value::Integer(*n))),
        (Cell::Int(n), LogicalType::Double) => Ok(owned(Value::Real(*n as f64))),
        (Cell::Real(x), LogicalType::Double) => Ok(owned(Value::Real(*x))),
        (Cell::Bool(b), LogicalType::Boolean) => Ok(owned(Value::Integer(i64::from(*b)))),
        (Cell::Text(text), LogicalType::Timestamp) => format::normalize_timestamp(text)
            .map(|t| owned(Value::Text(t)))
            .ok_or_else(|| format!("{} is not an RFC 3339 timestamp", short(text))),
        (Cell::Text(text), LogicalType::Date) if format::is_date(text) => Ok(borrowed(text)),
        (Cell::Text(text), LogicalType::Date) => {
            Err(format!("{} is not a date (YYYY-MM-DD)", short(text)))
        }
        (Cell::Text(text), LogicalType::Uuid) if format::is_uuid(text) => Ok(borrowed(text)),
        (Cell::Text(text), LogicalType::Uuid) => Err(format!(
            "{} is not a UUID (8-4-4-4-12 hexadecimal digits)",
            short(text)
        )),
        (cell, ty) => Err(format!(
            "expected {}, found {}",
            expected(ty),
            describe(cell)
        )),
    }
}

/// The JSON text of an object or array (`found` says which, in words) for a column
/// of type `ty`: kept as it is by a JSON column, an error for any other.
pub fn json_to_sql(
    text: String,
    found: &str,
    ty: &LogicalType,
) -> Result<ToSqlOutput<'static>, String> {
    match ty {
        LogicalType::Json => Ok(ToSqlOutput::Owned(Value::Text(text))),
        _ => Err(format!("expected {}, found {found}", expected(ty))),
    }
}

fn real_text(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| "null".to_owned(), |n| n.to_string())
}

fn expected(ty: &LogicalType) -> &'static str {
    match ty {
        LogicalType::Integer | LogicalType::Integer64 => "an integer",
        LogicalType::Double => "a number",
        LogicalType::Boolean => "true or false",
        LogicalType::Timestamp => "a timestamp",
        LogicalType::Date => "a date",
        LogicalType::Uuid => "a UUID",
        LogicalType::String(_) | LogicalType::LargeString => "text",
        LogicalType::Json => "JSON",
    }
}

/// A short description of a value for an error message (never a whole long value:
/// it may be personal data).
fn describe(cell: &Cell<'_>) -> String {
    match cell {
        Cell::Null => "null".into(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Real(x) => x.to_string(),
        Cell::Text(t) => short(t),
        Cell::Json(j) if j.is_array() => "an array".into(),
        Cell::Json(_) => "an object".into(),
    }
}

fn short(text: &str) -> String {
    if text.chars().count() <= 40 {
        format!("{text:?}")
    } else {
        format!("text of {} characters", text.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owned(out: ToSqlOutput<'_>) -> Value {
        match out {
            ToSqlOutput::Borrowed(v) => v.into(),
            ToSqlOutput::Owned(v) => v,
            _ => Value::Null,
        }
    }

    #[test]
    fn timestamps_are_stored_in_utc_milliseconds() {
        let sql = |text| to_sql(&Cell::Text(text), &LogicalType::Timestamp).map(owned);
        assert_eq!(
            sql("2021-02-05T18:45:17+01:00"),
            Ok(Value::Text("2021-02-05T17:45:17.000Z".into()))
        );
        assert!(sql("yesterday").is_err());
    }

    #[test]
    fn types_are_checked() {
        let sql = |cell: Cell<'_>, ty| to_sql(&cell, &ty).map(owned);
        assert_eq!(
            sql(Cell::Int(5), LogicalType::Integer),
            Ok(Value::Integer(5))
        );
        assert!(sql(Cell::Int(5_000_000_000), LogicalType::Integer).is_err());
        assert!(sql(Cell::Text("x"), LogicalType::Integer).is_err());
        assert_eq!(
            sql(Cell::Bool(true), LogicalType::Boolean),
            Ok(Value::Integer(1))
        );
        assert!(sql(Cell::Text("aedfe87b-b897"), LogicalType::Uuid).is_err());
        let object = json!({"a": 1});
        assert_eq!(
            sql(Cell::Json(&object), LogicalType::Json),
            Ok(Value::Text("{\"a\":1}".into()))
        );
        assert_eq!(
            sql(Cell::Text("a"), LogicalType::Json),
            Ok(Value::Text("\"a\"".into()))
        );
        assert_eq!(sql(Cell::Null, LogicalType::Integer), Ok(Value::Null));
    }
}
