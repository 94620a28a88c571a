//! Shape inference from sample payloads.
//!
//! Samples are whole API responses (`*.json` holding an object, with the record array
//! at a dotted path), plain record arrays (`*.json` holding an array) or one record per
//! line (`*.ndjson`, `*.jsonl`). Every record is folded into one [`Node`] the way
//! quicktype merges samples: a field absent from some records is optional, `null`
//! makes a value nullable, integers widen to numbers, contradicting kinds fall back to
//! JSON text (with a warning), and strings that hold JSON get their own shape.
//!
//! Reading streams: values are visited once, straight off a buffered reader, and
//! folded into the shape as they go, so memory follows the size of the shape (and of
//! the longest NDJSON line), never the size of the samples.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::diagnostic::{Diagnostic, Diagnostics, Location, Severity};
use cai_bridge_model::shape::{self, Field, IntWidth, JsonReason, Kind, Node, Object, Text};

/// What the samples showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// The merged shape of one record (an item of the record array).
    pub record: Node,
    /// How many records were seen.
    pub records: u64,
    /// Every file read, in order (for `cargo:rerun-if-changed`).
    pub files: Vec<PathBuf>,
}

/// Infers the record shape from sample files or folders.
///
/// Each path is a file or a folder; a folder contributes every `*.json`, `*.ndjson`
/// and `*.jsonl` file below it, sorted by path so the result is deterministic.
/// `record_path` is the dotted path to the record array inside a whole response
/// (e.g. `["results", "conversations"]`); empty means the response itself is the
/// array. It only applies to `*.json` files holding an object.
///
/// Every problem found in any file is pushed to `diags`; the result is `None` when
/// one of them is an error (including a sample set without records). Mixed kinds are
/// warnings: the samples still infer, with that place kept as JSON text.
/// Warnings name the place as a data path from the response root:
/// `results.conversations[].payload(json).id`, where `[]` is an array item and
/// `(json)` the JSON a string holds.
pub fn infer(
    paths: &[PathBuf],
    record_path: &[String],
    diags: &mut Diagnostics,
) -> Option<Samples> {
    let errors_before = error_count(diags);
    let mut sampler = Sampler::new(record_path);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen = BTreeSet::new();
    // Each input is expanded just before it is read, so problems come in input order.
    for path in paths {
        for file in sample_files(path, diags) {
            if !seen.insert(file.clone()) {
                continue;
            }
            match File::open(&file) {
                Ok(handle) => {
                    let format = Format::of(&file);
                    sampler.read(BufReader::new(handle), format, &file, diags);
                }
                Err(err) => diags.push(unreadable(&file, &err)),
            }
            files.push(file);
        }
    }
    if sampler.records == 0 && error_count(diags) == errors_before {
        diags.push(empty_sample_set(paths));
    }
    (error_count(diags) == errors_before).then(|| Samples {
        record: sampler.record,
        records: sampler.records,
        files,
    })
}

/// How a sample file holds its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One JSON document: a whole response (object) or an array of records.
    Json,
    /// One record per non-blank line.
    Lines,
}

impl Format {
    fn of(path: &Path) -> Self {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("ndjson") || ext.eq_ignore_ascii_case("jsonl") {
            Format::Lines
        } else {
            Format::Json
        }
    }

    fn is_sample(path: &Path) -> bool {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        ext.eq_ignore_ascii_case("json") || Format::of(path) == Format::Lines
    }
}

/// The accumulated record shape across every input read so far.
struct Sampler<'p> {
    record_path: &'p [String],
    /// The data path of a record, the root of every path in warnings.
    root: String,
    record: Node,
    records: u64,
}

/// Past this many errors in one file the rest are counted, not listed: a file that
/// is not NDJSON at all would otherwise report every line.
const MAX_ERRORS_PER_FILE: usize = 10;

