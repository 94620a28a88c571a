//! Schema objects → [`Node`]s, following the mapping table in the module above.

use serde_json::{Map, Value};

use super::document::{lookup, Documents, Here};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use cai_bridge_model::shape::{
    kind_name, Field, IntWidth, JsonReason, Kind, Node, Object, Text, TextFormat,
};

/// How deep schemas may nest before the expansion is cut like a recursion; keeps
/// the reader's own stack bounded on pathological (but acyclic) inputs.
const MAX_DEPTH: usize = 200;

/// Converts schemas, tracking which ones are being expanded so that recursion is
/// cut instead of followed forever.
pub(super) struct Schemas<'a> {
    docs: &'a mut Documents,
    diags: &'a mut Diagnostics,
    /// Every schema being expanded, outermost first, by resolved (file, pointer).
    stack: Vec<Here>,
}

/// A converted schema and the `required` names it declared: an `allOf` sibling may
/// declare the properties those names refer to, so the names travel upwards.
struct Conv {
    node: Node,
    required: Vec<String>,
}

impl Conv {
    fn of(kind: Kind) -> Self {
        Conv {
            node: Node::new(kind),
            required: Vec::new(),
        }
    }
}

/// Where an intersection happens, for its error messages.
struct Meet {
    /// `allOf at #/…` or `schema at #/…`.
    label: String,
    location: Location,
}

impl<'a> Schemas<'a> {
    pub fn new(docs: &'a mut Documents, diags: &'a mut Diagnostics) -> Self {
        Schemas {
            docs,
            diags,
            stack: Vec::new(),
        }
    }

    /// The shape of the schema at `here`.
    pub fn node(&mut self, here: &Here) -> Node {
        self.convert(here).node
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        // A schema reached through many references would repeat its findings once
        // per route; one report per place is enough.
        if !self.diags.iter().any(|d| *d == diagnostic) {
            self.diags.push(diagnostic);
        }
    }

    fn convert(&mut self, here: &Here) -> Conv {
        let root = self.docs.root(here.file);
        let schema = match lookup(&root, &here.pointer) {
            Some(Value::Object(schema)) => schema,
            // `true` and `{}` accept anything; `false` accepts nothing, which no
            // field can usefully be, so it is left open too.
            Some(Value::Bool(_)) | None => return Conv::of(Kind::Json(JsonReason::Any)),
            Some(other) => {
                self.report(
                    Diagnostic::warning(
                        self.docs.location(here),
                        format!("expected a schema object here, found {}", json_kind(other)),
                    )
                    .with_hint("the value is kept as JSON text; write a schema object such as `{type: string}`"),
                );
                return Conv::of(Kind::Json(JsonReason::Any));
            }
        };
        if self.stack.len() >= MAX_DEPTH {
            self.report(
                Diagnostic::warning(
                    self.docs.location(here),
                    format!("schemas nest more than {MAX_DEPTH} levels deep here; the rest is kept as JSON text"),
                )
                .with_hint("flatten the schema or break it into named components"),
            );
            return Conv::of(Kind::Json(JsonReason::Recursive));
        }
        self.stack.push(here.clone());
        let conv = self.convert_object(schema, here);
        self.stack.pop();
        conv
    }

