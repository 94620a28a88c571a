//! The shape of JSON data as a reader learned it: the model builder's input.
//!
//! Every front end produces a [`Node`]: the generator's OpenAPI reader from declared
//! schemas, its sample reader from observed values, and `#[derive(Bridge)]` from a
//! struct's fields. Shapes merge the way quicktype merges samples
//! (absent → optional, null → nullable, integer widens to number, mixed kinds fall
//! back to JSON text), and the model is built from the merged shape, so neither
//! reader knows anything about entities, tables or names.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::{format, path};

/// How many distinct values a string may show before it stops being an enum candidate.
pub const ENUM_CANDIDATE_LIMIT: usize = 12;
/// The longest string that still counts towards an enum candidate.
const ENUM_CANDIDATE_MAX_LEN: usize = 64;

/// A value's shape: its kind, whether it may be null, and its documentation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    /// What kind of value it is.
    pub kind: Kind,
    /// Whether `null` was declared or seen.
    pub nullable: bool,
    /// Documentation from the spec (`description`), if any.
    pub doc: Option<String>,
}

/// The kinds of value a shape distinguishes.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Kind {
    /// Nothing but `null` was seen (or nothing at all).
    #[default]
    Unknown,
    /// `true` / `false`.
    Boolean,
    /// Whole numbers, with the width they need.
    Integer(IntWidth),
    /// Any other number.
    Number,
    /// Text, possibly holding a timestamp, UUID or embedded JSON.
    String(Text),
    /// An array whose items have the given shape.
    Array(Box<Node>),
    /// An object with named fields.
    Object(Object),
    /// An object whose keys are data (names, ids, dates), each entry's value of the
    /// given shape: `additionalProperties` with a schema, or what the samples show
    /// (see `map`).
    Map(Box<Node>),
    /// Kept as JSON text, for the reason given.
    Json(JsonReason),
}

/// Whether whole numbers fit 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntWidth {
    /// Fits `i32`.
    I32,
    /// Needs `i64`.
    I64,
}

/// Why a value is kept as JSON text instead of being modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JsonReason {
    /// A free-form object: `type: object` without `properties` and without a schema
    /// for `additionalProperties` (a map with one is [`Kind::Map`]).
    Map,
    /// A `oneOf`/`anyOf` that is not a simple enum-like union.
    Union,
    /// The schema refers to itself; recursion is cut here.
    Recursive,
    /// Samples show contradicting kinds (e.g. a string here, an object there).
    Mixed(String),
    /// The spec leaves the type open (`{}` or no `type`).
    Any,
}

/// What is known about a string value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text {
    /// The declared format, if the spec gives one.
    pub declared: Option<TextFormat>,
    /// `maxLength` from the spec.
    pub max_length: Option<u32>,
    /// `enum` values declared by the spec.
    pub enum_values: Option<Vec<String>>,
    /// What samples showed.
    pub stats: TextStats,
    /// The shape of the JSON that every sample string held, if they all held JSON
    /// (or that a derive attribute declares).
    pub embedded: Option<Box<Node>>,
    /// Declared long text (a derive's `large` hint): `LargeString`, not `String`.
    pub large: bool,
}

/// The formats a string can be known to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// An RFC 3339 date-time.
    Timestamp,
    /// An RFC 3339 full-date.
    Date,
    /// A UUID.
    Uuid,
}

/// Counters over the strings seen at one place in the samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextStats {
    /// How many strings were seen.
    pub seen: u64,
    /// How many were RFC 3339 timestamps.
    pub timestamps: u64,
    /// How many were RFC 3339 dates.
    pub dates: u64,
    /// How many were UUIDs.
    pub uuids: u64,
    /// How many held a JSON object or array.
    pub json: u64,
    /// The longest string, in characters.
    pub max_chars: u64,
    /// The distinct values, while they are few and short; `None` once they are not.
    pub distinct: Option<BTreeSet<String>>,
}

impl TextStats {
    /// Counts one observed string.
    pub fn observe(&mut self, value: &str) {
        if self.seen == 0 {
            self.distinct = Some(BTreeSet::new());
        }
        self.seen += 1;
        if format::is_timestamp(value) {
            self.timestamps += 1;
        } else if format::is_date(value) {
            self.dates += 1;
        }
        if format::is_uuid(value) {
            self.uuids += 1;
        }
        // A string has no more characters than bytes: count them only when it could
        // be the longest yet (counting every string was a tenth of inference).
        if value.len() as u64 > self.max_chars {
            self.max_chars = self.max_chars.max(value.chars().count() as u64);
        }
        if let Some(set) = &mut self.distinct {
            if value.len() > ENUM_CANDIDATE_MAX_LEN {
                self.distinct = None;
            } else if !set.contains(value) {
                set.insert(value.to_owned());
                if set.len() > ENUM_CANDIDATE_LIMIT {
                    self.distinct = None;
                }
            }
        }
    }