impl<'p> Sampler<'p> {
    fn new(record_path: &'p [String]) -> Self {
        let root = if record_path.is_empty() {
            "[]".to_owned()
        } else {
            format!("{}[]", record_path.join("."))
        };
        Sampler {
            record_path,
            root,
            record: Node::default(),
            records: 0,
        }
    }

    /// Folds the records of one input into the shape; `name` is used in messages.
    fn read(
        &mut self,
        mut reader: impl BufRead,
        format: Format,
        name: &Path,
        diags: &mut Diagnostics,
    ) {
        skip_bom(&mut reader);
        let mut cx = Cx {
            file: name,
            diags,
            path: self.root.clone(),
            cursor: Cursor::Line(Pos { line: 1, column: 1 }),
            errors: 0,
            records: 0,
        };
        match format {
            Format::Json => read_document(reader, self.record_path, &mut self.record, &mut cx),
            Format::Lines => read_lines(reader, &mut self.record, &mut cx),
        }
        if cx.errors > MAX_ERRORS_PER_FILE {
            let more = cx.errors - MAX_ERRORS_PER_FILE;
            cx.diags.push(
                Diagnostic::error(
                    Location::File(name.to_path_buf()),
                    format!("{more} more errors in this file"),
                )
                .with_hint("only the first errors of each file are listed"),
            );
        }
        self.records += cx.records;
    }
}

/// A UTF-8 byte order mark is legal in files but not in JSON; editors on Windows add it.
fn skip_bom(reader: &mut impl BufRead) {
    if let Ok(head) = reader.fill_buf() {
        if head.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
    }
}

/// A 1-based line and column (in bytes, as serde_json counts them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

/// Where the record being read starts.
enum Cursor {
    /// Inside a streamed document: the position of the last byte the parser took,
    /// which is a value's first byte when its seed is called.
    Stream(Rc<Cell<Pos>>),
    /// The line being read, with the column of its first non-blank byte.
    Line(Pos),
}

/// Everything a seed needs besides the node it fills: where it is, for messages.
struct Cx<'f> {
    file: &'f Path,
    diags: &'f mut Diagnostics,
    /// The data path of the value being visited (`results.conversations[].id`),
    /// grown and truncated in place so visiting a field allocates nothing.
    path: String,
    cursor: Cursor,
    /// Errors in this file, to cap what is listed.
    errors: usize,
    /// Records read from this file.
    records: u64,
}

impl Cx<'_> {
    fn here(&self) -> Pos {
        match &self.cursor {
            Cursor::Stream(at) => at.get(),
            Cursor::Line(pos) => *pos,
        }
    }

    fn position(&self, pos: Pos) -> Location {
        Location::Position {
            file: self.file.to_path_buf(),
            line: pos.line.max(1),
            column: pos.column.max(1),
        }
    }

    fn error(&mut self, diagnostic: Diagnostic) {
        self.errors += 1;
        if self.errors <= MAX_ERRORS_PER_FILE {
            self.diags.push(diagnostic);
        }
    }

    /// Reports a parse failure; `first_line` is the file line the parsed text starts on.
    fn json_error(&mut self, err: &serde_json::Error, first_line: usize, hint: &str) {
        if err.is_io() {
            let diagnostic = Diagnostic::error(
                Location::File(self.file.to_path_buf()),
                format!("cannot read the file: {err}"),
            )
            .with_hint("check that the file is readable and not being written");
            self.error(diagnostic);
            return;
        }
        let text = err.to_string();
        let suffix = format!(" at line {} column {}", err.line(), err.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text);
        let pos = Pos {
            line: first_line + err.line().saturating_sub(1),
            column: err.column(),
        };
        let diagnostic =
            Diagnostic::error(self.position(pos), format!("malformed JSON: {message}"))
                .with_hint(hint);
        self.error(diagnostic);
    }

    /// Folds `incoming` into `node` where their kinds contradict, and says so.
    fn conflict(&mut self, node: &mut Node, incoming: Kind) {
        node.merge(Node::new(incoming), &self.path);
        if let Kind::Json(JsonReason::Mixed(kinds)) = &node.kind {
            let message = format!(
                "the samples hold {kinds} at `{}`; it is kept as JSON text",
                self.path
            );
            self.diags.push(
                Diagnostic::warning(Location::path(Some(self.file), self.path.clone()), message)
                    .with_hint(MIXED_HINT),
            );
        }
    }

    /// Runs `visit` with `segment` appended to the data path.
    fn within<T>(&mut self, segment: &str, visit: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        self.path.push_str(segment);
        let result = visit(self);
        self.path.truncate(len);
        result
    }
}

