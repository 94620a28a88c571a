//! `$search` (and the `search(…)` transformation of `$apply`): free-text search over an
//! entity set's string properties, as CAP 9 searches them on SQLite, with the OData
//! grammar CAP leaves out.
//!
//! What CAP searches, we search: every property of CDS type `String` (not
//! `LargeString`, not UUIDs, numbers or timestamps; after `groupby`, the grouped strings
//! and `min`/`max` of strings), a term matching where one of them contains it ignoring
//! ASCII case (SQLite's `lower`), NULLs never matching. Where CAP reads only the first
//! word of `$search=foo bar` and searches `NOT web` for the word `NOT`, we follow the
//! OData grammar: words and `"quoted phrases"` are terms, side by side they are
//! `AND`ed, and `AND`, `OR`, `NOT` and parentheses combine them. The terms are bound
//! parameters and matched with `instr`, so `%` and `_` are plain characters.
//!
//! On PostgreSQL as `@cap-js/postgres` searches: `lower` of the property and of the
//! term, both in the database (its `lower` folds more than ASCII), with `strpos`.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::LogicalType;
use rusqlite::types::Value;

use super::catalog::Property;
use super::error::ODataError;
use super::filter::{cut, Filter};

/// Longer texts are not a search a person types; refusing them bounds the work.
const MAX_LEN: usize = 1024;
/// Each term is a condition on every string property: bounded so a query stays small.
const MAX_TERMS: usize = 16;
/// `NOT` and parentheses nest: bounded so that recursion cannot exhaust the stack.
const MAX_DEPTH: usize = 16;

/// The condition `$search=text` puts on rows with `properties`, or `None` for a search
/// of nothing (empty or blank), which CAP also reads as no search at all; in SQL of
/// `dialect`.
pub fn condition(
    properties: &[Property],
    text: &str,
    dialect: Dialect,
) -> Result<Option<Filter>, ODataError> {
    if text.len() > MAX_LEN {
        return Err(bad(format!(
            "the search is too long ({} bytes, at most {MAX_LEN}); search for fewer words",
            text.len()
        )));
    }
    let tokens = tokens(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let terms = tokens.iter().filter(|t| matches!(t, Tok::Term(_))).count();
    if terms > MAX_TERMS {
        return Err(bad(format!(
            "{terms} search terms, at most {MAX_TERMS}; search for fewer words"
        )));
    }
    let columns: Vec<&str> = properties
        .iter()
        .filter(|p| matches!(p.ty, LogicalType::String(_)))
        .map(|p| p.column.as_str())
        .collect();
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
        columns: &columns,
        dialect,
        params: Vec::new(),
    };
    let sql = parser.or()?;
    if let Some(tok) = tokens.get(parser.pos) {
        return Err(bad(format!(
            "unexpected {} in the search; join terms with AND or OR",
            tok.describe()
        )));
    }
    let params = parser.params;
    Ok(Some(Filter { sql, params }))
}

fn bad(message: String) -> ODataError {
    ODataError::bad_request(format!("$search: {message}"))
}

#[derive(Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A word or a phrase, what a property must contain.
    Term(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Open => "`(`".into(),
            Tok::Close => "`)`".into(),
            Tok::And => "`AND`".into(),
            Tok::Or => "`OR`".into(),
            Tok::Not => "`NOT`".into(),
            Tok::Term(t) => format!("`{}`", cut(t)),
        }
    }
}

