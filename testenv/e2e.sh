#!/usr/bin/env bash
# Runs Gantry's end-to-end tests (files with //go:build e2e) against a fresh test
# environment: up.sh (builds on first use), `go test -count=1 -tags e2e`, down.sh.
# The environment is always stopped, also on failure or Ctrl-C; logs are kept when
# anything failed. Arguments replace the default `./...`, e.g.
#   bash testenv/e2e.sh -run TestSelf ./testenv/
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

# A state dir of its own, so a developer's `make testenv-up` environment is left alone.
GANTRY_TESTENV_DIR=${GANTRY_E2E_DIR:-$(mktemp -d /tmp/gantry-e2e.XXXXXX)}
export GANTRY_TESTENV_DIR
export GANTRY_TESTENV="$GANTRY_TESTENV_DIR/env"

rc=1
cleanup() {
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ]; then
    bash "$here/down.sh" --keep-logs || true
  else
    bash "$here/down.sh" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
bash "$here/up.sh" >/dev/null
t_up=$(( $(date +%s) - t0 ))
[ $# -gt 0 ] || set -- ./...
# -timeout: go test's default of 10 min per package is too short: ./e2e/ alone took 7.9-15.5 min
# at load 20-46 on the 2-core machine. A -timeout in the arguments wins (the last one counts).
echo "e2e: environment up in ${t_up} s; go test -count=1 -timeout 30m -tags e2e $*"
rc=0
go test -count=1 -timeout 30m -tags e2e "$@" || rc=$?
echo "e2e: go test exit $rc, total $(( $(date +%s) - t0 )) s"
exit "$rc"
