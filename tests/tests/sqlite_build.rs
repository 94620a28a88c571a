//! The SQLite every bridge is built with: each place that sets `LIBSQLITE3_FLAGS`
//! (this workspace's `.cargo/config.toml`, the one `cai-bridge new` writes, and the
//! README's advice for crates of one's own) sets the runtime's
//! [`cai_bridge::serve::SQLITE_FLAGS`], whose doc says why. Whether the build in hand
//! has them is the runtime's own test (`serve::pool`).

use cai_bridge::serve::SQLITE_FLAGS;
use cai_bridge_tests::repo;

#[test]
fn every_place_that_sets_the_sqlite_flags_sets_the_runtimes() {
    let line = format!("LIBSQLITE3_FLAGS = \"{SQLITE_FLAGS}\"");
    for file in [
        ".cargo/config.toml",
        "templates/new/.cargo/config.toml.hbs",
        "generated-example/.cargo/config.toml",
        "README.md",
    ] {
        let text = std::fs::read_to_string(repo().join(file)).expect(file);
        assert!(text.contains(&line), "{file} does not hold `{line}`");
    }
}
