"""bench/scale: the benchmark of issue #13. One sync of a million conversations (or
--conversations) from the mock CAI server into SQLite and into PostgreSQL, with rows
per second and peak memory; then OData pages (`MessageFacts?$top=1000&$skip=K`) from
1 and from 3 serving processes on each database, at 8 and 64 connections (wrk). It
writes its section into BENCHMARKS.md between its markers (bench/run keeps it) and
into bench/scale.md."""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import machine  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import ship  # noqa: E402
from serve_bench import SERVICE, free_port, wait_ready  # noqa: E402
from sync_bench import END, START, Mock  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECTION = os.path.join(REPO, "bench", "scale.md")
BEGIN, FINISH = "<!-- bench/scale: begin -->", "<!-- bench/scale: end -->"
PAGE = "MessageFacts?$top=1000&$skip={skip}"
CONNECTIONS = (8, 64)
PROCESSES = (1, 3)


def parse(argv):
    p = argparse.ArgumentParser(prog="bench/scale", description="The benchmark of issue #13; updates BENCHMARKS.md.")
    p.add_argument("--conversations", type=int, default=1_000_000, help="conversations synced (default 1000000)")
    p.add_argument("--seconds", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--postgres", default=os.environ.get("CAI_BRIDGE_TEST_POSTGRES",
                                                        "postgres://postgres@127.0.0.1:5432/postgres"),
                   help="a PostgreSQL server where a role may create databases (libpq URL)")
    p.add_argument("--out", default=os.path.join(REPO, "BENCHMARKS.md"), help="the report to update")
    return p.parse_args(argv)


def psql(url, sql):
    out = subprocess.run(["psql", "--no-psqlrc", "-qAt", "-d", url, "-c", sql], capture_output=True, text=True)
    if out.returncode != 0:
        raise measure.BenchError(f"psql {sql!r}: {out.stderr.strip()}")
    return out.stdout.strip()


