#!/usr/bin/env bash
# round.sh SECONDS NAME=PORT:TOKENFILE:PIDFILE...: a quick benchmark helper, not a test. One interleaved round:
# every request kind of auth.lua at 1, 8 and 64 connections, each server in turn; prints req/s, p99,
# non-2xx answers and the server's VmRSS after each cell. TOKENFILE - for none (CAP, whose auth is dummy).
secs=$1; shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for kind in page filter count; do
  for c in 1 8 64; do
    t=$(( c < 2 ? 1 : 2 ))
    for spec in "$@"; do
      name=${spec%%=*}; rest=${spec#*=}; port=${rest%%:*}; rest=${rest#*:}; tokf=${rest%%:*}; pidf=${rest#*:}
      tok=""; [ "$tokf" != "-" ] && tok=$(cat "$tokf")
      out=$(TOKEN=$tok KIND=$kind wrk -t$t -c$c -d${secs}s --timeout 30s --latency -s "$here/auth.lua" http://127.0.0.1:$port 2>&1)
      rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
      p99=$(echo "$out" | awk '$1=="99%"{print $2}')
      bad=$(echo "$out" | awk '/Non-2xx/{print $NF}')
      rss=$(awk '/VmRSS/{print $2}' /proc/$(cat $pidf)/status)
      echo "$kind c=$c $name rps=$rps p99=$p99 non2xx=${bad:-0} rss_kb=$rss"
    done
  done
done
