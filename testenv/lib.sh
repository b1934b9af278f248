# Shared helpers for testenv/*.sh (sourced, not run).
# shellcheck shell=bash

testenv_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$testenv_src/versions.env"

# Binary cache, kept across runs and clones, keyed by the versions.
GANTRY_TESTENV_CACHE=${GANTRY_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry/testenv}
testenv_bin=${GANTRY_TESTENV_BIN:-$GANTRY_TESTENV_CACHE/$K8S_VERSION-$ETCD_VERSION-$KWOK_VERSION/bin}
# State of one running environment (certs, etcd data, logs, pids, keys, env file).
GANTRY_TESTENV_DIR=${GANTRY_TESTENV_DIR:-/tmp/gantry-testenv}

testenv_binaries=(etcd kube-apiserver kube-scheduler kube-controller-manager kwok)
# The real node (realnode.sh): on by default, so CI runs it (it needs root and a kubelet,
# which build.sh then builds); GANTRY_TESTENV_REAL_NODE=0 is the opt-out for quick runs.
GANTRY_TESTENV_REAL_NODE=${GANTRY_TESTENV_REAL_NODE:-1}
if [ "$GANTRY_TESTENV_REAL_NODE" = 1 ]; then testenv_binaries+=(kubelet); fi

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# now_ms prints a monotonic-enough wall clock in milliseconds.
now_ms() { date +%s%3N; }

# secs_since START_MS prints the seconds elapsed since START_MS with one decimal.
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }

# binaries_present succeeds when every binary (and the real node's router image) is cached.
binaries_present() {
  local b
  for b in "${testenv_binaries[@]}"; do [ -x "$testenv_bin/$b" ] || return 1; done
  if realnode_wanted; then [ -f "$(realnode_image_tar)" ] || return 1; fi
}

# ---- state of one environment ------------------------------------------------------------
# $GANTRY_TESTENV_DIR/
#   env            KEY=VALUE lines for clients (testenv.Require reads it)
#   vars           the static part of env (ports, paths), written once by up.sh
#   run/NAME.sh    how to start component NAME (used by up.sh and ctl.sh restarts)
#   pids/NAME.pid  pid of the running component NAME; logs/NAME.log its output
#   pki/ ssh/ etcd/ kubeconfig ...
D=$GANTRY_TESTENV_DIR

# Components in start order; sshd first since it needs nothing else. containerd, apibridge
# and kubelet make the real node (realnode.sh).
testenv_components=(sshd etcd kube-apiserver kube-scheduler kube-controller-manager kwok
  containerd apibridge kubelet)

# load_vars reads $D/vars (ports and paths of this environment) into the shell.
load_vars() {
  [ -f "$D/vars" ] || die "no test environment in $D (run: make testenv-up)"
  local k v
  while IFS='=' read -r k v; do
    case $k in ''|'#'*) continue ;; esac
    export "$k=$v"
  done <"$D/vars"
}

# port_in_use PORT succeeds when any local TCP socket (v4 or v6, any state) uses PORT.
port_in_use() {
  local hex
  hex=$(printf ':%04X ' "$1")
  grep -qi -- "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port prints a TCP port that is free right now, below the kernel's ephemeral range
# (so outgoing connections do not take it before the component binds it) and not handed
# out earlier in this run.
testenv_ports_taken=" "
free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    case $testenv_ports_taken in *" $p "*) continue ;; esac
    port_in_use "$p" && continue
    testenv_ports_taken="$testenv_ports_taken$p "
    echo "$p"
    return 0
  done
  die "no free TCP port found in 20000-31999"
}

pidfile() { echo "$D/pids/$1.pid"; }

# pid_running PID succeeds while PID has not fully exited: it exists and is not a zombie
# waiting to be reaped. The main thread of a multi-threaded process (kube-apiserver, etcd)
# shows as a zombie while its other threads are still exiting and holding ports and files:
# that still counts as running.
pid_running() {
  local state tasks
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] || return 1
  [ "$state" != Z ] && return 0
  tasks=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  [ "$tasks" -gt 1 ]
}

# group_running PGID succeeds while a process of group PGID has not fully exited.
group_running() {
  local want=$1 f line pid pgrp
  # Fast path: no member at all (not even an unreaped zombie).
  kill -0 -- "-$want" 2>/dev/null || return 1
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    pid=${line%% *}
    # After "(comm) ": state ppid pgrp ...
    read -r _ _ pgrp _ <<<"${line##*) }"
    if [ "$pgrp" = "$want" ] && pid_running "$pid"; then return 0; fi
  done
  return 1
}

# proc_alive NAME succeeds when NAME's recorded pid is alive and is still our process
# (its command line mentions $D, so a recycled pid is never mistaken for it).
proc_alive() {
  local f pid
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && pid_running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$D"
}

# start_proc NAME runs $D/run/NAME.sh in its own session (so it outlives the caller and its
# process group is its pid), stdout+stderr appended to $D/logs/NAME.log, pid recorded.
start_proc() {
  local name=$1 pid
  proc_alive "$name" && die "$name is already running (pid $(cat "$(pidfile "$name")"))"
  printf '\n==== start %s\n' "$(date '+%F %T')" >>"$D/logs/$name.log"
  # Without job control the background child is not a group leader, so setsid execs in
  # place and $! is the component's own pid.
  setsid bash "$D/run/$name.sh" </dev/null >>"$D/logs/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$(pidfile "$name")"
}

