//! Turns one root record into the rows of every entity of a model: its own row, then
//! each child's, depth first, with the parent's key and the child's position filled
//! in. Values are borrowed from the record where they can be, so a row costs one
//! vector, not an allocation per field; a string that holds JSON is parsed once per
//! record, before its columns and children read it by reference.

use cai_bridge_model::{
    path, Entity, EntityKind, MapEntries, MemberValue, Model, Record as Layout, Role, Step,
};
use rusqlite::types::{ToSqlOutput, Value as Sql, ValueRef};
use serde_json_borrow::OwnedValue;

use super::{value, LoadError};
use crate::record::{borrowed_member, Cell, Member, Record};

/// One row of one entity, ready to bind to its upsert.
pub struct Row<'r, 'a> {
    /// The entity, with its index in `model.entities`.
    pub entity: (usize, &'r Entity),
    /// A value per field of the entity, in field order (as the upsert binds them).
    pub values: &'r [ToSqlOutput<'a>],
    /// The row's position in its parent's array (`None` for the root).
    pub position: Option<i64>,
}

/// Walks records of one model; knows where every child array is in its parent.
pub struct Walker<'m> {
    model: &'m Model,
    /// Per entity, per child slot, the steps from the entity's record to the array.
    child_paths: Vec<Vec<Vec<Step>>>,
    /// Per entity, the steps to each string its columns and children read JSON
    /// from (each ending in `Step::Json`), shorter first: a string inside JSON text
    /// is reached through the parse of the text around it.
    embedded: Vec<Vec<Vec<Step>>>,
}

impl<'m> Walker<'m> {
    /// Prepares the walk of `model`'s records.
    pub fn new(model: &'m Model) -> Self {
        let child_paths: Vec<_> = model.entities.iter().map(child_paths).collect();
        let embedded = model
            .entities
            .iter()
            .zip(&child_paths)
            .map(|(entity, children)| embedded_paths(entity, children))
            .collect();
        Walker {
            model,
            child_paths,
            embedded,
        }
    }

    /// The model walked.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// Calls `visit` on the row of `record` (a root record) and on each row of its
    /// descendants, parents before children. Stops at the first error: a value its
    /// column cannot take or a missing key (naming the record's key and the field),
    /// or whatever `visit` returns. Returns the rows visited.
    pub fn walk(
        &self,
        record: &dyn Record,
        visit: &mut dyn FnMut(Row<'_, '_>) -> Result<(), LoadError>,
    ) -> Result<u64, LoadError> {
        self.row(0, record, &[], (None, None), visit)
    }

