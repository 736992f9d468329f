# XNNPACK (+ pthreadpool, cpuinfo) as prebuilt static libraries, installed by
# tools/deps/build_xnnpack.sh into ${HEADLIGHT_DEPS_DIR}/<variant>/{include,lib}.
# Defines the INTERFACE target hl_xnnpack (include dirs + libs in link order).
#
#   native   host build (gcc/clang), Release -O2 -fPIC
#   wasm     Emscripten, -msimd128, single thread (pthreadpool = single-thread shim)
#   wasm-mt  Emscripten, -msimd128 -pthread (when HEADLIGHT_THREADS is ON)
#   wasm-relaxed, wasm-mt-relaxed   the same + -mrelaxed-simd (when HEADLIGHT_RELAXED_SIMD is ON)

if(EMSCRIPTEN)
  if(HEADLIGHT_THREADS)
    set(HL_XNNPACK_VARIANT wasm-mt)
  else()
    set(HL_XNNPACK_VARIANT wasm)
  endif()
  if(HEADLIGHT_RELAXED_SIMD)
    string(APPEND HL_XNNPACK_VARIANT -relaxed)   # wasm-relaxed, wasm-mt-relaxed: + -mrelaxed-simd, clang-16
  endif()
else()
  set(HL_XNNPACK_VARIANT native)
endif()

if(NOT DEFINED HEADLIGHT_DEPS_DIR OR HEADLIGHT_DEPS_DIR STREQUAL "")
  set(HEADLIGHT_DEPS_DIR "${CMAKE_SOURCE_DIR}/.deps")
endif()
set(HL_XNNPACK_PREFIX "${HEADLIGHT_DEPS_DIR}/${HL_XNNPACK_VARIANT}")

# Link order matters for static libs: XNNPACK uses the microkernels, pthreadpool and cpuinfo.
set(HL_XNNPACK_LIB_NAMES XNNPACK microkernels-prod pthreadpool cpuinfo)
set(HL_XNNPACK_LIBS)
set(_hl_missing)
foreach(_lib ${HL_XNNPACK_LIB_NAMES})
  set(_path "${HL_XNNPACK_PREFIX}/lib/lib${_lib}.a")
  if(NOT EXISTS "${_path}")
    list(APPEND _hl_missing "${_path}")
  endif()
  list(APPEND HL_XNNPACK_LIBS "${_path}")
endforeach()
foreach(_hdr xnnpack.h pthreadpool.h)
  if(NOT EXISTS "${HL_XNNPACK_PREFIX}/include/${_hdr}")
    list(APPEND _hl_missing "${HL_XNNPACK_PREFIX}/include/${_hdr}")
  endif()
endforeach()
if(_hl_missing)
  string(REPLACE ";" "\n  " _hl_missing_txt "${_hl_missing}")
  message(FATAL_ERROR
    "XNNPACK (${HL_XNNPACK_VARIANT}) is not built; missing:\n  ${_hl_missing_txt}\n"
    "Run:  bash tools/deps/build_xnnpack.sh ${HL_XNNPACK_VARIANT}\n"
    "(or set HEADLIGHT_DEPS_DIR to where it was installed)")
endif()

# Re-run CMake's configure when the deps are rebuilt (the stamp changes).
if(EXISTS "${HL_XNNPACK_PREFIX}/.stamp")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${HL_XNNPACK_PREFIX}/.stamp")
endif()

add_library(hl_xnnpack INTERFACE)
# SYSTEM: no warnings from XNNPACK's headers under -Wall -Wextra.
target_include_directories(hl_xnnpack SYSTEM INTERFACE "${HL_XNNPACK_PREFIX}/include")
target_link_libraries(hl_xnnpack INTERFACE ${HL_XNNPACK_LIBS})
if(EMSCRIPTEN)
  if(HEADLIGHT_THREADS)
    # Every object in a threaded wasm module must be built with -pthread (atomics, bulk memory).
    target_compile_options(hl_xnnpack INTERFACE -pthread)
    target_link_options(hl_xnnpack INTERFACE -pthread)
  endif()
else()
  find_package(Threads REQUIRED)
  target_link_libraries(hl_xnnpack INTERFACE Threads::Threads ${CMAKE_DL_LIBS} m)
endif()
message(STATUS "hl_xnnpack: ${HL_XNNPACK_VARIANT} from ${HL_XNNPACK_PREFIX}")
