#!/usr/bin/env bash
# Installs the system packages and Go tools the tests need (idempotent).
set -euo pipefail
need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v curl >/dev/null || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=120 update -qq
  apt-get -o DPkg::Lock::Timeout=120 install -y -qq "${need_apt[@]}"
fi
if ! command -v staticcheck >/dev/null 2>&1; then
  go install honnef.co/go/tools/cmd/staticcheck@latest || echo "staticcheck install failed; lint runs without it"
fi
