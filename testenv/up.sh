#!/usr/bin/env bash
# Starts the end-to-end test environment on 127.0.0.1 (see docs/testing.md):
#   etcd, kube-apiserver, kube-scheduler, kwok (+ kube-controller-manager if
#   GANTRY_TESTENV_KCM=1), 3 simulated nodes, a real node unless GANTRY_TESTENV_REAL_NODE=0
#   (kubelet + containerd in a network namespace of its own, realnode.sh),
#   and a real OpenSSH server whose sessions have KUBECONFIG set, so `kubectl` works over
#   ssh without flags.
# Builds the binaries first if they are not cached. Ports are picked free at start time.
# Writes KEY=VALUE lines to $GANTRY_TESTENV_DIR/env (default /tmp/gantry-testenv/env) and
# prints them. On failure: prints the failing component's log tail, stops what it started,
# keeps the logs, exits non-zero.
#
# Environment: GANTRY_TESTENV_DIR (state dir, wiped), GANTRY_TESTENV_CACHE (binary cache),
# GANTRY_TESTENV_KCM=1 (also run kube-controller-manager), GANTRY_TESTENV_NODE_SPEC
# ("name[:label=value,...] ..."; default 3 unlabelled nodes), GANTRY_TESTENV_TIMEOUT
# (seconds per component, default 90), GANTRY_TESTENV_SSHD (default /usr/sbin/sshd).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t0=$(now_ms)
sshd_bin=${GANTRY_TESTENV_SSHD:-/usr/sbin/sshd}
nodes=${GANTRY_TESTENV_NODE_SPEC:-kwok-node-0 kwok-node-1 kwok-node-2}
kubectl_bin=$(command -v kubectl) || die "kubectl not found in PATH"
[ -x "$sshd_bin" ] || die "$sshd_bin missing: apt-get install -y openssh-server (or bash .ci/install.sh)"
for tool in openssl curl ssh ssh-keygen setsid flock; do
  command -v "$tool" >/dev/null || die "$tool not found (bash .ci/install.sh installs what is needed)"
done

# An environment still running in $D is stopped first (by its recorded pids).
if [ -d "$D/pids" ] && [ -n "$(ls -A "$D/pids" 2>/dev/null)" ]; then
  log "stopping the previous environment in $D"
  bash "$here/down.sh"
fi

binaries_present || bash "$here/build.sh"
if realnode_wanted; then realnode_check_tools; fi
t_start=$(now_ms)

case $D in /|"") die "refusing to use GANTRY_TESTENV_DIR=$D" ;; esac
rm -rf "$D"
mkdir -p "$D"
chmod 0700 "$D"
mkdir -p "$D/pids" "$D/logs" "$D/run" "$D/pki" "$D/ssh" "$D/etcd" "$D/certs"
chmod 0700 "$D/etcd"

started=0
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ "$started" = 1 ]; then
    log "start failed; stopping what was started (logs kept)"
    touch "$D/failed"
    bash "$here/down.sh" || true
  fi
}
trap on_exit EXIT

user=$(id -un)
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
APISERVER_PORT=$(free_port)
SCHEDULER_PORT=$(free_port)
KWOK_PORT=$(free_port)
KCM_PORT=$(free_port)
SSH_PORT=$(free_port)
KCM=${GANTRY_TESTENV_KCM:-0}
cat >"$D/vars" <<VARS
KUBECONFIG=$D/kubeconfig
GANTRY_TESTENV_DIR=$D
GANTRY_TESTENV_BIN=$testenv_bin
GANTRY_TESTENV_CTL=$here/ctl.sh
GANTRY_TESTENV_K8S_VERSION=$K8S_VERSION
GANTRY_TESTENV_APISERVER=https://127.0.0.1:$APISERVER_PORT
GANTRY_TESTENV_ETCD=http://127.0.0.1:$ETCD_PORT
GANTRY_TESTENV_CA=$D/pki/ca.crt
GANTRY_TESTENV_NODES=$(for n in $nodes; do printf '%s,' "${n%%:*}"; done | sed 's/,$//')
GANTRY_TESTENV_SSH_HOST=127.0.0.1
GANTRY_TESTENV_SSH_PORT=$SSH_PORT
GANTRY_TESTENV_SSH_USER=$user
GANTRY_TESTENV_SSH_KEY=$D/ssh/id_ed25519
GANTRY_TESTENV_SSH_KNOWN_HOSTS=$D/ssh/known_hosts
GANTRY_TESTENV_KUBECTL=$kubectl_bin
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
KWOK_PORT=$KWOK_PORT
KCM_PORT=$KCM_PORT
SSH_PORT=$SSH_PORT
KCM=$KCM
VARS
chmod 0600 "$D/vars"
# The real node's namespaces and links are created here (its subnet is picked under a
# machine-wide lock); from now on a failure must clean up.
started=1
if realnode_wanted; then
  realnode_vars >>"$D/vars"
  load_vars