def with_database(url, name):
    """`url` with its database (the path) replaced by `name`."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


class Servers:
    """`count` processes of `cai-logs-bridge serve --no-auth` on one database."""

    def __init__(self, bridge, db, count):
        self.procs, self.bases = [], []
        for _ in range(count):
            port = free_port()
            proc = subprocess.Popen([bridge, "serve", "--no-auth", "--db", db, "--addr", f"127.0.0.1:{port}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(proc)
            self.bases.append(f"http://127.0.0.1:{port}")
            wait_ready(self.bases[-1] + "/health/ready", proc, "serve")

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait()


def pages(servers, connections, seconds, count, lua):
    """wrk on every process at once, the connections shared out among them: requests
    per second in all, and the worst p50 and p99 of the processes."""
    share = [connections // len(servers.bases) + (i < connections % len(servers.bases))
             for i in range(len(servers.bases))]
    runs = [subprocess.Popen(["wrk", "-c", str(c), "-t", str(min(2, c)), "-d", f"{seconds}s", "--timeout", "60s",
                              "-s", lua, base, "--", SERVICE + PAGE, str(count)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for base, c in zip(servers.bases, share)]
    reports = []
    for run in runs:
        out, err = run.communicate()
        if run.returncode != 0:
            raise measure.BenchError(f"wrk exited {run.returncode}: {err[-1000:]}")
        reports.append(__import__("json").loads(out.strip().splitlines()[-1]))
    errors = sum(r["errors"] for r in reports)
    if errors:
        raise measure.BenchError(f"{errors} page requests failed at {connections} connections")
    return {"rps": sum(r["requests"] / r["seconds"] for r in reports),
            "p50_ms": max(r["p50_us"] for r in reports) / 1000, "p99_ms": max(r["p99_us"] for r in reports) / 1000}


def main(argv):
    args = parse(argv)
    subprocess.run([os.path.join(REPO, "bench/install.sh")], check=True)
    bridge = os.path.join(ship.build(REPO, ("cai-logs-bridge",)), "cai-logs-bridge")
    lua = os.path.join(REPO, "bench", "odata.lua")
    work = tempfile.mkdtemp(prefix="scale-", dir=os.path.join(REPO, "bench"))
    name = f"cai_bridge_scale_{os.getpid()}"
    pg_url = with_database(args.postgres, name)
    psql(args.postgres, f"DROP DATABASE IF EXISTS {name}")
    psql(args.postgres, f"CREATE DATABASE {name}")
    began, load_at_start = time.time(), os.getloadavg()[0]
    server_version = psql(args.postgres, "SHOW server_version").split()[0]
    server_version = f"PostgreSQL {server_version} on loopback"
    host = machine.host()
    sqlite_db = os.path.join(work, "scale.db")
    databases = {"SQLite": sqlite_db, "PostgreSQL": pg_url}
    syncs, serving = {}, {}
    try:
        print(f"bench/scale: mock CAI with {args.conversations:,} conversations", file=sys.stderr)
        mock = Mock(bridge, args.conversations)
        try:
            for backend, db in databases.items():
                print(f"bench/scale: sync into {backend}", file=sys.stderr)
                run = measure.run([bridge, "sync", "--quiet", "--db", db, "--from", START, "--to", END],
                                  env={**os.environ, **mock.env}, what=f"sync into {backend}")
                rows = int(re.search(r"(\d+) rows", run.stdout).group(1))
                syncs[backend] = {"wall": run.wall, "rss_kib": run.peak_rss_kib, "rows": rows,
                                  "summary": run.stdout.strip()}
        finally:
            mock.stop()
        facts = int(psql(pg_url, "SELECT count(*) FROM cai_logs_Messages"))
        count = max(1, -(-facts // 1000))
        for backend, db in databases.items():
            for processes in PROCESSES:
                print(f"bench/scale: serve {backend} × {processes}", file=sys.stderr)
                servers = Servers(bridge, db, processes)
                try:
                    for connections in CONNECTIONS:
                        serving[(backend, processes, connections)] = pages(servers, connections, args.seconds,
                                                                           count, lua)
                    serving[(backend, processes, "rss")] = max(measure.rss_kib(p.pid, "VmHWM")
                                                               for p in servers.procs)
                finally:
                    servers.stop()
        size = {"SQLite": sum(os.path.getsize(p) for p in (sqlite_db, sqlite_db + "-wal") if os.path.exists(p)),
                "PostgreSQL": int(psql(pg_url, "SELECT pg_database_size(current_database())"))}
    finally:
        subprocess.run(["rm", "-rf", work])
        psql(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    command = "bench/scale" + "".join(" " + shlex.quote(a) for a in argv)
    lines = [BEGIN, "## Scale: a million conversations, SQLite and PostgreSQL (issue #13)", "",
             f"Written by `{command}` ({args.conversations:,} conversations over 30 days from the mock CAI server, "
             f"{args.seconds} s per wrk run; {(time.time() - began) / 60:.1f} min). Regenerate with `bench/scale`.", "",
             report.table(["sync into", "time", "rows", "rows/s", "peak RSS", "database size"],
                          [(b, f"{s['wall']:.1f} s", f"{s['rows']:,}", f"{s['rows'] / s['wall']:,.0f}",
                            f"{s['rss_kib'] / 1024:.1f} MB", f"{size[b] / 2**20:,.0f} MB")
                           for b, s in syncs.items()]), "",
             f"OData pages of {facts:,} facts (`{PAGE}`, every process answering its share of the connections; "
             "requests per second of all processes together, the worst process's latencies):", "",
             report.table(["database", "serving processes", "connections", "pages/s", "p50", "p99",
                           "peak RSS per process"],
                          [(b, p, c, f"{serving[(b, p, c)]['rps']:,.1f}", f"{serving[(b, p, c)]['p50_ms']:,.1f} ms",
                            f"{serving[(b, p, c)]['p99_ms']:,.1f} ms", f"{serving[(b, p, 'rss')] / 1024:.1f} MB")
                           for b in databases for p in PROCESSES for c in CONNECTIONS]), "",
             f"Machine: {host}; {server_version}; load average at start {load_at_start:.2f}, at the end "
             f"{os.getloadavg()[0]:.2f}. A shared machine: the numbers are noisy.", "", FINISH]
    text = "\n".join(lines) + "\n"
    with open(SECTION, "w") as f:
        f.write(text)
    report.splice_scale(args.out, text)
    print(f"bench/scale: wrote {args.out} and {SECTION}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (measure.BenchError, OSError) as e:
        print(f"bench/scale: {e}", file=sys.stderr)
        sys.exit(1)
    except subprocess.CalledProcessError as e:
        print(f"bench/scale: {' '.join(map(str, e.cmd))} exited {e.returncode}", file=sys.stderr)
        sys.exit(1)
