//! The runtime of cai-bridge bridges: what generated code links.
//!
//! Generated code names its dependencies through this crate
//! (`::cai_bridge::serde::Deserialize`, `::cai_bridge::serde_json::Value`), so a
//! bridge depends on `cai-bridge` alone and never has to match our serde versions.
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

pub use serde;
pub use serde_json;
