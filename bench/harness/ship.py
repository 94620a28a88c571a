"""The binaries the benchmarks run, built as they deploy: in the workspace's `ship`
profile (release with fat LTO in one codegen unit, as the container image builds the
bridge; see Cargo.toml)."""

import os
import subprocess


def build(repo, packages):
    """Builds each of `packages` on its own, as its users build it (built together,
    cargo would unify their dependencies' features and the bridge would not be the
    binary a user deploys); returns the folder that holds their binaries."""
    for package in packages:
        subprocess.run(["cargo", "build", "-q", "--profile", "ship", "-p", package], cwd=repo, check=True)
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(repo, "target")), "ship")
