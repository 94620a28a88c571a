"""bench/run: parses the flags, installs the peers, builds, runs every benchmark and
writes BENCHMARKS.md. Any contender's failure stops the run with exit 1 (a benchmark
that reports a broken contender's numbers is worse than none); bad flags are exit 2."""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import machine  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import ship  # noqa: E402
from infer_bench import InferBench  # noqa: E402
from rebuild_bench import RebuildBench  # noqa: E402
from serve_bench import ServeBench  # noqa: E402
from sync_bench import Mock, SyncBench  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICK = {"conversations": 2000, "scale": 20000, "rounds": 2, "seconds": 2, "infer_mb": [10],
         "callgrind_conversations": 100}
FULL = {"conversations": 20000, "scale": 200000, "rounds": 5, "seconds": 10, "infer_mb": [10, 100],
        "callgrind_conversations": 300}


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def parse(argv):
    p = argparse.ArgumentParser(prog="bench/run", description="Benchmarks of issue #11; writes BENCHMARKS.md.")
    p.add_argument("--quick", action="store_true", help="small sizes and 2 rounds: under 5 minutes")
    p.add_argument("--conversations", type=positive, help="sync and serve volume (full: 20000, quick: 2000)")
    p.add_argument("--scale", type=positive, help="the 10x sync volume (full: 200000, quick: 20000)")
    p.add_argument("--rounds", type=positive, help="rounds of every benchmark (full: 5, quick: 2)")
    p.add_argument("--seconds", type=positive, help="seconds per wrk run (full: 10, quick: 2)")
    p.add_argument("--infer-mb", type=positive, nargs="+", help="sample sizes in MB (full: 10 100, quick: 10)")
    p.add_argument("--callgrind-conversations", type=positive, help="volume of the callgrind sync (full: 300)")
    p.add_argument("--out", default=os.path.join(REPO, "BENCHMARKS.md"), help="where to write the report")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def build():
    """The bridge, the CLI and the limit, as they ship (see `ship.build`); their paths."""
    folder = ship.build(REPO, ("cai-logs-bridge", "cai-bridge-cli", "cai-bridge-bench-limit"))
    return {"bridge": os.path.join(folder, "cai-logs-bridge"), "cli": os.path.join(folder, "cai-bridge"),
            "limit": os.path.join(folder, "bench-limit")}


def paths_for():
    bench = os.path.join(REPO, "bench")
    cap_dir = os.environ.get("CAP_DIR", os.path.join(REPO, "tests/cap"))
    paths = {
        "repo": REPO,
        "venv_python": os.path.join(bench, ".venv/bin/python"),
        "seed": os.path.join(bench, "peers/seed_extractor.py"),
        "dlt": os.path.join(bench, "peers/dlt_pipeline.py"),
        "schema": os.path.join(REPO, "generated-example/db/schema.sql"),
        "quicktype": os.path.join(bench, "npm/node_modules/.bin/quicktype"),
        "cap_serve": os.path.join(bench, "cap-serve.js"),
        "cap_project": os.path.join(REPO, "generated-example/cap"),
        "cap_dir": cap_dir,
        "lua": os.path.join(bench, "odata.lua"),
        **build(),
    }
    versions = subprocess.run(
        ["node", "-e", "const r=(m)=>require(require.resolve(m+'/package.json',{paths:[process.argv[1]]})).version;"
         "console.log(r('@sap/cds')+' / '+r('@cap-js/sqlite'))", cap_dir], capture_output=True, text=True)
    paths["cap_versions"] = versions.stdout.strip() or "not found"
    return paths


def sync_and_serve(args, paths, work, targets):
    """The sync rounds (with strace and callgrind after them), then serve on the
    database ours synced in the first round; their report sections."""
    sync = SyncBench(paths, work, args.conversations, args.scale)
    mock, big = Mock(paths["bridge"], args.conversations), Mock(paths["bridge"], args.scale)
    serve_db = os.path.join(work, "serve.db")
    try:
        for index in range(args.rounds):
            print(f"bench/run: sync round {index + 1}/{args.rounds}", file=sys.stderr)
            ours_db = sync.round(index, mock, big)
            if index == 0:
                shutil.copyfile(ours_db, serve_db)
        print("bench/run: system calls (strace)", file=sys.stderr)
        sync.count_syscalls(mock)
    finally:
        mock.stop()
        big.stop()
    print("bench/run: instruction counts (callgrind)", file=sys.stderr)
    sync.count_instructions(args.callgrind_conversations)
    paths["sqlite_version"] = sync.results["limit"][0]["sqlite"]
    sections = report.sync_section(sync, targets)

    print("bench/run: serve", file=sys.stderr)
    serve = ServeBench(paths, work, serve_db, args.seconds)
    serve.run(args.rounds)
    return sections + report.serve_section(serve, targets)


def infer_and_rebuild(args, paths, work, targets):
    """The inference rounds, then the rebuild rounds; their report sections."""
    print("bench/run: infer", file=sys.stderr)
    infer = InferBench(paths, work, args.infer_mb)
    infer.prepare()
    for index in range(args.rounds):
        infer.round(index)
    sections = report.infer_section(infer, targets)

    print("bench/run: rebuild", file=sys.stderr)
    rebuild = RebuildBench(paths)
    rebuild.warm()
    for _ in range(args.rounds):
        rebuild.round()
    return sections + report.rebuild_section(rebuild, targets)


def main(argv):
    args = parse(argv)
    began, load_at_start = time.time(), os.getloadavg()[0]
    subprocess.run([os.path.join(REPO, "bench/install.sh")], check=True)
    paths = paths_for()
    prepared = time.time()
    work = tempfile.mkdtemp(prefix="bench-", dir=os.path.join(REPO, "bench"))  # on disk, not tmpfs
    targets = report.Targets()
    try:
        sections = sync_and_serve(args, paths, work, targets) + infer_and_rebuild(args, paths, work, targets)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    host = machine.describe(paths, load_at_start)
    command = "bench/run" + "".join(" " + shlex.quote(a) for a in argv)
    settings = (f"{args.conversations:,} conversations, {args.scale:,} for the 10×, {args.rounds} rounds, "
                f"{args.seconds} s per wrk run, samples of {' and '.join(map(str, args.infer_mb))} MB; "
                f"the benchmarks took {(time.time() - prepared) / 60:.1f} min, after "
                f"{(prepared - began) / 60:.1f} min of installing and building")
    notes = ["This machine is shared: other engineers build and test on it while the benchmark runs, so times "
             "and rates are noisy; ratios within a round and instruction counts are the steadier numbers.",
             "Every contender runs on loopback against the same mock CAI server (`cai-logs-bridge mock-cai`, "
             "fixed seed and period) or the same database file.",
             "The seed-style Python writes 4 of our 5 tables (no replies); its messages per second are compared."]
    if args.quick:
        notes.insert(0, "A `--quick` run: small volumes, few rounds, short wrk runs. The full `bench/run` is the one to "
                        "quote; the 10× row here is 10× the quick volume.")
    report.write(args.out, command, settings, host, sections, targets, notes)
    print(f"bench/run: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (measure.BenchError, OSError) as e:  # OSError: a server that broke off, a full disk
        print(f"bench/run: {e}", file=sys.stderr)
        sys.exit(1)
    except subprocess.CalledProcessError as e:
        print(f"bench/run: {' '.join(map(str, e.cmd))} exited {e.returncode}", file=sys.stderr)
        sys.exit(1)
