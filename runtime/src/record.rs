//! What the loader reads records through: JSON values (as the API sends them, either
//! as `serde_json` values or as a DOM borrowed from the body) and `#[derive(Bridge)]`
//! structs alike. A struct answers by borrowing its fields, so binding a row
//! allocates nothing per field.

use serde_json::Value as Json;
use serde_json_borrow::Value as Borrowed;

/// A scalar value, borrowed from the record where it can be.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// No value (null or absent).
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// Any other number.
    Real(f64),
    /// Text.
    Text(&'a str),
    /// A JSON value that is not a scalar (kept as JSON text by a JSON column).
    Json(&'a Json),
}

/// What a record holds under a key.
pub enum Member<'a> {
    /// A scalar.
    Cell(Cell<'a>),
    /// A nested record (an object).
    Record(&'a dyn Record),
    /// A list of records (an array).
    List(Vec<&'a dyn Record>),
}

/// A record the loader can read: an object with members, or an array item.
pub trait Record {
    /// The member under `key` (`Member::Cell(Cell::Null)` when there is none).
    fn member(&self, key: &str) -> Member<'_>;

    /// The record itself as a scalar, for items of arrays of scalars.
    fn cell(&self) -> Cell<'_> {
        Cell::Null
    }

    /// The record as a JSON value, for columns that keep JSON text.
    fn json(&self) -> Option<&Json> {
        None
    }

    /// The entries of a map, for a map child (`None`: the record is no map).
    fn entries(&self) -> Option<Vec<(&str, &dyn Record)>> {
        None
    }

    /// The items of an array, for the entries of a map of arrays (`None`: the
    /// record is no array).
    fn items(&self) -> Option<Vec<&dyn Record>> {
        None
    }

    /// The record as compact JSON text, for columns that keep JSON text: what
    /// [`json`](Self::json) serializes to, for records that are no `serde_json` value.
    fn json_text(&self) -> Option<String> {
        self.json().map(Json::to_string)
    }
}

impl Record for Json {
    fn member(&self, key: &str) -> Member<'_> {
        match self.get(key) {
            Some(value @ Json::Object(_)) => Member::Record(value),
            Some(Json::Array(items)) => {
                Member::List(items.iter().map(|i| i as &dyn Record).collect())
            }
            Some(value) => Member::Cell(value.cell()),
            None => Member::Cell(Cell::Null),
        }
    }

    fn cell(&self) -> Cell<'_> {
        match self {
            Json::Null => Cell::Null,
            Json::Bool(b) => Cell::Bool(*b),
            Json::Number(n) => number(n.as_i64(), n.as_f64()),
            Json::String(s) => Cell::Text(s),
            other => Cell::Json(other),
        }
    }

    fn json(&self) -> Option<&Json> {
        Some(self)
    }

    fn entries(&self) -> Option<Vec<(&str, &dyn Record)>> {
        self.as_object().map(|map| {
            map.iter()
                .map(|(key, value)| (key.as_str(), value as &dyn Record))
                .collect()
        })
    }

    fn items(&self) -> Option<Vec<&dyn Record>> {
        self.as_array()
            .map(|items| items.iter().map(|i| i as &dyn Record).collect())
    }
}

/// A JSON number as a cell: whole where it fits 64 bits, else a real.
fn number(whole: Option<i64>, real: Option<f64>) -> Cell<'static> {
    whole.map_or_else(|| Cell::Real(real.unwrap_or(f64::NAN)), Cell::Int)
}

