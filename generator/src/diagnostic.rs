//! Problems found in the inputs (the model crate's [`Diagnostics`], which readers
//! and the builder collect) and why the generator could not finish ([`Error`]).

use std::path::{Path, PathBuf};

pub use cai_bridge_model::diagnostic::{Diagnostic, Diagnostics, Location, Severity};

/// Why the generator could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inputs have problems; every one found is listed.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// A file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A template failed to render (a broken `--templates` override, usually).
    #[error("template {name}: {message}")]
    Template {
        /// The template's name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// One invalid-input error.
    pub fn invalid(diagnostic: Diagnostic) -> Self {
        let mut all = Diagnostics::default();
        all.push(diagnostic);
        Error::Invalid(all)
    }

    /// A read or write failure on `path`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Turns collected problems into a result.
pub trait Check {
    /// `Ok(())` when there is no error, else the errors (and warnings) as an [`Error`].
    fn check(&self) -> Result<(), Error>;
}

impl Check for Diagnostics {
    fn check(&self) -> Result<(), Error> {
        if self.has_errors() {
            Err(Error::Invalid(self.clone()))
        } else {
            Ok(())
        }
    }
}
