#!/usr/bin/env bash
# establish (web -> database): copy the database's address onto the web server.
set -euo pipefail
host=$(ctx target instance runtime-properties address)
port=$(ctx target node properties port)
db=$(ctx target instance runtime-properties db_name)
ctx source instance runtime-properties database_url "postgres://${host}:${port}/${db}"
ctx logger info "web connected to postgres://${host}:${port}/${db}"
