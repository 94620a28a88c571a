//! OData V4 `$filter` → an SQLite `WHERE` fragment with bound parameters.
//!
//! SAP Analytics Cloud narrows a query with `$filter`; we answer from the SQLite database
//! CAP 9 (`@cap-js/sqlite`) would hold, so comparisons follow how CAP stores values:
//! timestamps as UTC `YYYY-MM-DDTHH:MM:SS.sssZ` text, dates as `YYYY-MM-DD`, booleans as 0/1,
//! UUIDs as text. URL text never reaches SQL: every literal is a bound `?` and every name must
//! be one of the given properties. The grammar is the useful subset (comparisons, `in`,
//! `and`/`or`/`not`, a few string functions); anything else is refused with the character
//! offset, the token and a hint, because a 400 is all the help a client gets.
//!
//! Stages: `lex` (tokens with offsets), `Parser` (a small AST, names resolved, depth
//! bounded), then emission, which type-checks each literal against what it is compared with.

use cai_bridge_model::{format, LogicalType};
use rusqlite::types::Value;

/// A property a filter may name.
pub struct Property<'a> {
    /// Its OData name (what the client writes).
    pub name: &'a str,
    /// Its SQL expression: an already-quoted column name, used verbatim.
    pub column: &'a str,
    /// Its type.
    pub ty: &'a LogicalType,
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
/// Err is a message for a 400 answer that says what is wrong and where (character offset,
/// 1-based, and the offending token), and a hint.
pub fn parse(text: &str, properties: &[Property<'_>]) -> Result<Filter, String> {
    translate(text, properties).map_err(|e| e.to_string())
}

/// Longer filters are not what SAC or a person sends; refusing them bounds the work.
const MAX_LEN: usize = 8 * 1024;
/// Nesting is bounded so that recursion can never exhaust the stack.
const MAX_DEPTH: usize = 100;
/// `ne` is `IS NOT` so that rows holding NULL count as "not equal", as OData says (and CAP does).
const OPS: [Op; 6] = [
    ("eq", " = "),
    ("ne", " IS NOT "),
    ("gt", " > "),
    ("ge", " >= "),
    ("lt", " < "),
    ("le", " <= "),
];
const KEYWORDS: &str = "and or not eq ne gt ge lt le in";
const UNSUPPORTED_OPS: &str = "add sub mul div divby mod has";
const FUNCTIONS: &str = "contains startswith endswith tolower toupper length";
const OTHER_FUNCTIONS: &str = "concat indexof substring matchesPattern trim year month day hour \
    minute second fractionalseconds totalseconds date time totaloffsetminutes now mindatetime \
    maxdatetime round floor ceiling cast isof any all";
const SUPPORTED: &str = "SAP Analytics Cloud sends only eq, ne, gt, ge, lt, le, and, or; this \
    service also understands not, in, contains, startswith, endswith, tolower, toupper, length";
const GUID: &str = "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";

type Op = (&'static str, &'static str);

fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

fn translate(text: &str, properties: &[Property<'_>]) -> Result<Filter, Error> {
    if text.len() > MAX_LEN {
        let at = text
            .char_indices()
            .take_while(|&(b, _)| b < MAX_LEN)
            .count()
            + 1;
        let what = format!(
            "the filter is too long ({} bytes, at most {MAX_LEN})",
            text.len()
        );
        return Err(err(
            &At::new(at, "…"),
            what,
            "split the query, or filter on less",
        ));
    }
    let tokens = lex(text)?;
    let end = At {
        at: text.chars().count() + 1,
        near: "the end".into(),
    };
    if tokens.is_empty() {
        return Err(err(
            &end,
            "empty filter",
            "write a condition, e.g. name eq 'abc'",
        ));
    }
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        depth: 0,
        properties,
        end,
    };
    let root = parser.or()?;
    if let Some((tok, at)) = tokens.get(parser.pos) {
        return Err(trailing(tok, at));
    }
    let Frag { sql, params } = condition(&root)?;
    Ok(Filter { sql, params })
}

// --- Errors ----------------------------------------------------------------------------------

/// Where something is: the 1-based character offset, and the token there as a message shows it.
#[derive(Clone, Debug)]
struct At {
    at: usize,
    near: String,
}

impl At {
    /// Cuts the token short: a 400 should not echo kilobytes back.
    fn new(at: usize, token: &str) -> At {
        let short: String = token.chars().take(40).collect();
        let more = if short.len() < token.len() { "…" } else { "" };
        let near = format!("`{short}{more}`");
        At { at, near }
    }
}

struct Error {
    at: At,
    what: String,
    hint: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Error { at, what, hint } = self;
        write!(
            f,
            "{what} at character {}, near {}. Hint: {hint}",
            at.at, at.near
        )
    }
}

fn err(at: &At, what: impl Into<String>, hint: impl Into<String>) -> Error {
    let (at, what, hint) = (at.clone(), what.into(), hint.into());
    Error { at, what, hint }
}

fn unsupported_op(word: &str, at: &At) -> Error {
    let what = match word {
        "has" => "the `has` operator is not supported".into(),
        _ => format!("arithmetic (`{word}`) is not supported"),
    };
    err(at, what, SUPPORTED)
}

fn trailing(tok: &Tok, at: &At) -> Error {
    let lower = match tok {
        Tok::Word(w) => w.to_lowercase(),
        _ => String::new(),
    };
    match tok {
        Tok::Punct(')') => err(
            at,
            "unbalanced parenthesis: no `(` to close",
            "remove the `)`",
        ),
        Tok::Word(w) if listed(UNSUPPORTED_OPS, w) => unsupported_op(w, at),
        Tok::Word(w) if *w != lower && listed(KEYWORDS, &lower) => {
            let hint = format!("keywords are case-sensitive: write `{lower}`");
            err(at, "unexpected token", hint)
        }
        _ => {
            let hint = "join conditions with `and` or `or`; compare with eq, ne, gt, ge, lt, le";
            err(at, "unexpected token after a complete condition", hint)
        }
    }
}

// --- Tokens ----------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Lit {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
    Date(String),
    /// Already normalized to the stored form.
    Stamp(String),
    Guid(String),
}

