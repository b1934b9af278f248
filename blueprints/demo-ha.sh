#!/usr/bin/env bash
# `make demo-ha`: the router scenario on several machines' worth of Gantry (docs/ha.md).
#
#  1. brings up the test environment (kube-apiserver + kwok nodes + sshd on 127.0.0.1;
#     GANTRY_TESTENV_REAL_NODE=1 adds the real node, off here to stay quick), a 3-member
#     etcd cluster on loopback (the testenv etcd binary), 2 `gantry server`s that queue
#     executions (--run-executions=false) and 3 `gantry worker`s (5 s leases),
#  2. installs kubernetes-cluster through server A's REST API (the CLI with GANTRY_URL),
#  3. installs quagga-router through server B's; once a worker claimed it and its first
#     operation started, that worker is killed (SIGKILL): another worker takes the
#     install over when the lease ends and completes it; prints the takeover time,
#  4. shows `gantry status` (members, workers, claims), the router pod and the outputs,
#  5. uninstalls both through the servers, checks nothing is left, and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
G=$PWD/${GANTRY:-bin/gantry}
[ -x "$G" ] || go build -o bin/gantry ./cmd/gantry
export GANTRY_TESTENV_REAL_NODE=${GANTRY_TESTENV_REAL_NODE:-0}
export GANTRY_TESTENV_DIR=${GANTRY_DEMO_ENV:-$(mktemp -d /tmp/gantry-demo-ha-env.XXXXXX)}
# shellcheck source=../testenv/lib.sh
. testenv/lib.sh
work=$(mktemp -d /tmp/gantry-demo-ha.XXXXXX)
# A home of its own for the servers' and workers' ~/.gantry (the binary cache stays where it is).
export GANTRY_TESTENV_CACHE GANTRY_TESTENV_BIN=$testenv_bin
export HOME=$work/home GANTRY_SECRET_KEY
mkdir -p "$HOME"
GANTRY_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
pids=()
ok=0
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$ok" = 1 ]; then bash testenv/down.sh >/dev/null 2>&1 || true; rm -rf "$work"
  else echo "demo-ha failed; logs in $work"; bash testenv/down.sh --keep-logs || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$(now_ms)

step "1. test environment, 3 etcd members, 2 servers, 3 workers"
bash testenv/up.sh >/dev/null
# shellcheck disable=SC1091
set -a; . "$GANTRY_TESTENV_DIR/env"; set +a
router_node=${GANTRY_TESTENV_REAL_NODE_NAME:-kwok-node-0}

cluster=() endpoints=()
for i in 0 1 2; do
  cluster+=("m$i=http://127.0.0.1:$(free_port)")
