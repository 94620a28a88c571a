//! Finding the sample files an input names, and telling JSON from NDJSON.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics, Location};

/// How a sample file holds its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
    /// One JSON document: a whole response (object) or an array of records.
    Json,
    /// One record per non-blank line.
    Lines,
}

impl Format {
    /// The format a file's extension names: `*.ndjson` and `*.jsonl` are lines, the
    /// rest (a file named explicitly may have any extension) one document.
    pub(super) fn of(path: &Path) -> Self {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("ndjson") || ext.eq_ignore_ascii_case("jsonl") {
            Format::Lines
        } else {
            Format::Json
        }
    }

    /// Whether a file found in a folder is a sample.
    fn is_sample(path: &Path) -> bool {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        ext.eq_ignore_ascii_case("json") || Format::of(path) == Format::Lines
    }
}

/// The sample files an input path names: itself, or a folder's samples in path order.
pub(super) fn sample_files(path: &Path, diags: &mut Diagnostics) -> Vec<PathBuf> {
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

/// Collects the samples below `dir`, in the order the file system lists them.
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

/// An input or sample that cannot be opened or listed.
pub(super) fn unreadable(path: &Path, err: &io::Error) -> Diagnostic {
    Diagnostic::error(
        Location::File(path.to_path_buf()),
        format!("cannot read sample {}: {err}", path.display()),
    )
    .with_hint(
        "check the sample paths in bridge.toml (or on the command line) and their permissions",
    )
}
