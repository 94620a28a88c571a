//! The `cai-bridge` binary as users run it: exit codes, located errors with hints,
//! nothing half-written on bad input, idempotent and deterministic output, `--check`,
//! and the help text. Set `EXPECTORATE=overwrite` to accept a deliberate help change.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const SPEC: &str = "specs/cai-logs-v2/openapi.yaml";
const SAMPLES: &str = "specs/cai-logs-v2/samples";
const BAD: &str = "tests/fixtures/bad";

/// The text files `generate` writes, relative to `--out`.
const OUTPUTS: [&str; 7] = [
    "src/model.rs",
    "db/schema.sql",
    "db/postgres/schema.sql",
    "db/hana/schema.sql",
    "cap/db/schema.cds",
    "cap/srv/service.cds",
    "odata/metadata.xml",
];

/// The workspace root: fixture paths are relative to it, so messages name them as
/// a user typing the README's commands would see them.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ has a parent")
        .to_path_buf()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn cai_bridge<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_cai-bridge"))
        .args(args)
        .current_dir(root())
        // clap wraps help at the terminal width; pin it so snapshots do not depend
        // on who runs the tests.
        .env("COLUMNS", "100")
        .output()
        .expect("the cai-bridge binary runs");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "cai-bridge panicked:\n{}",
        run.stderr
    );
    run
}

/// Every file under `dir` with its bytes, sorted, so two states can be compared.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let bytes = std::fs::read(&path).expect("readable file");
                out.push((path.strip_prefix(base).unwrap().to_path_buf(), bytes));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// What identifies a file's last write: its mtime and, on Unix, its inode (a rename
/// into place gives a new one even where mtimes are coarse).
fn stamp(file: &Path) -> (SystemTime, u64) {
    let meta = std::fs::metadata(file).expect("output exists");
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    (meta.modified().expect("mtime"), inode)
}

fn generate_into(out: &Path) -> Run {
    cai_bridge([
        OsStr::new("generate"),
        OsStr::new("--spec"),
        OsStr::new(SPEC),
        OsStr::new("--sample"),
        OsStr::new(SAMPLES),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

/// Runs `generate` with `args` twice, into a fresh `--out` and into one that holds
/// files already, and checks the run is rejected as bad input (exit 2) with each of
/// `expected` and a hint on stderr, and that neither directory was touched.
fn assert_rejected(args: &[&OsStr], expected: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    let existing = tmp.path().join("existing");
    std::fs::create_dir_all(existing.join("src")).unwrap();
    std::fs::write(existing.join("sentinel.txt"), "keep me\n").unwrap();
    std::fs::write(existing.join("src/model.rs"), "// an older run\n").unwrap();
    let before = tree(&existing);

    for out in [&fresh, &existing] {
        let mut all = vec![OsStr::new("generate")];
        all.extend_from_slice(args);
        all.extend([OsStr::new("--out"), out.as_os_str()]);
        let run = cai_bridge(&all);
        let shown = format!("cai-bridge {all:?}\nstderr:\n{}", run.stderr);
        assert_eq!(run.code, Some(2), "{shown}");
        for text in expected {
            assert!(run.stderr.contains(text), "expected `{text}` in {shown}");
        }
        assert!(run.stderr.contains("hint:"), "expected a hint in {shown}");
    }
    assert!(
        !fresh.exists(),
        "a rejected run created {}",
        fresh.display()
    );
    assert_eq!(tree(&existing), before, "a rejected run changed --out");
}

fn os<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|arg| OsStr::new(*arg)).collect()
}

#[test]
fn seed_blog_sample_is_not_json() {
    let sample = format!("{BAD}/seed-sample.json");
    // serde_json reads `"results"` as a whole document, then stops at the `:`.
    assert_rejected(
        &os(&["--sample", &sample]),
        &[&format!("{sample}:1:14"), "malformed JSON"],
    );
}

#[test]
fn malformed_json_sample() {
    let sample = format!("{BAD}/malformed.json");
    assert_rejected(
        &os(&["--sample", &sample]),
        &[&format!("{sample}:6:48"), "expected `,` or `}`"],
    );
}

#[test]
fn malformed_yaml_spec() {
    let spec = format!("{BAD}/malformed.yaml");
    assert_rejected(
        &os(&["--spec", &spec]),
        &[
            &format!("{spec}:8:34"),
            "mapping values are not allowed in this context",
        ],
    );
}

#[test]
fn dangling_ref() {
    assert_rejected(
        &os(&["--spec", &format!("{BAD}/dangling-ref.yaml")]),
        &[
            "#/paths/~1logs~1v2~1conversations/get/responses/200/content/application~1json/schema/$ref",
            "#/components/schemas/Missing",
        ],
    );
}

#[test]
fn contradictory_all_of() {
    assert_rejected(
        &os(&["--spec", &format!("{BAD}/contradictory.yaml")]),
        &[
            "#/components/schemas/Conversation/properties/nlp_status/allOf",
            "string and integer",
        ],
    );
}

#[test]
fn empty_sample_set() {
    let samples = format!("{BAD}/empty-samples");
    assert_rejected(
        &os(&["--spec", SPEC, "--sample", &samples]),
        &["sample set is empty", &samples],
    );
}

#[test]
fn record_path_that_matches_nothing() {
    let config = format!("{BAD}/wrong-records.toml");
    assert_rejected(
        &os(&["--spec", SPEC, "--config", &config]),
        &[&config, "`results.chats`", "results.conversations"],
    );
}

#[test]
fn unknown_config_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("bridge.toml");
    std::fs::write(&config, "records = \"results.conversations\"\nbogus = 1\n").unwrap();
    let config = config.to_str().expect("UTF-8 temp path");
    assert_rejected(
        &os(&["--spec", SPEC, "--config", config]),
        &[&format!("{config}:2:1"), "unknown field `bogus`", "records"],
    );
}

