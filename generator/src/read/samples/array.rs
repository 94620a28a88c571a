//! The quick way through a `.json` sample that is a plain array of record objects:
//! each record's bytes are found by a scan that only tracks strings and brackets,
//! then parsed from a slice, so serde_json does not pull the file one byte at a time
//! through a reader (two thirds of a document's inference when it did).
//!
//! Only well-formed input takes this way to its end: at anything else (another top,
//! a record that is not an object, malformed JSON, a read error) it gives up, and
//! the caller reads the file again with [`super::document`], which owns every
//! message and its position. Memory stays one record, as for NDJSON.

use std::io::BufRead;

use memchr::{memchr2, memchr_iter, memrchr};

use super::context::Cx;
use super::position::{Cursor, Pos};
use super::seed::fold_record;
use cai_bridge_model::shape::Node;

/// serde_json's nesting limit for a whole document; a record inside the array may
/// nest one level less before the streaming reader would refuse it.
const MAX_RECORD_DEPTH: usize = 127;

/// Folds the records of `reader`, an array of objects, into `record`; false when the
/// input is anything else and must be read the careful way.
pub(super) fn read(reader: impl BufRead, record: &mut Node, cx: &mut Cx<'_>) -> bool {
    Scan {
        reader,
        at: Pos { line: 1, column: 0 },
        bytes: Vec::new(),
    }
    .records(record, cx)
    .is_some()
}

/// The reader and the position of the last byte taken from it.
struct Scan<R> {
    reader: R,
    at: Pos,
    /// The record being read, reused so it grows to the longest one and no further.
    bytes: Vec<u8>,
}

impl<R: BufRead> Scan<R> {
    /// `[`, then records separated by commas, `]`, and nothing but blanks after.
    fn records(&mut self, record: &mut Node, cx: &mut Cx<'_>) -> Option<()> {
        (self.next_token()? == b'[').then_some(())?;
        if self.peek_token()? == b']' {
            self.take();
            return self.at_end();
        }
        loop {
            self.record(record, cx)?;
            match self.next_token()? {
                b',' => {}
                b']' => return self.at_end(),
                _ => return None,
            }
        }
    }

    /// One record object, folded into `record`.
    fn record(&mut self, record: &mut Node, cx: &mut Cx<'_>) -> Option<()> {
        (self.peek_token()? == b'{').then_some(())?;
        let start = Pos {
            line: self.at.line,
            column: self.at.column + 1,
        };
        self.object()?;
        cx.cursor = Cursor::Line(start);
        fold_record(&self.bytes, record, cx).ok()
    }

    /// Moves the object starting here into `bytes`, up to its closing brace.
    fn object(&mut self) -> Option<()> {
        self.bytes.clear();
        let mut brackets = Brackets::default();
        loop {
            let chunk = self.reader.fill_buf().ok()?;
            if chunk.is_empty() {
                return None;
            }
            let (taken, closed) = match brackets.scan(chunk) {
                Some(end) => (end, true),
                None => (chunk.len(), false),
            };
            self.bytes.extend_from_slice(&chunk[..taken]);
            self.reader.consume(taken);
            if brackets.deepest > MAX_RECORD_DEPTH {
                return None;
            }
            if closed {
                break;
            }
        }
        match memrchr(b'\n', &self.bytes) {
            Some(last) => {
                self.at.line += memchr_iter(b'\n', &self.bytes).count();
                self.at.column = self.bytes.len() - last - 1;
            }
            None => self.at.column += self.bytes.len(),
        }
        Some(())
    }

    /// The next byte that is not a blank, left unread; None at the end or on an error.
    fn peek_token(&mut self) -> Option<u8> {
        loop {
            let chunk = self.reader.fill_buf().ok()?;
            let &byte = chunk.first()?;
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
            self.take();
        }
    }

    /// The next byte that is not a blank, taken.
    fn next_token(&mut self) -> Option<u8> {
        let byte = self.peek_token()?;
        self.take();
        Some(byte)
    }

    /// Takes one byte already seen, counting its position.
    fn take(&mut self) {
        if self.reader.fill_buf().ok().and_then(|c| c.first().copied()) == Some(b'\n') {
            self.at.line += 1;
            self.at.column = 0;
        } else {
            self.at.column += 1;
        }
        self.reader.consume(1);
    }

    /// Whether only blanks are left (and the rest could be read).
    fn at_end(&mut self) -> Option<()> {
        loop {
            let chunk = self.reader.fill_buf().ok()?;
            if chunk.is_empty() {
                return Some(());
            }
            if !chunk
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                return None;
            }
            let n = chunk.len();
            self.reader.consume(n);
        }
    }
}

/// Where a scan is inside one JSON value: how deep in brackets, and in a string.
#[derive(Default)]
struct Brackets {
    depth: usize,
    deepest: usize,
    in_string: bool,
    escaped: bool,
}

impl Brackets {
    /// Scans `chunk`; yields the length up to and including the bracket that closes
    /// the value, or None when the value goes on past the chunk.
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // Strings are most of a record's bytes: jump to where one may end.
                i += memchr2(b'"', b'\\', &chunk[i..])?;
                if chunk[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                }
                i += 1;
                continue;
            }
            match chunk[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.deepest = self.deepest.max(self.depth);
                }
                b'}' | b']' => {
                    // The scan starts on the record's `{`, so a closing bracket always
                    // has an opening one before it.
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }
}
