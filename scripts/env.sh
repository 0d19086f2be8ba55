#!/usr/bin/env bash
# Sourced by the project's scripts: puts the project's Node.js (scripts/node.sh) and the toolchain
# on PATH and sets the same Pulumi backend and passphrase settings the service uses (see
# server/config.ts), so `npm run pulumi` and the service see the same stacks.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
. "$ROOT/scripts/node.sh"
aragora_node_locate || echo "[env] no Node.js >= $ARAGORA_NODE_MIN_MAJOR: run 'npm run setup' first" >&2
CACHE_ROOT="${ARAGORA_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aragora-regions}"
if [ -f "$CACHE_ROOT/paths.env" ]; then
  # shellcheck disable=SC1091
  . "$CACHE_ROOT/paths.env"
  export PATH="$PULUMI_BIN_DIR:${HELM_BIN_DIR:+$HELM_BIN_DIR:}$PATH"
fi
export ARAGORA_STATE_DIR="$(realpath -m "${ARAGORA_STATE_DIR:-$ROOT/.aragora}")"
# metadata=skip: no .attrs sidecar files a killed CLI could leave empty (server/engine/stackWorkspaces.ts, defaultBackendUrl).
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ARAGORA_STATE_DIR/backend?metadata=skip}"
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$ARAGORA_STATE_DIR/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_HOME="${PULUMI_HOME:-$ARAGORA_STATE_DIR/pulumi-home}"
export NODE_PATH="$ROOT/node_modules${NODE_PATH:+:$NODE_PATH}"
