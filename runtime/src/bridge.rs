//! The [`Bridge`] trait that `#[derive(Bridge)]` implements, and the pieces its
//! expansion calls: shape builders and the model built from a root type's shape by
//! the generator's own model code, so a derive and a generated file cannot disagree.

use std::collections::BTreeMap;

use cai_bridge_gen::model::{build::build, Model, Source};
use cai_bridge_gen::read::config::Config;
use cai_bridge_gen::read::shape::Node;
use cai_bridge_gen::{Diagnostics, Error};

use crate::record::{Member, Record};

/// A type whose values are bridge records: its shape (what the generator would have
/// read from a spec), how to read its values, and the model it roots.
///
/// Implement it with `#[derive(Bridge)]`; see the crate docs for the attributes.
pub trait Bridge: Record {
    /// The shape of one value, with the entity settings of its attributes.
    fn shape() -> Node;

    /// Settings that only a root type gives (record path, namespace, service).
    fn settings() -> Settings {
        Settings::default()
    }

    /// The model with this type as its root entity, built once.
    fn model() -> Result<&'static Model, &'static Diagnostics>;

    /// A nested value as a record, for the derive's expansion. Going through `Bridge`
    /// (not `Record`) means a nested type that lacks the derive fails with one error,
    /// "`T: Bridge` is not satisfied", at the field's type.
    #[doc(hidden)]
    fn bridge_record(&self) -> &dyn Record
    where
        Self: Sized,
    {
        self
    }

    /// A `Vec` of nested values as a list member, for the derive's expansion (see
    /// [`Bridge::bridge_record`]).
    #[doc(hidden)]
    fn bridge_list(items: &[Self]) -> Member<'_>
    where
        Self: Sized,
    {
        crate::record::list(items)
    }
}

/// Model-level settings from a root type's attributes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// Object keys from a response to the record array (`results`, `conversations`).
    pub records: &'static [&'static str],
    /// CDS namespace (default `cai.logs`).
    pub namespace: Option<&'static str>,
    /// OData service name (default `CatalogService`).
    pub service: Option<&'static str>,
    /// OData path (default: CAP's rule for the service name).
    pub path: Option<&'static str>,
}

/// Builds the model of a root type from its shape: what `Bridge::model` calls once.
pub fn build_model(shape: &Node, settings: &Settings) -> Result<Model, Diagnostics> {
    let config = Config {
        namespace: settings.namespace.map(str::to_owned),
        service: settings.service.map(str::to_owned),
        path: settings.path.map(str::to_owned),
        ..Config::default()
    };
    let source = Source {
        method: None,
        path: None,
        records: settings.records.iter().map(|s| (*s).to_owned()).collect(),
        rust_names: Vec::new(),
    };
    let mut diags = Diagnostics::default();
    let model = build(shape, source, &config, true, &mut diags);
    match model {
        Some(model) if !diags.has_errors() => Ok(model),
        _ => Err(diags),
    }
}

/// Every artifact for a model (SQLite DDL, CDS, CSDL, ...), by relative path, as
/// `cai-bridge generate` writes them: a crate with only derived structs can serve
/// OData without running the generator.
pub fn artifacts(model: &Model) -> Result<BTreeMap<String, String>, Error> {
    let templates = cai_bridge_gen::emit::templates::Templates::new(None)?;
    cai_bridge_gen::emit::all(model, &templates)
}

/// Shape builders for the derive's expansion (not for hand use).
#[doc(hidden)]
pub mod shape {
    use cai_bridge_gen::read::shape::{
        EntityHint, Field, IntWidth, JsonReason, Kind, Node, Object, Text, TextFormat,
    };

    pub use cai_bridge_gen::read::shape::Node as Shape;

    /// A string's declared format.
    #[derive(Clone, Copy)]
    pub enum Format {
        /// Plain text.
        Plain,
        /// RFC 3339 timestamp.
        Timestamp,
        /// Calendar date.
        Date,
        /// UUID.
        Uuid,
        /// Long text.
        Large,
    }

    /// A string.
    pub fn text(format: Format, max_length: Option<u32>, values: Option<&[&str]>) -> Node {
        let declared = match format {
            Format::Timestamp => Some(TextFormat::Timestamp),
            Format::Date => Some(TextFormat::Date),
            Format::Uuid => Some(TextFormat::Uuid),
            Format::Plain | Format::Large => None,
        };
        Node::new(Kind::String(Text {
            declared,
            max_length,
            enum_values: values.map(|v| v.iter().map(|s| (*s).to_owned()).collect()),
            large: matches!(format, Format::Large),
            ..Text::default()
        }))
    }

    /// A string holding JSON of shape `inner` (`None`: kept as raw text only).
    pub fn embedded(inner: Option<Node>) -> Node {
        Node::new(Kind::String(Text {
            embedded: Some(Box::new(inner.unwrap_or_default())),
            ..Text::default()
        }))
    }

    /// A 32-bit (`wide == false`) or 64-bit integer.
    pub fn integer(wide: bool) -> Node {
        Node::new(Kind::Integer(if wide {
            IntWidth::I64
        } else {
            IntWidth::I32
        }))
    }

    /// A floating-point number.
    pub fn number() -> Node {
        Node::new(Kind::Number)
    }

    /// A boolean.
    pub fn boolean() -> Node {
        Node::new(Kind::Boolean)
    }

    /// Any JSON, kept as JSON text.
    pub fn json() -> Node {
        Node::new(Kind::Json(JsonReason::Any))
    }

    /// An array of `items`.
    pub fn array(items: Node) -> Node {
        Node::new(Kind::Array(Box::new(items)))
    }

    /// `node`, made nullable.
    pub fn nullable(mut node: Node) -> Node {
        node.nullable = true;
        node
    }

    /// A field: wire name, column rename, required, shape, doc.
    pub fn field(
        wire: &str,
        column: Option<&str>,
        required: bool,
        mut node: Node,
        doc: Option<&str>,
    ) -> (String, Field) {
        node.doc = doc.map(str::to_owned);
        let field = Field {
            node,
            required,
            column: column.map(str::to_owned),
        };
        (wire.to_owned(), field)
    }

    /// An object with its entity settings and fields.
    pub fn object(
        name: Option<&str>,
        key: Option<&[&str]>,
        doc: Option<&str>,
        fields: Vec<(String, Field)>,
    ) -> Node {
        let entity = (name.is_some() || key.is_some()).then(|| EntityHint {
            name: name.map(str::to_owned),
            key: key.map(|k| k.iter().map(|s| (*s).to_owned()).collect()),
        });
        let mut node = Node::new(Kind::Object(Object {
            fields: fields.into_iter().collect(),
            entity,
        }));
        node.doc = doc.map(str::to_owned);
        node
    }
}
