#!/usr/bin/env bash
# One setup step behind `npm start` and `npm test`: Node.js (scripts/node.sh), npm packages when the
# lockfile changed, then the toolchain (Pulumi CLI, helm, local-target binaries and daemon user),
# then a build of the TypeScript. Idempotent: a warm run takes a second or two.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[setup] %s\n' "$*" >&2; }
t0=$SECONDS
lap() { log "$1 ($((SECONDS - t0)) s)"; t0=$SECONDS; }

. scripts/node.sh
aragora_node_ensure
lap "node $(node --version)"

stamp=node_modules/.aragora-lock-hash
want="$(cat package-lock.json package.json | sha256sum | cut -d' ' -f1)-$(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages (npm ci, no install scripts)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  allowed="$(node scripts/checkInstallScripts.js)"
  if [ -n "$allowed" ]; then
    log "running the install scripts allowScripts allows: $allowed"
    # shellcheck disable=SC2086
    npm rebuild --ignore-scripts=false --loglevel=error $allowed >&2
  fi
  echo "$want" > "$stamp"
  lap "npm packages"
fi

bash scripts/toolchain.sh >/dev/null
lap "toolchain"

# Compile to dist/ (transpile only; `npm run typecheck` is the type gate) when sources changed.
src_hash="$(find stacks components server bench package-lock.json tsconfig.json tsconfig.build.json -type f \( -name '*.ts' -o -name '*.json' \) -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ ! -f dist/.src-hash ] || [ "$(cat dist/.src-hash)" != "$src_hash" ]; then
  log "building dist/"
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.build.json
  echo "$src_hash" > dist/.src-hash
  lap "build"
fi
