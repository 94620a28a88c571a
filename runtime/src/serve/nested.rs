//! Writing entities with their expansions: each expanded navigation property of an
//! entity is one more query on the target's service view, with the entity's values for
//! the foreign key bound. The lookups follow the primary keys' indexes and cost
//! microseconds in SQLite, and every nested row goes through the writer of top-level
//! rows, so that values keep their EDM JSON form (Int64 as strings on request,
//! Booleans, doubles) at every depth.
//!
//! What CAP does, and what we do:
//! - A to-one navigation is an object, or `null` when nothing matches (no parent, or
//!   its `$filter` fails).
//! - A to-many navigation is an array; `$count=true` adds `name@odata.count` after it.
//!   CAP orders it by `$orderby` alone and otherwise as SQLite finds the rows (the
//!   primary key's order); we add the key to every order, which gives the same rows in
//!   the same order without leaving ties to chance.
//! - CAP returns every related entity; we return at most [`PAGE`] per collection and
//!   then `name@odata.nextLink`, the collection's own URL, so that no answer is
//!   unbounded. Expansions also fill a page: after [`PAGE_ENTITIES`] entities in all,
//!   the page ends with its next link, and an answer that would hold more than
//!   [`MAX_ENTITIES`] is refused.
//! - Members are written in CAP's order: the selected properties, the expansions, then
//!   any key left out; in a nested entity with `$select`, the expansions first.

use std::io::Write as _;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rusqlite::types::{Value, ValueRef};

use cai_bridge_model::LogicalType;

use super::catalog::EntitySet;
use super::connection::{Connection, Row};
use super::error::ODataError;
use super::expand::Expansion;
use super::read::{column_list, order, push_json_str, push_property, selected, to_i64, PAGE};

/// After a top-level entity that brings the answer to this many entities (expansions
/// included), the page ends, with a next link.
pub const PAGE_ENTITIES: usize = 10_000;

/// The most entities one answer holds; an entity whose expansions alone go past it is
/// refused.
pub const MAX_ENTITIES: usize = 100_000;

/// What writing an answer needs throughout: the connection, the number format, and
/// the entities written so far.
pub struct Writer<'a> {
    conn: Connection<'a>,
    ieee754: bool,
    written: usize,
}

impl<'a> Writer<'a> {
    /// A writer reading from `conn`, with Int64 as strings when `ieee754` is set.
    pub fn new(conn: Connection<'a>, ieee754: bool) -> Self {
        Writer {
            conn,
            ieee754,
            written: 0,
        }
    }

    /// Whether the page should end after the entity written last.
    pub fn full(&self) -> bool {
        self.written >= PAGE_ENTITIES
    }

    fn spend(&mut self) -> Result<(), ODataError> {
        self.written += 1;
        if self.written > MAX_ENTITIES {
            return Err(ODataError::bad_request(format!(
                "the answer would hold more than {MAX_ENTITIES} entities; expand less, or \
                 narrow the expanded collections with $filter, $top or $select"
            )));
        }
        Ok(())
    }
}

/// How the entities of one level are read and written: their columns and expansions.
pub struct Level<'e, 'c> {
    set: &'c EntitySet,
    /// The SELECT's columns: the properties to write, then any the expansions need
    /// that are not written.
    pub columns: Vec<usize>,
    /// How many of `columns` are written.
    written: usize,
    /// How many of those were selected (the rest are keys `$select` left out).
    selected: usize,
    /// A nested entity with `$select`: CAP writes its expansions first.
    expansions_first: bool,
    expand: Vec<Expanded<'e, 'c>>,
}

/// One expansion, ready to run for each entity of the level above.
struct Expanded<'e, 'c> {
    item: &'e Expansion<'c>,
    /// The target's entities.
    level: Level<'e, 'c>,
    /// Where the values of the navigation's own columns are in the parent's SELECT.
    from: Vec<usize>,
    /// The related entities: the foreign key and `$filter` bound, then (to many) the
    /// limit and offset.
    rows: String,
    /// Their number.
    count: String,
}

