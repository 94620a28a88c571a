//! Reading an NDJSON sample: one record per non-blank line.

use std::io::BufRead;

use super::context::Cx;
use super::position::{Cursor, Pos};
use super::seed::fold_record;
use cai_bridge_model::shape::Node;

/// Folds every line of `reader` into `record`.
pub(super) fn read(mut reader: impl BufRead, record: &mut Node, cx: &mut Cx<'_>) {
    // One buffer for every line: it grows to the longest record and no further.
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => number += 1,
            Err(err) => {
                cx.read_error(err);
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
        let result = fold_record(&line, record, cx);
        if let Err(err) = result {
            cx.json_error(
                &err,
                number,
                "each non-blank line of an NDJSON file must be one complete JSON object",
            );
        }
    }
}