    fn convert_object(&mut self, schema: &Map<String, Value>, here: &Here) -> Conv {
        let mut required = strings(schema.get("required"));
        let mut node = self.own(schema, here);
        let meet = Meet {
            label: format!("schema at {}", here.pointer),
            location: self.docs.location(here),
        };
        if let Some(Value::String(reference)) = schema.get("$ref") {
            // In 3.1 a $ref may have sibling keywords, which all apply: intersect.
            let target = self.reference(here, reference);
            node = self.intersect(node, target.node, &meet, "");
            required.extend(target.required);
        }
        if let Some(Value::Array(branches)) = schema.get("allOf") {
            let all_of = here.child("allOf");
            let meet = Meet {
                label: format!("allOf at {}", all_of.pointer),
                location: self.docs.location(&all_of),
            };
            for i in 0..branches.len() {
                let branch = self.convert(&all_of.index(i));
                node = self.intersect(node, branch.node, &meet, "");
                required.extend(branch.required);
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                let union = self.union(&here.child(keyword), keyword, branches.len());
                node = self.intersect(node, union, &meet, "");
            }
        }
        if let Kind::Object(object) = &mut node.kind {
            for name in &required {
                if let Some(field) = object.fields.get_mut(name) {
                    field.required = true;
                }
            }
        }
        // The 3.0 idiom `{nullable: true, allOf: [{$ref: X}]}` means "X or null", so
        // the schema's own null markers win over its branches.
        if own_nullable(schema) {
            node.nullable = true;
        }
        if let Some(Value::String(doc)) = schema.get("description") {
            node.doc = Some(doc.clone());
        }
        Conv { node, required }
    }

    /// Follows a schema `$ref`, cutting recursion.
    fn reference(&mut self, here: &Here, reference: &str) -> Conv {
        let Some(target) = self.docs.resolve(here, reference, self.diags) else {
            return Conv::of(Kind::Json(JsonReason::Any));
        };
        if self.stack.contains(&target) {
            let site = here.child("$ref");
            self.report(
                Diagnostic::warning(
                    self.docs.location(&site),
                    format!(
                        "recursive schema: $ref `{reference}` at {} leads back to {}, which is being expanded; the recursion is cut here and this value is kept as JSON text",
                        site.pointer, target.pointer
                    ),
                )
                .with_hint("the outer levels keep their fields; read the nested levels from the JSON text, or flatten the schema if its depth is bounded"),
            );
            return Conv::of(Kind::Json(JsonReason::Recursive));
        }
        self.convert(&target)
    }

    /// The shape the schema's own keywords give, before `$ref`, `allOf`, `oneOf`
    /// and `anyOf` are applied. `Json(Any)` means "no constraint".
    fn own(&mut self, schema: &Map<String, Value>, here: &Here) -> Node {
        let mut types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let only_null = (!types.is_empty() && types.iter().all(|t| *t == "null"))
            || (types.is_empty() && null_only_values(schema));
        types.retain(|t| *t != "null");
        let nullable = own_nullable(schema);
        let kind = match types.as_slice() {
            [] if only_null => Kind::Unknown,
            [] => match inferred_type(schema) {
                Some(t) => self.typed(t, schema, here),
                None => Kind::Json(JsonReason::Any),
            },
            [t] => self.typed(t, schema, here),
            many if many.iter().all(|t| matches!(*t, "integer" | "number")) => Kind::Number,
            many => {
                let listed = many.join(", ");
                let type_here = here.child("type");
                self.report(
                    Diagnostic::warning(
                        self.docs.location(&type_here),
                        format!(
                            "type at {} allows several kinds ({listed}); the value is kept as JSON text",
                            type_here.pointer
                        ),
                    )
                    .with_hint("give the value one type (plus \"null\" if it may be absent) to have it modelled"),
                );
                Kind::Json(JsonReason::Union)
            }
        };
        Node {
            kind,
            nullable,
            doc: None,
        }
    }

    fn typed(&mut self, t: &str, schema: &Map<String, Value>, here: &Here) -> Kind {
        let format = schema.get("format").and_then(Value::as_str);
        match t {
            "string" => Kind::String(Text {
                declared: match format {
                    Some("date-time") => Some(TextFormat::Timestamp),
                    Some("date") => Some(TextFormat::Date),
                    Some("uuid") => Some(TextFormat::Uuid),
                    _ => None,
                },
                max_length: schema
                    .get("maxLength")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
                enum_values: {
                    let values = enum_strings(schema);
                    (!values.is_empty()).then_some(values)
                },
                ..Text::default()
            }),
            "integer" if format == Some("int32") => Kind::Integer(IntWidth::I32),
            "integer" => Kind::Integer(IntWidth::I64),
            "number" => Kind::Number,
            "boolean" => Kind::Boolean,
            "array" => {
                let items = match schema.get("items") {
                    Some(Value::Object(_) | Value::Bool(_)) => self.node(&here.child("items")),
                    _ => Node::new(Kind::Json(JsonReason::Any)),
                };
                Kind::Array(Box::new(items))
            }
            "object" => self.object(schema, here),
            other => {
                let type_here = here.child("type");
                self.report(
                    Diagnostic::error(
                        self.docs.location(&type_here),
                        format!("unknown type `{other}` at {}", type_here.pointer),
                    )
                    .with_hint("use one of string, integer, number, boolean, array, object, null"),
                );
                Kind::Json(JsonReason::Any)
            }
        }
    }

