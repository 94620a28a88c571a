//! `cai-bridge new`: the bridge it scaffolds deploys to Kyma and stands alone.
//!
//! - `k8s/` and its variants (`jwt`, `postgres`, `jwt-postgres`) render with `kubectl
//!   kustomize` (offline) and pass `shared/validators/check-manifests` (Kubernetes
//!   schemas strict, the APIRule CRD and its rules, checkov) with no failed check
//!   beyond the skips the scaffold lists in `k8s/.checkov.yaml`; checkov passes the
//!   Dockerfile with the same list.
//! - The PostgreSQL variants, for each spec, run several pods on the service binding:
//!   no PersistentVolumeClaim, rolling updates, a PodDisruptionBudget over the pods,
//!   the binding's Secret mounted where `SERVICE_BINDING_ROOT` looks, no `--db`, and
//!   the example ServiceBinding writes the Secret the Deployment mounts.
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
use serde_json::Value;

/// The skips `k8s/.checkov.yaml` may hold; a new one needs a reason there and here.
const ALLOWED_SKIPS: &[&str] = &["CKV_K8S_43", "CKV_DOCKER_2"];

/// The kustomizations under `k8s/` a user applies; those on PostgreSQL end in
/// `postgres`.
const VARIANTS: &[&str] = &[".", "jwt", "postgres", "jwt-postgres"];

fn on_postgres(variant: &str) -> bool {
    variant.ends_with("postgres")
}

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
    for variant in VARIANTS.iter().copied() {
        let (yaml, file) = render(&k8s, variant, dir.path());
        let (volume, budget) = if on_postgres(variant) {
            ("PodDisruptionBudget", "PersistentVolumeClaim")
        } else {
            ("PersistentVolumeClaim", "PodDisruptionBudget")
        };
        for kind in [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            volume,
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
        assert!(
            !yaml.contains(&format!("kind: {budget}\n")),
            "{variant}: a {budget}"
        );
        assert!(!yaml.contains("kind: Secret\n"), "{variant}: a Secret");
        rendered.push((variant, yaml, file));
    }
    for (variant, yaml, _) in &rendered {
        if variant.starts_with("jwt") {
            assert!(
                yaml.contains("--jwt-issuer=") && yaml.contains("jwksUri:"),
                "{variant}: {yaml}"
            );
            assert!(
                !yaml.contains("path: /oauth/token"),
                "the {variant} variant exposes no token path"
            );
        } else {
            assert!(
                yaml.contains("noAuth: true") && !yaml.contains("jwt:"),
                "{variant}: {yaml}"
            );
        }
    }

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

/// `kubectl kustomize k8s/VARIANT` (offline), and the file in `out` it is written to.
fn render(k8s: &Path, variant: &str, out: &Path) -> (String, std::path::PathBuf) {
    let yaml = run(Command::new("kubectl")
        .arg("kustomize")
        .arg(k8s.join(variant)));
    let file = out.join(format!("rendered-{}.yaml", variant.replace('.', "base")));
    std::fs::write(&file, &yaml).expect("writes");
    (yaml, file)
}

/// The documents of a YAML file as JSON, read by the validators' Python (PyYAML, as
/// validate-k8s reads them).
fn documents(python: &Path, file: &Path) -> Vec<Value> {
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml\n\
             print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
        ])
        .arg(file)
        .output()
        .expect("runs Python");
    assert!(
        output.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// The one document of `kind` in `docs`.
fn one<'a>(docs: &'a [Value], kind: &str, what: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "{what}: not one {kind}");
    found[0]
}

fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {value}"))
}

