#!/usr/bin/env bash
# bench/drain.sh: 30 queued installs drained by 1 worker, then by 3 (issue
# 9's goal: 3 workers >= 2.5x faster).
#
# On a real 3-member etcd cluster on loopback (the testenv binary): 30
# deployments of one node whose create sleeps 2 s are queued, then 1 (or 3)
# `gantry worker --parallel 2` processes start; the time is from their start
# to the last install's end. The work is manager/worker_fault_test.go's
# TestDrainBench.
#
# Usage: bench/drain.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
out=$(mktemp "${TMPDIR:-/tmp}/gantry-drain.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! GANTRY_BENCH_DRAIN=1 go test ./manager/ -run '^TestDrainBench$' -count=1 -v -timeout 30m >"$out" 2>&1; then
	tail -50 "$out" >&2
	exit 1
fi
grep -E 'drained' "$out" | sed 's/^ *//'
grep '^30 queued installs' "$out"
