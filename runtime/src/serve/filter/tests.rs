use super::*;

/// The filter in SQLite's SQL, which these tests run.
fn parse(text: &str, properties: &[Property<'_>]) -> Result<Filter, FilterError> {
    super::parse(text, properties, Dialect::Sqlite)
}
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
    select(db, &sql, params)
}

/// The rows of `t` where `sql` holds.
fn select(db: &Connection, sql: &str, params: Vec<Value>) -> Vec<i64> {
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
    // A long chain nests as a balanced tree, not one level per term.
    let chain = vec!["age eq 1"; 40].join(" or ");
    let (s, p) = sql(&chain);
    assert_eq!(p.len(), 40);
    let mut depth = 0;
    let mut deepest = 0;
    for c in s.chars() {
        depth += i32::from(c == '(') - i32::from(c == ')');
        deepest = deepest.max(depth);
    }
    assert!(deepest <= 3, "{s}");
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
fn date_and_time_functions_read_the_stored_utc_text() {
    check(&[
        ("year(created) eq 2021", &[1, 2, 5]),
        ("year(day) eq 2021", &[1, 2, 6]),
        ("YEAR(created) eq 2020", &[4]),
        ("month(created) eq 2 and day(created) eq 5", &[1, 2, 5]),
        ("hour(created) eq 16", &[5]),
        ("minute(created) eq 45 and second(created) eq 18", &[2]),
        ("fractionalseconds(created) eq 0.044", &[1, 5]),
        ("fractionalseconds(created) eq 0", &[2, 4]),
        ("date(created) eq 2021-02-05", &[1, 2, 5]),
        ("date(created) eq day", &[1, 4]),
        ("time(created) lt 17:00", &[4, 5]),
        ("time(created) eq 17:45:18", &[2]),
        ("time(created) eq 17:45:17", &[]),
        ("time(created) eq '17:45:17.044'", &[1]),
        ("hour(10:30:00) eq 10 and age eq 30", &[1]),
        ("year(2021-02-05) eq 2021 and age eq 30", &[1]),
        ("totaloffsetminutes(created) eq 0", &[1, 2, 4, 5]),
        ("created lt now()", &[1, 2, 4, 5]),
        (
            "created lt maxdatetime() and created gt mindatetime()",
            &[1, 2, 4, 5],
        ),
    ]);
}

#[test]
fn string_and_arithmetic_functions_match_the_right_rows() {
    check(&[
        ("indexof(name,'eta') eq 1", &[2]),
        ("indexof(name,'x') eq -1", &[1, 2, 3, 4, 6]),
        ("substring(name,1) eq 'lpha'", &[1]),
        ("substring(name,1,2) eq 'lp'", &[1]),
        ("substring(name,-3) eq 'off'", &[3, 6]),
        ("concat(name,'!') eq 'beta!'", &[2]),
        ("concat(concat(name,'-'),name) eq 'beta-beta'", &[2]),
        ("trim(concat(' ',name)) eq name", &[1, 2, 3, 4, 6]),
        ("round(score) eq 2", &[1, 4]),
        ("round(score,1) eq 1.5", &[1]),
        ("floor(score) eq 1", &[1]),
        ("floor(score) eq -1", &[5]),
        ("ceiling(score) eq 1", &[2]),
        ("ceiling(score) eq 0", &[5]),
        ("floor(age) eq 30", &[1]),
    ]);
}

#[test]
fn functions_take_what_odata_says_and_unknown_ones_are_not_supported() {
    let cases: &[(&str, &str, bool)] = &[
        (
            "year(name) eq 1",
            "`year` takes a date-time or a date, but `name` is a string at character 6",
            false,
        ),
        (
            "hour(day) eq 1",
            "`hour` takes a date-time or a time of day, but `day` is a date",
            false,
        ),
        (
            "year(created) eq '2021'",
            "`year(…)` is an integer, not a string",
            false,
        ),
        (
            "time(created) eq 25:00",
            "invalid time of day at character 18",
            false,
        ),
        (
            "substring(name,'1') eq 'a'",
            "`substring` takes an integer, but `'1'` is a string",
            false,
        ),
        ("totalseconds(created) eq 1", "takes a duration", false),
        (
            "now(created) eq now()",
            "`now` takes 0 argument(s), not 1",
            false,
        ),
        (
            "substring(name) eq 'a'",
            "`substring` takes 2 to 3 argument(s), not 1",
            false,
        ),
        ("year(null) eq 1", "null is not an argument", false),
        (
            "round(name) eq 1",
            "`round` takes an integer or a number",
            false,
        ),
        ("foo(name) eq 1", "function `foo` is not supported", true),
        (
            "cast(name) eq 'a'",
            "function `cast` is not supported",
            true,
        ),
        ("isof(name)", "function `isof` is not supported", true),
    ];
    for (filter, want, unsupported) in cases {
        let e = parse(filter, &properties()).expect_err(filter);
        assert!(e.to_string().contains(want), "{filter}: {e}");
        assert_eq!(e.unsupported, *unsupported, "{filter}: {e}");
    }
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
            "function `foo` is not supported at character 14",
        ),
        (
            "matchesPattern(name,'a')",
            "function `matchesPattern` is not supported at character 1",
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
            "`contains` takes a string or a GUID, but `age` is an integer",
        ),
        (
            "contains(name)",
            "`contains` takes 2 argument(s), not 1 at character 1",
        ),
        (
            "contains(name,5)",
            "`contains` takes a string or a GUID, but `5` is an integer at character 15",
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
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(want) && e.contains("Hint: "), "{filter}: {e}");
            }
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
    let e = parse("x eq 1", &props).unwrap_err().to_string();
    assert!(e.starts_with("unknown property `x` at character 1"), "{e}");
    assert!(e.contains("`p10` and 2 more") && !e.contains("p11"), "{e}");
}

