//! Security requirements → the [`SecurityScheme`]s they name.

use serde_json::Value;

use super::document::{lookup, Documents, Here};
use super::SecurityScheme;
use crate::diagnostic::{Diagnostic, Diagnostics};

/// The schemes named by the `security` arrays at `sites` (the document's, then
/// each operation's), unique, in order of first mention.
pub(super) fn read(
    docs: &mut Documents,
    diags: &mut Diagnostics,
    spec: usize,
    sites: &[Here],
) -> Vec<SecurityScheme> {
    let defined = Here::root(spec)
        .child("components")
        .child("securitySchemes");
    let mut named: Vec<String> = Vec::new();
    let mut schemes = Vec::new();
    for site in sites {
        let root = docs.root(site.file);
        let Some(Value::Array(requirements)) = lookup(&root, &site.pointer) else {
            continue;
        };
        for (i, requirement) in requirements.iter().enumerate() {
            let Some(requirement) = requirement.as_object() else {
                continue;
            };
            for name in requirement.keys() {
                if named.contains(name) {
                    continue;
                }
                // Named once, reported once: an unknown name repeated on every
                // operation is one mistake.
                named.push(name.clone());
                let here = defined.child(name);
                if !docs.exists(&here) {
                    let known = defined_names(docs, &defined);
                    diags.push(
                        Diagnostic::error(
                            docs.location(&site.index(i).child(name)),
                            format!("security requirement names `{name}`, which components.securitySchemes does not define"),
                        )
                        .with_hint(if known.is_empty() {
                            "define the scheme under components.securitySchemes".to_owned()
                        } else {
                            format!("defined schemes: {}", known.join(", "))
                        }),
                    );
                    continue;
                }
                let Some(here) = docs.deref(&here, diags) else {
                    continue;
                };
                if let Some(scheme) = scheme(docs, diags, name, &here) {
                    schemes.push(scheme);
                }
            }
        }
    }
    schemes
}

fn defined_names(docs: &Documents, defined: &Here) -> Vec<String> {
    let root = docs.root(defined.file);
    match lookup(&root, &defined.pointer) {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn scheme(
    docs: &Documents,
    diags: &mut Diagnostics,
    name: &str,
    here: &Here,
) -> Option<SecurityScheme> {
    let root = docs.root(here.file);
    let text = |key: &str| lookup(&root, &here.child(key).pointer).and_then(Value::as_str);
    let mut missing = |key: &str, what: &str| {
        diags.push(
            Diagnostic::error(
                docs.location(here),
                format!("security scheme `{name}` has no `{key}`"),
            )
            .with_hint(format!("add `{key}`: {what}")),
        );
    };
    let kind = text("type").unwrap_or("");
    match kind {
        "oauth2" => {
            let flow = here.child("flows").child("clientCredentials");
            if !docs.exists(&flow) {
                let flows = match lookup(&root, &here.child("flows").pointer) {
                    Some(Value::Object(flows)) => flows.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                return Some(SecurityScheme::OAuth2UserToken {
                    name: name.to_owned(),
                    flows,
                });
            }
            let Some(token_url) =
                lookup(&root, &flow.child("tokenUrl").pointer).and_then(Value::as_str)
            else {
                missing(
                    "flows.clientCredentials.tokenUrl",
                    "the URL the client posts its credentials to",
                );
                return None;
            };
            let mut scopes: Vec<String> = match lookup(&root, &flow.child("scopes").pointer) {
                Some(Value::Object(scopes)) => scopes.keys().cloned().collect(),
                _ => Vec::new(),
            };
            scopes.sort();
            Some(SecurityScheme::OAuth2ClientCredentials {
                name: name.to_owned(),
                token_url: token_url.to_owned(),
                scopes,
            })
        }
        "apiKey" => {
            let Some(location) = text("in") else {
                missing("in", "header, query or cookie");
                return None;
            };
            let Some(key) = text("name") else {
                missing(
                    "name",
                    "the header, query parameter or cookie that carries the key",
                );
                return None;
            };
            Some(SecurityScheme::ApiKey {
                name: name.to_owned(),
                location: location.to_owned(),
                key: key.to_owned(),
            })
        }
        "http" => {
            let Some(scheme) = text("scheme") else {
                missing("scheme", "bearer or basic");
                return None;
            };
            Some(SecurityScheme::Http {
                name: name.to_owned(),
                scheme: scheme.to_ascii_lowercase(),
            })
        }
        _ => Some(SecurityScheme::Other {
            name: name.to_owned(),
            kind: kind.to_owned(),
        }),
    }
}
