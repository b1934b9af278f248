#!/usr/bin/env bash
# start: pretend to start the service.
set -euo pipefail
ctx logger info "$(ctx node id) listening on port $(ctx node properties port)"
ctx instance runtime-properties started true
