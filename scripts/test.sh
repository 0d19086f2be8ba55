#!/usr/bin/env bash
# The jest tiers (all of them, in order, or the ones named first: `scripts/test.sh unit`), each
# with its worker count; further arguments go to jest (`scripts/test.sh unit --testPathPatterns sse`).
# Prints jest's output and exits non-zero when any test fails. `.ci/run` reads the JSON summaries
# this leaves in $ARAGORA_TEST_REPORT_DIR.
#
# Workers: jest's default on N cores is N-1, one worker (in band) on two. The unit tier is CPU
# work in separate test files, so it gets every core; the integration tier two files at a time
# (each has its own state dir, port 0 or a port block reserved in test/support/ports.ts, and its
# own processes); e2e (the service as root, one machine-wide daemon user) one at a time; crash (the
# crash matrix, test/crash/: one file per victim, each round a service with its own state dir, port
# block and three-region fleet) its two files side by side.
# ARAGORA_TEST_WORKERS_<TIER> (e.g. ARAGORA_TEST_WORKERS_INTEGRATION=1) overrides a tier's count.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
report_dir="${ARAGORA_TEST_REPORT_DIR:-$ROOT/.aragora/test-reports}"
mkdir -p "$report_dir"
tiers=()
while [ $# -gt 0 ] && [[ "$1" =~ ^(unit|integration|e2e|crash)$ ]]; do tiers+=("$1"); shift; done
[ ${#tiers[@]} -eq 0 ] && tiers=(unit integration e2e crash) && rm -f "$report_dir"/*.json
rc=0
for tier in "${tiers[@]}"; do
  case "$tier" in
    unit) workers="${ARAGORA_TEST_WORKERS_UNIT:-100%}" ;;
    integration) workers="${ARAGORA_TEST_WORKERS_INTEGRATION:-2}" ;;
    e2e) workers="${ARAGORA_TEST_WORKERS_E2E:-1}" ;;
    crash) workers="${ARAGORA_TEST_WORKERS_CRASH:-2}" ;;
  esac
  echo "=== $tier tests ==="
  node_modules/.bin/jest --selectProjects "$tier" --maxWorkers="$workers" --passWithNoTests \
    --json --outputFile="$report_dir/$tier.json" "$@" || rc=1
done
exit $rc
