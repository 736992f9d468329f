#!/usr/bin/env bash
# The README's start command: installs what is missing, builds the engine build this browser needs first and serves the
# page on the built-in model at once; the other builds follow in the background and are used from the page's next load.
# Usage: npm start [-- --port PORT] [-- --no-isolation]   (options: node tools/serve.mjs --help)
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [ "$a" = --help ] || [ "$a" = -h ]; then exec node tools/serve.mjs --help; fi
done
# The page starts on the built-in model committed in models/ (models/builtin.json).
test -f models/builtin.json || { echo "start: models/builtin.json is missing: is this a complete checkout?" >&2; exit 1; }
bash tools/setup.sh

# Served with cross-origin isolation the page runs the threaded build; without it (--no-isolation), the single-thread one.
first=wasm-mt; later=(wasm-mt-relaxed wasm-st wasm-st-relaxed)
if [[ " $* " == *" --no-isolation "* ]]; then first=wasm-st; later=(wasm-st-relaxed wasm-mt wasm-mt-relaxed); fi
T0=$(date +%s)
bash tools/build.sh --page "$first"
echo "start: ${first#wasm-} build ready in $(( $(date +%s) - T0 )) s"

# The relaxed-SIMD and other builds, while the page is served (the server lists each one once it is built).
mkdir -p build/logs
log=build/logs/start-later-builds.log
setsid bash -c 'if bash tools/build.sh --page "$@" > "'"$log"'" 2>&1; then
    echo "start: builds ${*#wasm-} ready: reload the page to use the best one for this browser"
  else
    echo "start: building $* FAILED (the page keeps its current build): see '"$log"'" >&2
  fi' later-builds "${later[@]}" &
later_pid=$!
trap 'kill -- -$later_pid 2>/dev/null; wait $later_pid 2>/dev/null; exit 0' INT TERM
trap 'kill -- -$later_pid 2>/dev/null' EXIT
echo "start: building ${later[*]} in the background (log: $log)"
node tools/serve.mjs "$@"
