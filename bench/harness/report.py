"""BENCHMARKS.md: the command, the targets of issue #11 with met or missed by how
much, then a table per benchmark (medians with ranges over the rounds, ratios within a
round), instruction counts, the machine and the versions."""

import glob
import os

from stats import median, ratios, spread

MB = 1e6


class Targets:
    """The issue's targets, each with the measured value and whether it is met."""

    def __init__(self):
        self.rows = []

    def at_least(self, what, value, target, unit="×"):
        self._add(what, value, target, value is not None and value >= target, f"≥ {target:g}{unit}", unit)

    def at_most(self, what, value, target, unit=""):
        self._add(what, value, target, value is not None and value <= target, f"≤ {target:g}{unit}", unit)

    def _add(self, what, value, target, met, goal, unit):
        if value is None:
            self.rows.append((what, goal, "–", "not measured"))
            return
        shown = f"{value:.2f}{unit}"
        if met:
            verdict = "met"
        else:
            factor = target / value if goal.startswith("≥") else value / target
            verdict = f"**missed** by {factor:.2f}×"
        self.rows.append((what, goal, shown, verdict))

    def check(self, what, goal, shown, met):
        self.rows.append((what, goal, shown, "met" if met else "**missed**"))


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sync_section(bench, targets):
    r = bench.results
    names = {"ours": f"ours, {bench.conversations:,} conversations", "seed": "seed-style Python (4 tables, no replies)",
             "dlt": "dlt (sqlalchemy → SQLite)", "limit": "limit: rusqlite loop from memory (insert phase)",
             "ours_10x": f"ours, {bench.scale:,} conversations (10×)"}
    rows = []
    for key, label in names.items():
        runs = r.get(key)
        if not runs:
            continue
        walls = [x["insert_seconds"] if key == "limit" else x["wall"] for x in runs]
        rows.append((label, spread(walls), f"{runs[0]['rows']:,}", spread([x["rows"] / w for x, w in zip(runs, walls)], "{:,.0f}"),
                     spread([x["messages"] / w for x, w in zip(runs, walls)], "{:,.0f}"),
                     spread([x["rss_kib"] / 1024 for x in runs], "{:.1f}"),
                     spread([x["write_bytes"] / MB for x in runs], "{:.1f}"),
                     f"{runs[0]['db_bytes'] / MB:.1f}",
                     spread([x["write_bytes"] / x["db_bytes"] for x in runs], "{:.2f}")))
    out = ["## Sync: mock CAI over loopback → SQLite", "",
           table(["contender", "seconds", "rows", "rows/s", "messages/s", "peak RSS MB", "written MB", "DB MB",
                  "written / DB"], rows), ""]
    ours = r.get("ours", [])
    rate = lambda runs, key: [x[key] / x["wall"] for x in runs]  # noqa: E731
    vs_limit = ratios([x["rows"] / x["wall"] for x in ours], [x["rows"] / x["insert_seconds"] for x in r.get("limit", [])])
    vs_seed = ratios(rate(ours, "messages"), rate(r.get("seed", []), "messages"))
    vs_dlt = ratios([x["wall"] for x in r.get("dlt", [])], [x["wall"] for x in ours])
    out += [f"Ratios within a round (median, range): ours ÷ limit in rows/s {spread(vs_limit)}; ours ÷ "
            f"seed-style Python in messages/s {spread(vs_seed)}; dlt's time ÷ ours {spread(vs_dlt)}.",
            "The limit's seconds are its insert phase alone (it reads the rows ours wrote into memory first, and",
            "writes them with the loader's file settings: the same page size and page cache); its",
            "RSS and bytes are the whole process's. Bytes written are the kernel's count of what the process sent",
            "to storage (`ru_oublock`, the same as /proc/PID/io `write_bytes`).", ""]
    targets.at_least("sync: ours ÷ raw-insert limit, rows/s", median(vs_limit), 0.7)
    targets.at_least("sync: ours ÷ seed-style Python, messages/s", median(vs_seed), 1.5)
    targets.at_least("sync: ours ÷ dlt, speed", median(vs_dlt), 10)
    for key in ("ours", "ours_10x"):
        if r.get(key):
            targets.at_most(f"sync: peak RSS, {names[key]}", median([x["rss_kib"] / 1024 for x in r[key]]), 48, " MB")
            targets.at_most(f"sync: bytes written ÷ DB size, {names[key]}",
                            median([x["write_bytes"] / x["db_bytes"] for x in r[key]]), 3, "×")
    if bench.instructions:
        i = bench.instructions
        out += [f"Instructions (callgrind, {i['conversations']:,} conversations, {i['rows']:,} rows): ours "
                f"`sync` {i['ours']:,} ({i['ours'] / i['rows']:,.0f} per row, the whole process: HTTP, JSON, "
                f"mapping, SQLite); the limit's insert phase {i['limit']:,} ({i['limit'] / i['rows']:,.0f} per row); "
                f"ratio {i['ours'] / i['limit']:.2f}.", "",
                "Where ours spends them (callgrind_annotate, instructions of each function itself):", "",
                table(["instructions", "share", "function"],
                      [(f"{n:,}", f"{share:.1f}%", f"`{name}`") for n, share, name in i["hot_spots"]]), ""]
    if bench.syscalls:
        s = bench.syscalls
        shown = ", ".join(f"{name} {s[name]:,}" for name in ("pwrite64", "write", "fsync", "fdatasync", "sendto",
                                                              "recvfrom", "read", "futex") if name in s)
        out += [f"System calls of one sync of ours, {bench.conversations:,} conversations (`strace -f -c`): "
                f"{sum(s.values()):,} in all; {shown}.", ""]
    return out


