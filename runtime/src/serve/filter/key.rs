//! Key predicates: `('a')`, `(5)` or `(a='x',b=1)`, read by the `$filter` lexer so
//! that a key takes exactly the literals a comparison does, but with a grammar of its
//! own: values only, one for each key property. A key rewritten into filter text
//! and parsed as a filter let `('…' or true)` through and answered another entity.

use rusqlite::types::Value;

use super::error::{cut, err, FilterError, Position};
use super::kind::{coerce, Kind};
use super::lex::{lex, word_literal, Grammar, Lit, Tok};
use super::{Filter, Property};

/// The condition `text` (between the parentheses) names on the properties `keys`.
pub(super) fn key(text: &str, keys: &[Property<'_>]) -> Result<Filter, FilterError> {
    let tokens = lex(text, Grammar::Key)?;
    let end = Position::end(text);
    let params = match tokens.get(1) {
        Some((Tok::Punct('='), _)) => named(&tokens, keys, &end)?,
        _ => single(&tokens, keys, &end)?,
    };
    // In key order, whatever the client's order, so that the statement cache hits.
    let terms: Vec<String> = keys.iter().map(|k| format!("{} = ?", k.column)).collect();
    let sql = terms.join(" AND ");
    Ok(Filter { sql, params })
}

/// `('a')`: the value alone, for a key of one property.
fn single(
    tokens: &[(Tok, Position)],
    keys: &[Property<'_>],
    end: &Position,
) -> Result<Vec<Value>, FilterError> {
    let Some((tok, at)) = tokens.first() else {
        return Err(err(end, "empty key", usage(keys)));
    };
    let [key] = keys else {
        let what = format!(
            "a key of {} properties takes a name=value pair for each",
            keys.len()
        );
        return Err(err(at, what, usage(keys)));
    };
    let lit = literal(tok, at, key)?;
    if let Some((_, next)) = tokens.get(1) {
        return Err(err(
            next,
            "unexpected token after the key's value",
            usage(keys),
        ));
    }
    Ok(vec![coerce(Kind::of(key.ty), &lit, at, key.name)?])
}

/// `(a='x',b=1)`: each key property named once, in any order.
fn named(
    tokens: &[(Tok, Position)],
    keys: &[Property<'_>],
    end: &Position,
) -> Result<Vec<Value>, FilterError> {
    let here = |i: usize| tokens.get(i).map_or(end, |(_, at)| at);
    let mut values: Vec<Option<Value>> = vec![None; keys.len()];
    let mut i = 0;
    loop {
        let Some((Tok::Word(name), at)) = tokens.get(i) else {
            let what = "expected the name of a key property";
            return Err(err(here(i), what, usage(keys)));
        };
        let Some(k) = keys.iter().position(|k| k.name == name) else {
            let what = format!("`{}` is not a key property", cut(name));
            return Err(err(at, what, usage(keys)));
        };
        if values[k].is_some() {
            let what = format!("`{name}` is named twice");
            return Err(err(at, what, usage(keys)));
        }
        if tokens.get(i + 1).map(|(tok, _)| tok) != Some(&Tok::Punct('=')) {
            let what = format!("expected `=` after `{name}`");
            return Err(err(here(i + 1), what, usage(keys)));
        }
        let Some((tok, at)) = tokens.get(i + 2) else {
            let what = format!("missing value after `{name}=`");
            return Err(err(end, what, usage(keys)));
        };
        let lit = literal(tok, at, &keys[k])?;
        values[k] = Some(coerce(Kind::of(keys[k].ty), &lit, at, name)?);
        i += 3;
        match tokens.get(i) {
            None => break,
            Some((Tok::Punct(','), _)) => i += 1,
            Some((_, at)) => {
                let what = format!("unexpected token after the value of `{name}`");
                return Err(err(at, what, usage(keys)));
            }
        }
    }
    let missing = keys.iter().zip(&values).find(|(_, v)| v.is_none());
    if let Some((k, _)) = missing {
        let what = format!("the key property `{}` is missing", k.name);
        return Err(err(end, what, usage(keys)));
    }
    Ok(values.into_iter().flatten().collect())
}

/// The literal `tok` is, as the value of `key`: a key holds nothing else. The caller
/// types it as a `$filter` comparison with the key property would.
fn literal(tok: &Tok, at: &Position, key: &Property<'_>) -> Result<Lit, FilterError> {
    let hint = || format!("write {}", Kind::of(key.ty).describe().1);
    match tok {
        Tok::Lit(lit) => Ok(lit.clone()),
        Tok::Word(w) => word_literal(w).ok_or_else(|| {
            let what = format!("`{}` is not a value", cut(w));
            err(at, what, hint())
        }),
        Tok::Punct(_) => {
            let what = format!("missing value for `{}`", key.name);
            Err(err(at, what, hint()))
        }
    }
}

/// How the key is written, for hints.
fn usage(keys: &[Property<'_>]) -> String {
    let form = match keys {
        [key] => format!("(value) or ({}=value)", key.name),
        _ => {
            let pairs: Vec<String> = keys.iter().map(|k| format!("{}=value", k.name)).collect();
            format!(
                "({}), each key property once, in any order",
                pairs.join(",")
            )
        }
    };
    format!("write {form}; a key holds values only, no operators or functions")
}
