#!/usr/bin/env bash
# Installs what Aragora Regions needs beyond Node.js and npm packages, idempotently and cached
# under the toolchain cache (ARAGORA_TOOLCHAIN_DIR, default ~/.cache/aragora-regions):
#   - the Pulumi CLI: a `pulumi` on PATH when at least the SDK's version, else built from the
#     committed Go module scripts/toolchain/pulumi (go.mod + go.sum, -mod=readonly), cached by
#     version and go.sum, with pulumi-resource-pulumi-nodejs beside it (the aws target's dynamic resources need it);
#   - helm, the same way from scripts/toolchain/helm (for `helm lint` / `helm template`);
#   - PostgreSQL, Redis, Sentinel and HAProxy for the local target (Debian packages), and, as root,
#     the unprivileged system user their daemons run as.
# Prints the directory holding the CLI as its last line: `PULUMI_BIN_DIR=<dir>`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_ROOT="${ARAGORA_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aragora-regions}"
# The Go modules that build the CLI and helm are committed (scripts/toolchain/*/go.mod, go.sum):
# their versions come from there, and a build checks every module against go.sum.
MODULES="${ARAGORA_TOOLCHAIN_MODULES:-$ROOT/scripts/toolchain}"
PULUMI_MOD="$MODULES/pulumi"
HELM_MOD="$MODULES/helm"

mod_version() { # module-dir module-path: the version go.mod requires
  sed -n "s|^[[:space:]]*$2 \(v[^ ]*\).*|\1|p" "$1/go.mod" | head -n1
}
sum_key() { sha256sum "$1/go.sum" | cut -c1-12; }

PULUMI_VERSION="$(mod_version "$PULUMI_MOD" github.com/pulumi/pulumi/pkg/v3)"; PULUMI_VERSION="${PULUMI_VERSION#v}"
HELM_VERSION="$(mod_version "$HELM_MOD" helm.sh/helm/v3)"; HELM_VERSION="${HELM_VERSION#v}"
BIN="$CACHE_ROOT/pulumi/v$PULUMI_VERSION-$(sum_key "$PULUMI_MOD")/bin"
HELM_BIN="$CACHE_ROOT/helm/v$HELM_VERSION-$(sum_key "$HELM_MOD")/bin"

log() { printf '[toolchain] %s\n' "$*" >&2; }

