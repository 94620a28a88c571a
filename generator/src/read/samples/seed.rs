//! The serde seeds that fold values into a shape as they are parsed, so no value is
//! ever built: a record is checked to be an object, then every value in it is
//! merged into the node that place has accumulated.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::context::Cx;
use super::position::Pos;
use crate::diagnostic::Diagnostic;
use cai_bridge_model::path;
use cai_bridge_model::shape::{self, Field, IntWidth, Kind, Node, Object, Text};

/// Generates the scalar `visit_*` methods of a visitor that treats every scalar
/// alike, by calling `$on(self, kind_name)`.
macro_rules! visit_scalars {
    ($on:ident) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(self.$on("boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(self.$on("number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(self.$on("number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(self.$on("number"))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(self.$on("string"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(self.$on("null"))
        }
    };
}
pub(super) use visit_scalars;

/// Skips the rest of an array.
pub(super) fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Skips the rest of an object.
pub(super) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Folds the one record `bytes` hold (a whole NDJSON line, or one item of an array)
/// into `record`.
///
/// Checking the UTF-8 of all the bytes at once is much cheaper than serde_json
/// checking each string; bytes that fail are parsed as bytes, so the error says
/// where, as it always did.
pub(super) fn fold_record(
    bytes: &[u8],
    record: &mut Node,
    cx: &mut Cx<'_>,
) -> Result<(), serde_json::Error> {
    let seed = RecordSeed { record, cx };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            seed.deserialize(&mut de).and_then(|()| de.end())
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            seed.deserialize(&mut de).and_then(|()| de.end())
        }
    }
}

/// One record: an object folded into the record shape; anything else is an error.
pub(super) struct RecordSeed<'a, 'f> {
    /// The shape of every record so far.
    pub(super) record: &'a mut Node,
    /// Where the record is.
    pub(super) cx: &'a mut Cx<'f>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let start = self.cx.here();
        deserializer.deserialize_any(RecordVisitor {
            record: self.record,
            cx: self.cx,
            start,
        })
    }
}

/// A record whose first byte is at `start`.
struct RecordVisitor<'a, 'f> {
    record: &'a mut Node,
    cx: &'a mut Cx<'f>,
    start: Pos,
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record object")
    }

    visit_scalars!(not_object);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.not_object("array");
        drain_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.cx.records += 1;
        // A record that failed half-way left its objects' flags behind.
        self.cx.present.clear();
        ValueSeed {
            node: self.record,
            cx: self.cx,
        }
        .visit_map(map)
    }
}

impl RecordVisitor<'_, '_> {
    fn not_object(self, kind: &'static str) {
        let location = self.cx.position(self.start);
        self.cx.error(
            Diagnostic::error(location, format!("a record is a {kind}, not an object")).with_hint(
                "records must be JSON objects; check that `records` in bridge.toml names the \
                 array of records",
            ),
        );
    }
}

