#!/usr/bin/env bash
# bench/run's peers, pinned, installed inside the repo (all gitignored), each only when
# missing: Debian's wrk, valgrind and GNU time; bench/.venv (dlt with its sqlalchemy
# destination, requests: bench/requirements.txt); bench/npm/node_modules (quicktype:
# bench/npm/package-lock.json); CAP (@sap/cds 9 + @cap-js/sqlite 2) through
# scripts/test --setup-only, which installs tests/cap's pins.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$repo/bench"

missing=()
command -v wrk > /dev/null || missing+=(wrk)
command -v valgrind > /dev/null || missing+=(valgrind)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
  echo "bench/install.sh: apt-get install ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
fi

python="${BENCH_PYTHON:-python3.11}"
if [[ ! -x "$bench/.venv/bin/python" ]] || ! cmp -s "$bench/requirements.txt" "$bench/.venv/installed.txt"; then
  echo "bench/install.sh: bench/.venv (dlt, requests) from bench/requirements.txt" >&2
  rm -rf "$bench/.venv"
  "$python" -m venv "$bench/.venv"
  "$bench/.venv/bin/pip" install -q --disable-pip-version-check -r "$bench/requirements.txt"
  cp "$bench/requirements.txt" "$bench/.venv/installed.txt"
fi

if [[ ! -x "$bench/npm/node_modules/.bin/quicktype" ]]; then
  echo "bench/install.sh: quicktype (npm ci in bench/npm)" >&2
  (cd "$bench/npm" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
fi

if [[ ! -d "$repo/tests/cap/node_modules/@sap/cds" ]]; then
  echo "bench/install.sh: CAP toolchain (scripts/test --setup-only)" >&2
  "$repo/scripts/test" --setup-only > /dev/null
fi
