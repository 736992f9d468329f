#!/usr/bin/env bash
# npm run bench:fresh: how long a new user waits. Clones this checkout (what is committed) into an empty temporary folder,
# with an empty build cache, and times `npm start` until the page and its engine are served, then, in a second fresh
# clone, the whole `npm test`. Assumes the apt packages are installed (tools/setup.sh); the npm install, the XNNPACK
# source download and every build are part of what is timed. Prints a markdown table and the machine it ran on.
# Usage: bash tools/bench/fresh_clone.sh [start] [test]   (default: both)   Output also in build/bench_fresh.json.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
what=("$@"); [ ${#what[@]} -eq 0 ] && what=(start test)
commit="$(git -C "$repo" log -1 --format=%h)"   # what the clones hold
work="$(mktemp -d)"
start_pid=""
cleanup() { if [ -n "$start_pid" ]; then kill -- -"$start_pid" 2>/dev/null || :; fi; rm -rf "$work"; }
trap cleanup EXIT

clone() {  # clone NAME: a fresh clone alone in its own folder, and an empty cache for it
  git clone --quiet --no-local "$repo" "$work/$1/headlight"
  mkdir -p "$work/$1/cache"
}

rows=()
if [[ " ${what[*]} " == *" start "* ]]; then
  clone start
  port=$(( 20000 + RANDOM % 20000 ))
  t0=$(date +%s)
  ( cd "$work/start/headlight" && HEADLIGHT_CACHE="$work/start/cache" exec setsid npm start -- --port "$port" ) \
    > "$work/start.log" 2>&1 &
  start_pid=$!
  # Served: the page answers and the engine's list of builds names a build the page can run.
  served='Promise.all([fetch(process.argv[1]), fetch(process.argv[1] + "engine/wasm/builds.json")])
    .then(async ([page, list]) => process.exit(page.ok && list.ok && (await list.json()).builds.mt ? 0 : 1), () => process.exit(1))'
  until node -e "$served" "http://127.0.0.1:$port/"; do
    kill -0 "$start_pid" 2>/dev/null || { cat "$work/start.log" >&2; echo "fresh_clone: npm start exited" >&2; exit 1; }
    sleep 1
  done
  t_start=$(( $(date +%s) - t0 ))
  kill -- -"$start_pid"; wait "$start_pid" 2>/dev/null || :; start_pid=""
  grep -E "^(build.sh|start):|build_xnnpack.*done" "$work/start.log" | sed 's/^/  /'
  rows+=("| \`npm start\` until the page and its engine are served | $t_start s |")
fi
if [[ " ${what[*]} " == *" test "* ]]; then
  clone test
  t0=$(date +%s)
  ( cd "$work/test/headlight" && HEADLIGHT_CACHE="$work/test/cache" npm test ) > "$work/test.log" 2>&1 \
    || { tail -n 60 "$work/test.log" >&2; echo "fresh_clone: npm test failed (its log's tail above)" >&2; exit 1; }
  t_test=$(( $(date +%s) - t0 ))
  grep -E "^=== |^build.sh:|build_xnnpack.*done|^test suites passed" "$work/test.log" | sed 's/^/  /'
  rows+=("| \`npm test\`, every suite | $t_test s |")
fi

cpu="$(lscpu | sed -n 's/^Model name: *//p')"
vnni="no AVX-VNNI"; grep -qw avx_vnni /proc/cpuinfo && vnni="AVX-VNNI"
echo
echo "Fresh clone of $commit, $(date -u +%Y-%m-%d), $(nproc) cores, $cpu ($vnni):"
echo
echo "| step | time |"
echo "|---|---:|"
printf '%s\n' "${rows[@]}"
mkdir -p "$repo/build"
printf '{"commit": "%s", "date": "%s", "cores": %s, "cpu": "%s", "start_s": %s, "test_s": %s}\n' \
  "$commit" "$(date -u +%FT%TZ)" "$(nproc)" "$cpu" "${t_start:-null}" "${t_test:-null}" \
  > "$repo/build/bench_fresh.json"
