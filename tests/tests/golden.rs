//! The committed outputs (generated-example for the CAI spec, tests/golden-hostile
//! for the hostile fixture, tests/golden-pagerduty for PagerDuty's incidents) are
//! exactly what the generator writes today. Set `UPDATE_GOLDEN=1` to rewrite them
//! after a deliberate change, then review the diff.

use cai_bridge_tests::{fixtures, generate};

#[test]
fn committed_outputs_match_a_fresh_run() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for fixture in fixtures() {
        let generated = generate(&fixture);
        for (relative, content) in &generated.files {
            let golden = fixture.golden.join(relative);
            let committed = std::fs::read_to_string(&golden).unwrap_or_default();
            if committed != *content {
                if update {
                    std::fs::write(&golden, content).expect("golden is writable");
                } else {
                    stale.push(golden.display().to_string());
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale golden files (rerun with UPDATE_GOLDEN=1 and review the diff): {stale:#?}"
    );
}

#[test]
fn generated_rust_is_rustfmt_clean() {
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let file = generated.path(cai_bridge_build::emit::paths::RUST);
        let before = std::fs::read_to_string(&file).expect("model.rs");
        let status = std::process::Command::new("rustfmt")
            .args(["--edition", "2021"])
            .arg(&file)
            .status()
            .expect("rustfmt runs");
        assert!(status.success(), "{}: rustfmt fails", fixture.name);
        let after = std::fs::read_to_string(&file).expect("model.rs");
        assert_eq!(
            before, after,
            "{}: rustfmt would reformat model.rs",
            fixture.name
        );
    }
}

/// The default templates in `templates/` are where a `--templates` override starts,
/// so they must write exactly what the model crate's writers write, on every fixture.
#[test]
fn the_default_templates_write_what_the_writers_write() {
    use cai_bridge_build::emit::{self, templates::Templates};
    let templates = Templates::new(Some(&cai_bridge_tests::repo().join("templates")))
        .expect("the default templates parse");
    for fixture in fixtures() {
        let model = fixture.inputs.load().expect("loads").model;
        let written = emit::all(&model, &Templates::none()).expect("writes");
        let rendered = emit::all(&model, &templates).expect("renders");
        for (path, text) in &written {
            assert_eq!(
                &rendered[path], text,
                "{}: templates/ and the writer differ for {path}",
                fixture.name
            );
        }
    }
}
