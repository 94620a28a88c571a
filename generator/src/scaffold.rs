//! `cai-bridge new`: a whole bridge crate, deployable to SAP BTP Kyma. The generated
//! sources ([`emit::all`]) plus the files around them (Cargo.toml, `src/main.rs` and
//! `src/lib.rs`, bridge.toml, README, the CAP project's package.json, Dockerfile,
//! `k8s/`), each a handlebars template in `templates/new/` (embedded; a
//! `--templates DIR` file at the same path, `DIR/k8s/deployment.yaml.hbs`, replaces
//! one), and a copy of the spec and samples, so the crate stands alone.
//!
//! The generated sources are committed, not built by a build.rs: the image's build
//! then compiles no generator (no syn, no handlebars, no YAML parser), a change of
//! the generator shows as a reviewable diff, and `new --check` catches drift.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Error, Location};
use crate::emit::{self, templates::Templates};
use crate::inputs::{Inputs, Loaded};
use cai_bridge_model::config::Config;

/// The scaffold's templates: output path → embedded default.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        ".cargo/config.toml",
        include_str!("../../templates/new/.cargo/config.toml.hbs"),
    ),
    (
        ".dockerignore",
        include_str!("../../templates/new/.dockerignore.hbs"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/new/.gitignore.hbs"),
    ),
    (
        "Cargo.toml",
        include_str!("../../templates/new/Cargo.toml.hbs"),
    ),
    (
        "Dockerfile",
        include_str!("../../templates/new/Dockerfile.hbs"),
    ),
    (
        "README.md",
        include_str!("../../templates/new/README.md.hbs"),
    ),
    (
        "bridge.toml",
        include_str!("../../templates/new/bridge.toml.hbs"),
    ),
    (
        "cap/package-lock.json",
        include_str!("../../templates/new/cap/package-lock.json.hbs"),
    ),
    (
        "cap/package.json",
        include_str!("../../templates/new/cap/package.json.hbs"),
    ),
    (
        "k8s/.checkov.yaml",
        include_str!("../../templates/new/k8s/.checkov.yaml.hbs"),
    ),
    (
        "k8s/base/apirule.yaml",
        include_str!("../../templates/new/k8s/base/apirule.yaml.hbs"),
    ),
    (
        "k8s/base/configmap.yaml",
        include_str!("../../templates/new/k8s/base/configmap.yaml.hbs"),
    ),
    (
        "k8s/base/deployment.yaml",
        include_str!("../../templates/new/k8s/base/deployment.yaml.hbs"),
    ),
    (
        "k8s/base/kustomization.yaml",
        include_str!("../../templates/new/k8s/base/kustomization.yaml.hbs"),
    ),
    (
        "k8s/base/namespace.yaml",
        include_str!("../../templates/new/k8s/base/namespace.yaml.hbs"),
    ),
    (
        "k8s/base/networkpolicy.yaml",
        include_str!("../../templates/new/k8s/base/networkpolicy.yaml.hbs"),
    ),
    (
        "k8s/base/pvc.yaml",
        include_str!("../../templates/new/k8s/base/pvc.yaml.hbs"),
    ),
    (
        "k8s/base/service.yaml",
        include_str!("../../templates/new/k8s/base/service.yaml.hbs"),
    ),
    (
        "k8s/base/serviceaccount.yaml",
        include_str!("../../templates/new/k8s/base/serviceaccount.yaml.hbs"),
    ),
    (
        "k8s/components/postgres/deployment.yaml",
        include_str!("../../templates/new/k8s/components/postgres/deployment.yaml.hbs"),
    ),
    (
        "k8s/components/postgres/kustomization.yaml",
        include_str!("../../templates/new/k8s/components/postgres/kustomization.yaml.hbs"),
    ),
    (
        "k8s/components/postgres/poddisruptionbudget.yaml",
        include_str!("../../templates/new/k8s/components/postgres/poddisruptionbudget.yaml.hbs"),
    ),
    (
        "k8s/jwt-postgres/kustomization.yaml",
        include_str!("../../templates/new/k8s/jwt-postgres/kustomization.yaml.hbs"),
    ),
    (
        "k8s/jwt/kustomization.yaml",
        include_str!("../../templates/new/k8s/jwt/kustomization.yaml.hbs"),
    ),
    (
        "k8s/kustomization.yaml",
        include_str!("../../templates/new/k8s/kustomization.yaml.hbs"),
    ),
    (
        "k8s/postgres/kustomization.yaml",
        include_str!("../../templates/new/k8s/postgres/kustomization.yaml.hbs"),
    ),
    (
        "k8s/postgres/service-binding.template.yaml",
        include_str!("../../templates/new/k8s/postgres/service-binding.template.yaml.hbs"),
    ),
    (
        "k8s/secret.template.yaml",
        include_str!("../../templates/new/k8s/secret.template.yaml.hbs"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/new/src/lib.rs.hbs"),
    ),
    (
        "src/main.rs",
        include_str!("../../templates/new/src/main.rs.hbs"),
    ),
    (
        "tests/bridge.rs",
        include_str!("../../templates/new/tests/bridge.rs.hbs"),
    ),
];

/// Where the spec and the samples are copied to, inside the bridge.
pub const SPEC_DIR: &str = "spec";

/// What `cai-bridge new` is asked for, besides the generator's inputs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The package (and binary, and Kubernetes) name; default: the model's namespace
    /// with `-bridge` (`cai.logs` → `cai-logs-bridge`).
    pub name: Option<String>,
    /// A local cai-bridge checkout to depend on by path (nothing published yet).
    pub runtime_path: Option<PathBuf>,
    /// A folder of `<path>.hbs` overrides, for the generated sources' templates as
    /// for the scaffold's.
    pub templates: Option<PathBuf>,
}

