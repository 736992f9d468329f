// The "tokenizer" object of a model header: TokenizerOptions + vocabulary, and how HF files map to it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hl {

nlohmann::json TokenizerToHeader(const TokenizerOptions& o, const std::vector<std::string>& vocab);
Status TokenizerFromHeader(const nlohmann::json& j, TokenizerOptions* o, std::vector<std::string>* vocab);

// Tokenizer settings of a Hugging Face checkpoint: tokenizer.json's BertNormalizer / WordPiece if
// given, else tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars, special
// tokens), else HF's BertTokenizer defaults — except that a vocabulary holding both "The" and "the"
// is taken as cased. `how` says which source decided.
Status TokenizerOptionsFromHuggingFace(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::vector<std::string>& vocab, TokenizerOptions* o, std::string* how);

}  // namespace hl
