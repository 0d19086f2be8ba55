#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI with the service's backend and passphrase
# (scripts/env.sh), run from the project root, so a person sees the same stacks as the service.
#
# For commands that read stack config (up, preview, refresh, destroy, import, watch, config ...),
# the stack's config file from the state dir (`$ARAGORA_STATE_DIR/stacks/Pulumi.<stack>.yaml`,
# written by the service) is passed with --config-file, so a manual run uses exactly what the
# service last applied. The stack is `-s/--stack <name>`, else the currently selected stack.
#
# preview/up/refresh/destroy without the Node.js language host (pulumi-language-nodejs not on
# PATH, as with the CLI the toolchain builds): the same program runs inline through the Automation
# API, from the same config file, with the service's engine adapter (scripts/manualRun.ts).
# ARAGORA_PULUMI_INLINE=1 uses that path even when the host is there; =0 never uses it.
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
inline_capable=0
case "$cmd" in
  up|update|preview) reads_config=1; runs_program=1; inline_capable=1 ;;
  watch) reads_config=1; runs_program=1 ;;
  refresh|destroy) reads_config=1; inline_capable=1 ;;
  import|config) reads_config=1 ;;
esac

has_host=0
command -v pulumi-language-nodejs >/dev/null 2>&1 && has_host=1
inline=0
if [ "$inline_capable" = 1 ]; then
  case "${ARAGORA_PULUMI_INLINE:-auto}" in
    1|true|yes) inline=1 ;;
    0|false|no) inline=0 ;;
    auto|"") [ "$has_host" = 0 ] && inline=1 ;;
    *) note "ARAGORA_PULUMI_INLINE must be auto, 1 or 0 (got '$ARAGORA_PULUMI_INLINE')"; exit 2 ;;
  esac
fi

if [ "$inline" = 1 ]; then
  # The inline runner validates the stack name before it touches disk, reads the service's config
  # file itself and refuses options it does not support.
  if [ -z "$stack" ]; then
    stack="$(pulumi stack --show-name --non-interactive 2>/dev/null || true)"
    [ -n "$stack" ] && args+=(--stack "$stack")
  fi
  exec node -r ts-node/register/transpile-only "$ROOT/scripts/manualRun.ts" "${args[@]}"
fi

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

if [ "$runs_program" = 1 ] && [ "$has_host" = 0 ]; then
  note "'pulumi $cmd' runs the program through the Node.js language host (pulumi-language-nodejs),"
  note "which is not on PATH: the toolchain could not build it here. Use an official Pulumi install"
  note "(it bundles the host), or let the service run the step (POST /regions/{name}/preview)."
  note "preview, up, refresh and destroy run inline without it (unless ARAGORA_PULUMI_INLINE=0);"
  note "cancel, stack and config commands use the CLI and need no host."
  exit 127
fi

exec pulumi "${args[@]}" ${extra[@]+"${extra[@]}"}
