//! Answering reads: the SQL for a request (identifiers from the catalog, every value
//! bound), run on the service views, and the rows written as OData JSON in
//! `$metadata` property order, with server-driven paging as CAP does it.

use std::io::Write as _;

use cai_bridge_model::LogicalType;
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::catalog::{Catalog, EntitySet, Property};
use super::error::ODataError;
use super::filter::{self, Filter};
use super::request::Options;
use super::search;

/// The most entities one response holds (CAP's default `cds.query.limit.max`); more
/// are behind `@odata.nextLink`.
pub const PAGE: u64 = 1000;

/// A response body.
pub enum Answer {
    /// OData JSON.
    Json(Vec<u8>),
    /// `text/plain` (a `/$count`).
    Text(String),
    /// `application/xml` (`$metadata`).
    Xml(String),
    /// `application/json` (`$metadata` as CSDL JSON).
    CsdlJson(String),
}

/// The service document.
pub fn service_document(catalog: &Catalog) -> Answer {
    let sets: Vec<serde_json::Value> = catalog
        .sets
        .iter()
        .map(|s| serde_json::json!({ "name": s.name, "url": s.name, "kind": "EntitySet" }))
        .collect();
    Answer::Json(
        serde_json::json!({ "@odata.context": "$metadata", "value": sets })
            .to_string()
            .into_bytes(),
    )
}

/// Reads an entity set (or its `/$count`).
pub fn collection(
    conn: &Connection,
    set: &EntitySet,
    options: &Options,
    count_only: bool,
) -> Result<Answer, ODataError> {
    // After `$apply`, the set read is its result: a subquery with values of its own.
    let (set, params, ties) = match &options.apply {
        Some(applied) => (&applied.set, applied.params.clone(), applied.order.clone()),
        None => (
            set,
            Vec::new(),
            set.keys().map(|k| format!("{} ASC", k.column)).collect(),
        ),
    };
    let (where_sql, mut params) = conditions(set, options, params)?;
    let count = || -> Result<i64, ODataError> {
        let sql = format!("SELECT count(*) FROM {}{where_sql}", set.view);
        query_one(conn, &sql, &params)
    };
    if count_only {
        return Ok(Answer::Text(count()?.to_string()));
    }
    let total = if options.count { Some(count()?) } else { None };

    let columns = selected(set, options);
    // Ties are ordered by key (or a group's values), as CAP does, so that pages do not
    // overlap.
    let mut order: Vec<String> = options
        .orderby
        .iter()
        .map(|&(i, desc)| {
            let column = &set.properties[i].column;
            if desc {
                format!("{column} DESC")
            } else {
                format!("{column} ASC")
            }
        })
        .collect();
    // Ties already ordered by need no second term (SQLite takes 2,000 at most).
    let ordered: Vec<String> = options
        .orderby
        .iter()
        .map(|&(i, _)| format!("{} ", set.properties[i].column))
        .collect();
    order.extend(ties.into_iter().filter(|tie| {
        !ordered
            .iter()
            .any(|column| tie.starts_with(column.as_str()))
    }));
    let order = match order.is_empty() {
        true => String::new(),
        false => format!(" ORDER BY {}", order.join(", ")),
    };
    let remaining = options.top.map(|t| t.saturating_sub(options.skiptoken));
    let limit = remaining.unwrap_or(u64::MAX).min(PAGE);
    let sql = format!(
        "SELECT {} FROM {}{where_sql}{order} LIMIT ? OFFSET ?",
        column_list(set, &columns),
        set.view,
    );
    let offset = options.skip.saturating_add(options.skiptoken);
    params.push(Value::Integer(to_i64(limit + 1)));
    params.push(Value::Integer(to_i64(offset)));

    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"@odata.context\":");
    push_json_str(&mut out, &context(set));
    if let Some(total) = total {
        let _ = write!(out, ",\"@odata.count\":{total}");
    }
    out.extend_from_slice(b",\"value\":[");
    let mut stmt = conn
        .prepare_cached(&sql)
        .map_err(|e| ODataError::internal(&e))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(failed)?;
    let mut written = 0u64;
    let mut more = false;
    while let Some(row) = rows.next().map_err(failed)? {
        if written == limit {
            // A next page only while `$top` wants more.
            more = remaining.is_none_or(|r| r > limit);
            break;
        }
        if written > 0 {
            out.push(b',');
        }
        out.push(b'{');
        push_properties(&mut out, row, set, &columns, options.ieee754, false)?;
        out.push(b'}');
        written += 1;
    }
    out.push(b']');
    if more {
        let token = options.skiptoken + limit;
        let link = if options.next_base.is_empty() {
            format!("{}?$skiptoken={token}", set.name)
        } else {
            format!("{}?{}&$skiptoken={token}", set.name, options.next_base)
        };
        out.extend_from_slice(b",\"@odata.nextLink\":");
        push_json_str(&mut out, &link);
    }
    out.push(b'}');
    Ok(Answer::Json(out))
}