/// A record of the DOM a sync parses the API's answers into, read as a
/// `serde_json::Value` of the same text reads: where a key repeats, the last one
/// counts, and JSON text is written as `serde_json` writes it.
impl Record for Borrowed<'_> {
    fn member(&self, key: &str) -> Member<'_> {
        borrowed_get(self, key).map_or(Member::Cell(Cell::Null), borrowed_member)
    }

    fn cell(&self) -> Cell<'_> {
        match self {
            Borrowed::Null => Cell::Null,
            Borrowed::Bool(b) => Cell::Bool(*b),
            Borrowed::Number(n) => number(n.as_i64(), n.as_f64()),
            Borrowed::Str(s) => Cell::Text(s),
            // Never read as a cell: `member` answers objects and arrays as records and
            // lists, and a column that keeps JSON reads `json_text`.
            Borrowed::Array(_) | Borrowed::Object(_) => Cell::Null,
        }
    }

    fn entries(&self) -> Option<Vec<(&str, &dyn Record)>> {
        let Borrowed::Object(map) = self else {
            return None;
        };
        let entries = map.as_vec();
        // One entry per key, its last value, as `serde_json` reads a repeated key.
        Some(
            entries
                .iter()
                .enumerate()
                .filter(|(i, (k, _))| !entries[i + 1..].iter().any(|(later, _)| later == k))
                .map(|(_, (k, v))| (&**k, v as &dyn Record))
                .collect(),
        )
    }

    fn items(&self) -> Option<Vec<&dyn Record>> {
        match self {
            Borrowed::Array(items) => Some(items.iter().map(|i| i as &dyn Record).collect()),
            _ => None,
        }
    }

    fn json_text(&self) -> Option<String> {
        if repeats_a_key(self) {
            // `serde_json` keeps one entry per key (the last value, at the first
            // place): convert, so the text is the same as a `serde_json` value's.
            return Some(Json::from(self).to_string());
        }
        serde_json::to_string(self).ok()
    }
}

/// `value` as what a record holds: an object is a record, an array a list.
pub(crate) fn borrowed_member<'v>(value: &'v Borrowed<'_>) -> Member<'v> {
    match value {
        Borrowed::Object(_) => Member::Record(value),
        Borrowed::Array(items) => Member::List(items.iter().map(|i| i as &dyn Record).collect()),
        scalar => Member::Cell(scalar.cell()),
    }
}

/// The value under `key`, the last one where the key repeats (as `serde_json` reads it).
pub(crate) fn borrowed_get<'v, 'a>(value: &'v Borrowed<'a>, key: &str) -> Option<&'v Borrowed<'a>> {
    match value {
        Borrowed::Object(map) => map
            .as_vec()
            .iter()
            .rev()
            .find_map(|(k, v)| (**k == *key).then_some(v)),
        _ => None,
    }
}

/// Whether an object in `value` holds a key twice.
fn repeats_a_key(value: &Borrowed<'_>) -> bool {
    match value {
        Borrowed::Array(items) => items.iter().any(repeats_a_key),
        Borrowed::Object(map) => {
            let entries = map.as_vec();
            entries
                .iter()
                .enumerate()
                .any(|(i, (k, v))| entries[..i].iter().any(|(p, _)| **p == **k) || repeats_a_key(v))
        }
        _ => false,
    }
}

/// A field value as a [`Cell`]; implemented for the scalar types a derive accepts.
pub trait AsCell {
    /// The value as a cell.
    fn as_cell(&self) -> Cell<'_>;
}

impl AsCell for String {
    fn as_cell(&self) -> Cell<'_> {
        Cell::Text(self)
    }
}

impl AsCell for bool {
    fn as_cell(&self) -> Cell<'_> {
        Cell::Bool(*self)
    }
}

impl AsCell for Json {
    fn as_cell(&self) -> Cell<'_> {
        match self {
            Json::Object(_) | Json::Array(_) => Cell::Json(self),
            scalar => scalar.cell(),
        }
    }
}

impl<T: AsCell> AsCell for Option<T> {
    fn as_cell(&self) -> Cell<'_> {
        self.as_ref().map_or(Cell::Null, AsCell::as_cell)
    }
}

macro_rules! int_cells {
    ($($t:ty),*) => {$(
        impl AsCell for $t {
            fn as_cell(&self) -> Cell<'_> {
                Cell::Int(i64::from(*self))
            }
        }
    )*};
}
int_cells!(i8, i16, i32, i64, u8, u16, u32);

impl AsCell for f64 {
    fn as_cell(&self) -> Cell<'_> {
        Cell::Real(*self)
    }
}

impl AsCell for f32 {
    fn as_cell(&self) -> Cell<'_> {
        Cell::Real(f64::from(*self))
    }
}

