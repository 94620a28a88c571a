//! Answering reads: the SQL for a request (identifiers from the catalog, every value
//! bound), run on the service views, and the rows written as OData JSON in
//! `$metadata` property order (expansions by `nested`), with server-driven paging as
//! CAP does it.

use std::io::Write as _;

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::LogicalType;
use rusqlite::types::{Value, ValueRef};

use super::catalog::{filter_properties, Catalog, EntitySet};
use super::connection::Connection;
use super::error::ODataError;
use super::expand;
use super::filter::{self, Filter};
use super::nested;
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
    /// Nothing (204): a to-one navigation that leads nowhere, a property that is null.
    NoContent,
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

/// Where the entities of a read come from: an entity set, or what a navigation path
/// reached in it.
pub struct Source<'c> {
    /// The set.
    pub set: &'c EntitySet,
    /// The condition the path puts on the set: a key, or the foreign key of the
    /// entity navigated from.
    pub within: Option<Filter>,
    /// The resource path under the service, for next links (`Messages`,
    /// `Conversations(…)/messages`).
    pub path: String,
    /// How many segments come before the last (the `../` of `@odata.context`).
    pub depth: usize,
    /// Reached by a to-one navigation: a missing entity is no content (204), not 404.
    pub to_one: bool,
    /// The key as the client wrote it, for a 404's message.
    pub key: String,
}

impl<'c> Source<'c> {
    /// The whole set.
    pub fn set(set: &'c EntitySet) -> Self {
        Source {
            set,
            within: None,
            path: set.name.clone(),
            depth: 0,
            to_one: false,
            key: String::new(),
        }
    }

    /// One entity of the set, by its key predicate (the text between the parentheses).
    pub fn key(set: &'c EntitySet, key: &str) -> Result<Self, ODataError> {
        Ok(Source {
            within: Some(key_condition(set, key)?),
            key: key.to_owned(),
            ..Source::set(set)
        })
    }

    /// The answer when the entity it names is not there: no content after a to-one
    /// navigation (as CAP answers), else 404.
    pub(super) fn missing(&self) -> Result<Answer, ODataError> {
        if self.to_one {
            return Ok(Answer::NoContent);
        }
        Err(ODataError::not_found(format!(
            "{} has no entity with the key ({})",
            self.set.name,
            filter::cut(&self.key)
        )))
    }

    /// `@odata.context` of what it reads.
    fn context(&self) -> String {
        format!("{}$metadata#{}", "../".repeat(self.depth), self.set.name)
    }
}

