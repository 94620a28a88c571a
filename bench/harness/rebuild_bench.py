"""Rebuilding generated-example: after its spec changed (regenerate with `cai-bridge
new --force`, then build) and after its main.rs changed (build only). The second must
not run code generation: cargo's verbose output is searched for the generator's crates
and for any build script, and the generated files' modification times are compared."""

import os
import subprocess
import time

import measure

GENERATED = ("src/model.rs", "src/model.json", "db/schema.sql", "odata/metadata.xml", "cap/db/schema.cds")
GENERATOR_CRATES = ("cai-bridge-build", "cai-bridge-cli", "handlebars", "prettyplease", "serde_yaml_ng")


class RebuildBench:
    """`results[step]` is a list of seconds; `evidence` what the main.rs rebuild ran."""

    def __init__(self, paths):
        self.paths = paths
        self.repo = paths["repo"]
        self.results = {}
        self.evidence = {}

    def warm(self):
        """One untimed release build first: bench/run built its contenders in the `ship`
        profile, and a developer's rebuild starts from a release build, not from none."""
        self._build()

    def _build(self):
        """A release build of the bridge (after `warm`, only what changed is compiled
        again)."""
        start = time.perf_counter()
        out = subprocess.run(["cargo", "build", "-v", "--release", "-p", "cai-logs-bridge"], cwd=self.repo,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise measure.BenchError(f"cargo build of generated-example failed: {out.stderr[-2000:]}")
        return time.perf_counter() - start, out.stderr

    def _mtimes(self):
        example = os.path.join(self.repo, "generated-example")
        return {f: os.stat(os.path.join(example, f)).st_mtime_ns for f in GENERATED}

    def _new(self, *flags):
        measure.run([self.paths["cli"], "new", "generated-example", "--spec", "specs/cai-logs-v2/openapi.yaml",
                     "--sample", "specs/cai-logs-v2/samples", "--runtime-path", ".", *flags], cwd=self.repo,
                    what=f"cai-bridge new {' '.join(flags)}")

    def round(self):
        # Only on an up-to-date generated-example (as scripts/test requires it): then
        # `new --force` rewrites nothing, and no edit in the work tree can be lost.
        self._new("--check")
        os.utime(os.path.join(self.repo, "specs/cai-logs-v2/openapi.yaml"))
        start = time.perf_counter()
        self._new("--force")
        generate = time.perf_counter() - start
        build, _ = self._build()
        self.results.setdefault("spec: generate", []).append(generate)
        self.results.setdefault("spec: generate + build", []).append(generate + build)

        before = self._mtimes()
        os.utime(os.path.join(self.repo, "generated-example/src/main.rs"))
        seconds, log = self._build()
        self.results.setdefault("main.rs: build", []).append(seconds)
        compiled = sorted({line.split()[1] for line in log.splitlines() if line.strip().startswith("Compiling")})
        ran_scripts = [line for line in log.splitlines() if "build-script" in line and "Running" in line]
        self.evidence = {
            "compiled": compiled,
            "generator_compiled": [c for c in compiled if c in GENERATOR_CRATES],
            "build_scripts_run": len(ran_scripts),
            "generated_files_touched": [f for f, t in self._mtimes().items() if t != before[f]],
        }
