//! Shape builders for the derive's expansion (not for hand use).

use cai_bridge_model::shape::{
    EntityHint, Field, IntWidth, JsonReason, Kind, Node, Object, Text, TextFormat,
};

pub use cai_bridge_model::shape::Node as Shape;

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

/// A map (an object whose keys are data) whose entries' values are `value`.
pub fn map(value: Node) -> Node {
    Node::new(Kind::Map(Box::new(value)))
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