impl Lit {
    fn describe(&self) -> &'static str {
        match self {
            Lit::Str(_) => "a string",
            Lit::Int(_) => "an integer",
            Lit::Num(_) => "a decimal number",
            Lit::Bool(_) => "a Boolean",
            Lit::Null => "null",
            Lit::Date(_) => "a date",
            Lit::Stamp(_) => "a date-time",
            Lit::Guid(_) => "a GUID",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// `(`, `)`, `,`, `/` or `:`.
    Punct(char),
    Word(String),
    Lit(Lit),
}

fn span(chars: &[char], from: usize, to: usize) -> String {
    chars.get(from..to).unwrap_or_default().iter().collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `shape` is at `i`: `h` a hex digit, `d` a digit, anything else itself.
fn shaped(chars: &[char], i: usize, shape: &str) -> bool {
    chars.get(i..i + shape.len()).is_some_and(|got| {
        got.iter().zip(shape.chars()).all(|(&c, s)| match s {
            'h' => c.is_ascii_hexdigit(),
            'd' => c.is_ascii_digit(),
            _ => c == s,
        })
    })
}

/// `YYYY-MM-DD` exactly, as the loader stores dates.
fn date_text(s: &str) -> Option<String> {
    format::is_date(s).then(|| s.to_owned())
}

fn lex(text: &str) -> Result<Vec<(Tok, At)>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let (mut out, mut i) = (Vec::new(), 0);
    while let Some(&c) = chars.get(i) {
        let start = i;
        let tok = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            // `:` only to reach the parser, which names the lambda it belongs to.
            '(' | ')' | ',' | '/' | ':' => {
                i += 1;
                Tok::Punct(c)
            }
            '\'' => Tok::Lit(Lit::Str(lex_string(&chars, &mut i)?)),
            _ if shaped(&chars, i, GUID) && !chars.get(i + 36).is_some_and(|&c| is_ident(c)) => {
                i += 36;
                Tok::Lit(Lit::Guid(span(&chars, start, i)))
            }
            _ if shaped(&chars, i, "dddd-dd-dd") => Tok::Lit(lex_temporal(&chars, &mut i)?),
            _ if shaped(&chars, i, "d") || shaped(&chars, i, "-d") => {
                Tok::Lit(lex_number(&chars, &mut i)?)
            }
            _ if c.is_alphabetic() || c == '_' || c == '$' => {
                i += 1;
                while chars.get(i).is_some_and(|&c| is_ident(c)) {
                    i += 1;
                }
                Tok::Word(span(&chars, start, i))
            }
            _ => return Err(bad_char(c, start + 1)),
        };
        let glued = |j: usize| chars.get(j).is_some_and(|&c| is_ident(c) || c == '.');
        if matches!(tok, Tok::Lit(_)) && glued(i) {
            let end = (i..=chars.len()).find(|&j| !glued(j)).unwrap_or(i);
            let at = At::new(start + 1, &span(&chars, start, end));
            let hint = "separate tokens with spaces; strings go in single quotes";
            return Err(err(&at, "malformed literal", hint));
        }
        out.push((tok, At::new(start + 1, &span(&chars, start, i))));
    }
    Ok(out)
}

fn bad_char(c: char, at: usize) -> Error {
    let hint = match c {
        '=' | '<' | '>' | '!' => "comparison operators are words: eq, ne, gt, ge, lt, le",
        '"' => "strings go in single quotes: 'text' (a quote inside is doubled: 'it''s')",
        '+' | '-' | '*' | '%' => "arithmetic is not supported",
        '&' | '?' | '#' => "percent-encode the $filter value",
        _ => "a filter holds properties, literals, keywords, parentheses and commas",
    };
    err(&At::new(at, &c.to_string()), "unexpected character", hint)
}

fn lex_string(chars: &[char], i: &mut usize) -> Result<String, Error> {
    let (start, mut out) = (*i, String::new());
    *i += 1;
    loop {
        match chars.get(*i) {
            None => {
                let at = At::new(start + 1, &span(chars, start, chars.len()));
                let hint = "close it with `'`; a quote inside is doubled: 'it''s'";
                return Err(err(&at, "unterminated string", hint));
            }
            Some('\'') if chars.get(*i + 1) == Some(&'\'') => *i += 1,
            Some('\'') => break,
            Some(_) => {}
        }
        out.extend(chars.get(*i));
        *i += 1;
    }
    *i += 1;
    Ok(out)
}

/// A date, or a date-time normalized to the stored UTC form so that text comparison is right.
fn lex_temporal(chars: &[char], i: &mut usize) -> Result<Lit, Error> {
    let (start, mut j) = (*i, *i + 10);
    let date = span(chars, start, j);
    if chars.get(j) != Some(&'T') {
        *i = j;
        let at = At::new(start + 1, &date);
        let date = date_text(&date).ok_or_else(|| err(&at, "invalid date", "write YYYY-MM-DD"))?;
        return Ok(Lit::Date(date));
    }
    j += 1;
    while chars
        .get(j)
        .is_some_and(|&c| c.is_ascii_digit() || c == ':' || c == '.')
    {
        j += 1;
    }
    let mut time = span(chars, start + 11, j);
    if time.matches(':').count() == 1 {
        time.push_str(":00"); // OData may leave seconds out; RFC 3339 may not.
    }
    let zone = match chars.get(j) {
        Some('Z' | 'z') => "Z".to_owned(),
        Some('+' | '-') if shaped(chars, j + 1, "dd:dd") => span(chars, j, j + 6),
        // A `+` decoded as form data arrives as a space; nothing else may follow a time so.
        Some(' ') if shaped(chars, j + 1, "dd:dd") => format!("+{}", span(chars, j + 1, j + 6)),
        _ => String::new(),
    };
    j += zone.len();
    *i = j;
    let at = At::new(start + 1, &span(chars, start, j));
    if zone.is_empty() {
        let hint = "end it with Z or ±hh:mm, e.g. 2021-02-05T17:45:17Z";
        return Err(err(&at, "date-time without a time zone", hint));
    }
    format::normalize_timestamp(&format!("{date}T{time}{zone}"))
        .map(Lit::Stamp)
        .ok_or_else(|| {
            err(
                &at,
                "invalid date-time",
                "write e.g. 2021-02-05T17:45:17.044Z",
            )
        })
}

fn lex_number(chars: &[char], i: &mut usize) -> Result<Lit, Error> {
    let start = *i;
    let digits = |j: &mut usize| {
        while chars.get(*j).is_some_and(char::is_ascii_digit) {
            *j += 1;
        }
    };
    let mut j = start + 1;
    digits(&mut j);
    let fraction = shaped(chars, j, ".d");
    if fraction {
        j += 1;
        digits(&mut j);
    }
    let sign = usize::from(matches!(chars.get(j + 1), Some('+' | '-')));
    let exponent = matches!(chars.get(j), Some('e' | 'E')) && shaped(chars, j + 1 + sign, "d");
    if exponent {
        j += 1 + sign;
        digits(&mut j);
    }
    *i = j;
    let text = span(chars, start, j);
    let at = At::new(start + 1, &text);
    if fraction || exponent {
        let x = text.parse::<f64>().ok().filter(|x| x.is_finite());
        x.map(Lit::Num)
            .ok_or_else(|| err(&at, "number out of range", "use a smaller number"))
    } else {
        let n = text
            .parse::<i64>()
            .map_err(|_| err(&at, "integer out of range", "64 bits"));
        n.map(Lit::Int)
    }
}

// --- Parser ----------------------------------------------------------------------------------

