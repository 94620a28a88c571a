//! Lexing: text into tokens with their positions. Literals are read here, once, with
//! the value formats of `cai_bridge_model::format`, so that a key predicate accepts
//! exactly the literals a `$filter` comparison does; the character shapes below only
//! find where a literal ends.

use cai_bridge_model::format;

use super::error::{err, FilterError, Position};

const GUID: &str = "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";

/// Which text is lexed: the two share names and literals, not punctuation.
#[derive(Clone, Copy)]
pub(super) enum Grammar {
    /// `$filter`: `(`, `)`, `,`, `/` and `:`; `:` only to reach the parser, which names
    /// the lambda it belongs to.
    Filter,
    /// A key predicate: `,` and `=` (`a='x',b=1`).
    Key,
}

impl Grammar {
    fn punct(self, c: char) -> bool {
        match self {
            Grammar::Filter => "(),/:".contains(c),
            Grammar::Key => ",=".contains(c),
        }
    }
}

/// A literal, read into the form it is compared in.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Lit {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
    Date(String),
    /// Already normalized to the stored form.
    Stamp(String),
    Guid(String),
    /// A time of day, normalized to `HH:MM:SS.sss` (the form `time(…)` gives).
    Time(String),
}

impl Lit {
    /// What it is, for messages.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Lit::Str(_) => "a string",
            Lit::Int(_) => "an integer",
            Lit::Num(_) => "a decimal number",
            Lit::Bool(_) => "a Boolean",
            Lit::Null => "null",
            Lit::Date(_) => "a date",
            Lit::Stamp(_) => "a date-time",
            Lit::Guid(_) => "a GUID",
            Lit::Time(_) => "a time of day",
        }
    }
}

/// The literal a word is where a value may stand: `true`, `false` and `null` are lexed
/// as words, so that the parser decides, as it does for every other word.
pub(super) fn word_literal(word: &str) -> Option<Lit> {
    match word {
        "true" => Some(Lit::Bool(true)),
        "false" => Some(Lit::Bool(false)),
        "null" => Some(Lit::Null),
        _ => None,
    }
}

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    /// Punctuation of the grammar (see [`Grammar`]).
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

/// The tokens of `text`, each with where it starts.
pub(super) fn lex(text: &str, grammar: Grammar) -> Result<Vec<(Tok, Position)>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let (mut out, mut i) = (Vec::new(), 0);
    while let Some(&c) = chars.get(i) {
        let start = i;
        let tok = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            _ if grammar.punct(c) => {
                i += 1;
                Tok::Punct(c)
            }
            '\'' => Tok::Lit(Lit::Str(lex_string(&chars, &mut i)?)),
            _ if shaped(&chars, i, GUID) && !chars.get(i + 36).is_some_and(|&c| is_ident(c)) => {
                i += 36;
                Tok::Lit(Lit::Guid(span(&chars, start, i)))
            }
            _ if shaped(&chars, i, "dddd-dd-dd") => Tok::Lit(lex_temporal(&chars, &mut i)?),
            _ if shaped(&chars, i, "dd:dd") => Tok::Lit(lex_time(&chars, &mut i)?),
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
            _ => return Err(bad_char(c, start + 1, grammar)),
        };
        let glued = |j: usize| chars.get(j).is_some_and(|&c| is_ident(c) || c == '.');
        if matches!(tok, Tok::Lit(_)) && glued(i) {
            let end = (i..=chars.len()).find(|&j| !glued(j)).unwrap_or(i);
            let at = Position::new(start + 1, &span(&chars, start, end));
            let hint = "separate tokens with spaces; strings go in single quotes";
            return Err(err(&at, "malformed literal", hint));
        }
        out.push((tok, Position::new(start + 1, &span(&chars, start, i))));
    }
    Ok(out)
}

fn bad_char(c: char, at: usize, grammar: Grammar) -> FilterError {
    let hint = match (grammar, c) {
        (_, '"') => "strings go in single quotes: 'text' (a quote inside is doubled: 'it''s')",
        (Grammar::Key, _) => "a key is a value, or name=value pairs separated by commas",
        (_, '=' | '<' | '>' | '!') => "comparison operators are words: eq, ne, gt, ge, lt, le",
        (_, '+' | '-' | '*' | '%') => "arithmetic is not supported",
        (_, '&' | '?' | '#') => "percent-encode the $filter value",
        _ => "a filter holds properties, literals, keywords, parentheses and commas",
    };
    let at = Position::new(at, &c.to_string());
    err(&at, "unexpected character", hint)
}

fn lex_string(chars: &[char], i: &mut usize) -> Result<String, FilterError> {
    let (start, mut out) = (*i, String::new());
    *i += 1;
    loop {
        match chars.get(*i) {
            None => {
                let at = Position::new(start + 1, &span(chars, start, chars.len()));
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
fn lex_temporal(chars: &[char], i: &mut usize) -> Result<Lit, FilterError> {
    let (start, mut j) = (*i, *i + 10);
    let date = span(chars, start, j);
    if chars.get(j) != Some(&'T') {
        *i = j;
        if !format::is_date(&date) {
            let at = Position::new(start + 1, &date);
            return Err(err(&at, "invalid date", "write YYYY-MM-DD"));
        }
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
    let at = Position::new(start + 1, &span(chars, start, j));
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

/// A time of day, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
fn lex_time(chars: &[char], i: &mut usize) -> Result<Lit, FilterError> {
    let start = *i;
    let mut j = start + 5;
    while chars
        .get(j)
        .is_some_and(|&c| c.is_ascii_digit() || c == ':' || c == '.')
    {
        j += 1;
    }
    *i = j;
    let text = span(chars, start, j);
    let at = Position::new(start + 1, &text);
    time_of_day(&text)
        .map(Lit::Time)
        .ok_or_else(|| err(&at, "invalid time of day", "write e.g. 13:45:00"))
}

/// `HH:MM[:SS[.fff]]` as `HH:MM:SS.sss` (milliseconds, as timestamps are stored; more
/// digits are cut, not rounded, like a timestamp's), or `None` if it is not a time.
pub(super) fn time_of_day(text: &str) -> Option<String> {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    let parts: Vec<&str> = clock.split(':').collect();
    let two = |s: &str, below: u32| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|&n| n < below)
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (two(h, 24)?, two(m, 60)?, 0),
        [h, m, s] => (two(h, 24)?, two(m, 60)?, two(s, 60)?),
        _ => return None,
    };
    let digits = fraction.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.contains('.') && (fraction.is_empty() || parts.len() != 3)) {
        return None;
    }
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    Some(format!("{h:02}:{m:02}:{s:02}.{millis}"))
}

fn lex_number(chars: &[char], i: &mut usize) -> Result<Lit, FilterError> {
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
    let at = Position::new(start + 1, &text);
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
