//! Reading a `.json` sample: one document, either an array of records or a whole
//! response walked down the record path to its record array.

use std::cell::Cell;
use std::fmt;
use std::io::BufRead;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::context::{record_array, Cx};
use super::position::{Counting, Cursor, Pos};
use super::seed::{drain_map, drain_seq, visit_scalars, RecordSeed};
use crate::diagnostic::{Diagnostic, Location};
use cai_bridge_model::shape::Node;

const RECORDS_HINT: &str = "set `records` in bridge.toml to the dotted path of the record array, \
                            or give records as a top-level array or NDJSON";

/// Folds the records of the document `reader` holds into `record`.
pub(super) fn read(
    reader: impl BufRead,
    record_path: &[String],
    record: &mut Node,
    cx: &mut Cx<'_>,
) {
    let at = Rc::new(Cell::new(Pos { line: 1, column: 0 }));
    cx.cursor = Cursor::Stream(Rc::clone(&at));
    let mut de = serde_json::Deserializer::from_reader(Counting { inner: reader, at });
    let seed = Document {
        record_path,
        record,
        cx: &mut *cx,
    };
    let top = seed
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top));
    let what = match top {
        Ok(Top::Records) => return,
        Ok(Top::Missing) if record_path.is_empty() => {
            "the file holds one object, not an array of records, and no record path is set"
                .to_owned()
        }
        Ok(Top::Missing) => format!(
            "record path {} matches nothing in {}",
            record_array(record_path),
            cx.file.display()
        ),
        Ok(Top::Scalar(kind)) => format!("the file holds a single {kind}, not records"),
        Err(err) => {
            let hint = "fix the JSON or remove the file from the samples; a `.json` sample is one \
                        document (a whole response or an array of records)";
            return cx.json_error(&err, 1, hint);
        }
    };
    cx.error(
        Diagnostic::error(Location::File(cx.file.to_path_buf()), what).with_hint(RECORDS_HINT),
    );
}

/// What the top of a `.json` sample turned out to be.
enum Top {
    /// Records were found (possibly none: an empty array).
    Records,
    /// An object without an array at the record path.
    Missing,
    /// A lone scalar of the named kind.
    Scalar(&'static str),
}

/// The top of a `.json` sample: an array of records, or a response to walk.
struct Document<'a, 'f> {
    record_path: &'a [String],
    record: &'a mut Node,
    cx: &'a mut Cx<'f>,
}

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = Top;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Top, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a response object or an array of records")
    }

    visit_scalars!(scalar);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        records(seq, self.record, self.cx)?;
        Ok(Top::Records)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Top, A::Error> {
        let found = Walk {
            rest: self.record_path,
            record: self.record,
            cx: self.cx,
        }
        .visit_map(map)?;
        Ok(if found { Top::Records } else { Top::Missing })
    }
}

impl Document<'_, '_> {
    fn scalar(self, kind: &'static str) -> Top {
        Top::Scalar(kind)
    }
}

/// Folds every item of the record array into `record`.
fn records<'de, A: SeqAccess<'de>>(
    mut seq: A,
    record: &mut Node,
    cx: &mut Cx<'_>,
) -> Result<(), A::Error> {
    while seq
        .next_element_seed(RecordSeed {
            record: &mut *record,
            cx: &mut *cx,
        })?
        .is_some()
    {}
    Ok(())
}

/// Follows the rest of the record path down a response, skipping every other key;
/// yields whether the record array was found.
struct Walk<'a, 'f> {
    rest: &'a [String],
    record: &'a mut Node,
    cx: &'a mut Cx<'f>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object on the record path, or the record array")
    }

    visit_scalars!(not_here);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        if self.rest.is_empty() {
            records(seq, self.record, self.cx)?;
            Ok(true)
        } else {
            drain_seq(seq)?;
            Ok(false)
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Some((key, rest)) = self.rest.split_first() else {
            drain_map(map)?;
            return Ok(false);
        };
        let mut found = false;
        while let Some(matches) = map.next_key_seed(KeyIs(key))? {
            if matches {
                found |= map.next_value_seed(Walk {
                    rest,
                    record: &mut *self.record,
                    cx: &mut *self.cx,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

impl Walk<'_, '_> {
    fn not_here(self, _kind: &'static str) -> bool {
        false
    }
}

/// Compares a key with the wanted one without allocating it.
struct KeyIs<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}
