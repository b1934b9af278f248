#!/usr/bin/env bash
# The README's main command (`make demo`): the reference scenario end to end.
#
#  1. brings up the test environment (a real kube-apiserver + scheduler with
#     kwok nodes, a real node `real-node-0` (kubelet + containerd in a network
#     namespace of its own), and a real OpenSSH server, on 127.0.0.1; built on
#     first use) and shows the real node's routing table,
#  2. installs kubernetes-cluster: checks the master over SSH, labels the
#     router node (real-node-0) role=router, exports kubernetes_info,
#  3. installs quagga-router: its DeploymentProxy inherits kubernetes_info and
#     its Microservice applies the router pod over SSH with kubectl,
#  4. shows the pod running on the router node, the node's routing table with
#     the routes from ROUTES (the machine's untouched), vtysh's view of them from
#     inside the pod, and both deployments' outputs,
#  5. uninstalls both (the cluster only after the router), shows the table
#     without the routes, checks that nothing is left, and tears down.
# Without the real node (GANTRY_TESTENV_REAL_NODE=0 leaves it out) the router pod goes to
# kwok-node-0, where nothing runs.
set -euo pipefail
cd "$(dirname "$0")/.."
G=${GANTRY:-./bin/gantry}
[ -x "$G" ] || go build -o bin/gantry ./cmd/gantry

export GANTRY_TESTENV_DIR=${GANTRY_DEMO_ENV:-$(mktemp -d /tmp/gantry-demo-env.XXXXXX)}
work=$(mktemp -d /tmp/gantry-demo.XXXXXX)
export GANTRY_STORE="$work/gantry.db"
ok=0
cleanup() {
  trap - EXIT INT TERM
  if [ "$ok" = 1 ]; then bash testenv/down.sh >/dev/null 2>&1 || true; rm -rf "$work"
  else echo "demo failed; state kept in $work"; bash testenv/down.sh --keep-logs || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
t0=$(date +%s.%N)

routes='10.0.0.0/24 172.16.0.1,10.10.0.0/24 172.16.0.1'
step "1. test environment (kube-apiserver + kwok nodes + a real node + sshd on 127.0.0.1)"
bash testenv/up.sh >/dev/null
# shellcheck disable=SC1091
set -a; . "$GANTRY_TESTENV_DIR/env"; set +a
kubectl get nodes -o wide -L role
router_node=${GANTRY_TESTENV_REAL_NODE_NAME:-kwok-node-0}
# node_routes prints the real node's routing table (its network namespace, not the machine's).
node_routes() {
  nsenter --net="$GANTRY_TESTENV_REAL_NODE_NETNS" ip -4 route show | sed 's/^/    /'
}
# routes_in_node N: succeeds when N of the ROUTES prefixes are in the node's table.
routes_in_node() {
  local n=0 r
  for r in 10.0.0.0/24 10.10.0.0/24; do
    # (FRR 8 installs through nexthop groups: "PREFIX nhid N via GATEWAY dev ...")
    nsenter --net="$GANTRY_TESTENV_REAL_NODE_NETNS" ip -4 route show | grep -q "^$r .*via 172\.16\.0\.1 " && n=$((n + 1))
  done
  [ "$n" = "$1" ]
}
if [ -n "${GANTRY_TESTENV_REAL_NODE_NAME:-}" ]; then
  echo "-- routing table of $router_node before the install:"
  node_routes
else
  echo "-- (no real node (GANTRY_TESTENV_REAL_NODE=0): the router pod goes to $router_node, where nothing runs)"
fi

step "2. install kubernetes-cluster"
api_port=${GANTRY_TESTENV_APISERVER##*:}
"$G" install blueprints/kubernetes-cluster -d kubernetes-cluster \
  -i master_ip="$GANTRY_TESTENV_SSH_HOST" -i ssh_port="$GANTRY_TESTENV_SSH_PORT" \
  -i ssh_username="$GANTRY_TESTENV_SSH_USER" -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" \
  -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" -i master_port="$api_port" \
  -i router_node_name="$router_node"
kubectl get nodes -L role

step "3. install quagga-router (DeploymentProxy -> kubernetes_info, Microservice over SSH)"
"$G" install blueprints/quagga-router -d quagga-router \
  -i kubernetes_deployment_id=kubernetes-cluster \
  -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" \
  -i interfaces=eth0,eth1 -i routes="$routes"

step "4. the router pod and the outputs"
kubectl get pod quagga -o wide
echo "nodeSelector: $(kubectl get pod quagga -o jsonpath='{.spec.nodeSelector}')  hostNetwork: $(kubectl get pod quagga -o jsonpath='{.spec.hostNetwork}')  privileged: $(kubectl get pod quagga -o jsonpath='{.spec.containers[0].securityContext.privileged}')"
echo "env: $(kubectl get pod quagga -o jsonpath='{.spec.containers[0].env}')"
node=$(kubectl get pod quagga -o jsonpath='{.spec.nodeName}')
[ "$node" = "$router_node" ] || { echo "the pod runs on $node, not on the router node"; exit 1; }
if [ -n "${GANTRY_TESTENV_REAL_NODE_NAME:-}" ]; then
  for _ in $(seq 1 100); do routes_in_node 2 && break; sleep 0.1; done
  echo "-- routing table of $router_node after the install (ROUTES: $routes):"
  node_routes
  routes_in_node 2 || { echo "the routes from ROUTES are not in the node's table"; exit 1; }
  if ip -4 route show | grep -qE '^10\.(0|10)\.0\.0/24'; then echo "the machine's own table changed"; exit 1; fi
  echo "-- the machine's own table has none of them"
  echo "-- vtysh inside the pod: show ip route static"
  kubectl exec quagga -- vtysh -c 'show ip route static' | sed 's/^/    /'
fi
echo "-- outputs of kubernetes-cluster"; "$G" deployments outputs kubernetes-cluster
echo "-- outputs of quagga-router"; "$G" deployments outputs quagga-router

step "5. uninstall (the cluster is refused while the router depends on it)"
if "$G" uninstall kubernetes-cluster; then echo "uninstalling the cluster first should have been refused"; exit 1; fi
"$G" uninstall quagga-router
if [ -n "${GANTRY_TESTENV_REAL_NODE_NAME:-}" ]; then
  echo "-- routing table of $router_node after the uninstall:"
  node_routes
  routes_in_node 0 || { echo "the routes are still in the node's table"; exit 1; }
fi
"$G" uninstall kubernetes-cluster
left_pods=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
left_labels=$(kubectl get nodes -l role --no-headers 2>/dev/null | wc -l)
echo "left behind: $left_pods pod(s), $left_labels labelled node(s)"
[ "$left_pods" = 0 ] && [ "$left_labels" = 0 ] || exit 1

ok=1
printf "\n\033[1mdemo finished in %s s\033[0m\n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
