//! Loading: read every input, pick the operation and record path, fold samples into
//! the spec's shape, build the model. The first of the three steps (load → inspect →
//! generate) that every front end shares.

use std::path::PathBuf;

use crate::diagnostic::{Check, Diagnostic, Diagnostics, Error, Location};
use crate::read::openapi::{self, Api, Operation, SecurityScheme};
use crate::read::reconcile::reconcile;
use crate::read::samples;
use cai_bridge_model::builder::build;
use cai_bridge_model::config::{split_path, Config, DEFAULT_RECORDS};
use cai_bridge_model::shape::{Kind, Node, TextFormat};
use cai_bridge_model::{path, AuthScheme, KeyLocation, Model, Source, TimeFormat, Window};

/// The inputs of one generator run.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The OpenAPI spec (YAML or JSON).
    pub spec: Option<PathBuf>,
    /// Sample payload files or folders.
    pub samples: Vec<PathBuf>,
    /// `bridge.toml`.
    pub config: Option<PathBuf>,
}

/// A loaded model and what loading it had to say.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The model.
    pub model: Model,
    /// Warnings (loading stops at errors).
    pub warnings: Diagnostics,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub files: Vec<PathBuf>,
    /// The spec's files (the spec first, then each `$ref`'d file), which
    /// `cai-bridge new` copies into the bridge.
    pub spec_files: Vec<PathBuf>,
    /// Every sample file read, in reading order.
    pub sample_files: Vec<PathBuf>,
}

impl Inputs {
    /// Reads the inputs and builds the model, collecting every problem.
    pub fn load(&self) -> Result<Loaded, Error> {
        let mut diags = Diagnostics::default();
        let mut files = Vec::new();
        let config = match &self.config {
            Some(path) => {
                files.push(path.clone());
                Config::read(path, &mut diags)
            }
            None => Some(Config::default()),
        };
        let api = self
            .spec
            .as_ref()
            .and_then(|path| openapi::read(path, &mut diags));
        diags.check()?;
        let config = config.unwrap_or_default();
        if self.spec.is_none() && self.samples.is_empty() {
            return Err(Error::invalid(
                Diagnostic::error(Location::Unknown, "nothing to read: no spec and no samples")
                    .with_hint("pass --spec FILE, --sample PATH, or both"),
            ));
        }

        let mut source = Source {
            method: None,
            path: None,
            records: config
                .record_path()
                .unwrap_or_else(|| split_path(DEFAULT_RECORDS)),
            rust_names: Vec::new(),
            window: None,
            auth: Vec::new(),
            env_prefix: config.env_prefix.clone(),
        };
        let mut record = None;
        let mut spec_files = Vec::new();
        let mut sample_files = Vec::new();
        if let Some(api) = &api {
            spec_files.clone_from(&api.files);
            files.extend(api.files.iter().cloned());
            if let Some((operation, records, node)) = locate(api, &config, &mut diags) {
                source.method = Some(operation.method.clone());
                source.path = Some(operation.path.clone());
                source.records = records;
                source.window = window(api, operation, &config, &mut diags);
                source.auth = auth(api, operation, &config, &mut diags);
                record = Some(node);
            }
        }
        diags.check()?;

        if !self.samples.is_empty() {
            if let Some(seen) = samples::infer(&self.samples, &source.records, &mut diags) {
                sample_files.clone_from(&seen.files);
                files.extend(seen.files);
                let path = path::item(&path::of_keys(&source.records));
                match &mut record {
                    Some(declared) => reconcile(declared, &seen.record, &path, &mut diags),
                    None => record = Some(seen.record),
                }
            }
        }
        diags.check()?;
        let Some(record) = record else {
            return Err(Error::Invalid(diags));
        };
        let model = build(&record, source, &config, api.is_some(), &mut diags);
        diags.check()?;
        let mut model = model.ok_or_else(|| Error::Invalid(diags.clone()))?;
        // Decided here, once, so the bridge and its help text need no rule of their own.
        model.source.env_prefix = Some(model.env_prefix());
        Ok(Loaded {
            model,
            warnings: diags,
            files,
            spec_files,
            sample_files,
        })
    }
}