impl<'e, 'c> Level<'e, 'c> {
    /// The entities of `set` with `select` (property indexes; `None`: all) and `expand`;
    /// `nested` when they are expanded from another entity.
    pub fn new(
        set: &'c EntitySet,
        select: Option<&[usize]>,
        expand: &'e [Expansion<'c>],
        nested: bool,
    ) -> Self {
        let mut columns = selected(set, select);
        let written = columns.len();
        for item in expand {
            for &(here, _) in &item.navigation.on {
                if !columns.contains(&here) {
                    columns.push(here);
                }
            }
        }
        let mut level = Level {
            set,
            written,
            selected: select.map_or(written, <[usize]>::len),
            expansions_first: nested && select.is_some(),
            expand: Vec::new(),
            columns,
        };
        level.expand = expand
            .iter()
            .map(|item| Expanded::new(&level, item))
            .collect();
        level
    }

    /// One entity: `{…}` from `row` (read with [`Level::columns`]).
    pub fn entity(
        &self,
        out: &mut Vec<u8>,
        writer: &mut Writer<'_>,
        row: &Row<'_>,
    ) -> Result<(), ODataError> {
        writer.spend()?;
        out.push(b'{');
        self.members(out, writer, row, false)?;
        out.push(b'}');
        Ok(())
    }

    /// An entity's members, without braces; with a comma first when `comma` is set.
    pub fn members(
        &self,
        out: &mut Vec<u8>,
        writer: &mut Writer<'_>,
        row: &Row<'_>,
        mut comma: bool,
    ) -> Result<(), ODataError> {
        let split = match self.expansions_first {
            true => 0,
            false => self.selected,
        };
        self.properties(out, writer, row, 0..split, &mut comma)?;
        for expanded in &self.expand {
            expanded.write(out, writer, self, row, &mut comma)?;
        }
        self.properties(out, writer, row, split..self.written, &mut comma)
    }

    fn properties(
        &self,
        out: &mut Vec<u8>,
        writer: &Writer<'_>,
        row: &Row<'_>,
        columns: std::ops::Range<usize>,
        comma: &mut bool,
    ) -> Result<(), ODataError> {
        for n in columns {
            let property = &self.set.properties[self.columns[n]];
            let value = row.get(n)?;
            push_property(
                out,
                *comma,
                &property.name,
                &property.ty,
                value,
                writer.ieee754,
            );
            *comma = true;
        }
        Ok(())
    }

    /// The key predicate of the entity in `row`, as a URL writes it: `(value)` for a
    /// key of one property, `(a=value,b=value)` otherwise.
    fn key_predicate(&self, row: &Row<'_>) -> Result<String, ODataError> {
        let mut pairs = Vec::new();
        for (n, &i) in self.columns.iter().enumerate() {
            let property = &self.set.properties[i];
            if property.key {
                let value = row.get(n)?;
                pairs.push((property.name.as_str(), literal(&property.ty, value)));
            }
        }
        Ok(match pairs.as_slice() {
            [(_, value)] => format!("({value})"),
            _ => {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("({})", pairs.join(","))
            }
        })
    }
}

impl<'e, 'c> Expanded<'e, 'c> {
    fn new(parent: &Level<'e, 'c>, item: &'e Expansion<'c>) -> Self {
        let target = item.target;
        let level = Level::new(target, item.select.as_deref(), &item.expand, true);
        let from = item
            .navigation
            .on
            .iter()
            // `Level::new` selects every column an expansion needs.
            .map(|&(here, _)| {
                parent
                    .columns
                    .iter()
                    .position(|&c| c == here)
                    .unwrap_or_default()
            })
            .collect();
        let mut terms: Vec<String> = item
            .navigation
            .on
            .iter()
            .map(|&(_, there)| format!("{} = ?", target.properties[there].column))
            .collect();
        if let Some(filter) = &item.filter {
            terms.push(format!("({})", filter.sql));
        }
        let within = format!("FROM {} WHERE {}", target.view, terms.join(" AND "));
        let columns = column_list(target, &level.columns);
        let rows = match item.navigation.many {
            true => format!(
                "SELECT {columns} {within} ORDER BY {} LIMIT ? OFFSET ?",
                order(target, &item.orderby)
            ),
            false => format!("SELECT {columns} {within}"),
        };
        Expanded {
            item,
            level,
            from,
            rows,
            count: format!("SELECT count(*) {within}"),
        }
    }

