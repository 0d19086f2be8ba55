#!/usr/bin/env bash
# `npm run pulumi -- <args>`: the project's Pulumi CLI with the service's backend and passphrase.
# With `-s <stack>` (or `--stack <stack>`) and a command that reads config, the stack's config file
# from the state dir is passed along, so a manual run uses exactly what the service last applied.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
stack=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    -s|--stack) stack="${args[$((i + 1))]:-}" ;;
    --stack=*) stack="${args[$i]#--stack=}" ;;
  esac
done
cmd="${args[0]:-}"
extra=()
case "$cmd" in
  up|preview|refresh|destroy|config|update)
    if [ -n "$stack" ] && [ -f "$ARAGORA_STATE_DIR/stacks/Pulumi.$stack.yaml" ]; then
      extra=(--config-file "$ARAGORA_STATE_DIR/stacks/Pulumi.$stack.yaml")
    fi ;;
esac
exec pulumi "${args[@]}" ${extra[@]+"${extra[@]}"}
