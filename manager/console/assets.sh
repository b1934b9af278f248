#!/usr/bin/env bash
# Copies the console's graph layout library from npm into web/vendor (the
# embedded asset set), after `npm ci` of manager/console/package-lock.json.
# Without npm: a warning (the console then lists the topology), or under
# CI=true a failure.
set -euo pipefail
cd "$(dirname "$0")"
out=web/vendor/dagre.esm.js
if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then echo "npm missing in CI (.ci/install.sh installs it)" >&2; exit 1; fi
  echo "npm not installed: the console is built without its graph layout library (apt-get install npm)" >&2
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
cp node_modules/@dagrejs/dagre/dist/dagre.esm.js "$out.tmp"
mv "$out.tmp" "$out"
cp node_modules/@dagrejs/dagre/LICENSE web/vendor/dagre.LICENSE.txt 2>/dev/null || true
