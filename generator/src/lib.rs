//! cai-bridge-build: one model from an OpenAPI spec and sample payloads, and every
//! artifact a REST → SQLite → OData bridge needs, emitted from that model. The
//! library behind the `cai-bridge` command (crate `cai-bridge-cli`) and the build.rs
//! API ([`Builder`]); the model itself lives in `cai-bridge-model`.
#![deny(missing_docs)]

pub mod builder;
pub mod diagnostic;
pub mod emit;
pub mod inputs;
pub mod output;
pub mod read;
pub mod scaffold;

pub use builder::{compile, Builder};
pub use cai_bridge_model as model;
pub use cai_bridge_model::Model;
pub use diagnostic::{Diagnostic, Diagnostics, Error, Location, Severity};
pub use inputs::{Inputs, Loaded};