/// The operation that returns records, the path to them, and their shape.
fn locate<'a>(
    api: &'a Api,
    config: &Config,
    diags: &mut Diagnostics,
) -> Option<(&'a Operation, Vec<String>, Node)> {
    let spec_file = api.files.first().cloned();
    let candidates: Vec<&Operation> = api
        .operations
        .iter()
        .filter(|op| op.method == "get" && op.response.is_some())
        .filter(|op| {
            config
                .operation
                .as_ref()
                .is_none_or(|wanted| &op.path == wanted)
        })
        .collect();
    if candidates.is_empty() {
        let what = match &config.operation {
            Some(wanted) => format!("no GET operation `{wanted}` with a JSON response"),
            None => "no GET operation with a JSON response".to_owned(),
        };
        diags.push(
            Diagnostic::error(Location::path(spec_file.as_deref(), "#/paths"), what)
                .with_hint("set `operation` in bridge.toml to the path that lists the records"),
        );
        return None;
    }
    if let Some(wanted) = config.record_path() {
        for op in &candidates {
            if let Some(node) = op.response.as_ref().and_then(|r| records_at(r, &wanted)) {
                return Some((op, wanted, node));
            }
        }
        let found: Vec<String> = candidates
            .iter()
            .filter_map(|op| op.response.as_ref())
            .flat_map(array_paths)
            .collect();
        let location = match &config.file {
            Some(file) => Location::path(Some(file), "records"),
            None => Location::path(spec_file.as_deref(), candidates[0].pointer.clone()),
        };
        diags.push(
            Diagnostic::error(
                location,
                format!(
                    "record path `{}` matches nothing in the response of GET {}",
                    wanted.join("."),
                    candidates[0].path
                ),
            )
            .with_hint(if found.is_empty() {
                "the response has no array of objects".to_owned()
            } else {
                format!("arrays of objects there: {}", found.join(", "))
            }),
        );
        return None;
    }
    for op in &candidates {
        if let Some(path) = op
            .response
            .as_ref()
            .and_then(|r| array_paths(r).into_iter().next())
        {
            let keys = split_path(&path);
            let node = op.response.as_ref().and_then(|r| records_at(r, &keys))?;
            return Some((op, keys, node));
        }
    }
    diags.push(
        Diagnostic::error(
            Location::path(spec_file.as_deref(), candidates[0].pointer.clone()),
            format!(
                "the response of GET {} has no array of objects",
                candidates[0].path
            ),
        )
        .with_hint("set `records` in bridge.toml to the dotted path of the record array"),
    );
    None
}

/// The item shape of the array at `keys` in a response, if it holds objects.
fn records_at(response: &Node, keys: &[String]) -> Option<Node> {
    let mut node = response;
    for key in keys {
        let Kind::Object(object) = &node.kind else {
            return None;
        };
        node = &object.fields.get(key)?.node;
    }
    match &node.kind {
        Kind::Array(items) if matches!(items.kind, Kind::Object(_)) => Some((**items).clone()),
        _ => None,
    }
}