    /// The format every observed string had, if any.
    pub fn format(&self) -> Option<TextFormat> {
        if self.seen == 0 {
            None
        } else if self.timestamps == self.seen {
            Some(TextFormat::Timestamp)
        } else if self.dates == self.seen {
            Some(TextFormat::Date)
        } else if self.uuids == self.seen {
            Some(TextFormat::Uuid)
        } else {
            None
        }
    }

    /// Whether every observed string held JSON.
    pub fn all_json(&self) -> bool {
        self.seen > 0 && self.json == self.seen
    }

    /// The small closed set of values seen, if the strings look like an enum.
    ///
    /// A set is only a candidate when values repeat: three strings seen once each
    /// say nothing about a closed domain.
    pub fn enum_candidate(&self) -> Option<Vec<String>> {
        let set = self.distinct.as_ref()?;
        let plain = self.format().is_none() && !self.all_json();
        (plain && !set.is_empty() && (set.len() as u64) < self.seen && set.len() > 1)
            .then(|| set.iter().cloned().collect())
    }

    fn merge(&mut self, other: TextStats) {
        let distinct = match (self.distinct.take(), other.distinct) {
            (None, _) if self.seen > 0 => None,
            (_, None) if other.seen > 0 => None,
            (a, b) => {
                let mut set = a.unwrap_or_default();
                set.extend(b.unwrap_or_default());
                (set.len() <= ENUM_CANDIDATE_LIMIT).then_some(set)
            }
        };
        self.seen += other.seen;
        self.timestamps += other.timestamps;
        self.dates += other.dates;
        self.uuids += other.uuids;
        self.json += other.json;
        self.max_chars = self.max_chars.max(other.max_chars);
        self.distinct = distinct;
    }
}

/// An object: its fields in the order they were first declared or seen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object {
    /// The fields by wire name.
    pub fields: IndexMap<String, Field>,
    /// Entity settings declared with the shape (by a derive's container attributes).
    pub entity: Option<EntityHint>,
}

/// Entity settings that come with a shape rather than from bridge.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntityHint {
    /// The entity's name.
    pub name: Option<String>,
    /// Its natural key (wire names).
    pub key: Option<Vec<String>>,
}

/// One field of an object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Field {
    /// The field's value shape.
    pub node: Node,
    /// Declared `required`, or present in every sample object.
    pub required: bool,
    /// The column name asked for (a derive's `rename`), if any.
    pub column: Option<String>,
}

impl Node {
    /// A shape of the given kind, not nullable, undocumented.
    pub fn new(kind: Kind) -> Self {
        Node {
            kind,
            nullable: false,
            doc: None,
        }
    }

    /// Merges what `other` saw into `self`, widening where they differ.
    ///
    /// `path` names the place for the reason recorded when kinds contradict.
    pub fn merge(&mut self, other: Node, path: &str) {
        self.nullable |= other.nullable;
        if self.doc.is_none() {
            self.doc = other.doc;
        }
        let mine = std::mem::take(&mut self.kind);
        self.kind = merge_kinds(mine, other.kind, path);
    }

    /// The string facts, if this is a string.
    pub fn text(&self) -> Option<&Text> {
        match &self.kind {
            Kind::String(text) => Some(text),
            _ => None,
        }
    }
}

impl IntWidth {
    /// The kind of a whole number seen in data: an integer of the width it needs, or
    /// beyond `i64`, which no integer column holds, a number.
    pub fn kind_of(value: i128) -> Kind {
        if i32::try_from(value).is_ok() {
            Kind::Integer(IntWidth::I32)
        } else if i64::try_from(value).is_ok() {
            Kind::Integer(IntWidth::I64)
        } else {
            Kind::Number
        }
    }
}

/// The one widening rule for scalars: the kind that holds values of both `a` and
/// `b`. Booleans stay booleans, integers take the wider width, integers and other
/// numbers become numbers; `None` when no scalar kind holds both.
pub fn widen(a: &Kind, b: &Kind) -> Option<Kind> {
    match (a, b) {
        (Kind::Boolean, Kind::Boolean) => Some(Kind::Boolean),
        (Kind::Integer(x), Kind::Integer(y)) => Some(Kind::Integer((*x).max(*y))),
        (Kind::Integer(_) | Kind::Number, Kind::Integer(_) | Kind::Number) => Some(Kind::Number),
        _ => None,
    }
}

fn merge_kinds(a: Kind, b: Kind, path: &str) -> Kind {
    if let Some(kind) = widen(&a, &b) {
        return kind;
    }
    match (a, b) {
        (Kind::Unknown, k) | (k, Kind::Unknown) => k,
        (Kind::String(mut x), Kind::String(y)) => {
            x.merge(y, path);
            Kind::String(x)
        }
        (Kind::Array(mut x), Kind::Array(y)) => {
            x.merge(*y, &path::item(path));
            Kind::Array(x)
        }
        (Kind::Object(mut x), Kind::Object(y)) => {
            x.merge(y, path);
            Kind::Object(x)
        }
        (Kind::Map(mut x), Kind::Map(y)) => {
            x.merge(*y, &path::entry(path));
            Kind::Map(x)
        }
        // Objects seen where a map is known: their members are entries.
        (Kind::Map(mut x), Kind::Object(y)) | (Kind::Object(y), Kind::Map(mut x)) => {
            for (_, field) in y.fields {
                x.merge(field.node, &path::entry(path));
            }
            Kind::Map(x)
        }
        (Kind::Json(reason), _) | (_, Kind::Json(reason)) => Kind::Json(reason),
        (x, y) => Kind::Json(JsonReason::Mixed(format!(
            "{} and {}",
            kind_name(&x),
            kind_name(&y)
        ))),
    }
}

