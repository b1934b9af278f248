#!/usr/bin/env bash
# The README's main command (`make demo`): the reference scenario end to end.
#
#  1. brings up the test environment (a real kube-apiserver + scheduler with
#     kwok nodes, and a real OpenSSH server, on 127.0.0.1; built on first use),
#  2. installs kubernetes-cluster: checks the master over SSH, labels the
#     router node role=router, exports kubernetes_info,
#  3. installs quagga-router: its DeploymentProxy inherits kubernetes_info and
#     its Microservice applies the Quagga pod over SSH with kubectl,
#  4. shows the pod on the router node and both deployments' outputs,
#  5. uninstalls both (the cluster only after the router), checks that nothing
#     is left, and tears the environment down.
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

step "1. test environment (kube-apiserver + kwok nodes + sshd on 127.0.0.1)"
bash testenv/up.sh >/dev/null
# shellcheck disable=SC1091
set -a; . "$GANTRY_TESTENV_DIR/env"; set +a
kubectl get nodes -L role

step "2. install kubernetes-cluster"
api_port=${GANTRY_TESTENV_APISERVER##*:}
"$G" install blueprints/kubernetes-cluster -d kubernetes-cluster \
  -i master_ip="$GANTRY_TESTENV_SSH_HOST" -i ssh_port="$GANTRY_TESTENV_SSH_PORT" \
  -i ssh_username="$GANTRY_TESTENV_SSH_USER" -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" \
  -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" -i master_port="$api_port" \
  -i router_node_name=kwok-node-0
kubectl get nodes -L role

step "3. install quagga-router (DeploymentProxy -> kubernetes_info, Microservice over SSH)"
"$G" install blueprints/quagga-router -d quagga-router \
  -i kubernetes_deployment_id=kubernetes-cluster \
  -i ssh_keyfilename="$GANTRY_TESTENV_SSH_KEY" -i known_hosts="$GANTRY_TESTENV_SSH_KNOWN_HOSTS" \
  -i interfaces=eth0,eth1 -i routes='10.0.0.0/24 172.16.0.1,10.10.0.0/24 172.16.0.1'

step "4. the router pod and the outputs"
kubectl get pod quagga -o wide
echo "nodeSelector: $(kubectl get pod quagga -o jsonpath='{.spec.nodeSelector}')  hostNetwork: $(kubectl get pod quagga -o jsonpath='{.spec.hostNetwork}')  privileged: $(kubectl get pod quagga -o jsonpath='{.spec.containers[0].securityContext.privileged}')"
echo "env: $(kubectl get pod quagga -o jsonpath='{.spec.containers[0].env}')"
node=$(kubectl get pod quagga -o jsonpath='{.spec.nodeName}')
[ "$node" = kwok-node-0 ] || { echo "the pod runs on $node, not on the router node"; exit 1; }
echo "-- outputs of kubernetes-cluster"; "$G" deployments outputs kubernetes-cluster
echo "-- outputs of quagga-router"; "$G" deployments outputs quagga-router

step "5. uninstall (the cluster is refused while the router depends on it)"
if "$G" uninstall kubernetes-cluster; then echo "uninstalling the cluster first should have been refused"; exit 1; fi
"$G" uninstall quagga-router
"$G" uninstall kubernetes-cluster
left_pods=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
left_labels=$(kubectl get nodes -l role --no-headers 2>/dev/null | wc -l)
echo "left behind: $left_pods pod(s), $left_labels labelled node(s)"
[ "$left_pods" = 0 ] && [ "$left_labels" = 0 ] || exit 1

ok=1
printf "\n\033[1mdemo finished in %s s\033[0m\n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')"
