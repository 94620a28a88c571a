//! The runtime of cai-bridge bridges: what generated code links.
//!
//! - [`load`]: the transactional SQLite loader that turns records into the rows of
//!   every entity of a [`Model`], with upserts by stable keys.
//! - [`serde`] and [`serde_json`], re-exported: generated code names them through
//!   this crate (`::cai_bridge::serde::Deserialize`), so a bridge depends on
//!   `cai-bridge` alone and never has to match our serde versions.
//!
//! ```
//! use cai_bridge::serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! #[serde(crate = "cai_bridge::serde")]
//! struct Conversation {
//!     id: String,
//! }
//!
//! let c: Conversation = cai_bridge::serde_json::from_str(r#"{"id":"a"}"#).unwrap();
//! assert_eq!(c.id, "a");
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod bridge;
pub mod cli;
pub mod load;
pub mod mock;
pub mod record;
pub mod serve;
pub mod settings;
mod signal;
pub mod sync;

pub use bridge::Bridge;
pub use cai_bridge_gen::model::Model;
pub use cai_bridge_gen::Diagnostics;
pub use cai_bridge_macros::Bridge;
pub use serde;
pub use serde_json;

/// Reads a model from the JSON the generator writes (`src/model.json`).
pub fn model_from_json(json: &str) -> Result<Model, serde_json::Error> {
    serde_json::from_str(json)
}