/// What a column holds, as far as comparing goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Text,
    Uuid,
    Int,
    Double,
    Bool,
    Stamp,
    Date,
}

impl Kind {
    fn of(ty: &LogicalType) -> Kind {
        match ty {
            LogicalType::String(_) | LogicalType::LargeString | LogicalType::Json => Kind::Text,
            LogicalType::Uuid => Kind::Uuid,
            LogicalType::Integer | LogicalType::Integer64 => Kind::Int,
            LogicalType::Double => Kind::Double,
            LogicalType::Boolean => Kind::Bool,
            LogicalType::Timestamp => Kind::Stamp,
            LogicalType::Date => Kind::Date,
        }
    }

    /// What it is, and what a literal for it looks like.
    #[rustfmt::skip]
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            Kind::Text => ("a string", "a string in single quotes, e.g. 'abc' ('it''s' for it's)"),
            Kind::Uuid => ("a GUID", "a GUID, e.g. 1ddbe87b-b897-39a0-9031-bbf61480fde9"),
            Kind::Int => ("an integer", "an integer without quotes, e.g. 42"),
            Kind::Double => ("a number", "a number without quotes, e.g. 0.5 or 1e3"),
            Kind::Bool => ("a Boolean", "true or false"),
            Kind::Stamp => ("a date-time", "a date-time such as 2021-02-05T17:45:17Z or a date"),
            Kind::Date => ("a date", "a date, e.g. 2021-02-05"),
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::Uuid)
    }

    /// Whether stored values of the two compare meaningfully.
    fn compares_with(self, other: Kind) -> bool {
        let number = |k| matches!(k, Kind::Int | Kind::Double);
        self == other || (self.is_text() && other.is_text()) || (number(self) && number(other))
    }
}

/// A node and where it starts.
struct Node(NodeKind, At);

enum NodeKind {
    /// n-ary, so that a long chain of `or`s stays flat rather than deep.
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Cmp(Op, Box<Node>, Box<Node>),
    In(Box<Node>, Vec<Node>),
    Call(String, Vec<Node>),
    /// Name, column, kind.
    Prop(String, String, Kind),
    Lit(Lit),
}

struct Parser<'t, 'p> {
    tokens: &'t [(Tok, At)],
    pos: usize,
    depth: usize,
    properties: &'t [Property<'p>],
    end: At,
}

impl Parser<'_, '_> {
    fn here(&self) -> At {
        self.tokens
            .get(self.pos)
            .map_or_else(|| self.end.clone(), |(_, at)| at.clone())
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(tok, _)| tok)
    }

    fn punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    fn word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Node, Error> {
        self.chain("or", Parser::and, NodeKind::Or)
    }

    fn and(&mut self) -> Result<Node, Error> {
        self.chain("and", Parser::unary, NodeKind::And)
    }

    fn chain(
        &mut self,
        keyword: &str,
        next: fn(&mut Self) -> Result<Node, Error>,
        make: fn(Vec<Node>) -> NodeKind,
    ) -> Result<Node, Error> {
        let at = self.here();
        let mut items = vec![next(self)?];
        while self.word() == Some(keyword) {
            self.pos += 1;
            items.push(next(self)?);
        }
        match items.len() {
            1 => items
                .pop()
                .ok_or_else(|| err(&at, "empty condition", SUPPORTED)),
            _ => Ok(Node(make(items), at)),
        }
    }

    /// Runs `parse` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(&mut self, parse: fn(&mut Self) -> Result<Node, Error>) -> Result<Node, Error> {
        if self.depth >= MAX_DEPTH {
            let what = format!("nesting deeper than {MAX_DEPTH} levels");
            return Err(err(&self.here(), what, "flatten the filter"));
        }
        self.depth += 1;
        let node = parse(self);
        self.depth -= 1;
        node
    }

    /// `not` binds to the comparison after it (`not a eq 1` is `not (a eq 1)`), as clients mean.
    fn unary(&mut self) -> Result<Node, Error> {
        if self.word() != Some("not") {
            return self.comparison();
        }
        let at = self.here();
        self.pos += 1;
        let inner = self.nested(Parser::unary)?;
        Ok(Node(NodeKind::Not(Box::new(inner)), at))
    }

    fn comparison(&mut self) -> Result<Node, Error> {
        let left = self.nested(Parser::primary)?;
        let at = self.here();
        let Some(word) = self.word() else {
            return Ok(left);
        };
        if let Some(&op) = OPS.iter().find(|(name, _)| *name == word) {
            self.pos += 1;
            let right = self.nested(Parser::primary)?;
            if self
                .word()
                .is_some_and(|w| w == "in" || OPS.iter().any(|(o, _)| *o == w))
            {
                let hint = "join comparisons with `and`";
                return Err(err(&self.here(), "comparisons cannot be chained", hint));
            }
            return Ok(Node(NodeKind::Cmp(op, Box::new(left), Box::new(right)), at));
        }
        if word == "in" {
            self.pos += 1;
            if self.punct('(')
                && matches!(self.tokens.get(self.pos + 1), Some((Tok::Punct(')'), _)))
            {
                return Err(err(
                    &self.here(),
                    "empty `in` list",
                    "list at least one value",
                ));
            }
            let items = self.list("in")?;
            return Ok(Node(NodeKind::In(Box::new(left), items), at));
        }
        if listed(UNSUPPORTED_OPS, word) {
            return Err(unsupported_op(word, &at));
        }
        Ok(left)
    }

    /// `(item, …)` after `in` or a function name; the emitter checks what the items may be.
    fn list(&mut self, after: &str) -> Result<Vec<Node>, Error> {
        if !self.punct('(') {
            let what = format!("expected `(` after `{after}`");
            return Err(err(&self.here(), what, "write e.g. name in ('a','b')"));
        }
        self.pos += 1;
        let mut items = Vec::new();
        while !(items.is_empty() && self.punct(')')) {
            items.push(self.nested(Parser::primary)?);
            if !self.punct(',') {
                break;
            }
            self.pos += 1;
        }
        if !self.punct(')') {
            let what = format!("expected `,` or `)` in the list after `{after}`");
            return Err(err(&self.here(), what, "separate items with commas"));
        }
        self.pos += 1;
        Ok(items)
    }

    fn primary(&mut self) -> Result<Node, Error> {
        let at = self.here();
        let missing = || {
            err(
                &at,
                "missing operand",
                "expected a property, a value or `(`",
            )
        };
        let tok = self.peek().cloned().ok_or_else(missing)?;
        self.pos += 1;
        match tok {
            Tok::Punct('(') => {
                let inner = self.or()?;
                if !self.punct(')') {
                    let what =
                        format!("unbalanced parenthesis: the `(` at {} is not closed", at.at);
                    return Err(err(&self.here(), what, "close it with `)`"));
                }
                self.pos += 1;
                Ok(inner)
            }
            Tok::Lit(lit) => Ok(Node(NodeKind::Lit(lit), at)),
            Tok::Word(w) => self.word_operand(w, at),
            Tok::Punct('/') => Err(err(
                &at,
                "navigation paths (`a/b`) are not supported",
                SUPPORTED,
            )),
            Tok::Punct(_) => Err(missing()),
        }
    }

    fn word_operand(&mut self, w: String, at: At) -> Result<Node, Error> {
        let lit = |lit| Ok(Node(NodeKind::Lit(lit), at.clone()));
        match w.as_str() {
            "true" => return lit(Lit::Bool(true)),
            "false" => return lit(Lit::Bool(false)),
            "null" => return lit(Lit::Null),
            _ if w.starts_with('$') => {
                return Err(err(&at, format!("`{w}` is not supported"), SUPPORTED))
            }
            _ if self.punct('(') => return self.call(w, at),
            _ if self.punct('/') => {
                let after = self.tokens.get(self.pos + 1);
                let lambda = matches!(after, Some((Tok::Word(w), _)) if w == "any" || w == "all");
                let what = match lambda {
                    true => "lambda operators (`any`, `all`) are not supported",
                    false => "navigation paths (`a/b`) are not supported",
                };
                return Err(err(&self.here(), what, SUPPORTED));
            }
            _ => {}
        }
        if let Some(p) = self.properties.iter().find(|p| p.name == w) {
            return Ok(Node(
                NodeKind::Prop(w, p.column.to_owned(), Kind::of(p.ty)),
                at,
            ));
        }
        if listed(KEYWORDS, &w) || listed(UNSUPPORTED_OPS, &w) {
            let hint = format!("expected a property, a value or `(` before `{w}`");
            return Err(err(&at, "missing operand", hint));
        }
        Err(err(&at, format!("unknown property `{w}`"), self.known(&w)))
    }

    fn known(&self, w: &str) -> String {
        let names = self
            .properties
            .iter()
            .take(10)
            .map(|p| format!("`{}`", p.name));
        let names = names.collect::<Vec<_>>().join(", ");
        let more = match self.properties.len().saturating_sub(10) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let like = self
            .properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(w));
        let like = like.map_or_else(String::new, |p| format!("did you mean `{}`? ", p.name));
        format!("{like}properties: {names}{more}")
    }

    fn call(&mut self, name: String, at: At) -> Result<Node, Error> {
        if !listed(FUNCTIONS, &name) {
            let what = match listed(OTHER_FUNCTIONS, &name) {
                true => format!("function `{name}` is not supported"),
                false => format!("unknown function `{name}`"),
            };
            return Err(err(&at, what, format!("supported functions: {FUNCTIONS}")));
        }
        let args = self.list(&name)?;
        let arity = if listed("tolower toupper length", &name) {
            1
        } else {
            2
        };
        if args.len() != arity {
            let what = format!("`{name}` takes {arity} argument(s), not {}", args.len());
            return Err(err(&at, what, "e.g. contains(name,'abc'), tolower(name)"));
        }
        Ok(Node(NodeKind::Call(name, args), at))
    }
}

