#!/usr/bin/env bash
# bench/plan.sh: the whole `gantry blueprints plan` process (parse, validate,
# plan the instances, print the summary) on generated blueprints, with wall
# clock and peak memory (GNU time's maximum RSS): the user-visible
# counterpart of the tosca/... Go benchmarks, and of Cloudify's published
# parse times (78 s for 1,000 nodes "one", 361 s for "all").
#
# Blueprints: bench/gen's layered graphs (10 layers of N/10 nodes, each node
# depending on 1 or 10 nodes of the previous layer) for N = 1,000 and 10,000,
# and a 101,001-instance plan (1,000 hosts x 100 contained apps, each also
# connected to one database). Each is run RUNS times (default 3); the table
# shows the fastest wall clock and the largest RSS.
#
# A second table puts the three outputs of the same plans side by side (the
# 1,000-node graphs and the 101,001-instance plan): the text summary, the
# compact JSON (--json, docs/plan-json.md) and Cloudify's plan shape
# (--format cloudify), with their sizes and the ratios to the text plan's
# time.
#
# Usage: bench/plan.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
TIME=/usr/bin/time
die() { echo "plan.sh: $*" >&2; exit 1; }
[[ -x $TIME ]] || die "$TIME (GNU time) not found"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gantry-plan-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

(cd "$ROOT" && go build -o "$WORK/gantry" ./cmd/gantry && go build -o "$WORK/gen" ./bench/gen) ||
	die "build failed"
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')

mkdir -p "$WORK/100k"
cat >"$WORK/100k/blueprint.yaml" <<'EOF'
tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
node_templates:
  db:
    type: cloudify.nodes.Root
  vm:
    type: cloudify.nodes.Compute
    properties: {agent_config: {install_method: none}}
    capabilities: {scalable: {properties: {default_instances: 1000}}}
  app:
    type: cloudify.nodes.Root
    capabilities: {scalable: {properties: {default_instances: 100}}}
    relationships:
      - {type: cloudify.relationships.contained_in, target: vm}
      - {type: cloudify.relationships.connected_to, target: db}
EOF

# run BLUEPRINT [FLAGS...]: the fastest wall clock and the largest RSS (KB)
# of RUNS runs of `gantry blueprints plan`, as "WALL KB"; the output is left
# in $WORK/plan.out.
run() {
	local bp=$1 best= rss=0 out wall kb
	shift
	for ((r = 0; r < RUNS; r++)); do
		out=$("$TIME" -f '%e %M' "$WORK/gantry" blueprints plan "$@" "$bp" 2>&1 >"$WORK/plan.out") ||
			die "gantry blueprints plan $* $bp failed: $out"
		read -r wall kb <<<"$(tail -n 1 <<<"$out")"
		if [[ -z $best ]] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall; fi
		((kb > rss)) && rss=$kb
	done
	echo "$best $rss"
}

# measure NAME BLUEPRINT: prints a table row of the text plan.
measure() {
	local name=$1 bp=$2 wall kb inst
	read -r wall kb <<<"$(run "$bp")"
	inst=$(grep -Eo 'node instances \([0-9]+\)' "$WORK/plan.out" | grep -Eo '[0-9]+' || echo '?')
	echo "| $name | $inst | $wall | $((kb / 1024)) |"
}

# formats NAME BLUEPRINT: prints a row of the side-by-side table.
formats() {
	local name=$1 bp=$2 tw tk cw ck cs fw fk fs
	read -r tw tk <<<"$(run "$bp")"
	read -r cw ck <<<"$(run "$bp" --json)"
	cs=$(stat -c %s "$WORK/plan.out")
	read -r fw fk <<<"$(run "$bp" --format cloudify)"
	fs=$(stat -c %s "$WORK/plan.out")
	awk -v n="$name" -v tw="$tw" -v cw="$cw" -v cs="$cs" -v ck="$ck" -v fw="$fw" -v fs="$fs" -v fk="$fk" 'BEGIN {
		printf "| %s | %s | %s (%.1fx) | %.1f | %d | %s (%.1fx) | %.1f | %d | %.0fx |\n", n, tw,
			cw, (tw > 0 ? cw / tw : 0), cs / 1e6, ck / 1024, fw, (tw > 0 ? fw / tw : 0), fs / 1e6, fk / 1024, fs / cs
	}'
}

rows=()
side=()
for n in 1000 10000; do
	for shape in one all; do
		summary=$("$WORK/gen" -n "$n" -shape "$shape" -gantry "$WORK/$shape-$n")
		name="N=$n $shape (${summary##*edges=} edges)"
		rows+=("$(measure "$name" "$WORK/$shape-$n/blueprint.yaml")")
		# Cloudify's shape of 10,000 nodes "all" is about 400 MB: 1,000 only.
		if ((n == 1000)); then side+=("$(formats "$name" "$WORK/$shape-$n/blueprint.yaml")"); fi
	done
done
rows+=("$(measure "1,000 hosts x 100 apps" "$WORK/100k/blueprint.yaml")")
side+=("$(formats "1,000 hosts x 100 apps" "$WORK/100k/blueprint.yaml")")

echo "gantry blueprints plan, whole process: fastest of $RUNS runs; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), gantry built from the work tree of $REV."
echo
echo "| blueprint | node instances | wall (s) | max RSS (MB) |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "The same plans as text, compact JSON (--json) and Cloudify's shape (--format cloudify); (Nx) is the time over the text plan's, the last column the size of Cloudify's shape over the compact one's. Load $(cut -d' ' -f1 /proc/loadavg) at the end."
echo
echo "| blueprint | text (s) | --json (s) | --json (MB) | --json RSS (MB) | --format cloudify (s) | cloudify (MB) | cloudify RSS (MB) | size ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${side[@]}"
