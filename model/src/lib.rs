//! The one model of cai-bridge: entities with typed fields, keys and compositions,
//! the names each target gives them, and the rules for values (UUIDs, dates,
//! timestamps) that every part of a bridge must apply alike.
//!
//! Three front ends make a [`Model`]: the generator (`cai-bridge-build`) from an
//! OpenAPI spec and samples, `#[derive(Bridge)]` from Rust structs, and a generated
//! bridge from the `src/model.json` the generator committed. All of them reach it
//! through this crate, which links no code generator: a deployed bridge depends on it
//! with default features only (no builder, no text emitters, no TOML).
//!
//! - [`shape`]: what a reader learned about the data, the builder's input;
//! - [`builder`] (feature `build`): a shape into a model, every name decided once;
//! - [`emit`] (feature `build`): the model as SQL DDL, CAP CDS and OData CSDL;
//! - [`naming`], [`types`]: the names and types of each target; [`dialect`]: what
//!   differs between the SQL databases (SQLite, PostgreSQL, SAP HANA);
//! - [`format`](mod@format), [`key`], [`path`]: value formats, natural keys, data paths;
//! - [`map`] (feature `build`): when an object's keys are data, not fields;
//! - [`text`]: text safe to put into generated sources;
//! - [`config`]: the settings of `bridge.toml`; [`diagnostic`]: problems with places.
#![deny(missing_docs)]

#[cfg(feature = "build")]
pub mod builder;
pub mod config;
pub mod diagnostic;
pub mod dialect;
#[cfg(feature = "build")]
pub mod emit;
pub mod format;
#[cfg(feature = "build")]
pub mod key;
#[cfg(feature = "build")]
pub mod map;
pub mod naming;
pub mod path;
pub mod shape;
pub mod text;
pub mod types;

use serde::{Deserialize, Serialize};

pub use types::LogicalType;

/// A bridge's data model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The CDS namespace (`cai.logs`); tables are named after it (`cai_logs_…`).
    pub namespace: String,
    /// The OData service that exposes every entity.
    pub service: Service,
    /// Where the records come from in the API.
    pub source: Source,
    /// Entities, the root first, then depth-first in wire order.
    pub entities: Vec<Entity>,
    /// The flat fact view for SAP Analytics Cloud, if the model has a child entity.
    pub fact: Option<Fact>,
    /// Every name that differs from what the wire name alone would give.
    pub renames: Vec<Rename>,
    /// Strings whose samples show a small closed set of values (reported, not enforced).
    pub enum_candidates: Vec<EnumCandidate>,
}

/// The read-only OData service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// CDS service name (`CatalogService`).
    pub name: String,
    /// OData V4 path (`/odata/v4/catalog`).
    pub path: String,
    /// Whether `path` differs from CAP's default for `name` (so CDS must annotate it).
    pub explicit_path: bool,
}

/// The API operation and the place in its response that hold the records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// HTTP method (`get`), if a spec was read.
    pub method: Option<String>,
    /// Operation path (`/logs/v2/conversations`), if a spec was read.
    pub path: Option<String>,
    /// Object keys from the response root to the record array (`results`, `conversations`).
    pub records: Vec<String>,
    /// Rust struct names of the response and each object on the way to the records
    /// (one per key in `records`; decided by the model builder with the other names).
    pub rust_names: Vec<String>,
    /// The two query parameters that bound the time window `sync` walks, if the
    /// operation has them; without one a bridge cannot `sync`, only `load`.
    #[serde(default)]
    pub window: Option<Window>,
    /// The security schemes the operation requires, all of them on every call.
    #[serde(default)]
    pub auth: Vec<AuthScheme>,
    /// The prefix of the bridge's environment variables (`CAI` → `CAI_BASE_URL`);
    /// `None`: derived from the namespace (see [`Model::env_prefix`]).
    #[serde(default)]
    pub env_prefix: Option<String>,
}

/// The query parameters that bound a time window `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The inclusive start's parameter (`from`, `since`, `start_date`).
    pub from: String,
    /// The exclusive end's parameter (`to`, `until`, `end_date`).
    pub to: String,
    /// How their values are written.
    pub format: TimeFormat,
}

/// How a window bound is written in the query string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFormat {
    /// RFC 3339 in UTC with milliseconds (`2026-11-01T00:00:00.000Z`): `format: date-time`.
    #[default]
    Rfc3339,
    /// A full date (`2026-11-01`): `format: date`; windows are then whole days.
    Date,
    /// Seconds since the Unix epoch: an integer parameter.
    UnixSeconds,
    /// Milliseconds since the Unix epoch: an integer parameter its description says
    /// so of (Spotify's `after`/`before`).
    UnixMilliseconds,
}

