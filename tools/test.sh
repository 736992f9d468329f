#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, generates fixtures, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - T0 )) s)"; }

step "setup";              bash tools/setup.sh
step "build";              bash tools/build.sh native wasm-st wasm-mt wasm-st-relaxed wasm-mt-relaxed
step "fixtures";           bash tests/fixtures/make_fixtures.sh

failed=()
run() { local name=$1; shift; step "$name"; if "$@"; then :; else failed+=("$name"); fi; }
run "native tests (ctest)"     ctest --test-dir build/native --output-on-failure --timeout 900
run "wasm tests under Node"    ctest --test-dir build/wasm-st --output-on-failure --timeout 900
run "wasm tests under Node, relaxed SIMD" ctest --test-dir build/wasm-st-relaxed --output-on-failure --timeout 900
step "ASan/UBSan build";       bash tools/build.sh asan
run "malformed inputs under ASan/UBSan" timeout 1200 env ASAN_OPTIONS=allocator_may_return_null=1 build/asan/headlight_tests "[model_file],[convert],[api],[analysis],[linear],[tokenizer],[ops]"
run "JS engine module and analyses (node --test)" timeout 600 node --test tests/js/
run "the page in Chromium (Playwright)" timeout 900 node --test --test-concurrency=1 tests/e2e/
run "tools (fetch-model against a local hub)" timeout 600 /usr/bin/python3 -m unittest discover -s tests/tools -v

step "summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed in $(( $(date +%s) - T0 )) s"
