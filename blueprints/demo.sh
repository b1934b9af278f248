#!/usr/bin/env bash
# The README's main command: validates and plans every example blueprint.
set -euo pipefail
cd "$(dirname "$0")/.."
for bp in blueprints/*/blueprint.yaml; do
  echo "== $bp"
  ./bin/gantry blueprints validate "$bp"
  ./bin/gantry blueprints plan --seed 1 "$bp"
done
