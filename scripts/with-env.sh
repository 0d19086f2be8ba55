#!/usr/bin/env bash
# Runs a command with the toolchain on PATH (see scripts/env.sh).
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec "$@"
