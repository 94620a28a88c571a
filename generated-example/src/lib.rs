//! The bridge for SAP Conversational AI's Logs v2 API, as cai-bridge generates it
//! from `specs/cai-logs-v2`: the wire structs in [`model`], and beside this crate the
//! SQLite DDL (`db/`), the CAP project (`cap/`) and the OData metadata (`odata/`).
#![deny(missing_docs)]

/// The wire records of `GET /logs/v2/conversations`, generated into `src/model.rs`.
pub mod model;