/// Reads a collection (or its `/$count`).
pub fn collection(
    conn: Connection<'_>,
    catalog: &Catalog,
    source: &Source<'_>,
    options: &Options,
    count_only: bool,
) -> Result<Answer, ODataError> {
    // After `$apply`, the set read is its result: a subquery with values of its own
    // (and no navigation: its rows are groups, or entities of one set).
    let (set, mut params, ties) = match &options.apply {
        Some(applied) => {
            if source.within.is_some() || options.expand.is_some() {
                return Err(ODataError::bad_request(
                    "$apply reads a whole entity set: leave out $expand, and apply it to the set itself",
                ));
            }
            (&applied.set, applied.params.clone(), applied.order.clone())
        }
        None => (source.set, Vec::new(), key_order(source.set)),
    };
    let filter = match (&options.filter, &options.apply) {
        (Some(text), Some(_)) => Some(parse_applied_filter(set, text)?),
        (Some(text), None) => Some(parse_filter(catalog, set, text)?),
        (None, _) => None,
    };
    let search = match &options.search {
        Some(text) => search::condition(&set.properties, text, set.dialect)?,
        None => None,
    };
    let expand = match &options.apply {
        Some(_) => expand::parse(catalog, source.set, "")?,
        None => expand::parse(catalog, set, options.expand.as_deref().unwrap_or_default())?,
    };
    let (where_sql, condition_params) =
        conditions([source.within.as_ref(), filter.as_ref(), search.as_ref()]);
    // The subquery's `?`s come first: it is in the FROM, before the WHERE.
    params.extend(condition_params);
    let count = || -> Result<i64, ODataError> {
        if let Some((sql, params)) = count_in_table(set, source, options, search.is_some()) {
            return conn.number(&sql, &params);
        }
        let sql = format!("SELECT count(*) FROM {}{where_sql}", set.view);
        conn.number(&sql, &params)
    };
    if count_only {
        return Ok(Answer::Text(count()?.to_string()));
    }
    let total = if options.count { Some(count()?) } else { None };

    let level = nested::Level::new(set, options.select.as_deref(), &expand, false);
    let order = order_by(set, &options.orderby, ties);
    let remaining = options.top.map(|t| t.saturating_sub(options.skiptoken));
    let limit = remaining.unwrap_or(u64::MAX).min(PAGE);
    let offset = options.skip.saturating_add(options.skiptoken);
    let mut where_sql = where_sql;
    if options.apply.is_none() {
        let end = offset.saturating_add(limit);
        if let Some((condition, value)) = page_bound(conn, set, options, &where_sql, &params, end)?
        {
            where_sql = match where_sql.is_empty() {
                true => format!(" WHERE {condition}"),
                false => format!("{where_sql} AND {condition}"),
            };
            params.push(value);
        }
    }
    let columns = column_list(set, &level.columns);
    let sql = match (&set.entity_table, &options.apply) {
        // The rows skipped and the order are found on the keys alone, where SQLite
        // leaves out the joins the filter does not need and sorts narrow rows; only
        // the page's own rows are then read whole. The order ends with the key, which
        // is unique in the view (an entity table's), so the page is the same.
        (Some(_), None) if set.keys().next().is_some() => {
            let keys = column_list(set, &selected(set, Some(&[])));
            format!(
                "SELECT {columns} FROM {view} WHERE ({keys}) IN \
                 (SELECT {keys} FROM {view}{where_sql}{order} LIMIT ? OFFSET ?){order}",
                view = set.view,
            )
        }
        _ => format!(
            "SELECT {columns} FROM {}{where_sql}{order} LIMIT ? OFFSET ?",
            set.view
        ),
    };
    params.push(Value::Integer(to_i64(limit + 1)));
    params.push(Value::Integer(to_i64(offset)));

    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"@odata.context\":");
    push_json_str(&mut out, &source.context());
    if let Some(total) = total {
        let _ = write!(out, ",\"@odata.count\":{total}");
    }
    out.extend_from_slice(b",\"value\":[");
    let mut written = 0u64;
    let mut more = false;
    let mut writer = nested::Writer::new(conn, options.ieee754);
    conn.rows(&sql, &params, |row| {
        // A page also ends early when expansions have filled it; the next link goes on.
        if written == limit || writer.full() {
            // A next page only while `$top` wants more.
            more = remaining.is_none_or(|r| r > written);
            return Ok(false);
        }
        if written > 0 {
            out.push(b',');
        }
        level.entity(&mut out, &mut writer, row)?;
        written += 1;
        Ok(true)
    })?;
    out.push(b']');
    if more {
        let token = options.skiptoken + written;
        let link = if options.next_base.is_empty() {
            format!("{}?$skiptoken={token}", source.path)
        } else {
            format!("{}?{}&$skiptoken={token}", source.path, options.next_base)
        };
        out.extend_from_slice(b",\"@odata.nextLink\":");
        push_json_str(&mut out, &link);
    }
    out.push(b'}');
    Ok(Answer::Json(out))
}

/// Pages this far into an order are bounded by [`page_bound`]; deeper ones are read
/// as they are (finding the bound would walk the index over every row before them).
const BOUNDED_UP_TO: u64 = 10_000;

/// For an `$orderby` whose first property is descending, the condition that keeps
/// only the rows at or above the value of that property where the page ends (at
/// 0-based position `end`), with that value; `None` when there is no such row, its
/// value is null (nulls come last), the page is deeper than [`BOUNDED_UP_TO`], or
/// the order is another.
///
/// The rows the page holds, and those before it, all have such values, so the page is
/// the same; but SQLite 3.50 (the bundled one) only walks an index on that property
/// for an order by it and the key when the rows have such a bound: without it, it
/// sorts every row that matches to answer the first hundred.
fn page_bound(
    conn: Connection<'_>,
    set: &EntitySet,
    options: &Options,
    where_sql: &str,
    params: &[Value],
    end: u64,
) -> Result<Option<(String, Value)>, ODataError> {
    let Some(&(first, true)) = options.orderby.first() else {
        return Ok(None);
    };
    if end > BOUNDED_UP_TO {
        return Ok(None);
    }
    let column = &set.properties[first].column;
    let sql = format!(
        "SELECT {column} FROM {}{where_sql} ORDER BY {column} {} LIMIT 1 OFFSET ?",
        set.view,
        sort(set.dialect, true)
    );
    let mut all = params.to_vec();
    all.push(Value::Integer(to_i64(end)));
    let value = conn.first(&sql, &all, 1)?.and_then(|mut row| row.pop());
    Ok(value
        .filter(|v| *v != Value::Null)
        .map(|v| (format!("{column} >= ?"), v)))
}