/// One security scheme of the operation, as the bridge must satisfy it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum AuthScheme {
    /// OAuth 2.0 client credentials: a token from `token_url`, sent as a bearer token.
    Oauth2 {
        /// The scheme's name in the spec.
        name: String,
        /// The spec's token URL (the environment may name another).
        token_url: String,
    },
    /// An API key in a header or a query parameter.
    ApiKey {
        /// The scheme's name in the spec (`developerToken`); names its variable.
        name: String,
        /// Where the key goes.
        location: KeyLocation,
        /// The header or query parameter (`X-Token`, `Authorization`).
        parameter: String,
        /// Text the value must start with (`Token token=`), added unless the key
        /// already has it.
        prefix: Option<String>,
    },
    /// `Authorization: Bearer <token>` with a token the bridge is given.
    Bearer {
        /// The scheme's name in the spec.
        name: String,
    },
    /// `Authorization: Basic` with a user name and password.
    Basic {
        /// The scheme's name in the spec.
        name: String,
    },
}

/// Where an API key goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
}

/// One entity: a table, a CDS entity, an EDM entity type, a Rust struct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Entity name in CDS and EDM (`Messages`).
    pub name: String,
    /// Rust struct name (`Message`).
    pub rust_name: String,
    /// Where its records are in the data (`results.conversations[].messages[]`).
    pub path: String,
    /// What kind of records it holds.
    pub kind: EntityKind,
    /// Its parent, for a child entity.
    pub parent: Option<Parent>,
    /// Columns in CDS element order: association keys, own keys, data.
    pub fields: Vec<Field>,
    /// How a wire record maps onto the columns and children.
    pub layout: Record,
    /// Child entities (indexes into [`Model::entities`]), in wire order.
    pub children: Vec<Child>,
    /// Documentation from the spec.
    pub doc: Option<String>,
    /// For a child whose records are the entries of a map (an object whose keys are
    /// data, not fields): how they sit in it. `None`: the items of an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<MapEntries>,
}

/// How the records of a map child sit in the map (see [`Entity::map`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapEntries {
    /// One record per entry: the entry's value (`{"de": {...}, "en": {...}}`); keyed
    /// by the parent key and the map key.
    Values,
    /// One record per item of each entry's array (CAI's `entities`:
    /// `{"location": [{...}], "datetime": [...]}`); keyed by the parent key, the map
    /// key and the item's position (or its natural key).
    Arrays,
}

/// What an entity's records are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    /// The top-level records.
    Root,
    /// Items of a nested array of objects.
    Objects,
    /// Items of a nested array of scalars: (parent key, position, value).
    Scalars,
    /// More columns of its parent's records, 1:1 by the parent's key, where the
    /// parent has more columns than one table takes (1,000: SAP HANA's limit). It
    /// reads the parent's own record; no wire member holds it.
    Extension,
}

/// The link from a child entity to its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parent {
    /// Index of the parent in [`Model::entities`].
    pub entity: usize,
    /// The back association's name (`conversation`); a key of the child.
    pub association: String,
    /// The foreign-key columns CAP derives from the association, in parent key order.
    pub foreign_keys: Vec<ForeignKey>,
}

/// One foreign-key column of a managed association.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The column (`conversation_id`).
    pub column: String,
    /// The parent's key column it refers to (`id`).
    pub references: String,
    /// The same column as a CDS path through the association (`conversation.id`).
    pub cds_path: String,
    /// Its type (the parent key's).
    pub ty: LogicalType,
}

/// A composition from a parent to a child entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// Index of the child in [`Model::entities`].
    pub entity: usize,
    /// The composition element's name on the parent (`messages`).
    pub composition: String,
}

/// One column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// CDS element, SQL column and EDM property name.
    pub name: String,
    /// The Rust field name (snake_case, unescaped; see [`naming::rust_ident`]).
    pub rust_name: String,
    /// Where the value is, relative to the entity's record.
    pub source: Vec<Step>,
    /// The logical type.
    pub ty: LogicalType,
    /// Part of the primary key.
    pub key: bool,
    /// `not null` in CDS and SQL, `Nullable="false"` in EDM.
    pub not_null: bool,
    /// What the column holds.
    pub role: Role,
    /// Enum values the spec declares.
    pub enum_values: Option<Vec<String>>,
    /// Documentation from the spec.
    pub doc: Option<String>,
}

