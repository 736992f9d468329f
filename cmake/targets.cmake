# Targets built on top of headlight_engine: the wasm modules (page + Node), native tools, Catch2 tests.

set(HL_FIXTURES_DIR "${CMAKE_BINARY_DIR}/../fixtures" CACHE PATH "Generated checkpoints and reference outputs (tools/test.sh)")
get_filename_component(HL_FIXTURES_DIR "${HL_FIXTURES_DIR}" ABSOLUTE)

if(EMSCRIPTEN)
  # Emscripten's Node glue and pthread worker scripts are CommonJS; the repo's package.json says "module".
  file(WRITE "${CMAKE_BINARY_DIR}/package.json" "{\"type\": \"commonjs\"}\n")
  # The engine module: ES module for the page (web/engine/), CommonJS twin for Node (tests, bench).
  # It exports the hl_* functions that wasm/include/headlight.h declares, read from it: a declaration is a line that
  # starts with its return type and names the function before "(" (tests/js/contract.test.mjs reads it the same way).
  set(HL_API_HEADER "${CMAKE_SOURCE_DIR}/wasm/include/headlight.h")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${HL_API_HEADER}")
  file(READ "${HL_API_HEADER}" HL_API_TEXT)
  string(REGEX MATCHALL "\n[a-z][^\n(]*[ *]hl_[a-z0-9_]+\\(" HL_API_DECLS "${HL_API_TEXT}")
  set(HL_EXPORTS)
  foreach(decl IN LISTS HL_API_DECLS)
    string(REGEX REPLACE ".*[ *](hl_[a-z0-9_]+)\\($" "\\1" fn "${decl}")
    list(APPEND HL_EXPORTS "'_${fn}'")
  endforeach()
  if(NOT HL_EXPORTS)
    message(FATAL_ERROR "no hl_* function declarations found in ${HL_API_HEADER}")
  endif()
  list(JOIN HL_EXPORTS "," HL_EXPORTS)
  set(HL_EXPORTS "[${HL_EXPORTS}]")
  set(HL_MODULE_FLAGS -O3 -sMODULARIZE=1 -sEXPORT_NAME=createHeadlight "-sEXPORTED_FUNCTIONS=${HL_EXPORTS}"
      "-sEXPORTED_RUNTIME_METHODS=['UTF8ToString','stringToUTF8','lengthBytesUTF8','HEAPU8','HEAP32','HEAPF32']"
      -sINITIAL_MEMORY=64MB -sTOTAL_STACK=1MB)
  if(HEADLIGHT_THREADS)
    set(HL_VARIANT mt)
  else()
    set(HL_VARIANT st)
  endif()
  if(HEADLIGHT_RELAXED_SIMD)
    string(APPEND HL_VARIANT -relaxed)   # headlight-st-relaxed.mjs, headlight-mt-relaxed-node.cjs, ...
  endif()
  foreach(flavor web node)
    set(target headlight_${HL_VARIANT}_${flavor})
    add_executable(${target} wasm/src/api/module_main.cpp)
    target_link_libraries(${target} PRIVATE headlight_engine)
    if(HEADLIGHT_THREADS AND flavor STREQUAL "web")
      target_link_options(${target} PRIVATE -sPTHREAD_POOL_SIZE=navigator.hardwareConcurrency)
    elseif(HEADLIGHT_THREADS)
      target_link_options(${target} PRIVATE -sPTHREAD_POOL_SIZE=4)  # Node 20 has no navigator
    endif()
    if(flavor STREQUAL "web")
      target_link_options(${target} PRIVATE ${HL_MODULE_FLAGS} -sEXPORT_ES6=1 -sENVIRONMENT=web,worker)
      set_target_properties(${target} PROPERTIES OUTPUT_NAME "headlight-${HL_VARIANT}" SUFFIX ".mjs")
    else()
      target_link_options(${target} PRIVATE ${HL_MODULE_FLAGS} -sENVIRONMENT=node)
      set_target_properties(${target} PROPERTIES OUTPUT_NAME "headlight-${HL_VARIANT}-node" SUFFIX ".cjs")
    endif()
  endforeach()
  set(HL_TOOL_LINK_FLAGS -sNODERAWFS=1 -sEXIT_RUNTIME=1)
  if(HEADLIGHT_THREADS)
    list(APPEND HL_TOOL_LINK_FLAGS -sPTHREAD_POOL_SIZE=4)
  endif()
endif()

# Tools: native binaries; the bench also as wasm (run by Node on the real file system).
add_executable(hl-bench tools/bench/bench.cpp)
# clang 16 renames main(argc, argv) to __main_argc_argv; Emscripten 3.1.6 calls `main` (tools/emcc-relaxed/main_shim.c).
set(HL_MAIN_SHIM)
if(HEADLIGHT_RELAXED_SIMD)
  set(HL_MAIN_SHIM "${CMAKE_SOURCE_DIR}/tools/emcc-relaxed/main_shim.c")
  target_sources(hl-bench PRIVATE ${HL_MAIN_SHIM})