done
for i in 0 1 2; do
  peer=${cluster[$i]#*=} client=http://127.0.0.1:$(free_port)
  endpoints+=("${client#http://}")
  "$testenv_bin/etcd" --name "m$i" --data-dir "$work/etcd-m$i" --listen-client-urls "$client" \
    --advertise-client-urls "$client" --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$(IFS=,; echo "${cluster[*]}")" --initial-cluster-state new \
    --initial-cluster-token demo-ha --log-level warn >"$work/etcd-m$i.log" 2>&1 &
  pids+=($!)
done
store="etcd://$(IFS=,; echo "${endpoints[*]}")/gantry?lease-ttl=5s"
for _ in $(seq 1 300); do "$G" status --store "$store" >/dev/null 2>&1 && break; sleep 0.1; done

"$G" server tokens create --store "$store" --name demo --role admin --out "$work/token" >/dev/null
urls=()
for s in a b; do
  "$G" server --store "$store" --run-executions=false --listen 127.0.0.1:0 >"$work/server-$s.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do grep -q 'listening on' "$work/server-$s.log" && break; sleep 0.1; done
  urls+=("$(sed -n 's/^gantry server listening on \(http:[^ ]*\) .*/\1/p' "$work/server-$s.log" | head -1)")
  echo "server $s: ${urls[-1]}"
done
declare -A worker_pid
for w in w1 w2 w3; do
  "$G" worker --store "$store" --name "$w" --parallel 2 >"$work/worker-$w.log" 2>&1 &
  pids+=($!) worker_pid[$w]=$!
done
for _ in $(seq 1 200); do "$G" status --store "$store" | grep -q '^workers: 3' && break; sleep 0.1; done
"$G" status --store "$store" | sed -n '/^members:/,$p'

# gantry_on S ARGS: the CLI against server S's REST API.
gantry_on() { local s=$1; shift; GANTRY_URL=${urls[$s]} GANTRY_TOKEN_FILE=$work/token "$G" "$@"; }

step "2. install kubernetes-cluster through server A ($(echo "${urls[0]}"))"
api_port=${GANTRY_TESTENV_APISERVER##*:}
gantry_on 0 install blueprints/kubernetes-cluster -d kubernetes-cluster \
  -i master_ip="$GANTRY_TESTENV_SSH_HOST" -i ssh_port="$GANTRY_TESTENV_SSH_PORT" \
  -i ssh_username="$GANTRY_TESTENV_SSH_USER" -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" \
  -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" -i master_port="$api_port" \
  -i router_node_name="$router_node"

step "3. install quagga-router through server B; its worker is killed mid-install"
declare -A seen
for w in w1 w2 w3; do seen[$w]=$(wc -l <"$work/worker-$w.log"); done
gantry_on 1 install blueprints/quagga-router -d quagga-router \
  -i kubernetes_deployment_id=kubernetes-cluster \
  -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" \
  -i interfaces=eth0,eth1 -i routes='10.0.0.0/24 172.16.0.1,10.10.0.0/24 172.16.0.1' >"$work/router-install.log" 2>&1 &
install=$!
# The worker that claims the install (a new "claimed execution" line in its log), once the
# install's first operation was sent: then kill it.
holder='' exec_id='' token0=''
for _ in $(seq 1 1200); do
  for w in w1 w2 w3; do
    [ -z "$holder" ] || break
    line=$(tail -n +"$((${seen[$w]} + 1))" "$work/worker-$w.log" | grep -m1 'claimed execution' || true)
    [ -n "$line" ] || continue
    holder=$w
    read -r exec_id token0 < <(sed -n 's/.*claimed execution \([0-9a-f]*\) (token \([0-9]*\)).*/\1 \2/p' <<<"$line")
  done
  if [ -n "$holder" ] && "$G" events list -e "$exec_id" --store "$store" --json 2>/dev/null | grep -q '"task_sent"'; then break; fi
  sleep 0.05
done
[ -n "$holder" ] || { echo "no worker claimed the install"; cat "$work/router-install.log"; exit 1; }
{ kill -9 "${worker_pid[$holder]}"; wait "${worker_pid[$holder]}"; } 2>/dev/null || true
killed=$(now_ms)
echo "killed worker $holder (pid ${worker_pid[$holder]}) holding execution $exec_id (claim token $token0)"
next=''
for _ in $(seq 1 600); do
  next=$("$G" status --store "$store" | awk -v e="$exec_id" -v t="$token0" '/^claims:/{c=1; next} c && $1 == e && $0 !~ ("token " t ",") {print $3; exit}')
  [ -n "$next" ] && break
  sleep 0.1
done
[ -n "$next" ] || { echo "no worker took the install over"; exit 1; }
takeover=$(secs_since "$killed")
wait "$install" || { cat "$work/router-install.log"; echo "the install did not complete"; exit 1; }
sed -n '/^execution /,/workflow_succeeded/p' "$work/router-install.log"
printf '\033[1mtakeover: worker %s took the install over %s s after %s was killed (lease 5 s); the install completed\033[0m\n' "$next" "$takeover" "$holder"

step "4. status, the router pod and the outputs"
"$G" status --store "$store" | sed -n '/^members:/,$p'
kubectl get pod quagga -o wide
node=$(kubectl get pod quagga -o jsonpath='{.spec.nodeName}')
[ "$node" = "$router_node" ] || { echo "the pod runs on $node, not on the router node"; exit 1; }
echo "-- outputs of quagga-router"; gantry_on 0 deployments outputs quagga-router

step "5. uninstall through the servers"
gantry_on 0 uninstall quagga-router
gantry_on 1 uninstall kubernetes-cluster
left_pods=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
left_labels=$(kubectl get nodes -l role --no-headers 2>/dev/null | wc -l)
echo "left behind: $left_pods pod(s), $left_labels labelled node(s)"
[ "$left_pods" = 0 ] && [ "$left_labels" = 0 ] || exit 1

ok=1
printf "\n\033[1mdemo-ha finished in %s s (takeover %s s)\033[0m\n" "$(secs_since "$t0")" "$takeover"
