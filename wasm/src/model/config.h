// BertConfig: the architecture hyper-parameters, read from Hugging Face config.json or a model header.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace hl {

enum class Activation : int32_t { kGeluErf = 0, kGeluTanh = 1, kRelu = 2 };

// The Hugging Face architecture a model came from: the forward pass is BERT's for all of them; what differs is read
// from the config (positions start at position_offset; type_vocab_size 0 = no token-type embeddings) and, at
// conversion, the tensor names (tensor_names.h).
enum class Family : int32_t { kBert = 0, kRoberta = 1, kDistilBert = 2 };

struct BertConfig {
  int32_t num_layers = 0;               // L
  int32_t hidden_size = 0;              // H
  int32_t num_heads = 0;                // A; head size D = H / A
  int32_t intermediate_size = 0;        // F
  int32_t vocab_size = 0;               // V
  int32_t max_position_embeddings = 0;  // P
  int32_t type_vocab_size = 0;          // T
  float layer_norm_eps = 1e-12f;
  Activation hidden_act = Activation::kGeluErf;
  Family family = Family::kBert;
  int32_t position_offset = 0;          // position id of the first token (RoBERTa: padding_idx + 1)

  int32_t head_size() const { return hidden_size / num_heads; }
  int32_t max_tokens() const { return max_position_embeddings - position_offset; }  // tokens one run can hold
};

// Limits beyond which a config is treated as malformed rather than merely large.
constexpr int32_t kMaxLayers = 128;
constexpr int32_t kMaxHidden = 16384;
constexpr int32_t kMaxHeads = 256;
constexpr int32_t kMaxIntermediate = 65536;
constexpr int32_t kMaxVocab = 1 << 22;
constexpr int32_t kMaxPositions = 1 << 16;
constexpr int32_t kMaxTypeVocab = 1024;

// Reads Hugging Face config.json keys by model_type: BERT's (num_hidden_layers, hidden_size, ...; also when absent) or
// DistilBERT's (n_layers, dim, n_heads, hidden_dim, activation; no token types). Another model_type, an unknown
// position_embedding_type or activation → Unsupported; missing or absurd values → BadModel.
Status ConfigFromHuggingFace(const nlohmann::json& j, BertConfig* out);
// Reads/writes the compact form stored in a Headlight model header.
Status ConfigFromHeader(const nlohmann::json& j, BertConfig* out);
nlohmann::json ConfigToHeader(const BertConfig& c);
Status ValidateConfig(const BertConfig& c);
const char* ActivationName(Activation a);
const char* FamilyName(Family f);  // "bert", "roberta", "distilbert"
Status ParseFamily(const std::string& s, Family* out);

}  // namespace hl
