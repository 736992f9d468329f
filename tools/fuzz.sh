#!/usr/bin/env bash
# npm run fuzz -- [--seconds N] [TARGET...]: builds the libFuzzer targets of tests/fuzz/ (clang-16, ASan + UBSan) in
# build/fuzz and runs each for N seconds (default 60) on its committed seeds (tests/fuzz/corpus/TARGET) plus what earlier
# runs found (build/fuzz-corpus/TARGET), with its dictionary. A crash, leak, timeout or allocation over the limit fails
# the run and leaves the input in build/fuzz-crashes/. Executions and coverage per target: build/fuzz_stats.json. Targets
# run side by side, one per core (HEADLIGHT_JOBS).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$(dirname "$0")/.."

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    fuzz_*) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1 (--seconds N, or target names: $(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp//' | tr '\n' ' '))" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds needs a whole number, got $seconds" >&2; exit 2; }
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

bash tools/setup.sh
command -v clang++-16 >/dev/null || { echo "fuzz.sh: clang++-16 is missing (tools/setup.sh installs it)" >&2; exit 1; }
bash tools/deps/build_xnnpack.sh native
bash tools/build.sh native                       # hl-convert and libheadlight.so for the fixtures
bash tests/fixtures/make_fixtures.sh             # tiny-mlm and tiny-roberta, which fuzz_tokenizer converts
# -O1 -gline-tables-only: the usual fuzzing build (OSS-Fuzz's), stack traces with lines and a short build
cmake -S . -B build/fuzz -G Ninja -DHEADLIGHT_DEPS_DIR="${HEADLIGHT_DEPS_DIR:-$PWD/.deps}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 -DHEADLIGHT_FUZZ=ON >/dev/null
cmake --build build/fuzz -j "${HEADLIGHT_JOBS:-$(nproc)}" --target "${targets[@]}"

mkdir -p build/fuzz-crashes build/fuzz-logs build/fuzz-status
# fuzz_one TARGET: one target for $seconds s; its figures (a JSON member) go to build/fuzz-status/TARGET.json and its
# exit status to build/fuzz-status/TARGET.rc.
fuzz_one() {
  local t=$1 corpus="build/fuzz-corpus/$1" log="build/fuzz-logs/$1.log" rc=0
  mkdir -p "$corpus"
  # -rss_limit_mb / -malloc_limit_mb: an input must not make the engine take more than 2 GB, nor ask for 1 GB at once.
  # detect_leaks=1: every handle the harness frees must take its memory with it.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30 -max_len=131072 \
    -dict="tests/fuzz/dicts/$t.dict" -artifact_prefix="build/fuzz-crashes/$t-" -print_final_stats=1 \
    "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local execs cov features units
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  units=$(find "$corpus" -type f | wc -l)
  echo "$t: ${execs:-0} executions, coverage ${cov:-0} edges, ${features:-0} features, corpus $units new inputs (exit $rc)"
  echo "\"$t\": {\"seconds\": $seconds, \"executions\": ${execs:-0}, \"coverage\": ${cov:-0}, \"features\": ${features:-0}, \"exit\": $rc}" \
    > "build/fuzz-status/$t.json"
  echo "$rc" > "build/fuzz-status/$t.rc"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|artifact_prefix|Test unit written' "$log" | head -20 >&2 || :
  fi
}

# Each target is one process on one core: as many run at once as there are cores (HEADLIGHT_JOBS), each for the full
# $seconds.
jobs=${HEADLIGHT_JOBS:-$(nproc)}
rm -f build/fuzz-status/*
echo "fuzz.sh: ${#targets[@]} targets, $seconds s each, $jobs at a time"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || :; done   # a target's status is in its .rc file
  echo "=== $t: $seconds s"
  fuzz_one "$t" &
done
wait
stats="{"
failed=()
for t in "${targets[@]}"; do
  [ -f "build/fuzz-status/$t.rc" ] || { echo "fuzz.sh: $t left no status" >&2; failed+=("$t"); continue; }
  stats+="$(cat "build/fuzz-status/$t.json"),"
  [ "$(cat "build/fuzz-status/$t.rc")" = 0 ] || failed+=("$t")
done
echo "${stats%,}}" > build/fuzz_stats.json
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (logs in build/fuzz-logs/, inputs in build/fuzz-crashes/: add each to tests/fuzz/corpus/ with its fix)" >&2
  exit 1
fi
echo "fuzz.sh: every target ran $seconds s without a finding -> build/fuzz_stats.json"
