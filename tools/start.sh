#!/usr/bin/env bash
# The README's start command: installs what is missing, builds the wasm engine, serves the page on the built-in model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh wasm-st wasm-mt wasm-st-relaxed wasm-mt-relaxed
# The page starts on the built-in model committed in models/ (models/builtin.json; issue #3).
test -f models/builtin.json || { echo "models/builtin.json is missing: is this a complete checkout?" >&2; exit 1; }
exec node tools/serve.mjs "$@"
