//! The build.rs API: outputs land in the out dir, every input is watched, and a
//! second run with unchanged inputs rewrites nothing.

use std::path::{Path, PathBuf};

use cai_bridge_build::Builder;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn second_run_with_unchanged_inputs_rewrites_nothing() {
    let out = tempfile::tempdir().expect("temp dir");
    let mut builder = Builder::new();
    builder
        .spec(repo().join("specs/cai-logs-v2/openapi.yaml"))
        .sample(repo().join("specs/cai-logs-v2/samples"))
        .out_dir(out.path());
    let first = builder.generate().expect("generates");
    let mut written: Vec<String> = first
        .changed
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "metadata.json",
            "metadata.xml",
            "model.json",
            "model.rs",
            "schema.cds",
            "schema.sql",
            "service.cds"
        ]
    );
    let mtime = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let before: Vec<_> = first.changed.iter().map(|p| mtime(p)).collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = builder.generate().expect("generates again");
    assert!(second.changed.is_empty(), "rewrote {:?}", second.changed);
    assert_eq!(second.unchanged.len(), first.changed.len());
    let after: Vec<_> = first.changed.iter().map(|p| mtime(p)).collect();
    assert_eq!(before, after);
}

#[test]
fn every_input_is_watched() {
    let samples = repo().join("specs/cai-logs-v2/samples");
    let config = repo().join("tests/fixtures/hostile/bridge.toml");
    let mut builder = Builder::new();
    builder
        .spec(repo().join("specs/cai-logs-v2/openapi.yaml"))
        .sample(&samples)
        .config(&config)
        .templates(repo().join("templates"));
    let before_load = builder.watched(None);
    assert!(
        before_load.contains(&samples),
        "the folder itself, for new files"
    );
    assert!(before_load.contains(&config));
    assert!(before_load.contains(&repo().join("templates/schema.cds.hbs")));

    let mut plain = Builder::new();
    plain
        .spec(repo().join("specs/cai-logs-v2/openapi.yaml"))
        .sample(&samples);
    let loaded = plain.load().expect("loads");
    let watched = plain.watched(Some(&loaded));
    for entry in std::fs::read_dir(&samples).expect("samples") {
        let file = entry.expect("entry").path();
        assert!(
            watched
                .iter()
                .any(|w| w.ends_with(file.file_name().unwrap())),
            "{} is not watched",
            file.display()
        );
    }
}

#[test]
fn missing_out_dir_is_a_clear_error() {
    // Outside build.rs there is no OUT_DIR (cargo sets it for build scripts only).
    if std::env::var_os("OUT_DIR").is_some() {
        return;
    }
    let mut builder = Builder::new();
    builder.spec(repo().join("specs/cai-logs-v2/openapi.yaml"));
    let error = builder.generate().expect_err("no OUT_DIR");
    assert!(error.to_string().contains("OUT_DIR"), "{error}");
}
