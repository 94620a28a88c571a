//! Navigation and property segments after a key, resolved one segment at a time as
//! CAP answers them:
//!
//! - `Conversations(id)/messages` (with every query option, and `/$count`),
//!   `…/messages(message_id)` or `…/messages(conversation_id=…,message_id=…)` (the
//!   key of the entity navigated from may be left out; a different value is a 404);
//! - `Messages(…)/conversation`, a to-one navigation: 204 when the entity it names
//!   does not exist, 404 when the entity it starts from does not;
//! - `Conversations(id)/channel_type` (`{"value":…}`) and `…/channel_type/$value` (the
//!   value as text): 204 when the value is null;
//! - a segment that is neither a property nor a navigation property: 404.
//!
//! Each step checks that the entity it starts from exists and reads the values its
//! navigation follows, so that the last query is a plain read of the target set with
//! those values bound (`read` answers it, with paging and expansions).

use rusqlite::types::ValueRef;

use super::catalog::{Catalog, EntitySet, Navigation};
use super::connection::Connection;
use super::error::ODataError;
use super::filter::{self, Filter};
use super::read::{self, column_list, conditions, push_json_str, push_property, Answer, Source};
use super::request;

/// Segments after `Set(key)`, as the request named them.
pub struct Path<'c> {
    /// The set.
    pub set: &'c EntitySet,
    /// The key predicate between the parentheses, percent-decoded.
    pub key: String,
    /// The segments after it, percent-decoded.
    pub segments: Vec<String>,
    /// The path under the service as sent, for next links.
    pub raw: String,
}

/// Where the segments read so far lead.
enum Here<'c> {
    /// One entity; `key` is the last key predicate on the way, if the entity was named
    /// by one (CAP's `@odata.context` of a property quotes it).
    Entity(Source<'c>, Option<String>),
    /// The entities a to-many navigation leads to.
    Collection(Source<'c>),
}

/// Answers `path` with the query string `query`; `accept` is the Accept header.
pub fn answer(
    conn: Connection<'_>,
    catalog: &Catalog,
    path: &Path<'_>,
    query: &str,
    accept: &str,
) -> Result<Answer, ODataError> {
    let mut here = Here::Entity(Source::key(path.set, &path.key)?, Some(path.key.clone()));
    for (i, segment) in path.segments.iter().enumerate() {
        let last = i + 1 == path.segments.len();
        let (name, key) = split(segment)?;
        here = match here {
            Here::Collection(source) => {
                if name == "$count" && key.is_none() && last {
                    let options = request::options(source.set, query, accept)?;
                    return read::collection(conn, catalog, &source, &options, true);
                }
                return Err(ODataError::bad_request(format!(
                    "`{}` after a collection of {}: address one of its entities by key \
                     (…/navigation(key)/…), or count them with /$count",
                    filter::cut(segment),
                    source.set.name,
                )));
            }
            Here::Entity(source, last_key) => {
                let set = source.set;
                if let (Some((index, _)), None) = (set.property(name), key) {
                    let raw = match &path.segments[i + 1..] {
                        [] => false,
                        [value] if value == "$value" => true,
                        _ => {
                            return Err(ODataError::bad_request(format!(
                                "`{name}` is a property: only /$value may follow it"
                            )))
                        }
                    };
                    let options = request::options(set, query, accept)?;
                    let property = Property {
                        index,
                        raw,
                        last_key,
                    };
                    return property.answer(conn, &source, options.ieee754);
                }
                match (set.navigation(name), name) {
                    (Some(nav), _) => step(conn, catalog, path, i, &source, nav, key)?,
                    (None, "$count") => {
                        return Err(ODataError::bad_request(format!(
                            "/$count counts a collection, and `{}` names one entity; \
                             count the set with {}/$count",
                            filter::cut(&path.raw),
                            set.name
                        )))
                    }
                    (None, "$value") => {
                        return Err(ODataError::bad_request(
                            "an entity has no raw value: /$value follows a property, \
                             e.g. Set(key)/property/$value",
                        ))
                    }
                    (None, _) => {
                        return Err(ODataError::not_found(format!(
                            "`{}` is not a property or navigation property of {}",
                            filter::cut(segment),
                            set.name
                        )))
                    }
                }
            }
        };
    }
    match here {
        Here::Entity(source, _) => {
            let options = request::options(source.set, query, accept)?;
            read::entity(conn, catalog, &source, &options)
        }
        Here::Collection(source) => {
            let options = request::options(source.set, query, accept)?;
            read::collection(conn, catalog, &source, &options, false)
        }
    }
}

/// `name` or `name(key)`.
fn split(segment: &str) -> Result<(&str, Option<&str>), ODataError> {
    match segment.find('(') {
        Some(open) if segment.ends_with(')') => Ok((
            &segment[..open],
            Some(&segment[open + 1..segment.len() - 1]),
        )),
        Some(_) => Err(ODataError::bad_request(format!(
            "`{}`: a key predicate must end with `)`, e.g. messages('id')",
            filter::cut(segment)
        ))),
        None => Ok((segment, None)),
    }
}

/// Follows `nav` from the entity `from` names (segment `i` of `path`), with the key
/// predicate `key` after it if any.
fn step<'c>(
    conn: Connection<'_>,
    catalog: &'c Catalog,
    path: &Path<'_>,
    i: usize,
    from: &Source<'_>,
    nav: &'c Navigation,
    key: Option<&str>,
) -> Result<Here<'c>, ODataError> {
    // The values the navigation follows, which also proves the entity is there: a
    // path through a missing entity is a 404, even where its end would be a 204.
    let here: Vec<usize> = nav.on.iter().map(|&(here, _)| here).collect();
    let (where_sql, params) = conditions([from.within.as_ref()]);
    let sql = format!(
        "SELECT {} FROM {}{where_sql}",
        column_list(from.set, &here),
        from.set.view
    );
    let values = conn.first(&sql, &params, here.len())?.ok_or_else(|| {
        ODataError::not_found(format!(
            "{} has no entity with the key ({})",
            from.set.name,
            filter::cut(&from.key)
        ))
    })?;
    let target = &catalog.sets[nav.target];
    let terms: Vec<String> = nav
        .on
        .iter()
        .map(|&(_, there)| format!("{} = ?", target.properties[there].column))
        .collect();
    let related = Filter {
        sql: terms.join(" AND "),
        params: values,
    };
    let source = |within, to_one, key: &str| Source {
        set: target,
        within: Some(within),
        path: path.raw.clone(),
        depth: i + 1,
        to_one,
        key: key.to_owned(),
    };
    Ok(match (nav.many, key) {
        (false, None) => Here::Entity(source(related, true, ""), None),
        (false, Some(_)) => {
            return Err(ODataError::bad_request(format!(
                "`{}` leads to one entity and takes no key",
                nav.name
            )))
        }
        (true, None) => Here::Collection(source(related, false, "")),
        (true, Some(key)) => {
            let keyed = contained_key(target, nav, key)?;
            let within = Filter {
                sql: format!("{} AND {}", related.sql, keyed.sql),
                params: [related.params, keyed.params].concat(),
            };
            Here::Entity(source(within, false, key), Some(key.to_owned()))
        }
    })
}

