#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI with the service's backend and passphrase
# (scripts/env.sh), run from the project root, so a person sees the same stacks as the service.
#
# For commands that read stack config (up, preview, refresh, destroy, import, watch, config ...),
# the stack's config file from the state dir (`$ARAGORA_STATE_DIR/stacks/Pulumi.<stack>.yaml`,
# written by the service) is passed with --config-file, so a manual run uses exactly what the
# service last applied. The stack is `-s/--stack <name>`, else the currently selected stack.
# See docs/manual-pulumi.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

note() { printf '[pulumi.sh] %s\n' "$*" >&2; }

if ! command -v pulumi >/dev/null 2>&1; then
  note "no pulumi CLI on PATH: run 'npm run setup' (builds it into the toolchain cache) or install Pulumi"
  exit 127
fi

args=("$@")
stack=""
cmd=""
has_config_file=0
for ((i = 0; i < ${#args[@]}; i++)); do
  a="${args[$i]}"
  case "$a" in
    -s|--stack) stack="${args[$((i + 1))]:-}"; i=$((i + 1)) ;;
    --stack=*) stack="${a#--stack=}" ;;
    --config-file|--config-file=*) has_config_file=1 ;;
    -C|--cwd) i=$((i + 1)) ;;
    -*) ;;
    *) [ -z "$cmd" ] && cmd="$a" ;;
  esac
done

reads_config=0
runs_program=0
case "$cmd" in
  up|update|preview|watch) reads_config=1; runs_program=1 ;;
  refresh|destroy|import|config) reads_config=1 ;;
esac

extra=()
if [ "$reads_config" = 1 ] && [ "$has_config_file" = 0 ]; then
  if [ -z "$stack" ]; then
    stack="$(pulumi stack --show-name --non-interactive 2>/dev/null || true)"
  fi
  if [ -n "$stack" ]; then
    file="$ARAGORA_STATE_DIR/stacks/Pulumi.$stack.yaml"
    if [ -f "$file" ]; then
      extra=(--config-file "$file")
    else
      note "no service config for stack '$stack' at $file; pulumi falls back to stacks/Pulumi.$stack.yaml"
    fi
  fi
fi

if [ "$runs_program" = 1 ] && ! command -v pulumi-language-nodejs >/dev/null 2>&1; then
  note "'pulumi $cmd' runs the program through the Node.js language host (pulumi-language-nodejs),"
  note "which is not on PATH: the toolchain could not build it here. Use an official Pulumi install"
  note "(it bundles the host), or let the service run the step (POST /regions/{name}/preview)."
  note "refresh, destroy, cancel, stack and config commands work without it."
  exit 127
fi

exec pulumi "${args[@]}" ${extra[@]+"${extra[@]}"}