# stop_procs NAME...: SIGTERM to each recorded pid, SIGKILL after its grace period, then
# SIGKILL to anything left in their process groups. By recorded pid only, never by name.
# kube-apiserver gets 3 s: it stops listening at once but then waits for clients' watches
# (kube-scheduler, kwok) to drain, which can take more than 15 s when they keep running.
stop_procs() {
  local name pid pids=() graces=() i j left
  for name in "$@"; do
    if proc_alive "$name"; then
      pid=$(cat "$(pidfile "$name")")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      case $name in kube-apiserver) graces+=(30) ;; *) graces+=(150) ;; esac
    fi
  done
  for i in $(seq 1 150); do
    left=0
    for j in "${!pids[@]}"; do
      pid=${pids[$j]}
      pid_running "$pid" || continue
      if [ "$i" -eq "${graces[$j]}" ]; then
        log "pid $pid still running $((graces[j] / 10)) s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      left=1
    done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    # Started with setsid: the process group id is the component's pid.
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  # SIGKILL is asynchronous: return only once every process has fully exited (its ports
  # and files released), so that a restart or the next up.sh never finds them busy.
  for i in $(seq 1 100); do
    left=0
    for pid in "${pids[@]}"; do
      if pid_running "$pid" || group_running "$pid"; then left=1; fi
    done
    [ "$left" = 0 ] && break
    [ "$i" -eq 100 ] && log "WARNING: processes of ${pids[*]} still exiting 10 s after SIGKILL"
    sleep 0.1
  done
  for name in "$@"; do rm -f "$(pidfile "$name")"; done
}

# healthy NAME succeeds when component NAME answers its health check once.
healthy() {
  case $1 in
    etcd) curl -fsS -m 2 "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 ;;
    kube-apiserver) curl -fsS -m 2 --cacert "$D/pki/ca.crt" "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1 ;;
    kube-scheduler) curl -fsSk -m 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" >/dev/null 2>&1 ;;
    kube-controller-manager) curl -fsSk -m 2 "https://127.0.0.1:$KCM_PORT/healthz" >/dev/null 2>&1 ;;
    kwok) curl -fsS -m 2 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null 2>&1 ;;
    sshd) ssh_banner ;;
    containerd | apibridge | kubelet) realnode_healthy "$1" ;;
    *) return 1 ;;
  esac
}

# ssh_banner succeeds when sshd answers with its protocol banner.
ssh_banner() {
  local banner
  # (a bare `exec ... 2>/dev/null` would silence the shell's stderr for good)
  { exec 8<>"/dev/tcp/127.0.0.1/$SSH_PORT"; } 2>/dev/null || return 1
  IFS= read -r -t 2 banner <&8 || true
  exec 8<&- 8>&-
  [[ $banner == SSH-2.0-* ]]
}

# wait_healthy NAME: waits up to $GANTRY_TESTENV_TIMEOUT s; on failure (or if the process
# dies) prints the tail of its log and fails.
wait_healthy() {
  local name=$1 deadline
  deadline=$(( $(date +%s) + ${GANTRY_TESTENV_TIMEOUT:-90} ))
  while ! healthy "$name"; do
    if ! proc_alive "$name"; then
      log "$name exited during start; last lines of $D/logs/$name.log:"
      tail -n 25 "$D/logs/$name.log" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name not healthy after ${GANTRY_TESTENV_TIMEOUT:-90} s; last lines of $D/logs/$name.log:"
      tail -n 25 "$D/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# enabled NAME succeeds when component NAME is part of this environment.
enabled() {
  case $1 in
    kube-controller-manager) [ "${KCM:-0}" = 1 ] ;;
    containerd | apibridge | kubelet) [ "${REAL_NODE:-0}" = 1 ] ;;
    *) return 0 ;;
  esac
}

# write_env (re)writes $D/env: the static vars plus the current pids. Atomic (rename).
write_env() {
  local name f pid key
  {
    cat "$D/vars"
    for name in "${testenv_components[@]}"; do
      enabled "$name" || continue
      f=$(pidfile "$name")
      pid=$(cat "$f" 2>/dev/null || true)
      key=$(echo "$name" | tr 'a-z-' 'A-Z_')
      echo "GANTRY_TESTENV_PID_$key=$pid"
    done
  } >"$D/env.tmp"
  chmod 0600 "$D/env.tmp"
  mv "$D/env.tmp" "$D/env"
}

# rss_kib [NAME...] prints the summed resident memory (KiB) of the running components
# (all of them without arguments).
rss_kib() {
  local name pid total=0 kb
  [ $# -gt 0 ] || set -- "${testenv_components[@]}"
  for name in "$@"; do
    proc_alive "$name" || continue
    pid=$(cat "$(pidfile "$name")")
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# shellcheck source=realnode.sh
. "$testenv_src/realnode.sh"
