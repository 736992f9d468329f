#!/usr/bin/env bash
# Builds XNNPACK (cached) and the engine: native (tools, tests), wasm single-thread and wasm pthreads; copies the
# page's modules into web/engine/wasm/. Usage: tools/build.sh [native|wasm-st|wasm-mt|asan]...  (default: all but asan)
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs   # Emscripten's JS optimizer needs Debian's acorn
JOBS=${HEADLIGHT_JOBS:-$(nproc)}
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(native wasm-st wasm-mt)

for v in "${variants[@]}"; do
  start=$(date +%s)
  case "$v" in
    native|asan)
      bash tools/deps/build_xnnpack.sh native
      extra=(); [ "$v" = asan ] && extra=(-DHEADLIGHT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
      cmake -S . -B "build/$v" -G Ninja -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >/dev/null
      cmake --build "build/$v" -j "$JOBS"
      ;;
    wasm-st|wasm-mt)
      threads=OFF; [ "$v" = wasm-mt ] && threads=ON
      bash tools/deps/build_xnnpack.sh "${v/-st/}"
      emcmake cmake -S . -B "build/$v" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEADLIGHT_THREADS=$threads \
        -DCMAKE_CROSSCOMPILING_EMULATOR="/usr/bin/node;--no-experimental-fetch" >/dev/null
      cmake --build "build/$v" -j "$JOBS"
      mkdir -p web/engine/wasm
      cp build/$v/headlight-*.mjs build/$v/headlight-*.wasm web/engine/wasm/ 2>/dev/null || true
      cp build/$v/headlight-*.worker.js web/engine/wasm/ 2>/dev/null || true
      node tools/vendor_d3.mjs >/dev/null   # the page's one library, D3, as web/vendor/d3.js (generated, not committed)
      node tools/bundle_component.mjs >/dev/null   # <headlight-attention> as one file, web/headlight-attention.js (generated)
      node tools/embed_wgsl.mjs >/dev/null   # the WebGPU shaders (web/engine/gpu/*.wgsl) as web/engine/gpu/shaders.js (generated)
      ;;
    *) echo "build.sh: unknown variant $v (native, wasm-st, wasm-mt, asan)"; exit 2 ;;
  esac
  echo "build.sh: $v built in $(( $(date +%s) - start )) s"
done