/// A short name of a kind, for messages.
pub fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Unknown => "null",
        Kind::Boolean => "boolean",
        Kind::Integer(_) => "integer",
        Kind::Number => "number",
        Kind::String(_) => "string",
        Kind::Array(_) => "array",
        Kind::Object(_) => "object",
        Kind::Map(_) => "map",
        Kind::Json(_) => "JSON",
    }
}

impl Text {
    fn merge(&mut self, other: Text, path: &str) {
        self.declared = self.declared.or(other.declared);
        self.max_length = self.max_length.or(other.max_length);
        self.large |= other.large;
        if self.enum_values.is_none() {
            self.enum_values = other.enum_values;
        }
        self.stats.merge(other.stats);
        self.embedded = match (self.embedded.take(), other.embedded) {
            (Some(mut a), Some(b)) => {
                a.merge(*b, path);
                Some(a)
            }
            (a, b) => a.or(b),
        };
        if self.stats.seen > 0 && !self.stats.all_json() {
            self.embedded = None;
        }
    }

    /// The format: declared by the spec, else what every sample showed.
    pub fn format(&self) -> Option<TextFormat> {
        self.declared.or_else(|| self.stats.format())
    }
}

impl Object {
    /// Merges another object seen at the same place: a field missing on either side
    /// becomes optional.
    pub fn merge(&mut self, other: Object, path: &str) {
        if self.entity.is_none() {
            self.entity = other.entity;
        }
        let mut other = other.fields;
        for (name, field) in self.fields.iter_mut() {
            match other.shift_remove(name) {
                Some(theirs) => {
                    field.required &= theirs.required;
                    field.node.merge(theirs.node, &path::member(path, name));
                }
                None => field.required = false,
            }
        }
        for (name, mut field) in other {
            field.required = false;
            self.fields.insert(name, field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: &[&str]) -> Node {
        let mut stats = TextStats::default();
        for v in values {
            stats.observe(v);
        }
        Node::new(Kind::String(Text {
            stats,
            ..Text::default()
        }))
    }

    #[test]
    fn integer_widens_to_number_and_null_makes_nullable() {
        let mut a = Node::new(Kind::Integer(IntWidth::I32));
        a.merge(Node::new(Kind::Number), "x");
        a.merge(
            Node {
                nullable: true,
                ..Node::default()
            },
            "x",
        );
        assert_eq!(a.kind, Kind::Number);
        assert!(a.nullable);
    }

    #[test]
    fn absent_field_becomes_optional() {
        let field = |required| Field {
            node: Node::new(Kind::Boolean),
            required,
            column: None,
        };
        let mut a = Object::default();
        a.fields.insert("x".into(), field(true));
        a.fields.insert("y".into(), field(true));
        let mut b = Object::default();
        b.fields.insert("x".into(), field(true));
        b.fields.insert("z".into(), field(true));
        a.merge(b, "$");
        let required: Vec<_> = a
            .fields
            .iter()
            .map(|(k, f)| (k.as_str(), f.required))
            .collect();
        assert_eq!(required, [("x", true), ("y", false), ("z", false)]);
    }

    #[test]
    fn string_formats_hold_only_when_every_value_has_them() {
        let ts = text(&["2021-02-05T17:45:17.044Z", "2021-02-05T17:45:17+01:00"]);
        assert_eq!(ts.text().unwrap().format(), Some(TextFormat::Timestamp));
        let mut mixed = ts.clone();
        mixed.merge(text(&["yesterday"]), "$");
        assert_eq!(mixed.text().unwrap().format(), None);
        let ids = text(&["aedfe87b-b897-39a0-9081-bbf61480fde9"]);
        assert_eq!(ids.text().unwrap().format(), Some(TextFormat::Uuid));
    }

    #[test]
    fn enum_candidates_need_repeats_and_few_values() {
        let few = text(&["text", "card", "text", "card", "text"]);
        assert_eq!(
            few.text().unwrap().stats.enum_candidate(),
            Some(vec!["card".to_owned(), "text".to_owned()])
        );
        let unique = text(&["a", "b", "c"]);
        assert_eq!(unique.text().unwrap().stats.enum_candidate(), None);
        let many: Vec<String> = (0..40).map(|i| format!("v{}", i % 20)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(text(&many).text().unwrap().stats.enum_candidate(), None);
    }

    #[test]
    fn contradicting_kinds_fall_back_to_json() {
        let mut a = Node::new(Kind::Boolean);
        a.merge(Node::new(Kind::Object(Object::default())), "$.x");
        assert_eq!(
            a.kind,
            Kind::Json(JsonReason::Mixed("boolean and object".into()))
        );
    }
}
