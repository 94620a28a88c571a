//! One compile-fail case per mistake `#[derive(Bridge)]` reports, with the error
//! snapshotted. Regenerate the snapshots with `TRYBUILD=overwrite`.

#[test]
fn compile_fail() {
    trybuild::TestCases::new().compile_fail("tests/compile-fail/*.rs");
}
