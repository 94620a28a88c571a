#!/usr/bin/env bash
# OData serving speed: the demo database (CONVERSATIONS mock conversations, synced),
# served by a release build, read page by page the way SAC imports the fact set
# (following @odata.nextLink), ROUNDS times, with a bearer token as SAC sends one (so
# the token check is measured too); prints rows, pages, wall time and rows/s.
#
#   bench/serve.sh [CONVERSATIONS] [ROUNDS]     # default 2000 conversations, 5 rounds
#
# A benchmark, not a test: these machines are shared and noisy.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conversations="${1:-2000}"
rounds="${2:-5}"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cargo build -q --release -p cai-logs-bridge --manifest-path "$repo/Cargo.toml"
bridge="${CARGO_TARGET_DIR:-$repo/target}/release/cai-logs-bridge"
"$bridge" demo --quiet --once --addr 127.0.0.1:0 --conversations "$conversations" \
  --db "$work/bench.db" > /dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export BRIDGE_CLIENT_ID=bench BRIDGE_CLIENT_SECRET="bench-$RANDOM-$RANDOM"
"$bridge" serve --db "$work/bench.db" --addr "127.0.0.1:$port" > /dev/null &
pid=$!
base="http://127.0.0.1:$port/odata/v4/catalog/"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break; sleep 0.1; done
token="$(curl -sf -u "$BRIDGE_CLIENT_ID:$BRIDGE_CLIENT_SECRET" -d grant_type=client_credentials \
  "http://127.0.0.1:$port/oauth/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
python3 - "$base" "$rounds" "$token" <<'PY'
import json, sys, time, urllib.request
base, rounds, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = pages = 0
start = time.perf_counter()
for _ in range(rounds):
    url = base + "MessageFacts"
    while url:
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request) as r:
            page = json.load(r)
        rows += len(page["value"])
        pages += 1
        link = page.get("@odata.nextLink")
        url = base + link if link else None
wall = time.perf_counter() - start
print(f"{rows} rows in {pages} pages over {rounds} rounds: {wall:.2f}s, {rows / wall:,.0f} rows/s")
PY