/// The condition of the key predicate `key` after the to-many `nav`: the key of the
/// target without the foreign key the navigation implies (`messages('m')`), or all of
/// it (`messages(conversation_id='c',message_id='m')`).
fn contained_key(target: &EntitySet, nav: &Navigation, key: &str) -> Result<Filter, ODataError> {
    let implied = |i: usize| nav.on.iter().any(|&(_, there)| there == i);
    let own = target
        .properties
        .iter()
        .enumerate()
        .filter(|&(i, p)| p.key && !implied(i))
        .map(|(_, p)| p);
    let own = super::catalog::filter_properties(own);
    filter::key(key, &own)
        .or_else(|first| {
            filter::key(key, &super::catalog::filter_properties(target.keys())).map_err(|_| first)
        })
        .map_err(|e| ODataError::bad_request(format!("key ({}): {e}", filter::cut(key))))
}

/// A property segment at the end of a path.
struct Property {
    /// Its index in the set.
    index: usize,
    /// `/$value`: the value as text.
    raw: bool,
    /// The key predicate that named the entity, if one did.
    last_key: Option<String>,
}

impl Property {
    /// The value of the property of the entity `source` names.
    fn answer(
        &self,
        conn: Connection<'_>,
        source: &Source<'_>,
        ieee754: bool,
    ) -> Result<Answer, ODataError> {
        let set = source.set;
        let mut columns = vec![self.index];
        columns.extend(
            set.properties
                .iter()
                .enumerate()
                .filter(|(_, p)| p.key)
                .map(|(i, _)| i),
        );
        let (where_sql, params) = conditions([source.within.as_ref()]);
        let sql = format!(
            "SELECT {} FROM {}{where_sql}",
            column_list(set, &columns),
            set.view
        );
        let Some(row) = conn.first(&sql, &params, columns.len())? else {
            return source.missing();
        };
        let property = &set.properties[self.index];
        let value = ValueRef::from(&row[0]);
        if value == ValueRef::Null {
            return Ok(Answer::NoContent);
        }
        if self.raw {
            return Ok(Answer::Text(text(&property.ty, value)));
        }
        // The key as CAP quotes it: the predicate as written, or the entity's own.
        let key = match &self.last_key {
            Some(written) => written_key(written),
            None => {
                let mut pairs = Vec::new();
                for (n, &i) in columns.iter().enumerate().skip(1) {
                    let value = text(&set.properties[i].ty, ValueRef::from(&row[n]));
                    pairs.push((set.properties[i].name.clone(), value));
                }
                pairs_text(&pairs)
            }
        };
        let context = format!(
            "{}$metadata#{}({key})/{}",
            "../".repeat(source.depth + 1),
            set.name,
            property.name
        );
        let mut out = b"{\"@odata.context\":".to_vec();
        push_json_str(&mut out, &context);
        push_property(&mut out, true, "value", &property.ty, value, ieee754);
        out.push(b'}');
        Ok(Answer::Json(out))
    }
}