fn read_document(reader: impl BufRead, record_path: &[String], record: &mut Node, cx: &mut Cx<'_>) {
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
            record_path.join("."),
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

const MIXED_HINT: &str = "if the samples are wrong, fix them so every record has one kind \
                          here; otherwise the value stays JSON text";

const RECORDS_HINT: &str = "set `records` in bridge.toml to the dotted path of the record array, \
                            or give records as a top-level array or NDJSON";

fn read_lines(mut reader: impl BufRead, record: &mut Node, cx: &mut Cx<'_>) {
    // One buffer for every line: it grows to the longest record and no further.
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => number += 1,
            Err(err) => {
                let diagnostic = Diagnostic::error(
                    Location::File(cx.file.to_path_buf()),
                    format!("cannot read the file: {err}"),
                )
                .with_hint("check that the file is readable and not being written");
                cx.error(diagnostic);
                break;
            }
        }
        // Without the line break, an unfinished record ends on its own line (serde_json
        // would otherwise report line 2, column 0).
        while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            line.pop();
        }
        let Some(start) = line.iter().position(|b| !b.is_ascii_whitespace()) else {
            continue;
        };
        cx.cursor = Cursor::Line(Pos {
            line: number,
            column: start + 1,
        });
        let mut de = serde_json::Deserializer::from_slice(&line);
        let result = RecordSeed {
            record,
            cx: &mut *cx,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Err(err) = result {
            cx.json_error(
                &err,
                number,
                "each non-blank line of an NDJSON file must be one complete JSON object",
            );
        }
    }
}

/// Tracks the position of the bytes handed to serde_json, which reads one at a time,
/// so a record's start is known when its seed runs (serde_json only exposes
/// positions in errors).
struct Counting<R> {
    inner: R,
    at: Rc<Cell<Pos>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut pos = self.at.get();
        for &byte in buf.iter().take(n) {
            if byte == b'\n' {
                pos.line += 1;
                pos.column = 0;
            } else {
                pos.column += 1;
            }
        }
        self.at.set(pos);
        Ok(n)
    }
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

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
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