/// One step of a field's source path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// An object key.
    Key(String),
    /// The string here holds JSON; parse it and go on inside.
    Json,
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A value from the record.
    Data,
    /// A foreign key to the parent (the association's key).
    ParentKey,
    /// The item's position in its array (0-based), where it has no natural key.
    Position,
    /// The item itself, for arrays of scalars.
    Value,
    /// The entry's key in its map, for a map child (see [`Entity::map`]).
    MapKey,
    /// The JSON text of an embedded JSON string, kept as it came.
    RawJson,
}

/// The wire layout of a record: which member goes to which column or child.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Rust struct name for this object.
    pub rust_name: String,
    /// Its members in wire order.
    pub members: Vec<Member>,
}

/// One member of a wire object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The wire name.
    pub wire: String,
    /// The Rust field name (snake_case, unescaped).
    pub rust_name: String,
    /// May be absent from the object.
    pub optional: bool,
    /// May be `null`.
    pub nullable: bool,
    /// What it maps to.
    pub value: MemberValue,
    /// Documentation from the spec.
    pub doc: Option<String>,
}

/// What a wire member maps to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MemberValue {
    /// One column (index into the entity's fields).
    Column(usize),
    /// A nested object, flattened into prefixed columns.
    Object(Record),
    /// An array that became a child entity (index into [`Entity::children`]).
    Children(usize),
    /// One column of an extension entity (see [`EntityKind::Extension`]): the
    /// entity's child at slot `child` (index into [`Entity::children`]), its field
    /// `column`.
    Extension {
        /// The extension's slot in [`Entity::children`].
        child: usize,
        /// Index into the extension's fields.
        column: usize,
    },
    /// A string holding JSON: kept raw in a column and parsed into `inner`.
    Embedded {
        /// The raw-text column.
        raw: usize,
        /// What the parsed JSON maps to.
        inner: Box<MemberValue>,
    },
}

/// The flat fact view (one row per record of `entity`) that SAC reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// Entity name (`MessageFacts`).
    pub name: String,
    /// The entity it has one row per (index; `Messages`).
    pub entity: usize,
    /// Its columns in order.
    pub columns: Vec<FactColumn>,
    /// Children joined at position 0 (the "top" item, e.g. the top intent).
    pub tops: Vec<FactTop>,
}

impl Fact {
    /// Whether the fact view has exactly one row per row of its entity's table.
    ///
    /// The view (`emit::sql`'s fact view) left-joins the entity's parent on the
    /// foreign keys and each top child on its foreign keys and `position = 0`. A left
    /// join keeps every row of its left side, and adds none when it matches the whole
    /// key of the joined table (at most one row can match): then counting the view is
    /// counting the table, which needs none of the joins.
    pub fn one_row_per_entity_row(&self, model: &Model) -> bool {
        let entity = &model.entities[self.entity];
        let keyed_by = |joined: &Entity, matched: &[&str]| {
            joined
                .fields
                .iter()
                .filter(|f| f.key)
                .all(|f| matched.contains(&f.name.as_str()))
        };
        let parent_unique = entity.parent.as_ref().is_none_or(|link| {
            let matched: Vec<&str> = link
                .foreign_keys
                .iter()
                .map(|fk| fk.references.as_str())
                .collect();
            keyed_by(&model.entities[link.entity], &matched)
        });
        let tops_unique = self.tops.iter().all(|top| {
            let child = &model.entities[top.entity];
            // The view leaves out a top without a parent link: it joins nothing.
            child.parent.as_ref().is_none_or(|link| {
                let mut matched: Vec<&str> = link
                    .foreign_keys
                    .iter()
                    .map(|fk| fk.column.as_str())
                    .collect();
                matched.extend(
                    child
                        .fields
                        .iter()
                        .filter(|f| f.role == Role::Position)
                        .take(1)
                        .map(|f| f.name.as_str()),
                );
                keyed_by(child, &matched)
            })
        });
        parent_unique && tops_unique
    }
}

/// One column of the fact view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactColumn {
    /// The column's name in the view.
    pub name: String,
    /// Where it comes from.
    pub from: FactSource,
    /// The source column's name.
    pub column: String,
    /// The same column as a CDS path from its entity (`conversation.id` for a foreign key).
    pub cds_path: String,
    /// Its type.
    pub ty: LogicalType,
    /// Key of the view.
    pub key: bool,
    /// Not null.
    pub not_null: bool,
}

/// The entity a fact column comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactSource {
    /// The fact entity itself.
    Fact,
    /// One of its ancestors, by index (the root's attributes).
    Ancestor(usize),
    /// The top item of a child (index into [`Fact::tops`]).
    Top(usize),
}

/// A child joined at position 0 into the fact view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactTop {
    /// The child entity (index).
    pub entity: usize,
    /// Table alias / column prefix (`top_intent`).
    pub prefix: String,
}

