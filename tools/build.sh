#!/usr/bin/env bash
# Builds XNNPACK (cached) and the engine: native (tools, tests), the page's wasm builds, ASan; lists the page's builds.
# Usage: tools/build.sh [--page] [native|wasm-st|wasm-mt|wasm-st-relaxed|wasm-mt-relaxed|asan]...   (default: all but asan)
#   wasm-st/-mt: single thread / pthreads; -relaxed: + relaxed SIMD (int8 dot products), compiled by clang-16 through
#   tools/emcc-relaxed/; the page's Worker picks among the builds listed in web/engine/wasm/builds.json.
#   --page: only what the page needs (each wasm module, D3, the component bundle, the shaders), not the Node twins,
#   benchmark or tests: what `npm start` builds before it serves. asan builds only the test binary.
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's JS optimizer needs Debian's acorn
JOBS=${HEADLIGHT_JOBS:-$(nproc)}
DEPS=(-DHEADLIGHT_DEPS_DIR="${HEADLIGHT_DEPS_DIR:-$PWD/.deps}")   # where tools/deps/build_xnnpack.sh installs XNNPACK
page_only=0
variants=()
for a in "$@"; do
  case "$a" in
    --page) page_only=1 ;;
    native|asan|wasm-st|wasm-mt|wasm-st-relaxed|wasm-mt-relaxed) variants+=("$a") ;;
    *) echo "build.sh: unknown argument $a (--page, native, wasm-st, wasm-mt, wasm-st-relaxed, wasm-mt-relaxed, asan)" >&2; exit 2 ;;
  esac
done
[ ${#variants[@]} -eq 0 ] && variants=(native wasm-st wasm-mt wasm-st-relaxed wasm-mt-relaxed)

# Each relaxed module must validate with relaxed SIMD (a Binaryen pass can break that) and fail without it (else it
# holds no relaxed-SIMD instruction, and the plain build would do).
check_relaxed() {
  local check='const b = require("fs").readFileSync(process.argv[1]); try { new WebAssembly.Module(b); } catch (e) {
    console.log(e.message); process.exit(1); }'
  for w in "$@"; do
    node --experimental-wasm-relaxed-simd -e "$check" "$w" >/dev/null || { echo "build.sh: $w does not validate" >&2; exit 1; }
    if node -e "$check" "$w" >/dev/null; then echo "build.sh: $w has no relaxed-SIMD instruction" >&2; exit 1; fi
  done
}

build_wasm() {  # wasm-st | wasm-mt | wasm-st-relaxed | wasm-mt-relaxed
  local v=$1 name=${1#wasm-} threads=OFF emulator="/usr/bin/node;--no-experimental-fetch" relaxed=() targets=()
  [[ "$v" == wasm-mt* ]] && threads=ON
  if [[ "$v" == *-relaxed ]]; then   # Node 20 runs relaxed SIMD behind a flag; Chromium by default
    emulator="$emulator;--experimental-wasm-relaxed-simd"
    relaxed=(-DHEADLIGHT_RELAXED_SIMD=ON "-DCMAKE_C_COMPILER=$PWD/tools/emcc-relaxed/emcc"
             "-DCMAKE_CXX_COMPILER=$PWD/tools/emcc-relaxed/em++")
  fi
  local sources; sources="$(node tools/engine_builds.mjs fingerprint)"   # what this build is made from
  bash tools/deps/build_xnnpack.sh "${v/-st/}"
  emcmake cmake -S . -B "build/$v" -G Ninja "${DEPS[@]}" -DCMAKE_BUILD_TYPE=Release -DHEADLIGHT_THREADS=$threads "${relaxed[@]}" \
    -DCMAKE_CROSSCOMPILING_EMULATOR="$emulator" >/dev/null
  if [ $page_only = 1 ]; then targets=(--target "headlight_${name}_web"); fi
  cmake --build "build/$v" -j "$JOBS" "${targets[@]}"
  if [[ "$v" == *-relaxed ]]; then
    local modules=("build/$v/headlight-$name.wasm")
    [ $page_only = 1 ] || modules+=("build/$v/headlight-$name-node.wasm" "build/$v/hl-bench.wasm")
    check_relaxed "${modules[@]}"
  fi
  node tools/engine_builds.mjs record "$name" "build/$v" "$sources"   # copies the page's files to web/engine/wasm/, lists them
}

built_wasm=0
for v in "${variants[@]}"; do
  start=$(date +%s)
  case "$v" in
    native|asan)
      bash tools/deps/build_xnnpack.sh native
      extra=(); targets=()
      # asan: -O1 and line tables only (-g1), ASan's advice: stack traces with lines, and a build much shorter than -O2 -g
      if [ "$v" = asan ]; then
        extra=(-DHEADLIGHT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
               -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1")
        targets=(--target headlight_tests)
      fi
      cmake -S . -B "build/$v" -G Ninja "${DEPS[@]}" -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >/dev/null
      cmake --build "build/$v" -j "$JOBS" "${targets[@]}"
      ;;
    wasm-*) build_wasm "$v"; built_wasm=1 ;;
  esac
  echo "build.sh: $v built in $(( $(date +%s) - start )) s"
done

if [ $built_wasm = 1 ]; then node tools/page_files.mjs >/dev/null; fi   # D3, the element's bundle, the shaders