endif()
target_link_libraries(hl-bench PRIVATE headlight_engine)
if(EMSCRIPTEN)
  target_link_options(hl-bench PRIVATE ${HL_TOOL_LINK_FLAGS})
  set_target_properties(hl-bench PROPERTIES SUFFIX ".cjs")
else()
  add_executable(hl-convert tools/convert/main.cpp)
  target_link_libraries(hl-convert PRIVATE headlight_engine)
  add_executable(hl-run tools/run/main.cpp)
  target_link_libraries(hl-run PRIVATE headlight_engine)
  add_executable(hl-analyze tools/analysis/main.cpp tools/analysis/texts.cpp tools/analysis/syntax.cpp)  # tools/analyze
  target_link_libraries(hl-analyze PRIVATE headlight_engine)
  # libheadlight.so: the C API of wasm/include/headlight.h for other languages (python/: ctypes); it exports the hl_*
  # functions and nothing else (cmake/libheadlight.map).
  add_library(headlight SHARED cmake/libheadlight.cpp)
  target_link_libraries(headlight PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,headlight_engine>")
  target_link_options(headlight PRIVATE "-Wl,--version-script=${CMAKE_SOURCE_DIR}/cmake/libheadlight.map")
  set_target_properties(headlight PROPERTIES LINK_DEPENDS "${CMAKE_SOURCE_DIR}/cmake/libheadlight.map")
endif()

# Tests: one Catch2 executable; the threaded wasm build has none (its kernels are the same code).
if(NOT (EMSCRIPTEN AND HEADLIGHT_THREADS))
  file(GLOB HL_TEST_SOURCES CONFIGURE_DEPENDS tests/cpp/*.cpp)
  add_executable(headlight_tests ${HL_TEST_SOURCES} ${HL_MAIN_SHIM})
  target_link_libraries(headlight_tests PRIVATE headlight_engine)
  target_compile_definitions(headlight_tests PRIVATE HL_SOURCE_DIR="${CMAKE_SOURCE_DIR}" HL_FIXTURES_DIR="${HL_FIXTURES_DIR}")
  if(EMSCRIPTEN)
    target_link_options(headlight_tests PRIVATE ${HL_TOOL_LINK_FLAGS} -sTOTAL_STACK=4MB)
    set_target_properties(headlight_tests PROPERTIES SUFFIX ".cjs")
  endif()
  # One ctest entry per Catch2 tag group keeps ctest's summary readable and runs them in parallel.
  foreach(tag tokenizer ops linear model_file convert model api analysis)
    add_test(NAME ${tag} COMMAND headlight_tests "[${tag}]")
  endforeach()
endif()

# Relaxed builds: the relaxed int8 GEMM's check against its reference, as a web module that Chromium runs
# (tests/browser/gemm_relaxed_check.cpp; Node's V8 never picks that kernel).
if(EMSCRIPTEN AND HEADLIGHT_RELAXED_SIMD AND NOT HEADLIGHT_THREADS)
  add_executable(hl_gemm_relaxed_check tests/browser/gemm_relaxed_check.cpp)
  target_link_libraries(hl_gemm_relaxed_check PRIVATE headlight_engine)
  target_link_options(hl_gemm_relaxed_check PRIVATE -O3 -sMODULARIZE=1 -sEXPORT_ES6=1 -sENVIRONMENT=web,worker
                      -sEXPORT_NAME=createGemmCheck "-sEXPORTED_FUNCTIONS=['_gemm_relaxed_check','_gemm_relaxed_first_failure']"
                      "-sEXPORTED_RUNTIME_METHODS=['UTF8ToString']")
  set_target_properties(hl_gemm_relaxed_check PROPERTIES OUTPUT_NAME "hl-gemm-relaxed-check" SUFFIX ".mjs")
endif()

# hl-analyze end to end (native only): a tiny model converted with hl-convert, a 3-line TSV, its output files.
if(NOT EMSCRIPTEN)
  add_test(NAME analyze_cli COMMAND bash "${CMAKE_SOURCE_DIR}/tests/cpp/analyze_cli_test.sh" $<TARGET_FILE:hl-convert>
           $<TARGET_FILE:hl-analyze> "${HL_FIXTURES_DIR}" "${CMAKE_BINARY_DIR}/analyze_cli_test")
endif()

# libFuzzer targets (tests/fuzz/, tools/fuzz.sh): one executable per parser at the C API.
if(HEADLIGHT_FUZZ)
  file(GLOB HL_FUZZ_SOURCES CONFIGURE_DEPENDS tests/fuzz/fuzz_*.cpp)
  foreach(src ${HL_FUZZ_SOURCES})
    get_filename_component(name "${src}" NAME_WE)
    add_executable(${name} "${src}")
    target_link_libraries(${name} PRIVATE headlight_engine)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_compile_definitions(${name} PRIVATE HL_SOURCE_DIR="${CMAKE_SOURCE_DIR}" HL_FIXTURES_DIR="${HL_FIXTURES_DIR}")
  endforeach()
endif()