/// A value as `/$value` writes it, as JavaScript's `toString` does in CAP.
fn text(ty: &cai_bridge_model::LogicalType, value: ValueRef<'_>) -> String {
    use cai_bridge_model::LogicalType;
    match (ty, value) {
        (_, ValueRef::Null) => "null".to_owned(),
        (LogicalType::Boolean, ValueRef::Integer(n)) => (n != 0).to_string(),
        (_, ValueRef::Integer(n)) => n.to_string(),
        (_, ValueRef::Real(x)) => {
            let text = serde_json::to_string(&x).unwrap_or_default();
            text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
        }
        (_, ValueRef::Text(t) | ValueRef::Blob(t)) => String::from_utf8_lossy(t).into_owned(),
    }
}

/// A key predicate as CAP quotes it in a property's context: its pairs in the order
/// written, values without quotes.
fn written_key(written: &str) -> String {
    let mut pairs = Vec::new();
    let (mut start, mut quoted) = (0, false);
    let mut items = Vec::new();
    for (i, c) in written.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                items.push(&written[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&written[start..]);
    for item in items {
        let (name, value) = match item.split_once('=').filter(|(n, _)| !n.contains('\'')) {
            Some((name, value)) => (name.trim(), value.trim()),
            None => ("", item.trim()),
        };
        let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            Some(inner) => inner.replace("''", "'"),
            None => value.to_owned(),
        };
        pairs.push((name.to_owned(), value));
    }
    pairs_text(&pairs)
}

/// `value` for one pair, `a=value,b=value` for more.
fn pairs_text(pairs: &[(String, String)]) -> String {
    match pairs {
        [(_, value)] => value.clone(),
        _ => {
            let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            pairs.join(",")
        }
    }
}

#[cfg(test)]
mod tests {
    use cai_bridge_model::LogicalType;
    use rusqlite::types::ValueRef;

    use super::{split, text, written_key};

    #[test]
    fn a_property_context_quotes_the_key_as_cap_does() {
        assert_eq!(
            written_key("1ddbe87b-b897-39a0-9031-bbf61480fde9"),
            "1ddbe87b-b897-39a0-9031-bbf61480fde9"
        );
        assert_eq!(written_key("id=5"), "5");
        assert_eq!(written_key("b=1,a='x'"), "b=1,a=x");
        assert_eq!(written_key("'it''s, a=b'"), "it's, a=b");
        assert_eq!(written_key("a='x=y',b=2"), "a=x=y,b=2");
    }

    #[test]
    fn raw_values_are_written_as_javascript_does() {
        let cases = [
            (LogicalType::Boolean, ValueRef::Integer(1), "true"),
            (LogicalType::Boolean, ValueRef::Integer(0), "false"),
            (
                LogicalType::Integer64,
                ValueRef::Integer(9_007_199_254_740_993),
                "9007199254740993",
            ),
            (LogicalType::Double, ValueRef::Real(3.0), "3"),
            (LogicalType::Double, ValueRef::Real(0.77), "0.77"),
            (LogicalType::String(None), ValueRef::Text(b"a 'b'"), "a 'b'"),
        ];
        for (ty, value, want) in cases {
            assert_eq!(text(&ty, value), want);
        }
    }

    #[test]
    fn a_segment_is_a_name_and_perhaps_a_key() {
        assert_eq!(split("messages").ok(), Some(("messages", None)));
        assert_eq!(split("messages('a')").ok(), Some(("messages", Some("'a'"))));
        assert!(split("messages('a'").is_err());
    }
}
