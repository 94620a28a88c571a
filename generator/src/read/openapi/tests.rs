//! Tests for the OpenAPI reader, each over a small document in a temporary folder.

use std::path::{Path, PathBuf};

use super::*;
use crate::diagnostic::Severity;
use cai_bridge_model::shape::{Field, IntWidth, JsonReason, Kind, Object, Text, TextFormat};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn read_one(name: &str, text: &str) -> (Option<Api>, Diagnostics, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    let mut diags = Diagnostics::default();
    let api = read(&path, &mut diags);
    (api, diags, dir)
}

/// A 3.1 document whose `GET /x` returns `Root`; `schemas` is YAML at four spaces.
fn with_schemas(schemas: &str) -> String {
    format!(
        "openapi: 3.1.0
info: {{title: T, version: '1'}}
paths:
  /x:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Root'}}
components:
  schemas:
{schemas}"
    )
}

/// The response shape of `GET /x` and the diagnostics.
fn root_shape(schemas: &str) -> (Node, Diagnostics) {
    let (api, diags, _dir) = read_one("spec.yaml", &with_schemas(schemas));
    let api = api.unwrap_or_else(|| panic!("no api: {diags}"));
    let node = api.operations[0].response.clone().expect("a response");
    (node, diags)
}

fn fields(node: &Node) -> &Object {
    match &node.kind {
        Kind::Object(object) => object,
        other => panic!("expected an object, got {other:?}"),
    }
}

fn field<'n>(node: &'n Node, name: &str) -> &'n Field {
    fields(node)
        .fields
        .get(name)
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn items(node: &Node) -> &Node {
    match &node.kind {
        Kind::Array(items) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn string() -> Kind {
    Kind::String(Text::default())
}

fn enum_of(values: &[&str]) -> Kind {
    Kind::String(Text {
        enum_values: Some(values.iter().map(|v| v.to_string()).collect()),
        ..Text::default()
    })
}

fn only(diags: &Diagnostics, severity: Severity) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.severity == severity).collect()
}

#[test]
fn scalar_types_formats_and_required() {
    let (node, diags) = root_shape(
        "    Root:
      type: object
      description: the root
      required: [id, at]
      properties:
        id: {type: string, format: uuid}
        at: {type: string, format: date-time}
        day: {type: string, format: date}
        name: {type: string, maxLength: 40, description: a name}
        kind: {type: string, enum: [a, b]}
        small: {type: integer, format: int32}
        big: {type: integer, format: int64}
        plain: {type: integer}
        ratio: {type: number, format: double}
        flag: {type: boolean}
        tags: {type: array, items: {type: string}}
        anything: {}
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!(node.doc.as_deref(), Some("the root"));
    let names: Vec<&str> = fields(&node).fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "id", "at", "day", "name", "kind", "small", "big", "plain", "ratio", "flag", "tags",
            "anything"
        ]
    );
    assert!(
        field(&node, "id").required && field(&node, "at").required && !field(&node, "day").required
    );
    let text = |name| field(&node, name).node.text().cloned().unwrap();
    assert_eq!(text("id").declared, Some(TextFormat::Uuid));
    assert_eq!(text("at").declared, Some(TextFormat::Timestamp));
    assert_eq!(text("day").declared, Some(TextFormat::Date));
    assert_eq!(text("name").max_length, Some(40));
    assert_eq!(field(&node, "name").node.doc.as_deref(), Some("a name"));
    assert_eq!(field(&node, "kind").node.kind, enum_of(&["a", "b"]));
    assert_eq!(
        field(&node, "small").node.kind,
        Kind::Integer(IntWidth::I32)
    );
    assert_eq!(field(&node, "big").node.kind, Kind::Integer(IntWidth::I64));
    assert_eq!(
        field(&node, "plain").node.kind,
        Kind::Integer(IntWidth::I64)
    );
    assert_eq!(field(&node, "ratio").node.kind, Kind::Number);
    assert_eq!(field(&node, "flag").node.kind, Kind::Boolean);
    assert_eq!(items(&field(&node, "tags").node).kind, string());
    assert_eq!(
        field(&node, "anything").node.kind,
        Kind::Json(JsonReason::Any)
    );
}

