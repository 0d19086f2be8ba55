#!/usr/bin/env bash
# Every test tier, in order: unit, integration, e2e. Prints jest's output and exits non-zero when any
# test fails. `.ci/run` reads the JSON summaries this leaves in $ARAGORA_TEST_REPORT_DIR.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
report_dir="${ARAGORA_TEST_REPORT_DIR:-$ROOT/.aragora/test-reports}"
mkdir -p "$report_dir"
rm -f "$report_dir"/*.json
rc=0
for tier in unit integration e2e; do
  extra=()
  [ "$tier" != unit ] && extra=(--runInBand)
  echo "=== $tier tests ==="
  node_modules/.bin/jest --selectProjects "$tier" ${extra[@]+"${extra[@]}"} --passWithNoTests \
    --json --outputFile="$report_dir/$tier.json" || rc=1
done
exit $rc