/// What a PostgreSQL variant's user relies on: several pods on the service binding,
/// no SQLite volume, rollouts and node drains that leave pods serving, and the
/// example ServiceBinding (`binding`) writing the Secret the pods mount.
fn assert_runs_on_the_binding(what: &str, docs: &[Value], binding: &[Value]) {
    assert!(
        !docs.iter().any(|d| d["kind"] == "PersistentVolumeClaim"),
        "{what}: a PersistentVolumeClaim"
    );
    let deployment = one(docs, "Deployment", what);
    let name = text(&deployment["metadata"]["name"], what);
    let namespace = &deployment["metadata"]["namespace"];
    let spec = &deployment["spec"];
    let replicas = spec["replicas"].as_u64().unwrap_or(1);
    assert!(replicas > 1, "{what}: {replicas} replica");
    assert_eq!(spec["strategy"]["type"], "RollingUpdate", "{what}");
    assert_eq!(
        spec["strategy"]["rollingUpdate"]["maxUnavailable"], 0,
        "{what}: a rollout must not stop a pod before its successor is ready"
    );

    let pod = &spec["template"];
    let labels = pod["metadata"]["labels"].as_object().expect("pod labels");
    let budget = &one(docs, "PodDisruptionBudget", what)["spec"];
    let selector = budget["selector"]["matchLabels"]
        .as_object()
        .expect("the PodDisruptionBudget selects by labels");
    assert!(
        !selector.is_empty()
            && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            && budget["selector"].get("matchExpressions").is_none(),
        "{what}: the PodDisruptionBudget's selector {selector:?} is not the pods' {labels:?}"
    );
    let evictable = match (
        budget["maxUnavailable"].as_u64(),
        budget["minAvailable"].as_u64(),
    ) {
        (Some(max), None) => max,
        (None, Some(min)) => replicas.saturating_sub(min),
        _ => panic!("{what}: the budget needs a number, maxUnavailable or minAvailable"),
    };
    assert!(
        (1..replicas).contains(&evictable),
        "{what}: a drain may evict {evictable} of {replicas} pods at once"
    );

    let containers = pod["spec"]["containers"].as_array().expect("containers");
    let bridge = containers
        .iter()
        .find(|c| c["name"] == "bridge")
        .expect("the bridge's container");
    let args: Vec<&str> = bridge["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| text(a, what))
        .collect();
    assert!(
        !args.iter().any(|a| *a == "--db" || a.starts_with("--db=")),
        "{what}: --db would win over the binding: {args:?}"
    );
    assert!(args.contains(&"--sync-every"), "{what}: {args:?}");
    let env = |key: &str| {
        bridge["env"]
            .as_array()
            .expect("env")
            .iter()
            .find(|e| e["name"] == key)
            .map(|e| text(&e["value"], key))
    };
    for key in ["DATABASE_URL", "DATABASE_URL_FILE"] {
        assert!(
            env(key).is_none(),
            "{what}: {key} would win over the binding"
        );
    }
    let root =
        env("SERVICE_BINDING_ROOT").unwrap_or_else(|| panic!("{what}: no SERVICE_BINDING_ROOT"));

    let secret = format!("{name}-postgres");
    let volumes = pod["spec"]["volumes"].as_array().expect("volumes");
    assert!(
        !volumes
            .iter()
            .any(|v| v.get("persistentVolumeClaim").is_some()),
        "{what}: a volume on a claim"
    );
    let volume = volumes
        .iter()
        .find(|v| v["secret"]["secretName"] == secret.as_str())
        .unwrap_or_else(|| panic!("{what}: no volume of the Secret {secret}"));
    let mount = bridge["volumeMounts"]
        .as_array()
        .expect("volumeMounts")
        .iter()
        .find(|m| m["name"] == volume["name"])
        .unwrap_or_else(|| panic!("{what}: the Secret {secret} is not mounted"));
    assert_eq!(mount["readOnly"], true, "{what}: {mount}");
    let at = Path::new(text(&mount["mountPath"], what));
    assert_eq!(
        at.parent(),
        Some(Path::new(root)),
        "{what}: the binding is not a folder of SERVICE_BINDING_ROOT"
    );
    if let Some(picked) = env("DATABASE_BINDING") {
        assert_eq!(
            at.file_name().and_then(|n| n.to_str()),
            Some(picked),
            "{what}: DATABASE_BINDING names another folder"
        );
    }

    let policy = one(docs, "NetworkPolicy", what);
    assert!(
        policy["spec"]["egress"]
            .as_array()
            .expect("egress")
            .iter()
            .flat_map(|rule| rule["ports"].as_array().into_iter().flatten())
            .any(|p| p["port"] == 5432 && p["protocol"] == "TCP"),
        "{what}: the NetworkPolicy lets nothing out to PostgreSQL (5432)"
    );

    let instance = one(binding, "ServiceInstance", what);
    let binding = one(binding, "ServiceBinding", what);
    for object in [instance, binding] {
        assert_eq!(object["apiVersion"], "services.cloud.sap.com/v1", "{what}");
        assert_eq!(&object["metadata"]["namespace"], namespace, "{what}");
    }
    assert_eq!(instance["spec"]["serviceOfferingName"], "postgresql-db");
    assert_eq!(
        binding["spec"]["serviceInstanceName"], instance["metadata"]["name"],
        "{what}"
    );
    assert_eq!(
        binding["spec"]["secretName"],
        secret.as_str(),
        "{what}: the ServiceBinding writes another Secret than the pods mount"
    );
}

#[test]
fn the_postgres_variants_run_several_pods_on_the_service_binding() {
    oracle::require_kubectl();
    let (_, python) = oracle::validators();
    for fixture in [cai(), pagerduty()] {
        let dir = tempfile::tempdir().expect("temp dir");
        scaffold_into(dir.path(), &fixture, None);
        let k8s = dir.path().join("k8s");
        let binding = documents(&python, &k8s.join("postgres/service-binding.template.yaml"));
        for variant in VARIANTS.iter().copied().filter(|v| on_postgres(v)) {
            let (_, file) = render(&k8s, variant, dir.path());
            let what = format!("{} k8s/{variant}", fixture.name);
            assert_runs_on_the_binding(&what, &documents(&python, &file), &binding);
        }
    }
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
