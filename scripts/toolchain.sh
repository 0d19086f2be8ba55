#!/usr/bin/env bash
# Installs what Aragora Regions needs beyond npm packages, idempotently and cached:
#   - the Pulumi CLI (a `pulumi` on PATH when recent enough, else built from Go modules),
#     with pulumi-resource-pulumi-nodejs beside it so dynamic providers work;
#   - one attempt at pulumi-language-nodejs (only needed for a manual `pulumi up`);
#   - helm (for `helm lint` / `helm template` of charts/aragora);
#   - PostgreSQL, Redis, Sentinel and HAProxy for the local target (Debian packages).
# Prints the directory holding the CLI as its last line: `PULUMI_BIN_DIR=<dir>`.
set -euo pipefail

PULUMI_VERSION="${ARAGORA_PULUMI_VERSION:-3.274.1}"
HELM_VERSION="${ARAGORA_HELM_VERSION:-3.22.0}"
# A pseudo-version of the v3.274.1 release commit for the untagged language-host module.
LANGHOST_PSEUDO="${ARAGORA_LANGHOST_VERSION:-}"
CACHE_ROOT="${ARAGORA_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aragora-regions}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$CACHE_ROOT/pulumi/v$PULUMI_VERSION/bin"
HELM_BIN="$CACHE_ROOT/helm/v$HELM_VERSION/bin"

log() { printf '[toolchain] %s\n' "$*" >&2; }

version_ge() { # $1 >= $2 (dotted versions)
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

sdk_version() {
  node -p "require('$ROOT/node_modules/@pulumi/pulumi/package.json').version" 2>/dev/null || echo 3.248.0
}

# Runs a long build with a heartbeat, so it never looks hung.
with_heartbeat() {
  local label="$1"; shift
  local start=$SECONDS
  ( while sleep 20; do log "$label: still building ($((SECONDS - start)) s)"; done ) &
  local hb=$!
  local rc=0
  "$@" || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  return $rc
}

go_wrapper_build() { # dir module version pkg out ldflags
  local dir="$1" module="$2" version="$3" pkg="$4" out="$5" ldflags="$6"; shift 6
  mkdir -p "$dir"
  (
    cd "$dir"
    [ -f go.mod ] || go mod init aragora-toolchain/build >/dev/null 2>&1
    GOFLAGS=-mod=mod go get "$module@$version" "$pkg@$version" "$@" >&2
    CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$out" "$pkg" >&2
  )
}

ensure_pulumi() {
  local want_min; want_min="$(sdk_version)"
  if command -v pulumi >/dev/null 2>&1 && [ "$(command -v pulumi)" != "$BIN/pulumi" ]; then
    local have; have="$(pulumi version 2>/dev/null | sed 's/^v//')"
    if [ -n "$have" ] && version_ge "$have" "$want_min"; then
      log "using pulumi $have from PATH"
      PULUMI_DIR="$(dirname "$(command -v pulumi)")"
      return
    fi
    log "pulumi on PATH is ${have:-unversioned}, older than the SDK's $want_min: building our own"
  fi
  PULUMI_DIR="$BIN"
  if [ -x "$BIN/pulumi" ] && [ -n "$("$BIN/pulumi" version 2>/dev/null)" ]; then
    log "pulumi v$PULUMI_VERSION cached"
  else
    command -v go >/dev/null || { log "Go is required to build the Pulumi CLI (no pulumi on PATH)"; exit 1; }
    log "building pulumi v$PULUMI_VERSION from Go modules (first time only; takes several minutes)"
    local t0=$SECONDS
    mkdir -p "$BIN"
    with_heartbeat "pulumi" go_wrapper_build "$CACHE_ROOT/pulumi/v$PULUMI_VERSION/build" \
      "github.com/pulumi/pulumi/pkg/v3" "v$PULUMI_VERSION" \
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" "$BIN/pulumi.tmp" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
    mv "$BIN/pulumi.tmp" "$BIN/pulumi"
    log "pulumi v$PULUMI_VERSION built in $((SECONDS - t0)) s"
  fi
  # The dynamic-provider shim ships in the npm package; the engine looks for it next to the CLI.
  local shim="$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$shim" ]; then
    cp "$shim" "$BIN/pulumi-resource-pulumi-nodejs"
    chmod +x "$BIN/pulumi-resource-pulumi-nodejs"
  fi
}

ensure_langhost() {
  [ "$PULUMI_DIR" = "$BIN" ] || return 0
  [ -x "$BIN/pulumi-language-nodejs" ] && return 0
  local marker="$CACHE_ROOT/pulumi/v$PULUMI_VERSION/langhost-attempted"
  [ -f "$marker" ] && return 0
  touch "$marker"
  if [ -z "$LANGHOST_PSEUDO" ]; then
    LANGHOST_PSEUDO="$(GOFLAGS=-mod=mod go list -m -f '{{.Version}}' \
      "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v$PULUMI_VERSION" 2>/dev/null || true)"
  fi
  if [ -z "$LANGHOST_PSEUDO" ]; then
    log "pulumi-language-nodejs: the module proxy serves no version for v$PULUMI_VERSION;"
    log "  manual 'pulumi up' needs an official Pulumi install (the service does not need it)"
    return 0
  fi
  log "building pulumi-language-nodejs $LANGHOST_PSEUDO (one attempt)"
  if with_heartbeat "language host" go_wrapper_build "$CACHE_ROOT/pulumi/v$PULUMI_VERSION/langhost" \
      "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3" "$LANGHOST_PSEUDO" \
      "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3" "$BIN/pulumi-language-nodejs" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION"; then
    log "pulumi-language-nodejs built"
  else
    log "pulumi-language-nodejs could not be built; manual 'pulumi up' needs an official Pulumi install"
  fi
}

ensure_helm() {
  if command -v helm >/dev/null 2>&1; then HELM_DIR="$(dirname "$(command -v helm)")"; return; fi
  HELM_DIR="$HELM_BIN"
  [ -x "$HELM_BIN/helm" ] && return 0
  log "building helm v$HELM_VERSION from Go modules (first time only)"
  mkdir -p "$HELM_BIN"
  with_heartbeat "helm" go_wrapper_build "$CACHE_ROOT/helm/v$HELM_VERSION/build" \
    "helm.sh/helm/v3" "v$HELM_VERSION" "helm.sh/helm/v3/cmd/helm" "$HELM_BIN/helm" \
    "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" || {
      log "helm could not be built; chart tests will fail"; return 1; }
}

ensure_local_target() {
  local missing=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v haproxy >/dev/null || missing+=(haproxy)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing ${missing[*]} (Debian packages, services kept from auto-starting)"
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
    fi
    (apt-get install -y -q "${missing[@]}" >&2) || { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; }
    if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    log "the local target needs: sudo apt-get install -y ${missing[*]}"
  fi
}

stamp="$CACHE_ROOT/.ready-v$PULUMI_VERSION-$HELM_VERSION"
ensure_local_target
ensure_pulumi
ensure_langhost
ensure_helm || true
mkdir -p "$CACHE_ROOT"
printf 'PULUMI_BIN_DIR=%s\nHELM_BIN_DIR=%s\n' "$PULUMI_DIR" "${HELM_DIR:-}" > "$CACHE_ROOT/paths.env"
echo "PULUMI_BIN_DIR=$PULUMI_DIR"
