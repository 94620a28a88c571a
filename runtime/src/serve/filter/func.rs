//! The canonical functions of `$filter` that CAP 9 answers on SQLite and PostgreSQL:
//! what each takes, what it gives, and its SQL in either dialect (PostgreSQL's as
//! `@cap-js/postgres` writes it, where it differs: `strpos` for `instr`, `date_part`
//! for `strftime`, `coalesce` so that a function of NULL is false, not unknown). Arguments are typed like comparisons (`kind`), so that
//! `year(name)` is a 400 that names the mistake instead of CAP's 500; any other
//! function name is a 501, as CAP answers it, because it may be valid OData that this
//! service does not implement.

use cai_bridge_model::dialect::Dialect;
use rusqlite::types::Value;

use super::error::{err, unsupported, FilterError, Position};
use super::kind::Kind;
use super::sql::Frag;

/// An argument, translated: its SQL, its kind, how a message names it (in backquotes)
/// and where it is.
pub(super) struct Arg {
    pub(super) frag: Frag,
    pub(super) kind: Kind,
    pub(super) label: String,
    pub(super) at: Position,
}

/// What a function gives.
#[derive(Clone, Copy)]
enum Gives {
    Is(Kind),
    /// The kind of its first argument (`round`, `floor`, `ceiling`).
    First,
}

/// A function: its name, what each parameter takes (the last `optional` may be left
/// out) and what it gives.
struct Signature {
    name: &'static str,
    takes: &'static [&'static [Kind]],
    optional: usize,
    gives: Gives,
}

const TEXT: &[Kind] = &[Kind::Text, Kind::Uuid];
const INT: &[Kind] = &[Kind::Int];
const NUMBER: &[Kind] = &[Kind::Int, Kind::Double];
/// What has a date: `year(…)`, `month(…)`, `day(…)`.
const DATED: &[Kind] = &[Kind::Stamp, Kind::Date];
/// What has a time of day: `hour(…)` … `fractionalseconds(…)`, `time(…)`.
const CLOCKED: &[Kind] = &[Kind::Stamp, Kind::Time];
const STAMP: &[Kind] = &[Kind::Stamp];

#[rustfmt::skip]
const SIGNATURES: &[Signature] = &[
    sig("contains", &[TEXT, TEXT], 0, Gives::Is(Kind::Bool)),
    sig("startswith", &[TEXT, TEXT], 0, Gives::Is(Kind::Bool)),
    sig("endswith", &[TEXT, TEXT], 0, Gives::Is(Kind::Bool)),
    sig("tolower", &[TEXT], 0, Gives::Is(Kind::Text)),
    sig("toupper", &[TEXT], 0, Gives::Is(Kind::Text)),
    sig("trim", &[TEXT], 0, Gives::Is(Kind::Text)),
    sig("length", &[TEXT], 0, Gives::Is(Kind::Int)),
    sig("indexof", &[TEXT, TEXT], 0, Gives::Is(Kind::Int)),
    sig("substring", &[TEXT, INT, INT], 1, Gives::Is(Kind::Text)),
    sig("concat", &[TEXT, TEXT], 0, Gives::Is(Kind::Text)),
    sig("year", &[DATED], 0, Gives::Is(Kind::Int)),
    sig("month", &[DATED], 0, Gives::Is(Kind::Int)),
    sig("day", &[DATED], 0, Gives::Is(Kind::Int)),
    sig("hour", &[CLOCKED], 0, Gives::Is(Kind::Int)),
    sig("minute", &[CLOCKED], 0, Gives::Is(Kind::Int)),
    sig("second", &[CLOCKED], 0, Gives::Is(Kind::Int)),
    sig("fractionalseconds", &[CLOCKED], 0, Gives::Is(Kind::Double)),
    sig("date", &[DATED], 0, Gives::Is(Kind::Date)),
    sig("time", &[CLOCKED], 0, Gives::Is(Kind::Time)),
    sig("totaloffsetminutes", &[STAMP], 0, Gives::Is(Kind::Int)),
    sig("now", &[], 0, Gives::Is(Kind::Stamp)),
    sig("maxdatetime", &[], 0, Gives::Is(Kind::Stamp)),
    sig("mindatetime", &[], 0, Gives::Is(Kind::Stamp)),
    // CAP also takes a second argument, the number of decimals, as SQLite does.
    sig("round", &[NUMBER, INT], 1, Gives::First),
    sig("floor", &[NUMBER], 0, Gives::First),
    sig("ceiling", &[NUMBER], 0, Gives::First),
];

const fn sig(
    name: &'static str,
    takes: &'static [&'static [Kind]],
    optional: usize,
    gives: Gives,
) -> Signature {
    Signature {
        name,
        takes,
        optional,
        gives,
    }
}

