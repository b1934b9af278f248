#!/usr/bin/env bash
# The Quagga image's entry point: write zebra.conf from INTERFACES and ROUTES
# (comma-separated), then start the router and keep the container alive.
# QUAGGA_CONF_DIR and QUAGGA_NO_START=1 let tests run it against a temporary
# folder without starting the router.
set -euo pipefail
conf_dir="${QUAGGA_CONF_DIR:-/etc/quagga}"
conf="$conf_dir/zebra.conf"
mkdir -p "$conf_dir"
IFS=","
for i in ${INTERFACES:-}; do
  [ -n "$i" ] && echo "interface $i" >> "$conf"
done
for r in ${ROUTES:-}; do
  [ -n "$r" ] && echo "ip route $r" >> "$conf"
done
unset IFS
[ "${QUAGGA_NO_START:-0}" = 1 ] && exit 0
service quagga start
exec tail -f /dev/null
