use super::parse::{steps, Aggregate, Method, Name, Step};
use super::*;
use crate::serve::catalog::Property;
use cai_bridge_model::LogicalType;
use rusqlite::Connection;

fn name(text: &str, at: usize) -> Name {
    Name {
        text: text.into(),
        at,
    }
}

#[test]
fn reads_transformations_and_their_chains() {
    let text =
        "filter(a eq 'x)/y(')/groupby((a, b),aggregate(n with sum as s,$count as c, n with MAX))";
    let got = steps(text).expect("parses");
    let want = vec![
        Step::Filter("a eq 'x)/y('".into(), 8),
        Step::GroupBy(
            vec![name("a", 31), name("b", 34)],
            vec![
                Aggregate {
                    of: Some((name("n", 47), Method::Sum)),
                    alias: name("s", 61),
                },
                Aggregate {
                    of: None,
                    alias: name("c", 73),
                },
                Aggregate {
                    of: Some((name("n", 76), Method::Max)),
                    alias: name("n", 76),
                },
            ],
        ),
    ];
    assert_eq!(got, want);
    assert_eq!(
        steps(" identity / search(\"a )b\" c) / orderby(a desc, b) / top(5)/skip(2)")
            .expect("parses"),
        [
            Step::Search("\"a )b\" c".into()),
            Step::OrderBy(vec![(name("a", 40), true), (name("b", 48), false)]),
            Step::Top(5),
            Step::Skip(2),
        ]
    );
    assert_eq!(
        steps("groupby((a,a))").expect("parses"),
        [Step::GroupBy(vec![name("a", 10)], vec![])],
        "the same property twice is one group"
    );
}

#[test]
fn mistakes_are_400s_and_what_is_not_done_501s() {
    let cases: &[(&str, u16, &str)] = &[
        ("", 400, "expected a transformation, e.g."),
        ("  ", 400, "at character 3, near the end"),
        ("nonsense(x)", 400, "unknown transformation `nonsense`"),
        ("GROUPBY((a))", 400, "in lower case"),
        (
            "groupby(())",
            400,
            "expected a property name at character 10",
        ),
        ("groupby((a)", 400, "expected `)`"),
        ("groupby((a/b))", 400, "is a path"),
        (
            "groupby((a))groupby((b))",
            400,
            "expected `/` between transformations",
        ),
        ("aggregate(a)", 400, "custom aggregate"),
        (
            "aggregate(a with median as m)",
            400,
            "unknown aggregation method `median`",
        ),
        ("aggregate($count)", 400, "`$count` needs a name"),
        (
            "aggregate(a with sum as 1x)",
            400,
            "expected a name after `as`",
        ),
        (
            "aggregate(a with sum as s,)",
            400,
            "expected `$count as name`",
        ),
        ("filter(a eq 'x)", 400, "a string is not closed"),
        ("filter(a eq 1", 400, "`(` is not closed"),
        ("top(-1)", 400, "non-negative whole number"),
        (
            "concat(groupby((a)),aggregate($count as c))",
            501,
            "`concat` is not supported",
        ),
        ("topcount(2,a)", 501, "`topcount`"),
        ("groupby((rollup(a,b)))", 501, "rollup"),
        ("groupby((a),filter(b eq 1))", 501, "inside groupby"),
    ];
    for (text, status, want) in cases {
        let e = steps(text).expect_err(text);
        assert_eq!(e.status.as_u16(), *status, "{text}: {}", e.message);
        assert!(e.message.contains(want), "{text}: {}", e.message);
        assert!(e.message.starts_with("$apply: "), "{text}: {}", e.message);
    }
}

#[test]
fn sizes_are_bounded() {
    let many = ["filter(a eq 1)"; 11].join("/");
    assert!(steps(&many)
        .expect_err("11 steps")
        .message
        .contains("more than 10"));
    let names: Vec<String> = (0..17).map(|i| format!("p{i}")).collect();
    let wide = format!("groupby(({}))", names.join(","));
    assert!(steps(&wide)
        .expect_err("17")
        .message
        .contains("more than 16"));
    let aggregates: Vec<String> = (0..17).map(|i| format!("a with sum as s{i}")).collect();
    let wide = format!("aggregate({})", aggregates.join(","));
    assert!(steps(&wide)
        .expect_err("17")
        .message
        .contains("more than 16"));
    let long = format!("filter(a eq '{}')", "x".repeat(MAX_LEN));
    let e = apply(&set(), &long).expect_err("too long");
    assert!(
        e.message.contains("too long") && e.message.len() < 200,
        "{}",
        e.message
    );
}

fn set() -> EntitySet {
    let property = |name: &str, ty: LogicalType, key: bool| Property {
        name: name.into(),
        column: format!("\"{name}\""),
        ty,
        key,
    };
    EntitySet {
        name: "T".into(),
        view: "t".into(),
        dialect: cai_bridge_model::dialect::Dialect::Sqlite,
        properties: vec![
            property("id", LogicalType::Integer, true),
            property("kind", LogicalType::String(None), false),
            property("n", LogicalType::Integer64, false),
            property("x", LogicalType::Double, false),
            property("ok", LogicalType::Boolean, false),
        ],
        navigations: Vec::new(),
        entity_table: None,
    }
}

