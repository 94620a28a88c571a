//! Logical types and their spelling in each target, decided once.

use serde::{Deserialize, Serialize};

/// A column's type, independent of any target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogicalType {
    /// Text, with an optional maximum length.
    String(Option<u32>),
    /// Long text.
    LargeString,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    Integer64,
    /// Double-precision float.
    Double,
    /// `true`/`false`.
    Boolean,
    /// A point in time, stored as `YYYY-MM-DDTHH:MM:SS.sssZ`.
    Timestamp,
    /// A calendar date.
    Date,
    /// A UUID, stored as 36-character text.
    Uuid,
    /// JSON kept as text (maps, unions, recursive data, mixed kinds).
    Json,
}

impl LogicalType {
    /// The CDS type (`String(36)`, `Timestamp`, …).
    pub fn cds(&self) -> String {
        match self {
            LogicalType::String(Some(n)) => format!("String({n})"),
            LogicalType::String(None) => "String".into(),
            LogicalType::LargeString | LogicalType::Json => "LargeString".into(),
            LogicalType::Integer => "Integer".into(),
            LogicalType::Integer64 => "Integer64".into(),
            LogicalType::Double => "Double".into(),
            LogicalType::Boolean => "Boolean".into(),
            LogicalType::Timestamp => "Timestamp".into(),
            LogicalType::Date => "Date".into(),
            LogicalType::Uuid => "UUID".into(),
        }
    }

    /// The EDM type and its facets as CAP's CSDL writes them.
    pub fn edm(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            LogicalType::String(Some(n)) => ("Edm.String", vec![("MaxLength", n.to_string())]),
            LogicalType::String(None) | LogicalType::LargeString | LogicalType::Json => {
                ("Edm.String", vec![])
            }
            LogicalType::Integer => ("Edm.Int32", vec![]),
            LogicalType::Integer64 => ("Edm.Int64", vec![]),
            LogicalType::Double => ("Edm.Double", vec![]),
            LogicalType::Boolean => ("Edm.Boolean", vec![]),
            LogicalType::Timestamp => ("Edm.DateTimeOffset", vec![("Precision", "7".into())]),
            LogicalType::Date => ("Edm.Date", vec![]),
            LogicalType::Uuid => ("Edm.Guid", vec![]),
        }
    }

    /// The Rust type of the wire value, as a path string for `syn::parse_str`
    /// (`Value` is `serde_json::Value`, imported by the generated file).
    ///
    /// Timestamps, dates and UUIDs stay `String` on the wire so a record re-serializes
    /// exactly as it came; the loader normalizes them.
    pub fn rust(&self) -> &'static str {
        match self {
            LogicalType::String(_)
            | LogicalType::LargeString
            | LogicalType::Timestamp
            | LogicalType::Date
            | LogicalType::Uuid => "String",
            LogicalType::Integer => "i32",
            LogicalType::Integer64 => "i64",
            LogicalType::Double => "f64",
            LogicalType::Boolean => "bool",
            LogicalType::Json => "Value",
        }
    }

    /// The JSON Schema (`type`, `format`) of the type, for `cai-bridge infer`.
    pub fn json_schema(&self) -> (&'static str, Option<&'static str>) {
        match self {
            LogicalType::String(_) | LogicalType::LargeString => ("string", None),
            LogicalType::Integer => ("integer", Some("int32")),
            LogicalType::Integer64 => ("integer", Some("int64")),
            LogicalType::Double => ("number", Some("double")),
            LogicalType::Boolean => ("boolean", None),
            LogicalType::Timestamp => ("string", Some("date-time")),
            LogicalType::Date => ("string", Some("date")),
            LogicalType::Uuid => ("string", Some("uuid")),
            LogicalType::Json => ("string", Some("json")),
        }
    }
}