// --- SQL -------------------------------------------------------------------------------------

/// SQL and the values of its `?`s in text order, so that fragments concatenate (and repeat).
#[derive(Default)]
struct Frag {
    sql: String,
    params: Vec<Value>,
}

impl Frag {
    fn sql(sql: &str) -> Frag {
        Frag {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    fn bound(value: Value) -> Frag {
        Frag {
            sql: "?".to_owned(),
            params: vec![value],
        }
    }

    fn add(mut self, sql: &str) -> Frag {
        self.sql.push_str(sql);
        self
    }

    fn with(mut self, other: &Frag) -> Frag {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params.iter().cloned());
        self
    }
}

enum Operand<'n> {
    /// SQL over columns, its kind, and how a message names it.
    Expr(Frag, Kind, String, &'n At),
    Lit(&'n Lit, &'n At),
}

fn condition(node: &Node) -> Result<Frag, Error> {
    let Node(kind, at) = node;
    match kind {
        NodeKind::Or(items) => join(items, " OR "),
        NodeKind::And(items) => join(items, " AND "),
        NodeKind::Not(inner) => Ok(Frag::sql("NOT (").with(&condition(inner)?).add(")")),
        NodeKind::Cmp(op, left, right) => compare(*op, left, right, at),
        NodeKind::In(left, items) => in_list(left, items),
        NodeKind::Call(name, args) => match call(name, args, at)? {
            (frag, Kind::Bool) => Ok(frag),
            _ => Err(err(
                at,
                format!("`{name}(…)` is not a condition"),
                "compare it with a value",
            )),
        },
        NodeKind::Prop(..) | NodeKind::Lit(_) => match value(node)? {
            // A Boolean property alone means `eq true`.
            Operand::Expr(frag, Kind::Bool, ..) => Ok(frag.add(" = ").with(&Frag::bound(1.into()))),
            Operand::Lit(Lit::Bool(b), _) => Ok(Frag::bound(i64::from(*b).into())),
            Operand::Expr(_, _, label, at) => {
                let hint = format!("compare it, e.g. {label} eq …");
                Err(err(at, format!("`{label}` is not a condition"), hint))
            }
            Operand::Lit(_, at) => Err(err(at, "a value is not a condition", "e.g. name eq 'abc'")),
        },
    }
}

fn join(items: &[Node], separator: &str) -> Result<Frag, Error> {
    let mut out = Frag::sql("(");
    for (i, item) in items.iter().enumerate() {
        out = out
            .add(if i == 0 { "" } else { separator })
            .with(&condition(item)?);
    }
    Ok(out.add(")"))
}

fn value(node: &Node) -> Result<Operand<'_>, Error> {
    let Node(kind, at) = node;
    let (frag, kind, label) = match kind {
        NodeKind::Prop(name, column, kind) => (Frag::sql(column), *kind, name.clone()),
        NodeKind::Lit(lit) => return Ok(Operand::Lit(lit, at)),
        NodeKind::Call(name, args) => {
            let (frag, kind) = call(name, args, at)?;
            let frag = match kind {
                Kind::Bool => Frag::sql("(").with(&frag).add(")"),
                _ => frag,
            };
            (frag, kind, format!("{name}(…)"))
        }
        _ => (
            Frag::sql("(").with(&condition(node)?).add(")"),
            Kind::Bool,
            "condition".into(),
        ),
    };
    Ok(Operand::Expr(frag, kind, label, at))
}