/// Any value, folded into the shape `node` has accumulated at this place.
struct ValueSeed<'a, 'f> {
    node: &'a mut Node,
    cx: &'a mut Cx<'f>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar(Kind::Boolean);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(IntWidth::kind_of(v.into()));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(IntWidth::kind_of(v.into()));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar(Kind::Number);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.node.nullable = true;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.string(v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ValueSeed { node, cx } = self;
        match node.kind {
            Kind::Unknown => node.kind = Kind::Array(Box::default()),
            Kind::Array(_) => {}
            Kind::Json(_) => return drain_seq(seq),
            _ => {
                cx.conflict(node, Kind::Array(Box::default()));
                return drain_seq(seq);
            }
        }
        let Kind::Array(item) = &mut node.kind else {
            return drain_seq(seq);
        };
        cx.within(path::ITEM, |cx| {
            while seq
                .next_element_seed(ValueSeed {
                    node: item,
                    cx: &mut *cx,
                })?
                .is_some()
            {}
            Ok(())
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ValueSeed { node, cx } = self;
        let first = match node.kind {
            Kind::Unknown => {
                node.kind = Kind::Object(Object::default());
                true
            }
            Kind::Object(_) => false,
            Kind::Json(_) => return drain_map(map),
            _ => {
                cx.conflict(node, Kind::Object(Object::default()));
                return drain_map(map);
            }
        };
        let Kind::Object(object) = &mut node.kind else {
            return drain_map(map);
        };
        // Fields known before this object; those it lacks become optional. Their
        // flags stand on a stack shared by every object being read, which nested
        // objects grow and give back, so no object allocates its own.
        let known = object.fields.len();
        let base = cx.present.len();
        cx.present.resize(base + known, false);
        let mut next = 0;
        while let Some(index) = map.next_key_seed(FieldKey {
            fields: &mut object.fields,
            first,
            expected: next,
        })? {
            next = index + 1;
            if index < known {
                cx.present[base + index] = true;
            }
            let Some((name, field)) = object.fields.get_index_mut(index) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            cx.member(name, |cx| {
                map.next_value_seed(ValueSeed {
                    node: &mut field.node,
                    cx,
                })
            })?;
        }
        let flags = &cx.present[base..base + known];
        for (field, &seen) in object.fields.values_mut().zip(flags) {
            field.required &= seen;
        }
        cx.present.truncate(base);
        Ok(())
    }
}

impl ValueSeed<'_, '_> {
    fn scalar(self, kind: Kind) {
        let node = self.node;
        match &node.kind {
            Kind::Json(_) => {}
            Kind::Unknown => node.kind = kind,
            mine => match shape::widen(mine, &kind) {
                Some(wider) => node.kind = wider,
                None => self.cx.conflict(node, kind),
            },
        }
    }

    fn string(self, value: &str) {
        let ValueSeed { node, cx } = self;
        match node.kind {
            Kind::Unknown => node.kind = Kind::String(Text::default()),
            Kind::String(_) => {}
            Kind::Json(_) => return,
            _ => return cx.conflict(node, Kind::String(Text::default())),
        }
        let Kind::String(text) = &mut node.kind else {
            return;
        };
        text.stats.observe(value);
        // JSON allows only ASCII blanks before a value (a string led by other
        // white space is no JSON either way), so bytes are enough to look.
        let looks_json = value
            .bytes()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| b == b'{' || b == b'[');
        // Only while every earlier string held JSON does this one's shape count.
        if !looks_json || text.stats.json + 1 != text.stats.seen {
            if looks_json && serde_json::from_str::<IgnoredAny>(value).is_ok() {
                text.stats.json += 1;
            }
            text.embedded = None;
            return;
        }
        // Checking and folding in one parse: a string that turns out not to be JSON
        // makes the samples' strings not all JSON, which drops the embedded shape
        // (and the warnings the fold gave) whatever the fold left in it.
        let embedded = text.embedded.get_or_insert_with(Box::default);
        let folded = cx.tentatively(|cx| {
            cx.within(path::JSON, |cx| {
                let mut de = serde_json::Deserializer::from_str(value);
                ValueSeed { node: embedded, cx }
                    .deserialize(&mut de)
                    .and_then(|()| de.end())
            })
        });
        match folded {
            Ok(()) => text.stats.json += 1,
            Err(_) => text.embedded = None,
        }
    }
}

/// An object key, resolved to the field's index; a new field is required only in
/// the first object seen here (later ones lacked it).
struct FieldKey<'a> {
    fields: &'a mut IndexMap<String, Field>,
    first: bool,
    /// The index after the previous key's: records of one API list their keys in
    /// one order, so comparing with this field first spares hashing most keys.
    expected: usize,
}

impl<'de> DeserializeSeed<'de> for FieldKey<'_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldKey<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        if let Some((name, _)) = self.fields.get_index(self.expected) {
            if name == key {
                return Ok(self.expected);
            }
        }
        if let Some(index) = self.fields.get_index_of(key) {
            return Ok(index);
        }
        let field = Field {
            node: Node::default(),
            required: self.first,
            column: None,
        };
        Ok(self.fields.insert_full(key.to_owned(), field).0)
    }
}
