//! OData V4 `$filter` and key predicates → an SQLite `WHERE` fragment with bound parameters.
//!
//! SAP Analytics Cloud narrows a query with `$filter`; we answer from the SQLite database
//! CAP 9 (`@cap-js/sqlite`) would hold, so comparisons follow how CAP stores values:
//! timestamps as UTC `YYYY-MM-DDTHH:MM:SS.sssZ` text, dates as `YYYY-MM-DD`, booleans as 0/1,
//! UUIDs as text. URL text never reaches SQL: every literal is a bound `?` and every name must
//! be one of the given properties. The grammar is the useful subset (comparisons, `in`,
//! `and`/`or`/`not`, a few string functions); anything else is refused with the character
//! offset, the token and a hint, because a 400 is all the help a client gets.
//!
//! Stages: `lex` (tokens with offsets, literals read), `parse` (a small AST, names
//! resolved, depth bounded; `path` for navigation: `a/b`, `a/$count`, `any`, `all`),
//! then `sql`, which type-checks each literal against what it is compared with (`kind`).
//! A key predicate (`Conversations('id')`) has its own grammar in `key` (values only,
//! one per key property) over the same lexer and typing, so that it takes the same
//! literals but can never be a condition of the client's choosing.

mod error;
mod func;
mod key;
mod kind;
mod lex;
mod parse;
mod path;
mod sql;
#[cfg(test)]
mod tests;

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::LogicalType;
use rusqlite::types::Value;

pub(crate) use error::cut;
pub use error::{FilterError, Position};
use lex::{lex, Grammar};

/// Longer texts are not what SAC or a person sends; refusing them bounds the work.
const MAX_LEN: usize = 8 * 1024;

/// A property a filter may name.
pub struct Property<'a> {
    /// Its OData name (what the client writes).
    pub name: &'a str,
    /// Its SQL expression: an already-quoted column name, used verbatim.
    pub column: &'a str,
    /// Its type.
    pub ty: &'a LogicalType,
}

/// An entity set as [`parse_in()`] sees it: its table, its properties and where its
/// navigation properties lead, so that a filter can follow them.
pub struct Entity<'a> {
    /// Its name, for messages.
    pub name: &'a str,
    /// Its SQL table or view: an already-quoted name, used verbatim.
    pub table: &'a str,
    /// Its properties (columns unqualified).
    pub properties: Vec<Property<'a>>,
    /// Its navigation properties.
    pub navigations: Vec<Navigation<'a>>,
}

/// A navigation property of an [`Entity`].
pub struct Navigation<'a> {
    /// Its OData name.
    pub name: &'a str,
    /// The entity it leads to (an index into the slice given to [`parse_in()`]).
    pub target: usize,
    /// To many (reached with `any`, `all` or `$count`) or to one (a path goes on).
    pub many: bool,
    /// The columns that must be equal: (a column here, one of the target), quoted.
    pub on: Vec<(&'a str, &'a str)>,
}

/// A translated filter: `sql` is a boolean SQLite expression with `?` placeholders
/// (positional, in order), `params` their values.
#[derive(Debug)]
pub struct Filter {
    /// The condition, with plain `?`s so that a caller can append `params` to its own.
    pub sql: String,
    /// The values of the placeholders, in order.
    pub params: Vec<Value>,
}

/// Parses `$filter` text (already percent-decoded) against `properties`.
///
/// The error says what is wrong and where (character offset, 1-based, and the offending
/// token), and gives a hint; its text is the message of a 400 answer.
/// The SQL is spelled in `dialect`.
pub fn parse(
    text: &str,
    properties: &[Property<'_>],
    dialect: Dialect,
) -> Result<Filter, FilterError> {
    bounded(text, "the filter", "split the query, or filter on less")?;
    let tokens = lex(text, Grammar::Filter)?;
    let root = parse::filter(&tokens, properties, Position::end(text))?;
    let sql::Frag { sql, params } = sql::condition(&root, dialect)?;
    Ok(Filter { sql, params })
}

/// Parses `$filter` text on `entities[root]`, where paths may follow navigation
/// properties: to one (`conversation/channel_type`) or to many, with `$count`
/// (`messages/$count gt 2`) or a lambda (`messages/any(m:m/nlp_status eq 200)`, `all`).
///
/// The condition holds for rows of `entities[root].table` named by that table (not an
/// alias): its columns are qualified, so that they stay unambiguous inside the
/// subqueries navigation becomes. Inside a lambda, properties are named through a
/// lambda variable (`m/…`) or `$it/…`. Errors as [`parse()`] gives them.
pub fn parse_in(
    text: &str,
    entities: &[Entity<'_>],
    root: usize,
    dialect: Dialect,
) -> Result<Filter, FilterError> {
    bounded(text, "the filter", "split the query, or filter on less")?;
    let tokens = lex(text, Grammar::Filter)?;
    let entity = &entities[root];
    let columns: Vec<String> = entity
        .properties
        .iter()
        .map(|p| format!("{}.{}", entity.table, p.column))
        .collect();
    let properties: Vec<Property<'_>> = entity
        .properties
        .iter()
        .zip(&columns)
        .map(|(p, column)| Property { column, ..*p })
        .collect();
    let scope = path::Scope::new(entities, root);
    let root = parse::filter_in(&tokens, &properties, Some(scope), Position::end(text))?;
    let sql::Frag { sql, params } = sql::condition(&root, dialect)?;
    Ok(Filter { sql, params })
}

/// Parses a key predicate, the text between the parentheses of `Set(…)` (already
/// percent-decoded), against the key properties `keys` in key order: a single value for a
/// key of one property (`'a'`, `5`), or `name=value` pairs naming each key property
/// once, in any order (`b=1,a='x'`).
///
/// Values are literals only, read and typed as in a `$filter` comparison with the
/// property; the condition is their equality, in key order. Anything else is an error as
/// [`parse()`] gives one.
pub fn key(text: &str, keys: &[Property<'_>]) -> Result<Filter, FilterError> {
    bounded(text, "the key", "a key is a value for each key property")?;
    key::key(text, keys)
}

/// Refuses `text` longer than [`MAX_LEN`]; `what` names it.
fn bounded(text: &str, what: &str, hint: &str) -> Result<(), FilterError> {
    if text.len() <= MAX_LEN {
        return Ok(());
    }
    let at = text
        .char_indices()
        .take_while(|&(b, _)| b < MAX_LEN)
        .count()
        + 1;
    let message = format!(
        "{what} is too long ({} bytes, at most {MAX_LEN})",
        text.len()
    );
    Err(error::err(&Position::new(at, "…"), message, hint))
}
