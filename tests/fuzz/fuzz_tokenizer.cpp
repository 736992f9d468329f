// libFuzzer target: any bytes as texts A and B (cut at the first separator; none: A alone) through each tokenizer —
// the built-in model's WordPiece (uncased), a cased WordPiece and a RoBERTa byte-level BPE — with and without a cut.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int32_t kModels[] = {
      hlfuzz::LoadOrDie(hlfuzz::Source("models/headlight-mini/headlight-mini.hlm")),
      hlfuzz::ConvertOrDie(hlfuzz::Fixture("tiny-mlm"), R"({"do_lower_case": false, "tokenize_chinese_chars": true})"),
      hlfuzz::ConvertOrDie(hlfuzz::Fixture("tiny-roberta"))};
  const std::vector<std::string> parts = hlfuzz::Parts(data, size, 2);
  const bool has_b = size >= sizeof hlfuzz::kSeparator - 1 &&
                     std::string(reinterpret_cast<const char*>(data), size).find(hlfuzz::kSeparator) != std::string::npos;
  for (int32_t model : kModels) {
    for (int32_t max_tokens : {0, 7}) {
      const char* json;
      size_t length;
      hl_tokenize(model, parts[0].data(), parts[0].size(), parts[1].data(), parts[1].size(), has_b, max_tokens, &json,
                  &length);
    }
  }
  return 0;
}
