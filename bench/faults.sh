#!/usr/bin/env bash
# bench/faults.sh: how often each fault test of issue 9 passes when repeated.
#
# Runs manager/worker_fault_test.go's TestWorkerFaults with every fault test
# RUNS times on real 3-member etcd clusters on loopback (the testenv binary)
# and real `gantry worker` processes: the worker running an install killed
# with SIGKILL (KilledMidInstall), paused with SIGSTOP past its lease
# (PausedPastItsLease), cut off from etcd by a black-holing TCP proxy
# (CutOffFromEtcd), the worker running a queued scale killed with SIGKILL
# (KilledMidScale), and the etcd leader killed mid-install
# (EtcdLeaderKilled). Each run asserts that the execution completes, that no
# operation recorded done runs again, and that a worker that lost its claim
# writes nothing. Prints the pass count of each, the load average before
# and after, and the commit.
#
# Environment: RUNS=20.
#
# Usage: bench/faults.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-20}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive number, got '$RUNS'" >&2; exit 2; }
cd "$ROOT"
out=$(mktemp "${TMPDIR:-/tmp}/gantry-faults.XXXXXX")
echo "commit $(git rev-parse --short HEAD); $RUNS runs of each fault test"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
rc=0
GANTRY_FAULT_RUNS=$RUNS go test ./manager/ -run '^TestWorkerFaults$' -count=1 -v -timeout 180m >"$out" 2>&1 || rc=$?
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $(( $(date +%s) - start )) s"
for f in KilledMidInstall KilledMidScale PausedPastItsLease CutOffFromEtcd EtcdLeaderKilled; do
	pass=$(grep -cE -- "--- PASS: TestWorkerFaults/$f/run[0-9]+ " "$out" || true)
	fail=$(grep -cE -- "--- FAIL: TestWorkerFaults/$f/run[0-9]+ " "$out" || true)
	printf '%-20s %3d/%d passed' "$f" "$pass" "$RUNS"
	[ "$fail" -eq 0 ] || printf ' (%d failed)' "$fail"
	echo
done
if [ "$rc" -ne 0 ]; then
	echo "failures (whole log: $out):" >&2
	grep -E -- "^\s+Error:|Messages:|worker_fault_test.go:[0-9]+: " "$out" | grep -v "worker w[ab]:$" | head -60 >&2
	exit 1
fi
rm -f "$out"
