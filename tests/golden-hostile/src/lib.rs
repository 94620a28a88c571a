//! Golden output for a spec full of hostile names (keywords in every target, spaces,
//! dots, dashes, unicode, leading digits, case-folding and flattening collisions).
//! Building this crate with warnings denied is the proof that such names yield
//! valid, clean Rust; `tests/tests/golden.rs` keeps the files in step.
#![deny(missing_docs)]

/// The wire records of `GET /orders`, generated into `src/model.rs`.
pub mod model;

/// The committed model, DDL and CSDL, as the runtime takes them.
pub fn artifacts() -> cai_bridge::Artifacts {
    cai_bridge::Artifacts::committed(
        include_str!("model.json"),
        include_str!("../db/schema.sql"),
        include_str!("../db/postgres/schema.sql"),
        include_str!("../odata/metadata.xml"),
        include_str!("../odata/metadata.json"),
    )
    .expect("src/model.json is the generator's own output")
}
