// Catch2 entry point for headlight_tests (tags: [tokenizer] [ops] [linear] [model_file] [convert] [model] [api] [analysis]).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
