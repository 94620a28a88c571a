//! Path items × methods → [`Operation`]s: query parameters and the success response.

use indexmap::IndexMap;
use serde_json::Value;

use super::document::{escape, lookup, Documents, Here};
use super::schema::Schemas;
use super::{Operation, Parameter};
use crate::diagnostic::{Diagnostic, Diagnostics};
use cai_bridge_model::shape::{JsonReason, Kind, Node, Text};

/// The methods a path item may hold, in the order operations are listed.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The response codes whose JSON body becomes [`Operation::response`], best first.
const RESPONSE_CODES: [&str; 4] = ["200", "201", "2XX", "default"];

/// Every operation in document order, each with where its definition was found
/// (after following a path item `$ref`), which the security reader needs.
pub(super) fn read(
    docs: &mut Documents,
    diags: &mut Diagnostics,
    spec: usize,
) -> Vec<(Operation, Here)> {
    let root = docs.root(spec);
    let Some(Value::Object(paths)) = lookup(&root, "#/paths") else {
        return Vec::new();
    };
    let mut operations = Vec::new();
    for path in paths.keys() {
        let site = Here::root(spec).child("paths").child(path);
        let Some(item) = docs.deref(&site, diags) else {
            continue;
        };
        let item_root = docs.root(item.file);
        let Some(Value::Object(methods)) = lookup(&item_root, &item.pointer) else {
            continue;
        };
        for method in METHODS {
            if !matches!(methods.get(method), Some(Value::Object(_))) {
                continue;
            }
            let here = item.child(method);
            let operation = operation(docs, diags, &item, &here, path, method, &site);
            operations.push((operation, here));
        }
    }
    operations
}

fn operation(
    docs: &mut Documents,
    diags: &mut Diagnostics,
    item: &Here,
    here: &Here,
    path: &str,
    method: &str,
    site: &Here,
) -> Operation {
    let root = docs.root(here.file);
    let text = |key: &str| {
        lookup(&root, &here.child(key).pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let doc = match (text("summary"), text("description")) {
        (Some(summary), Some(description)) if summary != description => {
            Some(format!("{summary}\n\n{description}"))
        }
        (summary, description) => description.or(summary),
    };
    Operation {
        path: path.to_owned(),
        method: method.to_owned(),
        operation_id: text("operationId"),
        doc,
        query: query(
            docs,
            diags,
            &[item.child("parameters"), here.child("parameters")],
        ),
        response: response(docs, diags, here),
        security: requirement(docs, &here.child("security")),
        // Named by where it is written in the spec, even when the path item is a $ref.
        pointer: format!("{}/{}", site.pointer, escape(method)),
    }
}

/// The scheme names of the first requirement of the `security` array at `site`
/// (OpenAPI's alternatives are tried in order; a bridge satisfies the first), or
/// `None` when there is no such array.
pub(super) fn requirement(docs: &Documents, site: &Here) -> Option<Vec<String>> {
    let root = docs.root(site.file);
    let Some(Value::Array(requirements)) = lookup(&root, &site.pointer) else {
        return None;
    };
    Some(
        requirements
            .first()
            .and_then(Value::as_object)
            .map(|names| names.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

/// The query parameters from the path item's and the operation's lists; an
/// operation's parameter replaces the path item's one with the same name and `in`.
fn query(docs: &mut Documents, diags: &mut Diagnostics, lists: &[Here]) -> Vec<Parameter> {
    let mut merged: IndexMap<(String, String), Here> = IndexMap::new();
    for list in lists {
        let root = docs.root(list.file);
        let Some(Value::Array(entries)) = lookup(&root, &list.pointer) else {
            continue;
        };
        for i in 0..entries.len() {
            let Some(here) = docs.deref(&list.index(i), diags) else {
                continue;
            };
            let root = docs.root(here.file);
            let field = |key: &str| lookup(&root, &here.child(key).pointer).and_then(Value::as_str);
            match (field("name"), field("in")) {
                (Some(name), Some(place)) => {
                    merged.insert((name.to_owned(), place.to_owned()), here.clone());
                }
                _ => diags.push(
                    Diagnostic::error(docs.location(&here), "parameter without `name` and `in`")
                        .with_hint("every parameter needs a `name` and an `in` (query, header, path or cookie)"),
                ),
            }
        }
    }
    let mut parameters = Vec::new();
    for ((name, place), here) in merged {
        if place != "query" {
            continue;
        }
        let root = docs.root(here.file);
        let required = lookup(&root, &here.child("required").pointer) == Some(&Value::Bool(true));
        let doc = lookup(&root, &here.child("description").pointer)
            .and_then(Value::as_str)
            .map(str::to_owned);
        let schema = here.child("schema");
        let node = if docs.exists(&schema) {
            Schemas::new(docs, diags).node(&schema)
        } else if let Some(Value::Object(content)) = lookup(&root, &here.child("content").pointer) {
            match content.keys().next() {
                Some(media) => Schemas::new(docs, diags)
                    .node(&here.child("content").child(media).child("schema")),
                None => Node::new(Kind::String(Text::default())),
            }
        } else {
            // Without a schema a query parameter is still text on the wire.
            Node::new(Kind::String(Text::default()))
        };
        parameters.push(Parameter {
            name,
            required,
            node,
            doc,
        });
    }
    parameters
}

/// The JSON body of the preferred success response, if there is one.
fn response(docs: &mut Documents, diags: &mut Diagnostics, operation: &Here) -> Option<Node> {
    let root = docs.root(operation.file);
    let responses_here = operation.child("responses");
    let Some(Value::Object(responses)) = lookup(&root, &responses_here.pointer) else {
        return None;
    };
    let code = RESPONSE_CODES.iter().find_map(|want| {
        responses
            .keys()
            .find(|code| code.eq_ignore_ascii_case(want))
    })?;
    let response = docs.deref(&responses_here.child(code), diags)?;
    let root = docs.root(response.file);
    let content_here = response.child("content");
    let Some(Value::Object(content)) = lookup(&root, &content_here.pointer) else {
        return None;
    };
    let media = content
        .keys()
        .find(|m| base_media_type(m) == "application/json")
        .or_else(|| {
            content
                .keys()
                .find(|m| base_media_type(m).ends_with("+json"))
        })?;
    let schema = content_here.child(media).child("schema");
    Some(if docs.exists(&schema) {
        Schemas::new(docs, diags).node(&schema)
    } else {
        Node::new(Kind::Json(JsonReason::Any))
    })
}

/// `application/json; charset=utf-8` → `application/json`.
fn base_media_type(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
