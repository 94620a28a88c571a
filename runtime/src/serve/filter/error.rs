//! Why a text was refused: what is wrong, where, and what to write instead, because
//! a 400 is all the help a client gets.

/// How much client text a message quotes: a 400 should not echo kilobytes back.
const QUOTED: usize = 40;

/// `text` cut to its first 40 characters, with `…` when there was more: how a message
/// quotes what a client sent.
pub(crate) fn cut(text: &str) -> String {
    let short: String = text.chars().take(QUOTED).collect();
    let more = if short.len() < text.len() { "…" } else { "" };
    format!("{short}{more}")
}

/// Where a mistake is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The 1-based character offset in the text.
    pub offset: usize,
    /// What is there, as the message shows it: the token in backquotes (cut to 40
    /// characters), or `the end`.
    pub near: String,
}

impl Position {
    /// At `offset`, where `token` is.
    pub(super) fn new(offset: usize, token: &str) -> Position {
        let near = format!("`{}`", cut(token));
        Position { offset, near }
    }

    /// Just past the end of `text`.
    pub(super) fn end(text: &str) -> Position {
        let offset = text.chars().count() + 1;
        let near = "the end".into();
        Position { offset, near }
    }
}

/// A `$filter` or key predicate that was refused. Its text is the message of the error
/// answer: `{message} at character {offset}, near {near}. Hint: {hint}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {}, near {}. Hint: {hint}", .at.offset, .at.near)]
pub struct FilterError {
    /// Where.
    pub at: Position,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub hint: String,
    /// Valid OData that this service does not implement (an unknown function, say): a
    /// 501 as CAP answers it, rather than a 400 that would call the client wrong.
    pub unsupported: bool,
}

/// A [`FilterError`] at `at`.
pub(super) fn err(
    at: &Position,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> FilterError {
    let (at, message, hint) = (at.clone(), message.into(), hint.into());
    let unsupported = false;
    FilterError {
        at,
        message,
        hint,
        unsupported,
    }
}

/// A [`FilterError`] at `at` for valid OData that the service does not implement.
pub(super) fn unsupported(
    at: &Position,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> FilterError {
    FilterError {
        unsupported: true,
        ..err(at, message, hint)
    }
}