    /// Parses the strings that hold JSON in `record` (an `index` entity's), once
    /// each; a string that does not parse keeps its error for whatever reads it.
    fn parse_embedded<'w>(&'w self, index: usize, record: &dyn Record) -> Vec<Parsed<'w>> {
        let mut parsed: Vec<Parsed<'w>> = Vec::with_capacity(self.embedded[index].len());
        for path in &self.embedded[index] {
            let value = match resolve(record, &path[..path.len() - 1], &parsed) {
                Ok(Member::Cell(Cell::Text(text))) => OwnedValue::from_str(text)
                    .map(Some)
                    .map_err(|e| format!("does not hold JSON: {e}")),
                Ok(Member::Cell(Cell::Null)) => Ok(None),
                Ok(_) => Err("expected JSON text".to_owned()),
                Err(message) => Err(message),
            };
            parsed.push(Parsed { path, value });
        }
        parsed
    }

    /// The rows of `record` and its descendants; `place` is its map key (for a map
    /// child) and its position in its array.
    fn row(
        &self,
        index: usize,
        record: &dyn Record,
        parent_key: &[Sql],
        place: (Option<&str>, Option<i64>),
        visit: &mut dyn FnMut(Row<'_, '_>) -> Result<(), LoadError>,
    ) -> Result<u64, LoadError> {
        let (map_key, position) = place;
        let entity = &self.model.entities[index];
        let parsed = self.parse_embedded(index, record);
        let mut values: Vec<ToSqlOutput<'_>> = Vec::with_capacity(entity.fields.len());
        let mut parent_keys = parent_key.iter();
        let mut problem = None;
        for field in &entity.fields {
            let converted = match field.role {
                // Borrowed, not cloned: the parent's key is bound once per child row.
                Role::ParentKey => Ok(ToSqlOutput::Borrowed(
                    parent_keys.next().map_or(ValueRef::Null, ValueRef::from),
                )),
                Role::Position => Ok(ToSqlOutput::Owned(position.map_or(Sql::Null, Sql::Integer))),
                Role::Value => value::to_sql(&record.cell(), &field.ty),
                Role::MapKey => Ok(ToSqlOutput::Borrowed(
                    map_key.map_or(ValueRef::Null, |k| ValueRef::Text(k.as_bytes())),
                )),
                Role::Data | Role::RawJson => match resolve(record, &field.source, &parsed) {
                    Ok(Member::Cell(cell)) => value::to_sql(&cell, &field.ty),
                    Ok(Member::Record(nested)) => match nested.json_text() {
                        Some(text) => value::json_to_sql(text, "an object", &field.ty),
                        None => Err("expected a value, found an object".to_owned()),
                    },
                    // An array in a JSON column (recursive data, say) is kept as
                    // JSON text, as an object there is.
                    Ok(Member::List(items)) => match json_array(&items) {
                        Some(text) => value::json_to_sql(text, "an array", &field.ty),
                        None => Err("expected a value, found an array".to_owned()),
                    },
                    Err(message) => Err(message),
                },
            };
            let value = converted.unwrap_or_else(|message| {
                problem
                    .get_or_insert((field_path(field.role, &field.source, &field.name), message));
                ToSqlOutput::Owned(Sql::Null)
            });
            let null = matches!(
                value,
                ToSqlOutput::Owned(Sql::Null) | ToSqlOutput::Borrowed(ValueRef::Null)
            );
            if null && (field.key || field.not_null) && problem.is_none() {
                let what = if field.key { "key" } else { "required field" };
                problem = Some((
                    field_path(field.role, &field.source, &field.name),
                    format!("the {what} is missing or null"),
                ));
            }
            values.push(value);
        }
        if let Some((field, message)) = problem {
            return Err(LoadError::Record {
                entity: entity.name.clone(),
                key: describe_key(entity, &values, position),
                field,
                message,
            });
        }
        visit(Row {
            entity: (index, entity),
            values: &values,
            position,
        })?;
        let mut rows = 1;
        if entity.children.is_empty() {
            // A leaf (most rows): no key of its own to hand down, none to copy.
            return Ok(rows);
        }

        let own_key: Vec<Sql> = entity
            .fields
            .iter()
            .zip(&values)
            .filter(|(f, _)| f.key)
            .map(|(_, v)| bound_value(v))
            .collect();
        for (slot, child) in entity.children.iter().enumerate() {
            // An extension holds more columns of this very record, in one row.
            if self.model.entities[child.entity].kind == EntityKind::Extension {
                rows += self.row(child.entity, record, &own_key, (None, None), visit)?;
                continue;
            }
            let path = &self.child_paths[index][slot];
            let failure = |message: String| LoadError::Record {
                entity: entity.name.clone(),
                key: describe_key(entity, &values, position),
                field: path_of(path),
                message,
            };
            if let Some(entries) = self.model.entities[child.entity].map {
                let found = resolve(record, path, &parsed).map_err(failure)?;
                rows += self
                    .map_rows(child.entity, entries, found, &own_key, visit)
                    .map_err(|e| match e {
                        MapError::Shape(message) => failure(message),
                        MapError::Load(e) => e,
                    })?;
                continue;
            }
            // Items borrowed from the record, or from JSON parsed out of one of its strings.
            let items: Vec<&dyn Record> = match resolve(record, path, &parsed).map_err(failure)? {
                Member::List(items) => items,
                Member::Cell(Cell::Null) => Vec::new(),
                _ => return Err(failure("expected an array".to_owned())),
            };
            for (i, item) in items.into_iter().enumerate() {
                rows += self.row(child.entity, item, &own_key, (None, Some(i as i64)), visit)?;
            }
        }
        Ok(rows)
    }
}

/// Why the rows of a map could not be walked.
enum MapError {
    /// The data is not the map (or a value not the array) the model says.
    Shape(String),
    /// A row of it failed.
    Load(LoadError),
}

impl Walker<'_> {
    /// The rows of a map child: one per entry, or per item of each entry's array.
    fn map_rows(
        &self,
        index: usize,
        entries: MapEntries,
        found: Member<'_>,
        parent_key: &[Sql],
        visit: &mut dyn FnMut(Row<'_, '_>) -> Result<(), LoadError>,
    ) -> Result<u64, MapError> {
        let expected = || MapError::Shape("expected an object (a map)".to_owned());
        let map = match &found {
            Member::Record(map) => map.entries().ok_or_else(expected)?,
            Member::Cell(Cell::Null) => Vec::new(),
            // An empty map written as `[]`, as CAI's own sample payload prints `entities`
            // (and PHP's json_encode writes every empty object).
            Member::List(items) if items.is_empty() => Vec::new(),
            _ => return Err(expected()),
        };
        let mut rows = 0;
        for (key, value) in map {
            match entries {
                MapEntries::Values => {
                    rows += self
                        .row(index, value, parent_key, (Some(key), None), visit)
                        .map_err(MapError::Load)?;
                }
                MapEntries::Arrays => {
                    let items = match value.items() {
                        Some(items) => items,
                        None if value.cell() == Cell::Null => Vec::new(),
                        None => {
                            return Err(MapError::Shape(format!("expected an array under `{key}`")))
                        }
                    };
                    for (i, item) in items.into_iter().enumerate() {
                        rows += self
                            .row(index, item, parent_key, (Some(key), Some(i as i64)), visit)
                            .map_err(MapError::Load)?;
                    }
                }
            }
        }
        Ok(rows)
    }
}