/// One record: an object folded into the record shape; anything else is an error.
struct RecordSeed<'a, 'f> {
    record: &'a mut Node,
    cx: &'a mut Cx<'f>,
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
        cx.within("[]", |cx| {
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
        // Fields known before this object; those it lacks become optional.
        let mut present = vec![false; object.fields.len()];
        while let Some(index) = map.next_key_seed(FieldKey {
            fields: &mut object.fields,
            first,
        })? {
            if let Some(seen) = present.get_mut(index) {
                *seen = true;
            }
            let Some((name, field)) = object.fields.get_index_mut(index) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let name = name.as_str();
            cx.within(".", |cx| {
                cx.within(name, |cx| {
                    map.next_value_seed(ValueSeed {
                        node: &mut field.node,
                        cx,
                    })
                })
            })?;
        }
        for (field, seen) in object.fields.values_mut().zip(present) {
            field.required &= seen;
        }
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
        let json = value.trim_start().starts_with(['{', '['])
            && serde_json::from_str::<IgnoredAny>(value).is_ok();
        if json {
            text.stats.json += 1;
        }
        if !text.stats.all_json() {
            text.embedded = None;
            return;
        }
        // Checked above, so folding cannot stop half-way and leave a partial shape.
        let embedded = text.embedded.get_or_insert_with(Box::default);
        let folded = cx.within("(json)", |cx| {
            let mut de = serde_json::Deserializer::from_str(value);
            ValueSeed { node: embedded, cx }.deserialize(&mut de)
        });
        if folded.is_err() {
            text.embedded = None;
        }
    }
}

/// An object key, resolved to the field's index; a new field is required only in
/// the first object seen here (later ones lacked it).
struct FieldKey<'a> {
    fields: &'a mut IndexMap<String, Field>,
    first: bool,
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

/// The sample files an input path names: itself, or a folder's samples in path order.
fn sample_files(path: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            let mut found = Vec::new();
            walk(path, &mut found, diags);
            found.sort();
            found
        }
        // A file named explicitly is read whatever its extension.
        Ok(_) => vec![path.to_path_buf()],
        Err(err) => {
            diags.push(unreadable(path, &err));
            Vec::new()
        }
    }
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return diags.push(unreadable(dir, &err)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                diags.push(unreadable(dir, &err));
                continue;
            }
        };
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, found, diags);
        } else if Format::is_sample(&path) {
            // Linked files count; linked folders are not followed, so a link cycle
            // cannot loop.
            let is_file = kind.is_file() || fs::metadata(&path).is_ok_and(|m| m.is_file());
            if is_file {
                found.push(path);
            }
        }
    }
}

fn unreadable(path: &Path, err: &io::Error) -> Diagnostic {
    Diagnostic::error(
        Location::File(path.to_path_buf()),
        format!("cannot read sample {}: {err}", path.display()),
    )
    .with_hint(
        "check the sample paths in bridge.toml (or on the command line) and their permissions",
    )
}

fn empty_sample_set(paths: &[PathBuf]) -> Diagnostic {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let location = match paths {
        [one] => Location::File(one.clone()),
        _ => Location::Unknown,
    };
    let message = if names.is_empty() {
        "the sample set is empty: no sample paths were given".to_owned()
    } else {
        format!(
            "the sample set is empty: no records in {}",
            names.join(", ")
        )
    };
    Diagnostic::error(location, message).with_hint(
        "add sample responses (`*.json`, `*.ndjson` or `*.jsonl`) holding at least one record, \
         and check that `records` in bridge.toml names the record array",
    )
}

