#!/usr/bin/env bash
# configure (database): record the database name from the operation input.
set -euo pipefail
ctx instance runtime-properties db_name "${db_name}"
ctx logger info "database ${db_name} configured"