/// The hint for a function this service does not know.
pub(super) fn known() -> String {
    let names: Vec<&str> = SIGNATURES.iter().map(|s| s.name).collect();
    format!("supported functions: {}", names.join(", "))
}

fn signature(name: &str) -> Option<&'static Signature> {
    SIGNATURES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The name of the function `name` calls (function names ignore case, as in CAP), and
/// how many arguments it takes at least and at most; a 501 for an unknown name.
pub(super) fn lookup(
    name: &str,
    at: &Position,
) -> Result<(&'static str, usize, usize), FilterError> {
    if let Some(s) = signature(name) {
        return Ok((s.name, s.takes.len() - s.optional, s.takes.len()));
    }
    if name.eq_ignore_ascii_case("totalseconds") {
        let what = "`totalseconds` takes a duration, and no property of this service is one";
        return Err(err(at, what, known()));
    }
    let what = format!("function `{}` is not supported", super::cut(name));
    Err(unsupported(at, what, known()))
}

/// The SQL and kind of the call of `name` on `args` (as many as [`lookup`] said), each
/// argument checked against what the function takes.
pub(super) fn call(
    name: &str,
    args: &[Arg],
    at: &Position,
    dialect: Dialect,
) -> Result<(Frag, Kind), FilterError> {
    let unknown = || err(at, format!("cannot apply `{name}` here"), known());
    let s = signature(name).ok_or_else(unknown)?;
    for (arg, takes) in args.iter().zip(s.takes) {
        if !takes.contains(&arg.kind) {
            let wants: Vec<&str> = takes.iter().map(|k| k.describe().0).collect();
            let what = format!(
                "`{name}` takes {}, but {} is {}",
                wants.join(" or "),
                arg.label,
                arg.kind.describe().0
            );
            let example = takes.first().map_or("", |k| k.describe().1);
            return Err(err(&arg.at, what, format!("write {example}")));
        }
    }
    let kind = match s.gives {
        Gives::Is(kind) => kind,
        Gives::First => args.first().map_or(Kind::Double, |a| a.kind),
    };
    let sql = match dialect {
        Dialect::Postgres => postgres(s.name, args).or_else(|| sql(s.name, args)),
        _ => sql(s.name, args),
    };
    Ok((sql.ok_or_else(unknown)?, kind))
}

/// PostgreSQL's SQL of the calls whose SQLite spelling it does not take; `None` for
/// the others (`lower`, `length`, `substr`, `||`, … are spelled alike).
fn postgres(name: &str, args: &[Arg]) -> Option<Frag> {
    let f = Frag::sql;
    if name == "now" {
        return Some(f("(now() AT TIME ZONE 'UTC')"));
    }
    let a = &args.first()?.frag;
    let kind = args.first()?.kind;
    let b = args.get(1).map(|b| &b.frag);
    let part = |part: &str| {
        f(&format!("CAST(date_part('{part}', "))
            .with(a)
            .add(") AS INTEGER)")
    };
    let second = || f("date_part('second', ").with(a).add(")");
    Some(match (name, b) {
        ("contains", Some(b)) => f("(coalesce(strpos(")
            .with(a)
            .add(", ")
            .with(b)
            .add("), 0) > 0)"),
        ("startswith", Some(b)) => f("coalesce(strpos(")
            .with(a)
            .add(", ")
            .with(b)
            .add(") = 1, false)"),
        ("endswith", Some(b)) => f("coalesce(substr(")
            .with(a)
            .add(", length(")
            .with(a)
            .add(") + 1 - length(")
            .with(b)
            .add(")) = ")
            .with(b)
            .add(", false)"),
        ("indexof", Some(b)) => f("(strpos(").with(a).add(", ").with(b).add(") - 1)"),
        ("year", _) => part("year"),
        ("month", _) => part("month"),
        ("day", _) => part("day"),
        ("hour", _) => part("hour"),
        ("minute", _) => part("minute"),
        ("second", _) => f("CAST(floor(").with(&second()).add(") AS INTEGER)"),
        ("fractionalseconds", _) => f("(")
            .with(&second())
            .add(" - floor(")
            .with(&second())
            .add("))"),
        ("date", _) => f("CAST(").with(a).add(" AS DATE)"),
        // With milliseconds, as a time-of-day literal is normalized; a time of day on
        // a date is a timestamp, which `to_char` formats (a time it does not).
        ("time", _) => f("to_char(DATE '2000-01-01' + CAST(")
            .with(a)
            .add(" AS TIME), 'HH24:MI:SS.MS')"),
        // PostgreSQL rounds to decimals only as NUMERIC; the result keeps the kind of
        // the number rounded (an integer stays one).
        ("round", b) => {
            let target = match kind {
                Kind::Int => "BIGINT",
                _ => "DOUBLE PRECISION",
            };
            let rounded = f("round(CAST(").with(a).add(" AS NUMERIC)");
            let rounded = match b {
                Some(b) => rounded.add(", ").with(b).add(")"),
                None => rounded.add(")"),
            };
            f("CAST(").with(&rounded).add(&format!(" AS {target})"))
        }
        ("floor" | "ceiling", _) if kind == Kind::Int => f("(").with(a).add(")"),
        ("floor", _) => f("floor(").with(a).add(")"),
        ("ceiling", _) => f("ceiling(").with(a).add(")"),
        _ => return None,
    })
}

