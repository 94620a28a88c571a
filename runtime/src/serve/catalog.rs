//! What the service exposes, read once from the model: an entity set per entity and
//! one for the fact view, each with its properties in `$metadata` order, the service
//! view CAP would read it from, and the `$metadata` document itself.

use cai_bridge_model::LogicalType;

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
    /// Its properties, in `$metadata` order.
    pub properties: Vec<Property>,
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
    /// Reads the service of a bridge.
    pub fn new(artifacts: &Artifacts) -> Catalog {
        let model = &artifacts.model;
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
                properties: entity
                    .fields
                    .iter()
                    .map(|f| property(&f.name, &f.ty, f.key))
                    .collect(),
            })
            .collect();
        if let Some(fact) = &model.fact {
            sets.push(EntitySet {
                name: fact.name.clone(),
                view: quote(&model.view(&fact.name)),
                properties: fact
                    .columns
                    .iter()
                    .map(|c| property(&c.name, &c.ty, c.key))
                    .collect(),
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
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
