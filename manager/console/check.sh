#!/usr/bin/env bash
# Syntax-checks the console's ES modules with node (used while editing).
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$(dirname "$0")/web"
for f in $(find . -name '*.js' ! -path './vendor/*'); do cp "$f" "$tmp/m.mjs"; node --check "$tmp/m.mjs" || { echo "in $f" >&2; exit 1; }; done