#[test]
fn nullable_in_3_1_and_3_0() {
    let (node, _) = root_shape(
        "    Root:
      type: object
      properties:
        a: {type: [string, 'null']}
        b: {type: string, nullable: true}
        c: {type: string, enum: [x, null]}
        d: {type: string}
",
    );
    assert_eq!(field(&node, "a").node.kind, string());
    assert!(field(&node, "a").node.nullable);
    assert!(field(&node, "b").node.nullable);
    assert_eq!(field(&node, "c").node.kind, enum_of(&["x"]));
    assert!(field(&node, "c").node.nullable);
    assert!(!field(&node, "d").node.nullable);
}

#[test]
fn free_form_objects_and_maps() {
    let (node, diags) = root_shape(
        "    Root:
      type: object
      properties:
        map: {type: object, additionalProperties: {type: integer}}
        open: {type: object, additionalProperties: true}
        free: {type: object}
        both:
          type: object
          additionalProperties: true
          properties: {k: {type: string}}
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!(
        field(&node, "map").node.kind,
        Kind::Map(Box::new(Node::new(Kind::Integer(IntWidth::I64))))
    );
    for name in ["open", "free"] {
        assert_eq!(
            field(&node, name).node.kind,
            Kind::Json(JsonReason::Map),
            "{name}"
        );
    }
    let both = &field(&node, "both").node;
    assert_eq!(fields(both).fields.keys().collect::<Vec<_>>(), ["k"]);
}

#[test]
fn all_of_merges_properties_and_required() {
    let (node, diags) = root_shape(
        "    Base:
      type: object
      required: [id]
      properties:
        id: {type: string}
        size: {type: number}
    Root:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            name: {type: string}
            size: {type: integer, format: int32}
        - required: [name]
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    let names: Vec<&str> = fields(&node).fields.keys().map(String::as_str).collect();
    assert_eq!(names, ["id", "size", "name"]);
    assert!(field(&node, "id").required);
    assert!(field(&node, "name").required);
    assert!(!field(&node, "size").required);
    // integer ∩ number narrows to the integer.
    assert_eq!(field(&node, "size").node.kind, Kind::Integer(IntWidth::I32));
}

#[test]
fn all_of_nullable_ref_idiom() {
    let (node, diags) = root_shape(
        "    Inner: {type: object, properties: {a: {type: string}}}
    Root:
      type: object
      properties:
        inner:
          nullable: true
          allOf: [{$ref: '#/components/schemas/Inner'}]
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    let inner = &field(&node, "inner").node;
    assert!(inner.nullable);
    assert!(fields(inner).fields.contains_key("a"));
}

#[test]
fn all_of_contradiction_is_an_error() {
    let (node, diags) = root_shape(
        "    Root:
      allOf:
        - type: string
        - type: integer
",
    );
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 1, "{diags}");
    assert_eq!(
        errors[0].message,
        "allOf at #/components/schemas/Root/allOf combines string and integer; no value can be both"
    );
    assert!(errors[0].hint.is_some());
    assert!(
        matches!(&errors[0].location, Location::Path { path, .. } if path == "#/components/schemas/Root/allOf")
    );
    assert!(matches!(node.kind, Kind::Json(JsonReason::Mixed(_))));
}

#[test]
fn all_of_contradiction_in_a_property_names_it() {
    let (_, diags) = root_shape(
        "    Root:
      allOf:
        - {type: object, properties: {a: {type: boolean}}}
        - {type: object, properties: {a: {type: array, items: {}}}}
",
    );
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 1, "{diags}");
    assert!(
        errors[0]
            .message
            .contains("combines boolean and array in `a`"),
        "{}",
        errors[0].message
    );
}

#[test]
fn one_of_enum_like_union() {
    let (node, diags) = root_shape(
        "    Root:
      type: object
      properties:
        consts:
          oneOf: [{const: text}, {const: card}, {enum: [list]}]
        enums:
          anyOf: [{type: string, enum: [a, b]}, {type: string, enum: [b, c]}]
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!(
        field(&node, "consts").node.kind,
        enum_of(&["text", "card", "list"])
    );
    assert_eq!(field(&node, "enums").node.kind, enum_of(&["a", "b", "c"]));
}

#[test]
fn one_of_nullable_union_and_same_scalar() {
    let (node, diags) = root_shape(
        "    Thing: {type: object, properties: {a: {type: string}}}
    Root:
      type: object
      properties:
        maybe:
          oneOf: [{$ref: '#/components/schemas/Thing'}, {type: 'null'}]
        nullable30:
          nullable: true
          anyOf: [{$ref: '#/components/schemas/Thing'}]
        number:
          anyOf: [{type: integer, format: int32}, {type: number}]
        text:
          oneOf: [{type: string, format: uuid}, {type: string, enum: [none]}]
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    let maybe = &field(&node, "maybe").node;
    assert!(maybe.nullable);
    assert!(fields(maybe).fields.contains_key("a"));
    let nullable30 = &field(&node, "nullable30").node;
    assert!(nullable30.nullable);
    assert!(fields(nullable30).fields.contains_key("a"));
    assert_eq!(field(&node, "number").node.kind, Kind::Number);
    // A plain string branch accepts anything, so the enum goes; the formats disagree.
    assert_eq!(field(&node, "text").node.kind, string());
}

#[test]
fn one_of_objects_fall_back_to_json_with_a_warning() {
    let (node, diags) = root_shape(
        "    Root:
      type: object
      properties:
        payload:
          oneOf:
            - {type: object, properties: {a: {type: string}}}
            - {type: string}
",
    );
    assert_eq!(
        field(&node, "payload").node.kind,
        Kind::Json(JsonReason::Union)
    );
    let warnings: Vec<_> = diags.warnings().collect();
    assert_eq!(warnings.len(), 1, "{diags}");
    assert!(!diags.has_errors());
    let pointer = "#/components/schemas/Root/properties/payload/oneOf";
    assert!(
        warnings[0].message.contains(pointer),
        "{}",
        warnings[0].message
    );
    assert!(warnings[0].message.contains("kept as JSON text"));
    assert!(matches!(&warnings[0].location, Location::Path { path, .. } if path == pointer));
}

#[test]
fn recursion_is_cut_with_a_warning() {
    let (node, diags) = root_shape(
        "    Root:
      type: object
      properties:
        name: {type: string}
        children:
          type: array
          items: {$ref: '#/components/schemas/Root'}
",
    );
    assert_eq!(
        items(&field(&node, "children").node).kind,
        Kind::Json(JsonReason::Recursive)
    );
    assert_eq!(field(&node, "name").node.kind, string());
    let warnings: Vec<_> = diags.warnings().collect();
    assert_eq!(warnings.len(), 1, "{diags}");
    let site = "#/components/schemas/Root/properties/children/items/$ref";
    assert!(matches!(&warnings[0].location, Location::Path { path, .. } if path == site));
    assert!(warnings[0].message.contains(site));
}

#[test]
fn mutual_recursion_through_two_schemas_is_cut() {
    let (node, diags) = root_shape(
        "    Root: {type: object, properties: {b: {$ref: '#/components/schemas/B'}}}
    B: {type: object, properties: {root: {$ref: '#/components/schemas/Root'}}}
",
    );
    let b = &field(&node, "b").node;
    assert_eq!(
        field(b, "root").node.kind,
        Kind::Json(JsonReason::Recursive)
    );
    assert_eq!(diags.warnings().count(), 1, "{diags}");
}

#[test]
fn dangling_ref_is_an_error_at_the_ref() {
    let (api, diags, dir) = read_one(
        "spec.yaml",
        &with_schemas(
            "    Root:
      type: object
      properties:
        messages:
          type: array
          items: {$ref: '#/components/schemas/Mesage'}
        other: {$ref: 'missing.yaml#/X'}
",
        ),
    );
    assert!(api.is_some(), "the reader keeps going");
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 2, "{diags}");
    assert_eq!(
        errors[0].location,
        Location::Path {
            file: Some(dir.path().join("spec.yaml")),
            path: "#/components/schemas/Root/properties/messages/items/$ref".into()
        }
    );
    assert!(errors[0].message.contains("#/components/schemas/Mesage"));
    assert!(errors[0].hint.is_some());
    assert!(
        errors[1].message.contains("missing.yaml"),
        "{}",
        errors[1].message
    );
}

#[test]
fn pointer_escapes_are_unescaped() {
    let (node, diags) = root_shape(
        "    a/b~c: {type: boolean}
    Root: {type: object, properties: {x: {$ref: '#/components/schemas/a~1b~0c'}}}
",
    );
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!(field(&node, "x").node.kind, Kind::Boolean);
}

#[test]
fn relative_file_refs_across_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write(
        dir.path(),
        "api/spec.yaml",
        &with_schemas(
            "    Root:
      type: object
      properties:
        thing: {$ref: 'schemas/common.json#/components/schemas/Thing'}
        again: {$ref: './schemas/common.json#/components/schemas/Thing'}
",
        ),
    );
    // The second file refers back relative to itself, and to itself locally.
    let common = write(
        dir.path(),
        "api/schemas/common.json",
        r##"{"components": {"schemas": {
            "Thing": {"type": "object", "properties": {
                "id": {"$ref": "#/components/schemas/Id"},
                "kind": {"$ref": "../kinds.yaml"}}},
            "Id": {"type": "string", "format": "uuid"}}}}"##,
    );
    let kinds = write(dir.path(), "api/kinds.yaml", "type: string\nenum: [a, b]\n");
    let mut diags = Diagnostics::default();
    let api = read(&spec, &mut diags).unwrap();
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!(api.files, [spec, common, kinds], "each file read once");
    let node = api.operations[0].response.clone().unwrap();
    for name in ["thing", "again"] {
        let thing = &field(&node, name).node;
        assert_eq!(
            field(thing, "id").node.text().unwrap().declared,
            Some(TextFormat::Uuid)
        );
        assert_eq!(field(thing, "kind").node.kind, enum_of(&["a", "b"]));
    }
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    let (api, diags, dir) = read_one(
        "spec.yaml",
        "openapi: 3.0.3\ninfo:\n  title: [unclosed\n  version: '1'\n",
    );
    assert!(api.is_none());
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 1, "{diags}");
    match &errors[0].location {
        Location::Position { file, line, column } => {
            assert_eq!(file, &dir.path().join("spec.yaml"));
            assert!(*line >= 3 && *column >= 1, "{line}:{column}");
            let repeated = format!(" at line {line} column {column}");
            assert!(
                !errors[0].message.contains(&repeated),
                "the location says it: {}",
                errors[0].message
            );
        }
        other => panic!("expected a position, got {other:?}"),
    }
    assert!(errors[0].message.starts_with("invalid YAML"));
    assert!(errors[0].hint.is_some());
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let (api, diags, _dir) = read_one(
        "spec.json",
        "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {,}\n}",
    );
    assert!(api.is_none());
    let errors = only(&diags, Severity::Error);
    assert!(
        matches!(
            errors[0].location,
            Location::Position {
                line: 3,
                column: 12,
                ..
            }
        ),
        "{:?}",
        errors[0].location
    );
    assert!(
        !errors[0].message.contains("line 3"),
        "{}",
        errors[0].message
    );
}

