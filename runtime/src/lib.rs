//! The runtime of cai-bridge bridges: what generated code and a deployed bridge link.
//! It holds nothing of the generator: a bridge hands it its committed
//! [`Artifacts`] (model, DDL, `$metadata`), and it renders nothing at run time.
//!
//! - [`load`]: the transactional loader that turns records into the rows of every
//!   entity of a [`Model`], with upserts by stable keys, into SQLite or PostgreSQL.
//! - [`sync`]: the API into the database, window by window ([`auth`]: the security
//!   schemes its model declares; [`settings`]: where their credentials come from).
//! - [`serve`]: the database as OData V4 for SAP Analytics Cloud, to bearer tokens
//!   of its own token endpoint or of an identity provider ([`serve::Auth`]).
//! - [`cli`]: the bridge's command line, generic over its artifacts.
//! - [`database_url`]: a SQLite file or a PostgreSQL server, as `--db`,
//!   `DATABASE_URL` or a service binding names it; [`postgres`]: its connections.
//! - [`Bridge`]: a struct's rows and shape, implemented by `#[derive(Bridge)]` (the
//!   default feature `derive`) or by the expansion a generated `model.rs` carries;
//!   with the default feature `builder`, also its model, DDL, CDS and CSDL built at
//!   run time, for crates without generated artifacts.
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

mod allocator;
mod artifacts;
pub mod auth;
pub mod bridge;
pub mod cli;
pub mod database_url;
pub mod load;
pub mod postgres;
pub mod record;
pub mod serve;
pub mod settings;
pub mod signal;
pub mod sync;

pub use artifacts::Artifacts;
pub use bridge::Bridge;
#[cfg(feature = "derive")]
pub use cai_bridge_macros::Bridge;
pub use cai_bridge_model as model;
pub use cai_bridge_model::diagnostic::Diagnostics;
pub use cai_bridge_model::Model;
pub use serde;
pub use serde_json;
