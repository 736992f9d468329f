// libFuzzer target: any bytes as text A (and B after a separator) run by the built-in model with norms, then every
// analysis of the result: both weightings' statistics, the head map (distances, MDS), rollout and flow.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int32_t kModel = hlfuzz::LoadOrDie(hlfuzz::Source("models/headlight-mini/headlight-mini.hlm"));
  const std::vector<std::string> parts = hlfuzz::Parts(data, size, 2);
  const bool has_b = !parts[1].empty();
  int32_t result = 0;
  // At most 24 tokens: under ASan the run and flow are the slow parts; the analyses see every shape from 2 tokens up.
  if (hl_run(kModel, parts[0].data(), parts[0].size(), parts[1].data(), parts[1].size(), has_b, 2, 24,
             HL_OUTPUT_VALUE_NORMS, &result) != HL_STATUS_OK)
    return 0;
  const char* json;
  size_t length;
  for (int32_t w : {HL_WEIGHTING_ATTENTION, HL_WEIGHTING_NORM}) {
    hl_result_stats(result, w, &json, &length);
    int32_t acc = 0;
    if (hl_distances_new(kModel, w, &acc) == HL_STATUS_OK) {
      hl_distances_add(acc, result);
      hl_distances_mds(acc, &json, &length);
      hl_distances_free(acc);
    }
  }
  const float* matrix;
  size_t bytes;
  hl_result_combined(result, HL_COMBINE_ROLLOUT, 4, &matrix, &bytes);
  hl_result_combined(result, HL_COMBINE_FLOW, 1, &matrix, &bytes);
  hl_result_free(result);
  return 0;
}