/// A function's SQL and result kind. SQLite's LIKE ignores ASCII case and gives `%` and `_`
/// meaning; OData's functions do neither, so `instr` and `substr` compare exactly.
fn call(name: &str, args: &[Node], at: &At) -> Result<(Frag, Kind), Error> {
    let texts = args
        .iter()
        .map(|a| text_arg(name, a))
        .collect::<Result<Vec<_>, _>>()?;
    let f = Frag::sql;
    Ok(match (name, texts.as_slice()) {
        ("contains", [a, b]) => (
            f("instr(").with(a).add(", ").with(b).add(") > 0"),
            Kind::Bool,
        ),
        ("startswith", [a, b]) => (
            f("instr(").with(a).add(", ").with(b).add(") = 1"),
            Kind::Bool,
        ),
        // If b is longer than a, the start falls before a and substr yields at most all of a,
        // which cannot equal b; if b is empty, it yields '' from past a's end. Both are right.
        ("endswith", [a, b]) => {
            let start = f("substr(")
                .with(a)
                .add(", length(")
                .with(a)
                .add(") - length(")
                .with(b);
            (start.add(") + 1) = ").with(b), Kind::Bool)
        }
        ("tolower", [a]) => (f("lower(").with(a).add(")"), Kind::Text),
        ("toupper", [a]) => (f("upper(").with(a).add(")"), Kind::Text),
        ("length", [a]) => (f("length(").with(a).add(")"), Kind::Int),
        _ => return Err(err(at, format!("cannot apply `{name}` here"), SUPPORTED)),
    })
}

fn text_arg(name: &str, node: &Node) -> Result<Frag, Error> {
    match value(node)? {
        Operand::Expr(frag, kind, ..) if kind.is_text() => Ok(frag),
        Operand::Lit(Lit::Str(s) | Lit::Guid(s), _) => Ok(Frag::bound(Value::Text(s.clone()))),
        Operand::Expr(_, kind, label, at) => {
            let what = format!(
                "`{name}` takes text, but `{label}` is {}",
                kind.describe().0
            );
            Err(err(at, what, "apply it to a string property"))
        }
        Operand::Lit(lit, at) => {
            let what = format!("`{name}` takes text, not {}", lit.describe());
            Err(err(at, what, Kind::Text.describe().1))
        }
    }
}

fn compare(op: Op, left: &Node, right: &Node, at: &At) -> Result<Frag, Error> {
    match (value(left)?, value(right)?) {
        (Operand::Expr(a, ka, la, _), Operand::Expr(b, kb, lb, bt)) => {
            if !ka.compares_with(kb) {
                let (da, db) = (ka.describe().0, kb.describe().0);
                let what = format!("cannot compare `{la}` ({da}) with `{lb}` ({db})");
                return Err(err(bt, what, "compare properties of the same type"));
            }
            Ok(a.add(op.1).with(&b))
        }
        (Operand::Expr(e, kind, label, _), Operand::Lit(lit, lat)) => {
            against(op, e, kind, &label, lit, lat, false)
        }
        (Operand::Lit(lit, lat), Operand::Expr(e, kind, label, _)) => {
            against(op, e, kind, &label, lit, lat, true)
        }
        (Operand::Lit(..), Operand::Lit(..)) => {
            let hint = "compare a property with a value, e.g. name eq 'abc'";
            Err(err(at, "both sides of the comparison are values", hint))
        }
    }
}

fn against(
    op: Op,
    expr: Frag,
    kind: Kind,
    label: &str,
    lit: &Lit,
    at: &At,
    lit_first: bool,
) -> Result<Frag, Error> {
    if *lit == Lit::Null {
        return match op.0 {
            "eq" => Ok(expr.add(" IS NULL")),
            "ne" => Ok(expr.add(" IS NOT NULL")),
            _ => {
                let hint = format!("write {label} eq null, or {label} ne null");
                Err(err(at, "null can only be compared with eq or ne", hint))
            }
        };
    }
    let value = Frag::bound(coerce(kind, lit, at, label)?);
    let (a, b) = if lit_first {
        (value, expr)
    } else {
        (expr, value)
    };
    Ok(a.add(op.1).with(&b))
}

/// The literal in the stored form of `kind`. A mismatch is refused: it is a client mistake that
/// would otherwise silently match nothing (or everything, by SQLite's ordering of types).
fn coerce(kind: Kind, lit: &Lit, at: &At, label: &str) -> Result<Value, Error> {
    let text = |s: &str| Some(Value::Text(s.to_owned()));
    let midnight = |d: &str| format!("{d}T00:00:00.000Z");
    let value = match (kind, lit) {
        (Kind::Text, Lit::Str(s)) | (Kind::Uuid, Lit::Guid(s)) | (Kind::Stamp, Lit::Stamp(s)) => {
            text(s)
        }
        (Kind::Uuid, Lit::Str(s)) if format::is_uuid(s) => text(s),
        (Kind::Int | Kind::Double, Lit::Int(n)) => Some(Value::Integer(*n)),
        (Kind::Double, Lit::Num(x)) => Some(Value::Real(*x)),
        (Kind::Bool, Lit::Bool(b)) => Some(Value::Integer(i64::from(*b))),
        (Kind::Stamp, Lit::Date(d)) => text(&midnight(d)),
        (Kind::Stamp, Lit::Str(s)) => (format::normalize_timestamp(s))
            .or_else(|| date_text(s).map(|d| midnight(&d)))
            .map(Value::Text),
        (Kind::Date, Lit::Date(d)) => text(d),
        (Kind::Date, Lit::Str(s)) => date_text(s).map(Value::Text),
        _ => None,
    };
    value.ok_or_else(|| {
        let (is, example) = kind.describe();
        let what = format!("`{label}` is {is}, not {}", lit.describe());
        err(at, what, format!("write {example}"))
    })
}

