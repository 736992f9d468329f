// libFuzzer target: any bytes as an accumulator's sums (hl_distances_add_sums, hl_syntax_add_sums: what a Dask
// worker sends back), added into accumulators of the built-in model that then give their results.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int32_t kModel = hlfuzz::LoadOrDie(hlfuzz::Source("models/headlight-mini/headlight-mini.hlm"));
  static const char kTreebank[] = "1\tIt\tit\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n2\tworked\twork\tVERB\tVBD\t_\t0\troot\t_\t_\n\n";
  static int32_t tb = [] {
    int32_t h = 0;
    if (hl_treebank_load(kTreebank, sizeof kTreebank - 1, &h) != HL_STATUS_OK) std::abort();
    return h;
  }();
  const char* text = reinterpret_cast<const char*>(data);
  const char* json;
  size_t length;
  for (int32_t w : {HL_WEIGHTING_ATTENTION, HL_WEIGHTING_NORM}) {
    int32_t acc = 0;
    if (hl_distances_new(kModel, w, &acc) != HL_STATUS_OK) std::abort();
    if (hl_distances_add_sums(acc, text, size) == HL_STATUS_OK) {
      hl_distances_mds(acc, &json, &length);
      hl_distances_sums(acc, &json, &length);
    }
    hl_distances_free(acc);
  }
  int32_t acc = 0;
  if (hl_syntax_new(kModel, tb, &acc) != HL_STATUS_OK) std::abort();
  if (hl_syntax_add_sums(acc, text, size) == HL_STATUS_OK) hl_syntax_json(acc, &json, &length);
  hl_syntax_free(acc);
  return 0;
}
