//! What the loader reads records through: JSON values (as the API sends them) and
//! `#[derive(Bridge)]` structs alike. A struct answers by borrowing its fields, so
//! binding a row allocates nothing per field.

use serde_json::Value as Json;

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
            Json::Number(n) => n
                .as_i64()
                .map_or_else(|| Cell::Real(n.as_f64().unwrap_or(f64::NAN)), Cell::Int),
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
}
