#!/usr/bin/env bash
# The README's start command: installs what is missing, builds the engine, prepares the model, serves the page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh native wasm-st wasm-mt
# Until the pretrained built-in model lands (issue #3), the page runs a random-weight demo model of bert-mini shape.
if [ ! -f build/demo/demo.hlm ]; then
  mkdir -p build/demo
  /usr/bin/python3 tools/reference/make_checkpoint.py --shape mini --quiet --out build/demo/demo-hf
  build/native/hl-convert build/demo/demo-hf build/demo/demo.hlm --name "random-weight bert-mini (demo)"
fi
exec node tools/serve.mjs "$@"
