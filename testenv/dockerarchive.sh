#!/usr/bin/env bash
# Packs a root file system into a one-layer image in docker-archive format (what `docker
# save` writes), which `ctr -n k8s.io images import` loads: no Docker, no registry.
#   dockerarchive.sh ROOTFS_DIR IMAGE_REF OUT_TAR CMD_JSON [WORKDIR]
# e.g. dockerarchive.sh rootfs gantry.local/pause:1 pause.tar '["/pause"]'
# Reproducible: entries sorted by name, owners numeric, every mtime set to
# $SOURCE_DATE_EPOCH (default 0), no creation date in the config; the same tree gives the
# same bytes and the same image ID.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: dockerarchive.sh ROOTFS_DIR IMAGE_REF OUT_TAR CMD_JSON [WORKDIR]" >&2; exit 2; }
rootfs=$1 ref=$2 out=$3 cmd=$4 workdir=${5:-/}
[ -d "$rootfs" ] || { echo "dockerarchive: $rootfs is not a directory" >&2; exit 1; }
epoch=${SOURCE_DATE_EPOCH:-0}
work=$(mktemp -d "${out%/*}/.dockerarchive.XXXXXX")
trap 'rm -rf "$work"' EXIT

tar --sort=name --numeric-owner --mtime="@$epoch" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$rootfs" -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/$layer"
mv "$work/layer.tar" "$work/$layer/layer.tar"
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"WorkingDir":"%s"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(go env GOARCH 2>/dev/null || echo amd64)" "$cmd" "$workdir" "$layer" >"$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$config.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$ref" "$layer" >"$work/manifest.json"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$epoch" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$work" -cf "$out.tmp" manifest.json "$config.json" "$layer"
mv "$out.tmp" "$out"
echo "sha256:$config"
