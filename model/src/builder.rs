//! From a record's shape to the model: entities, columns, keys, compositions, names.
//!
//! Rules (see the architecture notes): nested objects flatten into prefixed columns;
//! arrays of objects become child entities keyed by the parent key plus a natural
//! key (or the position when none exists); arrays of scalars become (parent key,
//! position, value) entities; strings that always hold JSON keep their raw text and
//! are parsed and mapped like nested data; maps (objects whose keys are data, see
//! [`crate::map`]) become child entities keyed by the parent key plus the map key
//! (and, for a map of arrays, the item's position). Structural names (associations, foreign
//! keys, positions) are claimed before data names, so a data field yields to them.

use crate::config::{Config, DEFAULT_NAMESPACE, DEFAULT_SERVICE};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::naming::{self, Scope};
use crate::shape::{IntWidth, Kind, Node, Object, Text, TextFormat};
use crate::{
    key, map, path, Child, Entity, EntityKind, EnumCandidate, Fact, FactColumn, FactSource,
    FactTop, Field, ForeignKey, LogicalType, MapEntries, Member, MemberValue, Model, Parent,
    Record, Rename, RenameReason, Role, Service, Source, Step,
};

/// Type names the generated Rust file uses unqualified (prelude and imports), which
/// no generated struct may take.
const RUST_RESERVED_TYPES: &[&str] = &[
    "Box",
    "Bridge",
    "Deserialize",
    "Map",
    "Option",
    "Result",
    "Serialize",
    "String",
    "Value",
    "Vec",
];

/// The most columns a table or view may have: SQLite's default `SQLITE_MAX_COLUMN`.
pub const MAX_COLUMNS: usize = 2000;

/// The most columns the builder puts into one table: SAP HANA's limit per table,
/// where CAP deploys the same CDS in production (SQLite's is [`MAX_COLUMNS`]). The
/// data columns of a wider entity past it go to 1:1 extension entities with the same
/// key, which SAC reads as entity sets of their own (a JSON text column of the rest
/// would hide them from every query).
pub const TABLE_COLUMNS: usize = 1000;

/// The name of the generated position column.
pub const POSITION: &str = "position";
/// The name of the generated value column of scalar-array entities.
pub const VALUE: &str = "value";
/// The name of the generated map-key column of map entities.
pub const MAP_KEY: &str = "key";

/// Builds the model for the records whose shape is `record`.
///
/// `declared` says whether the shape comes from a spec: only then does `required`
/// mean `not null` (a sample that always had a value proves nothing).
pub fn build(
    record: &Node,
    source: Source,
    config: &Config,
    declared: bool,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let records_path = if source.records.is_empty() {
        "$".to_owned()
    } else {
        path::of_keys(&source.records)
    };
    let Kind::Object(object) = &record.kind else {
        diags.push(
            Diagnostic::error(
                Location::path(config.file.as_deref(), path::item(&records_path)),
                format!(
                    "the records at {records_path} are {}, not objects",
                    crate::shape::kind_name(&record.kind)
                ),
            )
            .with_hint("point `records` in bridge.toml at an array of objects"),
        );
        return None;
    };
    let mut rust_types = Scope::default();
    for imported in RUST_RESERVED_TYPES {
        rust_types.claim(imported);
    }
    let mut builder = Builder {
        config,
        declared,
        entities: Vec::new(),
        entity_names: Scope::default(),
        rust_types,
        renames: Vec::new(),
        enum_candidates: Vec::new(),
        diags,
    };
    let wire = source.records.last().map_or("records", String::as_str);
    builder.entity(
        wire,
        path::item(&records_path),
        record,
        object,
        None,
        (EntityKind::Root, None),
    )?;
    let fact = builder.fact();
    // SQLite refuses a table or view of more columns than it allows (2,000 by
    // default); DDL it would refuse is never written.
    let widest = builder
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.path.as_str(), e.fields.len()))
        .chain(
            fact.iter()
                .map(|f| (f.name.as_str(), records_path.as_str(), f.columns.len())),
        )
        .filter(|(_, _, columns)| *columns > MAX_COLUMNS)
        .map(|(name, at, columns)| {
            Diagnostic::error(
                Location::path(config.file.as_deref(), at),
                format!("{name} would have {columns} columns; SQLite takes at most {MAX_COLUMNS}"),
            )
            .with_hint("leave fields out with `exclude = [...]` in bridge.toml (data paths), or keep a wide object as JSON text by excluding its members")
        })
        .collect::<Vec<_>>();
    if !widest.is_empty() {
        for diagnostic in widest {
            builder.diags.push(diagnostic);
        }
        return None;
    }
    let mut source = source;
    source.rust_names = (0..source.records.len())
        .map(|level| {
            let name = source.records[..level]
                .iter()
                .map(|k| naming::camel(k))
                .collect::<String>();
            builder.rust_types.claim(&format!("Response{name}"))
        })
        .collect();
    let namespace = config
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let service_name = config
        .service
        .clone()
        .unwrap_or_else(|| DEFAULT_SERVICE.to_owned());
    let default_path = default_service_path(&service_name);
    let path = config.path.clone().unwrap_or_else(|| default_path.clone());
    Some(Model {
        namespace,
        service: Service {
            explicit_path: path != default_path,
            name: service_name,
            path,
        },
        source,
        entities: builder.entities,
        fact,
        renames: builder.renames,
        enum_candidates: builder.enum_candidates,
    })
}

