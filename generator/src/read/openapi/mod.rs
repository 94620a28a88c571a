//! The OpenAPI reader: an OpenAPI 3.0 / 3.1 document (YAML or JSON) → an [`Api`].
//!
//! [`read`] loads the spec and every file its `$ref`s name, lists the operations
//! with their query parameters and success response shape, and the security
//! schemes they need. Every problem found is pushed to the [`Diagnostics`]; the
//! reader keeps going so that one run reports them all.
//!
//! # Schemas → shapes
//!
//! | schema | shape |
//! |---|---|
//! | `type: string` | [`Kind::String`]; `format` `date-time` / `date` / `uuid` → [`TextFormat`]; `maxLength`; string `enum` / `const` values |
//! | `type: integer` | [`Kind::Integer`]: `format: int32` → [`IntWidth::I32`], anything else → [`IntWidth::I64`] |
//! | `type: number` | [`Kind::Number`] |
//! | `type: boolean` | [`Kind::Boolean`] |
//! | `type: array` | [`Kind::Array`] of `items` (no `items`: items kept as JSON) |
//! | `type: object` with `properties` | [`Kind::Object`], fields in document order, `required` applied; `additionalProperties` ignored |
//! | `type: object` without `properties`, `additionalProperties` a schema | [`Kind::Map`] of that schema: a child entity keyed by the map key (see `cai_bridge_model::map`) |
//! | `type: object` without `properties` otherwise | [`JsonReason::Map`] (free-form object), or an empty object when `additionalProperties: false` |
//! | no `type` | inferred from `properties` / `additionalProperties` (object), `items` (array), string `enum` (string); else [`JsonReason::Any`] |
//! | 3.0 `nullable: true`, 3.1 `type: [T, "null"]`, `null` in `enum`, `const: null` | `nullable` |
//! | 3.1 `type: [integer, number]` | [`Kind::Number`]; other multi-type lists → [`JsonReason::Union`] with a warning |
//! | `description` | [`Node::doc`] |
//! | `$ref` | the target's shape; with 3.1 sibling keywords, intersected with them like `allOf` |
//! | `$ref` back to a schema being expanded | [`JsonReason::Recursive`] with a warning naming the `$ref` |
//!
//! # Composition
//!
//! `allOf` intersects: properties are united in order, `required` lists are united
//! (a branch may require a property another branch declares), a property declared
//! twice is intersected, integer ∩ number is integer, `maxLength` takes the
//! smaller, enums keep their common values. Kinds that cannot meet (string and
//! integer, object and array, …) are an **error**. A branch that is itself kept
//! as JSON (a union or a recursion cut) makes the result JSON, so no value is lost.
//! The schema's own `nullable: true` makes the result nullable (the 3.0 idiom
//! `{nullable: true, allOf: [{$ref: X}]}`).
//!
//! `oneOf` and `anyOf` unite their branches; `{type: "null"}` branches only make the
//! result nullable, and so does any nullable branch. The first rule that fits wins:
//!
//! | branches (besides null) | shape |
//! |---|---|
//! | none | null only ([`Kind::Unknown`], nullable) |
//! | one is open (`{}`, no type) | [`JsonReason::Any`] |
//! | all string `enum`s or `const`s | one string enum with the values of all, in order |
//! | exactly one | that branch (nullable if a null branch was present) |
//! | all boolean / all integer or number / all string | that scalar (integers widen, integer with number → number, strings drop enums and keep a common format) |
//! | anything else (objects, mixed kinds) | [`JsonReason::Union`] with a **warning**: the value is kept as JSON text |
//!
//! A schema with both its own keywords and `oneOf`/`anyOf` gets the intersection
//! of the two (so `{type: object, properties: …, oneOf: [{required: [a]}, {required: [b]}]}`
//! stays the object).
//!
//! # Operations
//!
//! Every path item × method (get, put, post, delete, patch, head, options, trace, in
//! that order), path-level parameters overridden by operation-level ones with the
//! same `name` and `in`; only `in: query` parameters are kept (a parameter without
//! a schema is a string). The response is the first of `200`, `201`, `2XX`,
//! `default` that exists, and its `application/json` (else any `+json`) body.

mod document;
mod operations;
mod schema;
mod security;
#[cfg(test)]
mod tests;
mod yaml;

