# The real node of the test environment (sourced by lib.sh; see docs/testing.md):
# `real-node-0`, a kubelet of testenv's Kubernetes version with Debian's containerd 1.6 and
# runc, both in a network namespace of their own ("the router node") with two interfaces:
#   eth0  10.201.N.2/24 to the machine (gt<ID> on the machine's side, 10.201.N.1)
#   eth1  172.16.0.2/24 to a peer namespace, which holds 172.16.0.1: the gateway of the
#         router scenario's default routes; the peer's default route goes through the node
# Every name that lives outside the state dir is unique to the environment (ID is derived
# from $D): namespaces gantry-ID and gantry-ID-peer, the veth gtID, the subnet 10.201.N.0/24
# (N picked free under a machine-wide lock), the cgroup root /gantry-ID. down.sh removes
# all of it (realnode_down) and waits for it.
# shellcheck shell=bash

# Machine-wide bookkeeping shared by all environments: the lock for picking subnets and the
# kernel sysctls the kubelet changes (restored when the last environment stops).
realnode_machine_dir=/run/gantry-testenv
# The sysctls the kubelet sets at start (kubelet: setupKernelTunables); not namespaced.
realnode_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
realnode_tools=(containerd ctr runc containerd-shim-runc-v2 nsenter ip)
realnode_cni_bin=/usr/lib/cni
realnode_node_name=real-node-0
realnode_pause_image=gantry.local/pause:1
# The router image's reference: build.sh names it (and the scenario's pod.yaml uses it).
realnode_router_image=$(sed -n 's/^IMAGE=//p' "$testenv_src/../blueprints/quagga-router/image/build.sh")
realnode_gateway=172.16.0.1
realnode_taint=gantry.dev/real-node
# The router image is cached by the hash of what builds it.
realnode_image_src=("$testenv_src/../blueprints/quagga-router/image/build.sh"
  "$testenv_src/../blueprints/quagga-router/image/start.sh" "$testenv_src/dockerarchive.sh")

# realnode_wanted succeeds when this environment gets a real node (GANTRY_TESTENV_REAL_NODE=1;
# lib.sh sets the default).
realnode_wanted() { [ "$GANTRY_TESTENV_REAL_NODE" = 1 ]; }

# realnode_image_tar prints the cached router image's path (keyed by its sources).
realnode_image_tar() {
  local key
  key=$(cat "${realnode_image_src[@]}" | sha256sum | cut -c1-12)
  echo "$GANTRY_TESTENV_CACHE/images/quagga-router-$key.tar"
}

# realnode_build_image builds the router image into the cache unless it is there
# (debootstrap needs root: without it the build is skipped, except under CI=true).
realnode_build_image() {
  local tar t0
  tar=$(realnode_image_tar)
  if [ -f "$tar" ]; then log "router image: cached ($tar)"; return 0; fi
  if [ "$(id -u)" != 0 ]; then
    [ "${CI:-}" != true ] || die "router image: building it needs root"
    log "router image: skipped (debootstrap needs root)"
    return 0
  fi
  t0=$(now_ms)
  log "router image: building from Debian packages (debootstrap, ~2-4 min cold)"
  mkdir -p "$(dirname "$tar")"
  QUAGGA_IMAGE_BASE_CACHE=$GANTRY_TESTENV_CACHE/images \
    bash "$testenv_src/../blueprints/quagga-router/image/build.sh" "$tar" >/dev/null ||
    die "router image build failed (blueprints/quagga-router/image/build.sh)"
  log "router image: done in $(secs_since "$t0") s ($(du -h "$tar" | cut -f1))"
}

# realnode_check_runtime fails with the fix when something the node's container runtime
# needs is missing (root, containerd, runc, CNI plugins, the router image).
realnode_check_runtime() {
  local t
  [ "$(id -u)" = 0 ] || die "real node: needs root (network namespaces, cgroups, containerd)"
  for t in "${realnode_tools[@]}"; do
    command -v "$t" >/dev/null ||
      die "real node: $t not found (bash .ci/install.sh installs containerd, runc, containernetworking-plugins)"
  done
  [ -x "$realnode_cni_bin/bridge" ] || die "real node: $realnode_cni_bin/bridge missing (apt-get install containernetworking-plugins)"
  [ -f "$(realnode_image_tar)" ] || die "real node: router image $(realnode_image_tar) missing (bash testenv/build.sh)"
}

