//! Line and column positions, so that errors point at the record they are about.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// A 1-based line and column (in bytes, as serde_json counts them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pos {
    /// The line, from 1.
    pub(super) line: usize,
    /// The byte in the line, from 1 (0 before its first byte).
    pub(super) column: usize,
}

/// Where the record being read starts.
pub(super) enum Cursor {
    /// Inside a streamed document: the position of the last byte the parser took,
    /// which is a value's first byte when its seed is called.
    Stream(Rc<Cell<Pos>>),
    /// The line being read, with the column of its first non-blank byte.
    Line(Pos),
}

/// Tracks the position of the bytes handed to serde_json, which reads one at a time,
/// so a record's start is known when its seed runs (serde_json only exposes
/// positions in errors).
pub(super) struct Counting<R> {
    /// The reader counted.
    pub(super) inner: R,
    /// The position of the last byte read, shared with the [`Cursor`].
    pub(super) at: Rc<Cell<Pos>>,
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
