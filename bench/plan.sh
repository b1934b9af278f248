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

# measure NAME BLUEPRINT: prints a table row.
measure() {
	local name=$1 bp=$2 best= rss=0 out wall kb
	for ((r = 0; r < RUNS; r++)); do
		out=$("$TIME" -f '%e %M' "$WORK/gantry" blueprints plan "$bp" 2>&1 >"$WORK/plan.out") ||
			die "gantry blueprints plan $bp failed: $out"
		read -r wall kb <<<"$(tail -n 1 <<<"$out")"
		if [[ -z $best ]] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall; fi
		((kb > rss)) && rss=$kb
	done
	local inst
	inst=$(grep -Eo 'node instances \([0-9]+\)' "$WORK/plan.out" | grep -Eo '[0-9]+' || echo '?')
	echo "| $name | $inst | $best | $((rss / 1024)) |"
}

rows=()
for n in 1000 10000; do
	for shape in one all; do
		summary=$("$WORK/gen" -n "$n" -shape "$shape" -gantry "$WORK/$shape-$n")
		rows+=("$(measure "N=$n $shape (${summary##*edges=} edges)" "$WORK/$shape-$n/blueprint.yaml")")
	done
done
rows+=("$(measure "1,000 hosts x 100 apps" "$WORK/100k/blueprint.yaml")")

echo "gantry blueprints plan, whole process: fastest of $RUNS runs; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), gantry built from the work tree of $REV."
echo
echo "| blueprint | node instances | wall (s) | max RSS (MB) |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