#[test]
fn pathological_input_is_refused_not_overflowed() {
    let deep = format!("{}age eq 1{}", "(".repeat(3000), ")".repeat(3000));
    assert!(parse(&deep, &properties())
        .unwrap_err()
        .to_string()
        .contains("nesting deeper than 100"));
    let nots = format!("{}closed", "not ".repeat(1000));
    assert!(parse(&nots, &properties())
        .unwrap_err()
        .to_string()
        .contains("nesting deeper than 100"));
    let calls = format!("{}name{} eq 'a'", "tolower(".repeat(500), ")".repeat(500));
    assert!(parse(&calls, &properties())
        .unwrap_err()
        .to_string()
        .contains("nesting deeper than 100"));
    let long = "age eq 1 or ".repeat(700) + "closed";
    assert!(parse(&long, &properties())
        .unwrap_err()
        .to_string()
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
            "endswith(", "1ddbe87b-b897-39a0-9031-bbf61480fde9", "/", "add", "$it", "year(",
            "time(", "10:30", "substring(", "concat(", "floor(", "now()", "fractionalseconds(",
        ]),
        0..14,
    )) {
        let text = words.join(" ");
        if parse(&text, &properties()).is_ok() {
            rows(&db(), &text);
        }
    }
}

// --- Key predicates --------------------------------------------------------------------------

/// The fixture's properties `names`, in that order: a key.
fn keys(names: &[&str]) -> Vec<Property<'static>> {
    let named = |name: &&str| properties().into_iter().find(|p| p.name == *name);
    names.iter().map(|name| named(name).unwrap()).collect()
}

fn key_rows(db: &Connection, text: &str, keys: &[Property<'_>]) -> Vec<i64> {
    let f = key(text, keys).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(f.sql.matches('?').count(), f.params.len(), "{text}");
    select(db, &f.sql, f.params)
}

/// Each refused key of `cases` says what its text says, with the hint that shows the form.
fn refused_keys(keys: &[Property<'_>], hint: &str, cases: &[(&str, &str)]) {
    for (text, want) in cases {
        match key(text, keys) {
            Ok(f) => panic!("{text} was accepted: {f:?}"),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(want) && e.contains(hint), "{text}: {e}");
            }
        }
    }
}