    fn object(&mut self, schema: &Map<String, Value>, here: &Here) -> Kind {
        match schema.get("properties") {
            Some(Value::Object(properties)) if !properties.is_empty() => {
                let properties_here = here.child("properties");
                let mut object = Object::default();
                for name in properties.keys() {
                    let node = self.node(&properties_here.child(name));
                    object.fields.insert(
                        name.clone(),
                        Field {
                            node,
                            required: false,
                            column: None,
                        },
                    );
                }
                Kind::Object(object)
            }
            // `additionalProperties: false` and nothing declared: only `{}` is valid.
            _ if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                Kind::Object(Object::default())
            }
            // A map: keys are data, each value of the schema given.
            _ if matches!(schema.get("additionalProperties"), Some(Value::Object(value)) if !value.is_empty()) => {
                Kind::Map(Box::new(self.node(&here.child("additionalProperties"))))
            }
            // A free-form object.
            _ => Kind::Json(JsonReason::Map),
        }
    }

    /// `oneOf` / `anyOf`: a value is one of the branches, so the shape widens.
    fn union(&mut self, at: &Here, keyword: &str, count: usize) -> Node {
        let mut nullable = false;
        let mut rest = Vec::new();
        for i in 0..count {
            let branch = self.node(&at.index(i));
            nullable |= branch.nullable;
            if branch.kind != Kind::Unknown {
                rest.push(branch);
            }
        }
        let open = |n: &Node| n.kind == Kind::Json(JsonReason::Any);
        let mut node = if rest.is_empty() {
            Node {
                nullable: true,
                ..Node::default()
            }
        } else if rest.iter().any(open) {
            Node::new(Kind::Json(JsonReason::Any))
        } else if let Some(text) = enum_union(&rest) {
            Node::new(Kind::String(text))
        } else if rest.len() == 1 {
            rest.remove(0)
        } else if let Some(kind) = scalar_union(&rest) {
            Node::new(kind)
        } else {
            let mut kinds: Vec<&str> = Vec::new();
            for branch in &rest {
                let name = kind_name(&branch.kind);
                if !kinds.contains(&name) {
                    kinds.push(name);
                }
            }
            self.report(
                Diagnostic::warning(
                    self.docs.location(at),
                    format!(
                        "{keyword} at {} is not an enum, a nullable value or one scalar type (branches: {}); the value is kept as JSON text",
                        at.pointer,
                        kinds.join(", ")
                    ),
                )
                .with_hint("the bridge stores the whole value as JSON text; to model it, give the branches one type or combine them with allOf"),
            );
            Node::new(Kind::Json(JsonReason::Union))
        };
        node.nullable |= nullable;
        node
    }

    /// `allOf`: a value satisfies every branch, so the shapes narrow.
    fn intersect(&mut self, a: Node, b: Node, meet: &Meet, at: &str) -> Node {
        let any = |n: &Node| n.kind == Kind::Json(JsonReason::Any);
        // An open schema allows null, so only a typed side can rule null out.
        let nullable = match (any(&a), any(&b)) {
            (true, true) => a.nullable || b.nullable,
            (true, false) => b.nullable,
            (false, true) => a.nullable,
            (false, false) => a.nullable && b.nullable,
        };
        let doc = a.doc.or(b.doc);
        let kind = self.intersect_kinds(a.kind, b.kind, meet, at);
        Node {
            kind,
            nullable,
            doc,
        }
    }

    fn intersect_kinds(&mut self, a: Kind, b: Kind, meet: &Meet, at: &str) -> Kind {
        use JsonReason::{Any, Map};
        match (a, b) {
            (Kind::Json(Any) | Kind::Unknown, k) | (k, Kind::Json(Any) | Kind::Unknown) => k,
            (Kind::Json(Map), k @ (Kind::Object(_) | Kind::Map(_)))
            | (k @ (Kind::Object(_) | Kind::Map(_)), Kind::Json(Map)) => k,
            // Declared properties say more than a map's value schema.
            (Kind::Map(_), k @ Kind::Object(_)) | (k @ Kind::Object(_), Kind::Map(_)) => k,
            (Kind::Map(x), Kind::Map(y)) => {
                Kind::Map(Box::new(self.intersect(*x, *y, meet, &format!("{at}{{}}"))))
            }
            // A branch that could not be modelled (union, recursion) stays JSON text:
            // that keeps every value, where picking the other side would drop some.
            (Kind::Json(Map), Kind::Json(r)) | (Kind::Json(r), Kind::Json(Map)) => Kind::Json(r),
            (Kind::Json(r), k) | (k, Kind::Json(r)) if r != Map || matches!(k, Kind::Json(_)) => {
                Kind::Json(r)
            }
            (Kind::Boolean, Kind::Boolean) => Kind::Boolean,
            (Kind::Integer(x), Kind::Integer(y)) => Kind::Integer(x.min(y)),
            (Kind::Integer(w), Kind::Number) | (Kind::Number, Kind::Integer(w)) => Kind::Integer(w),
            (Kind::Number, Kind::Number) => Kind::Number,
            (Kind::String(x), Kind::String(y)) => Kind::String(self.intersect_text(x, y, meet, at)),
            (Kind::Array(x), Kind::Array(y)) => {
                Kind::Array(Box::new(self.intersect(*x, *y, meet, &format!("{at}[]"))))
            }
            (Kind::Object(mut x), Kind::Object(y)) => {
                for (name, theirs) in y.fields {
                    match x.fields.get_mut(&name) {
                        Some(mine) => {
                            let path = if at.is_empty() {
                                name.clone()
                            } else {
                                format!("{at}.{name}")
                            };
                            let node = std::mem::take(&mut mine.node);
                            mine.node = self.intersect(node, theirs.node, meet, &path);
                            mine.required |= theirs.required;
                        }
                        None => {
                            x.fields.insert(name, theirs);
                        }
                    }
                }
                Kind::Object(x)
            }
            (x, y) => {
                let (x, y) = (kind_label(&x), kind_label(&y));
                let place = if at.is_empty() {
                    String::new()
                } else {
                    format!(" in `{at}`")
                };
                self.report(
                    Diagnostic::error(
                        meet.location.clone(),
                        format!("{} combines {x} and {y}{place}; no value can be both", meet.label),
                    )
                    .with_hint("make the branches agree on the type, or use oneOf/anyOf if either kind of value is allowed"),
                );
                Kind::Json(JsonReason::Mixed(format!("{x} and {y}")))
            }
        }
    }

    fn intersect_text(&mut self, mut x: Text, y: Text, meet: &Meet, at: &str) -> Text {
        x.declared = x.declared.or(y.declared);
        x.max_length = match (x.max_length, y.max_length) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        x.enum_values = match (x.enum_values.take(), y.enum_values) {
            (Some(a), Some(b)) => {
                let common: Vec<String> = a.into_iter().filter(|v| b.contains(v)).collect();
                if common.is_empty() {
                    let place = if at.is_empty() {
                        String::new()
                    } else {
                        format!(" in `{at}`")
                    };
                    self.report(
                        Diagnostic::error(
                            meet.location.clone(),
                            format!("{} combines enums with no value in common{place}; no value can be both", meet.label),
                        )
                        .with_hint("make the enum branches share the allowed values"),
                    );
                }
                Some(common)
            }
            (a, b) => a.or(b),
        };
        x
    }
}