/// Every file of the bridge in `dir`, by relative path.
pub fn files(
    dir: &Path,
    inputs: &Inputs,
    loaded: &Loaded,
    options: &Options,
) -> Result<BTreeMap<String, String>, Error> {
    let templates = Templates::new(options.templates.as_deref())?;
    let mut out = emit::all(&loaded.model, &templates)?;
    let copies = copies(inputs, loaded)?;
    let config = read_config(inputs)?;
    let view = view(dir, inputs, loaded, &config, options)?;
    let scaffold = Scaffold::new(options.templates.as_deref())?;
    for (path, _) in TEMPLATES {
        out.insert((*path).to_owned(), scaffold.render(path, &view)?);
    }
    if let Some((_, text)) = &config {
        // The user's settings, as written: regenerating with `--config bridge.toml`
        // then writes the same file again.
        out.insert("bridge.toml".to_owned(), text.clone());
    }
    out.extend(copies);
    Ok(out)
}

/// The spec (with every `$ref`'d file, as they lie beside it) and the samples (flat)
/// under [`SPEC_DIR`].
fn copies(inputs: &Inputs, loaded: &Loaded) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    let base = inputs
        .spec
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    for file in &loaded.spec_files {
        let relative = file.strip_prefix(base).map_err(|_| {
            Error::invalid(
                Diagnostic::error(
                    Location::File(file.clone()),
                    "a file the spec refers to lies outside the spec's folder",
                )
                .with_hint("move it beside the spec, so the bridge can hold a copy"),
            )
        })?;
        out.insert(slash_path(&Path::new(SPEC_DIR).join(relative)), read(file)?);
    }
    for file in &loaded.sample_files {
        let name = file.file_name().map(Path::new).unwrap_or(file);
        let target = slash_path(&Path::new(SPEC_DIR).join("samples").join(name));
        if out.contains_key(&target) {
            return Err(Error::invalid(
                Diagnostic::error(
                    Location::File(file.clone()),
                    format!("another sample has the same name, {}", name.display()),
                )
                .with_hint("the bridge keeps its samples in one folder: rename one of them"),
            ));
        }
        out.insert(target, read(file)?);
    }
    Ok(out)
}

fn read(file: &Path) -> Result<String, Error> {
    std::fs::read_to_string(file).map_err(|e| Error::io("reading", file, e))
}

/// The config as parsed and as written, if one was given.
fn read_config(inputs: &Inputs) -> Result<Option<(Config, String)>, Error> {
    let Some(file) = &inputs.config else {
        return Ok(None);
    };
    let text = read(file)?;
    let mut diags = crate::Diagnostics::default();
    let config = Config::read(file, &mut diags).ok_or(Error::Invalid(diags))?;
    Ok(Some((config, text)))
}