/// Dotted paths to every array of objects reachable through objects, in document order.
fn array_paths(response: &Node) -> Vec<String> {
    fn walk(node: &Node, prefix: &str, out: &mut Vec<String>) {
        match &node.kind {
            Kind::Array(items) if matches!(items.kind, Kind::Object(_)) => {
                out.push(prefix.to_owned())
            }
            Kind::Object(object) => {
                for (key, field) in &object.fields {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&field.node, &path, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(response, "", &mut out);
    out
}

/// The names of the two parameters that bound a time window, in the order they are
/// tried; compared without case, `_` and `-` (so `startDate` is `start_date`).
const WINDOW_NAMES: [(&str, &str); 6] = [
    ("from", "to"),
    ("since", "until"),
    ("start", "end"),
    ("start_date", "end_date"),
    ("start_time", "end_time"),
    ("after", "before"),
];

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a query parameter's value is written, if it can bound a window.
fn time_format(parameter: &openapi::Parameter) -> Option<TimeFormat> {
    match &parameter.node.kind {
        Kind::String(text) => match text.declared {
            Some(TextFormat::Timestamp) | None => Some(TimeFormat::Rfc3339),
            Some(TextFormat::Date) => Some(TimeFormat::Date),
            Some(TextFormat::Uuid) => None,
        },
        // Only prose tells milliseconds from seconds (Spotify: "A Unix timestamp in
        // milliseconds"); sending seconds there would ask for 1970.
        Kind::Integer(_) => {
            let says_millis = [parameter.doc.as_deref(), parameter.node.doc.as_deref()]
                .into_iter()
                .flatten()
                .any(|doc| doc.to_ascii_lowercase().contains("millisecond"));
            Some(if says_millis {
                TimeFormat::UnixMilliseconds
            } else {
                TimeFormat::UnixSeconds
            })
        }
        _ => None,
    }
}

/// The operation's window parameters: those bridge.toml names, else the first pair of
/// [`WINDOW_NAMES`] the operation has (a pair declared `format: date-time` first).
fn window(
    api: &Api,
    operation: &Operation,
    config: &Config,
    diags: &mut Diagnostics,
) -> Option<Window> {
    let spec_file = api.files.first().cloned();
    let here = || Location::path(spec_file.as_deref(), operation.pointer.clone());
    let find = |name: &str| operation.query.iter().find(|p| p.name == name);
    let declared: Vec<&str> = operation.query.iter().map(|p| p.name.as_str()).collect();
    match (&config.sync.from_param, &config.sync.to_param) {
        (Some(from), Some(to)) => {
            let (Some(start), Some(_)) = (find(from), find(to)) else {
                diags.push(
                    Diagnostic::error(
                        here(),
                        format!("GET {} has no query parameters `{from}` and `{to}` ([sync] from_param, to_param)", operation.path),
                    )
                    .with_hint(format!("its query parameters: {}", declared.join(", "))),
                );
                return None;
            };
            let Some(format) = time_format(start) else {
                diags.push(
                    Diagnostic::error(here(), format!("query parameter `{from}` is neither a date-time, a date nor an integer"))
                        .with_hint("a window bound is an RFC 3339 date-time, a date or Unix seconds"),
                );
                return None;
            };
            return Some(Window {
                from: from.clone(),
                to: to.clone(),
                format,
            });
        }
        (None, None) => {}
        _ => {
            diags.push(
                Diagnostic::error(here(), "[sync] names only one of from_param and to_param")
                    .with_hint("name both window parameters, or neither"),
            );
            return None;
        }
    }
    let pairs: Vec<(&openapi::Parameter, &openapi::Parameter, TimeFormat)> = WINDOW_NAMES
        .iter()
        .filter_map(|(from, to)| {
            let named = |want: &str| {
                operation
                    .query
                    .iter()
                    .find(|p| normalized(&p.name) == normalized(want))
            };
            let (start, end) = (named(from)?, named(to)?);
            let format = time_format(start)?;
            (time_format(end)? == format).then_some((start, end, format))
        })
        .collect();
    let declared_timestamp = |p: &openapi::Parameter| matches!(&p.node.kind, Kind::String(t) if t.declared == Some(TextFormat::Timestamp));
    let best = pairs
        .iter()
        .find(|(start, end, _)| declared_timestamp(start) && declared_timestamp(end))
        .or_else(|| pairs.first());
    match best {
        Some((start, end, format)) => Some(Window {
            from: start.name.clone(),
            to: end.name.clone(),
            format: *format,
        }),
        None => {
            diags.push(
                Diagnostic::warning(
                    here(),
                    format!("GET {} has no pair of time-window query parameters; the bridge can `load` files but not `sync`", operation.path),
                )
                .with_hint("name them in bridge.toml: [sync] from_param = \"…\", to_param = \"…\""),
            );
            None
        }
    }
}

/// The security schemes of the operation's first requirement (the document's when
/// it has none), as the bridge will satisfy them.
fn auth(
    api: &Api,
    operation: &Operation,
    config: &Config,
    diags: &mut Diagnostics,
) -> Vec<AuthScheme> {
    let spec_file = api.files.first().cloned();
    let names = operation.security.as_ref().unwrap_or(&api.default_security);
    let mut schemes = Vec::new();
    for name in names {
        let Some(scheme) = api.security.iter().find(|s| s.name() == name) else {
            // The security reader reported the undefined name.
            continue;
        };
        let unsupported = |what: &str| {
            Diagnostic::error(
                Location::path(spec_file.as_deref(), format!("#/components/securitySchemes/{name}")),
                format!("security scheme `{name}` ({what}) is not one a bridge can satisfy"),
            )
            .with_hint("a bridge authenticates with OAuth 2.0 client credentials, an API key in a header or query parameter, HTTP bearer or HTTP basic")
        };
        schemes.push(match scheme {
            SecurityScheme::OAuth2ClientCredentials { token_url, .. } => AuthScheme::Oauth2 {
                name: name.clone(),
                token_url: token_url.clone(),
            },
            SecurityScheme::ApiKey { location, key, .. } => {
                let location = match location.as_str() {
                    "header" => KeyLocation::Header,
                    "query" => KeyLocation::Query,
                    other => {
                        diags.push(unsupported(&format!("an API key in a {other}")));
                        continue;
                    }
                };
                AuthScheme::ApiKey {
                    name: name.clone(),
                    location,
                    parameter: key.clone(),
                    prefix: config.sync.api_key_prefix.clone(),
                }
            }
            SecurityScheme::OAuth2UserToken { flows, .. } => {
                // Spotify's and Swagger's petstore declare only flows a person
                // completes in a browser; the token they end with is a bearer token,
                // which the bridge can send when it is given one.
                diags.push(
                    Diagnostic::warning(
                        Location::path(
                            spec_file.as_deref(),
                            format!("#/components/securitySchemes/{name}"),
                        ),
                        format!(
                            "security scheme `{name}` is OAuth 2.0 without a client-credentials flow ({}); the bridge sends an access token it is given as a bearer token",
                            if flows.is_empty() { "no flows".to_owned() } else { flows.join(", ") }
                        ),
                    )
                    .with_hint("get a token by the API's own flow and set it in the bridge's `<PREFIX>_TOKEN`; it is not refreshed, so a run ends when it expires"),
                );
                AuthScheme::Bearer { name: name.clone() }
            }
            SecurityScheme::Http { scheme, .. } if scheme == "bearer" => {
                AuthScheme::Bearer { name: name.clone() }
            }
            SecurityScheme::Http { scheme, .. } if scheme == "basic" => {
                AuthScheme::Basic { name: name.clone() }
            }
            SecurityScheme::Http { scheme, .. } => {
                diags.push(unsupported(&format!("HTTP {scheme}")));
                continue;
            }
            SecurityScheme::Other { kind, .. } => {
                diags.push(unsupported(kind));
                continue;
            }
        });
    }
    schemes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec with one GET operation taking `parameters` and needing `security`.
    fn spec(parameters: &str, schemes: &str, security: &str) -> String {
        format!(
            r#"openapi: 3.0.3
info: {{title: t, version: "1"}}
security: {security}
paths:
  /events:
    get:
      parameters: {parameters}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  events:
                    type: array
                    items:
                      type: object
                      required: [id]
                      properties:
                        id: {{type: string}}
                        at: {{type: string, format: date-time}}
components:
  securitySchemes: {schemes}
"#
        )
    }

    fn load(spec: &str, config: Option<&str>) -> Result<Loaded, Error> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("openapi.yaml");
        std::fs::write(&file, spec).unwrap();
        let config = config.map(|text| {
            let path = dir.path().join("bridge.toml");
            std::fs::write(&path, text).unwrap();
            path
        });
        Inputs {
            spec: Some(file),
            samples: Vec::new(),
            config,
        }
        .load()
    }

    const KEY: &str = "{key: {type: apiKey, in: header, name: X-Key}}";

    #[test]
    fn window_parameters_are_found_by_name_and_format() {
        let parameters = r#"[{name: limit, in: query, schema: {type: integer}},
            {name: startDate, in: query, schema: {type: string, format: date}},
            {name: end_date, in: query, schema: {type: string, format: date}},
            {name: since, in: query, schema: {type: string, format: date-time}},
            {name: until, in: query, schema: {type: string, format: date-time}}]"#;
        let model = load(&spec(parameters, KEY, "[{key: []}]"), None)
            .unwrap()
            .model;
        // The date-time pair wins over the date pair.
        assert_eq!(
            model.source.window,
            Some(Window {
                from: "since".into(),
                to: "until".into(),
                format: TimeFormat::Rfc3339
            })
        );
        let named = load(
            &spec(parameters, KEY, "[{key: []}]"),
            Some("records = \"events\"\n[sync]\nfrom_param = \"startDate\"\nto_param = \"end_date\"\n"),
        )
        .unwrap()
        .model;
        assert_eq!(named.source.window.unwrap().format, TimeFormat::Date);
        assert_eq!(named.source.env_prefix.as_deref(), Some("CAI"));

        let unix = r#"[{name: start_time, in: query, schema: {type: integer}},
            {name: end_time, in: query, schema: {type: integer}}]"#;
        let model = load(&spec(unix, KEY, "[{key: []}]"), None).unwrap().model;
        assert_eq!(model.source.window.unwrap().format, TimeFormat::UnixSeconds);

        // Spotify says milliseconds only in the parameter's prose.
        let millis = r#"[{name: after, in: query, schema: {type: integer, description: "A Unix timestamp in milliseconds."}},
            {name: before, in: query, schema: {type: integer}, description: "Milliseconds since 1970"}]"#;
        let model = load(&spec(millis, KEY, "[{key: []}]"), None).unwrap().model;
        assert_eq!(
            model.source.window.unwrap().format,
            TimeFormat::UnixMilliseconds
        );

        let none = load(&spec("[]", KEY, "[{key: []}]"), None).unwrap();
        assert_eq!(none.model.source.window, None);
        assert!(none
            .warnings
            .iter()
            .any(|d| d.message.contains("not `sync`")));

        let missing = load(
            &spec(unix, KEY, "[{key: []}]"),
            Some("[sync]\nfrom_param = \"from\"\nto_param = \"to\"\n"),
        )
        .unwrap_err();
        assert!(missing.to_string().contains("start_time"), "{missing}");
    }

    #[test]
    fn every_scheme_of_the_first_requirement_is_kept() {
        let schemes = r#"{
            oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t/token", scopes: {}}}},
            key: {type: apiKey, in: query, name: api_key},
            bearer: {type: http, scheme: bearer},
            basic: {type: http, scheme: Basic},
            cookie: {type: apiKey, in: cookie, name: c}}"#;
        let model = load(
            &spec("[]", schemes, "[{oauth: [], key: []}, {basic: []}]"),
            Some("env_prefix = \"EVT\"\n[sync]\napi_key_prefix = \"Key \"\n"),
        )
        .unwrap()
        .model;
        assert_eq!(
            model.source.auth,
            [
                AuthScheme::Oauth2 {
                    name: "oauth".into(),
                    token_url: "https://t/token".into()
                },
                AuthScheme::ApiKey {
                    name: "key".into(),
                    location: KeyLocation::Query,
                    parameter: "api_key".into(),
                    prefix: Some("Key ".into())
                }
            ]
        );
        assert_eq!(model.env_prefix(), "EVT");
        let model = load(&spec("[]", schemes, "[{bearer: [], basic: []}]"), None)
            .unwrap()
            .model;
        assert_eq!(
            model.source.auth,
            [
                AuthScheme::Bearer {
                    name: "bearer".into()
                },
                AuthScheme::Basic {
                    name: "basic".into()
                }
            ]
        );
        let cookie = load(&spec("[]", schemes, "[{cookie: []}]"), None).unwrap_err();
        assert!(cookie.to_string().contains("cookie"), "{cookie}");
    }

    /// Spotify and Swagger's petstore v3 declare OAuth 2.0 with only flows a person
    /// completes: the bridge sends the token it is given, and says so.
    #[test]
    fn oauth2_without_client_credentials_sends_a_given_token() {
        let schemes = r#"{user: {type: oauth2, flows: {
            authorizationCode: {authorizationUrl: "https://a/authorize", tokenUrl: "https://a/token", scopes: {}},
            implicit: {authorizationUrl: "https://a/authorize", scopes: {}}}}}"#;
        let loaded = load(&spec("[]", schemes, "[{user: []}]"), None).unwrap();
        assert_eq!(
            loaded.model.source.auth,
            [AuthScheme::Bearer {
                name: "user".into()
            }]
        );
        assert!(loaded.warnings.iter().any(|d| d.message.contains(
            "`user` is OAuth 2.0 without a client-credentials flow (authorizationCode, implicit)"
        )));
    }
}