def serve_section(bench, targets):
    from serve_bench import CONNECTIONS, KINDS

    r = bench.results
    rows = []
    for kind in KINDS:
        for c in CONNECTIONS:
            ours, cap = r.get(("ours", kind, c), []), r.get(("CAP", kind, c), [])
            ratio = ratios([x["rps"] for x in ours], [x["rps"] for x in cap])
            rows.append((kind, c, spread([x["rps"] for x in ours], "{:,.1f}"), spread([x["rps"] for x in cap], "{:,.1f}"),
                         spread(ratio), spread([x["p50_us"] / 1000 for x in ours], "{:.1f}"),
                         spread([x["p50_us"] / 1000 for x in cap], "{:.1f}"),
                         spread([x["p99_us"] / 1000 for x in ours], "{:.1f}"),
                         spread([x["p99_us"] / 1000 for x in cap], "{:.1f}")))
            targets.at_least(f"serve: {kind} at {c} connection{'s' if c > 1 else ''}, ours ÷ CAP req/s",
                             median(ratio), 1.5 if c == 1 else 3)
            p99 = (median([x["p99_us"] for x in ours]), median([x["p99_us"] for x in cap]))
            targets.check(f"serve: {kind} at {c}, p99 under CAP's", "ours < CAP",
                          f"{p99[0] / 1000:.1f} ms vs {p99[1] / 1000:.1f} ms", p99[0] < p99[1])
    out = ["## Serve: OData V4 over loopback, wrk closed loop", "",
           f"`MessageFacts?$top=1000&$skip=K` over all {bench.pages} pages (paging), a `$filter` with and/or plus "
           "`$orderby` (filter), `$count=true&$top=0` (count); "
           f"{bench.seconds} s per run; ours with a bearer token from its own token endpoint, CAP with dummy auth. "
           "Before the first run both servers answer each kind once and must agree on the count and the filter's "
           "rows; after each run a small request waits until the server has caught up. wrk's latencies are of the "
           "requests completed within a run.",
           "", table(["kind", "connections", "ours req/s", "CAP req/s", "ours ÷ CAP", "ours p50 ms", "CAP p50 ms",
                      "ours p99 ms", "CAP p99 ms"], rows), ""]
    rss = bench.rss
    out += [table(["server", "RSS at start MB", "peak RSS MB", "RSS idle after MB"],
                  [(name, f"{v['start_kib'] / 1024:.1f}", f"{v['peak_kib'] / 1024:.1f}", f"{v['idle_kib'] / 1024:.1f}")
                   for name, v in rss.items()]), ""]
    if "ours" in rss:
        v = rss["ours"]
        targets.at_most("serve: ours peak RSS under 64 connections", v["peak_kib"] / 1024, 64, " MB")
        targets.at_most("serve: ours idle RSS ÷ RSS at start (back near start: ≤ 2×)",
                        v["idle_kib"] / v["start_kib"], 2, "×")
    return out


