//! Reading a large NDJSON file in parts at once, a thread each.
//!
//! Lines are independent records, so a file cut at line breaks folds part by part
//! into shapes that merge into what one pass would have made: counters add, sets
//! unite, a field some part lacks is optional, fields keep the order they were first
//! seen in. What merging cannot reproduce is what one pass would have said: a later
//! part's problems name lines that only a pass from the start can count, and kinds
//! that contradict across parts would have been reported where the pass met them.
//! So the parts after the first read silently and must merge cleanly; where one did
//! not, the caller reads the file again in one pass, which says it as it always did.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::num::NonZeroUsize;
use std::path::Path;
use std::thread;

use super::context::Cx;
use super::lines;
use super::READ_BUFFER;
use crate::diagnostic::Diagnostics;
use cai_bridge_model::shape::{self, Kind, Node};

/// Below this many bytes a part is not worth a thread.
const PART_MIN: u64 = 1 << 20;

/// How many parts a file of `len` bytes is read in on this machine: one per core,
/// each at least [`PART_MIN`].
pub(super) fn count(len: u64) -> usize {
    let fits = usize::try_from(len / PART_MIN).unwrap_or(usize::MAX);
    if fits < 2 {
        // Not worth asking the system for its cores (cgroup files) for a small file.
        return 1;
    }
    let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    cores.min(fits)
}

/// The byte ranges of `parts` parts of the `len` bytes of `file`: cut near even
/// shares, each cut moved forward to the next line start (so a part may be empty).
pub(super) fn ranges(file: &Path, len: u64, parts: usize) -> io::Result<Vec<(u64, u64)>> {
    let mut reader = BufReader::new(File::open(file)?);
    let mut starts = vec![0];
    for part in 1..parts {
        let even = len * part as u64 / parts as u64;
        let last = starts[starts.len() - 1];
        let start = if even <= last {
            last
        } else {
            // From the byte before the cut, so a cut right after a line break stays.
            reader.seek(SeekFrom::Start(even - 1))?;
            even - 1 + reader.skip_until(b'\n')? as u64
        };
        starts.push(start);
    }
    let ends = starts.iter().skip(1).copied().chain([len]);
    Ok(starts.iter().copied().zip(ends).collect())
}

/// Folds the lines in `range` of `file` into a shape of their own; `None` when the
/// part had something to say (a problem), which only a pass from the start can place.
/// `root` is the data path of a record.
pub(super) fn read(file: &Path, range: (u64, u64), root: String) -> Option<(Node, u64)> {
    let mut handle = File::open(file).ok()?;
    handle.seek(SeekFrom::Start(range.0)).ok()?;
    let reader = BufReader::with_capacity(READ_BUFFER, handle.take(range.1 - range.0));
    let mut diags = Diagnostics::default();
    let mut record = Node::default();
    let mut cx = Cx::new(file, &mut diags, root);
    lines::read(reader, &mut record, &mut cx);
    let records = cx.finish();
    diags.is_empty().then_some((record, records))
}

