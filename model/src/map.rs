//! Maps: objects whose keys are data (entity names, ids, dates, language codes)
//! rather than fields. A spec says so with `additionalProperties` and a schema
//! (the OpenAPI reader gives [`Kind::Map`]); samples say so by their structure, which
//! this module judges; bridge.toml `[maps]` settles it either way per data path.
//!
//! A sampled object is a map when it has at least two keys, every value has one
//! shape (merging them gives no contradiction), and either
//!
//! 1. **every key looks like data**: a whole number, a date or timestamp, a UUID,
//!    or a locale tag with a region (`en-US`, `de_DE`); or
//! 2. **the keys are sparse names over one composite shape**: at least
//!    [`MIN_SPARSE_KEYS`] distinct keys, none of them in every sampled object, every
//!    value an object (or an array of objects), and those objects sharing at least
//!    one field. CAI's `entities` is the case: `{"location": [{raw, confidence,
//!    lat, …}], "datetime": [{raw, confidence, iso, …}]}`, a few kinds per message out
//!    of many, each item with `raw` and `confidence`.
//!
//! Why structure and not spelling: quicktype guesses maps with a Markov chain over
//! the key names, which takes `location` and `datetime` (plain English words) for
//! property names and makes a class per entity kind; dlt makes a table per key
//! (`entities__location`, `entities__datetime`), so every new kind is a schema
//! migration and another table SAP Analytics Cloud must join. Keys that are data
//! show it in how they vary across records and in the one shape their values share,
//! not in how they are spelled. Bare two-letter codes (`{"en": …, "de": …}`) are
//! left alone on purpose (`{"x": 1, "y": 2}` is not a map): name them in `[maps]`.

use crate::format;
use crate::shape::{JsonReason, Kind, Node, Object};

/// The fewest distinct keys that make sparse names a map (rule 2).
pub const MIN_SPARSE_KEYS: usize = 4;

/// The shape of every entry's value when the sampled `object` is a map by the rules
/// above; `None` when it reads as an object with fields.
pub fn detect(object: &Object, path: &str) -> Option<Node> {
    if object.fields.len() < 2 || object.entity.is_some() {
        return None;
    }
    let value = entries(object, path);
    if matches!(value.kind, Kind::Unknown | Kind::Json(JsonReason::Mixed(_))) {
        return None;
    }
    if object.fields.keys().all(|key| key_looks_like_data(key)) {
        return Some(value);
    }
    let sparse = object.fields.len() >= MIN_SPARSE_KEYS
        && object.fields.values().all(|field| !field.required);
    (sparse && shares_a_field(object)).then_some(value)
}

/// Every member's value merged into one shape: the entries' shape of an object read
/// as a map.
pub fn entries(object: &Object, path: &str) -> Node {
    let mut value = Node::default();
    for field in object.fields.values() {
        value.merge(field.node.clone(), &crate::path::entry(path));
    }
    value
}

/// Whether a key reads as data rather than a field name: a whole number, a date or
/// timestamp, a UUID, or a locale tag with a region.
pub fn key_looks_like_data(key: &str) -> bool {
    let digits = key.strip_prefix('-').unwrap_or(key);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        || format::is_date(key)
        || format::is_timestamp(key)
        || format::is_uuid(key)
        || is_locale(key)
}

/// `en-US`, `de_DE`, `pt-BR`, `zh-Hant`: a language and a region or script.
fn is_locale(key: &str) -> bool {
    let Some((language, rest)) = key.split_once(['-', '_']) else {
        return false;
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    let region = rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_uppercase());
    let script = rest.len() == 4
        && rest.as_bytes()[0].is_ascii_uppercase()
        && rest.bytes().skip(1).all(|b| b.is_ascii_lowercase());
    language_ok && (region || script)
}

/// Whether every value is an object (or an array of objects) and some field is in
/// all of them.
fn shares_a_field(object: &Object) -> bool {
    let mut shared: Option<Vec<&String>> = None;
    for field in object.fields.values() {
        let inner = match &field.node.kind {
            Kind::Object(o) => o,
            Kind::Array(items) => match &items.kind {
                Kind::Object(o) => o,
                _ => return false,
            },
            _ => return false,
        };
        let names: Vec<&String> = inner.fields.keys().collect();
        shared = Some(match shared {
            None => names,
            Some(before) => before.into_iter().filter(|n| names.contains(n)).collect(),
        });
    }
    shared.is_some_and(|names| !names.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Field, IntWidth, Text};

    fn object(fields: &[(&str, Node, bool)]) -> Object {
        let mut o = Object::default();
        for (name, node, required) in fields {
            o.fields.insert(
                (*name).into(),
                Field {
                    node: node.clone(),
                    required: *required,
                    column: None,
                },
            );
        }
        o
    }

    fn item(fields: &[&str]) -> Node {
        let o = object(
            &fields
                .iter()
                .map(|f| (*f, Node::new(Kind::String(Text::default())), true))
                .collect::<Vec<_>>(),
        );
        Node::new(Kind::Array(Box::new(Node::new(Kind::Object(o)))))
    }

    #[test]
    fn data_keys_make_a_map() {
        let int = Node::new(Kind::Integer(IntWidth::I32));
        for keys in [
            ["2026-11-01", "2026-11-02"],
            ["17", "4711"],
            ["en-US", "de_DE"],
            [
                "aedfe87b-b897-39a0-9081-bbf61480fde9",
                "1ddbe87b-b897-39a0-9031-bbf61480fde9",
            ],
        ] {
            let o = object(&[(keys[0], int.clone(), true), (keys[1], int.clone(), true)]);
            assert!(detect(&o, "$").is_some(), "{keys:?}");
        }
        let names = object(&[("x", int.clone(), true), ("y", int.clone(), true)]);
        assert!(detect(&names, "$").is_none());
        assert!(!key_looks_like_data("en"));
        assert!(!key_looks_like_data("street"));
    }

    #[test]
    fn sparse_names_over_one_shape_make_a_map() {
        let kinds = [
            ("location", item(&["raw", "confidence", "lat"])),
            ("datetime", item(&["raw", "confidence", "iso"])),
            ("number", item(&["raw", "confidence", "scalar"])),
            ("person", item(&["raw", "confidence", "fullname"])),
        ];
        let sparse: Vec<_> = kinds.iter().map(|(k, n)| (*k, n.clone(), false)).collect();
        let value = detect(&object(&sparse), "$").expect("a map");
        assert!(matches!(value.kind, Kind::Array(_)));
        // The same keys in every object are fields, however alike their values.
        let dense: Vec<_> = kinds.iter().map(|(k, n)| (*k, n.clone(), true)).collect();
        assert!(detect(&object(&dense), "$").is_none());
        // Too few keys, or values with nothing in common, say nothing.
        assert!(detect(&object(&sparse[..3]), "$").is_none());
        let mut unrelated = sparse.clone();
        unrelated[0].1 = item(&["lat", "lng"]);
        assert!(detect(&object(&unrelated), "$").is_none());
    }

    #[test]
    fn mixed_values_are_no_map() {
        let o = object(&[
            ("1", Node::new(Kind::Boolean), true),
            ("2", Node::new(Kind::Object(Object::default())), true),
        ]);
        assert!(detect(&o, "$").is_none());
    }
}