#[test]
fn a_key_is_a_value_or_named_values_in_any_order() {
    let db = db();
    let cases: &[(&[&str], &str, &[i64])] = &[
        (&["id"], "1ddbe87b-b897-39a0-9031-bbf61480fde9", &[1]),
        (&["id"], "'ABCDEF01-0000-4000-8000-000000000002'", &[2]),
        (&["id"], "id=1ddbe87b-b897-39a0-9031-bbf61480fde9", &[1]),
        (&["id"], "abcdef01-0000-4000-8000-000000000002", &[]),
        (&["n"], "3", &[3]),
        (&["n"], " n = 3 ", &[3]),
        (&["name"], "'it''s'", &[4]),
        (&["name"], "'x'' or 1=1 --'", &[]),
        (&["name"], "'100%_off'", &[3]),
        (&["score"], "-1.5e-2", &[5]),
        (&["created"], "2021-02-05T18:45:17.044+01:00", &[1]),
        (&["created"], "'2020-01-01'", &[4]),
        (&["day"], "2021-02-06", &[2]),
        (&["closed"], "true", &[1, 5]),
        (&["n", "name"], "n=1,name='Alpha'", &[1]),
        (&["n", "name"], "name='Alpha',n=1", &[1]),
        (&["n", "name"], " name = 'Alpha' , n = 1 ", &[1]),
        (&["n", "name"], "name='Alpha',n=2", &[]),
        (
            &["age", "name", "n"],
            "name='100 percent off',n=6,age=10",
            &[6],
        ),
        (
            &["age", "name", "n"],
            "n=6,age=10,name='100 percent off'",
            &[6],
        ),
    ];
    for (names, text, want) in cases {
        assert_eq!(key_rows(&db, text, &keys(names)), *want, "{text}");
    }
    // In key order whatever the client's, so that the statement is the same.
    let both = keys(&["n", "name"]);
    for predicate in ["n=1,name='a,=b'", "name='a,=b',n=1"] {
        let f = key(predicate, &both).unwrap();
        assert_eq!(f.sql, "\"n\" = ? AND \"t name\" = ?", "{predicate}");
        assert_eq!(f.params, [Value::Integer(1), text("a,=b")], "{predicate}");
    }
}

#[test]
fn a_key_is_never_a_condition() {
    let id = keys(&["id"]);
    let hint = "Hint: write (value) or (id=value); a key holds values only, no operators or \
        functions";
    refused_keys(
        &id,
        hint,
        &[
            (
                "'00000000-0000-0000-0000-000000000000' or true",
                "unexpected token after the key's value at character 40, near `or`",
            ),
            (
                "00000000-0000-0000-0000-000000000000 or true",
                "unexpected token after the key's value at character 38, near `or`",
            ),
            (
                "id=00000000-0000-0000-0000-000000000000 or true",
                "unexpected token after the value of `id` at character 41, near `or`",
            ),
            (
                "'a','b'",
                "unexpected token after the key's value at character 4",
            ),
            ("", "empty key at character 1, near the end"),
            (
                "id=",
                "missing value after `id=` at character 4, near the end",
            ),
        ],
    );
    // Not a value, or a literal's own mistake: the hint shows a value.
    let guid = "Hint: write a GUID, e.g. 1ddbe87b-b897-39a0-9031-bbf61480fde9";
    refused_keys(
        &id,
        guid,
        &[
            (
                "id eq 1ddbe87b-b897-39a0-9031-bbf61480fde9",
                "`id` is not a value at character 1",
            ),
            ("not true", "`not` is not a value at character 1"),
            ("$it", "`$it` is not a value"),
            ("id=id", "`id` is not a value at character 4"),
            ("=1", "missing value for `id` at character 1, near `=`"),
            ("id==1", "missing value for `id` at character 4"),
            ("true", "`id` is a GUID, not a Boolean at character 1"),
            ("null", "`id` is a GUID, not null at character 1"),
            ("'nope'", "`id` is a GUID, not a string"),
        ],
    );
    for (text, want) in [
        (
            "contains(id,'1')",
            "unexpected character at character 9, near `(`",
        ),
        ("('a')", "unexpected character at character 1, near `(`"),
        ("\"a\"", "strings go in single quotes"),
        ("'a", "unterminated string at character 1"),
        ("5x", "malformed literal at character 1, near `5x`"),
    ] {
        let e = key(text, &id).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("Hint: "), "{text}: {e}");
    }
}

