#!/usr/bin/env bash
# bench/vs-terraform.sh: Gantry and Terraform side by side on the same graph.
#
# For each size N and shape ("one", "all"), bench/gen writes a layered graph
# (10 layers of N/10 nodes; each node depends on one node, or on 10 nodes, of
# the previous layer) twice: as a Gantry blueprint whose every node runs the
# script `true` on create, and as Terraform terraform_data resources with a
# local-exec provisioner running `true`. Then, in turn and each on fresh
# state, it times the whole processes:
#
#   gantry install DIR --parallelism 10     vs  terraform apply -auto-approve -parallelism=10
#   gantry uninstall ID                     vs  terraform destroy -auto-approve -parallelism=10
#
# and prints a Markdown table with the ratios terraform/gantry (> 1: Gantry
# is faster). `terraform init` runs first, untimed; terraform_data is built
# into Terraform, so it downloads nothing.
#
# Environment:
#   QUICK=1          only N=100
#   SIZES="100 1000" sizes (multiples of 10)        SHAPES="one all"
#   TIMEOUT=60       seconds allowed per timed command; a command that runs
#                    longer is stopped and shown as ">TIMEOUT" (the ratio then
#                    is a lower bound). Keeps the whole run to a few minutes.
#   RUNS=1           runs per size and shape, each on fresh state; the table
#                    shows the median (use RUNS=3 with QUICK=1 on a busy machine)
#   KEEP=1           keep the work folder (generated configs, logs, states)
#
# Usage: bench/vs-terraform.sh     (or: make bench-compare)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"100 1000"}
[[ ${QUICK:-0} == 1 ]] && SIZES=100
SHAPES=${SHAPES:-"one all"}
TIMEOUT=${TIMEOUT:-60}
RUNS=${RUNS:-1}
PARALLELISM=10

die() { echo "vs-terraform: $*" >&2; exit 1; }
command -v terraform >/dev/null || die "terraform not found on PATH"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -gt 0 ]] || die "TIMEOUT must be a positive number of seconds, got '$TIMEOUT'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number, got '$RUNS'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gantry-vs-terraform.XXXXXX")
cleanup() {
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "work folder kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# Terraform offline and quiet: no version checkpoint, an empty CLI config
# (no plugin cache, no mirrors), no "next step" hints.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc"
unset TF_PLUGIN_CACHE_DIR TF_LOG

echo "building gantry and bench/gen ..." >&2
# The commit the binaries are built from (the working tree, at this moment).
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')
BUILT=$(date -u +%H:%MZ)
(cd "$ROOT" && go build -o "$WORK/gantry" ./cmd/gantry && go build -o "$WORK/gen" ./bench/gen) ||
	die "build failed"

# timed LOG CMD...: runs CMD under the timeout with output in LOG; sets SECS
# (wall clock, seconds) and RC (CMD's status; 124: timed out).
SECS= RC=
timed() {
	local log=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	RC=0
	timeout -k 5 "$TIMEOUT" "$@" >"$log" 2>&1 || RC=$?
	t1=$EPOCHREALTIME
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# check RC LOG PATTERN: the cell for a timed command: its seconds, ">T" when
# it timed out, "FAIL" when it failed or its output lacks PATTERN.
check() {
	local rc=$1 log=$2 pattern=$3
	if [[ $rc == 124 || $rc == 137 ]]; then
		echo ">$TIMEOUT"
	elif [[ $rc != 0 ]] || ! grep -Eq "$pattern" "$log"; then
		{ echo "--- $log (exit $rc):"; tail -n 15 "$log"; } >&2
		echo FAIL
	else
		echo "$SECS"
	fi
}

# ratio TF GANTRY: terraform/gantry, ">x" when Terraform timed out.
ratio() {
	local tf=$1 g=$2
	if [[ ! $g =~ ^[0-9] || $tf == FAIL || $tf == n/a ]]; then
		echo "n/a"
	elif [[ $tf == ">"* ]]; then
		awk -v a="${tf#>}" -v b="$g" 'BEGIN { printf ">%.1fx", a / b }'
	else
		awk -v a="$tf" -v b="$g" 'BEGIN { printf "%.1fx", a / b }'
	fi
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# median CELL...: the median of numeric cells; a non-numeric cell (FAIL,
# >T, n/a) wins, so a failure is never hidden behind good runs.
median() {
	local c
	for c in "$@"; do
		[[ $c =~ ^[0-9] ]] || { echo "$c"; return; }
	done
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rows=()
for n in $SIZES; do
	for shape in $SHAPES; do
		dir="$WORK/$shape-$n"
		mkdir -p "$dir/state"
		summary=$("$WORK/gen" -n "$n" -shape "$shape" -gantry "$dir/gantry" -terraform "$dir/terraform") ||
			die "gen -n $n -shape $shape failed"
		edges=${summary##*edges=}
		terraform -chdir="$dir/terraform" init -input=false -no-color >"$dir/tf-init.log" 2>&1 ||
			die "terraform init failed (see $dir/tf-init.log; KEEP=1 keeps it)"
		load=$(loadavg)
		echo "N=$n shape=$shape edges=$edges load=$load ..." >&2

		gis=() tas=() gus=() tds=()
		for ((r = 1; r <= RUNS; r++)); do
			# Fresh state for both tools on every run.
			rm -rf "$dir/state" "$dir/terraform/terraform.tfstate" "$dir/terraform/terraform.tfstate.backup"
			mkdir -p "$dir/state"
			timed "$dir/g-install.log" env GANTRY_STORE="$dir/state/gantry.db" \
				"$WORK/gantry" install "$dir/gantry" -d bench --parallelism "$PARALLELISM"
			gis+=("$(check "$RC" "$dir/g-install.log" "$n operations: $n succeeded")")
			timed "$dir/tf-apply.log" terraform -chdir="$dir/terraform" \
				apply -auto-approve -input=false -no-color -parallelism="$PARALLELISM"
			tas+=("$(check "$RC" "$dir/tf-apply.log" "Resources: $n added")")
			timed "$dir/g-uninstall.log" env GANTRY_STORE="$dir/state/gantry.db" \
				"$WORK/gantry" uninstall bench
			gus+=("$(check "$RC" "$dir/g-uninstall.log" "uninstalled and deleted")")
			if [[ ${tas[-1]} =~ ^[0-9] ]]; then
				timed "$dir/tf-destroy.log" terraform -chdir="$dir/terraform" \
					destroy -auto-approve -input=false -no-color -parallelism="$PARALLELISM"
				tds+=("$(check "$RC" "$dir/tf-destroy.log" "Resources: $n destroyed")")
			else
				tds+=(n/a) # destroy compares only after a complete apply
			fi
		done
		gi=$(median "${gis[@]}") ta=$(median "${tas[@]}")
		gu=$(median "${gus[@]}") td=$(median "${tds[@]}")

		row="| $n | $shape | $edges | $gi | $ta | $(ratio "$ta" "$gi") | $gu | $td | $(ratio "$td" "$gu") | $load |"
		rows+=("$row")
		echo "$row" >&2
	done
done

echo
echo "Gantry vs Terraform, same layered graph, every operation \`true\`, parallelism $PARALLELISM, wall clock of the whole process in seconds, median of $RUNS run(s)."
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(terraform version | head -n 1), gantry built at $BUILT from the work tree of $REV, timeout ${TIMEOUT} s per command."
echo
echo "| N | shape | edges | gantry install | terraform apply | apply/install | gantry uninstall | terraform destroy | destroy/uninstall | load at start |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
