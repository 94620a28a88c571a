//! `$apply`: aggregation as CAP 9 answers it, so that a dashboard asks for totals
//! instead of paging through every row.
//!
//! The transformations (`parse`) are `filter`, `search`, `groupby((a,b))`,
//! `groupby((a),aggregate(…))`, `aggregate(…)` with `$count as c` and `x with sum | min |
//! max | average | countdistinct as alias`, `orderby`, `top`, `skip` and `identity`,
//! chained with `/`. Each becomes a subquery over the one before (`sql`), so the result
//! is an entity set of its own, [`Applied`]: its properties are what the last
//! transformation gives (the grouped properties and the aggregates, with no key), and
//! `$filter`, `$search`, `$orderby`, `$select`, `$top`, `$skip`, `$count` and paging then
//! read it as they read any set: `$filter` after a `groupby` is a condition on the groups
//! (what SQL calls HAVING), as in CAP.
//!
//! Names come only from the catalog (or the aliases, checked as identifiers and quoted),
//! values are bound, and the sizes are bounded: at most 10 transformations, 16 grouped
//! properties and 16 aggregates each.

mod parse;
mod sql;
#[cfg(test)]
mod tests;

use axum::http::StatusCode;
use rusqlite::types::Value;

use super::catalog::EntitySet;
use super::error::ODataError;

/// Longer texts are not what a dashboard sends; refusing them bounds the work.
const MAX_LEN: usize = 8 * 1024;

/// The result of `$apply` on a set, to be read as a set of its own.
#[derive(Debug)]
pub struct Applied {
    /// The result as a set: the original's name (for links), a subquery as its view,
    /// and the properties of the result, keyed only while no aggregation dropped the
    /// key.
    pub set: EntitySet,
    /// The values of the subquery's `?`s, in order, before any of the outer query's.
    pub params: Vec<Value>,
    /// SQL `ORDER BY` terms that order the result where `$orderby` leaves ties: the
    /// key, or the grouped properties (a group's identity), after any `orderby(…)`.
    /// Empty for a single row.
    pub order: Vec<String>,
}

/// Applies the `$apply` text `text` (percent-decoded) to `set`.
pub fn apply(set: &EntitySet, text: &str) -> Result<Applied, ODataError> {
    if text.len() > MAX_LEN {
        return Err(bad(format!(
            "the text is too long ({} bytes, at most {MAX_LEN})",
            text.len()
        )));
    }
    let steps = parse::steps(text)?;
    sql::build(set, &steps)
}

/// A 400 about `$apply`.
fn bad(message: impl std::fmt::Display) -> ODataError {
    ODataError::bad_request(format!("$apply: {message}"))
}

/// A 501 about `$apply`: valid OData that the service does not do.
fn unsupported(message: impl std::fmt::Display) -> ODataError {
    ODataError::new(StatusCode::NOT_IMPLEMENTED, format!("$apply: {message}"))
}

/// A 400 for going past a limit.
fn at_most(limit: usize, what: &str) -> ODataError {
    bad(format!(
        "more than {limit} {what}; ask for less in one request"
    ))
}
