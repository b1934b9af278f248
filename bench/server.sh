#!/usr/bin/env bash
# Measures `gantry server` on loopback (bench/serverbench): requests/s of
# GET deployment and list events (the load from a second process), with the
# CPU each request costs the server and the client, event latency engine ->
# SSE client, and install of the generated 1,000-node graph in process vs
# through the server; then prints each against its goal, with the load
# average (the machine may be shared). NODES=100 for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
# The reads run for REQS requests, the latency for LAT installs, the installs once.
bench() { GANTRY_BENCH_NODES="${NODES:-1000}" go test ./bench/serverbench -run '^$' -bench "$1" -benchtime "$2" 2>&1; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)
out=$(bench 'GetDeployment|ListEvents' "${REQS:-5000}x"; bench 'EventLatency' "${LAT:-3}x"; bench 'Install' 1x)
echo "$out" | grep -E '^(Benchmark|goos|cpu|FAIL|---)' || true
metric() { echo "$out" | awk -v b="$1" -v m="$2" '$1 ~ b { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }'; }
read_line() {
  printf '%-16s %8s req/s measured; per request %s us server + %s us client CPU = %s req/s on 2 idle cores (goal >= 5000)\n' \
    "$1:" "$(metric "$2" req/s)" "$(metric "$2" server-us/req)" "$(metric "$2" client-us/req)" "$(metric "$2" 2cores-req/s)"
}
echo
echo "load average: $load_before before, $(load) after, on $(nproc) cores; at $(git rev-parse --short HEAD) $(date -u '+%Y-%m-%d %H:%M UTC')"
read_line "GET deployment" GetDeployment
read_line "list events" ListEvents
printf 'event latency:   p50 %s ms, p95 %s ms (goal <= 50), max %s ms\n' \
  "$(metric EventLatency p50-ms)" "$(metric EventLatency p95-ms)" "$(metric EventLatency max-ms)"
printf 'install %s nodes: %s s local, %s s through the server: ratio %s (goal <= 1.5)\n' \
  "${NODES:-1000}" "$(metric Install local-s)" "$(metric Install server-s)" "$(metric Install ratio)"
