#!/usr/bin/env bash
# Stops the test environment in $GANTRY_TESTENV_DIR (default /tmp/gantry-testenv): exactly
# the processes recorded in its pids/ directory (SIGTERM, SIGKILL after 15 s), never by name,
# and everything the real node put on the machine (realnode_down: its pods, namespaces,
# mounts, cgroups; the kernel sysctls the kubelet changed when no other environment runs).
# Then removes the state dir (keys, certs, etcd data). Logs are kept, in
# $GANTRY_TESTENV_DIR.failed-<time>/, when the run failed: `down.sh --keep-logs`,
# GANTRY_TESTENV_KEEP_LOGS=1, or a `failed` marker left by up.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

keep=${GANTRY_TESTENV_KEEP_LOGS:-0}
for arg in "$@"; do
  case $arg in
    --keep-logs) keep=1 ;;
    *) die "usage: down.sh [--keep-logs]" ;;
  esac
done
if [ ! -d "$D" ]; then
  log "nothing to stop: $D does not exist"
  exit 0
fi
[ -f "$D/failed" ] && keep=1

# The real node first, while the API server is still up: its pods, containerd's shims,
# mounts, namespaces, cgroups and the kernel sysctls (realnode.sh).
realnode_down || log "real node: clean-up incomplete (see above)"

names=()
for f in "$D"/pids/*.pid; do
  [ -e "$f" ] || continue
  names+=("$(basename "$f" .pid)")
done
if [ "${#names[@]}" -gt 0 ]; then
  stop_procs "${names[@]}"
  log "stopped: ${names[*]}"
fi

if [ "$keep" = 1 ]; then
  dest="$D.failed-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$dest"
  cp -r "$D/logs" "$dest/" 2>/dev/null || true
  cp "$D/env" "$D/vars" "$D/ssh/sshd_config" "$dest/" 2>/dev/null || true
  cp -r "$D/run" "$dest/" 2>/dev/null || true
  log "logs kept in $dest"
fi
case $D in /|"") die "refusing to remove GANTRY_TESTENV_DIR=$D" ;; esac
rm -rf "$D"