# realnode_check_tools: realnode_check_runtime and the kubelet.
realnode_check_tools() {
  realnode_check_runtime
  [ -x "$testenv_bin/kubelet" ] || die "real node: $testenv_bin/kubelet missing (GANTRY_TESTENV_REAL_NODE=1 bash testenv/build.sh)"
}

# realnode_machine_lock runs "$@" holding the machine-wide lock (bounded wait).
realnode_machine_lock() {
  mkdir -p "$realnode_machine_dir/users"
  (
    flock -w 60 9 || die "real node: $realnode_machine_dir/lock held for 60 s"
    "$@"
  ) 9>"$realnode_machine_dir/lock"
}

# realnode_id prints this environment's ID: 8 hex digits derived from its state dir.
realnode_id() { printf '%s' "$D" | sha256sum | cut -c1-8; }

# realnode_vars prints the real node's lines for $D/vars (names, addresses, paths) after
# creating its namespaces and links.
realnode_vars() {
  local id n
  id=$(realnode_id)
  n=$(realnode_machine_lock realnode_pick_subnet "$id") || exit 1
  cat <<VARS
REAL_NODE=1
RN_ID=$id
RN_N=$n
GANTRY_TESTENV_REAL_NODE_NAME=$realnode_node_name
GANTRY_TESTENV_REAL_NODE_NETNS=/run/netns/gantry-$id
GANTRY_TESTENV_REAL_NODE_PEER_NETNS=/run/netns/gantry-$id-peer
GANTRY_TESTENV_REAL_NODE_IP=10.201.$n.2
GANTRY_TESTENV_REAL_NODE_HOST_IP=10.201.$n.1
GANTRY_TESTENV_REAL_NODE_HOST_IF=gt$id
GANTRY_TESTENV_REAL_NODE_PEER_IP=$realnode_gateway
GANTRY_TESTENV_REAL_NODE_CGROUP=/gantry-$id
GANTRY_TESTENV_REAL_NODE_CONTAINERD=$D/rn/containerd.sock
GANTRY_TESTENV_REAL_NODE_TAINT=$realnode_taint
GANTRY_TESTENV_ROUTER_IMAGE=$realnode_router_image
VARS
}

# realnode_pick_subnet ID: (under the machine lock) picks N so that 10.201.N.0/24 is on no
# interface and in no route of the machine, creates the namespaces and links, and prints N.
realnode_pick_subnet() {
  local id=$1 n i used
  used=$(ip -4 -o addr show; ip -4 route show)
  n=$(( 0x${id:0:4} % 250 + 1 ))
  for i in $(seq 1 250); do
    grep -q " 10\.201\.$n\.\|^10\.201\.$n\." <<<"$used" || break
    n=$(( n % 250 + 1 ))
    [ "$i" = 250 ] && die "real node: no free subnet in 10.201.1-250.0/24"
  done
  realnode_net_up "$id" "$n" >&2 || die "real node: network setup failed"
  echo "$n"
}

# realnode_net_up ID N: the node and peer namespaces and their links. Each step is
# checked (callers run it where `set -e` does not apply).
realnode_net_up() {
  local id=$1 n=$2 ns=gantry-$1 peer=gantry-$1-peer step
  while IFS= read -r step; do
    [ -n "$step" ] || continue
    eval "$step" || { log "real node: network setup step failed: $step"; return 1; }
  done <<STEPS
ip netns add $ns
ip netns add $peer
ip link add gt$id type veth peer name gt${id}n
ip link set gt${id}n netns $ns
ip link add gt${id}a type veth peer name gt${id}b
ip link set gt${id}a netns $ns
ip link set gt${id}b netns $peer
ip addr add 10.201.$n.1/24 dev gt$id
ip link set gt$id up
realnode_in $ns ip link set lo up
realnode_in $ns ip link set gt${id}n name eth0
realnode_in $ns ip link set gt${id}a name eth1
realnode_in $ns ip addr add 10.201.$n.2/24 dev eth0
realnode_in $ns ip addr add 172.16.0.2/24 dev eth1
realnode_in $ns ip link set eth0 up
realnode_in $ns ip link set eth1 up
realnode_in $peer ip link set lo up
realnode_in $peer ip link set gt${id}b name eth0
realnode_in $peer ip addr add $realnode_gateway/24 dev eth0
realnode_in $peer ip link set eth0 up
realnode_in $peer ip route add default via 172.16.0.2
STEPS
}

