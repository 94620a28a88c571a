//! SQL: a parsed `$filter` as an SQLite condition, each literal type-checked against
//! what it is compared with and bound as a `?`, never spliced into the text.

use rusqlite::types::Value;

use super::error::{err, FilterError, Position};
use super::kind::{coerce, Kind};
use super::lex::Lit;
use super::parse::{Node, NodeKind, Op, SUPPORTED};

/// SQL and the values of its `?`s in text order, so that fragments concatenate (and repeat).
#[derive(Default)]
pub(super) struct Frag {
    /// SQL with `?` placeholders.
    pub(super) sql: String,
    /// Their values, in order.
    pub(super) params: Vec<Value>,
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

    pub(super) fn add(mut self, sql: &str) -> Frag {
        self.sql.push_str(sql);
        self
    }

    pub(super) fn with(mut self, other: &Frag) -> Frag {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params.iter().cloned());
        self
    }
}

enum Operand<'n> {
    /// SQL over columns, its kind, and how a message names it.
    Expr(Frag, Kind, String, &'n Position),
    Lit(&'n Lit, &'n Position),
}

/// The SQL condition of `node`, a whole filter or a part that must be true or false.
pub(super) fn condition(node: &Node) -> Result<Frag, FilterError> {
    let Node(kind, at) = node;
    match kind {
        NodeKind::Or(items) => join(items, " OR "),
        NodeKind::And(items) => join(items, " AND "),
        NodeKind::Not(inner) => Ok(Frag::sql("NOT (").with(&condition(inner)?).add(")")),
        NodeKind::Cmp(op, left, right) => compare(*op, left, right, at),
        NodeKind::In(left, items) => in_list(left, items),
        NodeKind::Exists(from, body, all) => super::path::exists(from, body.as_deref(), *all),
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

fn join(items: &[Node], separator: &str) -> Result<Frag, FilterError> {
    let mut out = Frag::sql("(");
    for (i, item) in items.iter().enumerate() {
        out = out
            .add(if i == 0 { "" } else { separator })
            .with(&condition(item)?);
    }
    Ok(out.add(")"))
}

fn value(node: &Node) -> Result<Operand<'_>, FilterError> {
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
fn call(name: &str, args: &[Node], at: &Position) -> Result<(Frag, Kind), FilterError> {
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

fn text_arg(name: &str, node: &Node) -> Result<Frag, FilterError> {
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

fn compare(op: Op, left: &Node, right: &Node, at: &Position) -> Result<Frag, FilterError> {
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
    at: &Position,
    lit_first: bool,
) -> Result<Frag, FilterError> {
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

fn in_list(left: &Node, items: &[Node]) -> Result<Frag, FilterError> {
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
