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
#   KEEP=1           keep the work folder (generated configs, logs, states)
#
# Usage: bench/vs-terraform.sh     (or: make bench-compare)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZES=${SIZES:-"100 1000"}
[[ ${QUICK:-0} == 1 ]] && SIZES=100
SHAPES=${SHAPES:-"one all"}
TIMEOUT=${TIMEOUT:-60}
PARALLELISM=10

die() { echo "vs-terraform: $*" >&2; exit 1; }
command -v terraform >/dev/null || die "terraform not found on PATH"
command -v timeout >/dev/null || die "timeout (coreutils) not found"
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -gt 0 ]] || die "TIMEOUT must be a positive number of seconds, got '$TIMEOUT'"

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
# (wall clock, seconds) and returns CMD's status (124: timed out).
SECS=
timed() {
	local log=$1 t0 t1 rc
	shift
	t0=$EPOCHREALTIME
	set +e
	timeout -k 5 "$TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	set -e
	t1=$EPOCHREALTIME
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	return "$rc"
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
	if [[ $g == FAIL || $g == ">"* || $tf == FAIL ]]; then
		echo "n/a"
	elif [[ $tf == ">"* ]]; then
		awk -v a="${tf#>}" -v b="$g" 'BEGIN { printf ">%.0fx", a / b }'
	else
		awk -v a="$tf" -v b="$g" 'BEGIN { printf "%.1fx", a / b }'
	fi
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }

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

		set +e
		timed "$dir/g-install.log" env GANTRY_STORE="$dir/state/gantry.db" \
			"$WORK/gantry" install "$dir/gantry" -d bench --parallelism "$PARALLELISM"
		gi=$(check $? "$dir/g-install.log" "$n operations: $n succeeded")
		timed "$dir/tf-apply.log" terraform -chdir="$dir/terraform" \
			apply -auto-approve -input=false -no-color -parallelism="$PARALLELISM"
		ta=$(check $? "$dir/tf-apply.log" "Resources: $n added")
		timed "$dir/g-uninstall.log" env GANTRY_STORE="$dir/state/gantry.db" \
			"$WORK/gantry" uninstall bench
		gu=$(check $? "$dir/g-uninstall.log" "uninstalled and deleted")
		timed "$dir/tf-destroy.log" terraform -chdir="$dir/terraform" \
			destroy -auto-approve -input=false -no-color -parallelism="$PARALLELISM"
		td=$(check $? "$dir/tf-destroy.log" "Resources: $n destroyed")
		set -e

		row="| $n | $shape | $edges | $gi | $ta | $(ratio "$ta" "$gi") | $gu | $td | $(ratio "$td" "$gu") | $load |"
		rows+=("$row")
		echo "$row" >&2
	done
done

echo
echo "Gantry vs Terraform, same layered graph, every operation \`true\`, parallelism $PARALLELISM, wall clock of the whole process in seconds."
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(terraform version | head -n 1), gantry built at $BUILT from the work tree of $REV, timeout ${TIMEOUT} s per command."
echo
echo "| N | shape | edges | gantry install | terraform apply | apply/install | gantry uninstall | terraform destroy | destroy/uninstall | load at start |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
