//! What the service exposes, read once from the model: an entity set per entity and
//! one for the fact view, each with its properties in `$metadata` order, its
//! navigation properties with the foreign keys they follow, the service view CAP
//! would read it from, and the `$metadata` document itself.

use cai_bridge_model::dialect::Dialect;
use cai_bridge_model::{FactSource, LogicalType, Model};

use super::filter;
use crate::Artifacts;

/// The service: its path, its entity sets and its CSDL.
pub struct Catalog {
    /// The OData path (`/odata/v4/catalog`), without a trailing slash.
    pub path: String,
    /// Entity sets in `$metadata` order.
    pub sets: Vec<EntitySet>,
    /// The `$metadata` document, byte for byte the bridge's `odata/metadata.xml`.
    pub metadata: String,
    /// The same as CSDL JSON, the bridge's `odata/metadata.json`.
    pub metadata_json: String,
}

/// One entity set.
#[derive(Debug)]
pub struct EntitySet {
    /// Its name in URLs (`Conversations`).
    pub name: String,
    /// The quoted SQL name of the view it is read from (`"CatalogService_Conversations"`).
    pub view: String,
    /// How the SQL of its reads is spelled: the backend's names and functions.
    pub dialect: Dialect,
    /// Its properties, in `$metadata` order.
    pub properties: Vec<Property>,
    /// Its navigation properties, in `$metadata` order: the association to the
    /// parent, then the compositions of children. The fact set has none.
    pub navigations: Vec<Navigation>,
    /// The table holding the set's entities one row each, where the set's view joins
    /// more tables (the fact set) and the model proves that the joins add no row:
    /// counts and pages can then leave the joins out.
    pub entity_table: Option<EntityTable>,
}

/// The table behind a set whose view joins others: one row per entity, so a count of
/// it (filtered on its own columns) is the count of the set, and the set's key is
/// unique in the view.
#[derive(Debug)]
pub struct EntityTable {
    /// The quoted SQL name of the table.
    pub table: String,
    /// The set's properties that are columns of the table, as the table names them.
    pub properties: Vec<Property>,
}

/// A navigation property: a composition (parent to children) or the association
/// back (child to parent), both over the foreign key CAP derives.
#[derive(Debug)]
pub struct Navigation {
    /// Its name in URLs and JSON (`messages`, `conversation`).
    pub name: String,
    /// The set it leads to (an index into [`Catalog::sets`]).
    pub target: usize,
    /// To many (a composition) or to one (the association to the parent).
    pub many: bool,
    /// The column pairs that must be equal: (a property here, one of the target),
    /// as property indexes.
    pub on: Vec<(usize, usize)>,
}

/// One structural property.
#[derive(Clone, Debug)]
pub struct Property {
    /// Its name in URLs and JSON.
    pub name: String,
    /// The quoted SQL column.
    pub column: String,
    /// Its type.
    pub ty: LogicalType,
    /// Part of the key.
    pub key: bool,
}

impl Catalog {
    /// Reads the service of a bridge, whose database speaks `dialect`.
    pub fn new(artifacts: &Artifacts, dialect: Dialect) -> Catalog {
        let model = &artifacts.model;
        let quote = |name: &str| quote(dialect, name);
        let property = |name: &str, ty: &LogicalType, key: bool| Property {
            name: name.to_owned(),
            column: quote(name),
            ty: ty.clone(),
            key,
        };
        let mut sets: Vec<EntitySet> = model
            .entities
            .iter()
            .map(|entity| EntitySet {
                name: entity.name.clone(),
                view: quote(&model.view(&entity.name)),
                dialect,
                properties: entity
                    .fields
                    .iter()
                    .map(|f| property(&f.name, &f.ty, f.key))
                    .collect(),
                navigations: Vec::new(),
                // The service view is a projection of the table: nothing to leave out.
                entity_table: None,
            })
            .collect();
        for (index, set) in sets.iter_mut().enumerate() {
            set.navigations = navigations(model, index);
        }
        if let Some(fact) = &model.fact {
            sets.push(EntitySet {
                name: fact.name.clone(),
                view: quote(&model.view(&fact.name)),
                dialect,
                properties: fact
                    .columns
                    .iter()
                    .map(|c| property(&c.name, &c.ty, c.key))
                    .collect(),
                navigations: Vec::new(),
                entity_table: fact.one_row_per_entity_row(model).then(|| EntityTable {
                    table: quote(&model.table(&model.entities[fact.entity].name)),
                    properties: fact
                        .columns
                        .iter()
                        .filter(|c| c.from == FactSource::Fact)
                        .map(|c| Property {
                            column: quote(&c.column),
                            ..property(&c.name, &c.ty, c.key)
                        })
                        .collect(),
                }),
            });
        }
        Catalog {
            path: model.service.path.trim_end_matches('/').to_owned(),
            sets,
            metadata: artifacts.metadata.clone().into_owned(),
            metadata_json: artifacts.metadata_json.clone().into_owned(),
        }
    }

