//! Where a seed is, for messages: the file, the position of the record being read,
//! the data path of the value being visited, and the diagnostics it reports to.

use std::fmt;
use std::path::Path;

use super::position::{Cursor, Pos};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use cai_bridge_model::path;
use cai_bridge_model::shape::{JsonReason, Kind, Node};

/// Past this many errors in one file the rest are counted, not listed: a file that
/// is not NDJSON at all would otherwise report every line.
pub(super) const MAX_ERRORS_PER_FILE: usize = 10;

const MIXED_HINT: &str = "if the samples are wrong, fix them so every record has one kind \
                          here; otherwise the value stays JSON text";

/// The data path of the record array a record path names (`results.conversations`).
pub(super) fn record_array(record_path: &[String]) -> String {
    record_path
        .iter()
        .fold(String::new(), |array, key| path::member(&array, key))
}

/// Everything a seed needs besides the node it fills: where it is, for messages.
pub(super) struct Cx<'f> {
    /// The file being read.
    pub(super) file: &'f Path,
    diags: &'f mut Diagnostics,
    /// The data path of the value being visited (`results.conversations[].id`).
    path: String,
    /// Where the record being read starts.
    pub(super) cursor: Cursor,
    /// Errors in this file, to cap what is listed.
    errors: usize,
    /// Records read from this file.
    pub(super) records: u64,
    /// Which known fields the objects being read have shown, one run of flags per
    /// object from the record down (see the seeds' `visit_map`).
    pub(super) present: Vec<bool>,
}

impl<'f> Cx<'f> {
    /// Starts reading `file`, whose records are at the data path `root`.
    pub(super) fn new(file: &'f Path, diags: &'f mut Diagnostics, root: String) -> Self {
        Cx {
            file,
            diags,
            path: root,
            cursor: Cursor::Line(Pos { line: 1, column: 1 }),
            errors: 0,
            records: 0,
            present: Vec::new(),
        }
    }

    /// Ends the file: counts the errors past the cap; yields the records read.
    pub(super) fn finish(self) -> u64 {
        if self.errors > MAX_ERRORS_PER_FILE {
            let more = self.errors - MAX_ERRORS_PER_FILE;
            self.diags.push(
                Diagnostic::error(
                    Location::File(self.file.to_path_buf()),
                    format!("{more} more errors in this file"),
                )
                .with_hint("only the first errors of each file are listed"),
            );
        }
        self.records
    }

    /// Where the record being read starts.
    pub(super) fn here(&self) -> Pos {
        match &self.cursor {
            Cursor::Stream(at) => at.get(),
            Cursor::Line(pos) => *pos,
        }
    }

    /// `pos` in this file.
    pub(super) fn position(&self, pos: Pos) -> Location {
        Location::Position {
            file: self.file.to_path_buf(),
            line: pos.line.max(1),
            column: pos.column.max(1),
        }
    }

    /// Reports an error, unless this file already reported too many.
    pub(super) fn error(&mut self, diagnostic: Diagnostic) {
        self.errors += 1;
        if self.errors <= MAX_ERRORS_PER_FILE {
            self.diags.push(diagnostic);
        }
    }

    /// Reports that the file could not be read (as opposed to parsed).
    pub(super) fn read_error(&mut self, err: impl fmt::Display) {
        let diagnostic = Diagnostic::error(
            Location::File(self.file.to_path_buf()),
            format!("cannot read the file: {err}"),
        )
        .with_hint("check that the file is readable and not being written");
        self.error(diagnostic);
    }

    /// Reports a parse failure; `first_line` is the file line the parsed text starts on.
    pub(super) fn json_error(&mut self, err: &serde_json::Error, first_line: usize, hint: &str) {
        if err.is_io() {
            return self.read_error(err);
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
    pub(super) fn conflict(&mut self, node: &mut Node, incoming: Kind) {
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

    /// Runs `attempt`, and when it fails takes back the warnings it reported, so a
    /// guess that turned out wrong leaves no trace.
    pub(super) fn tentatively<T, E>(
        &mut self,
        attempt: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let reported = self.diags.len();
        let result = attempt(self);
        if result.is_err() {
            self.diags.truncate(reported);
        }
        result
    }

    /// Runs `visit` on the member `key` of the object here (`path.key`), grown and
    /// truncated in place like [`Cx::within`]: a fresh string per field visited was
    /// the largest cost of inference after parsing.
    pub(super) fn member<T>(&mut self, key: &str, visit: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        path::push_member(&mut self.path, key);
        let result = visit(self);
        self.path.truncate(len);
        result
    }

    /// Runs `visit` with `segment` ([`path::ITEM`] or [`path::JSON`]) appended to
    /// the data path, grown and truncated in place so that it allocates nothing.
    pub(super) fn within<T>(&mut self, segment: &str, visit: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        self.path.push_str(segment);
        let result = visit(self);
        self.path.truncate(len);
        result
    }
}