/// A relative path with `/`, as the outputs are keyed.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// What the scaffold's templates see.
#[derive(Debug, Serialize)]
struct View {
    name: String,
    crate_name: String,
    /// Whether samples were given (copied to `spec/samples`, loaded by the tests).
    has_samples: bool,
    description: String,
    /// `GET /logs/v2/conversations`, or `the samples`.
    source: String,
    /// The operation's path, for bridge.toml's `operation`.
    source_path: String,
    /// The spec inside the bridge (`spec/openapi.yaml`).
    spec: String,
    /// The command that writes this bridge again from its own copies.
    regenerate: String,
    runtime_dependency: String,
    mock_dependency: String,
    mock_dev_dependency: String,
    service: cai_bridge_model::Service,
    sets: Vec<String>,
    fact: Option<String>,
    /// `https://<host>`, as SAC reaches it.
    public_url: String,
    cai: CaiView,
    sync: SyncView,
    kyma: KymaView,
}

#[derive(Debug, Serialize)]
struct CaiView {
    base_url: String,
    token_url: String,
    client_id: String,
}

#[derive(Debug, Serialize)]
struct SyncView {
    window_minutes: u64,
    overlap_minutes: u64,
    page_cap: usize,
    timeout_seconds: u64,
    attempts: u32,
}

#[derive(Debug, Serialize)]
struct KymaView {
    namespace: String,
    host: String,
    image: String,
    image_name: String,
    image_tag: String,
    gateway: String,
    storage: String,
    issuer: String,
    jwks_uri: String,
    audience: String,
    /// The client SAC authenticates as at the bridge's own token endpoint.
    client_id: String,
}