/// The rows `$apply=text` gives, as JSON-ish text per row, in the result's order.
fn rows(text: &str) -> Vec<String> {
    let db = Connection::open_in_memory().expect("a database");
    db.execute_batch(
        "CREATE TABLE t (id INTEGER, kind TEXT, n INTEGER, x DOUBLE, ok BOOLEAN);
         INSERT INTO t VALUES (1, 'a', 10, 0.5, 1), (2, 'b', 20, 1.5, 0), (3, 'a', NULL, 2.5, 0),
                              (4, NULL, 5, NULL, 1), (5, 'b', 1, 1, 1);",
    )
    .expect("rows");
    let applied = apply(&set(), text).expect(text);
    let columns: Vec<&str> = applied
        .set
        .properties
        .iter()
        .map(|p| p.column.as_str())
        .collect();
    let order = match applied.order.is_empty() {
        true => String::new(),
        false => format!(" ORDER BY {}", applied.order.join(", ")),
    };
    let sql = format!(
        "SELECT {} FROM {}{order}",
        columns.join(", "),
        applied.set.view
    );
    let mut stmt = db.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names: Vec<String> = applied
        .set
        .properties
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let found = stmt.query_map(rusqlite::params_from_iter(applied.params), |row| {
        let values: Vec<String> = (0..names.len())
            .map(|i| {
                let value: rusqlite::types::Value = row.get(i)?;
                Ok(format!("{}={value:?}", names[i]))
            })
            .collect::<Result<_, rusqlite::Error>>()?;
        Ok(values.join(" "))
    });
    found
        .expect("runs")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn groups_aggregate_and_chain_in_sql() {
    assert_eq!(
        rows("groupby((kind),aggregate(n with sum as s,$count as c,x with average as avg))"),
        [
            "s=Integer(5) c=Integer(1) avg=Null kind=Null",
            "s=Integer(10) c=Integer(2) avg=Real(1.5) kind=Text(\"a\")",
            "s=Integer(21) c=Integer(2) avg=Real(1.25) kind=Text(\"b\")",
        ]
    );
    assert_eq!(
        rows(
            "filter(ok)/aggregate(n with min as lo,n with max as hi,kind with countdistinct as k)"
        ),
        ["lo=Integer(1) hi=Integer(10) k=Integer(2)"]
    );
    assert_eq!(
        rows("groupby((kind),aggregate($count as c))/filter(c gt 1)/groupby((c))"),
        ["c=Integer(2)"]
    );
    assert_eq!(
        rows("filter(kind eq 'a' or kind eq 'b')/orderby(x desc)/top(2)/groupby((kind))"),
        ["kind=Text(\"a\")", "kind=Text(\"b\")"]
    );
    assert_eq!(
        rows("orderby(x desc)/skip(1)/top(2)/search(b)"),
        [
            "id=Integer(2) kind=Text(\"b\") n=Integer(20) x=Real(1.5) ok=Integer(0)",
            "id=Integer(5) kind=Text(\"b\") n=Integer(1) x=Real(1.0) ok=Integer(1)"
        ]
    );
    assert_eq!(rows("identity").len(), 5);
}

#[test]
fn names_and_types_are_checked_against_what_the_step_before_gives() {
    let cases: &[(&str, &str)] = &[
        (
            "groupby((nope))",
            "`nope` at character 10 is not a property of T; it has id, kind",
        ),
        (
            "groupby((kind))/groupby((n))",
            "`n` at character 26 is not a property of the result",
        ),
        ("aggregate(kind with sum as s)", "`sum` takes a number"),
        (
            "aggregate(ok with average as s)",
            "`average` takes a number",
        ),
        (
            "groupby((kind),aggregate(n with sum as kind))",
            "`kind` at character 40 names two",
        ),
        (
            "aggregate($count as c,n with sum as c)",
            "names two properties",
        ),
        (
            "filter(nope eq 1)",
            "$apply: filter(…) at character 8: unknown property `nope`",
        ),
        (
            "groupby((kind),aggregate($count as c))/filter(n gt 1)",
            "unknown property `n`",
        ),
        ("orderby(nope)", "`nope`"),
        ("search(\"open)", "not closed"),
    ];
    for (text, want) in cases {
        let e = apply(&set(), text).expect_err(text);
        assert_eq!(e.status.as_u16(), 400, "{text}: {}", e.message);
        assert!(e.message.contains(want), "{text}: {}", e.message);
    }
    let e = apply(&set(), "filter(foo(kind) eq 1)").expect_err("unknown function");
    assert_eq!(e.status.as_u16(), 501, "{}", e.message);
}
