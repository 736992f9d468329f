#!/usr/bin/env bash
# Build XNNPACK (+ pthreadpool, cpuinfo, fxdiv) as static libraries for one variant and install
# headers + libs into ${HEADLIGHT_DEPS_DIR:-<repo>/.deps}/<variant>/{include,lib}.
#
#   bash tools/deps/build_xnnpack.sh native    # x86-64 (or host), Release -O2, -fPIC
#   bash tools/deps/build_xnnpack.sh wasm      # Emscripten, wasm SIMD (-msimd128), single thread
#   bash tools/deps/build_xnnpack.sh wasm-mt   # Emscripten, wasm SIMD + pthreads (-pthread)
#   bash tools/deps/build_xnnpack.sh wasm-relaxed      # as wasm, + relaxed SIMD (-mrelaxed-simd; clang-16 through
#   bash tools/deps/build_xnnpack.sh wasm-mt-relaxed   #   tools/emcc-relaxed/emcc), as wasm-mt + relaxed SIMD
#   (relaxed: XNNPACK picks its wasmsdot/wasmusdot int8 GEMM kernels at run time where the engine's relaxed dot product
#   passes its probe, else its plain ones; the f32 GEMMs stay plain: third_party/patches/xnnpack-0004-*)
#
# Sources: the Debian tarballs of third_party/SOURCES.txt (tools/deps/fetch_sources.sh), with
# third_party/patches/<package>-*.patch applied. Only the objects listed in third_party/xnnpack-subset/FAMILY.txt
# (native, wasm, wasm-relaxed: what the engine's XNNPACK calls link in; tools/deps/xnnpack_subset.sh writes them) are
# compiled and archived, about half of XNNPACK's production build. Cached: when the stamp in the install dir matches the
# hash of SOURCES.txt, the patches, the subset list, this script and the compiler, it exits at once.
#
# Environment: HEADLIGHT_DEPS_DIR (install root), HEADLIGHT_CACHE (tarballs + build trees,
# default ~/.cache/headlight), HEADLIGHT_JOBS (default 2), HEADLIGHT_KEEP_BUILD=1 (keep the build
# tree after success), CC/CXX (native compiler), HEADLIGHT_FORCE=1 (ignore the stamp),
# HEADLIGHT_XNNPACK_FULL=1 (the whole production build, as tools/deps/xnnpack_subset.sh needs).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

START=$(date +%s)
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT="$REPO/tools/deps/build_xnnpack.sh"
first_line() { local out; out="$("$@")"; echo "${out%%$'\n'*}"; }   # no `| head`: under pipefail its early exit fails the pipe
VARIANT="${1:-}"
case "$VARIANT" in
  native|wasm|wasm-mt|wasm-relaxed|wasm-mt-relaxed) ;;
  *) echo "usage: $0 native|wasm|wasm-mt|wasm-relaxed|wasm-mt-relaxed" >&2; exit 2 ;;
esac

DEPS_DIR="${HEADLIGHT_DEPS_DIR:-$REPO/.deps}"
PREFIX="$DEPS_DIR/$VARIANT"
CACHE="${HEADLIGHT_CACHE:-$HOME/.cache/headlight}"
SRC_CACHE="$CACHE/src"
WORK="$CACHE/build/xnnpack-$VARIANT"
JOBS="${HEADLIGHT_JOBS:-2}"
STAMP="$PREFIX/.stamp"