fn view(
    dir: &Path,
    inputs: &Inputs,
    loaded: &Loaded,
    config: &Option<(Config, String)>,
    options: &Options,
) -> Result<View, Error> {
    let model = &loaded.model;
    let default_config = Config::default();
    let (config, config_file) = match config {
        Some((config, _)) => (config, config.file.clone()),
        None => (&default_config, None),
    };
    let name = match &options.name {
        Some(name) => name.clone(),
        None => format!("{}-bridge", model.namespace.replace(['.', '_'], "-")),
    };
    if !is_dns_label(&name) {
        return Err(Error::invalid(
            Diagnostic::error(
                Location::Unknown,
                format!("{name:?} cannot name a crate and its Kubernetes resources"),
            )
            .with_hint(
                "pass --name with lowercase letters, digits and dashes, starting with a \
                 letter, at most 63 characters",
            ),
        ));
    }
    let kyma = &config.kyma;
    let namespace = kyma.namespace.clone().unwrap_or_else(|| name.clone());
    if !is_dns_label(&namespace) {
        return Err(Error::invalid(
            Diagnostic::error(
                config_file
                    .clone()
                    .map_or(Location::Unknown, Location::File),
                format!("[kyma] namespace {namespace:?} is not a Kubernetes namespace name"),
            )
            .with_hint("lowercase letters, digits and dashes, at most 63 characters"),
        ));
    }
    let host = kyma.host.clone().unwrap_or_else(|| name.clone());
    let public_url = if host.contains('.') {
        format!("https://{host}")
    } else {
        format!("https://{host}.<your Kyma cluster domain>")
    };
    let version = env!("CARGO_PKG_VERSION");
    let image = kyma
        .image
        .clone()
        .unwrap_or_else(|| format!("{name}:{version}"));
    let (image_name, image_tag) = split_image(&image, version);
    let (runtime_dependency, mock_dependency, mock_dev_dependency, checkout) =
        dependencies(dir, options.runtime_path.as_deref(), version)?;
    let spec = inputs
        .spec
        .as_deref()
        .and_then(Path::file_name)
        .map(|f| format!("{SPEC_DIR}/{}", f.to_string_lossy()))
        .unwrap_or_default();
    // bridge.toml is always passed: with --config it is copied as it is, so the
    // command is its own fixed point whatever the user changed there.
    let mut regenerate = format!(
        "cai-bridge new . --force --spec {spec} --sample {SPEC_DIR}/samples --config bridge.toml"
    );
    if options.name.is_some() {
        regenerate.push_str(&format!(" --name {name}"));
    }
    if let Some(checkout) = checkout {
        regenerate.push_str(&format!(" --runtime-path {checkout}"));
    }
    let tenant = "https://<tenant>.accounts.ondemand.com";
    Ok(View {
        has_samples: !loaded.sample_files.is_empty(),
        crate_name: name.replace('-', "_"),
        description: format!(
            "The bridge for {}",
            model
                .source
                .path
                .as_deref()
                .map_or_else(|| "the samples' API".to_owned(), |p| format!("GET {p}"))
        ),
        source: model
            .source
            .path
            .as_deref()
            .map_or_else(|| "the samples' API".to_owned(), |p| format!("GET {p}")),
        source_path: model.source.path.clone().unwrap_or_default(),
        spec,
        regenerate,
        runtime_dependency,
        mock_dependency,
        mock_dev_dependency,
        service: model.service.clone(),
        sets: model.entities.iter().map(|e| e.name.clone()).collect(),
        fact: model.fact.as_ref().map(|f| f.name.clone()),
        public_url,
        cai: CaiView {
            base_url: config
                .cai
                .base_url
                .clone()
                .unwrap_or_else(|| "https://api.cai.tools.sap".to_owned()),
            token_url: config.cai.token_url.clone().unwrap_or_else(|| {
                "https://<subdomain>.authentication.<region>.hana.ondemand.com/oauth/token"
                    .to_owned()
            }),
            client_id: config
                .cai
                .client_id
                .clone()
                .unwrap_or_else(|| "<the API's OAuth2 client id>".to_owned()),
        },
        sync: SyncView {
            window_minutes: config.sync.window_minutes.unwrap_or(24 * 60),
            overlap_minutes: config.sync.overlap_minutes.unwrap_or(10),
            page_cap: config.sync.page_cap.unwrap_or(1000),
            timeout_seconds: config.sync.timeout_seconds.unwrap_or(30),
            attempts: config.sync.attempts.unwrap_or(8),
        },
        kyma: KymaView {
            namespace,
            host,
            image,
            image_name,
            image_tag,
            gateway: kyma
                .gateway
                .clone()
                .unwrap_or_else(|| "kyma-system/kyma-gateway".to_owned()),
            storage: kyma.storage.clone().unwrap_or_else(|| "1Gi".to_owned()),
            issuer: kyma.issuer.clone().unwrap_or_else(|| tenant.to_owned()),
            jwks_uri: kyma
                .jwks_uri
                .clone()
                .unwrap_or_else(|| format!("{tenant}/oauth2/certs")),
            audience: kyma
                .audience
                .clone()
                .unwrap_or_else(|| "<the client id SAC uses>".to_owned()),
            client_id: "sac".to_owned(),
        },
        name,
    })
}

/// A Kubernetes name (RFC 1123 label) that is also a crate name.
fn is_dns_label(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `registry/name:tag` → (`registry/name`, `tag`); without a tag, the version.
fn split_image(image: &str, version: &str) -> (String, String) {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(colon) => (
            image[..slash + colon].to_owned(),
            image[slash + colon + 1..].to_owned(),
        ),
        None => (image.to_owned(), version.to_owned()),
    }
}

/// The runtime and mock dependencies: the published version, or paths into a local
/// checkout (relative to the bridge, so the crate can move with the checkout), and
/// that relative path.
fn dependencies(
    dir: &Path,
    runtime_path: Option<&Path>,
    version: &str,
) -> Result<(String, String, String, Option<String>), Error> {
    let Some(checkout) = runtime_path else {
        return Ok((
            format!("{{ version = \"{version}\", default-features = false }}"),
            format!("{{ version = \"{version}\", optional = true }}"),
            format!("{{ version = \"{version}\" }}"),
            None,
        ));
    };
    let checkout =
        std::fs::canonicalize(checkout).map_err(|e| Error::io("finding", checkout, e))?;
    for krate in ["runtime", "mock"] {
        if !checkout.join(krate).join("Cargo.toml").is_file() {
            return Err(Error::invalid(
                Diagnostic::error(
                    Location::File(checkout.clone()),
                    format!("no {krate}/Cargo.toml: not a cai-bridge checkout"),
                )
                .with_hint("pass --runtime-path the folder holding runtime/ and mock/"),
            ));
        }
    }
    let bridge = absolute(dir)?;
    let relative = relative_path(&bridge, &checkout);
    let at = |krate: &str| slash_path(&relative.join(krate));
    Ok((
        format!(
            "{{ path = \"{}\", version = \"{version}\", default-features = false }}",
            at("runtime")
        ),
        format!(
            "{{ path = \"{}\", version = \"{version}\", optional = true }}",
            at("mock")
        ),
        format!("{{ path = \"{}\", version = \"{version}\" }}", at("mock")),
        Some(slash_path(&relative)),
    ))
}

