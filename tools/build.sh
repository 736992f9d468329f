#!/usr/bin/env bash
# Builds XNNPACK (cached) and the engine: native (tools, tests), wasm single-thread and wasm pthreads; copies the
# page's modules into web/engine/wasm/. Usage: tools/build.sh [native|wasm-st|wasm-mt|wasm-st-relaxed|wasm-mt-relaxed|asan]...
# (default: all but asan). The -relaxed variants add relaxed SIMD (int8 dot products), compiled by clang-16 through
# tools/emcc-relaxed/; the page picks them where the browser has relaxed SIMD (web/engine/worker.js).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's JS optimizer needs Debian's acorn
JOBS=${HEADLIGHT_JOBS:-$(nproc)}
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(native wasm-st wasm-mt wasm-st-relaxed wasm-mt-relaxed)

for v in "${variants[@]}"; do
  start=$(date +%s)
  case "$v" in
    native|asan)
      bash tools/deps/build_xnnpack.sh native
      extra=(); [ "$v" = asan ] && extra=(-DHEADLIGHT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
      cmake -S . -B "build/$v" -G Ninja -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >/dev/null
      cmake --build "build/$v" -j "$JOBS"
      ;;
    wasm-st|wasm-mt|wasm-st-relaxed|wasm-mt-relaxed)
      threads=OFF; [[ "$v" == wasm-mt* ]] && threads=ON
      emulator="/usr/bin/node;--no-experimental-fetch"; relaxed=()
      if [[ "$v" == *-relaxed ]]; then   # Node 20 runs relaxed SIMD behind a flag; Chromium by default
        emulator="$emulator;--experimental-wasm-relaxed-simd"
        relaxed=(-DHEADLIGHT_RELAXED_SIMD=ON "-DCMAKE_C_COMPILER=$PWD/tools/emcc-relaxed/emcc"
                 "-DCMAKE_CXX_COMPILER=$PWD/tools/emcc-relaxed/em++")
      fi
      bash tools/deps/build_xnnpack.sh "${v/-st/}"
      emcmake cmake -S . -B "build/$v" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEADLIGHT_THREADS=$threads "${relaxed[@]}" \
        -DCMAKE_CROSSCOMPILING_EMULATOR="$emulator" >/dev/null
      cmake --build "build/$v" -j "$JOBS"
      if [[ "$v" == *-relaxed ]]; then
        # Each module must validate with relaxed SIMD (one Binaryen got at would not) and fail without it (else it has
        # no relaxed-SIMD instruction, and the plain build would do).
        check='const b = require("fs").readFileSync(process.argv[1]); try { new WebAssembly.Module(b); } catch (e) {
          console.log(e.message); process.exit(1); }'
        for w in build/$v/headlight-*.wasm build/$v/hl-bench.wasm; do
          node --experimental-wasm-relaxed-simd -e "$check" "$w" >/dev/null || { echo "build.sh: $w does not validate"; exit 1; }
          if node -e "$check" "$w" >/dev/null; then echo "build.sh: $w has no relaxed-SIMD instruction"; exit 1; fi
        done
      fi
      mkdir -p web/engine/wasm
      cp build/$v/headlight-*.mjs build/$v/headlight-*.wasm web/engine/wasm/ 2>/dev/null || true
      cp build/$v/headlight-*.worker.js web/engine/wasm/ 2>/dev/null || true
      node tools/vendor_d3.mjs >/dev/null   # the page's one library, D3, as web/vendor/d3.js (generated, not committed)
      node tools/bundle_component.mjs >/dev/null   # <headlight-attention> as one file, web/headlight-attention.js (generated)
      node tools/embed_wgsl.mjs >/dev/null   # the WebGPU shaders (web/engine/gpu/*.wgsl) as web/engine/gpu/shaders.js (generated)
      ;;
    *) echo "build.sh: unknown variant $v (native, wasm-st, wasm-mt, wasm-st-relaxed, wasm-mt-relaxed, asan)"; exit 2 ;;
  esac
  echo "build.sh: $v built in $(( $(date +%s) - start )) s"
done
