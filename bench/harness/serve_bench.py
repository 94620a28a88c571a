"""The serve contenders: our `serve` (with a bearer token, as SAC sends one) and CAP
on a copy of the same database, three request kinds at 1, 8 and 64 connections, each
measured with wrk, the two servers alternating round by round."""

import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import urllib.request

import measure

SERVICE = "/odata/v4/catalog/"
# The three request kinds, as SAC sends them: paging through the fact set, a filter
# with and/or plus $orderby, a count without rows. `{skip}` is filled by odata.lua.
REQUESTS = {
    "paging": "MessageFacts?$top=1000&$skip={skip}",
    "filter": "MessageFacts?$filter=" + urllib.parse.quote(
        "(nlp_sentiment eq 'positive' or nlp_sentiment eq 'vpositive') and nlp_status eq 200")
    + "&$orderby=" + urllib.parse.quote("received_at desc,message_id") + "&$top=100",
    "count": "MessageFacts?$count=true&$top=0",
}
KINDS = tuple(REQUESTS)
CONNECTIONS = (1, 8, 64)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, what):
    for _ in range(300):
        if proc.poll() is not None:
            raise measure.BenchError(f"{what} exited {proc.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise measure.BenchError(f"{what} did not answer {url}")


class Ours:
    """`cai-logs-bridge serve` on the database, with its own token endpoint."""

    name = "ours"

    def __init__(self, bridge, db):
        port = free_port()
        self.client = ("bench", "bench-" + secrets.token_hex(16))
        env = {**os.environ, "BRIDGE_CLIENT_ID": self.client[0], "BRIDGE_CLIENT_SECRET": self.client[1]}
        self.proc = subprocess.Popen([bridge, "serve", "--db", db, "--addr", f"127.0.0.1:{port}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        wait_ready(self.base + "/health/ready", self.proc, "our serve")

    def token(self):
        """A fresh token from the bridge's own OAuth2 client credentials endpoint."""
        request = urllib.request.Request(
            self.base + "/oauth/token", data=b"grant_type=client_credentials&client_id=" +
            self.client[0].encode() + b"&client_secret=" + self.client[1].encode())
        with urllib.request.urlopen(request) as r:
            return json.load(r)["access_token"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Cap:
    """CAP (`@sap/cds` + `@cap-js/sqlite` from tests/cap) on its own copy of the file."""

    name = "CAP"

    def __init__(self, paths, db, work):
        copy = os.path.join(work, "cap.db")
        shutil.copyfile(db, copy)
        self.proc = subprocess.Popen(["node", paths["cap_serve"], paths["cap_project"], copy, paths["cap_dir"]],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("PORT="):
            raise measure.BenchError("CAP did not start (bench/cap-serve.js printed no port)")
        self.base = "http://127.0.0.1:" + line[5:]
        wait_ready(self.base + SERVICE, self.proc, "CAP")

    def token(self):
        return ""

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def wrk(server, kind, connections, seconds, pages, lua):
    """One wrk run; a run in which no request completed (one request slower than the
    run) is tried again with twice the time, twice at most."""
    for attempt in range(3):
        token = server.token()
        duration = seconds * 2 ** attempt
        cmd = ["wrk", "-c", str(connections), "-t", str(min(2, connections)), "-d", f"{duration}s",
               "--timeout", "60s", "-s", lua, server.base, "--", SERVICE + REQUESTS[kind], str(pages)]
        out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BENCH_TOKEN": token})
        if out.returncode != 0:
            raise measure.BenchError(f"wrk against {server.name} exited {out.returncode}: {out.stderr[-1000:]}")
        report = json.loads(out.stdout.strip().splitlines()[-1])
        if report["errors"]:
            raise measure.BenchError(f"{server.name} answered {report['errors']} of {report['requests']} "
                                     f"{kind} requests at {connections} connections with an error")
        settle(server)
        if report["requests"]:
            report["rps"] = report["requests"] / report["seconds"]
            return report
    raise measure.BenchError(f"{server.name} completed no {kind} request in {duration} s at {connections} "
                             "connections; give wrk more time (--seconds)")


def settle(server):
    """Waits until the server has worked off what wrk left in flight: requests still
    queued when wrk closed its connections would otherwise be served during the next
    run and count against it. CAP serves in one event loop, so a small request is
    answered only after them; for ours it waits at least for a free database worker."""
    get(server, "MessageFacts?$top=1")


def get(server, relative):
    headers = {"Accept": "application/json"}
    token = server.token()
    if token:
        headers["Authorization"] = "Bearer " + token
    url = server.base + SERVICE + relative
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as r:
            return json.load(r)
    except OSError as e:  # urllib's HTTPError and URLError included
        raise measure.BenchError(f"{server.name} failed GET {relative}: {e}") from e


def warm_up_and_compare(servers):
    """One request of each kind to each server before anything is timed (CAP compiles
    a query shape on its first use), and proof that both serve the same data: the
    same count of facts, and the same first page of the filter."""
    answers = {}
    for server in servers:
        for kind, relative in REQUESTS.items():
            answers[(server.name, kind)] = get(server, relative.replace("{skip}", "0"))
    ours, cap = servers[0].name, servers[1].name
    count = (answers[(ours, "count")].get("@odata.count"), answers[(cap, "count")].get("@odata.count"))
    if count[0] is None or str(count[0]) != str(count[1]):
        raise measure.BenchError(f"the servers disagree on the count of MessageFacts: {count}")
    keys = [[(r["conversation_id"], r["message_id"]) for r in answers[(name, "filter")]["value"]] for name in (ours, cap)]
    if keys[0] != keys[1] or not keys[0]:
        raise measure.BenchError("the servers answer the filter with different rows")


class ServeBench:
    """`results[(server, kind, connections)]` is a list of wrk reports, one a round."""

    def __init__(self, paths, work, db, seconds):
        self.paths, self.work, self.db, self.seconds = paths, work, db, seconds
        con = sqlite3.connect(db)
        facts = con.execute("SELECT count(*) FROM cai_logs_Messages").fetchone()[0]
        con.close()
        self.pages = max(1, -(-facts // 1000))
        self.results = {}
        self.rss = {}

    def run(self, rounds):
        ours = Ours(self.paths["bridge"], self.db)
        cap = Cap(self.paths, self.db, self.work)
        try:
            servers = [ours, cap]
            warm_up_and_compare(servers)
            for server in servers:
                self.rss[server.name] = {"start_kib": measure.rss_kib(server.proc.pid)}
            for index in range(rounds):
                for kind in KINDS:
                    for connections in CONNECTIONS:
                        for server in servers if index % 2 == 0 else servers[::-1]:
                            report = wrk(server, kind, connections, self.seconds, self.pages, self.paths["lua"])
                            self.results.setdefault((server.name, kind, connections), []).append(report)
            # The peak is reached under the 64-connection runs; then 5 s idle show what
            # each server keeps once the load is gone.
            time.sleep(5)
            for server in servers:
                self.rss[server.name]["peak_kib"] = measure.rss_kib(server.proc.pid, "VmHWM")
                self.rss[server.name]["idle_kib"] = measure.rss_kib(server.proc.pid)
        finally:
            ours.stop()
            cap.stop()