#[test]
fn missing_inputs() {
    // A path that does not exist is a bad input (2), not an I/O failure (3): the
    // user fixes the command line, not the machine.
    let spec = format!("{BAD}/no-such-spec.yaml");
    assert_rejected(&os(&["--spec", &spec]), &[&spec]);
    let sample = format!("{BAD}/no-such-sample.json");
    assert_rejected(&os(&["--spec", SPEC, "--sample", &sample]), &[&sample]);
    let config = format!("{BAD}/no-such-bridge.toml");
    assert_rejected(&os(&["--spec", SPEC, "--config", &config]), &[&config]);
}

#[test]
fn broken_template_override() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("schema.cds.hbs");
    std::fs::write(&file, "{{#each}}\n").unwrap();
    let dir = tmp.path().to_str().expect("UTF-8 temp path");
    let file = file.to_str().unwrap();
    assert_rejected(
        &os(&["--spec", SPEC, "--sample", SAMPLES, "--templates", dir]),
        &[file, "template schema.cds"],
    );

    // Valid syntax, but a variable the data lacks: strict mode fails at render time.
    std::fs::write(file, "// {{header}}\n{{no_such_variable}}\n").unwrap();
    assert_rejected(
        &os(&["--spec", SPEC, "--templates", dir]),
        &[&format!("{file}:2:1"), "no_such_variable"],
    );

    let missing = format!("{dir}/no-such-folder");
    assert_rejected(&os(&["--spec", SPEC, "--templates", &missing]), &[&missing]);
}

#[test]
fn generate_is_idempotent_and_check_names_stale_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let first = generate_into(&out);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(first.stderr.contains(", 0 unchanged,"), "{}", first.stderr);
    for file in OUTPUTS {
        assert!(out.join(file).is_file(), "{file} not written");
    }

    let stamps: Vec<_> = OUTPUTS.iter().map(|f| stamp(&out.join(f))).collect();
    let second = generate_into(&out);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert!(second.stderr.contains(", 0 written,"), "{}", second.stderr);
    let again: Vec<_> = OUTPUTS.iter().map(|f| stamp(&out.join(f))).collect();
    assert_eq!(stamps, again, "an unchanged output was rewritten");
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".cai-bridge-"))
        .collect();
    assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");

    let check = |out: &Path| {
        cai_bridge([
            OsStr::new("generate"),
            OsStr::new("--spec"),
            OsStr::new(SPEC),
            OsStr::new("--sample"),
            OsStr::new(SAMPLES),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--check"),
        ])
    };
    let clean = check(&out);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);

    let edited = out.join("db/schema.sql");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("-- a hand edit\n");
    std::fs::write(&edited, &text).unwrap();
    let stale = check(&out);
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    let named: Vec<&str> = stale
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("stale: "))
        .collect();
    assert_eq!(named, [edited.to_str().unwrap()], "{}", stale.stderr);
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        text,
        "--check rewrote the stale file"
    );
}