/// Reads one entity by its key predicate (the text between the parentheses).
pub fn entity(
    conn: &Connection,
    set: &EntitySet,
    key: &str,
    options: &Options,
) -> Result<Answer, ODataError> {
    if options.apply.is_some() || options.search.is_some() {
        return Err(ODataError::bad_request(
            "$apply and $search read collections; leave them out when reading one entity by key",
        ));
    }
    let Filter { sql, params } = key_condition(set, key)?;
    let columns = selected(set, options);
    let query = format!(
        "SELECT {} FROM {} WHERE {sql}",
        column_list(set, &columns),
        set.view
    );
    let mut stmt = conn
        .prepare_cached(&query)
        .map_err(|e| ODataError::internal(&e))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(|e| ODataError::internal(&e))?;
    let Some(row) = rows.next().map_err(|e| ODataError::internal(&e))? else {
        return Err(ODataError::not_found(format!(
            "{} has no entity with the key ({})",
            set.name,
            filter::cut(key)
        )));
    };
    let mut out = b"{\"@odata.context\":".to_vec();
    let context = format!("{}/$entity", context(set));
    push_json_str(&mut out, &context);
    push_properties(&mut out, row, set, &columns, options.ieee754, true)?;
    out.push(b'}');
    Ok(Answer::Json(out))
}

/// The properties to write: `$select`ed ones, then any key left out (as CAP does, so
/// every entity stays addressable), or all.
fn selected(set: &EntitySet, options: &Options) -> Vec<usize> {
    match &options.select {
        Some(select) => {
            let mut columns = select.clone();
            for (i, property) in set.properties.iter().enumerate() {
                if property.key && !columns.contains(&i) {
                    columns.push(i);
                }
            }
            columns
        }
        None => (0..set.properties.len()).collect(),
    }
}

fn column_list(set: &EntitySet, columns: &[usize]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| set.properties[i].column.as_str())
        .collect();
    names.join(", ")
}

/// `properties` as the filter module names them.
fn filter_properties<'s>(
    properties: impl Iterator<Item = &'s Property>,
) -> Vec<filter::Property<'s>> {
    properties
        .map(|p| filter::Property {
            name: &p.name,
            column: &p.column,
            ty: &p.ty,
        })
        .collect()
}

/// Parses `$filter` text on `set`.
fn parse_filter(set: &EntitySet, text: &str) -> Result<Filter, ODataError> {
    filter::parse(text, &filter_properties(set.properties.iter()))
        .map_err(|e| ODataError::filter("$filter", e))
}

/// The ` WHERE …` of `$filter` and `$search` on `set` (empty if neither restricts), and
/// the values of its `?`s after those of `params`.
fn conditions(
    set: &EntitySet,
    options: &Options,
    mut params: Vec<Value>,
) -> Result<(String, Vec<Value>), ODataError> {
    let mut terms = Vec::new();
    if let Some(text) = &options.filter {
        let filter = parse_filter(set, text)?;
        terms.push(filter.sql);
        params.extend(filter.params);
    }
    let search = match &options.search {
        Some(text) => search::condition(&set.properties, text)?,
        None => None,
    };
    if let Some(search) = search {
        terms.push(search.sql);
        params.extend(search.params);
    }
    let sql = match terms.as_slice() {
        [] => String::new(),
        [one] => format!(" WHERE {one}"),
        both => format!(" WHERE ({})", both.join(") AND (")),
    };
    Ok((sql, params))
}

