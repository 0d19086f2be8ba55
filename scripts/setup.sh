#!/usr/bin/env bash
# One setup step behind `npm start` and `npm test`: npm packages when the lockfile changed,
# then the toolchain (Pulumi CLI, helm, local-target binaries), then a build of the TypeScript.
# Idempotent: a warm run takes a second or two.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[setup] %s\n' "$*" >&2; }

stamp=node_modules/.aragora-lock-hash
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

bash scripts/toolchain.sh >/dev/null

# Compile to dist/ (transpile only; `npm run typecheck` is the type gate) when sources changed.
src_hash="$(find stacks components server bench package-lock.json tsconfig.json tsconfig.build.json -type f \( -name '*.ts' -o -name '*.json' \) -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ ! -f dist/.src-hash ] || [ "$(cat dist/.src-hash)" != "$src_hash" ]; then
  log "building dist/"
  rm -rf dist
  node_modules/.bin/tsc -p tsconfig.build.json
  echo "$src_hash" > dist/.src-hash
fi
