#!/usr/bin/env bash
# The README's test command and its parts: `bash tools/test.sh [cpp|wasm|js|e2e|tools|python|fuzz]...` (default: every suite).
# Each suite first builds what it needs (cached: only what changed is rebuilt) and generates the fixtures it reads.
#   cpp    native Catch2 suite (ctest), then the malformed-input cases under ASan/UBSan
#   wasm   the same Catch2 suite compiled to wasm, under Node: plain SIMD and relaxed SIMD
#   js     node --test tests/js/: the engine module, analyses, page modules, relaxed builds, ONNX export
#   e2e    the page, the component, offline, dist, WebGPU in headless Chromium (Playwright)
#   tools  Python unittest of tests/tools/: fetch-model against a local hub, repository checks
#   python pytest of tests/python/: the Python package (python/headlight) over libheadlight.so
#   fuzz   every libFuzzer target of tests/fuzz/ for HEADLIGHT_FUZZ_SECONDS (default 60) on its seeds (tools/fuzz.sh)
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/.."
T0=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - T0 )) s)"; }
ALL=(cpp wasm js e2e tools python fuzz)
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=("${ALL[@]}")
for s in "${suites[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || { echo "test.sh: unknown suite '$s' (one of: ${ALL[*]})" >&2; exit 2; }
done
has() { [[ " ${suites[*]} " == *" $1 "* ]]; }

# What the chosen suites need built, in the order of tools/build.sh's variants.
need=()
has cpp || has tools || has python || has fuzz && need+=(native)
has wasm || has js || has e2e || has python && need+=(wasm-st wasm-st-relaxed)
has js || has e2e && need+=(wasm-mt wasm-mt-relaxed)
step "setup";    bash tools/setup.sh
step "build";    bash tools/build.sh "${need[@]}"
if has python; then step "build: the notebook viewer"; node tools/python_viewer.mjs; fi
step "fixtures"; bash tests/fixtures/make_fixtures.sh

# Each suite's output also goes to build/test-logs/; the summary repeats the end of each failed one, so that a log
# cut to its last lines (CI's) still shows what failed.
failed=() failed_logs=()
mkdir -p build/test-logs
run() {
  local name=$1; shift; step "$name"
  local log; log="build/test-logs/$(tr -cs 'a-zA-Z0-9' '-' <<<"$name")log"
  if "$@" 2>&1 | tee "$log"; then :; else failed+=("$name"); failed_logs+=("$log"); fi
}
if has cpp; then
  run "cpp: native tests (ctest)" ctest --test-dir build/native --output-on-failure --timeout 900
  step "cpp: ASan/UBSan build"; bash tools/build.sh asan
  run "cpp: malformed inputs under ASan/UBSan" timeout 1200 env ASAN_OPTIONS=allocator_may_return_null=1 \
    build/asan/headlight_tests "[model_file],[convert],[api],[analysis],[linear],[tokenizer],[ops]"
fi
if has wasm; then
  run "wasm: Catch2 suite under Node" ctest --test-dir build/wasm-st --output-on-failure --timeout 900
  run "wasm: Catch2 suite under Node, relaxed SIMD" ctest --test-dir build/wasm-st-relaxed --output-on-failure --timeout 900
fi
has js && run "js: engine module and analyses (node --test)" timeout 900 node --test tests/js/
has e2e && run "e2e: the page in Chromium (Playwright)" timeout 2400 node --test --test-concurrency=1 tests/e2e/
has tools && run "tools: Python tests (unittest)" timeout 600 /usr/bin/python3 -m unittest discover -s tests/tools -v
has python && run "python: the headlight package, notebook and Dask (pytest)" timeout 900 /usr/bin/python3 -m pytest tests/python -v -p no:cacheprovider
has fuzz && run "fuzz: each libFuzzer target for ${HEADLIGHT_FUZZ_SECONDS:-60} s" timeout 1800 bash tools/fuzz.sh --seconds "${HEADLIGHT_FUZZ_SECONDS:-60}"

step "summary"
if [ ${#failed[@]} -gt 0 ]; then
  for log in "${failed_logs[@]}"; do echo "--- the end of $log"; tail -n 80 "$log"; done
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "test suites passed (${suites[*]}) in $(( $(date +%s) - T0 )) s"
