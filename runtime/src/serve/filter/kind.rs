//! Typing: what a column holds as far as comparing goes, and a literal in the form
//! stored for it. `$filter` comparisons and key predicates both type their literals
//! here, so a key takes exactly the values a comparison with its property does.

use cai_bridge_model::{format, LogicalType};
use rusqlite::types::Value;

use super::error::{err, FilterError, Position};
use super::lex::{time_of_day, Lit};

/// What a column holds, as far as comparing goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Text,
    Uuid,
    Int,
    Double,
    Bool,
    Stamp,
    Date,
    /// A time of day; no property has this kind, only `time(…)` and literals.
    Time,
}

impl Kind {
    /// The kind of a property of type `ty`.
    pub(super) fn of(ty: &LogicalType) -> Kind {
        match ty {
            LogicalType::String(_) | LogicalType::LargeString | LogicalType::Json => Kind::Text,
            LogicalType::Uuid => Kind::Uuid,
            LogicalType::Integer | LogicalType::Integer64 => Kind::Int,
            LogicalType::Double => Kind::Double,
            LogicalType::Boolean => Kind::Bool,
            LogicalType::Timestamp => Kind::Stamp,
            LogicalType::Date => Kind::Date,
        }
    }

    /// What it is, and what a literal for it looks like.
    #[rustfmt::skip]
    pub(super) fn describe(self) -> (&'static str, &'static str) {
        match self {
            Kind::Text => ("a string", "a string in single quotes, e.g. 'abc' ('it''s' for it's)"),
            Kind::Uuid => ("a GUID", "a GUID, e.g. 1ddbe87b-b897-39a0-9031-bbf61480fde9"),
            Kind::Int => ("an integer", "an integer without quotes, e.g. 42"),
            Kind::Double => ("a number", "a number without quotes, e.g. 0.5 or 1e3"),
            Kind::Bool => ("a Boolean", "true or false"),
            Kind::Stamp => ("a date-time", "a date-time such as 2021-02-05T17:45:17Z or a date"),
            Kind::Date => ("a date", "a date, e.g. 2021-02-05"),
            Kind::Time => ("a time of day", "a time of day, e.g. 13:45:00"),
        }
    }

    /// Whether it is stored as text that the string functions apply to.
    pub(super) fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Uuid)
    }

    /// Whether stored values of the two compare meaningfully.
    pub(super) fn compares_with(self, other: Kind) -> bool {
        let number = |k| matches!(k, Kind::Int | Kind::Double);
        self == other || (self.is_text() && other.is_text()) || (number(self) && number(other))
    }
}

/// The literal in the stored form of `kind`; `label` names what it is compared with. A
/// mismatch is refused: it is a client mistake that would otherwise silently match
/// nothing (or everything, by SQLite's ordering of types).
pub(super) fn coerce(
    kind: Kind,
    lit: &Lit,
    at: &Position,
    label: &str,
) -> Result<Value, FilterError> {
    let text = |s: &str| Some(Value::Text(s.to_owned()));
    let midnight = |d: &str| format::parse_date(d).map(format::midnight);
    let value = match (kind, lit) {
        (Kind::Text, Lit::Str(s)) | (Kind::Uuid, Lit::Guid(s)) | (Kind::Stamp, Lit::Stamp(s)) => {
            text(s)
        }
        (Kind::Uuid, Lit::Str(s)) if format::is_uuid(s) => text(s),
        (Kind::Int | Kind::Double, Lit::Int(n)) => Some(Value::Integer(*n)),
        (Kind::Double, Lit::Num(x)) => Some(Value::Real(*x)),
        (Kind::Bool, Lit::Bool(b)) => Some(Value::Integer(i64::from(*b))),
        (Kind::Stamp, Lit::Date(d)) => midnight(d).map(Value::Text),
        (Kind::Stamp, Lit::Str(s)) => format::normalize_timestamp(s)
            .or_else(|| midnight(s))
            .map(Value::Text),
        (Kind::Date, Lit::Date(d)) => text(d),
        (Kind::Date, Lit::Str(s)) if format::is_date(s) => text(s),
        (Kind::Time, Lit::Time(t)) => text(t),
        (Kind::Time, Lit::Str(s)) => time_of_day(s).map(Value::Text),
        _ => None,
    };
    value.ok_or_else(|| {
        let (is, example) = kind.describe();
        let what = format!("`{label}` is {is}, not {}", lit.describe());
        err(at, what, format!("write {example}"))
    })
}
