#!/usr/bin/env bash
# Builds the test environment's binaries (etcd, kube-apiserver, kube-scheduler,
# kube-controller-manager, kwok, and the real node's kubelet) from Go modules into the cache
#   ${GANTRY_TESTENV_CACHE:-~/.cache/gantry/testenv}/<k8s>-<etcd>-<kwok>/bin
# and the real node's router image (blueprints/quagga-router/image/build.sh) into
#   ${GANTRY_TESTENV_CACHE:-~/.cache/gantry/testenv}/images/quagga-router-<hash of its sources>.tar
# What is there already is kept. Cold on 2 cores: ~6 min idle, ~18 min at load 10, and
# ~4 GB of Go build cache (docs/testing.md). The kubelet unless GANTRY_TESTENV_REAL_NODE=0.
# Gantry's own go.mod is never touched: testenv/kube and testenv/etcd are modules of their own.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

mkdir -p "$testenv_bin"
exec 9>"$testenv_bin/.build.lock"
if ! flock -n 9; then
  log "another build holds $testenv_bin/.build.lock; waiting for it"
  flock 9
fi
if binaries_present && [ -f "$(realnode_image_tar)" ]; then
  log "binaries and router image present in $testenv_bin"
  exit 0
fi

# build_one NAME DIR LDFLAGS PKG: go build (or, for PKG@VERSION, go install) with progress.
build_one() {
  local name=$1 dir=$2 ldflags=$3 pkg=$4 out="$testenv_bin/$1" t0 n line logf pid rc=0 gobin
  if [ -x "$out" ]; then log "$name: cached"; return 0; fi
  t0=$(now_ms)
  logf="$testenv_bin/.build-$name.log"
  log "$name: building $pkg (minutes when cold; progress every 20 s)"
  gobin=$(mktemp -d)
  # -v prints each package as it is compiled (cached ones are not printed).
  (
    cd "$dir"
    case $pkg in
      *@*) GOFLAGS=-buildvcs=false GOBIN="$gobin" go install -v -trimpath -ldflags "$ldflags" "$pkg" ;;
      *) go build -v -trimpath -ldflags "$ldflags" -o "$gobin/$name" "$pkg" ;;
    esac
  ) >"$logf" 2>&1 &
  pid=$!
  local next=$((t0 + 20000))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$(now_ms)" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      next=$((next + 20000))
      n=$(grep -cv '^go: ' "$logf" || true)
      line=$(tail -n 1 "$logf" || true)
      log "$name: $n packages compiled, $(secs_since "$t0") s (last: ${line:0:60})"
    fi
  done
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ] || [ ! -x "$gobin/$name" ]; then
    tail -n 30 "$logf" >&2
    rm -rf "$gobin"
    die "$name: build failed (exit $rc, log: $logf)"
  fi
  mv "$gobin/$name" "$out"
  rm -rf "$gobin"
  log "$name: done in $(secs_since "$t0") s ($(du -h "$out" | cut -f1))"
}

t_all=$(now_ms)
# The router image (the real node runs it, and so does the runtime self-test) is built while
# the Go binaries compile: cold, debootstrap waits mostly on the mirror and the disk (~2 min
# of CPU in 10-16 min of wall time on a loaded machine). Its output goes to its own log.
image_pid=""
if [ ! -f "$(realnode_image_tar)" ]; then
  realnode_build_image 2>"$testenv_bin/.build-router-image.log" &
  image_pid=$!
  log "router image: building in the background (log: $testenv_bin/.build-router-image.log)"
fi
# wait_image waits for the background image build (also when a Go build failed, so that no
# debootstrap is left writing behind us) and fails if it did.
wait_image() {
  local rc=0
  [ -n "$image_pid" ] || return 0
  wait "$image_pid" || rc=$?
  image_pid=""
  cat "$testenv_bin/.build-router-image.log" >&2
  [ "$rc" = 0 ] || die "router image build failed (exit $rc, log: $testenv_bin/.build-router-image.log)"
}
trap 'wait_image || true' EXIT
kv=${K8S_VERSION#v}
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=${kv%%.*} -X $p.gitMinor=$(echo "$kv" | cut -d. -f2) -X $p.gitTreeState=clean"
done
grep -q "k8s.io/kubernetes $K8S_VERSION" "$testenv_src/kube/go.mod" ||
  die "testenv/kube/go.mod is not for $K8S_VERSION: run bash testenv/genmod.sh"
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$testenv_src/etcd/go.mod" ||
  die "testenv/etcd/go.mod is not for $ETCD_VERSION: run bash testenv/genmod.sh"

build_one etcd "$testenv_src/etcd" "-s -w" .
build_one kube-apiserver "$testenv_src/kube" "$ld" k8s.io/kubernetes/cmd/kube-apiserver
build_one kube-scheduler "$testenv_src/kube" "$ld" k8s.io/kubernetes/cmd/kube-scheduler
build_one kube-controller-manager "$testenv_src/kube" "$ld" k8s.io/kubernetes/cmd/kube-controller-manager
# kwok's go.mod has no replace directives: go install pkg@version builds it with its own
# dependency set (client-go of its choice), outside any module of ours.
build_one kwok "$testenv_bin" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
  "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
if realnode_wanted; then
  build_one kubelet "$testenv_src/kube" "$ld" k8s.io/kubernetes/cmd/kubelet
fi
wait_image
binaries_present || die "not all binaries were built into $testenv_bin"
log "all binaries built in $(secs_since "$t_all") s into $testenv_bin"
