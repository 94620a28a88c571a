//! Problems rendered for people: the message, where, the offending source line with
//! a caret under the column, and the hint.

use cai_bridge_build::{Diagnostic, Error, Location};

/// An error as the CLI prints it.
pub fn error(error: &Error) -> String {
    match error {
        Error::Invalid(all) => all.iter().map(diagnostic).collect::<Vec<_>>().join("\n"),
        other => format!("error: {other}"),
    }
}

/// One diagnostic, with a source snippet when it has a line and column.
pub fn diagnostic(d: &Diagnostic) -> String {
    let mut out = d.to_string();
    if let Location::Position { file, line, column } = &d.location {
        if let Some(snippet) = snippet(file, *line, *column) {
            // Between the location line and the hint, where rustc puts it.
            let mut lines: Vec<&str> = out.lines().collect();
            let at = lines.len().min(2);
            lines.insert(at, &snippet);
            out = lines.join("\n");
        }
    }
    out
}

fn snippet(file: &std::path::Path, line: usize, column: usize) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let source = text.lines().nth(line.checked_sub(1)?)?;
    if source.len() > 200 {
        return None;
    }
    let width = line.to_string().len();
    let pad = " ".repeat(width);
    let caret = " ".repeat(column.saturating_sub(1).min(source.chars().count()));
    Some(format!("{pad} |\n{line} | {source}\n{pad} | {caret}^"))
}