fn error_count(diags: &Diagnostics) -> usize {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Instant;

    use super::*;
    use cai_bridge_model::shape::TextFormat;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, text).unwrap();
        path
    }

    fn path(segments: &[&str]) -> Vec<String> {
        segments.iter().map(|s| s.to_string()).collect()
    }

    /// Infers one file's text, expecting success.
    fn infer_text(name: &str, text: &str, record_path: &[&str]) -> (Samples, Diagnostics) {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), name, text);
        let mut diags = Diagnostics::default();
        let samples = infer(&[file], &path(record_path), &mut diags);
        let samples = samples.unwrap_or_else(|| panic!("inference failed:\n{diags}"));
        (samples, diags)
    }

    /// Infers one file's text, expecting failure; returns the problems.
    fn infer_errors(name: &str, text: &str, record_path: &[&str]) -> (PathBuf, Vec<Diagnostic>) {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), name, text);
        let mut diags = Diagnostics::default();
        let samples = infer(std::slice::from_ref(&file), &path(record_path), &mut diags);
        assert!(samples.is_none(), "expected errors, got {samples:?}");
        (file, diags.iter().cloned().collect())
    }

    fn fields(node: &Node) -> &IndexMap<String, Field> {
        match &node.kind {
            Kind::Object(object) => &object.fields,
            other => panic!("not an object: {other:?}"),
        }
    }

    fn field<'a>(node: &'a Node, name: &str) -> &'a Field {
        fields(node)
            .get(name)
            .unwrap_or_else(|| panic!("no field {name}"))
    }

    fn embedded(node: &Node) -> Option<&Node> {
        node.text().unwrap().embedded.as_deref()
    }

    #[test]
    fn merge_rules_optional_nullable_widening_formats() {
        let text = r#"
{"id": 1, "name": "a", "score": 1, "big": 1, "gone": null, "maybe": 3, "at": "2021-02-05T17:45:17.044Z", "day": "2021-02-05", "uid": "aedfe87b-b897-39a0-9081-bbf61480fde9", "tags": []}
{"id": 2, "score": 2.5, "big": 5000000000, "gone": null, "maybe": null, "at": "2021-02-05T17:45:17+01:00", "day": "2021-02-06", "uid": "aedfe87b-b897-39a0-9081-bbf61480fde0", "tags": [1, null], "extra": true}

"#;
        let (samples, diags) = infer_text("s.ndjson", text, &[]);
        assert_eq!(diags.iter().count(), 0, "{diags}");
        assert_eq!(samples.records, 2);
        let r = &samples.record;
        let names: Vec<_> = fields(r).keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["id", "name", "score", "big", "gone", "maybe", "at", "day", "uid", "tags", "extra"]
        );
        assert_eq!(field(r, "id").node, Node::new(Kind::Integer(IntWidth::I32)));
        assert!(field(r, "id").required);
        assert!(!field(r, "name").required);
        assert!(!field(r, "extra").required);
        assert_eq!(field(r, "extra").node.kind, Kind::Boolean);
        assert_eq!(field(r, "score").node.kind, Kind::Number);
        assert_eq!(field(r, "big").node.kind, Kind::Integer(IntWidth::I64));
        let gone = &field(r, "gone").node;
        assert_eq!((&gone.kind, gone.nullable), (&Kind::Unknown, true));
        let maybe = &field(r, "maybe").node;
        assert_eq!(
            (&maybe.kind, maybe.nullable),
            (&Kind::Integer(IntWidth::I32), true)
        );
        assert!(field(r, "maybe").required);
        let format = |name| field(r, name).node.text().unwrap().format();
        assert_eq!(format("at"), Some(TextFormat::Timestamp));
        assert_eq!(format("day"), Some(TextFormat::Date));
        assert_eq!(format("uid"), Some(TextFormat::Uuid));
        assert_eq!(format("name"), None);
        let Kind::Array(item) = &field(r, "tags").node.kind else {
            panic!("tags is not an array");
        };
        assert_eq!(
            (&item.kind, item.nullable),
            (&Kind::Integer(IntWidth::I32), true)
        );
    }

    #[test]
    fn first_empty_object_makes_later_fields_optional() {
        let (samples, _) = infer_text("s.json", r#"[{}, {"a": 1}, {"a": 2}]"#, &[]);
        assert!(!field(&samples.record, "a").required);
        assert_eq!(samples.records, 3);
    }

    #[test]
    fn embedded_json_objects_and_arrays_are_inferred() {
        let text = r#"[
            {"payload": "{\"a\": 1, \"b\": [\"x\"]}", "list": " [1, 2.5] "},
            {"payload": "{\"a\": 2}", "list": "[]"}
        ]"#;
        let (samples, _) = infer_text("s.json", text, &[]);
        let payload = &field(&samples.record, "payload").node;
        assert_eq!(payload.text().unwrap().stats.json, 2);
        let inner = embedded(payload).expect("payload keeps its shape");
        assert_eq!(field(inner, "a").node.kind, Kind::Integer(IntWidth::I32));
        assert!(field(inner, "a").required);
        assert!(!field(inner, "b").required);
        let list = embedded(&field(&samples.record, "list").node).expect("list keeps its shape");
        assert_eq!(list.kind, Kind::Array(Box::new(Node::new(Kind::Number))));
    }

    #[test]
    fn embedded_shape_is_dropped_when_one_string_is_not_json() {
        let text = r#"[
            {"late": "{\"a\": 1}", "early": "plain", "broken": "{\"a\": 1}"},
            {"late": "plain", "early": "{\"a\": 1}", "broken": "{\"a\": "}
        ]"#;
        let (samples, _) = infer_text("s.json", text, &[]);
        for name in ["late", "early", "broken"] {
            let node = &field(&samples.record, name).node;
            assert_eq!(embedded(node), None, "{name}");
            assert_eq!(node.text().unwrap().stats.json, 1, "{name}");
            assert_eq!(node.text().unwrap().stats.seen, 2, "{name}");
        }
    }

    #[test]
    fn mixed_kinds_become_json_with_a_warning_naming_the_path() {
        let text = r#"{"results": {"conversations": [
            {"messages": [{"replies": "none"}]},
            {"messages": [{"replies": {"count": 2}}, {"replies": 3}]}
        ]}}"#;
        let (samples, diags) = infer_text("s.json", text, &["results", "conversations"]);
        let Kind::Array(message) = &field(&samples.record, "messages").node.kind else {
            panic!("messages is not an array");
        };
        assert_eq!(
            field(message, "replies").node.kind,
            Kind::Json(JsonReason::Mixed("string and object".into()))
        );
        let warnings: Vec<_> = diags.warnings().collect();
        assert_eq!(warnings.len(), 1, "{diags}");
        let Location::Path { path, .. } = &warnings[0].location else {
            panic!("warning without a data path: {:?}", warnings[0]);
        };
        assert_eq!(path, "results.conversations[].messages[].replies");
        assert!(warnings[0].message.contains("string and object"));
    }

    #[test]
    fn whole_response_top_level_array_and_ndjson_agree() {
        let records = [
            r#"{"id": 1, "text": "hi", "at": "2021-02-05T17:45:17Z"}"#,
            r#"{"id": 70000000000, "text": null}"#,
        ];
        let response = format!(
            r#"{{"count": 2, "conversations": [{{"id": "decoy"}}], "results": {{"next": null,
                "conversations": [{}], "conversations2": [1]}}, "tail": {{"results": 1}}}}"#,
            records.join(",")
        );
        let array = format!("[{}]", records.join(",\n"));
        let lines = records.join("\n");
        let path = ["results", "conversations"];
        let (whole, _) = infer_text("whole.json", &response, &path);
        let (array, _) = infer_text("array.json", &array, &path);
        let (lines, _) = infer_text("lines.jsonl", &lines, &path);
        assert_eq!(whole.records, 2);
        assert_eq!(whole.record, array.record);
        assert_eq!(whole.record, lines.record);
        assert_eq!(array.records, 2);
        assert_eq!(lines.records, 2);
        assert_eq!(
            field(&whole.record, "id").node.kind,
            Kind::Integer(IntWidth::I64)
        );
    }

    #[test]
    fn record_path_that_matches_nothing_names_the_file() {
        let path = ["results", "conversations"];
        for text in [
            r#"{"results": {"other": []}}"#,
            r#"{"results": {"conversations": {"a": 1}}}"#,
            r#"{"results": []}"#,
        ] {
            let (file, errors) = infer_errors("r.json", text, &path);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].location, Location::File(file.clone()));
            assert_eq!(
                errors[0].message,
                format!(
                    "record path results.conversations matches nothing in {}",
                    file.display()
                )
            );
            assert!(errors[0].hint.as_deref().unwrap().contains("`records`"));
        }
        let (_, errors) = infer_errors("r.json", r#"{"a": 1}"#, &[]);
        assert!(errors[0].message.contains("no record path"), "{errors:?}");
    }

    #[test]
    fn malformed_json_points_at_line_and_column() {
        let (file, errors) = infer_errors("bad.json", "[\n  {\"a\": 1},\n  {\"a\": tru}\n]", &[]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].location,
            Location::Position {
                file: file.clone(),
                line: 3,
                column: 12
            }
        );
        assert_eq!(errors[0].message, "malformed JSON: expected ident");
        assert!(errors[0].hint.is_some());

        let text = "{\"a\": 1}\n\n{\"a\": 2,, }\n{\"a\": 3}\n{\"a\"\n";
        let (file, errors) = infer_errors("bad.ndjson", text, &[]);
        let at: Vec<_> = errors.iter().map(|e| e.location.clone()).collect();
        let pos = |line, column| Location::Position {
            file: file.clone(),
            line,
            column,
        };
        assert_eq!(at, [pos(3, 9), pos(5, 4)]);
    }

    #[test]
    fn non_object_records_are_errors_at_their_start() {
        let (file, errors) = infer_errors("s.json", "[1, {\"a\": 1},\n  \"x\", [2]]", &[]);
        let pos = |line, column| Location::Position {
            file: file.clone(),
            line,
            column,
        };
        let at: Vec<_> = errors.iter().map(|e| e.location.clone()).collect();
        assert_eq!(at, [pos(1, 2), pos(2, 3), pos(2, 8)]);
        assert_eq!(errors[1].message, "a record is a string, not an object");
        let (file, errors) = infer_errors("s.ndjson", "{}\n  null\n", &[]);
        assert_eq!(
            errors[0].location,
            Location::Position {
                file,
                line: 2,
                column: 3
            }
        );
    }

    #[test]
    fn errors_are_collected_across_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", "[{\"a\": }]");
        write(dir.path(), "b.json", "[{\"a\": 1}]");
        write(dir.path(), "c.ndjson", "{\"a\": 1}\nnope\n");
        let missing = dir.path().join("missing.json");
        let mut diags = Diagnostics::default();
        let samples = infer(
            &[dir.path().to_path_buf(), missing.clone()],
            &[],
            &mut diags,
        );
        assert!(samples.is_none());
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 3, "{diags}");
        assert!(
            matches!(&errors[0].location, Location::Position { file, .. } if file.ends_with("a.json"))
        );
        assert!(
            matches!(&errors[1].location, Location::Position { file, line: 2, .. } if file.ends_with("c.ndjson"))
        );
        assert_eq!(errors[2].location, Location::File(missing));
    }

    #[test]
    fn errors_past_the_cap_are_counted() {
        let text = "x\n".repeat(MAX_ERRORS_PER_FILE + 5);
        let (_, errors) = infer_errors("s.ndjson", &text, &[]);
        assert_eq!(errors.len(), MAX_ERRORS_PER_FILE + 1);
        assert_eq!(
            errors[MAX_ERRORS_PER_FILE].message,
            "5 more errors in this file"
        );
    }

    #[test]
    fn empty_sample_sets_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut diags = Diagnostics::default();
        assert!(infer(&[dir.path().to_path_buf()], &[], &mut diags).is_none());
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with("the sample set is empty"));
        assert!(errors[0]
            .message
            .contains(&dir.path().display().to_string()));
        assert!(errors[0].hint.is_some());

        write(dir.path(), "a.json", "[]");
        write(dir.path(), "b.ndjson", "\n  \n");
        write(dir.path(), "c.json", r#"{"results": []}"#);
        let mut diags = Diagnostics::default();
        assert!(infer(&[dir.path().to_path_buf()], &path(&["results"]), &mut diags).is_none());
        assert_eq!(diags.iter().count(), 1, "{diags}");

        let mut diags = Diagnostics::default();
        assert!(infer(&[], &[], &mut diags).is_none());
        assert!(diags.has_errors());
    }

    #[test]
    fn folders_are_read_recursively_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.json", r#"[{"b": 1}]"#);
        write(dir.path(), "a.ndjson", r#"{"a": 1}"#);
        write(dir.path(), "sub/c.jsonl", r#"{"c": 1}"#);
        write(dir.path(), "sub/deeper/d.JSON", r#"[{"d": 1}]"#);
        write(dir.path(), "notes.txt", "not a sample");
        let explicit = write(dir.path(), "other/e.data", r#"[{"e": 1}]"#);
        let inputs = [dir.path().to_path_buf(), explicit.clone()];
        let run = || {
            let mut diags = Diagnostics::default();
            infer(&inputs, &[], &mut diags).unwrap()
        };
        let first = run();
        assert_eq!(first, run());
        let files: Vec<_> = first
            .files
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        let expected: Vec<PathBuf> = [
            "a.ndjson",
            "b.json",
            "sub/c.jsonl",
            "sub/deeper/d.JSON",
            "other/e.data",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(files, expected);
        let names: Vec<_> = fields(&first.record).keys().map(String::as_str).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(first.records, 5);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let nested = |depth| format!("[{}{}]", "{\"a\":[".repeat(depth), "]}".repeat(depth));
        let (samples, _) = infer_text("ok.json", &nested(60), &[]);
        assert_eq!(samples.records, 1);
        let (_, errors) = infer_errors("deep.json", &nested(200), &[]);
        assert!(errors[0].message.contains("recursion limit"), "{errors:?}");
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let (samples, _) = infer_text("s.json", "\u{feff}[{\"a\": 1}]", &[]);
        assert_eq!(samples.records, 1);
    }

    /// Yields `records` NDJSON records (or one JSON array of them), generated on
    /// demand, so the test holds no sample data of its own.
    struct Generated {
        next: u64,
        records: u64,
        array: bool,
        pending: Vec<u8>,
        offset: usize,
    }

    impl Generated {
        fn new(records: u64, array: bool) -> Self {
            let pending = if array { b"[".to_vec() } else { Vec::new() };
            Generated {
                next: 0,
                records,
                array,
                pending,
                offset: 0,
            }
        }

        fn refill(&mut self) {
            self.pending.clear();
            self.offset = 0;
            if self.next == self.records {
                if self.array {
                    self.pending.extend_from_slice(b"]");
                    self.array = false;
                }
                return;
            }
            let i = self.next;
            let separator = if self.array && i > 0 { "," } else { "" };
            let note = if i % 2 == 0 { r#","note":null"# } else { "" };
            write!(
                self.pending,
                r#"{separator}{{"id":{i},"kind":"k{}","ok":true{note}}}"#,
                i % 3
            )
            .unwrap();
            self.pending.push(b'\n');
            self.next += 1;
        }
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.offset == self.pending.len() {
                self.refill();
            }
            let n = buf.len().min(self.pending.len() - self.offset);
            buf[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
            self.offset += n;
            Ok(n)
        }
    }

    #[test]
    fn large_inputs_stream_without_keeping_records() {
        // Enough data that keeping records would show, few enough for a debug build.
        const RECORDS: u64 = 500_000;
        for (array, format) in [(false, Format::Lines), (true, Format::Json)] {
            let started = Instant::now();
            let mut sampler = Sampler::new(&[]);
            let mut diags = Diagnostics::default();
            let reader = BufReader::new(Generated::new(RECORDS, array));
            sampler.read(reader, format, Path::new("generated"), &mut diags);
            eprintln!("{format:?}: {RECORDS} records in {:?}", started.elapsed());
            assert_eq!(diags.iter().count(), 0, "{diags}");
            assert_eq!(sampler.records, RECORDS);
            let r = &sampler.record;
            assert_eq!(field(r, "id").node.kind, Kind::Integer(IntWidth::I32));
            let kind = field(r, "kind").node.text().unwrap();
            assert_eq!(kind.stats.seen, RECORDS);
            assert_eq!(
                kind.stats.enum_candidate(),
                Some(vec!["k0".into(), "k1".into(), "k2".into()])
            );
            assert!(!field(r, "note").required);
            assert!(field(r, "note").node.nullable);
        }
    }
}