/// The SQL and parameters that count a read in its set's entity table (see
/// [`EntityTable`](super::catalog::EntityTable)), without the view's joins: when the read is the whole set, or
/// the set with a `$filter` on the table's own columns only. `None` otherwise.
fn count_in_table(
    set: &EntitySet,
    source: &Source<'_>,
    options: &Options,
    search: bool,
) -> Option<(String, Vec<Value>)> {
    let table = set.entity_table.as_ref()?;
    if source.within.is_some() || options.apply.is_some() || search {
        return None;
    }
    // The filter was parsed on the set already (its errors are the client's); here it
    // only parses when every property it names is a column of the table.
    let filter = match &options.filter {
        Some(text) => Some(
            filter::parse(
                text,
                &filter_properties(table.properties.iter()),
                set.dialect,
            )
            .ok()?,
        ),
        None => None,
    };
    let (where_sql, params) = conditions([filter.as_ref()]);
    Some((
        format!("SELECT count(*) FROM {}{where_sql}", table.table),
        params,
    ))
}

/// Reads the one entity `source` names (by key, or by a to-one navigation).
pub fn entity(
    conn: Connection<'_>,
    catalog: &Catalog,
    source: &Source<'_>,
    options: &Options,
) -> Result<Answer, ODataError> {
    if options.apply.is_some() || options.search.is_some() {
        return Err(ODataError::bad_request(
            "$apply and $search read collections; leave them out when reading one entity by key",
        ));
    }
    let set = source.set;
    let expand = expand::parse(catalog, set, options.expand.as_deref().unwrap_or_default())?;
    let (where_sql, params) = conditions([source.within.as_ref()]);
    let level = nested::Level::new(set, options.select.as_deref(), &expand, false);
    let query = format!(
        "SELECT {} FROM {}{where_sql}",
        column_list(set, &level.columns),
        set.view
    );
    let mut out = b"{\"@odata.context\":".to_vec();
    push_json_str(&mut out, &format!("{}/$entity", source.context()));
    let mut writer = nested::Writer::new(conn, options.ieee754);
    let mut found = false;
    conn.rows(&query, &params, |row| {
        found = true;
        level.members(&mut out, &mut writer, row, true)?;
        Ok(false)
    })?;
    if !found {
        return source.missing();
    }
    out.push(b'}');
    Ok(Answer::Json(out))
}

/// ` WHERE a AND b` for the conditions given, with their parameters in order.
pub(super) fn conditions<'f>(
    conditions: impl IntoIterator<Item = Option<&'f Filter>>,
) -> (String, Vec<Value>) {
    let (mut terms, mut params) = (Vec::new(), Vec::new());
    for Filter {
        sql,
        params: values,
    } in conditions.into_iter().flatten()
    {
        terms.push(format!("({sql})"));
        params.extend(values.iter().cloned());
    }
    match terms.is_empty() {
        true => (String::new(), params),
        false => (format!(" WHERE {}", terms.join(" AND ")), params),
    }
}

