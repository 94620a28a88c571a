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
//!
//! The reading is split by job: `files` finds the samples an input names,
//! `document` and `lines` read the two formats (`parts` a large NDJSON file on
//! every core, `array` a well-formed array the quick way), `seed` folds values into the shape,
//! `context` tracks where they are for messages and `position` where a record
//! starts.

mod array;
mod context;
mod document;
mod files;
mod lines;
mod parts;
mod position;
mod seed;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use self::context::{record_array, Cx};
use self::files::{sample_files, unreadable, Format};
use crate::diagnostic::{Diagnostic, Diagnostics, Location, Severity};
use cai_bridge_model::path;
use cai_bridge_model::shape::Node;

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
            sampler.read_file(&file, diags);
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

/// The accumulated record shape across every input read so far.
struct Sampler<'p> {
    record_path: &'p [String],
    /// The data path of a record, the root of every path in warnings.
    root: String,
    record: Node,
    records: u64,
}

impl<'p> Sampler<'p> {
    fn new(record_path: &'p [String]) -> Self {
        Sampler {
            record_path,
            root: path::item(&record_array(record_path)),
            record: Node::default(),
            records: 0,
        }
    }

    /// Folds the records of the sample `file` into the shape.
    fn read_file(&mut self, file: &Path, diags: &mut Diagnostics) {
        let format = Format::of(file);
        if format == Format::Json && self.read_array(file, diags) {
            return;
        }
        if format == Format::Lines {
            let len = file.metadata().map_or(0, |meta| meta.len());
            if self.read_in_parts(file, len, parts::count(len), diags) {
                return;
            }
        }
        match File::open(file) {
            Ok(handle) => {
                let reader = BufReader::with_capacity(READ_BUFFER, handle);
                self.read(reader, format, file, diags);
            }
            Err(err) => diags.push(unreadable(file, &err)),
        }
    }

    /// Folds `file` the quick way if it is a well-formed array of record objects
    /// (see [`array`]); otherwise leaves the shape and the diagnostics as they were
    /// and yields false, for [`Sampler::read`] to read it again and say what is wrong.
    fn read_array(&mut self, file: &Path, diags: &mut Diagnostics) -> bool {
        let Ok(handle) = File::open(file) else {
            return false;
        };
        let before = self.record.clone();
        let reported = diags.len();
        let errors_before = error_count(diags);
        let mut reader = BufReader::with_capacity(READ_BUFFER, handle);
        skip_bom(&mut reader);
        let mut cx = Cx::new(file, diags, self.root.clone());
        let read = array::read(reader, &mut self.record, &mut cx);
        let records = cx.finish();
        if read && error_count(diags) == errors_before {
            self.records += records;
            return true;
        }
        self.record = before;
        diags.truncate(reported);
        false
    }

    /// Folds the `len` bytes of the NDJSON `file` in `count` parts at once (see
    /// [`parts`]); otherwise (one part, or a later part that did not read and merge
    /// cleanly) leaves the shape and the diagnostics as they were and yields false,
    /// for [`Sampler::read`] to read it in one pass.
    fn read_in_parts(
        &mut self,
        file: &Path,
        len: u64,
        count: usize,
        diags: &mut Diagnostics,
    ) -> bool {
        if count < 2 {
            return false;
        }
        let Ok(ranges) = parts::ranges(file, len, count) else {
            return false;
        };
        let (before, records, reported) = (self.record.clone(), self.records, diags.len());
        let root = self.root.clone();
        let later = std::thread::scope(|scope| {
            let workers: Vec<_> = ranges[1..]
                .iter()
                .map(|&range| {
                    let root = root.clone();
                    scope.spawn(move || parts::read(file, range, root))
                })
                .collect();
            // The first part here, saying what it finds as one pass would.
            match File::open(file) {
                Ok(handle) => {
                    let first = handle.take(ranges[0].1);
                    let reader = BufReader::with_capacity(READ_BUFFER, first);
                    self.read(reader, Format::Lines, file, diags);
                }
                Err(err) => diags.push(unreadable(file, &err)),
            }
            workers
                .into_iter()
                .map(|worker| worker.join().ok().flatten())
                .collect::<Option<Vec<_>>>()
        });
        let mut merged = later.is_some();
        for (part, part_records) in later.into_iter().flatten() {
            if !parts::merges_cleanly(&self.record, &part) {
                merged = false;
                break;
            }
            self.record.merge(part, &root);
            self.records += part_records;
        }
        if !merged {
            self.record = before;
            self.records = records;
            diags.truncate(reported);
        }
        merged
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
        let mut cx = Cx::new(name, diags, self.root.clone());
        match format {
            Format::Json => document::read(reader, self.record_path, &mut self.record, &mut cx),
            Format::Lines => lines::read(reader, &mut self.record, &mut cx),
        }
        self.records += cx.finish();
    }
}

/// The readers' buffer: NDJSON lines and quickly read records are copied out of
/// it, so reads larger than `BufReader`'s 8 KiB mean fewer calls for 56 KiB more.
const READ_BUFFER: usize = 1 << 16;

/// A UTF-8 byte order mark is legal in files but not in JSON; editors on Windows add it.
fn skip_bom(reader: &mut impl BufRead) {
    if let Ok(head) = reader.fill_buf() {
        if head.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
        }
    }
}

/// The error for samples that held no record at all.
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

/// Errors, not warnings: an error anywhere fails the inference.
fn error_count(diags: &Diagnostics) -> usize {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}
