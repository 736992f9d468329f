// libFuzzer target: the Hugging Face converter (hl_convert_*) on any bytes cut into config.json, vocab.txt,
// tokenizer_config.json, tokenizer.json, model.safetensors.index.json and two safetensors files (each fed in two
// chunks), then, on what converts, a load and a short run.
#include "fuzz_util.h"

namespace {

enum Part { kConfig, kVocab, kTokenizerConfig, kTokenizerJson, kIndex, kShard1, kShard2, kParts };

const char* Opt(const std::string& s) { return s.empty() ? nullptr : s.data(); }

bool Feed(int32_t conv, const std::string& file) {
  const size_t half = file.size() / 2;
  const auto* p = reinterpret_cast<const uint8_t*>(file.data());
  return hl_convert_feed(conv, p, half, 0) == HL_STATUS_OK &&
         hl_convert_feed(conv, p + half, file.size() - half, 1) == HL_STATUS_OK;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> p = hlfuzz::Parts(data, size, kParts);
  int32_t conv = 0;
  if (hl_convert_begin(p[kConfig].data(), p[kConfig].size(), Opt(p[kVocab]), p[kVocab].size(), Opt(p[kTokenizerConfig]),
                       p[kTokenizerConfig].size(), Opt(p[kTokenizerJson]), p[kTokenizerJson].size(), Opt(p[kIndex]),
                       p[kIndex].size(), 1, &conv) != HL_STATUS_OK)
    return 0;
  // A failed feed ends the conversion; a sharded checkpoint's second file is fed only with an index.
  if (!Feed(conv, p[kShard1]) || (!p[kIndex].empty() && !Feed(conv, p[kShard2]))) return 0;
  void* out = nullptr;
  size_t length = 0;
  if (hl_convert_finish(conv, &out, &length) != HL_STATUS_OK) return 0;
  int32_t model = 0;
  if (hl_model_load(out, length, 1, &model) != HL_STATUS_OK) return 0;  // owns out either way
  int32_t result = 0;
  if (hl_run(model, "a b c", 5, "d", 1, 1, 2, 8, 0, &result) == HL_STATUS_OK) hl_result_free(result);
  hl_model_free(model);
  return 0;
}
