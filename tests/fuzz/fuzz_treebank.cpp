// libFuzzer target: any bytes as a CoNLL-U treebank (hl_treebank_load), and on what parses, each sentence's JSON and
// the syntactic-head table over the first sentences run by the built-in model.
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int32_t kModel = hlfuzz::LoadOrDie(hlfuzz::Source("models/headlight-mini/headlight-mini.hlm"));
  int32_t tb = 0;
  if (hl_treebank_load(reinterpret_cast<const char*>(data), size, &tb) != HL_STATUS_OK) return 0;
  const char* json;
  size_t length;
  hl_treebank_json(tb, -1, &json, &length);
  int32_t acc = 0;
  hl_syntax_new(kModel, tb, &acc);
  for (int32_t k = 0; k < 2 && hl_treebank_json(tb, k, &json, &length) == HL_STATUS_OK; ++k) {
    const std::string text = nlohmann::json::parse(json, json + length)["text"];  // the engine's own reply
    int32_t result = 0;
    if (hl_run(kModel, text.data(), text.size(), nullptr, 0, 0, 1, 24, 0, &result) != HL_STATUS_OK) continue;
    hl_syntax_add(acc, k, result);
    hl_syntax_choices(tb, k, result, &json, &length);
    hl_result_free(result);
  }
  hl_syntax_json(acc, &json, &length);
  hl_syntax_free(acc);
  hl_treebank_free(tb);
  return 0;
}