    /// `"name":…` (and its annotations) for the entity in `row` of `parent`.
    fn write(
        &self,
        out: &mut Vec<u8>,
        writer: &mut Writer<'_>,
        parent: &Level<'_, '_>,
        row: &Row<'_>,
        comma: &mut bool,
    ) -> Result<(), ODataError> {
        let item = self.item;
        let name = &item.navigation.name;
        let mut params = Vec::with_capacity(self.from.len() + 2);
        for &n in &self.from {
            let value = row.get(n)?;
            params.push(Value::from(value));
        }
        if let Some(filter) = &item.filter {
            params.extend(filter.params.iter().cloned());
        }
        if !item.navigation.many {
            member(out, comma, name);
            return self.one(out, writer, &params);
        }
        let mut next = None;
        if !item.count_only {
            member(out, comma, name);
            next = self.many(out, writer, &params)?;
        }
        if item.count || item.count_only {
            member(out, comma, &format!("{name}@odata.count"));
            let _ = write!(out, "{}", writer.conn.number(&self.count, &params)?);
        }
        if let Some(delivered) = next {
            let base = format!("{}{}/{name}", parent.set.name, parent.key_predicate(row)?);
            let link = match item.query.is_empty() {
                true => format!("{base}?$skiptoken={delivered}"),
                false => format!("{base}?{}&$skiptoken={delivered}", item.query),
            };
            member(out, comma, &format!("{name}@odata.nextLink"));
            push_json_str(out, &link);
        }
        Ok(())
    }

    /// The related entity of a to-one navigation, or `null`.
    fn one(
        &self,
        out: &mut Vec<u8>,
        writer: &mut Writer<'_>,
        params: &[Value],
    ) -> Result<(), ODataError> {
        let mut found = false;
        let conn = writer.conn;
        conn.rows(&self.rows, params, |related| {
            found = true;
            self.level.entity(out, writer, related)?;
            Ok(false)
        })?;
        if !found {
            out.extend_from_slice(b"null");
        }
        Ok(())
    }

    /// The array of a to-many navigation, a page of it; the entities delivered when
    /// more are left for a next link.
    fn many(
        &self,
        out: &mut Vec<u8>,
        writer: &mut Writer<'_>,
        params: &[Value],
    ) -> Result<Option<u64>, ODataError> {
        let item = self.item;
        let limit = item.top.unwrap_or(u64::MAX).min(PAGE);
        let mut paged = params.to_vec();
        paged.push(Value::Integer(to_i64(limit + 1)));
        paged.push(Value::Integer(to_i64(item.skip)));
        out.push(b'[');
        let mut written = 0u64;
        let mut more = false;
        let conn = writer.conn;
        conn.rows(&self.rows, &paged, |related| {
            if written == limit {
                // A next link only while `$top` wants more.
                more = item.top.is_none_or(|top| top > limit);
                return Ok(false);
            }
            if written > 0 {
                out.push(b',');
            }
            self.level.entity(out, writer, related)?;
            written += 1;
            Ok(true)
        })?;
        out.push(b']');
        Ok(more.then_some(written))
    }
}

/// `"name":`, after a comma unless it is the first member.
fn member(out: &mut Vec<u8>, comma: &mut bool, name: &str) {
    if std::mem::replace(comma, true) {
        out.push(b',');
    }
    push_json_str(out, name);
    out.push(b':');
}

/// A key value as a URL literal: strings quoted (a quote doubled) and
/// percent-encoded, GUIDs, dates and numbers bare.
fn literal(ty: &LogicalType, value: ValueRef<'_>) -> String {
    match (ty, value) {
        (_, ValueRef::Null) => "null".to_owned(),
        (LogicalType::Boolean, ValueRef::Integer(n)) => (n != 0).to_string(),
        (_, ValueRef::Integer(n)) => n.to_string(),
        (_, ValueRef::Real(x)) => x.to_string(),
        (
            LogicalType::String(_) | LogicalType::LargeString | LogicalType::Json,
            ValueRef::Text(t) | ValueRef::Blob(t),
        ) => {
            let text = String::from_utf8_lossy(t).replace('\'', "''");
            format!("'{}'", utf8_percent_encode(&text, NON_ALPHANUMERIC))
        }
        (_, ValueRef::Text(t) | ValueRef::Blob(t)) => String::from_utf8_lossy(t).into_owned(),
    }
}
