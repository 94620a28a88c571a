//! SQL: a parsed `$filter` as a condition in the database's dialect, each literal
//! type-checked against what it is compared with and bound as a `?`, never spliced
//! into the text.

use cai_bridge_model::dialect::Dialect;
use rusqlite::types::Value;

use super::error::{err, FilterError, Position};
use super::func::{self, Arg};
use super::kind::{coerce, Kind};
use super::lex::Lit;
use super::parse::{Node, NodeKind, Op};

/// SQL and the values of its `?`s in text order, so that fragments concatenate (and repeat).
#[derive(Default)]
pub(super) struct Frag {
    /// SQL with `?` placeholders.
    pub(super) sql: String,
    /// Their values, in order.
    pub(super) params: Vec<Value>,
}

impl Frag {
    pub(super) fn sql(sql: &str) -> Frag {
        Frag {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    pub(super) fn bound(value: Value) -> Frag {
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
pub(super) fn condition(node: &Node, d: Dialect) -> Result<Frag, FilterError> {
    let Node(kind, at) = node;
    match kind {
        NodeKind::Or(items) => join(items, " OR ", d),
        NodeKind::And(items) => join(items, " AND ", d),
        NodeKind::Not(inner) => Ok(Frag::sql("NOT (").with(&condition(inner, d)?).add(")")),
        NodeKind::Cmp(op, left, right) => compare(*op, left, right, at, d),
        NodeKind::In(left, items) => in_list(left, items, d),
        NodeKind::Exists(from, body, all) => super::path::exists(from, body.as_deref(), *all, d),
        NodeKind::Call(name, args) => match call(name, args, at, d)? {
            (frag, Kind::Bool) => Ok(frag),
            _ => Err(err(
                at,
                format!("`{name}(…)` is not a condition"),
                "compare it with a value",
            )),
        },
        NodeKind::Prop(..) | NodeKind::Lit(_) => match value(node, d)? {
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

/// `items` joined by `separator` in parentheses. SQLite nests a flat `a OR b OR c …`
/// one level per term and refuses past 1000 levels, which a long member selection
/// reaches; so past [`FLAT`] terms the list is cut in halves, each joined the same
/// way, and nests only about log2(n) deeper. Parameters stay in the text's order.
fn join(items: &[Node], separator: &str, d: Dialect) -> Result<Frag, FilterError> {
    if items.len() > FLAT {
        let (left, right) = items.split_at(items.len() / 2);
        return Ok(Frag::sql("(")
            .with(&join(left, separator, d)?)
            .add(separator)
            .with(&join(right, separator, d)?)
            .add(")"));
    }
    let mut out = Frag::sql("(");
    for (i, item) in items.iter().enumerate() {
        out = out
            .add(if i == 0 { "" } else { separator })
            .with(&condition(item, d)?);
    }
    Ok(out.add(")"))
}

/// The most terms joined flat; see [`join`].
const FLAT: usize = 16;

fn value(node: &Node, d: Dialect) -> Result<Operand<'_>, FilterError> {
    let Node(kind, at) = node;
    let (frag, kind, label) = match kind {
        NodeKind::Prop(name, column, kind) => (Frag::sql(column), *kind, name.clone()),
        NodeKind::Lit(lit) => return Ok(Operand::Lit(lit, at)),
        NodeKind::Call(name, args) => {
            let (frag, kind) = call(name, args, at, d)?;
            let frag = match kind {
                Kind::Bool => Frag::sql("(").with(&frag).add(")"),
                _ => frag,
            };
            (frag, kind, format!("{name}(…)"))
        }
        _ => (
            Frag::sql("(").with(&condition(node, d)?).add(")"),
            Kind::Bool,
            "condition".into(),
        ),
    };
    Ok(Operand::Expr(frag, kind, label, at))
}

/// A function's SQL and result kind, its arguments translated and typed.
fn call(name: &str, args: &[Node], at: &Position, d: Dialect) -> Result<(Frag, Kind), FilterError> {
    let args = args
        .iter()
        .map(|a| arg(a, d))
        .collect::<Result<Vec<_>, _>>()?;
    func::call(name, &args, at, d)
}

/// An argument of a function: an expression, or a literal bound in the kind it is.
fn arg(node: &Node, d: Dialect) -> Result<Arg, FilterError> {
    let (frag, kind, label, at) = match value(node, d)? {
        Operand::Expr(frag, kind, label, at) => (frag, kind, format!("`{label}`"), at),
        Operand::Lit(lit, at) => {
            let (value, kind) = match lit {
                Lit::Str(s) => (Value::Text(s.clone()), Kind::Text),
                Lit::Guid(s) => (Value::Text(s.clone()), Kind::Uuid),
                Lit::Int(n) => (Value::Integer(*n), Kind::Int),
                Lit::Num(x) => (Value::Real(*x), Kind::Double),
                Lit::Bool(b) => (Value::Integer(i64::from(*b)), Kind::Bool),
                Lit::Date(d) => (Value::Text(d.clone()), Kind::Date),
                Lit::Stamp(t) => (Value::Text(t.clone()), Kind::Stamp),
                Lit::Time(t) => (Value::Text(t.clone()), Kind::Time),
                Lit::Null => {
                    let hint = "pass a property or a value";
                    return Err(err(at, "null is not an argument of a function", hint));
                }
            };
            // PostgreSQL cannot tell the type of a parameter that only a function
            // takes (`length(?)`, `? || ?`): it is said.
            let cast = match kind {
                Kind::Text | Kind::Uuid => Some("TEXT"),
                Kind::Double => Some("DOUBLE PRECISION"),
                Kind::Date => Some("DATE"),
                Kind::Stamp => Some("TIMESTAMP"),
                Kind::Time => Some("TIME"),
                // An integer takes the type of where it stands (`substr` wants INTEGER).
                Kind::Int | Kind::Bool => None,
            };
            let frag = match (d, cast) {
                (Dialect::Postgres, Some(ty)) => Frag::sql("CAST(")
                    .with(&Frag::bound(value))
                    .add(&format!(" AS {ty})")),
                _ => Frag::bound(value),
            };
            (frag, kind, at.near.clone(), at)
        }
    };
    let at = at.clone();
    Ok(Arg {
        frag,
        kind,
        label,
        at,
    })
}

fn compare(
    op: Op,
    left: &Node,
    right: &Node,
    at: &Position,
    d: Dialect,
) -> Result<Frag, FilterError> {
    let op = (op.0, spelled(op, d));
    match (value(left, d)?, value(right, d)?) {
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

/// The SQL of a comparison operator: `ne` is SQLite's null-safe `IS NOT`, which
/// PostgreSQL (and CAP there) spells `IS DISTINCT FROM`.
fn spelled(op: Op, d: Dialect) -> &'static str {
    match (op.0, d) {
        ("ne", Dialect::Postgres) => " IS DISTINCT FROM ",
        _ => op.1,
    }
}

fn in_list(left: &Node, items: &[Node], d: Dialect) -> Result<Frag, FilterError> {
    let hint = "write e.g. name in ('a','b')";
    let Operand::Expr(frag, kind, label, _) = value(left, d)? else {
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
