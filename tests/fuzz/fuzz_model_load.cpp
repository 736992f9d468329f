// libFuzzer target: any bytes as a Headlight model file (hl_model_load), and on what loads, its info and a short run.
#include <cstring>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  void* p = hl_alloc(size ? size : 1);
  if (!p) return 0;
  std::memcpy(p, data, size);
  int32_t model = 0;
  if (hl_model_load(p, size, 1, &model) != HL_STATUS_OK) return 0;  // owns p either way
  const char* json;
  size_t length;
  hl_model_info(model, &json, &length);
  int32_t result = 0;
  static const char kText[] = "The cat sat on the mat.";
  if (hl_run(model, kText, sizeof kText - 1, "It slept.", 9, 1, 3, 16, HL_OUTPUT_VALUE_NORMS, &result) == HL_STATUS_OK) {
    hl_result_stats(result, HL_WEIGHTING_NORM, &json, &length);
    hl_result_free(result);
  }
  hl_model_free(model);
  return 0;
}