/// Items of arrays of scalars are records whose value is the item itself.
macro_rules! scalar_records {
    ($($t:ty),*) => {$(
        impl Record for $t {
            fn member(&self, _: &str) -> Member<'_> {
                Member::Cell(Cell::Null)
            }
            fn cell(&self) -> Cell<'_> {
                self.as_cell()
            }
        }
    )*};
}
scalar_records!(String, bool, i8, i16, i32, i64, u8, u16, u32, f32, f64);

impl<T: AsCell> Record for Option<T> {
    fn member(&self, _: &str) -> Member<'_> {
        Member::Cell(Cell::Null)
    }
    fn cell(&self) -> Cell<'_> {
        self.as_cell()
    }
}

/// A list member from a slice of records (what a derive emits for `Vec<T>` fields).
pub fn list<T: Record>(items: &[T]) -> Member<'_> {
    Member::List(items.iter().map(|i| i as &dyn Record).collect())
}

/// The entries of a map value (`Vec<T>` for a map of arrays), for a derive's
/// `BTreeMap<String, T>` and `HashMap<String, T>` fields.
macro_rules! map_records {
    ($($map:ident),*) => {$(
        impl<V: Record> Record for std::collections::$map<String, V> {
            fn member(&self, _: &str) -> Member<'_> {
                Member::Cell(Cell::Null)
            }
            fn entries(&self) -> Option<Vec<(&str, &dyn Record)>> {
                Some(self.iter().map(|(k, v)| (k.as_str(), v as &dyn Record)).collect())
            }
        }
    )*};
}
map_records!(BTreeMap, HashMap);

impl<T: Record> Record for Vec<T> {
    fn member(&self, _: &str) -> Member<'_> {
        Member::Cell(Cell::Null)
    }
    fn items(&self) -> Option<Vec<&dyn Record>> {
        Some(self.iter().map(|i| i as &dyn Record).collect())
    }
}

impl<T: Record + ?Sized> Record for &T {
    fn member(&self, key: &str) -> Member<'_> {
        (**self).member(key)
    }
    fn cell(&self) -> Cell<'_> {
        (**self).cell()
    }
    fn json(&self) -> Option<&Json> {
        (**self).json()
    }
    fn entries(&self) -> Option<Vec<(&str, &dyn Record)>> {
        (**self).entries()
    }
    fn items(&self) -> Option<Vec<&dyn Record>> {
        (**self).items()
    }
    fn json_text(&self) -> Option<String> {
        (**self).json_text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed DOM a sync reads must answer as the `serde_json` value of the same
    /// text (what `load` reads), or a sync and a load of the same records would differ.
    #[test]
    fn a_borrowed_record_reads_as_its_serde_json_value() {
        let text = r#"{"a": 1, "b": {"x": [1.5, -2, "s\"q"], "x": {"k": true, "k": null}},
            "a": 2, "big": 18446744073709551615, "items": [{"v": 1}, {"v": 2}]}"#;
        let owned: Json = serde_json::from_str(text).expect("JSON");
        let borrowed: Borrowed<'_> = serde_json::from_str(text).expect("JSON");
        assert_eq!(
            borrowed.member("a").cell_or_null(),
            owned.member("a").cell_or_null()
        );
        assert_eq!(
            borrowed.member("big").cell_or_null(),
            owned.member("big").cell_or_null()
        );
        assert_eq!(borrowed.json_text(), owned.json_text());
        match (borrowed.member("b"), owned.member("b")) {
            (Member::Record(b), Member::Record(o)) => assert_eq!(b.json_text(), o.json_text()),
            _ => panic!("b is an object"),
        }
        match (borrowed.member("items"), owned.member("items")) {
            (Member::List(b), Member::List(o)) => {
                let texts = |items: Vec<&dyn Record>| -> Vec<Option<String>> {
                    items.iter().map(|i| i.json_text()).collect()
                };
                assert_eq!(texts(b), texts(o));
            }
            _ => panic!("items is an array"),
        }
    }

    impl Member<'_> {
        fn cell_or_null(&self) -> Cell<'_> {
            match self {
                Member::Cell(cell) => cell.clone(),
                _ => Cell::Null,
            }
        }
    }
}
