//! Values between the read layer and PostgreSQL. The read layer binds and reads the
//! values SQLite stores (integers, doubles, text: timestamps as
//! `YYYY-MM-DDTHH:MM:SS.sssZ`, dates as `YYYY-MM-DD`, booleans as 0/1); PostgreSQL
//! infers each parameter's type from where it stands and sends typed columns. So a
//! parameter is encoded as the type PostgreSQL asks for, and a column decoded into
//! the value SQLite would hold, timestamps written as CAP on PostgreSQL writes them
//! (`to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"')`, milliseconds truncated).

use std::error::Error;

use bytes::BytesMut;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use rusqlite::types::Value;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

/// A value bound to a PostgreSQL parameter.
#[derive(Debug)]
pub struct Param<'a>(pub &'a Value);

/// A PostgreSQL column read as the value SQLite would hold.
pub struct Cell(pub Value);

/// Why a value could not be bound.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The client's value does not fit what it is compared with (a number past an
    /// INTEGER column's range, text that is no timestamp): the client's to fix.
    #[error("{0}")]
    Value(String),
    /// A value of a kind the read layer never binds there: the server's fault.
    #[error("cannot bind {0} to a PostgreSQL {1}")]
    Kind(&'static str, Type),
}

type Boxed = Box<dyn Error + Sync + Send>;

/// Midnight of 2000-01-01, where PostgreSQL counts timestamps and dates from.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

fn unfit(what: impl std::fmt::Display, ty: &Type) -> Boxed {
    Box::new(Refused::Value(format!(
        "{what} does not fit a column of type {ty}"
    )))
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Boxed> {
        match (self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Integer(n), &Type::BOOL) => (*n != 0).to_sql(ty, out),
            (Value::Integer(n), &Type::INT2) => {
                i16::try_from(*n).map_err(|_| unfit(n, ty))?.to_sql(ty, out)
            }
            (Value::Integer(n), &Type::INT4) => {
                i32::try_from(*n).map_err(|_| unfit(n, ty))?.to_sql(ty, out)
            }
            (Value::Integer(n), &Type::INT8) => n.to_sql(ty, out),
            #[allow(clippy::cast_precision_loss)] // What SQLite does comparing them.
            (Value::Integer(n), &Type::FLOAT8) => (*n as f64).to_sql(ty, out),
            (Value::Real(x), &Type::FLOAT8) => x.to_sql(ty, out),
            (Value::Integer(n), t) if text(t) => n.to_string().to_sql(ty, out),
            (Value::Real(x), t) if text(t) => x.to_string().to_sql(ty, out),
            (Value::Text(s), t) if text(t) => s.to_sql(ty, out),
            (Value::Text(s), &Type::TIMESTAMP | &Type::TIMESTAMPTZ) => {
                micros(timestamp(s).ok_or_else(|| unfit(format!("'{s}'"), ty))? - epoch())
                    .to_sql(&Type::INT8, out)
            }
            (Value::Text(s), &Type::DATE) => {
                let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| unfit(format!("'{s}'"), ty))?;
                let days = (date - epoch().date()).num_days();
                i32::try_from(days)
                    .map_err(|_| unfit(format!("'{s}'"), ty))?
                    .to_sql(&Type::INT4, out)
            }
            (Value::Text(s), &Type::TIME) => {
                let time = NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                    .map_err(|_| unfit(format!("'{s}'"), ty))?;
                micros(time - NaiveTime::MIN).to_sql(&Type::INT8, out)
            }
            (Value::Text(s), &Type::BOOL) => match s.as_str() {
                "true" | "1" => true.to_sql(ty, out),
                "false" | "0" => false.to_sql(ty, out),
                _ => Err(unfit(format!("'{s}'"), ty)),
            },
            (Value::Blob(b), &Type::BYTEA) => b.to_sql(ty, out),
            (value, _) => Err(Box::new(Refused::Kind(kind(value), ty.clone()))),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Boxed> {
        let value = match *ty {
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::TIMESTAMP | Type::TIMESTAMPTZ => {
                let at = epoch()
                    .checked_add_signed(TimeDelta::microseconds(i64::from_sql(&Type::INT8, raw)?))
                    .ok_or("a timestamp out of range")?;
                Value::Text(at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            }
            Type::DATE => {
                let days = i32::from_sql(&Type::INT4, raw)?;
                let date = epoch()
                    .date()
                    .checked_add_signed(TimeDelta::days(days.into()))
                    .ok_or("a date out of range")?;
                Value::Text(date.format("%Y-%m-%d").to_string())
            }
            Type::TIME => {
                let since = TimeDelta::microseconds(i64::from_sql(&Type::INT8, raw)?);
                let (time, _) = NaiveTime::MIN.overflowing_add_signed(since);
                Value::Text(time.format("%H:%M:%S").to_string())
            }
            Type::BYTEA => Value::Blob(raw.to_vec()),
            ref t if text(t) => Value::Text(String::from_sql(&Type::TEXT, raw)?),
            ref other => return Err(format!("cannot read a PostgreSQL {other}").into()),
        };
        Ok(Cell(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Boxed> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Whether `ty` is text PostgreSQL sends as UTF-8.
fn text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

/// A timestamp as the read layer binds one (`…Z`, normalized by the filter), or as
/// a client may write it without the zone.
fn timestamp(s: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
}

fn micros(delta: TimeDelta) -> i64 {
    delta.num_microseconds().unwrap_or(i64::MAX)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Integer(_) => "an integer",
        Value::Real(_) => "a double",
        Value::Text(_) => "text",
        Value::Blob(_) => "bytes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: Value, ty: &Type) -> Result<Vec<u8>, String> {
        let mut out = BytesMut::new();
        Param(&value)
            .to_sql(ty, &mut out)
            .map(|_| out.to_vec())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn timestamps_go_both_ways_as_cap_writes_them() {
        let stamp = "2021-02-05T17:45:17.123Z";
        let raw = encoded(Value::Text(stamp.into()), &Type::TIMESTAMP).expect("binds");
        let Cell(read) = Cell::from_sql(&Type::TIMESTAMP, &raw).expect("reads");
        assert_eq!(read, Value::Text(stamp.into()));
        let raw = encoded(Value::Text("2021-02-05".into()), &Type::DATE).expect("binds");
        let Cell(read) = Cell::from_sql(&Type::DATE, &raw).expect("reads");
        assert_eq!(read, Value::Text("2021-02-05".into()));
    }

    #[test]
    fn a_value_that_does_not_fit_is_the_clients() {
        let e = encoded(Value::Integer(1 << 40), &Type::INT4).expect_err("too big");
        assert!(e.contains("does not fit a column of type int4"), "{e}");
        let e = encoded(Value::Text("yesterday".into()), &Type::TIMESTAMP).expect_err("text");
        assert!(e.contains("'yesterday'"), "{e}");
        assert_eq!(
            encoded(Value::Integer(1), &Type::BOOL).expect("a boolean"),
            [1]
        );
    }
}
