//! `cai-bridge new`: the bridge it scaffolds deploys to Kyma and stands alone.
//!
//! - `k8s/` and its `jwt` variant render with `kubectl kustomize` (offline) and pass
//!   `shared/validators/check-manifests` (Kubernetes schemas strict, the APIRule CRD
//!   and its rules, checkov) with no failed check beyond the skips the scaffold lists
//!   in `k8s/.checkov.yaml`; checkov passes the Dockerfile with the same list.
//! - A scaffold of each spec (CAI and PagerDuty) builds (warnings would fail the
//!   test), passes its own tests, its `demo --once` fills a database, and its CAP
//!   project compiles with `@sap/cds` and serves that file.
//!
//! Nothing is skipped: without kubectl, the validators or the CAP toolchain, the
//! tests fail with a hint (run `scripts/test`).

use std::path::Path;
use std::process::Command;

use cai_bridge_build::{output, scaffold};
use cai_bridge_tests::{cai, oracle, pagerduty, repo, target_dir, Fixture};

/// The skips `k8s/.checkov.yaml` may hold; a new one needs a reason there and here.
const ALLOWED_SKIPS: &[&str] = &["CKV_K8S_43", "CKV_DOCKER_2"];

/// Scaffolds the bridge of `fixture` into `dir` as `cai-bridge new DIR --runtime-path
/// REPO` does.
fn scaffold_into(dir: &Path, fixture: &Fixture, name: Option<&str>) {
    let loaded = fixture.inputs.load().expect("the spec loads");
    let options = scaffold::Options {
        name: name.map(str::to_owned),
        runtime_path: Some(repo()),
        templates: None,
    };
    let files = scaffold::files(dir, &fixture.inputs, &loaded, &options).expect("scaffolds");
    output::write(dir, &files).expect("writes");
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The checks `.checkov.yaml` skips, each of which must follow a comment saying why.
fn checkov_skips(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect(".checkov.yaml");
    let mut skips = Vec::new();
    let mut commented = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            commented = true;
        } else if let Some(id) = line.strip_prefix("- ") {
            assert!(
                commented,
                "{id} in {} has no reason above it",
                file.display()
            );
            skips.push(id.to_owned());
            commented = false;
        }
    }
    skips
}

#[test]
fn the_kyma_manifests_and_the_dockerfile_pass_the_validators() {
    oracle::require_kubectl();
    let (validators, python) = oracle::validators();
    let dir = tempfile::tempdir().expect("temp dir");
    scaffold_into(dir.path(), &cai(), None);
    let k8s = dir.path().join("k8s");
    let skips = checkov_skips(&k8s.join(".checkov.yaml"));
    for skip in &skips {
        assert!(
            ALLOWED_SKIPS.contains(&skip.as_str()),
            "k8s/.checkov.yaml skips {skip}, which is not on the short list"
        );
    }

    let mut rendered = Vec::new();
    for variant in [".", "jwt"] {
        let yaml = run(Command::new("kubectl")
            .arg("kustomize")
            .arg(k8s.join(variant)));
        for kind in [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "PersistentVolumeClaim",
            "Deployment",
            "Service",
            "NetworkPolicy",
            "APIRule",
        ] {
            assert!(
                yaml.contains(&format!("kind: {kind}\n")),
                "{variant}: no {kind}"
            );
        }
        assert!(!yaml.contains("kind: Secret\n"), "{variant}: a Secret");
        let file = dir
            .path()
            .join(format!("rendered-{}.yaml", variant.replace('.', "base")));
        std::fs::write(&file, &yaml).expect("writes");
        rendered.push((variant, yaml, file));
    }
    let (_, base, _) = &rendered[0];
    assert!(
        base.contains("noAuth: true") && !base.contains("jwt:"),
        "{base}"
    );
    let (_, jwt, _) = &rendered[1];
    assert!(
        jwt.contains("--jwt-issuer=") && jwt.contains("jwksUri:"),
        "{jwt}"
    );
    assert!(
        !jwt.contains("path: /oauth/token"),
        "the jwt variant exposes no token path"
    );

    // check-manifests runs checkov in k8s/, where checkov reads .checkov.yaml itself.
    let mut check = Command::new(validators.join("check-manifests"));
    check
        .current_dir(&k8s)
        .env("PYTHON", &python)
        .args(["--apirule-versions", "v2"]);
    for (_, _, file) in &rendered {
        check.arg(file);
    }
    check.arg(k8s.join("secret.template.yaml"));
    let report = run(&mut check);
    assert!(report.contains("check-manifests: OK"), "{report}");

    let report = run(Command::new(&python)
        .current_dir(dir.path())
        .args(["-m", "checkov.main", "--framework", "dockerfile"])
        .args(["--quiet", "--compact", "--skip-download"])
        .args(["--config-file", "k8s/.checkov.yaml", "-f", "Dockerfile"]));
    assert!(report.contains("Failed checks: 0"), "{report}");
}