else
  echo "GANTRY_TESTENV_REAL_NODE_OFF=1" >>"$D/vars"
fi

# ---- keys and certificates (ECDSA P-256: generated in milliseconds) ------------------
(
  set -e
  cd "$D/pki"
  exec 2>>"$D/logs/pki.log"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -days 3650 -subj /CN=gantry-testenv-ca -out ca.crt \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  issue() { # issue NAME SUBJECT EXTENSIONS
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  issue apiserver /CN=kube-apiserver "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue admin "/O=system:masters/CN=gantry-testenv-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  # The real node's kubelet (Node authorizer identity) and the API server's client
  # certificate for the kubelet's API (logs, exec).
  issue node "/O=system:nodes/CN=system:node:$realnode_node_name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  issue kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  openssl ecparam -name prime256v1 -genkey -noout -out sa.key
  openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 0600 ./*.key
) || die "certificate generation failed: $(tail -n 5 "$D/logs/pki.log")"

b64() { base64 -w0 <"$1"; }
cat >"$D/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: gantry-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(b64 "$D/pki/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $(b64 "$D/pki/admin.crt")
    client-key-data: $(b64 "$D/pki/admin.key")
contexts:
- name: gantry-testenv
  context: {cluster: gantry-testenv, user: admin}
current-context: gantry-testenv
KC
chmod 0600 "$D/kubeconfig"

# ---- ssh keys, sshd config, known_hosts ------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C gantry-testenv-host -f "$D/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -C gantry-testenv-client -f "$D/ssh/id_ed25519"
cp "$D/ssh/id_ed25519.pub" "$D/ssh/authorized_keys"
echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$D/ssh/ssh_host_ed25519_key.pub")" >"$D/ssh/known_hosts"
cat >"$D/ssh/sshd_config" <<CFG
# sshd for Gantry's test environment; /etc/ssh/sshd_config is not read.
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $D/ssh/ssh_host_ed25519_key
PidFile none
AuthorizedKeysFile $D/ssh/authorized_keys
# authorized_keys lives under /tmp (world-writable parent).
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AllowUsers $user
# KUBECONFIG: kubectl works in every session without flags, as on a cluster's master.
# SHLVL=1: bash sources ~/.bashrc for every command sshd runs (shell level < 2); this
# machine's root .bashrc runs pyenv init, whose rehash takes a lock that every shell on the
# machine shares (seconds to a minute per login under load), which a cluster's master would
# not: SHLVL=1 keeps that out of every kubectl call. One SetEnv line: sshd keeps only the
# first SetEnv directive and ignores later ones (checked below with sshd -T).
SetEnv KUBECONFIG=$D/kubeconfig SHLVL=1
Subsystem sftp internal-sftp
# Many test binaries connect at once: no random drops of unauthenticated connections
# (default 10:30:100) and room for many sessions on one connection (default 10).
MaxStartups 200
MaxSessions 100
LogLevel VERBOSE
CFG
# As root sshd needs its privilege separation directory (systemd normally creates it).
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then mkdir -p /run/sshd && chmod 0755 /run/sshd; fi
"$sshd_bin" -t -f "$D/ssh/sshd_config" 2>"$D/logs/sshd-config.log" ||
  die "sshd rejects its config: $(cat "$D/logs/sshd-config.log")"
# (grep reads all of sshd -T's output: with grep -q and pipefail, sshd writing after grep
# has quit dies of SIGPIPE and the check fails 2 times in 3)
"$sshd_bin" -T -f "$D/ssh/sshd_config" 2>/dev/null | grep '^setenv SHLVL=1$' >/dev/null ||
  die "sshd does not set SHLVL=1 in sessions (sshd -T -f $D/ssh/sshd_config): every login would source root's .bashrc"

cat >"$D/kwok.yaml" <<'KW'
# Empty on purpose: kwok uses its built-in stages (node ready, pod running, pod delete)
# and does not read ~/.kwok/kwok.yaml.
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options: {}
KW

# ---- how each component starts (ctl.sh restarts them the same way) --------------------
# With the real node: its kubelet is system:node:real-node-0 (Node authorizer), and the API
# server reaches kubelets on their InternalIP with a client certificate (logs, exec).
authz=RBAC kubelet_flags=""
if [ "${REAL_NODE:-0}" = 1 ]; then
  authz=Node,RBAC
  kubelet_flags="--kubelet-client-certificate=$D/pki/kubelet-client.crt --kubelet-client-key=$D/pki/kubelet-client.key --kubelet-preferred-address-types=InternalIP,Hostname"
fi
B=$testenv_bin
cat >"$D/run/sshd.sh" <<RUN
exec "$sshd_bin" -D -e -f "$D/ssh/sshd_config"
RUN
cat >"$D/run/etcd.sh" <<RUN
exec "$B/etcd" --name=gantry-testenv --data-dir="$D/etcd" \\
  --listen-client-urls=http://127.0.0.1:$ETCD_PORT --advertise-client-urls=http://127.0.0.1:$ETCD_PORT \\
  --listen-peer-urls=http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls=http://127.0.0.1:$ETCD_PEER_PORT \\
  --initial-cluster=gantry-testenv=http://127.0.0.1:$ETCD_PEER_PORT \\
  --unsafe-no-fsync=true --log-level=warn
RUN
cat >"$D/run/kube-apiserver.sh" <<RUN
exec "$B/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \\
  --secure-port=$APISERVER_PORT --etcd-servers=http://127.0.0.1:$ETCD_PORT \\
  --cert-dir="$D/certs/kube-apiserver" \\
  --tls-cert-file="$D/pki/apiserver.crt" --tls-private-key-file="$D/pki/apiserver.key" \\
  --client-ca-file="$D/pki/ca.crt" \\
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \\
  --service-account-key-file="$D/pki/sa.pub" --service-account-signing-key-file="$D/pki/sa.key" \\
  --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=$authz $kubelet_flags \\
  --allow-privileged=true \\
  --disable-admission-plugins=ServiceAccount,TaintNodesByCondition \\
  --endpoint-reconciler-type=none --profiling=false
RUN
cat >"$D/run/kube-scheduler.sh" <<RUN
exec "$B/kube-scheduler" --kubeconfig="$D/kubeconfig" --bind-address=127.0.0.1 \\
  --secure-port=$SCHEDULER_PORT --cert-dir="$D/certs/kube-scheduler" --leader-elect=false --profiling=false
RUN
cat >"$D/run/kube-controller-manager.sh" <<RUN
exec "$B/kube-controller-manager" --kubeconfig="$D/kubeconfig" --bind-address=127.0.0.1 \\
  --secure-port=$KCM_PORT --cert-dir="$D/certs/kube-controller-manager" --leader-elect=false \\
  --service-account-private-key-file="$D/pki/sa.key" --root-ca-file="$D/pki/ca.crt" \\
  --cluster-signing-cert-file="$D/pki/ca.crt" --cluster-signing-key-file="$D/pki/ca.key" \\
  --use-service-account-credentials=false --controllers='*' --profiling=false
RUN
# --node-lease-duration-seconds=0: no node leases. With leases (e.g. 40 s), a kwok that
# lost its lease during an API server outage, or a restarted kwok (new holder identity),
# left new pods Pending for 30-90 s until the old lease expired.
cat >"$D/run/kwok.sh" <<RUN
exec "$B/kwok" --config="$D/kwok.yaml" --kubeconfig="$D/kubeconfig" --manage-all-nodes=false \\
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \\
  --server-address=127.0.0.1:$KWOK_PORT --node-ip=10.200.0.254 --cidr=10.244.0.1/16 \\
  --node-lease-duration-seconds=0
RUN

if [ "${REAL_NODE:-0}" = 1 ]; then realnode_setup; fi

# ---- start ----------------------------------------------------------------------------
# Everything starts at once: kube-apiserver retries etcd, and kube-scheduler and kwok retry
# the API server, so no one waits for another's health check.
start_proc sshd
start_proc etcd
start_proc kube-apiserver
start_proc kube-scheduler
start_proc kwok
[ "$KCM" = 1 ] && start_proc kube-controller-manager
import_pid=""
if [ "${REAL_NODE:-0}" = 1 ]; then
  # The kubelet exits at once without a container runtime to talk to: containerd first.
  start_proc containerd
  start_proc apibridge
  wait_healthy containerd
  start_proc kubelet
  realnode_import_images &
  import_pid=$!
fi
wait_healthy etcd
log "etcd healthy (+$(secs_since "$t_start") s)"
wait_healthy kube-apiserver
log "kube-apiserver ready (+$(secs_since "$t_start") s)"

# Simulated nodes: as a kubelet would register them, with addresses and capacity. Only the
# well-known kubelet labels; tests and blueprints add their own (e.g. role=router).
i=0
for spec in $nodes; do
  name=${spec%%:*}
  extra=""
  if [ "$spec" != "$name" ]; then
    for kv in $(echo "${spec#*:}" | tr ',' ' '); do extra="$extra, \"${kv%%=*}\": \"${kv#*=}\""; done
  fi
  i=$((i + 1))
  cat <<NODE
{"apiVersion": "v1", "kind": "Node",
 "metadata": {"name": "$name", "annotations": {"kwok.x-k8s.io/node": "fake"},
   "labels": {"kubernetes.io/hostname": "$name", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"$extra}},
 "status": {"addresses": [{"type": "InternalIP", "address": "10.200.0.$((9 + i))"}, {"type": "Hostname", "address": "$name"}],
   "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
   "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}}
NODE
done >"$D/nodes.json"
KUBECONFIG=$D/kubeconfig "$kubectl_bin" create -f "$D/nodes.json" >"$D/logs/nodes.log" 2>&1 ||
  die "creating nodes failed: $(cat "$D/logs/nodes.log")"

wait_healthy kube-scheduler
wait_healthy kwok
[ "$KCM" = 1 ] && wait_healthy kube-controller-manager
log "scheduler and kwok healthy (+$(secs_since "$t_start") s)"
KUBECONFIG=$D/kubeconfig "$kubectl_bin" wait --for=condition=Ready node --all --timeout=60s >>"$D/logs/nodes.log" 2>&1 || {
  tail -n 20 "$D/logs/nodes.log" >&2; tail -n 20 "$D/logs/kwok.log" >&2; die "nodes did not become Ready"; }
log "nodes Ready (+$(secs_since "$t_start") s)"
if [ "${REAL_NODE:-0}" = 1 ]; then
  wait_healthy apibridge
  wait_healthy kubelet
  wait "$import_pid" || die "real node: importing the images failed (see $D/logs/images.log)"
  realnode_wait_ready || die "real node $realnode_node_name did not become Ready"
  log "real node $realnode_node_name Ready, images imported (+$(secs_since "$t_start") s)"
fi

# sshd: banner, then a real login running kubectl with no flags.
wait_healthy sshd
ssh -q -p "$SSH_PORT" -i "$D/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
  -o UserKnownHostsFile="$D/ssh/known_hosts" -o StrictHostKeyChecking=yes -o ConnectTimeout=10 \
  "$user@127.0.0.1" kubectl get nodes -o name >"$D/logs/ssh-check.log" 2>&1 || {
  cat "$D/logs/ssh-check.log" >&2; tail -n 20 "$D/logs/sshd.log" >&2
  die "ssh login + kubectl over ssh failed"; }
log "ssh login + kubectl over ssh OK (+$(secs_since "$t_start") s)"

{
  echo "GANTRY_TESTENV_STARTUP_SECONDS=$(secs_since "$t_start")"
  echo "GANTRY_TESTENV_RSS_KIB=$(rss_kib)"
  if [ "${REAL_NODE:-0}" = 1 ]; then echo "GANTRY_TESTENV_REAL_NODE_RSS_KIB=$(rss_kib containerd apibridge kubelet)"; fi
} >>"$D/vars"
write_env
trap - EXIT
cat "$D/env"
log "test environment up in $(secs_since "$t0") s (env file: $D/env)"