use std::path::{Path, PathBuf};

use serde_json::Value;

use self::document::{lookup, Documents, Here};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use cai_bridge_model::shape::Node;
#[cfg(doc)]
use cai_bridge_model::shape::{IntWidth, JsonReason, Kind, TextFormat};

/// What the reader learned from an OpenAPI document.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub doc: Option<String>,
    /// The server URLs, with `{variables}` replaced by their defaults.
    pub servers: Vec<String>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// The schemes named by the document's and the operations' security
    /// requirements, each once, in order of first mention.
    pub security: Vec<SecurityScheme>,
    /// The scheme names of the document's first security requirement.
    pub default_security: Vec<String>,
    /// Every file read (the spec and each file a `$ref` named), for
    /// `cargo:rerun-if-changed`.
    pub files: Vec<PathBuf>,
}

/// One operation: a method on a path.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The path template, e.g. `/logs/v2/conversations`.
    pub path: String,
    /// The method in lower case, e.g. `get`.
    pub method: String,
    /// `operationId`, if given.
    pub operation_id: Option<String>,
    /// `summary` and `description`, separated by a blank line when both are given.
    pub doc: Option<String>,
    /// The query parameters (path-level ones included), in declaration order.
    pub query: Vec<Parameter>,
    /// The scheme names of the operation's own first security requirement (`None`:
    /// the document's, [`Api::default_security`], apply).
    pub security: Option<Vec<String>>,
    /// The shape of the JSON body of the `200`, `201`, `2XX` or `default` response
    /// (the first that exists), if it has an `application/json` or `+json` body.
    pub response: Option<Node>,
    /// Where the operation is in the spec, as a JSON pointer, e.g.
    /// `#/paths/~1logs~1v2~1conversations/get`.
    pub pointer: String,
}

/// A query parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// The wire name.
    pub name: String,
    /// Declared `required: true`.
    pub required: bool,
    /// The value's shape (a string when the parameter has no schema).
    pub node: Node,
    /// `description`, if given.
    pub doc: Option<String>,
}

/// A security scheme the API requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityScheme {
    /// OAuth 2.0 with a client-credentials flow.
    OAuth2ClientCredentials {
        /// The scheme's name in `components.securitySchemes`.
        name: String,
        /// `flows.clientCredentials.tokenUrl`.
        token_url: String,
        /// The flow's scope names, sorted.
        scopes: Vec<String>,
    },
    /// An API key.
    ApiKey {
        /// The scheme's name in `components.securitySchemes`.
        name: String,
        /// Where the key goes: `header`, `query` or `cookie`.
        location: String,
        /// The header, parameter or cookie name, e.g. `X-Token`.
        key: String,
    },
    /// HTTP authentication.
    Http {
        /// The scheme's name in `components.securitySchemes`.
        name: String,
        /// `bearer` or `basic` (lower case).
        scheme: String,
    },
    /// OAuth 2.0 with only flows that need a person (authorization code, implicit,
    /// password): a bridge cannot get the token itself, only send one it is given.
    OAuth2UserToken {
        /// The scheme's name in `components.securitySchemes`.
        name: String,
        /// The flows it declares (`authorizationCode`, `implicit`, `password`).
        flows: Vec<String>,
    },
    /// Anything else (OpenID Connect, mutual TLS).
    Other {
        /// The scheme's name in `components.securitySchemes`.
        name: String,
        /// The scheme's `type`.
        kind: String,
    },
}

impl SecurityScheme {
    /// The scheme's name in `components.securitySchemes`.
    pub fn name(&self) -> &str {
        match self {
            SecurityScheme::OAuth2ClientCredentials { name, .. }
            | SecurityScheme::ApiKey { name, .. }
            | SecurityScheme::Http { name, .. }
            | SecurityScheme::OAuth2UserToken { name, .. }
            | SecurityScheme::Other { name, .. } => name,
        }
    }
}