/// Whether merging `part` into `so_far` gives what folding the part's records into
/// `so_far` would have, without a word: no kinds that contradict, and no JSON strings
/// whose shape the part dropped while `so_far` would have folded them.
pub(super) fn merges_cleanly(so_far: &Node, part: &Node) -> bool {
    match (&so_far.kind, &part.kind) {
        // Values at a place already kept as JSON text are not looked at.
        (Kind::Json(_), _) => true,
        // Only a contradiction (which the part would have reported) makes JSON text.
        (_, Kind::Json(_)) => false,
        (Kind::Unknown, _) | (_, Kind::Unknown) => true,
        (Kind::String(mine), Kind::String(theirs)) => match (&mine.embedded, &theirs.embedded) {
            (Some(mine), Some(theirs)) => merges_cleanly(mine, theirs),
            // The part folded JSON strings into a shape it then dropped: how they
            // compare with `so_far`'s shape is lost.
            (Some(_), None) => theirs.stats.json == 0,
            // `so_far`'s strings are not all JSON: the part's shape is dropped unread.
            (None, _) => true,
        },
        (Kind::Array(mine), Kind::Array(theirs)) => merges_cleanly(mine, theirs),
        (Kind::Object(mine), Kind::Object(theirs)) => theirs.fields.iter().all(|(name, field)| {
            mine.fields
                .get(name)
                .is_none_or(|known| merges_cleanly(&known.node, &field.node))
        }),
        (mine, theirs) => shape::widen(mine, theirs).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;
    use std::path::PathBuf;

    use serde_json::json;

    use super::super::{files::Format, Sampler};
    use super::*;
    use crate::diagnostic::Location;

    /// CAI-like records (nulls, nested arrays, JSON in strings, an enum-like field),
    /// a field that only later records have, and integers that widen late.
    fn record(i: u64) -> serde_json::Value {
        let mut record = json!({
            "id": format!("{i:08x}-b897-49a0-9081-{i:012x}"),
            "start_at": format!("2021-02-05T17:45:{:02}.044Z", i % 60),
            "channel": if i % 7 == 0 { serde_json::Value::Null } else { json!(format!("web-{}", i % 3)) },
            "count": if i > 1500 { json!(1u64 << 40) } else { json!(i) },
            "messages": (0..i % 4).map(|j| json!({
                "content": json!({"text": format!("hello {j}"), "type": "text"}).to_string(),
                "intents": [{"slug": "greet", "confidence": 0.9}],
            })).collect::<Vec<_>>(),
        });
        if i > 1800 {
            record["late"] = json!({"flag": true});
        }
        record
    }

    fn write_lines(lines: impl IntoIterator<Item = String>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("samples.ndjson");
        let mut file = fs::File::create(&path).unwrap();
        for line in lines {
            writeln!(file, "{line}").unwrap();
        }
        (dir, path)
    }

    /// What a sampler made of `file`, and its diagnostics.
    type Read = (Node, u64, Diagnostics);

    fn one_pass(file: &Path) -> Read {
        let mut sampler = Sampler::new(&[]);
        let mut diags = Diagnostics::default();
        let reader = BufReader::new(File::open(file).unwrap());
        sampler.read(reader, Format::Lines, file, &mut diags);
        (sampler.record, sampler.records, diags)
    }

    /// Reads `file` as [`Sampler::read_file`] does, in `count` parts; says whether
    /// the parts stood (or the file was read again in one pass).
    fn in_parts(file: &Path, count: usize) -> (Read, bool) {
        let mut sampler = Sampler::new(&[]);
        let mut diags = Diagnostics::default();
        let len = fs::metadata(file).unwrap().len();
        let stood = sampler.read_in_parts(file, len, count, &mut diags);
        if !stood {
            let reader = BufReader::new(File::open(file).unwrap());
            sampler.read(reader, Format::Lines, file, &mut diags);
        }
        ((sampler.record, sampler.records, diags), stood)
    }

    #[test]
    fn parts_merge_into_what_one_pass_makes() {
        let (_dir, file) = write_lines((0..2000).map(|i| record(i).to_string()));
        let expected = one_pass(&file);
        assert!(expected.2.is_empty(), "{}", expected.2);
        for count in [2, 3, 7] {
            let (read, stood) = in_parts(&file, count);
            assert!(stood, "{count} parts fell back to one pass");
            assert_eq!(read, expected, "{count} parts");
        }
    }

    #[test]
    fn cuts_fall_on_line_starts_and_cover_the_file() {
        let (_dir, file) = write_lines((0..300).map(|i| record(i).to_string()));
        let bytes = fs::read(&file).unwrap();
        let len = bytes.len() as u64;
        for count in [2, 5, 64, 5000] {
            let ranges = ranges(&file, len, count).unwrap();
            assert_eq!(ranges.len(), count);
            assert_eq!(ranges[0].0, 0);
            assert_eq!(ranges[count - 1].1, len);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].1, pair[1].0);
            }
            for &(start, end) in &ranges {
                assert!(start <= end);
                assert!(start == 0 || start == len || bytes[start as usize - 1] == b'\n');
            }
        }
        // One line: every later part is empty.
        let (_dir, file) = write_lines([record(3).to_string()]);
        let len = fs::metadata(&file).unwrap().len();
        let ranges = ranges(&file, len, 4).unwrap();
        assert_eq!(ranges[1..], [(len, len); 3]);
    }

    #[test]
    fn a_problem_in_a_later_part_is_told_from_one_pass() {
        let mut lines: Vec<String> = (0..2000).map(|i| record(i).to_string()).collect();
        lines[1899] = r#"{"id": "broken","#.into();
        let (_dir, file) = write_lines(lines);
        let expected = one_pass(&file);
        let (read, stood) = in_parts(&file, 2);
        assert!(!stood);
        assert_eq!(read, expected);
        let at: Vec<_> = read.2.iter().map(|d| d.location.clone()).collect();
        assert!(
            matches!(at[..], [Location::Position { line: 1900, .. }]),
            "{at:?}"
        );
    }

    /// Asserts that two parts of `file` meet at line 1001, that one pass over it
    /// warns once, and that reading it in the two parts falls back to that pass.
    fn warned_once_from_one_pass(file: &Path) {
        let bytes = fs::read(file).unwrap();
        let line_1001 = bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(999);
        let cut = ranges(file, bytes.len() as u64, 2).unwrap()[1].0;
        assert_eq!(Some(cut as usize - 1), line_1001.map(|(at, _)| at));
        let expected = one_pass(file);
        assert_eq!(expected.2.warnings().count(), 1, "{}", expected.2);
        let (read, stood) = in_parts(file, 2);
        assert!(!stood);
        assert_eq!(read, expected);
    }

    #[test]
    fn kinds_that_contradict_across_parts_are_told_from_one_pass() {
        // Lines of one length, so that two parts meet at line 1001: integers, then
        // strings, each part of one kind.
        let (_dir, file) = write_lines((0..2000).map(|i| match i {
            0..1000 => format!(r#"{{"id":{}}}"#, 1_000_000 + i),
            _ => format!(r#"{{"id":"s{i:04}"}}"#),
        }));
        warned_once_from_one_pass(&file);
    }

    #[test]
    fn json_strings_a_later_part_dropped_are_folded_in_one_pass() {
        // Lines of one length, so that two parts meet at line 1001. The later part's
        // JSON contradicts the earlier part's before plain strings drop it: one pass
        // reports the contradiction, which the part's shape lost.
        let (_dir, file) = write_lines((0..2000).map(|i| {
            let payload = match i {
                0..1000 => json!({ "a": 100_000 + i }).to_string(),
                1000..1990 => json!({ "a": "xy" }).to_string(),
                _ => "plain-text-000".to_owned(),
            };
            json!({ "payload": payload }).to_string()
        }));
        warned_once_from_one_pass(&file);
    }
}
