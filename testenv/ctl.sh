#!/usr/bin/env bash
# Fault controls for tests on a running test environment ($GANTRY_TESTENV_DIR):
#   ctl.sh stop NAME | start NAME | restart NAME | status
# NAME: sshd, kube-apiserver (or apiserver), etcd, kube-scheduler, kwok,
# kube-controller-manager, and the real node's containerd, apibridge, kubelet. `start`
# waits until the component is healthy again; a restarted component keeps its port,
# certificates and data. Starting kube-apiserver also restarts its running clients
# (kube-scheduler, kwok, kube-controller-manager, kubelet), so they do not sit in a long
# retry backoff (a restarted kubelet keeps the running containers). The env file is
# rewritten with the new pids.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
load_vars

usage() { die "usage: ctl.sh stop|start|restart NAME | status  (NAME: ${testenv_components[*]})"; }
name=${2:-}
[ "$name" = apiserver ] && name=kube-apiserver
if [ "${1:-}" != status ]; then
  [ -n "$name" ] && [ -f "$D/run/$name.sh" ] && enabled "$name" || usage
fi

do_start() {
  if proc_alive "$name"; then
    log "$name already running"
  else
    start_proc "$name"
  fi
  wait_healthy "$name"
  if [ "$name" = kube-apiserver ]; then
    restart_clients
  fi
  write_env
  log "$name running (pid $(cat "$(pidfile "$name")"))"
}

# restart_clients restarts the API server's running clients after the API server came
# back. Their informers retry a refused connection with exponential backoff that grows
# with every outage (up to 30 s plus jitter, reset only after 2 quiet minutes), so after a
# few API server restarts a new pod stayed unscheduled for 50-90 s. Fresh processes list
# at once: pods are scheduled and set Running again within a second or two.
restart_clients() {
  local c clients=()
  for c in kube-scheduler kube-controller-manager kwok kubelet; do
    enabled "$c" && proc_alive "$c" && clients+=("$c")
  done
  [ "${#clients[@]}" -gt 0 ] || return 0
  stop_procs "${clients[@]}"
  for c in "${clients[@]}"; do start_proc "$c"; done
  for c in "${clients[@]}"; do wait_healthy "$c"; done
  log "restarted the API server's clients: ${clients[*]}"
}

case ${1:-} in
  stop)
    stop_procs "$name"
    write_env
    log "$name stopped"
    ;;
  start) do_start ;;
  restart)
    stop_procs "$name"
    do_start
    ;;
  status)
    for n in "${testenv_components[@]}"; do
      enabled "$n" || continue
      if proc_alive "$n"; then s="running pid $(cat "$(pidfile "$n")")"; else s=stopped; fi
      healthy "$n" && s="$s, healthy" || s="$s, not healthy"
      echo "$n: $s"
    done
    ;;
  *) usage ;;
esac