/// The properties to write: `$select`ed ones, then any key left out (as CAP does, so
/// every entity stays addressable), or all.
pub(super) fn selected(set: &EntitySet, select: Option<&[usize]>) -> Vec<usize> {
    match select {
        Some(select) => {
            let mut columns = select.to_vec();
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

pub(super) fn column_list(set: &EntitySet, columns: &[usize]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| set.properties[i].column.as_str())
        .collect();
    names.join(", ")
}

/// The key of `set`, ascending: how CAP orders ties, so that pages do not overlap.
fn key_order(set: &EntitySet) -> Vec<String> {
    set.keys().map(|k| format!("{} ASC", k.column)).collect()
}

/// ` ORDER BY` for `orderby` on `set`, then the `ties` it leaves (the key, or a
/// group's values after `$apply`); empty when there is nothing to order by. A tie
/// already ordered by is not named again: SQLite takes at most 2,000 terms.
fn order_by(set: &EntitySet, orderby: &[(usize, bool)], ties: Vec<String>) -> String {
    let mut order: Vec<String> = orderby
        .iter()
        .map(|&(i, desc)| {
            let column = &set.properties[i].column;
            format!("{column} {}", sort(set.dialect, desc))
        })
        .collect();
    let ordered: Vec<String> = orderby
        .iter()
        .map(|&(i, _)| format!("{} ", set.properties[i].column))
        .collect();
    order.extend(ties.into_iter().filter(|tie| {
        !ordered
            .iter()
            .any(|column| tie.starts_with(column.as_str()))
    }));
    match order.is_empty() {
        true => String::new(),
        false => format!(" ORDER BY {}", order.join(", ")),
    }
}

/// The direction of an `ORDER BY` term: NULLs first when ascending, last when
/// descending, as SQLite has it and as CAP asks PostgreSQL for it (whose default is
/// the other way round).
pub(crate) fn sort(dialect: Dialect, desc: bool) -> &'static str {
    match (dialect, desc) {
        (Dialect::Postgres, false) => "ASC NULLS FIRST",
        (Dialect::Postgres, true) => "DESC NULLS LAST",
        (_, false) => "ASC",
        (_, true) => "DESC",
    }
}

/// `ORDER BY` terms for `orderby` on `set`, then its key (for expanded collections).
pub(super) fn order(set: &EntitySet, orderby: &[(usize, bool)]) -> String {
    order_by(set, orderby, key_order(set))
        .trim_start_matches(" ORDER BY ")
        .to_owned()
}

/// Parses `$filter` text on `set`, where paths may follow its navigation properties.
pub(super) fn parse_filter(
    catalog: &Catalog,
    set: &EntitySet,
    text: &str,
) -> Result<Filter, ODataError> {
    filter::parse_in(
        text,
        &catalog.filter_entities(),
        catalog.index(set),
        set.dialect,
    )
    .map_err(|e| ODataError::filter("$filter", e))
}

/// Parses `$filter` text on the result of `$apply` (its properties, no navigation).
fn parse_applied_filter(set: &EntitySet, text: &str) -> Result<Filter, ODataError> {
    filter::parse(text, &filter_properties(set.properties.iter()), set.dialect)
        .map_err(|e| ODataError::filter("$filter", e))
}

/// The condition a key predicate names: `('a')` for a single key, `(k1='a',k2=1)` for a
/// compound one, with the literals of `$filter`.
pub(super) fn key_condition(set: &EntitySet, key: &str) -> Result<Filter, ODataError> {
    filter::key(key, &filter_properties(set.keys()))
        .map_err(|e| ODataError::bad_request(format!("key ({}): {e}", filter::cut(key))))
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// `"name":value`, the value in the JSON form of its EDM type.
pub(super) fn push_property(
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
    use crate::serve::catalog::Property;

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
            dialect: Dialect::Sqlite,
            properties: vec![
                property("conversation_id", true),
                property("message_id", true),
                property("text", false),
            ],
            navigations: Vec::new(),
            entity_table: None,
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
    fn answer_for(conn: &rusqlite::Connection, catalog: &Catalog, key: &str) -> (u16, String) {
        let set = &catalog.sets[0];
        let read = Source::key(set, key).and_then(|source| {
            entity(
                Connection::Sqlite(conn),
                catalog,
                &source,
                &Options::default(),
            )
        });
        let error = match read {
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
        let catalog = Catalog {
            path: String::new(),
            sets: vec![messages()],
            metadata: String::new(),
            metadata_json: String::new(),
        };
        let conn = rusqlite::Connection::open_in_memory().expect("a database");
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
            let (status, body) = answer_for(&conn, &catalog, &key);
            assert_eq!(status, want, "{body}");
            assert!(body.len() < 1024, "{} bytes: {body}", body.len());
            assert!(!body.contains(&long[..41]), "{body}");
        }
    }
}