    /// The entity set named `name`.
    pub fn set(&self, name: &str) -> Option<&EntitySet> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// The index of `set` in [`Catalog::sets`].
    pub fn index(&self, set: &EntitySet) -> usize {
        // Names are unique in a service.
        self.sets
            .iter()
            .position(|s| s.name == set.name)
            .unwrap_or_default()
    }

    /// Every set as `$filter` sees it, with where its navigation properties lead.
    pub fn filter_entities(&self) -> Vec<filter::Entity<'_>> {
        self.sets
            .iter()
            .map(|set| filter::Entity {
                name: &set.name,
                table: &set.view,
                properties: filter_properties(set.properties.iter()),
                navigations: set
                    .navigations
                    .iter()
                    .map(|n| filter::Navigation {
                        name: &n.name,
                        target: n.target,
                        many: n.many,
                        on: n
                            .on
                            .iter()
                            .map(|&(here, there)| {
                                let target = &self.sets[n.target];
                                (
                                    set.properties[here].column.as_str(),
                                    target.properties[there].column.as_str(),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }
}

/// `properties` as the filter module names them.
pub fn filter_properties<'s>(
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

/// The navigation properties of entity `index`, from the model: the association to
/// its parent first (CDS declares it first, as a key), then its compositions.
fn navigations(model: &Model, index: usize) -> Vec<Navigation> {
    let entity = &model.entities[index];
    let column = |entity: usize, name: &str| {
        let fields = &model.entities[entity].fields;
        fields.iter().position(|f| f.name == name)
    };
    let mut out = Vec::new();
    if let Some(parent) = &entity.parent {
        let on = parent.foreign_keys.iter().filter_map(|fk| {
            Some((
                column(index, &fk.column)?,
                column(parent.entity, &fk.references)?,
            ))
        });
        out.push(Navigation {
            name: parent.association.clone(),
            target: parent.entity,
            many: false,
            on: on.collect(),
        });
    }
    for child in &entity.children {
        let Some(back) = &model.entities[child.entity].parent else {
            continue;
        };
        let on = back.foreign_keys.iter().filter_map(|fk| {
            Some((
                column(index, &fk.references)?,
                column(child.entity, &fk.column)?,
            ))
        });
        out.push(Navigation {
            name: child.composition.clone(),
            target: child.entity,
            many: true,
            on: on.collect(),
        });
    }
    out
}

impl EntitySet {
    /// The property named `name`.
    pub fn property(&self, name: &str) -> Option<(usize, &Property)> {
        self.properties
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name)
    }

    /// The key properties, in key order.
    pub fn keys(&self) -> impl Iterator<Item = &Property> {
        self.properties.iter().filter(|p| p.key)
    }

    /// The navigation property named `name`.
    pub fn navigation(&self, name: &str) -> Option<&Navigation> {
        self.navigations.iter().find(|n| n.name == name)
    }

    /// Up to ten property names, for hints.
    pub fn some_names(&self) -> String {
        let names: Vec<&str> = self
            .properties
            .iter()
            .take(10)
            .map(|p| p.name.as_str())
            .collect();
        names.join(", ")
    }
}

/// An SQL identifier, always quoted: names come from the model, and quoting them all
/// keeps keywords (`order`, `type`) and case intact.
/// A name as the DDL of `dialect` created it: SQLite's quoted (as CAP quotes them),
/// PostgreSQL's as `cds compile --dialect postgres` writes them (unquoted names fold
/// to lower case there).
fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Postgres => dialect.ident(name),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}
