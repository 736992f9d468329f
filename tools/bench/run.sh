#!/usr/bin/env bash
# npm run bench: per-stage timings of the bert-base-shaped int8 model at n = 32, 128, 512, natively and as wasm
# under Node with 1 and 2 threads (wasm also with f32 query/key input), median of several runs, plus file sizes
# and peak memory. Writes build/bench.jsonl and prints the table.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
bash tools/setup.sh >/dev/null
bash tools/build.sh native wasm-st wasm-mt >/dev/null
bash tests/fixtures/make_fixtures.sh
F=build/fixtures
[ -f $F/base-mlm.int8.hlm ] || build/native/hl-convert $F/base-mlm $F/base-mlm.int8.hlm --name bert-base-random >/dev/null
[ -f $F/base-mlm.int8-f32qk.hlm ] || build/native/hl-convert $F/base-mlm $F/base-mlm.int8-f32qk.hlm --f32-qk-input --name bert-base-random >/dev/null
[ -f $F/base-mlm.f32.hlm ] || build/native/hl-convert $F/base-mlm $F/base-mlm.f32.hlm --f32 --name bert-base-random >/dev/null
out=build/bench.jsonl; : > $out
build/native/hl-bench $F/base-mlm.int8.hlm --threads 1 --runs $RUNS | tee -a $out
build/native/hl-bench $F/base-mlm.int8.hlm --threads 2 --runs $RUNS | tee -a $out
node --no-experimental-fetch build/wasm-st/hl-bench.cjs $F/base-mlm.int8.hlm --threads 1 --runs $RUNS | tee -a $out
node --no-experimental-fetch build/wasm-mt/hl-bench.cjs $F/base-mlm.int8.hlm --threads 2 --runs $RUNS | tee -a $out
# the same weights with f32 query/key input (hl-convert --f32-qk-input), as the built-in model runs
node --no-experimental-fetch build/wasm-st/hl-bench.cjs $F/base-mlm.int8-f32qk.hlm --threads 1 --runs $RUNS | tee -a $out
node --no-experimental-fetch build/wasm-mt/hl-bench.cjs $F/base-mlm.int8-f32qk.hlm --threads 2 --runs $RUNS | tee -a $out
node tools/bench/table.mjs $out $F/base-mlm.int8.hlm $F/base-mlm.f32.hlm
