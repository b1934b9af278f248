#!/usr/bin/env bash
# The router image's entry point (PID 1 of the container): writes zebra's configuration
# from INTERFACES and ROUTES (comma-separated; a route is "PREFIX GATEWAY"), starts FRR's
# zebra and staticd with it, and stays up until SIGTERM, when it stops both daemons so
# that zebra withdraws the routes it installed before the container exits.
#
# FRR 8 (Quagga's successor; Debian has no Quagga) reads `ip route` in staticd, not in
# zebra: both daemons are started with the one file. QUAGGA_CONF_DIR and QUAGGA_NO_START=1
# let tests run this script against a temporary folder without starting the router.
set -euo pipefail
conf_dir="${QUAGGA_CONF_DIR:-/etc/frr}"
run_dir="${QUAGGA_RUN_DIR:-/run/frr}"
conf="$conf_dir/zebra.conf"
mkdir -p "$conf_dir"
: >"$conf"
IFS=","
for i in ${INTERFACES:-}; do
  [ -n "$i" ] && echo "interface $i" >>"$conf"
done
for r in ${ROUTES:-}; do
  [ -n "$r" ] && echo "ip route $r" >>"$conf"
done
unset IFS
[ "${QUAGGA_NO_START:-0}" = 1 ] && exit 0

mkdir -p "$run_dir" /var/log/frr
chown -R frr:frr "$conf_dir" "$run_dir" /var/log/frr
daemons="zebra staticd"
stop() {
  local d pid
  # staticd first, then zebra: zebra removes its routes from the kernel when it exits.
  for d in staticd zebra; do
    pid=$(cat "$run_dir/$d.pid" 2>/dev/null || true)
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  echo "router: stopped, routes withdrawn"
  exit 0
}
trap stop TERM INT
for d in $daemons; do
  "/usr/lib/frr/$d" -d -f "$conf" -i "$run_dir/$d.pid" --vty_socket "$run_dir"
done
echo "router: zebra and staticd running with $conf:"
cat "$conf"
# Wait in the background so that the trap runs as soon as SIGTERM arrives.
while true; do
  sleep 3600 &
  wait $! || true
done
