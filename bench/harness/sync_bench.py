"""The sync contenders, interleaved round by round: ours (`cai-logs-bridge sync`
against `mock-cai`), the seed-style Python, dlt, the raw rusqlite limit, and ours at
ten times the volume."""

import json
import os
import sqlite3
import subprocess

import measure

# The mock's period: fixed, so every run and every contender sees the same records.
START, DAYS = "2026-01-01", 30
END = "2026-01-31"
# The mock's demo credentials (MockConfig's defaults); not secrets.
CAI_ENV = {"CAI_CLIENT_ID": "demo-client", "CAI_CLIENT_SECRET": "demo-secret",
           "CAI_DEVELOPER_TOKEN": "demo-token"}


class Mock:
    """A `cai-logs-bridge mock-cai` holding `conversations` over the fixed period."""

    def __init__(self, bridge, conversations):
        self.proc = subprocess.Popen(
            [bridge, "mock-cai", "--conversations", str(conversations), "--start", START,
             "--days", str(DAYS)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "CAI_CLIENT_SECRET": "demo-secret"})
        self.env = dict(CAI_ENV)
        for _ in range(2):
            key, _, value = self.proc.stdout.readline().strip().partition("=")
            if not value:
                raise measure.BenchError(f"mock-cai printed no {key or 'URL'}")
            self.env[key] = value

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def db_bytes(path):
    """The database's size on disk, with its WAL if one is left."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def counts(path, messages_table):
    """(rows in every user table, rows of the messages table) of a finished database."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '_dlt%' AND name <> 'cai_bridge_sync_state'")]
        rows = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
        messages = con.execute(f'SELECT count(*) FROM "{messages_table}"').fetchone()[0]
    finally:
        con.close()
    return rows, messages


class SyncBench:
    """Runs the contenders; `results[name]` is a list of per-round dicts."""

    def __init__(self, paths, work, conversations, scale):
        self.paths, self.work = paths, work
        self.conversations, self.scale = conversations, scale
        self.results = {}
        self.instructions = {}
        self.syscalls = {}

    def _record(self, name, run, db, messages_table, extra=None):
        rows, messages = counts(db, messages_table)
        entry = {"wall": run.wall, "rss_kib": run.peak_rss_kib, "write_bytes": run.write_bytes,
                 "db_bytes": db_bytes(db), "rows": rows, "messages": messages}
        entry.update(extra or {})
        self.results.setdefault(name, []).append(entry)
        return entry

    def _fresh(self, name):
        path = os.path.join(self.work, name)
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return path

    def ours(self, mock, name):
        db = self._fresh(f"{name}.db")
        run = measure.run([self.paths["bridge"], "sync", "--db", db, "--from", START, "--to", END],
                          env={**os.environ, **mock.env}, what=name)
        self._record(name, run, db, "cai_logs_Messages")
        return db

    def seed(self, mock):
        db = self._fresh("seed.db")
        run = measure.run([self.paths["venv_python"], self.paths["seed"], "--db", db, "--from", START,
                           "--to", END], env={**os.environ, **mock.env}, what="seed-style Python")
        self._record("seed", run, db, "Messages")

    def dlt(self, mock):
        db = self._fresh("dlt.db")
        self._fresh("dlt__main_staging.db")  # dlt's staging dataset, beside its file
        pipelines = os.path.join(self.work, "dlt-pipelines")
        subprocess.run(["rm", "-rf", pipelines], check=True)
        env = {**os.environ, **mock.env, "RUNTIME__DLTHUB_TELEMETRY": "false",
               "PYTHONPATH": os.path.dirname(self.paths["seed"])}
        run = measure.run([self.paths["venv_python"], self.paths["dlt"], "--db", db, "--work", pipelines,
                           "--from", START, "--to", END], env=env, what="dlt")
        self._record("dlt", run, db, "conversations__messages")

    def limit(self, source):
        out = self._fresh("limit.db")
        run = measure.run([self.paths["limit"], "--source", source, "--schema", self.paths["schema"],
                           "--out", out], what="bench-limit")
        report = json.loads(run.stdout)
        self._record("limit", run, out, "cai_logs_Messages",
                     {"insert_seconds": report["insert_seconds"], "sqlite": report["sqlite"]})

    def round(self, index, mock, big_mock):
        """One round; the order rotates so that no contender always runs first."""
        steps = ["ours", "seed", "dlt", "big"]
        steps = steps[index % len(steps):] + steps[:index % len(steps)]
        ours_db = None
        for step in steps:
            if step == "ours":
                ours_db = self.ours(mock, "ours")
                self.limit(ours_db)  # the same rows, read back from what ours wrote
            elif step == "seed":
                self.seed(mock)
            elif step == "dlt":
                self.dlt(mock)
            elif big_mock is not None:
                self.ours(big_mock, "ours_10x")
        return ours_db

    def count_instructions(self, conversations):
        """Instructions of ours and of the limit at a small volume, under callgrind."""
        mock = Mock(self.paths["bridge"], conversations)
        try:
            db = self._fresh("callgrind-ours.db")
            profile = os.path.join(self.work, "callgrind-ours.out")
            self.instructions["ours"] = measure.instructions(
                [self.paths["bridge"], "sync", "--db", db, "--from", START, "--to", END],
                env={**os.environ, **mock.env}, what="ours", out_file=profile)
            self.instructions["hot_spots"] = measure.hot_spots(profile)
            self.instructions["rows"] = counts(db, "cai_logs_Messages")[0]
            out = self._fresh("callgrind-limit.db")
            cmd = [self.paths["limit"], "--source", db, "--schema", self.paths["schema"], "--out", out]
            self.instructions["limit"] = measure.instructions(cmd, toggle="*insert_all*", what="limit")
        finally:
            mock.stop()
        self.instructions["conversations"] = conversations

    def count_syscalls(self, mock):
        """The system calls of one sync of ours at the benchmark's volume (strace -c)."""
        db = self._fresh("strace-ours.db")
        self.syscalls = measure.syscalls(
            [self.paths["bridge"], "sync", "--db", db, "--from", START, "--to", END],
            env={**os.environ, **mock.env}, out_file=os.path.join(self.work, "strace.txt"))