/// CAP's default OData V4 path for a service: the name without a `Service` suffix,
/// kebab-cased, under `/odata/v4/` (`CatalogService` → `/odata/v4/catalog`).
pub fn default_service_path(service: &str) -> String {
    let base = service.rsplit('.').next().unwrap_or(service);
    let base = base
        .strip_suffix("Service")
        .filter(|b| !b.is_empty())
        .unwrap_or(base);
    let mut kebab = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                kebab.push('-');
            }
            kebab.push(c.to_ascii_lowercase());
        } else {
            kebab.push(c);
        }
    }
    format!("/odata/v4/{kebab}")
}

struct Builder<'a> {
    config: &'a Config,
    declared: bool,
    entities: Vec<Entity>,
    entity_names: Scope,
    rust_types: Scope,
    renames: Vec<Rename>,
    enum_candidates: Vec<EnumCandidate>,
    diags: &'a mut Diagnostics,
}

/// A parent key as a child sees it.
struct ParentKey {
    name: String,
    ty: LogicalType,
    cds_path: String,
}

/// An array found while flattening, turned into an entity once the keys are known.
struct PendingChild {
    slot: usize,
    declared: bool,
    wire: String,
    path: String,
    items: Node,
    map: Option<MapEntries>,
}

/// The entity being built.
struct Draft {
    columns: Scope,
    fields: Vec<Field>,
    children: Vec<Child>,
    pending: Vec<PendingChild>,
}

