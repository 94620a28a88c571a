#!/usr/bin/env bash
# Sample inference streams: peak memory must not grow with the size of the samples.
# Writes an NDJSON file of SIZE_MB megabytes of CAI-like conversations, runs
# `cai-bridge infer` on it under /usr/bin/time, and prints wall time and peak RSS.
#
#   bench/infer-memory.sh [SIZE_MB]      # default 1000 (1 GB)
#
# A benchmark, not a test: these machines are shared and noisy.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb="${1:-1000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work/big.ndjson" "$size_mb" <<'PY'
import json, sys
path, limit = sys.argv[1], int(sys.argv[2]) * 1_000_000
with open(path, "w") as f:
    size = i = 0
    while size < limit:
        rec = {"id": "%08x-b897-49a0-9081-%012x" % (i, i), "start_at": "2021-02-05T17:45:%02d.044Z" % (i % 60),
               "channel_id": None if i % 7 == 0 else "web-%d" % (i % 13),
               "messages": [{"message_id": "%08x-0000-4000-8000-%012x" % (i, j), "received_at": "2021-02-05T17:46:00.000Z",
                             "input_message_content": json.dumps({"content": "hello %d" % j, "type": "text"}),
                             "replies": json.dumps([{"type": "text", "content": "Hi \u00fcn\u00efc\u00f6d\u00e9 %d" % j}]),
                             "nlp_status": 200, "intents": [{"slug": "greet", "confidence": 0.9}], "entities": []}
                            for j in range(i % 4)]}
        line = json.dumps(rec) + "\n"
        f.write(line)
        size += len(line)
        i += 1
print(f"{i} records, {size} bytes", file=sys.stderr)
PY
cargo build -q --release -p cai-bridge-cli --bin cai-bridge --manifest-path "$repo/Cargo.toml"
/usr/bin/time -f "wall %es, peak RSS %M KiB" "$repo/target/release/cai-bridge" infer "$work/big.ndjson" > /dev/null
