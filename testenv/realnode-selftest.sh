#!/usr/bin/env bash
# Self-test of the real node's container runtime, without a control plane:
#   realnode-selftest.sh STATE_DIR
# In STATE_DIR (created, removed at the end) it sets up the node's namespaces, cgroup root
# and containerd as up.sh does (realnode.sh), imports the pause and router images, runs the
# router image with ctr as the kubelet would (privileged, on the node's network, in the
# node's cgroup root, INTERFACES and ROUTES set), checks the routes in the node's table and
# not in the machine's, stops it with SIGTERM and checks that the routes are withdrawn,
# starts a second container and leaves it running, then removes everything (realnode_down)
# and checks that nothing is left: processes, mounts, namespaces, links, cgroups, sockets.
# Prints the timings; exits non-zero with the reason on the first failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export GANTRY_TESTENV_DIR=${1:?usage: realnode-selftest.sh STATE_DIR}
# shellcheck source=lib.sh
. "$here/lib.sh"
realnode_check_runtime

case $D in /|"") die "refusing to use $D" ;; esac
rm -rf "$D"
mkdir -p "$D/pids" "$D/logs" "$D/run" "$D/pki"
downed=0
on_exit() {
  local rc=$?
  if [ "$downed" = 0 ]; then realnode_down || true; fi
  if [ "$rc" -ne 0 ]; then
    log "self-test failed; containerd's log:"
    tail -n 20 "$D/logs/containerd.log" >&2 || true
  fi
  rm -rf "$D"
}
trap on_exit EXIT

t0=$(now_ms)
echo "APISERVER_PORT=0" >"$D/vars"
realnode_vars >>"$D/vars"
load_vars
realnode_setup
start_proc containerd
wait_healthy containerd
log "namespaces, cgroups and containerd up in $(secs_since "$t0") s"
t1=$(now_ms)
realnode_import_images
log "images imported in $(secs_since "$t1") s"

ctr=(ctr --address "$D/rn/containerd.sock" -n k8s.io)
routes="10.0.0.0/24 $realnode_gateway,10.10.0.0/24 $realnode_gateway"
t2=$(now_ms)
"${ctr[@]}" run --runc-root "$D/rn/runc" --fifo-dir "$D/rn/fifo" -d --privileged --net-host --cgroup "$GANTRY_TESTENV_REAL_NODE_CGROUP/selftest-router" \
  --env INTERFACES=eth0,eth1 --env "ROUTES=$routes" "$realnode_router_image" selftest-router bash /root/start.sh >/dev/null
n=0
for _ in $(seq 1 300); do
  n=$(realnode_in "gantry-$RN_ID" ip -4 route show | grep -cE "^10\.(0|10)\.0\.0/24 .*via $realnode_gateway dev eth1" || true)
  [ "$n" = 2 ] && break
  sleep 0.1
done
[ "$n" = 2 ] || die "the router's routes are not in the node's table: $(realnode_in "gantry-$RN_ID" ip -4 route show)"
log "router started, both routes in the node's table in $(secs_since "$t2") s"
if ip -4 route show | grep -qE "^10\.(0|10)\.0\.0/24 .*via $realnode_gateway"; then
  die "the routes are in the machine's own table"
fi
out=$("${ctr[@]}" tasks exec --fifo-dir "$D/rn/fifo" --exec-id vtysh selftest-router vtysh -c 'show ip route static' 2>&1) ||
  die "vtysh in the router failed: $out"
grep -q "10.10.0.0/24" <<<"$out" || die "vtysh does not show the static routes: $out"

t3=$(now_ms)
"${ctr[@]}" tasks kill -s TERM selftest-router
st=""
for _ in $(seq 1 100); do
  st=$("${ctr[@]}" tasks ls | awk '$1 == "selftest-router" {print $3}')
  [ "$st" = STOPPED ] && break
  sleep 0.1
done
[ "$st" = STOPPED ] || die "the router did not stop within 10 s of SIGTERM (status $st)"
if realnode_in "gantry-$RN_ID" ip -4 route show | grep -qE "^10\.(0|10)\.0\.0/24"; then
  die "routes left in the node's table after SIGTERM: $(realnode_in "gantry-$RN_ID" ip -4 route show)"
fi
log "router stopped on SIGTERM, routes withdrawn, in $(secs_since "$t3") s"

# A container left running: down must remove it too.
"${ctr[@]}" run --runc-root "$D/rn/runc" --fifo-dir "$D/rn/fifo" -d --net-host --cgroup "$GANTRY_TESTENV_REAL_NODE_CGROUP/selftest-pause" \
  "$realnode_pause_image" selftest-pause /pause >/dev/null
t4=$(now_ms)
downed=1
realnode_down
log "removed in $(secs_since "$t4") s"

left=()
for ns in "gantry-$RN_ID" "gantry-$RN_ID-peer"; do [ -e "/run/netns/$ns" ] && left+=("namespace $ns"); done
ip link show "gt$RN_ID" >/dev/null 2>&1 && left+=("link gt$RN_ID")
for c in $(realnode_cgroup_dirs); do [ -d "$c" ] && left+=("cgroup $c"); done
awk -v d="$D/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | grep -q . && left+=("mounts under $D")
# (r[n]: the pattern must not match grep's own command line)
for p in $(grep -als -- "$(sed 's/[.[\*^$]/\\&/g' <<<"$D")/r[n]" /proc/[0-9]*/cmdline); do
  p=${p#/proc/}
  left+=("process ${p%/cmdline}: $(tr '\0' ' ' <"/proc/$p" 2>/dev/null || true)")
done
for f in /run/containerd/runc/k8s.io/selftest-router /run/containerd/runc/k8s.io/selftest-pause; do
  [ -e "$f" ] && left+=("$f")
done
if [ "${#left[@]}" -gt 0 ]; then die "left behind: ${left[*]}"; fi
log "nothing left; self-test passed in $(secs_since "$t0") s"