version_ge() { # $1 >= $2 (dotted versions)
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

sdk_version() {
  node -p "require('$ROOT/node_modules/@pulumi/pulumi/package.json').version" 2>/dev/null || echo "$PULUMI_VERSION"
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

go_tool_build() { # module-dir package out ldflags
  local dir="$1" pkg="$2" out="$3" ldflags="$4" log rc=0
  log="$(mktemp)"
  (
    cd "$dir"
    GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
      go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$out" "$pkg"
  ) >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    cat "$log" >&2
    if grep -q 'checksum mismatch\|SECURITY ERROR\|missing go.sum entry\|updates to go.mod needed' "$log"; then
      log "REFUSED: a Go module does not match the checksums recorded in $dir/go.sum (or is not recorded there)."
      log "  Nothing was installed. If a version change is intended, update the module on purpose:"
      log "  (cd $dir && GOFLAGS=-mod=mod go get -tool <module>@<version> && go mod tidy), then commit go.mod and go.sum."
    fi
  fi
  rm -f "$log"
  return $rc
}

ensure_pulumi() {
  local want_min; want_min="$(sdk_version)"
  if [ "$want_min" != "$PULUMI_VERSION" ]; then
    log "scripts/toolchain/pulumi/go.mod builds pulumi v$PULUMI_VERSION but @pulumi/pulumi is $want_min: keep them at one version"
    exit 1
  fi
  # A `pulumi` on PATH that is not one of ours (the cache's dirs can be on PATH via scripts/env.sh).
  local onpath; onpath="$(command -v pulumi 2>/dev/null || true)"
  case "$onpath" in "$CACHE_ROOT"/pulumi/*) onpath="" ;; esac
  if [ -n "$onpath" ]; then
    local have; have="$("$onpath" version 2>/dev/null | sed 's/^v//')"
    if [ -n "$have" ] && version_ge "$have" "$want_min"; then
      log "using pulumi $have from PATH"
      # The engine adapter expects <dir>/bin/pulumi (the Automation API's layout) and the
      # dynamic-provider shim beside it: a directory of our own that links to the one on PATH.
      PULUMI_DIR="$CACHE_ROOT/pulumi/from-path/bin"
      mkdir -p "$PULUMI_DIR"
      ln -sfn "$(readlink -f "$onpath")" "$PULUMI_DIR/pulumi"
      install_shim "$PULUMI_DIR"
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
    with_heartbeat "pulumi" go_tool_build "$PULUMI_MOD" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$BIN/pulumi.tmp" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
    mv "$BIN/pulumi.tmp" "$BIN/pulumi"
    log "pulumi v$PULUMI_VERSION built in $((SECONDS - t0)) s"
  fi
  install_shim "$BIN"
}

# The dynamic-provider shim ships in the npm package; the engine looks for it next to the CLI.
install_shim() {
  local shim="$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [ -f "$shim" ]; then
    cp "$shim" "$1/pulumi-resource-pulumi-nodejs"
    chmod +x "$1/pulumi-resource-pulumi-nodejs"
  fi
}

ensure_helm() {
  # A `helm` on PATH that is not one of ours (another cached build must not stand in for this go.sum's).
  local onpath; onpath="$(command -v helm 2>/dev/null || true)"
  case "$onpath" in "$CACHE_ROOT"/helm/*) onpath="" ;; esac
  if [ -n "$onpath" ]; then HELM_DIR="$(dirname "$onpath")"; return; fi
  HELM_DIR="$HELM_BIN"
  [ -x "$HELM_BIN/helm" ] && return 0
  command -v go >/dev/null || { log "Go is required to build helm (no helm on PATH)"; return 1; }
  log "building helm v$HELM_VERSION from Go modules (first time only)"
  local t0=$SECONDS
  mkdir -p "$HELM_BIN"
  with_heartbeat "helm" go_tool_build "$HELM_MOD" helm.sh/helm/v3/cmd/helm "$HELM_BIN/helm.tmp" \
    "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" || {
      log "helm could not be built"; return 1; }
  mv "$HELM_BIN/helm.tmp" "$HELM_BIN/helm"
  log "helm v$HELM_VERSION built in $((SECONDS - t0)) s"
}

# The unprivileged user the local target's daemons run as when the service runs as root
# (components/local/impl/proc.ts creates it too, with the same command, if it is missing).
DAEMON_USER="${ARAGORA_DAEMON_USER:-aragora}"

ensure_local_target() {
  local missing=()
  # Debian puts haproxy in /usr/sbin, which a normal user's PATH often lacks (the service adds it).
  local PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
  [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v setpriv >/dev/null || missing+=(util-linux)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      log "installing ${missing[*]} (Debian packages, services kept from auto-starting)"
      local made_policy=0
      if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
      fi
      local t0=$SECONDS
      (apt-get install -y -q "${missing[@]}" >&2) || { apt-get update -q >&2 && apt-get install -y -q "${missing[@]}" >&2; }
      if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
      log "Debian packages installed in $((SECONDS - t0)) s"
    else
      log "the local target needs: sudo apt-get install -y ${missing[*]}"
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! getent passwd "$DAEMON_USER" >/dev/null; then
    log "creating the system user $DAEMON_USER, which runs the local target's daemons"
    useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$DAEMON_USER"
  fi
}

ensure_local_target
ensure_pulumi
ensure_helm
mkdir -p "$CACHE_ROOT"
printf 'PULUMI_BIN_DIR=%s\nHELM_BIN_DIR=%s\n' "$PULUMI_DIR" "${HELM_DIR:-}" > "$CACHE_ROOT/paths.env.tmp"
mv "$CACHE_ROOT/paths.env.tmp" "$CACHE_ROOT/paths.env"
echo "PULUMI_BIN_DIR=$PULUMI_DIR"
