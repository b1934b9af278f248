#!/usr/bin/env bash
# configure (web): keep the greeting from the operation input.
set -euo pipefail
ctx instance runtime-properties greeting "${greeting}"