/// A read that failed: a 500, except for a sum past 64 bits (SQLite refuses it), which
/// only a narrower request can avoid.
fn failed(error: rusqlite::Error) -> ODataError {
    match &error {
        rusqlite::Error::SqliteFailure(_, Some(message)) if message == "integer overflow" => {
            ODataError::bad_request(
                "a sum does not fit into 64 bits; sum fewer rows (filter first) or a smaller property",
            )
        }
        _ => ODataError::internal(&error),
    }
}

/// The condition a key predicate names: `('a')` for a single key, `(k1='a',k2=1)` for a
/// compound one, with the literals of `$filter`.
fn key_condition(set: &EntitySet, key: &str) -> Result<Filter, ODataError> {
    filter::key(key, &filter_properties(set.keys()))
        .map_err(|e| ODataError::bad_request(format!("key ({}): {e}", filter::cut(key))))
}

/// The context URL, as CAP writes it: the set alone, whatever `$select` picked.
fn context(set: &EntitySet) -> String {
    format!("$metadata#{}", set.name)
}

fn query_one(conn: &Connection, sql: &str, params: &[Value]) -> Result<i64, ODataError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| {
            stmt.query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))
        })
        .map_err(failed)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// The `columns` of `row` (the SELECT's order) as `"name":value` pairs, with a comma
/// first when `after` is set.
fn push_properties(
    out: &mut Vec<u8>,
    row: &rusqlite::Row<'_>,
    set: &EntitySet,
    columns: &[usize],
    ieee754: bool,
    after: bool,
) -> Result<(), ODataError> {
    for (n, &i) in columns.iter().enumerate() {
        let value = row.get_ref(n).map_err(|e| ODataError::internal(&e))?;
        let property = &set.properties[i];
        push_property(
            out,
            after || n > 0,
            &property.name,
            &property.ty,
            value,
            ieee754,
        );
    }
    Ok(())
}

/// `"name":value`, the value in the JSON form of its EDM type.
fn push_property(
    out: &mut Vec<u8>,
    comma: bool,
    name: &str,
    ty: &LogicalType,
    value: ValueRef<'_>,
    ieee754: bool,
) {
    if comma {
        out.push(b',');
    }
    push_json_str(out, name);
    out.push(b':');
    // Writes into a Vec cannot fail; the results are ignored.
    let _ = match (ty, value) {
        (_, ValueRef::Null) => out.write_all(b"null"),
        (LogicalType::Boolean, ValueRef::Integer(n)) => {
            out.write_all(if n != 0 { b"true" } else { b"false" })
        }
        (LogicalType::Boolean, ValueRef::Text(t)) => {
            let truthy = t.eq_ignore_ascii_case(b"true") || t == b"1";
            out.write_all(if truthy { b"true" } else { b"false" })
        }
        (LogicalType::Integer64, ValueRef::Integer(n)) if ieee754 => write!(out, "\"{n}\""),
        (_, ValueRef::Integer(n)) => write!(out, "{n}"),
        (_, ValueRef::Real(x)) => push_double(out, x),
        (_, ValueRef::Text(t) | ValueRef::Blob(t)) => {
            push_json_str(out, &String::from_utf8_lossy(t));
            Ok(())
        }
    };
}