#[test]
fn output_is_deterministic_and_matches_generated_example() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        let run = generate_into(out);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
    assert_eq!(tree(&a), tree(&b), "two runs differ");

    let committed = root().join("generated-example");
    let stale: Vec<&str> = OUTPUTS
        .into_iter()
        .filter(|file| std::fs::read(a.join(file)).ok() != std::fs::read(committed.join(file)).ok())
        .collect();
    assert!(
        stale.is_empty(),
        "generated-example differs from a fresh run in {stale:?}; regenerate it with \
         `cai-bridge generate --spec {SPEC} --sample {SAMPLES} --out generated-example`"
    );
}

#[test]
fn help_is_snapshotted_and_shows_examples() {
    for (args, snapshot) in [
        (&["--help"][..], "help.txt"),
        (&["generate", "--help"][..], "help-generate.txt"),
        (&["infer", "--help"][..], "help-infer.txt"),
        (&["new", "--help"][..], "help-new.txt"),
    ] {
        let run = cai_bridge(args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert!(
            run.stdout.contains("Examples:"),
            "{args:?}:\n{}",
            run.stdout
        );
        expectorate::assert_contents(format!("tests/snapshots/{snapshot}"), &run.stdout);
    }
}

#[test]
fn infer_prints_json_schema() {
    let run = cai_bridge(["infer", SAMPLES]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let schema: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("infer prints one JSON document");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["x-entity"], "Conversations");
    let messages = &schema["properties"]["messages"];
    assert_eq!(messages["type"], "array");
    assert_eq!(messages["items"]["x-entity"], "Messages");
    let content = &messages["items"]["properties"]["input_message_content"];
    assert_eq!(content["type"], "string");
    assert_eq!(content["contentMediaType"], "application/json");
    assert!(
        content["contentSchema"]["properties"].is_object(),
        "no contentSchema: {content:#}"
    );
}

fn new_into(dir: &Path, extra: &[&OsStr]) -> Run {
    let mut args = vec![
        OsStr::new("new"),
        dir.as_os_str(),
        OsStr::new("--spec"),
        OsStr::new(SPEC),
        OsStr::new("--sample"),
        OsStr::new(SAMPLES),
    ];
    args.extend_from_slice(extra);
    cai_bridge(args)
}

#[test]
fn new_refuses_a_non_empty_folder_and_force_rewrites_only_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bridge");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let run = new_into(&dir, &[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("not empty") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&dir).len(), 1, "a refused run wrote something");

    let run = new_into(&dir, &[OsStr::new("--force")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    for file in [
        "Cargo.toml",
        "src/main.rs",
        "bridge.toml",
        "Dockerfile",
        "k8s/kustomization.yaml",
        "k8s/jwt/kustomization.yaml",
        "k8s/postgres/kustomization.yaml",
        "cap/package.json",
        "spec/openapi.yaml",
        "src/model.rs",
    ] {
        assert!(dir.join(file).is_file(), "no {file}");
    }
    // A second run changes nothing and --check agrees; an edit is named stale.
    let before = stamp(&dir.join("k8s/base/deployment.yaml"));
    assert_eq!(new_into(&dir, &[OsStr::new("--force")]).code, Some(0));
    assert_eq!(stamp(&dir.join("k8s/base/deployment.yaml")), before);
    assert_eq!(new_into(&dir, &[OsStr::new("--check")]).code, Some(0));
    std::fs::write(dir.join("k8s/base/pvc.yaml"), "edited").unwrap();
    let run = new_into(&dir, &[OsStr::new("--check")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("pvc.yaml"), "{}", run.stderr);
}

#[test]
fn new_renders_an_override_in_place_of_its_template() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir_all(templates.join("k8s/base")).unwrap();
    std::fs::write(
        templates.join("k8s/base/pvc.yaml.hbs"),
        "# {{name}} in {{kyma.namespace}}\n",
    )
    .unwrap();
    let dir = tmp.path().join("bridge");
    let run = new_into(&dir, &[OsStr::new("--templates"), templates.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("k8s/base/pvc.yaml")).unwrap(),
        "# cai-logs-bridge in cai-logs-bridge\n"
    );
    let committed = root().join("generated-example/k8s/base/deployment.yaml");
    assert_eq!(
        std::fs::read(dir.join("k8s/base/deployment.yaml")).unwrap(),
        std::fs::read(committed).unwrap(),
        "an override changed another file"
    );

    // A variable the view lacks is an error at the override's line, and nothing is written.
    std::fs::write(templates.join("k8s/base/pvc.yaml.hbs"), "ok\n{{nope}}\n").unwrap();
    let other = tmp.path().join("other");
    let run = new_into(&other, &[OsStr::new("--templates"), templates.as_os_str()]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("pvc.yaml.hbs:2"), "{}", run.stderr);
    assert!(!other.exists(), "a failed run wrote {}", other.display());
}
