#!/usr/bin/env bash
# Measures `gantry server` on loopback (bench/serverbench): requests/s of
# GET deployment and list events, event latency engine -> SSE client, and
# install of the generated 1,000-node graph in process vs through the
# server, then prints each against its goal. NODES=100 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The reads run for REQS requests, the installs once.
bench() { GANTRY_BENCH_NODES="${NODES:-1000}" go test ./bench/serverbench -run '^$' -bench "$1" -benchtime "$2" 2>&1; }
out=$(bench 'GetDeployment|ListEvents' "${REQS:-5000}x"; bench 'EventLatency|Install' 1x)
echo "$out" | grep -E '^(Benchmark|goos|cpu)'
metric() { echo "$out" | awk -v b="$1" -v m="$2" '$1 ~ b { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }'; }
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf 'GET deployment:   %8s req/s  (goal >= 5000)\n' "$(metric GetDeployment req/s)"
printf 'list events:      %8s req/s  (goal >= 5000)\n' "$(metric ListEvents req/s)"
printf 'event latency:    %8s ms p95 (goal <= 50), p50 %s ms\n' "$(metric EventLatency p95-ms)" "$(metric EventLatency p50-ms)"
printf 'install %s nodes: %s s local, %s s through the server: ratio %s (goal <= 1.5)\n' \
  "${NODES:-1000}" "$(metric Install local-s)" "$(metric Install server-s)" "$(metric Install ratio)"
