//! Golden output for `specs/pagerduty-incidents`: PagerDuty's `GET /incidents`, a
//! time-windowed API that is not CAI (`since`/`until`, `Authorization: Token
//! token=…`). Building this crate with warnings denied proves the generated Rust is
//! clean; `tests/tests/golden.rs` keeps the files in step, `tests/tests/generic_sync.rs`
//! syncs it from the generic mock.
#![deny(missing_docs)]

/// The wire records of `GET /incidents`, generated into `src/model.rs`.
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