/// `dir` as an absolute path with symbolic links resolved as far as it exists (the
/// checkout is canonical, so both must be compared alike).
fn absolute(dir: &Path) -> Result<PathBuf, Error> {
    let full = std::path::absolute(dir).map_err(|e| Error::io("finding", dir, e))?;
    let mut existing = full.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(existing) {
            let mut out = canonical;
            out.extend(rest.iter().rev());
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(full),
        }
    }
}

/// The path from `from` to `to`, both absolute and normal.
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The scaffold's templates: the embedded ones, each replaced by an override file
/// where the `--templates` folder has one. Strict, unescaped, with a `json` helper
/// that writes a value as a JSON string (valid in YAML and TOML alike).
struct Scaffold {
    registry: Handlebars<'static>,
    /// Where each template came from (an override file or the embedded default),
    /// for errors reported at the file.
    origins: BTreeMap<&'static str, PathBuf>,
}

impl Scaffold {
    fn new(dir: Option<&Path>) -> Result<Self, Error> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("json", Box::new(json_helper));
        let mut origins = BTreeMap::new();
        for (name, embedded) in TEMPLATES {
            let file = dir.map(|d| d.join(format!("{name}.hbs")));
            let (text, origin) = match &file {
                Some(file) if file.exists() => (
                    std::fs::read_to_string(file)
                        .map_err(|e| Error::io("reading template", file, e))?,
                    file.clone(),
                ),
                _ => (
                    (*embedded).to_owned(),
                    PathBuf::from(format!("templates/new/{name}.hbs")),
                ),
            };
            if let Err(e) = registry.register_template_string(name, text) {
                return Err(template_error(
                    &origin,
                    name,
                    e.pos(),
                    e.reason().to_string(),
                ));
            }
            origins.insert(*name, origin);
        }
        Ok(Scaffold { registry, origins })
    }

    fn render(&self, name: &str, view: &View) -> Result<String, Error> {
        self.registry.render(name, view).map_err(|e| {
            let origin = self
                .origins
                .get(name)
                .cloned()
                .unwrap_or_else(|| PathBuf::from(name));
            template_error(
                &origin,
                name,
                e.line_no.zip(e.column_no),
                e.reason().to_string(),
            )
        })
    }
}

/// A scaffold template's error, at its file, with the hint strict mode needs.
fn template_error(
    file: &Path,
    name: &str,
    position: Option<(usize, usize)>,
    reason: String,
) -> Error {
    crate::emit::templates::override_error(
        file,
        name,
        position,
        reason,
        format!(
            "templates render in strict mode, so every variable must exist; compare with \
             templates/new/{name}.hbs, or remove the override"
        ),
    )
}

fn json_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("json", 0))?
        .value();
    out.write(&value.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(
            relative_path(Path::new("/w/repo/generated-example"), Path::new("/w/repo")),
            Path::new("..")
        );
        assert_eq!(
            relative_path(Path::new("/tmp/x/b"), Path::new("/w/repo")),
            Path::new("../../../w/repo")
        );
    }

    #[test]
    fn images_split_at_the_tag_not_at_the_registry_port() {
        assert_eq!(
            split_image("registry:5000/team/bridge:1.2", "0.1.0"),
            ("registry:5000/team/bridge".to_owned(), "1.2".to_owned())
        );
        assert_eq!(
            split_image("registry:5000/bridge", "0.1.0"),
            ("registry:5000/bridge".to_owned(), "0.1.0".to_owned())
        );
    }

    #[test]
    fn names_are_kubernetes_labels() {
        assert!(is_dns_label("cai-logs-bridge"));
        assert!(!is_dns_label("Cai"));
        assert!(!is_dns_label("1bridge"));
        assert!(!is_dns_label("bridge-"));
    }
}
