#!/usr/bin/env bash
# Installs the system packages and Go tools the tests need (idempotent).
set -euo pipefail
need_apt=()
# The e2e test environment (testenv/) runs a real sshd and uses the ssh client tools.
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
command -v setsid >/dev/null && command -v flock >/dev/null || need_apt+=(util-linux)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
command -v dot >/dev/null || need_apt+=(graphviz)   # checks the DOT pictures `blueprints graph` draws
# The test environment's real node (testenv/realnode.sh): Debian's containerd 1.6 and runc,
# the CNI plugins, debootstrap for the router image, ip/nsenter, ping for the routing tests.
command -v containerd >/dev/null || need_apt+=(containerd)
command -v runc >/dev/null || need_apt+=(runc)
[ -x /usr/lib/cni/bridge ] || need_apt+=(containernetworking-plugins)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v ip >/dev/null || need_apt+=(iproute2)
command -v nsenter >/dev/null || need_apt+=(util-linux)
command -v ping >/dev/null || need_apt+=(iputils-ping)
# The web console (manager/console): npm fetches its graph layout library and
# playwright-core, which drives Debian's chromium in the browser test (no browser
# download). Adds ~150 MB of packages; see docs/console.md for the time it takes.
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_apt[@]}"
fi
if ! command -v staticcheck >/dev/null 2>&1; then
  go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
# The console's npm packages (manager/console/package-lock.json) and its vendored
# layout library; `make build` runs the same step.
bash "$(dirname "$0")/../manager/console/assets.sh"
command -v kubectl >/dev/null || echo "WARNING: kubectl not found; the e2e tests need it in PATH" >&2
# Kubernetes/etcd/kwok binaries, the kubelet and the router image for the e2e test
# environment, cached by version under ~/.cache/gantry/testenv (cold: ~6 min on 2 idle
# cores, ~18 min at load 10; cached: instant).
bash "$(dirname "$0")/../testenv/build.sh"