/// A name that differs from what the wire name alone gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    /// Where (`results.conversations[].messages[].dot.name`).
    pub path: String,
    /// The name it would have had.
    pub from: String,
    /// The name it has.
    pub to: String,
    /// Why.
    pub reason: RenameReason,
}

/// Why a name differs from what the wire name alone gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameReason {
    /// Another column or entity already has the name (case-insensitively, or after
    /// flattening).
    Collision,
    /// bridge.toml or a derive attribute asked for the name.
    Configured,
    /// The wire name is not a valid identifier in CDS, SQL and EDM.
    InvalidIdentifier,
}

impl std::fmt::Display for RenameReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RenameReason::Collision => {
                "collides with another name (case-insensitively, or after flattening)"
            }
            RenameReason::Configured => "renamed in bridge.toml or by an attribute",
            RenameReason::InvalidIdentifier => "not a valid identifier in CDS, SQL and EDM",
        })
    }
}

/// A string column whose samples show few distinct values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumCandidate {
    /// Where (`results.conversations[].messages[].input_message_type`).
    pub path: String,
    /// The values seen.
    pub values: Vec<String>,
}

impl Model {
    /// The table name CAP gives an entity (`cai_logs_Messages`).
    pub fn table(&self, entity: &str) -> String {
        format!("{}_{entity}", self.namespace.replace('.', "_"))
    }

    /// The service view name CAP gives an entity (`CatalogService_Messages`).
    pub fn view(&self, entity: &str) -> String {
        format!("{}_{entity}", self.service.name.replace('.', "_"))
    }

    /// The root entity.
    pub fn root(&self) -> &Entity {
        &self.entities[0]
    }

    /// The prefix of the bridge's environment variables: the model's own, else the
    /// namespace's first segment in upper case (`cai.logs` → `CAI`), non-alphanumerics
    /// as `_`.
    pub fn env_prefix(&self) -> String {
        if let Some(prefix) = &self.source.env_prefix {
            return prefix.clone();
        }
        env_prefix_of(&self.namespace)
    }
}

impl Entity {
    /// The column a member's value is stored in, where it is one column: of this
    /// entity, or of one of its extensions (`model` holds them).
    pub fn column<'m>(&'m self, model: &'m Model, value: &MemberValue) -> Option<&'m Field> {
        match value {
            MemberValue::Column(i) | MemberValue::Embedded { raw: i, .. } => self.fields.get(*i),
            MemberValue::Extension { child, column } => self
                .children
                .get(*child)
                .and_then(|c| model.entities.get(c.entity))
                .and_then(|part| part.fields.get(*column)),
            MemberValue::Object(_) | MemberValue::Children(_) => None,
        }
    }

    /// The key columns, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.key)
    }
}

/// The environment prefix a namespace gives (`cai.logs` → `CAI`, `page-duty.x` →
/// `PAGE_DUTY`); `BRIDGE` for a namespace without letters or digits.
pub fn env_prefix_of(namespace: &str) -> String {
    let first = namespace.split('.').next().unwrap_or("");
    let prefix: String = first
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if prefix.chars().any(|c| c.is_ascii_alphanumeric()) {
        prefix
    } else {
        "BRIDGE".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CAI bridge's committed model: messages, left-joined to their conversation
    /// and their top intent (position 0).
    fn cai() -> Model {
        serde_json::from_str(include_str!("../../generated-example/src/model.json"))
            .expect("the committed model")
    }

    #[test]
    fn a_fact_view_joined_on_whole_keys_has_a_row_per_entity_row() {
        let model = cai();
        let fact = model.fact.clone().expect("a fact view");
        assert!(
            !fact.tops.is_empty(),
            "the CAI fact view joins a top intent"
        );
        assert!(fact.one_row_per_entity_row(&model));

        // A top child keyed by more than its parent and position (a natural key):
        // several rows may match position 0, and each would be a row of the view.
        let mut natural = model.clone();
        let top = fact.tops[0].entity;
        let field = natural.entities[top]
            .fields
            .iter_mut()
            .find(|f| f.role == Role::Data)
            .expect("a data field");
        field.key = true;
        assert!(!fact.one_row_per_entity_row(&natural));

        // A parent joined on part of its key only.
        let mut partial = model.clone();
        let parent = partial.entities[fact.entity]
            .parent
            .as_ref()
            .expect("a parent")
            .entity;
        partial.entities[parent]
            .fields
            .iter_mut()
            .find(|f| !f.key)
            .expect("a non-key field")
            .key = true;
        assert!(!fact.one_row_per_entity_row(&partial));
    }
}