/// Rule 1: every branch a string enum (or `const`) → one string enum.
fn enum_union(branches: &[Node]) -> Option<Text> {
    let mut values: Vec<String> = Vec::new();
    let mut declared = Vec::new();
    for branch in branches {
        let text = branch.text()?;
        for value in text.enum_values.as_ref()? {
            if !values.contains(value) {
                values.push(value.clone());
            }
        }
        declared.push(text.declared);
    }
    Some(Text {
        declared: common(&declared).flatten(),
        enum_values: Some(values),
        ..Text::default()
    })
}

/// Rule 3: every branch the same scalar kind → that kind, widened to fit all.
fn scalar_union(branches: &[Node]) -> Option<Kind> {
    let kinds: Vec<&Kind> = branches.iter().map(|b| &b.kind).collect();
    if kinds.iter().all(|k| matches!(k, Kind::Boolean)) {
        return Some(Kind::Boolean);
    }
    if kinds
        .iter()
        .all(|k| matches!(k, Kind::Integer(_) | Kind::Number))
    {
        let mut widest = Some(IntWidth::I32);
        for kind in &kinds {
            widest = match (widest, kind) {
                (Some(w), Kind::Integer(v)) => Some(w.max(*v)),
                _ => None,
            };
        }
        return Some(widest.map_or(Kind::Number, Kind::Integer));
    }
    let texts: Vec<&Text> = branches.iter().map(Node::text).collect::<Option<_>>()?;
    let declared: Vec<Option<TextFormat>> = texts.iter().map(|t| t.declared).collect();
    let lengths: Option<Vec<u32>> = texts.iter().map(|t| t.max_length).collect();
    // A plain string branch accepts every value, so mixed enum/plain is plain.
    Some(Kind::String(Text {
        declared: common(&declared).flatten(),
        max_length: lengths.and_then(|l| l.into_iter().max()),
        ..Text::default()
    }))
}

