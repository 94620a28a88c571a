//! cai-bridge-gen: one model from an OpenAPI spec and sample payloads, and every
//! artifact a REST → SQLite → OData bridge needs, emitted from that model.
#![deny(missing_docs)]

pub mod builder;
#[cfg(feature = "cli")]
pub mod cli;
pub mod diagnostic;
pub mod read;

pub use builder::{compile, Builder};
pub use diagnostic::{Diagnostic, Diagnostics, Error, Location, Severity};
pub use inputs::{Inputs, Loaded};
pub use model::Model;
pub mod emit;
pub mod inputs;
pub mod model;
pub mod output;