fn in_list(left: &Node, items: &[Node]) -> Result<Frag, Error> {
    let hint = "write e.g. name in ('a','b')";
    let Operand::Expr(frag, kind, label, _) = value(left)? else {
        return Err(err(
            &left.1,
            "the left side of `in` must be a property",
            hint,
        ));
    };
    let (mut list, mut null) = (Frag::default(), false);
    for Node(item, at) in items {
        let NodeKind::Lit(lit) = item else {
            return Err(err(at, "the `in` list takes values only", hint));
        };
        if *lit == Lit::Null {
            null = true;
        } else {
            let separator = if list.sql.is_empty() { "" } else { ", " };
            list = list
                .add(separator)
                .with(&Frag::bound(coerce(kind, lit, at, &label)?));
        }
    }
    let is_in = Frag::default()
        .with(&frag)
        .add(" IN (")
        .with(&list)
        .add(")");
    Ok(match (list.sql.is_empty(), null) {
        (_, false) => is_in,
        (true, true) => frag.add(" IS NULL"),
        (false, true) => Frag::sql("(")
            .with(&is_in)
            .add(" OR ")
            .with(&frag)
            .add(" IS NULL)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{prop_oneof, Strategy};
    use rusqlite::Connection;
    use std::collections::BTreeSet;

    static TYPES: [LogicalType; 8] = [
        LogicalType::Integer64,
        LogicalType::String(Some(40)),
        LogicalType::Integer,
        LogicalType::Double,
        LogicalType::Boolean,
        LogicalType::Timestamp,
        LogicalType::Date,
        LogicalType::Uuid,
    ];
    const NAMES: [&str; 8] = [
        "n", "name", "age", "score", "closed", "created", "day", "id",
    ];
    const COLUMNS: [&str; 8] = [
        "\"n\"",
        "\"t name\"",
        "\"age\"",
        "\"score\"",
        "\"closed\"",
        "\"created\"",
        "\"day\"",
        "\"id\"",
    ];

    fn properties() -> Vec<Property<'static>> {
        let all = NAMES.iter().zip(COLUMNS).zip(&TYPES);
        all.map(|((name, column), ty)| Property { name, column, ty })
            .collect()
    }

    /// Rows as CAP stores them, with NULLs and text holding `%`, `_` and `'`.
    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE t (n INTEGER, \"t name\" NVARCHAR(40), age INTEGER, score DOUBLE,
                closed BOOLEAN, created TIMESTAMP_TEXT, day DATE_TEXT, id NVARCHAR(36));
             INSERT INTO t VALUES
              (1, 'Alpha', 30, 1.5, 1, '2021-02-05T17:45:17.044Z', '2021-02-05',
                  '1ddbe87b-b897-39a0-9031-bbf61480fde9'),
              (2, 'beta', NULL, 0.5, 0, '2021-02-05T17:45:18.000Z', '2021-02-06',
                  'ABCDEF01-0000-4000-8000-000000000002'),
              (3, '100%_off', 10, NULL, NULL, NULL, NULL, NULL),
              (4, 'it''s', 20, 2, 0, '2020-01-01T00:00:00.000Z', '2020-01-01', NULL),
              (5, NULL, 40, -0.015, 1, '2021-02-05T16:45:17.044Z', NULL, NULL),
              (6, '100 percent off', 10, 1000, 0, NULL, '2021-02-05', NULL);",
        )
        .unwrap();
        db
    }

    fn sql(filter: &str) -> (String, Vec<Value>) {
        let f = parse(filter, &properties()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(f.sql.matches('?').count(), f.params.len(), "{filter}");
        (f.sql, f.params)
    }

    fn rows(db: &Connection, filter: &str) -> Vec<i64> {
        let (sql, params) = sql(filter);
        let query = format!("SELECT n FROM t WHERE {sql} ORDER BY n");
        let mut stmt = db
            .prepare(&query)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let found = stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(0));
        found.unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn check(cases: &[(&str, &[i64])]) {
        let db = db();
        for (filter, want) in cases {
            assert_eq!(rows(&db, filter), *want, "{filter} → {:?}", sql(filter));
        }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn emits_bound_parameters_and_quoted_columns() {
        let cases: [(&str, &str, Vec<Value>); 10] = [
            ("name eq 'it''s'", "\"t name\" = ?", vec![text("it's")]),
            ("'x' lt name", "? < \"t name\"", vec![text("x")]),
            ("age ne 30", "\"age\" IS NOT ?", vec![Value::Integer(30)]),
            ("age eq null", "\"age\" IS NULL", vec![]),
            ("null ne age", "\"age\" IS NOT NULL", vec![]),
            ("closed", "\"closed\" = ?", vec![Value::Integer(1)]),
            (
                "score gt -1.5E-2",
                "\"score\" > ?",
                vec![Value::Real(-0.015)],
            ),
            (
                "contains(name,'a_')",
                "instr(\"t name\", ?) > 0",
                vec![text("a_")],
            ),
            (
                "endswith(name,'x')",
                "substr(\"t name\", length(\"t name\") - length(?) + 1) = ?",
                vec![text("x"), text("x")],
            ),
            (
                "age eq 1 or age eq 2 and not closed",
                "(\"age\" = ? OR (\"age\" = ? AND NOT (\"closed\" = ?)))",
                vec![Value::Integer(1), Value::Integer(2), Value::Integer(1)],
            ),
        ];
        for (filter, want, params) in cases {
            assert_eq!(sql(filter), (want.to_owned(), params), "{filter}");
        }
        let (s, p) = sql("age in (10, null, 20)");
        assert_eq!(s, "(\"age\" IN (?, ?) OR \"age\" IS NULL)");
        assert_eq!(p, vec![Value::Integer(10), Value::Integer(20)]);
    }

    #[test]
    fn normalizes_temporal_literals_to_the_stored_form() {
        let param = |filter: &str| sql(filter).1;
        let stamp = |s: &str| vec![text(s)];
        let cases = [
            (
                "created eq 2021-02-05T18:45:17+01:00",
                "2021-02-05T17:45:17.000Z",
            ),
            (
                "created eq 2021-02-05T17:45:17.0449Z",
                "2021-02-05T17:45:17.044Z",
            ),
            (
                "created eq 2021-02-05T17:45:17.1Z",
                "2021-02-05T17:45:17.100Z",
            ),
            (
                "created eq 2021-02-05T12:45-05:00",
                "2021-02-05T17:45:00.000Z",
            ),
            (
                "created eq 2021-02-05T18:45:17 01:00",
                "2021-02-05T17:45:17.000Z",
            ),
            ("created ge 2021-02-05", "2021-02-05T00:00:00.000Z"),
            (
                "created eq '2021-02-05T18:45:17.5+01:00'",
                "2021-02-05T17:45:17.500Z",
            ),
            ("day eq 2021-02-05", "2021-02-05"),
            ("day eq '2021-02-05'", "2021-02-05"),
            (
                "id eq 1DDBE87B-b897-39a0-9031-bbf61480fde9",
                "1DDBE87B-b897-39a0-9031-bbf61480fde9",
            ),
        ];
        for (filter, want) in cases {
            assert_eq!(param(filter), stamp(want), "{filter}");
        }
    }

    #[test]
    fn comparisons_and_nulls_match_the_right_rows() {
        check(&[
            ("name eq 'Alpha'", &[1]),
            ("name ne 'Alpha'", &[2, 3, 4, 5, 6]),
            ("age ne 30", &[2, 3, 4, 5, 6]),
            ("age eq null", &[2]),
            ("age ne null", &[1, 3, 4, 5, 6]),
            ("age gt 10", &[1, 4, 5]),
            ("10 lt age", &[1, 4, 5]),
            ("age le 20", &[3, 4, 6]),
            ("score ge 1", &[1, 4, 6]),
            ("score lt -1.5e-3", &[5]),
            ("score eq 1e3", &[6]),
            ("age gt score", &[1, 4, 5]),
            ("age eq length(name)", &[]),
            ("length(name) eq 5", &[1]),
        ]);
    }

    #[test]
    fn string_functions_are_case_sensitive_and_literal() {
        check(&[
            ("contains(name,'alpha')", &[]),
            ("contains(name,'Alpha')", &[1]),
            ("contains(name,'%_')", &[3]),
            ("contains(name,'_')", &[3]),
            ("startswith(name,'100%')", &[3]),
            ("startswith(name,'100_')", &[]),
            ("startswith(name,'100')", &[3, 6]),
            ("endswith(name,'''s')", &[4]),
            ("endswith(name,'off')", &[3, 6]),
            ("endswith(name,'a much longer suffix than any name')", &[]),
            ("endswith(name,'')", &[1, 2, 3, 4, 6]),
            ("not contains(name,'e')", &[1, 3, 4]),
            ("contains(name,'a') eq false", &[3, 4, 6]),
            ("tolower(name) eq 'alpha'", &[1]),
            ("toupper(name) eq 'BETA'", &[2]),
            ("name eq 'it''s'", &[4]),
            ("name eq 'x'' or 1=1 --'", &[]),
            ("name in ('Alpha', 'beta', 'nope')", &[1, 2]),
            ("name in ('Alpha', null)", &[1, 5]),
            ("name in (null)", &[5]),
            ("startswith(id,'1ddbe87b')", &[1]),
        ]);
    }

    #[test]
    fn temporal_booleans_and_guids_match_the_right_rows() {
        check(&[
            ("created eq 2021-02-05T18:45:17.044+01:00", &[1]),
            ("created gt 2021-02-05T17:45:17Z", &[1, 2]),
            ("created lt 2021-02-05T17:45:17.0449Z", &[4, 5]),
            (
                "created ge 2021-02-05 and created lt 2021-02-06",
                &[1, 2, 5],
            ),
            ("created ne 2021-02-05T17:45:18Z", &[1, 3, 4, 5, 6]),
            ("day gt '2021-02-05'", &[2]),
            ("day eq 2021-02-05", &[1, 6]),
            ("closed", &[1, 5]),
            ("not closed", &[2, 4, 6]),
            ("closed eq false", &[2, 4, 6]),
            ("closed ne true", &[2, 3, 4, 6]),
            ("id eq 1ddbe87b-b897-39a0-9031-bbf61480fde9", &[1]),
            ("id eq '1ddbe87b-b897-39a0-9031-bbf61480fde9'", &[1]),
            ("id eq abcdef01-0000-4000-8000-000000000002", &[]),
            ("id eq ABCDEF01-0000-4000-8000-000000000002", &[2]),
        ]);
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        check(&[
            ("age eq 10 or age eq 20 and name eq 'x'", &[3, 6]),
            ("(age eq 10 or age eq 20) and name eq 'it''s'", &[4]),
            ("not age eq 10 and closed", &[1, 5]),
            ("not (age eq 10 or closed)", &[4]),
            ("closed or age eq 10 and not contains(name,'%')", &[1, 5, 6]),
            ("((((age eq 30))))", &[1]),
            ("age in (10,20) and score ne null", &[4, 6]),
            ("true and age eq 30", &[1]),
        ]);
    }

    #[test]
    fn caller_can_append_params_after_its_own() {
        let (filter, params) = sql("age gt ? or name eq 'beta'".replace('?', "5").as_str());
        let query = format!("SELECT n FROM t WHERE n > ? AND {filter} ORDER BY n");
        let all = std::iter::once(Value::Integer(2)).chain(params);
        let db = db();
        let mut stmt = db.prepare(&query).unwrap();
        let found = stmt.query_map(rusqlite::params_from_iter(all), |r| r.get::<_, i64>(0));
        assert_eq!(
            found.unwrap().collect::<Result<Vec<_>, _>>().unwrap(),
            [3, 4, 5, 6]
        );
    }

    #[test]
    fn refuses_with_offset_token_and_hint() {
        let cases: &[(&str, &str)] = &[
            ("", "empty filter at character 1"),
            ("   ", "empty filter at character 4"),
            (
                "colour eq 1",
                "unknown property `colour` at character 1, near `colour`",
            ),
            ("Name eq 'a'", "did you mean `name`?"),
            (
                "age eq 1 and foo(name)",
                "unknown function `foo` at character 14",
            ),
            (
                "substring(name,1) eq 'a'",
                "function `substring` is not supported at character 1",
            ),
            (
                "(age eq 1",
                "the `(` at 1 is not closed at character 10, near the end",
            ),
            ("age eq 1)", "no `(` to close at character 9"),
            (
                "age eq 1 name",
                "after a complete condition at character 10, near `name`",
            ),
            ("age eq", "missing operand at character 7, near the end"),
            ("and age eq 1", "missing operand at character 1"),
            ("age eq 1 and", "missing operand at character 13"),
            ("()", "missing operand at character 2"),
            (
                "age add 1 eq 2",
                "arithmetic (`add`) is not supported at character 5",
            ),
            (
                "age eq 1 mod 2",
                "arithmetic (`mod`) is not supported at character 10",
            ),
            (
                "tags/any(t:t eq 'a')",
                "lambda operators (`any`, `all`) are not supported",
            ),
            (
                "a/b eq 1",
                "navigation paths (`a/b`) are not supported at character 2",
            ),
            ("$it/age eq 1", "`$it` is not supported at character 1"),
            (
                "age has 1",
                "the `has` operator is not supported at character 5",
            ),
            (
                "age eq 'x'",
                "`age` is an integer, not a string at character 8, near `'x'`",
            ),
            ("age eq 1.5", "`age` is an integer, not a decimal number"),
            (
                "name eq 5",
                "`name` is a string, not an integer at character 9",
            ),
            ("created eq 5", "`created` is a date-time, not an integer"),
            (
                "created eq 'soon'",
                "`created` is a date-time, not a string",
            ),
            (
                "day eq 2021-02-05T17:45:17Z",
                "`day` is a date, not a date-time",
            ),
            ("closed eq 1", "`closed` is a Boolean, not an integer"),
            ("id eq 'nope'", "`id` is a GUID, not a string"),
            (
                "name eq 1ddbe87b-b897-39a0-9031-bbf61480fde9",
                "`name` is a string, not a GUID",
            ),
            (
                "age gt null",
                "null can only be compared with eq or ne at character 8",
            ),
            (
                "age eq 1 eq 2",
                "comparisons cannot be chained at character 10",
            ),
            (
                "age eq 1 AND closed",
                "keywords are case-sensitive: write `and`",
            ),
            ("name eq 'abc", "unterminated string at character 9"),
            ("age = 1", "unexpected character at character 5, near `=`"),
            ("name eq \"a\"", "strings go in single quotes"),
            (
                "contains(age,'1')",
                "`contains` takes text, but `age` is an integer",
            ),
            (
                "contains(name)",
                "`contains` takes 2 argument(s), not 1 at character 1",
            ),
            (
                "contains(name,5)",
                "`contains` takes text, not an integer at character 15",
            ),
            ("tolower(name)", "`tolower(…)` is not a condition"),
            ("name", "`name` is not a condition at character 1"),
            (
                "'a' eq 'a'",
                "both sides of the comparison are values at character 5",
            ),
            (
                "age gt name",
                "cannot compare `age` (an integer) with `name` (a string)",
            ),
            ("day eq 2021-13-01", "invalid date at character 8"),
            (
                "created eq 2021-02-05T17:45:17",
                "date-time without a time zone",
            ),
            ("created eq 2021-02-05T25:00:00Z", "invalid date-time"),
            ("age in ()", "empty `in` list at character 8"),
            (
                "age in (1, score)",
                "the `in` list takes values only at character 12",
            ),
            ("age in (1 2)", "expected `,` or `)`"),
            ("age eq 5x", "malformed literal at character 8, near `5x`"),
            ("age eq 99999999999999999999", "integer out of range"),
            ("score eq 1e999", "number out of range"),
        ];
        for (filter, want) in cases {
            match parse(filter, &properties()) {
                Ok(f) => panic!("{filter} was accepted: {f:?}"),
                Err(e) => assert!(e.contains(want) && e.contains("Hint: "), "{filter}: {e}"),
            }
        }
    }

    #[test]
    fn hint_names_at_most_ten_properties() {
        let ty = LogicalType::Integer;
        let names: Vec<String> = (1..=12).map(|i| format!("p{i}")).collect();
        let props: Vec<_> = names
            .iter()
            .map(|n| Property {
                name: n,
                column: n,
                ty: &ty,
            })
            .collect();
        let e = parse("x eq 1", &props).unwrap_err();
        assert!(e.starts_with("unknown property `x` at character 1"), "{e}");
        assert!(e.contains("`p10` and 2 more") && !e.contains("p11"), "{e}");
    }

    #[test]
    fn pathological_input_is_refused_not_overflowed() {
        let deep = format!("{}age eq 1{}", "(".repeat(3000), ")".repeat(3000));
        assert!(parse(&deep, &properties())
            .unwrap_err()
            .contains("nesting deeper than 100"));
        let nots = format!("{}closed", "not ".repeat(1000));
        assert!(parse(&nots, &properties())
            .unwrap_err()
            .contains("nesting deeper than 100"));
        let calls = format!("{}name{} eq 'a'", "tolower(".repeat(500), ")".repeat(500));
        assert!(parse(&calls, &properties())
            .unwrap_err()
            .contains("nesting deeper than 100"));
        let long = "age eq 1 or ".repeat(700) + "closed";
        assert!(parse(&long, &properties())
            .unwrap_err()
            .contains("too long"));
        // Long but flat: fine, and shallow in the AST.
        let flat = "age eq 10 or ".repeat(600) + "closed";
        assert_eq!(rows(&db(), &flat), [1, 3, 5, 6]);
        let nested = format!("{}age eq 30{}", "(".repeat(90), ")".repeat(90));
        assert_eq!(rows(&db(), &nested), [1]);
    }

    /// A random condition, to check the translation against Kleene logic over rows.
    #[derive(Clone, Debug)]
    enum Tree {
        Leaf(&'static str),
        And(Box<Tree>, Box<Tree>),
        Or(Box<Tree>, Box<Tree>),
        Not(Box<Tree>),
    }

    const LEAVES: [&str; 12] = [
        "age eq 10",
        "age ne 30",
        "name ne 'it''s'",
        "contains(name,'_')",
        "closed",
        "created gt 2021-02-05T18:45:17+01:00",
        "day eq null",
        "id in (1ddbe87b-b897-39a0-9031-bbf61480fde9, null)",
        "length(name) le 5",
        "score ge -1.5e-2",
        "tolower(name) eq 'alpha'",
        "endswith(name,'off')",
    ];

    impl Tree {
        /// Text with as few parentheses as precedence allows (`or` 1, `and` 2, `not` 3).
        fn text(&self, outer: u8) -> String {
            let (own, text) = match self {
                Tree::Leaf(leaf) => (4, leaf.to_string()),
                Tree::And(a, b) => (2, format!("{} and {}", a.text(2), b.text(2))),
                Tree::Or(a, b) => (1, format!("{} or {}", a.text(1), b.text(1))),
                Tree::Not(a) => (3, format!("not {}", a.text(3))),
            };
            if own < outer {
                format!("({text})")
            } else {
                text
            }
        }

        /// The rows where it is true, and those where it is false (NULL is neither).
        fn truth(&self, db: &Connection) -> (BTreeSet<i64>, BTreeSet<i64>) {
            match self {
                Tree::Leaf(leaf) => {
                    let set = |f: &str| rows(db, f).into_iter().collect();
                    (set(leaf), set(&format!("not ({leaf})")))
                }
                Tree::And(a, b) | Tree::Or(a, b) => {
                    let ((ta, fa), (tb, fb)) = (a.truth(db), b.truth(db));
                    let (all, any) = (|x: &BTreeSet<i64>, y| x & y, |x: &BTreeSet<i64>, y| x | y);
                    match self {
                        Tree::And(..) => (all(&ta, &tb), any(&fa, &fb)),
                        _ => (any(&ta, &tb), all(&fa, &fb)),
                    }
                }
                Tree::Not(a) => {
                    let (t, f) = a.truth(db);
                    (f, t)
                }
            }
        }
    }

    fn tree() -> impl Strategy<Value = Tree> {
        let leaf = proptest::sample::select(LEAVES.to_vec()).prop_map(Tree::Leaf);
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::And(a.into(), b.into())),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| Tree::Or(a.into(), b.into())),
                inner.prop_map(|a| Tree::Not(a.into())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn random_conditions_follow_three_valued_logic(tree in tree()) {
            let db = db();
            let text = tree.text(0);
            let want: Vec<i64> = tree.truth(&db).0.into_iter().collect();
            proptest::prop_assert_eq!(rows(&db, &text), want, "{}", text);
        }

        #[test]
        fn never_panics_and_accepted_sql_runs(text in "\\PC{0,40}") {
            if parse(&text, &properties()).is_ok() {
                rows(&db(), &text);
            }
        }

        #[test]
        fn token_soup_never_panics_and_accepted_sql_runs(words in proptest::collection::vec(
            proptest::sample::select(vec![
                "name", "age", "score", "closed", "created", "day", "id", "eq", "ne", "gt", "le",
                "and", "or", "not", "in", "(", ")", ",", "'a''%'", "10", "-1.5e2", "null", "true",
                "2021-02-05", "2021-02-05T17:45:17+01:00", "contains(", "tolower(", "length(",
                "endswith(", "1ddbe87b-b897-39a0-9031-bbf61480fde9", "/", "add", "$it",
            ]),
            0..14,
        )) {
            let text = words.join(" ");
            if parse(&text, &properties()).is_ok() {
                rows(&db(), &text);
            }
        }
    }
}