log() { echo "build_xnnpack[$VARIANT]: $*"; }
die() { echo "build_xnnpack[$VARIANT]: error: $*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - START )); }

if [[ "$VARIANT" == wasm* ]]; then
  export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"   # emscripten's JS optimizer needs Debian's acorn
  command -v emcc >/dev/null || die "emcc not found: apt-get install emscripten"
  command -v emcmake >/dev/null || die "emcmake not found: apt-get install emscripten"
  EMCC=emcc; EMXX=em++
  if [[ "$VARIANT" == *-relaxed ]]; then
    # clang-16 under Emscripten 3.1.6: see tools/emcc-relaxed/emcc (clang 14's relaxed-SIMD opcodes are pre-standard).
    command -v clang-16 >/dev/null || die "clang-16 not found: apt-get install clang-16 (tools/setup.sh)"
    EMCC="$REPO/tools/emcc-relaxed/emcc"; EMXX="$REPO/tools/emcc-relaxed/em++"
  fi
  COMPILER_ID="$(first_line "$EMCC" --version)"
  if [[ "$VARIANT" == *-relaxed ]]; then
    COMPILER_ID="$COMPILER_ID / $(first_line clang-16 --version) / $(cat "$REPO"/tools/emcc-relaxed/* | sha256sum | cut -c1-16)"
  fi
else
  COMPILER_ID="$(first_line "${CC:-cc}" --version) / $(first_line "${CXX:-c++}" --version)"
fi
# The objects to build: wasm and wasm-mt link the same ones (as do both relaxed variants); none listed = everything.
SUBSET="$REPO/third_party/xnnpack-subset/${VARIANT/-mt/}.txt"
if [ "${HEADLIGHT_XNNPACK_FULL:-0}" = 1 ]; then
  SUBSET=""
elif [ ! -f "$SUBSET" ]; then
  die "$SUBSET is missing (bash tools/deps/xnnpack_subset.sh ${VARIANT/-mt/} writes it; HEADLIGHT_XNNPACK_FULL=1 builds everything)"
fi
command -v cmake >/dev/null || die "cmake not found"
command -v ninja >/dev/null || die "ninja not found"
command -v python3 >/dev/null || die "python3 not found (XNNPACK's CMake runs Python generators)"
command -v patch >/dev/null || die "patch not found: apt-get install patch"

# One build per variant at a time (a second caller waits, then finds the stamp up to date).
mkdir -p "$CACHE/build"
if command -v flock >/dev/null; then
  exec 9>"$CACHE/build/xnnpack-$VARIANT.lock"
  flock 9
fi

# ---- cache check
PATCHES=()
while IFS= read -r p; do PATCHES+=("$p"); done < <(ls "$REPO"/third_party/patches/*.patch 2>/dev/null | LC_ALL=C sort)
HASH="$( {
  echo "variant=$VARIANT"
  echo "compiler=$COMPILER_ID"
  sha256sum "$REPO/third_party/SOURCES.txt" "$SCRIPT" ${SUBSET:+"$SUBSET"} | cut -d' ' -f1
  echo "subset=${SUBSET:+$(basename "$SUBSET")}"
  for p in "${PATCHES[@]}"; do echo "$(basename "$p") $(sha256sum "$p" | cut -d' ' -f1)"; done
} | sha256sum | cut -d' ' -f1)"

if [ "${HEADLIGHT_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] \
   && [ -f "$PREFIX/lib/libXNNPACK.a" ] && [ -f "$PREFIX/include/xnnpack.h" ]; then
  log "up to date ($PREFIX) [$(elapsed) s]"
  exit 0
fi

# ---- sources
bash "$REPO/tools/deps/fetch_sources.sh"
tarball() {  # package -> path of its tarball, from SOURCES.txt
  local f
  f="$(awk -v p="$1" '$1 == p { print $3 }' "$REPO/third_party/SOURCES.txt")"
  [ -n "$f" ] || die "package $1 missing from third_party/SOURCES.txt"
  echo "$SRC_CACHE/$f"
}

log "unpacking into $WORK"
rm -rf "$WORK"
mkdir -p "$WORK/src/xnnpack" "$WORK/src/pthreadpool" "$WORK/src/cpuinfo" "$WORK/src/fxdiv"
tar -xf "$(tarball xnnpack)" -C "$WORK/src/xnnpack"          # no top-level folder in this one
for pkg in pthreadpool cpuinfo fxdiv; do
  tar -xf "$(tarball $pkg)" -C "$WORK/src/$pkg" --strip-components=1
done
[ -f "$WORK/src/xnnpack/CMakeLists.txt" ] || die "unexpected layout of the xnnpack tarball"

for p in "${PATCHES[@]}"; do
  name="$(basename "$p")"
  pkg="${name%%-[0-9]*}"
  [ -d "$WORK/src/$pkg" ] || die "patch $name: no package '$pkg' (name patches <package>-NNNN-*.patch)"
  log "applying $name"
  patch -p1 --batch --forward --quiet -d "$WORK/src/$pkg" < "$p" || die "patch $name failed to apply"
done

# ---- configure
FLAGS="-O2 -DNDEBUG"
CMAKE_ARGS=(
  -G Ninja
  -S "$WORK/src/xnnpack" -B "$WORK/build"
  -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_C_FLAGS_RELEASE=$FLAGS"
  "-DCMAKE_CXX_FLAGS_RELEASE=$FLAGS"
  "-DCMAKE_INSTALL_PREFIX=$PREFIX"
  -DCMAKE_INSTALL_LIBDIR=lib
  -DCMAKE_INSTALL_INCLUDEDIR=include
  "-DPython_EXECUTABLE=$(command -v python3)"
  -DXNNPACK_LIBRARY_TYPE=static
  -DCMAKE_OPTIMIZE_DEPENDENCIES=ON   # else ninja builds every library an object's target links before compiling it
  -DXNNPACK_BUILD_TESTS=OFF
  -DXNNPACK_BUILD_BENCHMARKS=OFF
  -DXNNPACK_BUILD_ALL_MICROKERNELS=OFF
  -DXNNPACK_ENABLE_KLEIDIAI=OFF
  -DXNNPACK_ENABLE_ASSEMBLY=OFF
  -DXNNPACK_USE_SYSTEM_LIBS=OFF
  "-DCPUINFO_SOURCE_DIR=$WORK/src/cpuinfo"
  "-DPTHREADPOOL_SOURCE_DIR=$WORK/src/pthreadpool"
  "-DFXDIV_SOURCE_DIR=$WORK/src/fxdiv"
  -DCPUINFO_LIBRARY_TYPE=static
  -DCPUINFO_BUILD_TOOLS=OFF
  -DCPUINFO_BUILD_UNIT_TESTS=OFF
  -DCPUINFO_BUILD_MOCK_TESTS=OFF
  -DCPUINFO_BUILD_BENCHMARKS=OFF
  -DCPUINFO_BUILD_PKG_CONFIG=OFF
  -DPTHREADPOOL_LIBRARY_TYPE=static
  -DPTHREADPOOL_BUILD_TESTS=OFF
  -DPTHREADPOOL_BUILD_BENCHMARKS=OFF
  -DFXDIV_BUILD_TESTS=OFF
  -DFXDIV_BUILD_BENCHMARKS=OFF
  -DFXDIV_USE_INLINE_ASSEMBLY=OFF
)

log "configuring"
case "$VARIANT" in
  native)
    cmake "${CMAKE_ARGS[@]}" -DCMAKE_POSITION_INDEPENDENT_CODE=ON > "$WORK/configure.log" 2>&1 \
      || { tail -n 40 "$WORK/configure.log" >&2; die "cmake configure failed (log: $WORK/configure.log)"; }
    ;;
  wasm|wasm-mt|wasm-relaxed|wasm-mt-relaxed)
    WFLAGS="-msimd128"
    [[ "$VARIANT" == *-relaxed ]] && WFLAGS="$WFLAGS -mrelaxed-simd"
    [[ "$VARIANT" == wasm-mt* ]] && WFLAGS="$WFLAGS -pthread"
    emcmake cmake "${CMAKE_ARGS[@]}" \
      -DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm32 "-DCMAKE_C_COMPILER=$EMCC" "-DCMAKE_CXX_COMPILER=$EMXX" \
      "-DCMAKE_C_FLAGS=$WFLAGS" "-DCMAKE_CXX_FLAGS=$WFLAGS" \
      > "$WORK/configure.log" 2>&1 \
      || { tail -n 40 "$WORK/configure.log" >&2; die "emcmake cmake failed (log: $WORK/configure.log)"; }
    grep -q "XNNPACK_TARGET_PROCESSOR: wasm32" "$WORK/configure.log" \
      || die "XNNPACK did not configure for wasm32 (log: $WORK/configure.log)"
    if [[ "$VARIANT" == wasm-mt* ]]; then
      grep -q "pthreadpool: Emscripten threads ON" "$WORK/configure.log" \
        || die "pthreadpool is not using threads (log: $WORK/configure.log)"
    fi
    ;;
esac
grep -E "XNNPACK_TARGET_PROCESSOR|pthreadpool: " "$WORK/configure.log" | sed "s/^/build_xnnpack[$VARIANT]:   /" || true

# ---- build + install
build() {  # cmake --build / ninja arguments; the output goes to the log, its tail to stderr on failure
  "$@" >> "$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "build failed (log: $WORK/build.log)"; }
}
log "building with ninja -j$JOBS (log: $WORK/build.log)"
if [ -z "$SUBSET" ]; then
  build cmake --build "$WORK/build" -j "$JOBS" --target XNNPACK microkernels-prod pthreadpool cpuinfo
else
  # The listed objects by their ninja targets (an object's archive name is its source's file name + .o).
  ninja -C "$WORK/build" -t targets all > "$WORK/targets.txt" || die "ninja -t targets failed in $WORK/build"
  mapfile -t OBJECTS < <(awk -v list="$SUBSET" '
    BEGIN { while ((getline line < list) > 0) if (line !~ /^#/ && line != "") want[line] = 1 }
    /^CMakeFiles\/(microkernels-prod|XNNPACK|[a-z-]+)\.dir\/.*\.o: / {
      obj = substr($1, 1, length($1) - 1); n = split(obj, parts, "/")
      if (parts[n] in want) { print obj; found[parts[n]] = 1 } }
    END { for (w in want) if (!(w in found)) { print "MISSING " w; bad = 1 } }' "$WORK/targets.txt")
  missing=$(printf '%s\n' "${OBJECTS[@]}" | awk '/^MISSING /{ print $2 }')
  [ -z "$missing" ] || die "objects listed in $SUBSET are not in this XNNPACK build: $missing (run tools/deps/xnnpack_subset.sh)"
  log "${#OBJECTS[@]} objects listed in third_party/xnnpack-subset/$(basename "$SUBSET")"
  build cmake --build "$WORK/build" -j "$JOBS" --target pthreadpool cpuinfo
  build ninja -C "$WORK/build" -j "$JOBS" "${OBJECTS[@]}"
  AR="$(awk -F= '/^CMAKE_AR:/ { print $2 }' "$WORK/build/CMakeCache.txt")"   # emar for wasm: a name on PATH
  AR="$(command -v "$AR")" || die "no archiver: CMAKE_AR in $WORK/build/CMakeCache.txt is '$AR'"
  kernels=() library=()
  for o in "${OBJECTS[@]}"; do
    if [[ "$o" == CMakeFiles/microkernels-prod.dir/* ]]; then kernels+=("$WORK/build/$o"); else library+=("$WORK/build/$o"); fi
  done
  rm -f "$WORK/build/libmicrokernels-prod.a" "$WORK/build/libXNNPACK.a"
  build "$AR" qcs "$WORK/build/libmicrokernels-prod.a" "${kernels[@]}"
  build "$AR" qcs "$WORK/build/libXNNPACK.a" "${library[@]}"
fi

log "installing into $PREFIX"
rm -rf "$PREFIX"
mkdir -p "$PREFIX/include" "$PREFIX/lib"
# cmake --install would first build everything (incl. targets we skip); copy the pieces instead.
cp "$WORK/src/xnnpack/include/xnnpack.h" "$WORK/src/xnnpack/include/experiments-config.h" "$PREFIX/include/"
cp "$WORK/src/pthreadpool/include/pthreadpool.h" "$PREFIX/include/"
cp "$WORK/src/cpuinfo/include/cpuinfo.h" "$PREFIX/include/"
for lib in libXNNPACK.a libmicrokernels-prod.a pthreadpool/libpthreadpool.a cpuinfo/libcpuinfo.a; do
  [ -f "$WORK/build/$lib" ] || die "$lib was not built"
  cp "$WORK/build/$lib" "$PREFIX/lib/"
done
{
  echo "variant: $VARIANT"
  echo "compiler: $COMPILER_ID"
  [[ "$VARIANT" == wasm* ]] && echo "flags: $WFLAGS $FLAGS" || echo "flags: $FLAGS -fPIC"
  echo "link order: -lXNNPACK -lmicrokernels-prod -lpthreadpool -lcpuinfo"
  if [ -n "$SUBSET" ]; then echo "subset: third_party/xnnpack-subset/$(basename "$SUBSET")"; else echo "subset: none"; fi
  echo "sources:"; grep -v '^#' "$REPO/third_party/SOURCES.txt" | awk 'NF { print "  " $3 }'
  echo "patches:"; for p in "${PATCHES[@]}"; do echo "  $(basename "$p")"; done
} > "$PREFIX/BUILDINFO.txt"
echo "$HASH" > "$STAMP"

if [ "${HEADLIGHT_KEEP_BUILD:-0}" != 1 ]; then
  rm -rf "$WORK"
fi
log "done: $PREFIX [$(elapsed) s]"