#[test]
fn a_compound_key_names_each_property_once() {
    let hint = "Hint: write (n=value,name=value), each key property once, in any order; a key \
        holds values only, no operators or functions";
    refused_keys(
        &keys(&["n", "name"]),
        hint,
        &[
            (
                "n=1",
                "the key property `name` is missing at character 4, near the end",
            ),
            (
                "name='a'",
                "the key property `n` is missing at character 9, near the end",
            ),
            ("n=1,n=2", "`n` is named twice at character 5, near `n`"),
            (
                "n=1,name='a',name='a'",
                "`name` is named twice at character 14",
            ),
            (
                "n=1,name='a',age=3",
                "`age` is not a key property at character 14, near `age`",
            ),
            ("n=1,nom='a'", "`nom` is not a key property at character 5"),
            ("N=1,name='a'", "`N` is not a key property at character 1"),
            (
                "1",
                "a key of 2 properties takes a name=value pair for each at character 1",
            ),
            (
                "n=1,",
                "expected the name of a key property at character 5, near the end",
            ),
            (
                "n=1,,name='a'",
                "expected the name of a key property at character 5, near `,`",
            ),
            (
                "'a'=1,name='a'",
                "expected the name of a key property at character 1",
            ),
            (
                "n=1 name='a'",
                "unexpected token after the value of `n` at character 5, near `name`",
            ),
            (
                "n=1 and name='a'",
                "unexpected token after the value of `n` at character 5, near `and`",
            ),
            (
                "n=1,name",
                "expected `=` after `name` at character 9, near the end",
            ),
            (
                "n=1,name 'a'",
                "expected `=` after `name` at character 10, near `'a'`",
            ),
        ],
    );
}

/// A key takes a literal exactly when a `$filter` comparison with its property does, as
/// the same value, and refuses it with the same words.
#[test]
fn key_values_are_typed_as_in_filter_comparisons() {
    let literals = [
        "'x'",
        "5",
        "-1.5e-2",
        "true",
        "2021-02-05",
        "2021-02-05T18:45:17+01:00",
        "'2021-02-05'",
        "'2021-02-05T18:45:17.5+01:00'",
        "1ddbe87b-b897-39a0-9031-bbf61480fde9",
        "'1ddbe87b-b897-39a0-9031-bbf61480fde9'",
        "2021-13-01",
        "2021-02-05T17:45:17",
        "99999999999999999999",
        "5x",
        "'abc",
    ];
    for p in properties() {
        for lit in literals {
            let filter = parse(&format!("{} eq {lit}", p.name), &properties());
            match (filter, key(lit, std::slice::from_ref(&p))) {
                (Ok(f), Ok(k)) => assert_eq!(f.params, k.params, "{} {lit}", p.name),
                (Err(f), Err(k)) => {
                    assert_eq!((f.message, f.hint), (k.message, k.hint), "{} {lit}", p.name)
                }
                (f, k) => panic!("{} {lit}: $filter {f:?}, key {k:?}", p.name),
            }
        }
    }
}

/// A 400 quotes at most 40 characters of what the client sent, however much it sent.
#[test]
fn long_input_is_quoted_cut_short() {
    let long = "x".repeat(60_000);
    let (long, most) = (long.as_str(), &long[..8000]);
    let name = keys(&["name"]);
    for text in [
        format!("'{long}'"),
        long.to_owned(),
        format!("'a' or {most}"),
        format!("{most}='a'"),
        format!("name='{most}"),
        format!("name={most}"),
    ] {
        let e = key(&text, &name).unwrap_err().to_string();
        assert!(e.len() < 1024, "{} bytes: {e}", e.len());
        assert!(!e.contains(&long[..41]), "{e}");
    }
    for text in [
        format!("{most} eq 1"),
        format!("{most}(name)"),
        format!("${most} eq 1"),
        format!("name eq '{most}"),
        format!("name eq {most}"),
        format!("name eq 'a' {most}"),
    ] {
        let e = parse(&text, &properties()).unwrap_err().to_string();
        assert!(e.len() < 1024, "{} bytes: {e}", e.len());
        assert!(!e.contains(&long[..41]), "{e}");
    }
}

proptest::proptest! {
    #[test]
    fn keys_never_panic_and_accepted_sql_runs(
        text in "(n|name|id|=|,|'a''b'|1|-1.5|2021-02-05|or|true|null| |\\(|\\))*",
        names in proptest::sample::subsequence(NAMES.to_vec(), 1..3),
    ) {
        if let Ok(f) = key(&text, &keys(&names)) {
            select(&db(), &f.sql, f.params);
        }
    }
}
