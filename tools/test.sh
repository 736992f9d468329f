#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, generates fixtures, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - T0 )) s)"; }

step "setup";              bash tools/setup.sh
step "build";              bash tools/build.sh native wasm-st wasm-mt
step "fixtures";           bash tests/fixtures/make_fixtures.sh

failed=()
run() { local name=$1; shift; step "$name"; if "$@"; then :; else failed+=("$name"); fi; }
run "native tests (ctest)"     ctest --test-dir build/native --output-on-failure
run "wasm tests under Node"    ctest --test-dir build/wasm-st --output-on-failure
step "ASan/UBSan build";       bash tools/build.sh asan
run "malformed inputs under ASan/UBSan" build/asan/headlight_tests "[model_file],[convert],[api],[linear],[tokenizer],[ops]"
run "JS engine module (node --test)" node --test tests/js/

step "summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed in $(( $(date +%s) - T0 )) s"
