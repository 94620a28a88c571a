#!/usr/bin/env bash
# serve-ours.sh BINARY DB PORT OUT: `serve` on 127.0.0.1:PORT with a client of its own,
# in the background; writes OUT.pid and OUT.token (a bearer token for wrk).
set -euo pipefail
bin=$1; db=$2; port=$3; out=$4
export BRIDGE_CLIENT_ID=bench BRIDGE_CLIENT_SECRET="bench-$RANDOM-$RANDOM-$RANDOM"
"$bin" serve --db "$db" --addr "127.0.0.1:$port" > /dev/null 2>&1 &
echo $! > "$out.pid"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" > /dev/null && break; sleep 0.1; done
curl -sf -u "$BRIDGE_CLIENT_ID:$BRIDGE_CLIENT_SECRET" -d grant_type=client_credentials \
  "http://127.0.0.1:$port/oauth/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' > "$out.token"