#[test]
fn swagger_2_and_non_openapi_are_rejected() {
    let (api, diags, _dir) = read_one(
        "spec.yaml",
        "swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}\n",
    );
    assert!(api.is_none());
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("Swagger 2.0"));
    assert!(errors[0]
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("swagger2openapi"));

    let (api, diags, _dir) = read_one("data.json", r#"{"name": "not a spec"}"#);
    assert!(api.is_none());
    assert!(only(&diags, Severity::Error)[0]
        .message
        .contains("openapi: 3.x"));
}

#[test]
fn json_document_with_info_servers_and_operations() {
    let (api, diags, _dir) = read_one(
        "spec.json",
        r##"{
  "openapi": "3.0.3",
  "info": {"title": "Logs", "version": "2.0", "description": "Conversation logs"},
  "servers": [{"url": "https://{host}/api/{v}", "variables": {"host": {"default": "example.com"}, "v": {"default": "v2"}}}],
  "paths": {
    "/b": {
      "parameters": [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "format": "int32"}},
        {"name": "tenant", "in": "header", "schema": {"type": "string"}},
        {"$ref": "#/components/parameters/From"}
      ],
      "post": {"responses": {"201": {"description": "made", "content": {"application/vnd.x+json": {"schema": {"type": "boolean"}}}}}},
      "get": {
        "operationId": "listB",
        "summary": "List b",
        "description": "All of them.",
        "parameters": [{"name": "limit", "in": "query", "required": true, "description": "at most", "schema": {"type": "integer"}}],
        "responses": {
          "default": {"description": "error", "content": {"application/json": {"schema": {"type": "string"}}}},
          "200": {"$ref": "#/components/responses/Ok"}
        }
      }
    },
    "/a": {"delete": {"responses": {"204": {"description": "gone"}}}}
  },
  "components": {
    "parameters": {"From": {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}}},
    "responses": {"Ok": {"description": "ok", "content": {"application/json; charset=utf-8": {"schema": {"type": "integer"}}}}}
  }
}"##,
    );
    let api = api.unwrap();
    assert!(diags.iter().next().is_none(), "{diags}");
    assert_eq!((api.title.as_str(), api.version.as_str()), ("Logs", "2.0"));
    assert_eq!(api.doc.as_deref(), Some("Conversation logs"));
    assert_eq!(api.servers, ["https://example.com/api/v2"]);
    let listed: Vec<(&str, &str)> = api
        .operations
        .iter()
        .map(|o| (o.path.as_str(), o.method.as_str()))
        .collect();
    assert_eq!(listed, [("/b", "get"), ("/b", "post"), ("/a", "delete")]);
    let get = &api.operations[0];
    assert_eq!(get.operation_id.as_deref(), Some("listB"));
    assert_eq!(get.doc.as_deref(), Some("List b\n\nAll of them."));
    assert_eq!(get.pointer, "#/paths/~1b/get");
    let query: Vec<(&str, bool)> = get
        .query
        .iter()
        .map(|p| (p.name.as_str(), p.required))
        .collect();
    assert_eq!(
        query,
        [("limit", true), ("from", false)],
        "operation overrides path; headers dropped"
    );
    assert_eq!(get.query[0].node.kind, Kind::Integer(IntWidth::I64));
    assert_eq!(get.query[0].doc.as_deref(), Some("at most"));
    assert_eq!(
        get.query[1].node.text().unwrap().declared,
        Some(TextFormat::Timestamp)
    );
    assert_eq!(
        get.response.as_ref().unwrap().kind,
        Kind::Integer(IntWidth::I64),
        "200 preferred, via $ref"
    );
    assert_eq!(
        api.operations[1].response.as_ref().unwrap().kind,
        Kind::Boolean,
        "+json"
    );
    assert_eq!(api.operations[2].response, None);
}