/// Reads the OpenAPI document at `path` (`.yaml`/`.yml` as YAML, anything else as
/// JSON) and the files its `$ref`s name.
///
/// Returns `None` only when the document cannot be read, does not parse, or is not
/// OpenAPI 3; otherwise an [`Api`] built from everything that could be read, with
/// every problem pushed to `diags` — check [`Diagnostics::has_errors`] before using it.
pub fn read(path: &Path, diags: &mut Diagnostics) -> Option<Api> {
    let mut docs = Documents::default();
    let spec = match docs.load(path, diags) {
        Ok(spec) => spec,
        Err(None) => return None,
        Err(Some(err)) => {
            diags.push(
                Diagnostic::error(
                    Location::File(path.to_path_buf()),
                    format!("cannot read the OpenAPI document {}: {err}", path.display()),
                )
                .with_hint("check the path; relative paths are taken from the current directory (in build.rs, the crate root)"),
            );
            return None;
        }
    };
    let root = docs.root(spec);
    if !is_openapi3(&root, path, diags) {
        return None;
    }
    let top = Here::root(spec);
    let text = |key: &str| {
        lookup(&root, key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut required = |key: &str| {
        text(key).unwrap_or_else(|| {
            diags.push(
                Diagnostic::error(docs.location(&Here { file: spec, pointer: key.to_owned() }), format!("the document has no `{}`", &key[2..].replace('/', ".")))
                    .with_hint("OpenAPI requires `info.title` and `info.version`; the title names the generated bridge"),
            );
            String::new()
        })
    };
    let title = required("#/info/title");
    let version = required("#/info/version");
    let doc = text("#/info/description");
    let servers = servers(&root, &docs, diags, &top);

    let found = operations::read(&mut docs, diags, spec);
    let mut sites = vec![top.child("security")];
    sites.extend(found.iter().map(|(_, here)| here.child("security")));
    let security = security::read(&mut docs, diags, spec, &sites);
    let default_security =
        operations::requirement(&docs, &top.child("security")).unwrap_or_default();

    Some(Api {
        title,
        version,
        doc,
        servers,
        operations: found.into_iter().map(|(operation, _)| operation).collect(),
        security,
        default_security,
        files: docs.files(),
    })
}

/// Checks the `openapi` field, explaining what else the document might be.
fn is_openapi3(root: &Value, path: &Path, diags: &mut Diagnostics) -> bool {
    let field = |key: &str| root.get(key);
    let (message, hint, pointer) = match (field("openapi"), field("swagger")) {
        (Some(Value::String(v)), _) if v.starts_with("3.") => return true,
        (Some(v), _) => (
            format!("OpenAPI version {} is not supported", v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            "only OpenAPI 3.0.x and 3.1.x documents are read",
            Some("#/openapi"),
        ),
        (None, Some(_)) => (
            "this is a Swagger 2.0 document; only OpenAPI 3.0 and 3.1 are supported".to_owned(),
            "convert it first, e.g. `npx swagger2openapi spec.yaml -o openapi.yaml`, or with the Swagger Editor (Edit → Convert to OpenAPI 3)",
            Some("#/swagger"),
        ),
        (None, None) => (
            "not an OpenAPI 3 document: there is no `openapi: 3.x` field".to_owned(),
            "the document must start with `openapi: 3.0.3` (or another 3.x version); is this the right file?",
            None,
        ),
    };
    let location = match pointer {
        Some(pointer) => Location::path(Some(path), pointer),
        None => Location::File(path.to_path_buf()),
    };
    diags.push(Diagnostic::error(location, message).with_hint(hint));
    false
}

/// The server URLs with `{variable}`s replaced by their `default`s.
fn servers(root: &Value, docs: &Documents, diags: &mut Diagnostics, top: &Here) -> Vec<String> {
    let Some(Value::Array(servers)) = root.get("servers") else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let Some(url) = server.get("url").and_then(Value::as_str) else {
            continue;
        };
        let mut out = String::new();
        let mut rest = url;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else {
                break;
            };
            out.push_str(&rest[..open]);
            let name = &rest[open + 1..close];
            match server
                .pointer(&format!("/variables/{}/default", document::escape(name)))
                .and_then(Value::as_str)
            {
                Some(default) => out.push_str(default),
                None => {
                    diags.push(
                        Diagnostic::warning(
                            docs.location(&top.child("servers").index(i).child("url")),
                            format!("server URL variable `{{{name}}}` has no default; it is left in the URL"),
                        )
                        .with_hint(format!("add `variables: {{{name}: {{default: ...}}}}` to the server")),
                    );
                    out.push_str(&rest[open..=close]);
                }
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        urls.push(out);
    }
    urls
}
