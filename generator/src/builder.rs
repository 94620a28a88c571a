//! The build.rs API, in prost-build's shape: a [`Builder`] to configure, and
//! [`compile`] as the one-line shortcut.
//!
//! In `build.rs`:
//!
//! ```no_run
//! cai_bridge_build::Builder::new()
//!     .spec("openapi.yaml")
//!     .sample("samples")
//!     .generate()
//!     .unwrap_or_else(|e| panic!("{e}"));
//! ```
//!
//! and in the crate: `pub mod model { include!(concat!(env!("OUT_DIR"), "/model.rs")); }`.
//!
//! Every input (the spec and each `$ref`'d file, each sample file and folder, the
//! config, template overrides) is announced with `cargo:rerun-if-changed`, and only
//! files whose content changed are rewritten, so a build with unchanged inputs does
//! not regenerate anything.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Error, Location};
use crate::emit::{self, templates::Templates};
use crate::inputs::{Inputs, Loaded};
use crate::output::{self, Outcome};

/// Configures one generation from build.rs.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    inputs: Inputs,
    out_dir: Option<PathBuf>,
    templates: Option<PathBuf>,
}

impl Builder {
    /// A builder with no inputs yet.
    pub fn new() -> Self {
        Builder::default()
    }

    /// The OpenAPI spec.
    pub fn spec(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.inputs.spec = Some(path.into());
        self
    }

    /// Adds a sample file or folder.
    pub fn sample(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.inputs.samples.push(path.into());
        self
    }

    /// `bridge.toml`.
    pub fn config(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.inputs.config = Some(path.into());
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(path.into());
        self
    }

    /// A folder of `<name>.hbs` files that replace the embedded templates.
    pub fn templates(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.templates = Some(dir.into());
        self
    }

    /// Reads the inputs and builds the model, without writing anything.
    pub fn load(&self) -> Result<Loaded, Error> {
        self.inputs.load()
    }

    /// Loads, emits every output into the output directory as flat files
    /// (`model.rs`, `schema.sql`, `schema.cds`, `service.cds`, `metadata.xml`), and
    /// tells cargo what to watch. Warnings become `cargo:warning` lines.
    pub fn generate(&self) -> Result<Outcome, Error> {
        // Announce the inputs before loading, so a build that fails on bad input
        // still reruns once the input is fixed.
        for watched in self.watched(None) {
            println!("cargo:rerun-if-changed={}", watched.display());
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::invalid(
                        Diagnostic::error(Location::Unknown, "OUT_DIR is not set")
                            .with_hint("call generate() from build.rs, or set out_dir()"),
                    )
                })?,
        };
        let loaded = self.load()?;
        for warning in loaded.warnings.iter() {
            println!("cargo:warning={}", warning.to_string().replace('\n', " "));
        }
        for watched in self.watched(Some(&loaded)) {
            println!("cargo:rerun-if-changed={}", watched.display());
        }
        let templates = Templates::new(self.templates.as_deref())?;
        let files = emit::all(&loaded.model, &templates)?
            .into_iter()
            .map(|(path, text)| (flat_name(&path), text))
            .collect();
        output::write(&out_dir, &files)
    }

    /// Every path cargo must watch: the inputs as given (sample folders included, so
    /// a new sample file triggers a rerun), template overrides, and, once loaded,
    /// every file actually read (`$ref`'d spec files, each sample file).
    pub fn watched(&self, loaded: Option<&Loaded>) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self.inputs.spec.iter().cloned().collect();
        out.extend(self.inputs.samples.iter().cloned());
        out.extend(self.inputs.config.iter().cloned());
        if let Some(dir) = &self.templates {
            out.extend(
                emit::templates::NAMES
                    .iter()
                    .map(|name| dir.join(format!("{name}.hbs"))),
            );
        }
        if let Some(loaded) = loaded {
            for file in &loaded.files {
                if !out.contains(file) {
                    out.push(file.clone());
                }
            }
        }
        out
    }
}

/// The shortcut: generate from a spec and sample folders into `OUT_DIR`.
pub fn compile(spec: impl AsRef<Path>, samples: &[impl AsRef<Path>]) -> Result<Outcome, Error> {
    let mut builder = Builder::new();
    builder.spec(spec.as_ref());
    for sample in samples {
        builder.sample(sample.as_ref());
    }
    builder.generate()
}

fn flat_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}