#[test]
fn security_schemes_in_order_of_first_mention() {
    let (api, diags, _dir) = read_one(
        "spec.yaml",
        "openapi: 3.0.3
info: {title: T, version: '1'}
security:
  - oauth: [read]
paths:
  /x:
    get:
      security: [{token: []}, {oauth: []}]
      responses: {'204': {description: none}}
    post:
      security: [{basic: []}, {ghost: []}]
      responses: {'204': {description: none}}
components:
  securitySchemes:
    token: {type: apiKey, in: header, name: X-Token}
    basic: {type: http, scheme: Basic}
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.example.com/oauth/token
          scopes: {write: w, read: r}
    unused: {type: openIdConnect, openIdConnectUrl: https://x}
",
    );
    let api = api.unwrap();
    assert_eq!(
        api.security,
        [
            SecurityScheme::OAuth2ClientCredentials {
                name: "oauth".into(),
                token_url: "https://auth.example.com/oauth/token".into(),
                scopes: vec!["read".into(), "write".into()],
            },
            SecurityScheme::ApiKey {
                name: "token".into(),
                location: "header".into(),
                key: "X-Token".into(),
            },
            SecurityScheme::Http {
                name: "basic".into(),
                scheme: "basic".into(),
            },
        ]
    );
    let errors = only(&diags, Severity::Error);
    assert_eq!(errors.len(), 1, "{diags}");
    assert!(errors[0].message.contains("`ghost`"));
    assert!(
        matches!(&errors[0].location, Location::Path { path, .. } if path == "#/paths/~1x/post/security/1/ghost")
    );
    assert!(errors[0].hint.as_deref().unwrap_or("").contains("token"));
}

#[test]
fn never_panics_on_odd_documents() {
    let odd = [
        "openapi: 3.1.0\n",
        "openapi: 3.1.0\ninfo: 5\npaths: [1, 2]\n",
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {/x: {get: {parameters: [{}, 3], responses: {'200': {content: {application/json: {schema: 7}}}}}}}\n",
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {/x: {$ref: '#/paths/~1x'}}\n",
        "openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {/x: {get: {responses: {'200': {content: {application/json: {schema: {allOf: 3, oneOf: [], type: [], items: 1}}}}}}}}\n",
        "openapi: 4\n",
        "- a list\n",
        "",
    ];
    for text in odd {
        let (_, diags, _dir) = read_one("spec.yaml", text);
        let _ = diags.to_string();
    }
}

#[test]
fn cai_logs_v2_spec() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/cai-logs-v2/openapi.yaml");
    if !path.exists() {
        eprintln!("skipped: {} does not exist yet", path.display());
        return;
    }
    let mut diags = Diagnostics::default();
    let api = read(&path, &mut diags).unwrap_or_else(|| panic!("{diags}"));
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(diags.warnings().count(), 0, "{diags}");
    let op = api
        .operations
        .iter()
        .find(|o| o.method == "get" && o.path == "/logs/v2/conversations")
        .expect("GET /logs/v2/conversations");
    let query: Vec<&str> = op.query.iter().map(|p| p.name.as_str()).collect();
    assert!(
        query.contains(&"from") && query.contains(&"to"),
        "{query:?}"
    );
    let response = op.response.as_ref().expect("a JSON response");
    let conversations = items(&field(&field(response, "results").node, "conversations").node);
    let messages = items(&field(conversations, "messages").node);
    assert!(
        matches!(messages.kind, Kind::Object(_)),
        "{:?}",
        messages.kind
    );
    // Intents are per message: each user message carries its NLU data.
    let intents = items(&field(messages, "intents").node);
    assert!(field(intents, "slug").required);
    assert_eq!(api.security.len(), 2, "{:?}", api.security);
    assert!(
        matches!(&api.security[0], SecurityScheme::OAuth2ClientCredentials { token_url, .. } if token_url.ends_with("/oauth/token"))
    );
    assert!(
        matches!(&api.security[1], SecurityScheme::ApiKey { location, key, .. } if location == "header" && key == "X-Token")
    );
}
