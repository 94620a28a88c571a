//! The bridge for GET /logs/v2/conversations, as `cai-bridge new` wrote it: the wire structs in
//! [`model`], and beside this crate the DDL (`db/`: SQLite's, and PostgreSQL's and SAP
//! HANA's in folders of their own), the CAP project (`cap/`),
//! the OData metadata (`odata/`) and the Kyma deployment (`k8s/`).
#![deny(missing_docs)]

/// The wire records, generated into `src/model.rs`.
pub mod model;

/// The model the structs, tables and service come from, as the generator wrote it.
pub const MODEL_JSON: &str = include_str!("model.json");

/// The SQLite DDL (tables, CAP service views, fact view, indexes).
pub const SCHEMA_SQL: &str = include_str!("../db/schema.sql");

/// The PostgreSQL DDL, CAP's for `--dialect postgres`: run on a new PostgreSQL database.
pub const POSTGRES_SCHEMA_SQL: &str = include_str!("../db/postgres/schema.sql");

/// The OData V4 CSDL, served as `$metadata`.
pub const METADATA_XML: &str = include_str!("../odata/metadata.xml");

/// The same CSDL as JSON.
pub const METADATA_JSON: &str = include_str!("../odata/metadata.json");

/// The committed model, DDL and CSDL, as the runtime takes them.
pub fn artifacts() -> cai_bridge::Artifacts {
    // The JSON is written by the generator from this very type; a failure here is a
    // build defect, not a runtime condition.
    cai_bridge::Artifacts::committed(
        MODEL_JSON,
        SCHEMA_SQL,
        POSTGRES_SCHEMA_SQL,
        METADATA_XML,
        METADATA_JSON,
    )
    .expect("src/model.json is the generator's own output")
}
