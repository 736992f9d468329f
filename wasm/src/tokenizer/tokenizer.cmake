# Tokenizer sources for the top-level CMakeLists.txt: sets HL_TOKENIZER_SOURCES and HL_TOKENIZER_INCLUDE_DIRS.
# The Unicode tables are generated at build time by tools/gen_unicode_tables.py from Debian's
# `unicode-data` package (Unicode 15.0, /usr/share/unicode); override with -DHL_UNICODE_DATA_DIR=...
set(HL_UNICODE_DATA_DIR "/usr/share/unicode" CACHE PATH "Unicode Character Database (UnicodeData.txt etc.)")
foreach(_hl_ucd_file UnicodeData.txt SpecialCasing.txt DerivedCoreProperties.txt)
  if(NOT EXISTS "${HL_UNICODE_DATA_DIR}/${_hl_ucd_file}")
    message(FATAL_ERROR "${HL_UNICODE_DATA_DIR}/${_hl_ucd_file} missing: install Debian package unicode-data")
  endif()
endforeach()
find_program(HL_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT HL_PYTHON3)
  find_program(HL_PYTHON3 NAMES python3 REQUIRED)
endif()

get_filename_component(_hl_tok_root "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(_hl_tok_generator "${_hl_tok_root}/tools/gen_unicode_tables.py")
set(_hl_tok_gen_dir "${CMAKE_BINARY_DIR}/generated/tokenizer")
set(_hl_tok_gen_outputs "${_hl_tok_gen_dir}/hl_unicode_tables.h" "${_hl_tok_gen_dir}/hl_unicode_tables.cpp")
add_custom_command(
  OUTPUT ${_hl_tok_gen_outputs}
  COMMAND "${HL_PYTHON3}" "${_hl_tok_generator}" --ucd "${HL_UNICODE_DATA_DIR}" --out "${_hl_tok_gen_dir}"
  DEPENDS "${_hl_tok_generator}"
          "${HL_UNICODE_DATA_DIR}/UnicodeData.txt" "${HL_UNICODE_DATA_DIR}/SpecialCasing.txt"
          "${HL_UNICODE_DATA_DIR}/DerivedCoreProperties.txt"
  COMMENT "Generating tokenizer Unicode tables from ${HL_UNICODE_DATA_DIR}"
  VERBATIM)

set(HL_TOKENIZER_SOURCES
  "${CMAKE_CURRENT_LIST_DIR}/bpe.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/normalizer.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/pretokenizer.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/tokenizer.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/unicode.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/utf8.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/vocab_index.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/wordpiece.cpp"
  "${_hl_tok_gen_dir}/hl_unicode_tables.cpp")
set(HL_TOKENIZER_INCLUDE_DIRS "${_hl_tok_gen_dir}")
