#!/usr/bin/env bash
# stop: forget the runtime state.
set -euo pipefail
ctx logger info "stopping $(ctx instance id)"
ctx instance runtime-properties started false