/// Words end at whitespace, parentheses and double quotes; a phrase is in double quotes,
/// with `\"` and `\\` for a quote and a backslash inside. `AND`, `OR` and `NOT` are
/// keywords in capitals only (a search for `and` finds the word).
fn tokens(text: &str) -> Result<Vec<Tok>, ODataError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            _ if c.is_whitespace() => {}
            '(' => out.push(Tok::Open),
            ')' => out.push(Tok::Close),
            '"' => {
                let mut phrase = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(bad(
                                "a phrase is not closed; end it with `\"` (write \\\" for a quote inside)"
                                    .into(),
                            ))
                        }
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => phrase.push(e),
                            _ => {
                                return Err(bad(
                                    "in a phrase, `\\` escapes only `\"` and `\\`".into(),
                                ))
                            }
                        },
                        Some(other) => phrase.push(other),
                    }
                }
                if phrase.is_empty() {
                    return Err(bad("an empty phrase `\"\"` searches for nothing".into()));
                }
                out.push(Tok::Term(phrase));
            }
            _ => {
                let mut word = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "()\"".contains(next) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                out.push(match word.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => Tok::Term(word),
                });
            }
        }
    }
    Ok(out)
}

/// Precedence as OData's: `NOT`, then `AND` (also between terms side by side), then `OR`.
struct Parser<'t> {
    tokens: &'t [Tok],
    pos: usize,
    depth: usize,
    columns: &'t [&'t str],
    dialect: Dialect,
    params: Vec<Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self) -> Result<String, ODataError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(joined(items, " OR "))
    }

    fn and(&mut self) -> Result<String, ODataError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => self.pos += 1,
                Some(Tok::Term(_) | Tok::Not | Tok::Open) => {}
                _ => break,
            }
            items.push(self.unary()?);
        }
        Ok(joined(items, " AND "))
    }

    fn unary(&mut self) -> Result<String, ODataError> {
        if self.depth >= MAX_DEPTH {
            return Err(bad(format!(
                "NOT and parentheses nest deeper than {MAX_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let out = self.primary();
        self.depth -= 1;
        out
    }

    fn primary(&mut self) -> Result<String, ODataError> {
        let tokens = self.tokens;
        let tok = tokens.get(self.pos);
        self.pos += 1;
        match tok {
            Some(Tok::Not) => Ok(format!("NOT {}", self.unary()?)),
            Some(Tok::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(bad("a `(` is not closed; close it with `)`".into()));
                }
                self.pos += 1;
                Ok(format!("({inner})"))
            }
            Some(Tok::Term(term)) => Ok(self.contains(term)),
            Some(other) => Err(bad(format!(
                "expected a word, a \"phrase\", NOT or `(`, not {}",
                other.describe()
            ))),
            None => Err(bad(
                "the search ends where a word, a \"phrase\", NOT or `(` belongs".into(),
            )),
        }
    }

    /// Whether any string property contains `term`, ignoring case: SQLite's `lower`
    /// (as CAP uses) folds ASCII only, and so does lowercasing the term here;
    /// PostgreSQL lowers both. A NULL property contains nothing, so that `NOT` of a
    /// term is the rows without it.
    fn contains(&mut self, term: &str) -> String {
        if self.columns.is_empty() {
            return "1 = 0".into();
        }
        let (term, test) = match self.dialect {
            Dialect::Postgres => (
                term.to_owned(),
                "coalesce(strpos(lower({column}), lower(CAST(? AS TEXT))), 0) > 0",
            ),
            _ => (
                term.to_ascii_lowercase(),
                "ifnull(instr(lower({column}), ?), 0) > 0",
            ),
        };
        let tests: Vec<String> = self
            .columns
            .iter()
            .map(|column| {
                self.params.push(Value::Text(term.clone()));
                test.replace("{column}", column)
            })
            .collect();
        format!("({})", tests.join(" OR "))
    }
}

fn joined(mut items: Vec<String>, separator: &str) -> String {
    match items.len() {
        1 => items.pop().unwrap_or_default(),
        _ => format!("({})", items.join(separator)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search in SQLite's SQL, which these tests run.
    fn condition(properties: &[Property], text: &str) -> Result<Option<Filter>, ODataError> {
        super::condition(properties, text, Dialect::Sqlite)
    }
    use rusqlite::Connection;

    fn set() -> Vec<Property> {
        let property = |name: &str, ty: LogicalType| Property {
            name: name.to_owned(),
            column: format!("\"{name}\""),
            ty,
            key: name == "n",
        };
        vec![
            property("n", LogicalType::Integer),
            property("a", LogicalType::String(None)),
            property("b", LogicalType::String(Some(10))),
            property("big", LogicalType::LargeString),
        ]
    }

    /// The rows `text` finds.
    fn found(text: &str) -> Vec<i64> {
        let db = Connection::open_in_memory().expect("a database");
        db.execute_batch(
            "CREATE TABLE t (n INTEGER, a TEXT, b TEXT, big TEXT);
             INSERT INTO t VALUES
               (1, 'Web chat', NULL, 'slack'),
               (2, 'slack', 'web', NULL),
               (3, NULL, NULL, 'web'),
               (4, '100%_off', 'Ünï', NULL),
               (5, 'say \"hi\" now', 'AND', NULL);",
        )
        .expect("rows");
        let Some(Filter { sql, params }) = condition(&set(), text).expect(text) else {
            return (1..=5).collect();
        };
        let query = format!("SELECT n FROM t WHERE {sql} ORDER BY n");
        let mut stmt = db.prepare(&query).expect(&query);
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(0));
        rows.expect("runs").collect::<Result<_, _>>().expect("rows")
    }

    #[test]
    fn terms_match_string_properties_ignoring_ascii_case() {
        assert_eq!(found("web"), [1, 2], "a LargeString is not searched");
        assert_eq!(found("WEB"), [1, 2]);
        assert_eq!(found("slack"), [2]);
        assert_eq!(found("%"), [4], "% is a plain character");
        assert_eq!(found("_"), [4]);
        assert_eq!(found("ünï"), Vec::<i64>::new(), "SQLite folds ASCII only");
        assert_eq!(found("Ünï"), [4]);
        assert_eq!(found(""), [1, 2, 3, 4, 5], "no search");
        assert_eq!(found("   "), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn words_phrases_and_operators_combine_as_odata_says() {
        assert_eq!(found("web chat"), [1], "side by side is AND");
        assert_eq!(found("web AND chat"), [1]);
        assert_eq!(found("\"web chat\""), [1]);
        assert_eq!(found("\"chat web\""), Vec::<i64>::new());
        assert_eq!(found("chat OR slack"), [1, 2]);
        assert_eq!(found("NOT web"), [3, 4, 5], "NULLs contain nothing");
        assert_eq!(found("NOT (web OR off)"), [3, 5]);
        assert_eq!(found("(web) slack"), [2]);
        assert_eq!(found("web OR off slack"), [1, 2], "AND binds tighter");
        assert_eq!(found("and"), [5], "a keyword in lower case is a word");
        assert_eq!(found("\"say \\\"hi\\\"\""), [5]);
    }

    #[test]
    fn mistakes_are_400s_that_say_what_is_wrong() {
        let cases = [
            ("\"open", "not closed"),
            ("(web", "`(` is not closed"),
            ("web)", "unexpected `)`"),
            ("web OR", "the search ends"),
            ("AND web", "not `AND`"),
            ("\"\"", "empty phrase"),
            ("\"a\\b\"", "escapes only"),
        ];
        for (text, want) in cases {
            let e = condition(&set(), text).expect_err(text);
            assert_eq!(e.status, 400, "{text}");
            assert!(e.message.contains(want), "{text}: {}", e.message);
        }
        let many = "w ".repeat(MAX_TERMS + 1);
        assert!(condition(&set(), &many).is_err());
        let deep = format!("{}w{}", "(".repeat(40), ")".repeat(40));
        assert!(condition(&set(), &deep).is_err());
        let long = "w".repeat(MAX_LEN + 1);
        let e = condition(&set(), &long).expect_err("too long");
        assert!(!e.message.contains(&long[..50]), "not echoed");
    }
}
