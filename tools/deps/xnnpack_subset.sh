#!/usr/bin/env bash
# Regenerates third_party/xnnpack-subset/FAMILY.txt: the XNNPACK objects that the engine's XNNPACK calls link in.
#
#   bash tools/deps/xnnpack_subset.sh native|wasm|wasm-relaxed [--from DEPS_DIR]
#
# tools/deps/build_xnnpack.sh compiles only the objects such a list names (about half of XNNPACK's production build).
# This script makes the list: it builds XNNPACK whole (HEADLIGHT_XNNPACK_FULL=1; or takes a whole build from
# DEPS_DIR/<variant>), links a probe that calls every xnn_* function the engine's sources call, and writes the archive
# members the linker pulled in. Run it after upgrading XNNPACK or when the engine calls an XNNPACK function it did not
# call before (the engine's link then fails with "undefined symbol: xnn_...", and tests/tools/test_xnnpack_subset.py
# names the function).
source "$(dirname "$0")/../common.sh"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FAMILY="${1:-}"
case "$FAMILY" in
  native|wasm|wasm-relaxed) ;;
  *) echo "usage: $0 native|wasm|wasm-relaxed [--from DEPS_DIR]" >&2; exit 2 ;;
esac
FROM=""
if [ "${2:-}" = --from ]; then FROM="${3:?--from needs a folder}"; fi
OUT="$REPO/third_party/xnnpack-subset/$FAMILY.txt"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if [ -z "$FROM" ]; then
  FROM="$TMP/deps"
  HEADLIGHT_XNNPACK_FULL=1 HEADLIGHT_DEPS_DIR="$FROM" bash "$REPO/tools/deps/build_xnnpack.sh" "$FAMILY"
fi
PREFIX="$FROM/$FAMILY"
grep -q "^subset: none" "$PREFIX/BUILDINFO.txt" \
  || { echo "xnnpack_subset: $PREFIX is not a whole XNNPACK build (its BUILDINFO.txt lacks 'subset: none')" >&2; exit 1; }

# The XNNPACK functions the engine calls (names declared in xnnpack.h that its sources call).
mapfile -t FUNCS < <(grep -rhoE '\bxnn_[a-z0-9_]+\(' "$REPO/wasm/src" | tr -d '(' | LC_ALL=C sort -u \
                     | while read -r f; do grep -qE "\b$f\(" "$PREFIX/include/xnnpack.h" && echo "$f"; done)
[ ${#FUNCS[@]} -gt 0 ] || { echo "xnnpack_subset: found no xnn_* calls in wasm/src" >&2; exit 1; }
{
  echo '#include <xnnpack.h>'
  echo 'void* volatile hl_probe[] = {'
  for f in "${FUNCS[@]}"; do echo "  (void*) $f,"; done
  echo '};'
  echo 'int main(void) { return hl_probe[0] == 0; }'
} > "$TMP/probe.c"

LIBS=("$PREFIX/lib/libXNNPACK.a" "$PREFIX/lib/libmicrokernels-prod.a" "$PREFIX/lib/libpthreadpool.a" "$PREFIX/lib/libcpuinfo.a")
# The archive members the link pulled in: GNU ld's map file names them; wasm-ld's --trace lists them (emcc drops --Map).
case "$FAMILY" in
  native)
    cc -O1 -I"$PREFIX/include" "$TMP/probe.c" -o "$TMP/probe" -Wl,-Map="$TMP/map.txt" "${LIBS[@]}" -lpthread -lm ;;
  wasm)
    NODE_PATH=/usr/share/nodejs emcc -O1 -msimd128 -I"$PREFIX/include" "$TMP/probe.c" -o "$TMP/probe.js" \
      -Wl,--trace "${LIBS[@]}" > "$TMP/map.txt" ;;
  wasm-relaxed)
    NODE_PATH=/usr/share/nodejs "$REPO/tools/emcc-relaxed/emcc" -O1 -msimd128 -mrelaxed-simd -I"$PREFIX/include" \
      "$TMP/probe.c" -o "$TMP/probe.js" -Wl,--trace "${LIBS[@]}" > "$TMP/map.txt" ;;
esac
mapfile -t MEMBERS < <(grep -oE 'lib(XNNPACK|microkernels-prod)\.a\([^)]+\.o\)' "$TMP/map.txt" \
                       | sed -E 's/^[^(]*\((.*)\)$/\1/' | LC_ALL=C sort -u)
[ ${#MEMBERS[@]} -gt 10 ] || { echo "xnnpack_subset: the link map names only ${#MEMBERS[@]} XNNPACK objects" >&2; exit 1; }

mkdir -p "$(dirname "$OUT")"
{
  echo "# XNNPACK objects linked by the engine's XNNPACK calls ($FAMILY); written by tools/deps/xnnpack_subset.sh, do not edit."
  echo "# sources: $(awk '$1 == "xnnpack" { print $3 }' "$REPO/third_party/SOURCES.txt")"
  echo "# functions: ${FUNCS[*]}"
  printf '%s\n' "${MEMBERS[@]}"
} > "$OUT"
echo "xnnpack_subset: $OUT: ${#MEMBERS[@]} objects for ${#FUNCS[@]} functions"
