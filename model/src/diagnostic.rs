//! Problems found in the inputs, with where they are and what to do about them.
//!
//! Readers and the model builder collect every problem they find instead of
//! stopping at the first, so one run of the generator reports them all.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Nowhere in particular (e.g. a missing input).
    Unknown,
    /// A file as a whole.
    File(PathBuf),
    /// A line and column (both 1-based) in a file.
    Position {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A place in a document, as a JSON pointer (`#/components/schemas/X`) or a data
    /// path (`results.conversations[].messages[]`).
    Path {
        /// The file the path is in, if known.
        file: Option<PathBuf>,
        /// The pointer or path.
        path: String,
    },
}

impl Location {
    /// A place in a document.
    pub fn path(file: Option<&Path>, path: impl Into<String>) -> Self {
        Location::Path {
            file: file.map(Path::to_path_buf),
            path: path.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Unknown => Ok(()),
            Location::File(file) => write!(f, "{}", file.display()),
            Location::Position { file, line, column } => {
                write!(f, "{}:{line}:{column}", file.display())
            }
            Location::Path {
                file: Some(file),
                path,
            } => write!(f, "{} at {path}", file.display()),
            Location::Path { file: None, path } => write!(f, "{path}"),
        }
    }
}

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Output is still produced; the user should know.
    Warning,
    /// No output is produced.
    Error,
}

/// One problem: what, where, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Where it is.
    pub location: Location,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location,
            hint: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(location, message)
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}", self.message)?;
        if self.location != Location::Unknown {
            write!(f, "\n  --> {}", self.location)?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// The problems collected during one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// All problems, in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Warning)
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes back every problem recorded after the first `len`: a reader that tried
    /// a guess and dropped it drops what the guess reported too.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Moves another collection's problems into this one.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