/// Cargo in the running test's target dir and the workspace's dev profile, so the
/// scaffold reuses every compiled dependency.
fn cargo(target: &Path, verb: &str, manifest: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .env("CARGO_TARGET_DIR", target)
        .arg(verb)
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--offline")
        .args(["--config", "profile.dev.debug=\"line-tables-only\""])
        .args(["--config", "profile.dev.package.\"*\".debug=false"]);
    command
}

/// Scaffolds `fixture`'s bridge, builds it with warnings failing the test, runs its
/// own tests and its `demo --once`, and has the real CAP compile its project and
/// serve the demo's file: `sets` must come back with rows.
fn a_scaffold_stands_alone(fixture: &Fixture, name: &str, sets: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    // Its own name: the binary must not replace the workspace's cai-logs-bridge in
    // the shared target dir while other tests run it.
    scaffold_into(dir.path(), fixture, Some(name));
    // The workspace's lock: the same versions, so nothing is resolved or fetched anew.
    std::fs::copy(repo().join("Cargo.lock"), dir.path().join("Cargo.lock")).expect("lock");
    let target = target_dir();
    let manifest = dir.path().join("Cargo.toml");
    let log = run(&mut cargo(&target, "build", &manifest));
    assert!(
        !log.contains("warning"),
        "{name}: the scaffolded bridge builds with warnings:\n{log}"
    );
    let tested = run(&mut cargo(&target, "test", &manifest));
    assert!(
        tested.contains("test result: ok. 2 passed"),
        "{name}: its own tests did not both run:\n{tested}"
    );

    let db = dir.path().join("bridge.db");
    let demo = run(Command::new(target.join("debug").join(name))
        .args([
            "demo",
            "--once",
            "--addr",
            "127.0.0.1:0",
            "--conversations",
            "20",
        ])
        .arg("--db")
        .arg(&db));
    assert!(db.exists(), "{name}: demo wrote no database:\n{demo}");

    let cap = dir.path().join("cap");
    let model = fixture.inputs.load().expect("loads").model;
    let compiled = oracle::cap_compile(&cap);
    assert_eq!(compiled.path, model.service.path, "{name}");
    let sets: Vec<String> = sets.iter().map(|s| (*s).to_owned()).collect();
    let served = oracle::cap_serve(&cap, &db, &sets);
    for set in &sets {
        assert_eq!(served[set]["status"], 200, "{name} {set}: {served}");
        assert!(
            served[set]["count"].as_u64().unwrap_or(0) > 0,
            "{name} {set}: CAP serves no rows of the demo's file: {served}"
        );
    }
    // The CAP project points `cds serve` at the same file the README's commands write.
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cap.join("package.json")).expect("package.json"),
    )
    .expect("JSON");
    assert_eq!(
        package["cds"]["requires"]["db"]["credentials"]["url"],
        "../bridge.db"
    );
}

#[test]
fn a_scaffolded_cai_bridge_builds_tests_runs_its_demo_and_cap_serves_its_file() {
    a_scaffold_stands_alone(
        &cai(),
        "kyma-scaffold-bridge",
        &["Conversations", "MessageFacts"],
    );
}

#[test]
fn a_scaffolded_pagerduty_bridge_does_the_same_with_its_own_api() {
    let model = pagerduty().inputs.load().expect("loads").model;
    let root = model.root().name.clone();
    a_scaffold_stands_alone(&pagerduty(), "kyma-scaffold-pagerduty", &[root.as_str()]);
}
