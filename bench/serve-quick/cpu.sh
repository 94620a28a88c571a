#!/usr/bin/env bash
# cpu.sh PID URL N [AUTH]: CPU ms (user+sys) the process PID spends per request over N sequential requests
pid=$1; url=$2; n=$3; auth=${4:-}
t() { awk '{print $14+$15}' /proc/$pid/stat; }
a=$(t); s=$(date +%s.%N)
for _ in $(seq $n); do if [ -n "$auth" ]; then curl -s -o /dev/null -H "Authorization: Bearer $auth" "$url"; else curl -s -o /dev/null "$url"; fi; done
b=$(t); e=$(date +%s.%N)
tck=$(getconf CLK_TCK)
python3 -c "print(f'cpu {($b-$a)*1000/$tck/$n:.1f} ms/req, wall {($e-$s)*1000/$n:.1f} ms/req')"
