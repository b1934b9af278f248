#!/usr/bin/env bash
# create: give the instance an address.
set -euo pipefail
ctx logger info "creating $(ctx instance id) of node $(ctx node id)"
ctx instance runtime-properties address 127.0.0.1
