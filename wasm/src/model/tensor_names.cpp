// The expected tensor list and shapes for a BertConfig (used by the converter and the loader).
#include "model/tensor_names.h"

#include <cstring>
#include <utility>

namespace hl {
namespace {

bool EndsWith(const std::string& s, const char* tail) {
  const size_t k = std::strlen(tail);
  return s.size() >= k && s.compare(s.size() - k, k, tail) == 0;
}

std::string BertName(std::string name) {
  if (name.rfind("bert.", 0) == 0) name = name.substr(5);
  if (EndsWith(name, "LayerNorm.gamma")) name = name.substr(0, name.size() - 5) + "weight";
  if (EndsWith(name, "LayerNorm.beta")) name = name.substr(0, name.size() - 4) + "bias";
  if (name == "embeddings.position_ids" || name == "cls.predictions.decoder.bias") return "";
  return name;
}

// RobertaModel / RobertaForMaskedLM: "roberta." (or no prefix) → BERT's names; the LM head (dense → gelu →
// layer_norm → decoder + bias, as BERT's transform) → cls.predictions.*; lm_head.decoder.bias repeats lm_head.bias.
std::string RobertaName(std::string name) {
  if (name.rfind("roberta.", 0) == 0) name = name.substr(8);
  if (name == "embeddings.position_ids" || name == "embeddings.token_type_ids" || name == "lm_head.decoder.bias") return "";
  static const std::pair<const char*, const char*> kHead[] = {
      {"lm_head.dense.", "cls.predictions.transform.dense."},
      {"lm_head.layer_norm.", "cls.predictions.transform.LayerNorm."},
      {"lm_head.decoder.", "cls.predictions.decoder."},
  };
  for (const auto& h : kHead) {
    const size_t k = std::strlen(h.first);
    if (name.compare(0, k, h.first) == 0) return h.second + name.substr(k);
  }
  if (name == "lm_head.bias") return "cls.predictions.bias";
  return name;
}

}  // namespace

std::string HeadlightTensorName(Family family, const std::string& hf_name) {
  switch (family) {
    case Family::kBert: return BertName(hf_name);
    case Family::kRoberta: return RobertaName(hf_name);
    case Family::kDistilBert: break;
  }
  return hf_name;
}

std::string LayerTensor(int32_t layer, const char* suffix) {
  return "encoder.layer." + std::to_string(layer) + "." + suffix;
}

std::vector<ExpectedTensor> ExpectedTensors(const BertConfig& c, const HeadSet& heads) {
  const int64_t H = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
  std::vector<ExpectedTensor> t = {
      {"embeddings.word_embeddings.weight", {V, H}, TensorRole::kEmbedding, true},
      {"embeddings.position_embeddings.weight", {c.max_position_embeddings, H}, TensorRole::kF32, true},
      {"embeddings.LayerNorm.weight", {H}, TensorRole::kF32, true},
      {"embeddings.LayerNorm.bias", {H}, TensorRole::kF32, true},
  };
  if (c.type_vocab_size > 0)
    t.insert(t.begin() + 2, {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, H}, TensorRole::kF32, true});
  struct { const char* suffix; int64_t out, in; } linears[] = {
      {"attention.self.query", H, H}, {"attention.self.key", H, H},   {"attention.self.value", H, H},
      {"attention.output.dense", H, H}, {"intermediate.dense", F, H}, {"output.dense", H, F}};
  for (int32_t l = 0; l < c.num_layers; ++l) {
    for (const auto& lin : linears) {
      t.push_back({LayerTensor(l, (std::string(lin.suffix) + ".weight").c_str()), {lin.out, lin.in}, TensorRole::kLinearWeight, true});
      t.push_back({LayerTensor(l, (std::string(lin.suffix) + ".bias").c_str()), {lin.out}, TensorRole::kF32, true});
    }
    for (const char* ln : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      t.push_back({LayerTensor(l, (std::string(ln) + ".weight").c_str()), {H}, TensorRole::kF32, true});
      t.push_back({LayerTensor(l, (std::string(ln) + ".bias").c_str()), {H}, TensorRole::kF32, true});
    }
  }
  if (heads.mlm) {
    t.push_back({"cls.predictions.transform.dense.weight", {H, H}, TensorRole::kLinearWeight, true});
    t.push_back({"cls.predictions.transform.dense.bias", {H}, TensorRole::kF32, true});
    t.push_back({"cls.predictions.transform.LayerNorm.weight", {H}, TensorRole::kF32, true});
    t.push_back({"cls.predictions.transform.LayerNorm.bias", {H}, TensorRole::kF32, true});
    t.push_back({"cls.predictions.bias", {V}, TensorRole::kF32, true});
    if (heads.untied_decoder) t.push_back({"cls.predictions.decoder.weight", {V, H}, TensorRole::kEmbedding, true});
  }
  if (heads.pooler) {
    t.push_back({"pooler.dense.weight", {H, H}, TensorRole::kLinearWeight, true});
    t.push_back({"pooler.dense.bias", {H}, TensorRole::kF32, true});
  }
  if (heads.nsp) {
    t.push_back({"cls.seq_relationship.weight", {2, H}, TensorRole::kF32, true});
    t.push_back({"cls.seq_relationship.bias", {2}, TensorRole::kF32, true});
  }
  return t;
}

}  // namespace hl