def infer_section(bench, targets):
    r = bench.results
    rows = []
    for mb in bench.sizes:
        qt = r.get(("quicktype", "json", mb), [])
        for fmt in ("json", "ndjson"):
            ours = r.get(("ours", fmt, mb), [])
            ratio = ratios([x.wall for x in qt], [x.wall for x in ours])
            rows.append((f"{mb} MB {fmt.upper()}", spread([x.wall for x in ours]), spread([x.peak_rss_kib / 1024 for x in ours], "{:.1f}"),
                         spread([x.wall for x in qt]), spread([x.peak_rss_kib / 1024 for x in qt], "{:.0f}"), spread(ratio)))
            targets.at_least(f"infer: {mb} MB {fmt.upper()}, ours ÷ quicktype speed", median(ratio),
                             10 if fmt == "json" else 20)
    small, large = min(bench.sizes), max(bench.sizes)
    if small != large:
        grow = median([x.peak_rss_kib for x in r[("ours", "ndjson", large)]]) / median(
            [x.peak_rss_kib for x in r[("ours", "ndjson", small)]])
        targets.at_most(f"infer: ours peak RSS at {large} MB ÷ at {small} MB, NDJSON (flat: ≤ 1.5×)", grow, 1.5, "×")
    return ["## Infer: sample inference to JSON Schema", "",
            "quicktype reads no NDJSON: its column is the JSON document of the same records in both rows.", "",
            table(["samples", "ours s", "ours peak RSS MB", "quicktype s", "quicktype peak RSS MB", "quicktype ÷ ours"],
                  rows), ""]


def rebuild_section(bench, targets):
    e = bench.evidence
    rows = [(step, spread(values)) for step, values in bench.results.items()]
    clean = not e["generator_compiled"] and not e["build_scripts_run"] and not e["generated_files_touched"]
    targets.check("rebuild: touching main.rs reruns no code generation", "no generator, no build script",
                  f"compiled {', '.join(e['compiled']) or 'nothing'}", clean)
    return ["## Rebuild of generated-example (release profile)", "",
            "After touching the spec: `cai-bridge new generated-example --force …` (unchanged outputs are left "
            "untouched) and `cargo build --release -p cai-logs-bridge`. After touching `src/main.rs`: the build alone.", "",
            table(["step", "seconds"], rows), "",
            f"What the main.rs rebuild ran (`cargo build -v`): compiled {', '.join(e['compiled']) or 'nothing'}; "
            f"generator crates compiled: {', '.join(e['generator_compiled']) or 'none'}; build scripts run: "
            f"{e['build_scripts_run']}; generated files rewritten: {', '.join(e['generated_files_touched']) or 'none'}.", ""]


def write(path, command, settings, machine, sections, targets, notes):
    head = ["# Benchmarks", "",
            f"Written by `{command}` ({settings}). Regenerate with `bench/run` (full) or `bench/run --quick`; "
            "see README.md. A benchmark, not a test: no test depends on these numbers.", "",
            "## Targets of issue #11", "",
            table(["target", "goal", "measured (median)", "verdict"], targets.rows), "",
            "Not measured here: durability (a window and its watermark commit together and survive SIGKILL) "
            "is held by the bridge's tests (generated-example/tests/crash.rs), not by timings.", ""]
    tail = profiles() + scale() + ["## Machine and versions", "", table(["what", "value"], machine), "", "## Notes",
                                   ""] + \
        [f"- {n}" for n in notes] + [""]
    with open(path, "w") as f:
        f.write("\n".join(head + sections + tail))


def profiles():
    """The hand-written sections of bench/profiles/*.md, in name order: what a profile
    showed and what was changed for it. They are kept apart so that a rerun of
    bench/run, which rewrites every number above, keeps the reasoning behind them."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "profiles")
    lines = []
    for name in sorted(glob.glob(os.path.join(here, "*.md"))):
        with open(name) as f:
            lines += [f.read().rstrip("\n"), ""]
    return lines


SCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scale.md")


def scale():
    """bench/scale's section as its last run wrote it (bench/scale.md): bench/run keeps
    it, since a million conversations take longer than the rest of the benchmark."""
    if not os.path.exists(SCALE):
        return []
    with open(SCALE) as f:
        return [f.read().rstrip("\n"), ""]


def splice_scale(path, section):
    """Puts bench/scale's `section` into the report at `path` in place of the last one
    (between its markers), or before the profiles where there was none."""
    begin, end = "<!-- bench/scale: begin -->", "<!-- bench/scale: end -->"
    with open(path) as f:
        text = f.read()
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        marker = "\n## Machine and versions"
        at = text.find(marker)
        at = len(text) if at < 0 else at
        text = text[:at] + "\n" + section + text[at:]
    with open(path, "w") as f:
        f.write(text)