/// The value all items share, if they do.
fn common<T: Copy + PartialEq>(items: &[T]) -> Option<T> {
    let first = *items.first()?;
    items.iter().all(|i| *i == first).then_some(first)
}

/// The type implied by a schema without `type`.
fn inferred_type(schema: &Map<String, Value>) -> Option<&'static str> {
    if schema.contains_key("properties") || schema.contains_key("additionalProperties") {
        Some("object")
    } else if schema.contains_key("items") {
        Some("array")
    } else if !enum_strings(schema).is_empty() {
        Some("string")
    } else {
        None
    }
}

/// Whether the schema's own keywords admit null: 3.0 `nullable: true`, 3.1 a
/// `"null"` type, or `null` among `enum` / as `const`.
fn own_nullable(schema: &Map<String, Value>) -> bool {
    let in_type = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    let in_enum =
        matches!(schema.get("enum"), Some(Value::Array(vs)) if vs.iter().any(Value::is_null));
    in_type
        || in_enum
        || schema.get("nullable") == Some(&Value::Bool(true))
        || schema.get("const") == Some(&Value::Null)
}

/// Whether `enum` / `const` allow nothing but null.
fn null_only_values(schema: &Map<String, Value>) -> bool {
    match (schema.get("enum"), schema.get("const")) {
        (Some(Value::Array(values)), None) => {
            !values.is_empty() && values.iter().all(Value::is_null)
        }
        (None, Some(Value::Null)) => true,
        _ => false,
    }
}

/// The string values of `enum` and `const`.
fn enum_strings(schema: &Map<String, Value>) -> Vec<String> {
    let mut values = strings(schema.get("enum"));
    if let Some(Value::String(c)) = schema.get("const") {
        if !values.contains(c) {
            values.push(c.clone());
        }
    }
    values
}

/// The strings in an array value.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn kind_label(kind: &Kind) -> &'static str {
    match kind {
        // Only a free-form object reaches an error through `Json`.
        Kind::Json(JsonReason::Map) => "object",
        other => kind_name(other),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