/// `strftime` of a part, as an integer: how `year(…)` … `second(…)` read stored text.
fn part(format: &str, a: &Frag) -> Frag {
    Frag::sql(&format!("CAST(strftime('{format}', "))
        .with(a)
        .add(") AS INTEGER)")
}

/// The SQL of a call whose arguments were checked. SQLite's LIKE ignores ASCII case and
/// gives `%` and `_` meaning; OData's functions do neither, so `instr` and `substr`
/// compare exactly.
fn sql(name: &str, args: &[Arg]) -> Option<Frag> {
    let f = Frag::sql;
    let empty = Frag::default();
    let arg = |i: usize| args.get(i).map(|a| &a.frag);
    // Absent arguments are only ever optional ones, matched as `b` and `c` below.
    let (a, b, c) = (arg(0).unwrap_or(&empty), arg(1), arg(2));
    let b_or = b.unwrap_or(&empty);
    Some(match name {
        "contains" => f("instr(").with(a).add(", ").with(b_or).add(") > 0"),
        "startswith" => f("instr(").with(a).add(", ").with(b_or).add(") = 1"),
        // If b is longer than a, the start falls before a and substr yields at most all
        // of a, which cannot equal b; if b is empty, it yields '' from past a's end.
        "endswith" => f("substr(")
            .with(a)
            .add(", length(")
            .with(a)
            .add(") - length(")
            .with(b_or)
            .add(") + 1) = ")
            .with(b_or),
        "tolower" => f("lower(").with(a).add(")"),
        "toupper" => f("upper(").with(a).add(")"),
        "trim" => f("trim(").with(a).add(")"),
        "length" => f("length(").with(a).add(")"),
        // OData counts from 0, instr from 1 (and gives 0 for "not found", so -1).
        "indexof" => f("(instr(").with(a).add(", ").with(b_or).add(") - 1)"),
        // From 0 as OData counts; a negative start counts from the end, as CAP does.
        "substring" => {
            let start = f("CASE WHEN ")
                .with(b_or)
                .add(" < 0 THEN length(")
                .with(a)
                .add(") + ")
                .with(b_or)
                .add(" + 1 ELSE ")
                .with(b_or)
                .add(" + 1 END");
            let call = f("substr(").with(a).add(", ").with(&start);
            match c {
                Some(c) => call.add(", ").with(c).add(")"),
                None => call.add(")"),
            }
        }
        "concat" => f("(").with(a).add(" || ").with(b_or).add(")"),
        "year" => part("%Y", a),
        "month" => part("%m", a),
        "day" => part("%d", a),
        "hour" => part("%H", a),
        "minute" => part("%M", a),
        "second" => part("%S", a),
        // `%f` is `SS.SSS`; the digits after the point, read as decimals (as CAP does),
        // are exact where subtracting the whole seconds would not be.
        "fractionalseconds" => f("CAST(substr(strftime('%f', ")
            .with(a)
            .add("), 3) AS REAL)"),
        "date" => f("date(").with(a).add(")"),
        // With milliseconds, as a time-of-day literal is normalized: SQLite's time()
        // drops them, and `time(x) eq 10:00:00` would match 10:00:00.5.
        "time" => f("strftime('%H:%M:%f', ").with(a).add(")"),
        // Timestamps are stored in UTC: the offset of every one is 0.
        "totaloffsetminutes" => f("CASE WHEN ").with(a).add(" IS NULL THEN NULL ELSE 0 END"),
        "now" => f("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"),
        "maxdatetime" => Frag::bound(Value::Text("9999-12-31T23:59:59.999Z".into())),
        "mindatetime" => Frag::bound(Value::Text("0001-01-01T00:00:00.000Z".into())),
        "round" => match b {
            Some(b) => f("round(").with(a).add(", ").with(b).add(")"),
            None => f("round(").with(a).add(")"),
        },
        // Without SQLite's optional math functions: the integer part, one down (or up)
        // where it is not the number itself.
        "floor" => f("(CAST(")
            .with(a)
            .add(" AS INTEGER) - (")
            .with(a)
            .add(" < CAST(")
            .with(a)
            .add(" AS INTEGER)))"),
        "ceiling" => f("(CAST(")
            .with(a)
            .add(" AS INTEGER) + (")
            .with(a)
            .add(" > CAST(")
            .with(a)
            .add(" AS INTEGER)))"),
        _ => return None,
    })
}
