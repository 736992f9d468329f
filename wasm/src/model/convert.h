// Converter: a Hugging Face BERT checkpoint (config.json, vocab.txt, model.safetensors) to a Headlight model file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hl {

struct HfCheckpoint {
  std::string_view config_json;            // required
  std::string_view vocab_txt;              // BERT WordPiece (empty = absent)
  std::string_view tokenizer_config_json;  // optional (empty = absent)
  std::string_view tokenizer_json;         // optional; with a BPE model it is RoBERTa's whole tokenizer
  std::string_view vocab_json;             // RoBERTa byte-level BPE without tokenizer.json: vocab.json + merges.txt
  std::string_view merges_txt;
  const uint8_t* safetensors = nullptr;    // required
  size_t safetensors_size = 0;
};

struct ConvertOptions {
  bool int8 = true;             // linear weights int8 per output channel; false = everything f32
  bool int8_embeddings = true;  // with int8: word embeddings (and the tied decoder) int8 per row too
  bool f32_qk_input = false;    // with int8: the query and key projections read f32 activations instead of
                                // int8 rows (meta "qk_input"): fewer near-tie attention flips, slower Q and K
  std::string name;             // recorded in the header's meta
  std::string source;           // e.g. the hub id or folder
};

// Accepts the tensor names of BertModel, BertForMaskedLM and BertForPreTraining, with or without
// the "bert." prefix, and of RobertaModel / RobertaForMaskedLM (with or without "roberta."), F32/F16/BF16.
// The tokenizer comes from whichever files are given (TokenizerFromHuggingFaceFiles in tokenizer_header.h).
// Missing, unexpected or mis-shaped tensors are errors naming them.
// `report` receives a human-readable summary (tensors, heads found, tokenizer source).
Status ConvertHuggingFace(const HfCheckpoint& ckpt, const ConvertOptions& options, std::vector<uint8_t>* out,
                          std::string* report);

}  // namespace hl
