//! Tests for the sample reader, each over small files in a temporary folder (or a
//! generated stream).

use std::fs;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indexmap::IndexMap;

use super::context::MAX_ERRORS_PER_FILE;
use super::files::Format;
use super::*;
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use cai_bridge_model::shape::{Field, IntWidth, JsonReason, Kind, Node, TextFormat};

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
fn quick_array_reading_agrees_with_the_streaming_reader() {
    // Records over several lines, brackets and escaped quotes inside strings, a kind
    // conflict that warns: the quick scan of an array must fold what NDJSON folds.
    let records = [
        r#"{"id": 1, "v": "a\"}]b", "n": {"x": [1, 2]}, "j": "{\"k\": [1]}"}"#,
        r#"{"id": 2.5, "v": 3, "n": {"x": []}, "j": "{\"k\": []}"}"#,
    ];
    let array = format!(
        "[\n  {},\n  {}\n]\n",
        records[0],
        records[1].replace(", ", ",\n    ")
    );
    let (quick, quick_diags) = infer_text("a.json", &array, &[]);
    let (lines, line_diags) = infer_text("a.ndjson", &records.join("\n"), &[]);
    assert_eq!(quick.record, lines.record);
    assert_eq!(quick.records, 2);
    let messages = |d: &Diagnostics| d.iter().map(|d| d.message.clone()).collect::<Vec<_>>();
    assert_eq!(messages(&quick_diags), messages(&line_diags));
    assert_eq!(quick_diags.warnings().count(), 1, "{quick_diags}");

    // Malformed after a warning: the quick scan gives up and the careful read reports
    // the warning once and the error where it is.
    let (file, problems) = infer_errors(
        "bad.json",
        "[{\"v\": 1}, {\"v\": \"s\"},\n {\"v\": tru}]",
        &[],
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].severity, Severity::Warning);
    assert_eq!(problems[1].message, "malformed JSON: expected ident");
    assert_eq!(
        problems[1].location,
        Location::Position {
            file,
            line: 2,
            column: 11
        }
    );
}

#[test]
fn invalid_utf8_is_an_error_where_it_is() {
    // Records are checked for UTF-8 whole before parsing; the error still points at
    // the byte, in both formats.
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], usize, usize); 2] = [
        ("bad.ndjson", b"{\"a\": \"x\"}\n{\"a\": \"\xff\"}\n", 2, 8),
        ("bad.json", b"[{\"a\": \"x\"},\n {\"a\": \"\xff\"}]", 2, 9),
    ];
    for (name, bytes, line, column) in cases {
        let file = dir.path().join(name);
        fs::write(&file, bytes).unwrap();
        let mut diags = Diagnostics::default();
        assert!(infer(std::slice::from_ref(&file), &[], &mut diags).is_none());
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{diags}");
        assert_eq!(
            errors[0].message,
            "malformed JSON: invalid unicode code point"
        );
        assert_eq!(
            errors[0].location,
            Location::Position { file, line, column }
        );
    }
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
