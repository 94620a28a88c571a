//! Loading: read every input, pick the operation and record path, fold samples into
//! the spec's shape, build the model. The first of the three steps (load → inspect →
//! generate) that every front end shares.

use std::path::PathBuf;

use crate::diagnostic::{Check, Diagnostic, Diagnostics, Error, Location};
use crate::read::openapi::{self, Api, Operation};
use crate::read::reconcile::reconcile;
use crate::read::samples;
use cai_bridge_model::builder::build;
use cai_bridge_model::config::{split_path, Config, DEFAULT_RECORDS};
use cai_bridge_model::shape::{Kind, Node};
use cai_bridge_model::{path, Model, Source};

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
        let model = model.ok_or_else(|| Error::Invalid(diags.clone()))?;
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
