// Serialisation of tokenizer settings into model headers, and their derivation from HF tokenizer files.
#include "model/tokenizer_header.h"

#include <algorithm>

namespace hl {
namespace {

Status ReadBool(const nlohmann::json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return BadModel(std::string("tokenizer: \"") + key + "\" must be true or false");
  *out = it->get<bool>();
  return Status::Ok();
}

Status ReadString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {  // AddedToken form
    *out = (*it)["content"].get<std::string>();
    return Status::Ok();
  }
  if (!it->is_string()) return BadModel(std::string("tokenizer: \"") + key + "\" must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

// HF's strip_accents: null = follow lowercase (-1), false = 0, true = 1.
Status ReadStripAccents(const nlohmann::json& j, const char* key, int* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) { *out = -1; return Status::Ok(); }
  if (it->is_boolean()) { *out = it->get<bool>() ? 1 : 0; return Status::Ok(); }
  if (it->is_number_integer() && it->get<int>() >= -1 && it->get<int>() <= 1) { *out = it->get<int>(); return Status::Ok(); }
  return BadModel(std::string("tokenizer: \"") + key + "\" must be null, true or false");
}

nlohmann::json ParseOptional(std::string_view text) {
  if (text.empty()) return nlohmann::json();
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace

nlohmann::json TokenizerToHeader(const TokenizerOptions& o, const std::vector<std::string>& vocab) {
  return nlohmann::json{{"type", "wordpiece"},
                        {"lowercase", o.lowercase},
                        {"strip_accents", o.strip_accents},
                        {"handle_chinese_chars", o.handle_chinese_chars},
                        {"clean_text", o.clean_text},
                        {"unk_token", o.unk_token},
                        {"cls_token", o.cls_token},
                        {"sep_token", o.sep_token},
                        {"pad_token", o.pad_token},
                        {"mask_token", o.mask_token},
                        {"continuing_subword_prefix", o.continuing_subword_prefix},
                        {"max_input_chars_per_word", o.max_input_chars_per_word},
                        {"vocab", vocab}};
}

Status TokenizerFromHeader(const nlohmann::json& j, TokenizerOptions* o, std::vector<std::string>* vocab) {
  if (!j.is_object() || !j.contains("type") || j["type"] != "wordpiece") return BadModel("model header: tokenizer.type is not \"wordpiece\"");
  TokenizerOptions t;
  HL_RETURN_IF_ERROR(ReadBool(j, "lowercase", &t.lowercase));
  HL_RETURN_IF_ERROR(ReadStripAccents(j, "strip_accents", &t.strip_accents));
  HL_RETURN_IF_ERROR(ReadBool(j, "handle_chinese_chars", &t.handle_chinese_chars));
  HL_RETURN_IF_ERROR(ReadBool(j, "clean_text", &t.clean_text));
  HL_RETURN_IF_ERROR(ReadString(j, "unk_token", &t.unk_token));
  HL_RETURN_IF_ERROR(ReadString(j, "cls_token", &t.cls_token));
  HL_RETURN_IF_ERROR(ReadString(j, "sep_token", &t.sep_token));
  HL_RETURN_IF_ERROR(ReadString(j, "pad_token", &t.pad_token));
  HL_RETURN_IF_ERROR(ReadString(j, "mask_token", &t.mask_token));
  HL_RETURN_IF_ERROR(ReadString(j, "continuing_subword_prefix", &t.continuing_subword_prefix));
  auto mc = j.find("max_input_chars_per_word");
  if (mc != j.end()) {
    if (!mc->is_number_integer() || mc->get<int64_t>() < 1 || mc->get<int64_t>() > 1000000)
      return BadModel("model header: tokenizer.max_input_chars_per_word must be a positive integer");
    t.max_input_chars_per_word = mc->get<int>();
  }
  auto v = j.find("vocab");
  if (v == j.end() || !v->is_array() || v->empty()) return BadModel("model header: tokenizer.vocab missing or empty");
  std::vector<std::string> words;
  words.reserve(v->size());
  for (const auto& w : *v) {
    if (!w.is_string()) return BadModel("model header: tokenizer.vocab holds a non-string");
    words.push_back(w.get<std::string>());
  }
  *o = t;
  *vocab = std::move(words);
  return Status::Ok();
}

Status TokenizerOptionsFromHuggingFace(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::vector<std::string>& vocab, TokenizerOptions* o, std::string* how) {
  TokenizerOptions t;
  const nlohmann::json tj = ParseOptional(tokenizer_json);
  const nlohmann::json tc = ParseOptional(tokenizer_config_json);
  if (!tokenizer_json.empty() && (tj.is_discarded() || !tj.is_object())) return BadModel("tokenizer.json is not valid JSON");
  if (!tokenizer_config_json.empty() && (tc.is_discarded() || !tc.is_object()))
    return BadModel("tokenizer_config.json is not valid JSON");
  if (tc.is_object()) {  // special-token names first; tokenizer.json's normalizer below overrides the flags
    HL_RETURN_IF_ERROR(ReadString(tc, "unk_token", &t.unk_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "cls_token", &t.cls_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "sep_token", &t.sep_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "pad_token", &t.pad_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "mask_token", &t.mask_token));
  }
  const bool has_normalizer = tj.is_object() && tj.contains("normalizer") && tj["normalizer"].is_object() &&
                              tj["normalizer"].value("type", "") == "BertNormalizer";
  if (tj.is_object() && tj.contains("normalizer") && !tj["normalizer"].is_null() && !has_normalizer)
    return Unsupported("tokenizer.json: normalizer is not a BertNormalizer; only BERT WordPiece tokenizers are supported");
  if (has_normalizer) {
    const nlohmann::json& n = tj["normalizer"];
    HL_RETURN_IF_ERROR(ReadBool(n, "lowercase", &t.lowercase));
    HL_RETURN_IF_ERROR(ReadStripAccents(n, "strip_accents", &t.strip_accents));
    HL_RETURN_IF_ERROR(ReadBool(n, "handle_chinese_chars", &t.handle_chinese_chars));
    HL_RETURN_IF_ERROR(ReadBool(n, "clean_text", &t.clean_text));
    if (tj.contains("model") && tj["model"].is_object()) {
      const nlohmann::json& m = tj["model"];
      if (m.contains("type") && m["type"] != "WordPiece") return Unsupported("tokenizer.json: model is not WordPiece");
      HL_RETURN_IF_ERROR(ReadString(m, "unk_token", &t.unk_token));
      HL_RETURN_IF_ERROR(ReadString(m, "continuing_subword_prefix", &t.continuing_subword_prefix));
      if (m.contains("max_input_chars_per_word") && m["max_input_chars_per_word"].is_number_integer())
        t.max_input_chars_per_word = m["max_input_chars_per_word"].get<int>();
    }
    *how = "tokenizer.json";
  } else if (tc.is_object()) {
    HL_RETURN_IF_ERROR(ReadBool(tc, "do_lower_case", &t.lowercase));
    HL_RETURN_IF_ERROR(ReadStripAccents(tc, "strip_accents", &t.strip_accents));
    HL_RETURN_IF_ERROR(ReadBool(tc, "tokenize_chinese_chars", &t.handle_chinese_chars));
    *how = "tokenizer_config.json";
  } else {
    const bool cased = std::find(vocab.begin(), vocab.end(), "The") != vocab.end() &&
                       std::find(vocab.begin(), vocab.end(), "the") != vocab.end();
    t.lowercase = !cased;
    *how = cased ? "inferred cased (vocab holds \"The\" and \"the\")" : "BertTokenizer default (lower-case)";
  }
  *o = t;
  return Status::Ok();
}

}  // namespace hl
