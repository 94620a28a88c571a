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
                    let folder = golden.parent().expect("a golden file has a folder");
                    std::fs::create_dir_all(folder).expect("golden folder is writable");
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

/// A generated bridge builds without `#[derive(Bridge)]`: its model.rs implements
/// `Bridge` for every entity's struct itself and leaves no attribute for the macro.
/// (scripts/test checks with `cargo tree` that building the bridge compiles no macro.)
#[test]
fn generated_rust_carries_the_impls_and_needs_no_derive() {
    use cai_bridge::model::EntityKind;
    for fixture in fixtures() {
        let generated = generate(&fixture);
        let rust = &generated.files[cai_bridge_build::emit::paths::RUST];
        for entity in &generated.model.entities {
            if matches!(entity.kind, EntityKind::Scalars | EntityKind::Extension) {
                continue;
            }
            let name = &entity.layout.rust_name;
            for implemented in [
                format!("impl ::cai_bridge::Bridge for {name} {{"),
                format!("impl r::Record for {name} {{"),
            ] {
                assert!(
                    rust.contains(&implemented),
                    "{}: model.rs lacks `{implemented}`",
                    fixture.name
                );
            }
        }
        for derive_only in ["#[bridge(", "Bridge)]", "use ::cai_bridge::Bridge;"] {
            assert!(
                !rust.contains(derive_only),
                "{}: model.rs still needs the derive (`{derive_only}`)",
                fixture.name
            );
        }
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

/// Every file in `templates/new/` is a template `cai-bridge new` renders (and only
/// those), so an override folder can mirror it.
#[test]
fn every_scaffold_template_is_rendered() {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("templates/new") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).expect("inside").to_string_lossy();
                out.push(relative.strip_suffix(".hbs").expect(".hbs").to_owned());
            }
        }
    }
    let base = cai_bridge_tests::repo().join("templates/new");
    let mut found = Vec::new();
    walk(&base, &base, &mut found);
    found.sort();
    let listed: Vec<String> = cai_bridge_build::scaffold::TEMPLATES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(found, listed);
}

/// The scaffold's CAP project pins what the CAP oracle runs: its lockfile is
/// tests/cap's with the project's name.
#[test]
fn the_scaffold_pins_the_cap_versions_the_tests_run() {
    let repo = cai_bridge_tests::repo();
    let oracle = std::fs::read_to_string(repo.join("tests/cap/package-lock.json")).expect("lock");
    let template = std::fs::read_to_string(repo.join("templates/new/cap/package-lock.json.hbs"))
        .expect("lock");
    assert_eq!(
        template.replace("{{name}}-cap", "cai-bridge-cap-oracle"),
        oracle,
        "templates/new/cap/package-lock.json.hbs must be tests/cap/package-lock.json with \
         \"name\": \"{{{{name}}}}-cap\""
    );
    let oracle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("tests/cap/package.json")).unwrap(),
    )
    .unwrap();
    let scaffold: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("generated-example/cap/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(scaffold["dependencies"], oracle["dependencies"]);
}