# realnode_in NS CMD...: runs CMD in network namespace NS only (nsenter --net keeps the
# machine's /sys and cgroup mounts, which `ip netns exec` would replace).
realnode_in() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; }

# realnode_cgroup_dirs prints this environment's cgroup root in every mounted hierarchy.
realnode_cgroup_dirs() {
  awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | while read -r m; do
    echo "$m/gantry-$RN_ID"
  done
}

# realnode_helpers prints the cache dir of the real node's helpers from this repository
# (the sandbox's pause program, the API server bridge, the pause image), building them
# there first unless they are: keyed by the hash of their sources and the Go version, so
# an environment's start does not rebuild them. Concurrent starts build each in a temporary
# dir; the first rename wins.
realnode_helpers() {
  local key dir tmp
  key=$(cd "$testenv_src/.." && { go version; cat go.mod go.sum testenv/dockerarchive.sh \
    testenv/internal/pause/*.go testenv/internal/apibridge/*.go; } | sha256sum | cut -c1-12)
  dir=$GANTRY_TESTENV_CACHE/realnode-helpers-$key
  if [ ! -f "$dir/pause.tar" ]; then
    mkdir -p "$GANTRY_TESTENV_CACHE"
    tmp=$(mktemp -d "$GANTRY_TESTENV_CACHE/.realnode-helpers.XXXXXX")
    (cd "$testenv_src/.." && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w" \
      -o "$tmp/" ./testenv/internal/pause ./testenv/internal/apibridge) >"$D/logs/realnode-build.log" 2>&1 || {
      rm -rf "$tmp"
      die "real node: building pause/apibridge failed: $(tail -n 5 "$D/logs/realnode-build.log")"
    }
    mkdir -p "$tmp/image/pause"
    cp "$tmp/pause" "$tmp/image/pause/pause"
    bash "$testenv_src/dockerarchive.sh" "$tmp/image/pause" "$realnode_pause_image" "$tmp/pause.tar" '["/pause"]' >/dev/null || {
      rm -rf "$tmp"
      die "real node: packing the pause image failed"
    }
    rm -rf "$tmp/image"
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  fi
  echo "$dir"
}

# realnode_setup writes the real node's configuration and run scripts into $D/rn and
# prepares the machine (cgroups, sysctl bookkeeping). Needs load_vars'ed RN_* vars.
realnode_setup() {
  local R=$D/rn c h
  mkdir -p "$R/bin" "$R/cni/net.d" "$R/cni/ipam" "$R/kubelet" "$R/pod-logs" "$R/runc"
  h=$(realnode_helpers) || exit 1
  cp "$h/pause" "$h/apibridge" "$R/bin/"
  cp "$h/pause.tar" "$R/pause.tar"

  for c in $(realnode_cgroup_dirs); do
    mkdir -p "$c"
    case $c in
      */cpuset/*)
        cat "$(dirname "$c")/cpuset.cpus" >"$c/cpuset.cpus"
        cat "$(dirname "$c")/cpuset.mems" >"$c/cpuset.mems"
        ;;
    esac
  done
  realnode_machine_lock realnode_sysctl_save

  cat >"$R/containerd.toml" <<CFG
# containerd for the test environment's real node: private root, state and sockets.
version = 2
root = "$R/containerd/root"
state = "$R/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$R/containerd.sock"
[ttrpc]
  address = "$R/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$realnode_pause_image"
  # root here lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below its own.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$R/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$realnode_cni_bin"
    conf_dir = "$R/cni/net.d"
CFG
  cat >"$R/cni/net.d/10-gantry.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "gantry-real-node",
 "plugins": [{"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$R/cni/ipam"}}]}
CNI
  cat >"$R/kubelet.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: gantry-testenv
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $D/pki/ca.crt
users:
- name: $realnode_node_name
  user:
    client-certificate: $D/pki/node.crt
    client-key: $D/pki/node.key
contexts:
- name: node
  context: {cluster: gantry-testenv, user: $realnode_node_name}
current-context: node
KC
  cat >"$R/kubelet.yaml" <<CFG
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$R/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /gantry-$RN_ID
podLogsDir: $R/pod-logs
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $D/pki/ca.crt}
authorization: {mode: AlwaysAllow}
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
failSwapOn: false
makeIPTablesUtilChains: false
serializeImagePulls: false
maxPods: 20
# The images are imported, never pulled: never collect them; no eviction on a busy machine.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
# Keep pods that do not tolerate it (tests written for kwok nodes) off the real node.
registerWithTaints:
- {key: $realnode_taint, value: "true", effect: NoSchedule}
CFG
  local ns=/run/netns/gantry-$RN_ID
  cat >"$D/run/containerd.sh" <<RUN
exec nsenter --net=$ns -- containerd --config "$R/containerd.toml"
RUN
  cat >"$D/run/apibridge.sh" <<RUN
rm -f "$R/apibridge.ready"
exec "$R/bin/apibridge" -netns $ns -listen 127.0.0.1:$APISERVER_PORT \\
  -target 127.0.0.1:$APISERVER_PORT -ready "$R/apibridge.ready"
RUN
  cat >"$D/run/kubelet.sh" <<RUN
exec nsenter --net=$ns -- "$testenv_bin/kubelet" --config="$R/kubelet.yaml" \\
  --kubeconfig="$R/kubelet.kubeconfig" --root-dir="$R/kubelet" \\
  --hostname-override=$realnode_node_name --node-ip=$GANTRY_TESTENV_REAL_NODE_IP
RUN
}

# realnode_import_images loads the pause and router images into containerd (k8s.io).
realnode_import_images() {
  local img
  for img in "$D/rn/pause.tar" "$(realnode_image_tar)"; do
    timeout 120 ctr --address "$D/rn/containerd.sock" -n k8s.io images import "$img" \
      >>"$D/logs/images.log" 2>&1 || { tail -n 20 "$D/logs/images.log" >&2; die "real node: importing $img failed"; }
  done
}

# realnode_sysctl_save (under the machine lock) records the sysctls' values before the
# first kubelet on this machine changes them, and registers this environment as a user.
realnode_sysctl_save() {
  local s
  if [ ! -f "$realnode_machine_dir/sysctl.orig" ]; then
    for s in "${realnode_sysctls[@]}"; do
      echo "$s=$(sysctl -n "$s")"
    done >"$realnode_machine_dir/sysctl.orig"
  fi
  echo "$D" >"$realnode_machine_dir/users/$RN_ID"
}

# realnode_user_alive DIR succeeds when the environment in DIR runs a kubelet or containerd.
realnode_user_alive() {
  local n pid
  for n in kubelet containerd; do
    pid=$(cat "$1/pids/$n.pid" 2>/dev/null) || continue
    [ -n "$pid" ] && pid_running "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1" && return 0
  done
  return 1
}

# realnode_sysctl_release (under the machine lock) unregisters this environment and, when
# no running environment is left, restores the recorded sysctls.
realnode_sysctl_release() {
  local u d s v
  rm -f "$realnode_machine_dir/users/$RN_ID"
  for u in "$realnode_machine_dir"/users/*; do
    [ -f "$u" ] || continue
    d=$(cat "$u")
    # An environment whose kubelet and containerd are gone (killed without down.sh).
    realnode_user_alive "$d" || rm -f "$u"
  done
  [ -z "$(ls -A "$realnode_machine_dir/users")" ] || return 0
  [ -f "$realnode_machine_dir/sysctl.orig" ] || return 0
  while IFS='=' read -r s v; do
    [ -n "$s" ] && sysctl -q -w "$s=$v" >/dev/null 2>&1 || log "real node: could not restore $s=$v"
  done <"$realnode_machine_dir/sysctl.orig"
  rm -f "$realnode_machine_dir/sysctl.orig"
  log "real node: kernel sysctls restored ($(tr '\n' ' ' <<<"${realnode_sysctls[*]}"))"
}

# realnode_healthy NAME: the health check of a real node component.
realnode_healthy() {
  case $1 in
    containerd) timeout 3 ctr --address "$D/rn/containerd.sock" version >/dev/null 2>&1 ;;
    apibridge) [ -s "$D/rn/apibridge.ready" ] ;;
    kubelet) realnode_in "gantry-$RN_ID" curl -fsS -m 2 http://127.0.0.1:10248/healthz >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

# realnode_wait_ready waits (bounded) until the node is Ready and the images are in.
realnode_wait_ready() {
  # One kubectl call can take ~7 s at load 35 (its process start dominates): a 5 s bound
  # per call never saw Ready there; the deadline bounds the whole wait.
  local deadline=$(( $(date +%s) + ${GANTRY_TESTENV_TIMEOUT:-90} )) st
  while :; do
    st=$(KUBECONFIG=$D/kubeconfig timeout 20 kubectl get node "$realnode_node_name" \
      -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [ "$st" = True ] && return 0
    if ! proc_alive kubelet || ! proc_alive containerd || [ "$(date +%s)" -ge "$deadline" ]; then
      log "real node $realnode_node_name not Ready (Ready=$st); last lines of the kubelet's and containerd's logs:"
      tail -n 25 "$D/logs/kubelet.log" >&2
      tail -n 15 "$D/logs/containerd.log" >&2
      return 1
    fi
    sleep 0.3
  done
}

# realnode_down removes everything the real node put on the machine, in order, each step
# bounded: the kubelet, every process in its cgroups (pods), containerd and what is left in
# its namespaces (shims), mounts under $D, namespaces and links, cgroups, the kubelet's
# log links, shim sockets; the sysctls when this was the last environment.
realnode_down() {
  local R=$D/rn c m i pids socks=() podns=() f ns
  RN_ID=$(realnode_id)
  [ -d "$R" ] || [ -e "/run/netns/gantry-$RN_ID" ] || return 0
  stop_procs kubelet
  # Pods not on the host network have a namespace of their own, which containerd's CRI
  # plugin mounts at /var/run/netns/cni-UUID (a fixed directory) and records in its
  # metadata: read the names before containerd goes.
  f=$R/containerd/root/io.containerd.metadata.v1.bolt/meta.db
  if [ -f "$f" ]; then
    mapfile -t podns < <(grep -aoE '/var/run/netns/cni-[0-9a-f-]{36}' "$f" | sort -u)
  fi
  # Shim sockets live in /run/containerd/s, named by a hash: read them before they go.
  for f in "$R"/containerd/state/io.containerd.runtime.v2.task/*/*/address; do
    [ -f "$f" ] && socks+=("$(sed 's|^unix://||' "$f")")
  done
  for i in $(seq 1 50); do
    pids=$(for c in $(realnode_cgroup_dirs); do
      [ -d "$c" ] && find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null
    done | sort -u)
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
    [ "$i" = 50 ] && log "real node: processes still in its cgroups after 5 s: $pids"
  done
  stop_procs containerd apibridge
  for ns in "gantry-$RN_ID" "gantry-$RN_ID-peer"; do
    [ -e "/run/netns/$ns" ] || continue
    for i in $(seq 1 50); do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -n "$pids" ] || break
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 0.1
    done
    ip netns del "$ns" 2>/dev/null || log "real node: could not delete namespace $ns"
  done
  ip link del "gt$RN_ID" 2>/dev/null || true
  # Mounts below the state dir (container root file systems, pod volumes), deepest first.
  for i in 1 2 3; do
    m=$(awk -v d="$R/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ -n "$m" ] || break
    for f in $m; do umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null || true; done
  done
  for c in $(realnode_cgroup_dirs); do
    [ -d "$c" ] || continue
    for i in 1 2 3 4 5; do
      find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [ -d "$c" ] || break
      sleep 0.2
    done
    [ -d "$c" ] && log "real node: cgroup $c is left (busy)"
  done
  for f in /var/log/containers/*.log; do
    [ -L "$f" ] || continue
    case $(readlink "$f") in "$R"/*) rm -f "$f" ;; esac
  done
  for f in "${socks[@]}"; do
    case $f in /run/containerd/s/*) rm -f "$f" ;; esac
  done
  for f in "${podns[@]}"; do
    [ -e "$f" ] || continue
    umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null || true
    rm -f "$f"
  done
  realnode_machine_lock realnode_sysctl_release
}