fn child_paths(entity: &Entity) -> Vec<Vec<Step>> {
    let mut paths = vec![Vec::new(); entity.children.len()];
    walk_layout(&entity.layout, &mut Vec::new(), &mut paths);
    paths
}

fn walk_layout(record: &Layout, prefix: &mut Vec<Step>, paths: &mut [Vec<Step>]) {
    for member in &record.members {
        prefix.push(Step::Key(member.wire.clone()));
        visit_layout(&member.value, prefix, paths);
        prefix.pop();
    }
}

fn visit_layout(value: &MemberValue, prefix: &mut Vec<Step>, paths: &mut [Vec<Step>]) {
    match value {
        MemberValue::Column(_) | MemberValue::Extension { .. } => {}
        MemberValue::Object(record) => walk_layout(record, prefix, paths),
        MemberValue::Children(slot) => paths[*slot] = prefix.clone(),
        MemberValue::Embedded { inner, .. } => {
            prefix.push(Step::Json);
            visit_layout(inner, prefix, paths);
            prefix.pop();
        }
    }
}

/// The steps to every string that `entity`'s columns and `children` (its child
/// paths) read JSON from, each ending in `Step::Json`, shorter first.
fn embedded_paths(entity: &Entity, children: &[Vec<Step>]) -> Vec<Vec<Step>> {
    let sources = entity
        .fields
        .iter()
        .filter(|f| matches!(f.role, Role::Data | Role::RawJson))
        .map(|f| f.source.as_slice())
        .chain(children.iter().map(Vec::as_slice));
    let mut paths: Vec<Vec<Step>> = Vec::new();
    for steps in sources {
        for (i, step) in steps.iter().enumerate() {
            let at = &steps[..=i];
            if *step == Step::Json && !paths.iter().any(|p| p.as_slice() == at) {
                paths.push(at.to_vec());
            }
        }
    }
    paths.sort_by_key(Vec::len);
    paths
}

/// The JSON a string of a record holds, by the steps to it: the parse, `None` for a
/// null or missing string, or what is wrong with it.
struct Parsed<'w> {
    path: &'w [Step],
    value: Result<Option<OwnedValue>, String>,
}

/// Follows `steps` into `record`; a `Step::Json` goes on in the string's parse,
/// which `parsed` holds (see [`Walker::parse_embedded`]).
fn resolve<'a>(
    record: &'a dyn Record,
    steps: &[Step],
    parsed: &'a [Parsed<'_>],
) -> Result<Member<'a>, String> {
    let mut current = Member::Record(record);
    for (i, step) in steps.iter().enumerate() {
        current = match (step, current) {
            (Step::Key(key), Member::Record(r)) => r.member(key),
            (Step::Key(_), found @ Member::Cell(Cell::Null)) => found,
            (Step::Key(_), _) => return Err("expected an object".to_owned()),
            (Step::Json, _) => {
                let at = &steps[..=i];
                match parsed.iter().find(|p| p.path == at).map(|p| &p.value) {
                    Some(Ok(Some(json))) => borrowed_member(json.get_value()),
                    Some(Ok(None)) => Member::Cell(Cell::Null),
                    Some(Err(message)) => return Err(message.clone()),
                    // Every path to JSON text is parsed before the columns are read.
                    None => return Err("expected JSON text".to_owned()),
                }
            }
        };
    }
    Ok(current)
}

/// The value a bound parameter holds, owned (to keep or compare a row's values).
pub fn bound_value(value: &ToSqlOutput<'_>) -> Sql {
    value_ref(value).into()
}

/// The value a bound parameter holds, by reference.
pub(super) fn value_ref<'v>(value: &'v ToSqlOutput<'_>) -> ValueRef<'v> {
    match value {
        ToSqlOutput::Borrowed(v) => *v,
        ToSqlOutput::Owned(v) => v.into(),
        _ => ValueRef::Null,
    }
}

fn field_path(role: Role, source: &[Step], name: &str) -> String {
    if matches!(role, Role::Data | Role::RawJson) {
        path_of(source)
    } else {
        name.to_owned()
    }
}

/// The items of a list member as the text of one JSON array, when every item is JSON.
fn json_array(items: &[&dyn Record]) -> Option<String> {
    let mut text = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&item.json_text()?);
    }
    text.push(']');
    Some(text)
}

fn path_of(steps: &[Step]) -> String {
    path::of_steps("", steps)
}

fn describe_key(entity: &Entity, values: &[ToSqlOutput<'_>], position: Option<i64>) -> String {
    let parts: Vec<String> = entity
        .fields
        .iter()
        .zip(values)
        .filter(|(f, _)| f.key)
        .map(|(f, v)| match bound_value(v) {
            Sql::Text(t) => format!("{}={t}", f.name),
            Sql::Integer(n) => format!("{}={n}", f.name),
            Sql::Null => format!("{}=?", f.name),
            other => format!("{}={other:?}", f.name),
        })
        .collect();
    match position {
        Some(p) if parts.is_empty() => format!("#{p}"),
        _ => format!("({})", parts.join(", ")),
    }
}
