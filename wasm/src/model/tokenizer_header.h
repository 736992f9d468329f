// The "tokenizer" object of a model header: TokenizerOptions + vocabulary (+ BPE merges), and how HF files map to it.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hl {

using BpeMerges = std::vector<std::pair<std::string, std::string>>;

// WordPiece: {"type": "wordpiece", flags, special tokens, "vocab"} (no "kind"; files before BPE read the same).
// Byte-level BPE: {"type": "bpe", "kind": "bpe", special tokens, add_prefix_space, trim_offsets, ignore_merges,
// "added_tokens": [{content, lstrip, rstrip}], "vocab" in id order, "merges": [[left, right], ...] in rank order}.
nlohmann::json TokenizerToHeader(const TokenizerOptions& o, const std::vector<std::string>& vocab,
                                 const BpeMerges& merges = {});
Status TokenizerFromHeader(const nlohmann::json& j, TokenizerOptions* o, std::vector<std::string>* vocab,
                           BpeMerges* merges);

// The tokenizer of a Hugging Face checkpoint from whichever files it has (empty string_view = absent):
//  * tokenizer.json with a BPE model: byte-level BPE (vocab, merges, added_tokens with their flags, ByteLevel
//    pre-tokenizer options, RobertaProcessing's <s>/</s>); anything but a null normalizer, ByteLevel pre-tokenizer
//    and RobertaProcessing post-processor is Unsupported;
//  * else vocab.json + merges.txt: byte-level BPE with RobertaTokenizer's defaults (<mask> with lstrip, no prefix
//    space; special tokens and add_prefix_space from tokenizer_config.json when given);
//  * else vocab.txt: WordPiece with TokenizerOptionsFromHuggingFace below.
// `how` says which source decided.
Status TokenizerFromHuggingFaceFiles(std::string_view vocab_txt, std::string_view vocab_json, std::string_view merges_txt,
                                     std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                     TokenizerOptions* o, std::vector<std::string>* vocab, BpeMerges* merges,
                                     std::string* how);

// Tokenizer settings of a Hugging Face checkpoint: tokenizer.json's BertNormalizer / WordPiece if
// given, else tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars, special
// tokens), else HF's BertTokenizer defaults — except that a vocabulary holding both "The" and "the"
// is taken as cased. `how` says which source decided.
Status TokenizerOptionsFromHuggingFace(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::vector<std::string>& vocab, TokenizerOptions* o, std::string* how);

}  // namespace hl
