#!/usr/bin/env bash
# bench/etcd-vs-bolt.sh: the same install on the embedded bbolt store and on a
# 3-member etcd cluster on loopback (issue 9's goal: etcd within 3x of bbolt).
#
# bench/gen writes a layered graph of N nodes (10 layers; each node depends on
# one node of the previous layer, and runs `true` on create). Each run, on
# fresh state, times the whole process:
#
#   gantry install DIR --parallelism 10 --store WORK/gantry.db
#   gantry install DIR --parallelism 10 --store etcd://m0,m1,m2/runN
#
# The etcd members are the testenv binary (bash testenv/build.sh builds it),
# started here on free loopback ports without fsync, as the tests run them;
# they are stopped (by their pids) at the end.
#
# Environment: N=1000 nodes; RUNS=3 (the table shows each run and the median);
# KEEP=1 keeps the work folder.
#
# Usage: bench/etcd-vs-bolt.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-1000}
RUNS=${RUNS:-3}
# shellcheck source=../testenv/lib.sh
GANTRY_TESTENV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gantry-etcd-vs-bolt.XXXXXX")
WORK=$GANTRY_TESTENV_DIR
. "$ROOT/testenv/lib.sh"
[[ -x $testenv_bin/etcd ]] || die "no etcd at $testenv_bin/etcd (run: bash testenv/build.sh)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${KEEP:-0} == 1 ]]; then echo "work folder kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "building gantry and bench/gen ..." >&2
(cd "$ROOT" && go build -o "$WORK/gantry" ./cmd/gantry && go build -o "$WORK/gen" ./bench/gen)
"$WORK/gen" -n "$N" -shape one -gantry "$WORK/bp" -terraform "$WORK/tf" >/dev/null

# Three members on free loopback ports.
cports=() pports=() initial=""
fresh_port() { # free_port, never one handed out already here ($(...) forgets its list)
	local p
	while p=$(free_port) && [[ " ${cports[*]} ${pports[*]} " == *" $p "* ]]; do :; done
	echo "$p"
}
for i in 0 1 2; do
	cports+=("$(fresh_port)")
	pports+=("$(fresh_port)")
	initial+="${initial:+,}m$i=http://127.0.0.1:${pports[$i]}"
done
for i in 0 1 2; do
	"$testenv_bin/etcd" --name="m$i" --data-dir="$WORK/m$i" \
		--listen-client-urls="http://127.0.0.1:${cports[$i]}" --advertise-client-urls="http://127.0.0.1:${cports[$i]}" \
		--listen-peer-urls="http://127.0.0.1:${pports[$i]}" --initial-advertise-peer-urls="http://127.0.0.1:${pports[$i]}" \
		--initial-cluster="$initial" --initial-cluster-state=new --unsafe-no-fsync=true --log-level=warn \
		>"$WORK/m$i.log" 2>&1 &
	pids+=($!)
done
for i in 0 1 2; do
	for _ in $(seq 1 300); do
		curl -fsS "http://127.0.0.1:${cports[$i]}/health" 2>/dev/null | grep -q '"health":"true"' && break
		sleep 0.1
	done
	curl -fsS "http://127.0.0.1:${cports[$i]}/health" | grep -q '"health":"true"' || die "etcd member m$i is not healthy (see $WORK/m$i.log)"
done
endpoints="127.0.0.1:${cports[0]},127.0.0.1:${cports[1]},127.0.0.1:${cports[2]}"

# timed NAME STORE: seconds of one install on fresh state (a HOME per run: the data folder).
timed() {
	local name=$1 store=$2 t0
	export HOME="$WORK/home-$name"
	mkdir -p "$HOME"
	t0=$(now_ms)
	"$WORK/gantry" --store "$store" install "$WORK/bp" --parallelism 10 >"$WORK/install-$name.log" 2>&1 ||
		die "install on $store failed (see $WORK/install-$name.log)"
	secs_since "$t0"
}

declare -a bolt etcd
for run in $(seq 1 "$RUNS"); do
	bolt+=("$(timed "bolt-$run" "$WORK/bolt-$run.db")")
	etcd+=("$(timed "etcd-$run" "etcd://$endpoints/run$run")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${bolt[@]}") me=$(median "${etcd[@]}")
echo "| store | install of $N nodes, s (runs: ${RUNS}) | median |"
echo "|---|---|---:|"
echo "| bbolt file | ${bolt[*]} | $mb |"
echo "| etcd, 3 members on loopback | ${etcd[*]} | $me |"
awk -v b="$mb" -v e="$me" 'BEGIN { printf "ratio etcd/bbolt: %.2f\n", e / b }'
