#!/usr/bin/env bash
# Builds the router image from Debian packages, without Docker or a registry:
#   build.sh OUT_TAR
# debootstrap --variant=minbase with frr and iproute2 (Debian has no Quagga; FRR is its
# successor and keeps zebra's configuration language), start.sh as /root/start.sh, packed
# by testenv/dockerarchive.sh into a docker-archive tar that
#   ctr -n k8s.io images import OUT_TAR
# loads as $IMAGE (the image resources/kubernetes/pod.yaml names). Needs root and
# debootstrap. The Debian mirror and suite come from apt's own sources on this machine
# (QUAGGA_IMAGE_MIRROR, QUAGGA_IMAGE_SUITE override them). Reproducible: the same mirror
# state gives the same packages, and mtimes, owners, order and the few date-bearing files
# are normalised; ~2-4 min and ~45 MB of downloads when cold. QUAGGA_IMAGE_BASE_CACHE=DIR
# keeps the debootstrap result there (keyed by suite, mirror and packages), so that a
# change of start.sh rebuilds in seconds.
set -euo pipefail
IMAGE=gantry.local/quagga-router:frr8
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_TAR}
[ "$(id -u)" = 0 ] || { echo "build.sh: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build.sh: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }

# mirror_from_apt prints the first Debian mirror URI apt uses (deb822 or one-line sources).
mirror_from_apt() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' "$f"
  done | head -n 1
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list
  fi
}
mirror=${QUAGGA_IMAGE_MIRROR:-$(mirror_from_apt | head -n 1)}
suite=${QUAGGA_IMAGE_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.quagga-router.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
packages=frr,iproute2
base=""
if [ -n "${QUAGGA_IMAGE_BASE_CACHE:-}" ]; then
  base=$QUAGGA_IMAGE_BASE_CACHE/debootstrap-$suite-$(echo "$mirror $packages" | sha256sum | cut -c1-12).tar
fi
if [ -n "$base" ] && [ -f "$base" ]; then
  echo "build.sh: debootstrap result cached in $base" >&2
  mkdir "$root"
  tar --numeric-owner -xpf "$base" -C "$root"
else
  echo "build.sh: debootstrap $suite from $mirror" >&2
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
    echo "build.sh: debootstrap failed" >&2
    exit 1
  fi
  if [ -n "$base" ]; then
    mkdir -p "$(dirname "$base")"
    tar --numeric-owner -cpf "$base.tmp" -C "$root" . && mv "$base.tmp" "$base"
  fi
fi

# Keep what the router runs; drop caches, logs, docs and what differs from build to build.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
  "$root"/var/lib/dpkg/*-old "$root"/var/cache/ldconfig/aux-cache "$root"/var/log/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/dev/* "$root"/tmp/* "$root"/var/tmp/* "$root"/run/* \
  "$root"/etc/machine-id "$root"/etc/hostname "$root"/etc/resolv.conf "$root"/etc/hosts
find "$root" -name '__pycache__' -prune -exec rm -rf {} +
# The day of the last password change is the build date: leave it empty (no password
# aging; 0 would mean "must change the password now", which makes PAM refuse vtysh).
sed -i -E 's/^([^:]*:[^:]*:)[0-9]*:/\1:/' "$root/etc/shadow"
install -m 0755 "$here/start.sh" "$root/root/start.sh"
: >"$root/etc/frr/vtysh.conf"

SOURCE_DATE_EPOCH=0 bash "$here/../../../testenv/dockerarchive.sh" "$root" "$IMAGE" "$out" \
  '["bash","/root/start.sh"]' /root