impl Builder<'_> {
    /// Adds the entity for records of shape `node` (an object or, for `Scalars`, a
    /// scalar), items of an array or entries of a map (`kind.1`), then its children.
    /// Returns its index.
    fn entity(
        &mut self,
        wire: &str,
        path: String,
        node: &Node,
        object: &Object,
        parent: Option<usize>,
        (kind, map): (EntityKind, Option<MapEntries>),
    ) -> Option<usize> {
        let entity_config = self.config.entities.get(&path);
        // bridge.toml wins over what a derive declared with the shape.
        let hint = object.entity.clone().unwrap_or_default();
        let configured_name = entity_config.and_then(|c| c.name.clone()).or(hint.name);
        let configured_key = entity_config.and_then(|c| c.key.clone()).or(hint.key);
        let name = self.entity_name(wire, &path, parent, configured_name);
        let rust_name = self.rust_types.claim(&naming::singular(&name));
        let index = self.entities.len();
        self.entities.push(Entity {
            name: name.clone(),
            rust_name: rust_name.clone(),
            path: path.clone(),
            kind,
            parent: None,
            fields: Vec::new(),
            layout: Record::default(),
            children: Vec::new(),
            map,
            // Every entity and member has a doc, so the Rust structs carry it and a
            // derive over them reads back the very same model.
            doc: Some(
                node.doc
                    .clone()
                    .unwrap_or_else(|| format!("A record of `{path}`.")),
            ),
        });

        let mut draft = Draft {
            columns: Scope::default(),
            fields: Vec::new(),
            children: Vec::new(),
            pending: Vec::new(),
        };
        // Structural names first: the data yields to them, never the other way round,
        // because CAP derives them and we cannot choose.
        let parent_link = parent.map(|p| self.parent_link(p, &mut draft));
        if let Some(link) = &parent_link {
            draft.fields.extend(foreign_key_fields(link));
        }

        if map.is_some() {
            let key = draft.columns.claim(MAP_KEY);
            draft.fields.push(Field {
                name: key.clone(),
                rust_name: naming::snake(&key),
                source: Vec::new(),
                ty: LogicalType::String(None),
                key: true,
                not_null: true,
                role: Role::MapKey,
                enum_values: None,
                doc: Some("The entry's key in its map".into()),
            });
        }
        let natural = match kind {
            EntityKind::Scalars => None,
            // An entry's value is identified by its key alone.
            _ if map == Some(MapEntries::Values) => Some(Vec::new()),
            _ => self.natural_key(
                &path,
                object,
                configured_key.as_ref(),
                kind == EntityKind::Root,
            ),
        };
        if kind == EntityKind::Root && natural.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Location::path(self.config.file.as_deref(), path.clone()),
                    format!(
                        "the records at {path} have no key: none of {} is a scalar field of theirs, and bridge.toml names none",
                        key::candidates(wire)
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_hint(format!(
                    "add `[entities.\"{path}\"]` with `key = [\"<field>\"]` to bridge.toml; its scalar fields are {}",
                    scalar_fields(object)
                )),
            );
            return None;
        }
        if natural.is_none() && map != Some(MapEntries::Values) {
            let position = draft.columns.claim(POSITION);
            draft.fields.push(Field {
                name: position.clone(),
                rust_name: naming::snake(&position),
                source: Vec::new(),
                ty: LogicalType::Integer,
                key: true,
                not_null: true,
                role: Role::Position,
                enum_values: None,
                doc: Some("Position of the item in its array (0 = first)".into()),
            });
        }

        let layout = if kind == EntityKind::Scalars {
            let value = draft.columns.claim(VALUE);
            let (ty, enum_values) = self.scalar_type(node, &path);
            draft.fields.push(Field {
                name: value.clone(),
                rust_name: naming::snake(&value),
                source: Vec::new(),
                ty,
                key: false,
                not_null: false,
                role: Role::Value,
                enum_values,
                doc: node.doc.clone(),
            });
            Record {
                rust_name: rust_name.clone(),
                members: Vec::new(),
            }
        } else {
            let keys = natural.unwrap_or_default();
            self.flatten(&mut draft, object, &[], "", &path, false, &keys, &rust_name)
        };

        self.entities[index].parent = parent_link;
        self.entities[index].fields = std::mem::take(&mut draft.fields);
        self.entities[index].layout = layout;
        self.split_wide(index, &mut draft);

        for pending in std::mem::take(&mut draft.pending) {
            let (items_object, child_kind) = match &pending.items.kind {
                Kind::Object(o) => (o.clone(), EntityKind::Objects),
                _ => (Object::default(), EntityKind::Scalars),
            };
            let declared = std::mem::replace(&mut self.declared, pending.declared);
            let child = self.entity(
                &pending.wire,
                pending.path,
                &pending.items,
                &items_object,
                Some(index),
                (child_kind, pending.map),
            );
            self.declared = declared;
            let child = child?;
            draft.children[pending.slot].entity = child;
        }
        self.entities[index].children = draft.children;
        Some(index)
    }

    /// Moves the data columns of entity `index` past [`TABLE_COLUMNS`] into 1:1
    /// extension entities (`<Name>Part2`, `<Name>Part3`, …), each keyed by the
    /// entity's key, and points its layout at them. Keys, positions and raw JSON stay.
    fn split_wide(&mut self, index: usize, draft: &mut Draft) {
        let entity = &self.entities[index];
        let total = entity.fields.len();
        let movable: Vec<usize> = (0..total)
            .filter(|&i| entity.fields[i].role == Role::Data && !entity.fields[i].key)
            .collect();
        let fixed = total - movable.len();
        let key_count = entity.keys().count();
        // An entity whose fixed columns alone fill a table cannot be split; the
        // column check after building reports it.
        if total <= TABLE_COLUMNS || fixed >= TABLE_COLUMNS || key_count >= TABLE_COLUMNS {
            return;
        }
        let kept = TABLE_COLUMNS - fixed;
        let name = entity.name.clone();
        let path = entity.path.clone();
        let chunks: Vec<&[usize]> = movable[kept..].chunks(TABLE_COLUMNS - key_count).collect();
        // The links first: they read the entity's keys, before its columns move.
        let mut parts = Vec::new();
        for part in 0..chunks.len() {
            let mut part_draft = Draft {
                columns: Scope::default(),
                fields: Vec::new(),
                children: Vec::new(),
                pending: Vec::new(),
            };
            let part_name = self.entity_names.claim(&format!("{name}Part{}", part + 2));
            let slot = draft.children.len();
            draft.children.push(Child {
                entity: self.entities.len() + part,
                composition: draft.columns.claim(&format!("part{}", part + 2)),
            });
            let link = self.parent_link(index, &mut part_draft);
            part_draft.fields.extend(foreign_key_fields(&link));
            parts.push((part_name, link, slot, part_draft));
        }
        let mut fields: Vec<Option<Field>> = std::mem::take(&mut self.entities[index].fields)
            .into_iter()
            .map(Some)
            .collect();
        // Where each old column went: the entity itself or (slot, column) of a part.
        let mut moved: Vec<Option<(usize, usize)>> = vec![None; total];
        for ((_, _, slot, part_draft), chunk) in parts.iter_mut().zip(&chunks) {
            for &old in *chunk {
                let mut field = fields[old].take().expect("each column moves once");
                field.name = part_draft.columns.claim(&field.name);
                field.rust_name = naming::snake(&field.name);
                moved[old] = Some((*slot, part_draft.fields.len()));
                part_draft.fields.push(field);
            }
        }
        // Index renumbering: what stays keeps its order.
        let mut renumbered = vec![usize::MAX; total];
        let mut staying = Vec::new();
        for (old, field) in fields.into_iter().enumerate() {
            if let Some(field) = field {
                renumbered[old] = staying.len();
                staying.push(field);
            }
        }
        let mut layout = std::mem::take(&mut self.entities[index].layout);
        relocate(&mut layout, &renumbered, &moved);
        self.entities[index].fields = staying;
        self.entities[index].layout = layout;
        let names: Vec<String> = parts.iter().map(|(n, ..)| format!("`{n}`")).collect();
        self.diags.push(
            Diagnostic::warning(
                Location::path(self.config.file.as_deref(), path.clone()),
                format!(
                    "{name} would have {total} columns, more than the {TABLE_COLUMNS} a table takes in SAP HANA (SQLite: {MAX_COLUMNS}); its columns past the first {TABLE_COLUMNS} are in {}, 1:1 by its key",
                    names.join(", ")
                ),
            )
            .with_hint("SAC reads each part as an entity set of its own; leave fields out with `exclude = [...]` in bridge.toml to keep one table"),
        );
        for (part_name, link, _, part_draft) in parts {
            let rust_name = self.rust_types.claim(&naming::singular(&part_name));
            self.entities.push(Entity {
                doc: Some(format!(
                    "More columns of `{name}`, one row per record of it, by its key."
                )),
                name: part_name,
                rust_name: rust_name.clone(),
                path: path.clone(),
                kind: EntityKind::Extension,
                parent: Some(link),
                fields: part_draft.fields,
                layout: Record {
                    rust_name,
                    members: Vec::new(),
                },
                children: Vec::new(),
                map: None,
            });
        }
    }

    fn entity_name(
        &mut self,
        wire: &str,
        path: &str,
        parent: Option<usize>,
        configured: Option<String>,
    ) -> String {
        let plain = naming::plural(&naming::camel(wire));
        let reason = if configured.is_some() {
            RenameReason::Configured
        } else {
            RenameReason::Collision
        };
        let wanted = match (configured, parent) {
            (Some(name), _) => name,
            (None, Some(p)) if self.entity_names.contains(&plain) => {
                format!("{}{plain}", naming::singular(&self.entities[p].name))
            }
            (None, _) => plain.clone(),
        };
        let name = self.entity_names.claim(&wanted);
        if name != plain {
            self.rename(path, &plain, &name, reason);
        }
        name
    }

    /// The association back to the parent and its foreign keys, claimed in `draft`.
    fn parent_link(&mut self, parent: usize, draft: &mut Draft) -> Parent {
        let parent_entity = &self.entities[parent];
        let association = draft
            .columns
            .claim(&naming::snake(&naming::singular(&parent_entity.name)));
        let parent_keys: Vec<ParentKey> = parent_entity
            .keys()
            .map(|key| ParentKey {
                name: key.name.clone(),
                ty: key.ty.clone(),
                cds_path: match key.role {
                    Role::ParentKey => parent_entity
                        .parent
                        .as_ref()
                        .and_then(|p| p.foreign_keys.iter().find(|fk| fk.column == key.name))
                        .map_or_else(|| key.name.clone(), |fk| fk.cds_path.clone()),
                    _ => key.name.clone(),
                },
            })
            .collect();
        let foreign_keys = parent_keys
            .into_iter()
            .map(|key| ForeignKey {
                column: draft.columns.claim(&format!("{association}_{}", key.name)),
                references: key.name,
                cds_path: format!("{association}.{}", key.cds_path),
                ty: key.ty,
            })
            .collect();
        Parent {
            entity: parent,
            association,
            foreign_keys,
        }
    }

    /// The natural key's wire names: configured, else `id` or `<singular>_id` when it
    /// is a plain scalar the records always have.
    fn natural_key(
        &mut self,
        path: &str,
        object: &Object,
        configured: Option<&Vec<String>>,
        root: bool,
    ) -> Option<Vec<String>> {
        if let Some(keys) = configured {
            let mut ok = true;
            for key in keys {
                if !object.fields.get(key).is_some_and(|f| is_scalar(&f.node)) {
                    ok = false;
                    self.diags.push(
                        Diagnostic::error(
                            Location::path(self.config.file.as_deref(), path::member(path, key)),
                            format!(
                                "key field `{key}` is not a scalar field of the records at {path}"
                            ),
                        )
                        .with_hint(format!(
                            "fields there: {}",
                            object.fields.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
            return ok.then(|| keys.clone());
        }
        let entity_wire = path
            .trim_end_matches(path::ITEM)
            .rsplit('.')
            .next()
            .unwrap_or("");
        let scalar = |candidate: &String| {
            object
                .fields
                .get(candidate)
                .filter(|f| is_scalar(&f.node))
                .map(|f| (candidate.clone(), f.required && !f.node.nullable))
        };
        let candidates = key::candidates(entity_wire);
        // Always present: the key a person would take.
        if let Some((key, _)) = candidates
            .iter()
            .filter_map(scalar)
            .find(|(_, present)| *present)
        {
            return Some(vec![key]);
        }
        // Real specs seldom list `id` under `required`. Records need a key, and a child
        // has its position to fall back on, a root nothing: there it is the key all the
        // same, and a record without it is refused.
        let (key, _) = candidates
            .iter()
            .filter_map(scalar)
            .next()
            .filter(|_| root)?;
        self.diags.push(
            Diagnostic::warning(
                Location::path(self.config.file.as_deref(), path::member(path, &key)),
                format!(
                    "the records at {path} declare no key; `{key}` identifies them, though the spec leaves it optional: a record without it is refused"
                ),
            )
            .with_hint(format!(
                "mark `{key}` required in the spec, or name the key with `[entities.\"{path}\"] key = [...]` in bridge.toml"
            )),
        );
        Some(vec![key])
    }

    /// Maps an object's members to columns (flattening nested objects) and records
    /// arrays as pending children.
    #[allow(clippy::too_many_arguments)]
    fn flatten(
        &mut self,
        draft: &mut Draft,
        object: &Object,
        steps: &[Step],
        prefix: &str,
        path: &str,
        optional_ancestor: bool,
        keys: &[String],
        rust_name: &str,
    ) -> Record {
        let mut members = Vec::new();
        let mut rust_fields = Scope::default();
        for (wire, field) in &object.fields {
            let member_path = path::member(path, wire);
            if self.config.exclude.iter().any(|e| e == &member_path) {
                continue;
            }
            let node = &field.node;
            let doc = Some(
                node.doc
                    .clone()
                    .unwrap_or_else(|| format!("The `{wire}` member.")),
            );
            let optional = !field.required;
            let is_key = steps.is_empty() && keys.contains(wire);
            let mut member_steps = steps.to_vec();
            member_steps.push(Step::Key(wire.clone()));
            let plain = naming::identifier(wire);
            let base = match self
                .config
                .rename
                .get(&member_path)
                .or(field.column.as_ref())
            {
                Some(renamed) => renamed.clone(),
                None if prefix.is_empty() => plain.clone(),
                None => format!("{prefix}_{plain}"),
            };
            let loose = optional_ancestor || optional || node.nullable;
            let column_meta = ColumnMeta {
                path: &member_path,
                wire,
                plain: if prefix.is_empty() {
                    plain.clone()
                } else {
                    format!("{prefix}_{plain}")
                },
                key: is_key,
                not_null: is_key || (self.declared && !loose),
                doc: doc.clone(),
            };
            let map_entries = self.map_entries(&member_path, node);
            let value = match (&node.kind, map_entries) {
                (_, Some((entries, value))) => {
                    let composition = self.claim_column(draft, &base, &column_meta);
                    self.pending_map(draft, wire, composition, &member_path, entries, value)
                }
                (Kind::Object(inner), None) if !inner.fields.is_empty() => {
                    let nested = format!("{rust_name}{}", naming::camel(wire));
                    let nested = self.rust_types.claim(&nested);
                    MemberValue::Object(self.flatten(
                        draft,
                        inner,
                        &member_steps,
                        &base,
                        &member_path,
                        loose,
                        keys,
                        &nested,
                    ))
                }
                (Kind::Array(items), None) if is_child_items(items) => {
                    let composition = self.claim_column(draft, &base, &column_meta);
                    self.pending_child(draft, wire, composition, &member_path, items)
                }
                (Kind::String(text), None) if embedded_json(text).is_some() => {
                    let inner = embedded_json(text).cloned().unwrap_or_default();
                    let raw = self.column(
                        draft,
                        &base,
                        &column_meta,
                        member_steps.clone(),
                        LogicalType::LargeString,
                        Role::RawJson,
                        None,
                    );
                    let mut inner_steps = member_steps.clone();
                    inner_steps.push(Step::Json);
                    // What is inside embedded JSON only samples can tell.
                    let declared = std::mem::replace(&mut self.declared, false);
                    let inner_value = match &inner.kind {
                        Kind::Object(o) if !o.fields.is_empty() => {
                            let nested = self
                                .rust_types
                                .claim(&format!("{rust_name}{}", naming::camel(wire)));
                            Some(MemberValue::Object(self.flatten(
                                draft,
                                o,
                                &inner_steps,
                                &base,
                                &path::json(&member_path),
                                true,
                                keys,
                                &nested,
                            )))
                        }
                        Kind::Array(items) if is_child_items(items) => {
                            let composition_meta = ColumnMeta {
                                plain: format!("{base}_items"),
                                ..column_meta.clone()
                            };
                            let composition = self.claim_column(
                                draft,
                                &format!("{base}_items"),
                                &composition_meta,
                            );
                            Some(self.pending_child(draft, wire, composition, &member_path, items))
                        }
                        _ => None,
                    };
                    self.declared = declared;
                    match inner_value {
                        Some(inner) => MemberValue::Embedded {
                            raw,
                            inner: Box::new(inner),
                        },
                        None => MemberValue::Column(raw),
                    }
                }
                _ => {
                    let (ty, enum_values) = self.scalar_type(node, &member_path);
                    let role = Role::Data;
                    MemberValue::Column(self.column(
                        draft,
                        &base,
                        &column_meta,
                        member_steps.clone(),
                        ty,
                        role,
                        enum_values,
                    ))
                }
            };
            members.push(Member {
                wire: wire.clone(),
                rust_name: rust_fields.claim(&naming::snake(wire)),
                // A key is never optional, whatever the spec says (see `natural_key`).
                optional: optional && !is_key,
                nullable: node.nullable && !is_key,
                value,
                doc,
            });
        }
        Record {
            rust_name: rust_name.to_owned(),
            members,
        }
    }

    fn pending_child(
        &mut self,
        draft: &mut Draft,
        wire: &str,
        composition: String,
        member_path: &str,
        items: &Node,
    ) -> MemberValue {
        let slot = draft.children.len();
        draft.children.push(Child {
            entity: usize::MAX,
            composition,
        });
        draft.pending.push(PendingChild {
            slot,
            declared: self.declared,
            wire: wire.to_owned(),
            path: path::item(member_path),
            items: items.clone(),
            map: None,
        });
        MemberValue::Children(slot)
    }

    /// A map member as a pending child: one record per entry (or per item of each
    /// entry's array).
    fn pending_map(
        &mut self,
        draft: &mut Draft,
        wire: &str,
        composition: String,
        member_path: &str,
        entries: MapEntries,
        items: Node,
    ) -> MemberValue {
        let slot = draft.children.len();
        draft.children.push(Child {
            entity: usize::MAX,
            composition,
        });
        let path = match entries {
            MapEntries::Values => path::entry(member_path),
            MapEntries::Arrays => path::item(&path::entry(member_path)),
        };
        draft.pending.push(PendingChild {
            slot,
            declared: self.declared,
            wire: wire.to_owned(),
            path,
            items,
            map: Some(entries),
        });
        MemberValue::Children(slot)
    }

    /// Whether the member at `path` is a map, and the shape of its entries' records:
    /// bridge.toml `[maps]` decides, else the spec (`additionalProperties`), else for
    /// sampled objects the rules of [`crate::map`]. A map whose values are neither
    /// objects, scalars nor arrays of them stays JSON text.
    fn map_entries(&mut self, path: &str, node: &Node) -> Option<(MapEntries, Node)> {
        let forced = self.config.maps.get(path).copied();
        let value = match (&node.kind, forced) {
            (_, Some(false)) => return None,
            (Kind::Map(value), _) => (**value).clone(),
            (Kind::Object(object), Some(true)) => map::entries(object, path),
            (Kind::Object(object), None) if !self.declared => {
                let value = map::detect(object, path)?;
                self.diags.push(
                    Diagnostic::warning(
                        Location::path(self.config.file.as_deref(), path),
                        format!(
                            "the keys of {path} look like data, not fields ({} of them in the samples); it becomes a child entity with a `{MAP_KEY}` column",
                            object.fields.len()
                        ),
                    )
                    .with_hint(format!(
                        "to keep its members as columns, set `\"{path}\" = false` under `[maps]` in bridge.toml"
                    )),
                );
                value
            }
            (_, Some(true)) => {
                self.diags.push(
                    Diagnostic::warning(
                        Location::path(self.config.file.as_deref(), path),
                        format!(
                            "bridge.toml makes {path} a map, but it is {}, not an object",
                            crate::shape::kind_name(&node.kind)
                        ),
                    )
                    .with_hint(format!("remove `\"{path}\"` from `[maps]`")),
                );
                return None;
            }
            _ => return None,
        };
        match &value.kind {
            Kind::Array(items) if is_child_items(items) => {
                Some((MapEntries::Arrays, (**items).clone()))
            }
            _ if is_child_items(&value) => Some((MapEntries::Values, value)),
            _ => None,
        }
    }

    fn claim_column(&mut self, draft: &mut Draft, base: &str, meta: &ColumnMeta<'_>) -> String {
        let name = draft.columns.claim(base);
        if name != base {
            self.rename(meta.path, base, &name, RenameReason::Collision);
        } else if base != meta.plain {
            self.rename(meta.path, &meta.plain, &name, RenameReason::Configured);
        } else if naming::identifier(meta.wire) != meta.wire {
            self.rename(meta.path, meta.wire, &name, RenameReason::InvalidIdentifier);
        }
        name
    }

    #[allow(clippy::too_many_arguments)]
    fn column(
        &mut self,
        draft: &mut Draft,
        base: &str,
        meta: &ColumnMeta<'_>,
        source: Vec<Step>,
        ty: LogicalType,
        role: Role,
        enum_values: Option<Vec<String>>,
    ) -> usize {
        let name = self.claim_column(draft, base, meta);
        draft.fields.push(Field {
            rust_name: naming::snake(&name),
            name,
            source,
            ty,
            key: meta.key,
            not_null: meta.not_null,
            role,
            enum_values,
            doc: meta.doc.clone(),
        });
        draft.fields.len() - 1
    }

    /// The logical type of a scalar shape (and its declared enum values).
    fn scalar_type(&mut self, node: &Node, path: &str) -> (LogicalType, Option<Vec<String>>) {
        match &node.kind {
            Kind::Boolean => (LogicalType::Boolean, None),
            Kind::Integer(IntWidth::I32) => (LogicalType::Integer, None),
            Kind::Integer(IntWidth::I64) => (LogicalType::Integer64, None),
            Kind::Number => (LogicalType::Double, None),
            Kind::String(text) => {
                if text.enum_values.is_none() {
                    if let Some(values) = text.stats.enum_candidate() {
                        self.enum_candidates.push(EnumCandidate {
                            path: path.to_owned(),
                            values,
                        });
                    }
                }
                let ty = match text.format() {
                    Some(TextFormat::Timestamp) => LogicalType::Timestamp,
                    Some(TextFormat::Date) => LogicalType::Date,
                    Some(TextFormat::Uuid) => LogicalType::Uuid,
                    None if text.large => LogicalType::LargeString,
                    None => LogicalType::String(text.max_length),
                };
                (ty, text.enum_values.clone())
            }
            Kind::Unknown => {
                self.diags.push(
                    Diagnostic::warning(
                        Location::path(self.config.file.as_deref(), path),
                        format!("{path} is null in every sample; it is kept as JSON text"),
                    )
                    .with_hint("add the field's type to the spec, or a sample with a value"),
                );
                (LogicalType::Json, None)
            }
            Kind::Array(_) | Kind::Object(_) | Kind::Map(_) | Kind::Json(_) => {
                if let Kind::Array(items) = &node.kind {
                    if items.kind == Kind::Unknown {
                        self.diags.push(Diagnostic::warning(
                            Location::path(self.config.file.as_deref(), path),
                            format!("{path} is an empty array in every sample; it is kept as JSON text"),
                        ).with_hint("add the item type to the spec, or a sample with items"));
                    }
                }
                (LogicalType::Json, None)
            }
        }
    }

    fn rename(&mut self, path: &str, from: &str, to: &str, reason: RenameReason) {
        self.renames.push(Rename {
            path: path.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            reason,
        });
    }

    /// The flat fact view: one row per record of the root's first object child, with
    /// the root's attributes and the top (position 0) item of the configured children.
    fn fact(&mut self) -> Option<Fact> {
        if !self.config.fact.enabled {
            return None;
        }
        let root = &self.entities[0];
        let entity = root.children.iter().map(|c| c.entity).find(|&c| {
            self.entities[c].kind == EntityKind::Objects && self.entities[c].map.is_none()
        })?;
        let fact_entity = &self.entities[entity];
        let link = fact_entity.parent.as_ref()?;
        let mut columns = Scope::default();
        let mut out = Vec::new();
        for field in &fact_entity.fields {
            let cds_path = link
                .foreign_keys
                .iter()
                .find(|fk| fk.column == field.name)
                .map_or_else(|| field.name.clone(), |fk| fk.cds_path.clone());
            out.push(FactColumn {
                name: columns.claim(&field.name),
                from: FactSource::Fact,
                column: field.name.clone(),
                cds_path,
                ty: field.ty.clone(),
                key: field.key,
                not_null: field.not_null,
            });
        }
        for field in root.fields.iter().filter(|f| !f.key) {
            out.push(FactColumn {
                name: columns.claim(&format!("{}_{}", link.association, field.name)),
                from: FactSource::Ancestor(0),
                column: field.name.clone(),
                cds_path: format!("{}.{}", link.association, field.name),
                ty: field.ty.clone(),
                key: false,
                // CAP makes a column reached through an association nullable (it
                // may be a left join) ...
                not_null: false,
            });
        }
        let mut tops = Vec::new();
        for wanted in &self.config.fact.top {
            let Some(child) = fact_entity
                .children
                .iter()
                .find(|c| c.composition == naming::identifier(wanted))
            else {
                continue;
            };
            let top_entity = &self.entities[child.entity];
            // A map's items are many per record at position 0 (one per key).
            if top_entity.map.is_some()
                || !top_entity.fields.iter().any(|f| f.role == Role::Position)
            {
                continue;
            }
            let prefix = format!("top_{}", naming::snake(&naming::singular(&top_entity.name)));
            let top = tops.len();
            for field in top_entity
                .fields
                .iter()
                .filter(|f| matches!(f.role, Role::Data | Role::Value))
            {
                out.push(FactColumn {
                    name: columns.claim(&format!("{prefix}_{}", field.name)),
                    from: FactSource::Top(top),
                    column: field.name.clone(),
                    cds_path: field.name.clone(),
                    ty: field.ty.clone(),
                    key: false,
                    // A record without such a child (a message without intents) has
                    // nulls here, whatever the child's own column says; the CDS
                    // writer types these columns so that CAP says so too.
                    not_null: false,
                });
            }
            tops.push(FactTop {
                entity: child.entity,
                prefix,
            });
        }
        let name = self
            .entity_names
            .claim(&format!("{}Facts", naming::singular(&fact_entity.name)));
        Some(Fact {
            name,
            entity,
            columns: out,
            tops,
        })
    }
}

/// What a column needs to know about the member it comes from.
#[derive(Clone)]
struct ColumnMeta<'a> {
    path: &'a str,
    wire: &'a str,
    plain: String,
    key: bool,
    not_null: bool,
    doc: Option<String>,
}

/// The key columns a child takes from its link to the parent.
fn foreign_key_fields(link: &Parent) -> impl Iterator<Item = Field> + '_ {
    link.foreign_keys.iter().map(|fk| Field {
        name: fk.column.clone(),
        rust_name: naming::snake(&fk.column),
        source: Vec::new(),
        ty: fk.ty.clone(),
        key: true,
        not_null: true,
        role: Role::ParentKey,
        enum_values: None,
        doc: None,
    })
}

/// Points a layout's columns at where [`Builder::split_wide`] put them: `renumbered`
/// gives a staying column's new index, `moved` a moved one's (slot, column).
fn relocate(record: &mut Record, renumbered: &[usize], moved: &[Option<(usize, usize)>]) {
    for member in &mut record.members {
        relocate_value(&mut member.value, renumbered, moved);
    }
}

fn relocate_value(value: &mut MemberValue, renumbered: &[usize], moved: &[Option<(usize, usize)>]) {
    match value {
        MemberValue::Column(i) => {
            *value = match moved[*i] {
                Some((child, column)) => MemberValue::Extension { child, column },
                None => MemberValue::Column(renumbered[*i]),
            }
        }
        MemberValue::Embedded { raw, inner } => {
            *raw = renumbered[*raw];
            relocate_value(inner, renumbered, moved);
        }
        MemberValue::Object(nested) => relocate(nested, renumbered, moved),
        MemberValue::Children(_) | MemberValue::Extension { .. } => {}
    }
}

/// The names of an object's scalar fields, for hints.
fn scalar_fields(object: &Object) -> String {
    let names: Vec<&str> = object
        .fields
        .iter()
        .filter(|(_, f)| is_scalar(&f.node))
        .map(|(name, _)| name.as_str())
        .take(20)
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn is_scalar(node: &Node) -> bool {
    matches!(
        node.kind,
        Kind::Boolean | Kind::Integer(_) | Kind::Number | Kind::String(_)
    )
}

/// Whether an array's items become a child entity (objects with fields, or scalars).
fn is_child_items(items: &Node) -> bool {
    match &items.kind {
        Kind::Object(o) => !o.fields.is_empty(),
        Kind::String(text) => embedded_json(text).is_none(),
        Kind::Boolean | Kind::Integer(_) | Kind::Number => true,
        _ => false,
    }
}

/// The parsed shape of a string that holds JSON (and has no declared format). Samples
/// keep `embedded` only while every string they saw held JSON; a derive declares it.
fn embedded_json(text: &Text) -> Option<&Node> {
    text.declared
        .is_none()
        .then_some(text.embedded.as_deref())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_default_paths() {
        assert_eq!(default_service_path("CatalogService"), "/odata/v4/catalog");
        assert_eq!(default_service_path("ShopService"), "/odata/v4/shop");
        assert_eq!(
            default_service_path("my.AdminUsersService"),
            "/odata/v4/admin-users"
        );
        assert_eq!(default_service_path("Service"), "/odata/v4/service");
    }
}