/// A double as JavaScript writes it where it matters to clients: `3`, not `3.0`;
/// `null` for what JSON cannot hold (NaN, infinities).
fn push_double(out: &mut Vec<u8>, x: f64) -> std::io::Result<()> {
    if !x.is_finite() {
        return out.write_all(b"null");
    }
    let text = serde_json::to_string(&x).unwrap_or_else(|_| "null".to_owned());
    out.write_all(text.strip_suffix(".0").unwrap_or(&text).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(ty: &LogicalType, value: ValueRef<'_>, ieee754: bool) -> String {
        let mut out = Vec::new();
        push_property(&mut out, false, "p", ty, value, ieee754);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn values_are_written_in_the_json_form_of_their_edm_type() {
        let big = 9_007_199_254_740_993; // 2^53 + 1: a JavaScript number cannot hold it.
        assert_eq!(
            written(&LogicalType::Integer64, ValueRef::Integer(big), false),
            format!("\"p\":{big}")
        );
        assert_eq!(
            written(&LogicalType::Integer64, ValueRef::Integer(big), true),
            format!("\"p\":\"{big}\"")
        );
        assert_eq!(
            written(&LogicalType::Integer, ValueRef::Integer(7), true),
            "\"p\":7"
        );
        assert_eq!(
            written(&LogicalType::Boolean, ValueRef::Integer(1), false),
            "\"p\":true"
        );
        assert_eq!(
            written(&LogicalType::Boolean, ValueRef::Integer(0), false),
            "\"p\":false"
        );
        assert_eq!(
            written(&LogicalType::Double, ValueRef::Real(3.0), false),
            "\"p\":3"
        );
        assert_eq!(
            written(&LogicalType::Double, ValueRef::Real(0.1), false),
            "\"p\":0.1"
        );
        assert_eq!(
            written(&LogicalType::Double, ValueRef::Real(f64::NAN), false),
            "\"p\":null"
        );
        assert_eq!(
            written(&LogicalType::Double, ValueRef::Integer(2), false),
            "\"p\":2"
        );
        assert_eq!(
            written(
                &LogicalType::String(None),
                ValueRef::Text("a\"b\\ü".as_bytes()),
                false
            ),
            "\"p\":\"a\\\"b\\\\ü\""
        );
        assert_eq!(
            written(&LogicalType::Timestamp, ValueRef::Null, false),
            "\"p\":null"
        );
    }

    fn messages() -> EntitySet {
        let property = |name: &str, key| Property {
            name: name.to_owned(),
            column: format!("\"{name}\""),
            ty: LogicalType::String(None),
            key,
        };
        EntitySet {
            name: "Messages".to_owned(),
            view: "\"V\"".to_owned(),
            properties: vec![
                property("conversation_id", true),
                property("message_id", true),
                property("text", false),
            ],
        }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn key_predicates_become_conditions() {
        let set = messages();
        let named = key_condition(&set, "message_id='b,=c',conversation_id='a'").expect("named");
        assert_eq!(named.sql, "\"conversation_id\" = ? AND \"message_id\" = ?");
        assert_eq!(named.params, [text("a"), text("b,=c")]);
        assert!(
            key_condition(&set, "'a'").is_err(),
            "one value for two keys"
        );
        assert!(
            key_condition(&set, "conversation_id='a'").is_err(),
            "a key missing"
        );
        assert!(key_condition(&set, "conversation_id='a',message_id='b',text='c'").is_err());
        let single = EntitySet {
            properties: vec![messages().properties.swap_remove(0)],
            ..set
        };
        for key in ["'x'", "conversation_id='x'"] {
            let condition = key_condition(&single, key).expect(key);
            assert_eq!(condition.sql, "\"conversation_id\" = ?", "{key}");
            assert_eq!(condition.params, [text("x")], "{key}");
        }
        let e = key_condition(&single, "'x' or true").expect_err("a condition");
        assert!(
            e.message.starts_with("key ('x' or true): unexpected token"),
            "{e:?}"
        );
    }

    /// The whole answer a client gets for `key`, with its status.
    fn answer_for(conn: &Connection, set: &EntitySet, key: &str) -> (u16, String) {
        let error = match entity(conn, set, key, &Options::default()) {
            Ok(_) => panic!("{key} found an entity"),
            Err(e) => e,
        };
        let status = error.status.as_u16();
        let body = axum::response::IntoResponse::into_response(error).into_body();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let bytes = runtime
            .block_on(axum::body::to_bytes(body, usize::MAX))
            .expect("a body");
        (status, String::from_utf8(bytes.to_vec()).expect("UTF-8"))
    }

    #[test]
    fn a_long_key_is_not_echoed_whole() {
        let set = messages();
        let conn = Connection::open_in_memory().expect("a database");
        conn.execute_batch("CREATE TABLE \"V\" (conversation_id TEXT, message_id TEXT, text TEXT)")
            .expect("a table");
        let long = "x".repeat(60_000);
        let cases = [
            (format!("'{long}'"), 400),
            (format!("conversation_id='{long}',message_id='a'"), 400),
            (
                format!("conversation_id='a',message_id='{}'", &long[..8000]),
                404,
            ),
            (
                format!("conversation_id='a',message_id='a' or {}", &long[..8000]),
                400,
            ),
            (format!("{}='a'", &long[..8000]), 400),
        ];
        for (key, want) in cases {
            let (status, body) = answer_for(&conn, &set, &key);
            assert_eq!(status, want, "{body}");
            assert!(body.len() < 1024, "{} bytes: {body}", body.len());
            assert!(!body.contains(&long[..41]), "{body}");
        }
    }
}
