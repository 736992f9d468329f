// The expected tensor list and shapes for a BertConfig (used by the converter and the loader), and each family's
// checkpoint names for them.
#include "model/tensor_names.h"

#include <cstring>
#include <utility>

namespace hl {
namespace {

bool EndsWith(const std::string& s, const char* tail) {
  const size_t k = std::strlen(tail);
  return s.size() >= k && s.compare(s.size() - k, k, tail) == 0;
}

bool StartsWith(const std::string& s, const char* head) { return s.rfind(head, 0) == 0; }

// TF-era checkpoints name a LayerNorm's weight and bias gamma and beta.
std::string LayerNormWeightBias(std::string name) {
  if (EndsWith(name, "LayerNorm.gamma")) name = name.substr(0, name.size() - 5) + "weight";
  if (EndsWith(name, "LayerNorm.beta")) name = name.substr(0, name.size() - 4) + "bias";
  return name;
}

std::string BertName(std::string name) {
  if (name.rfind("bert.", 0) == 0) name = name.substr(5);
  name = LayerNormWeightBias(name);
  if (name == "embeddings.position_ids" || name == "cls.predictions.decoder.bias") return "";
  return name;
}

// DistilBERT's names (transformers' modeling_distilbert.py) and BERT's for the same weights. DistilBertModel saves the
// encoder as embeddings.* and transformer.layer.{l}.*, DistilBertForMaskedLM under "distilbert.", with its MLM head
// (vocab_*) never prefixed. The head is BERT's: dense → activation → LayerNorm → decoder tied to the word embeddings.
struct NamePair {
  const char* distilbert;
  const char* bert;
};
constexpr const char* kDistilPrefix = "distilbert.";
constexpr const char* kDistilLayer = "transformer.layer.";  // + "{l}." + a name of kLayerNames
constexpr const char* kBertLayer = "encoder.layer.";
constexpr NamePair kLayerNames[] = {
    {"attention.q_lin.", "attention.self.query."},     {"attention.k_lin.", "attention.self.key."},
    {"attention.v_lin.", "attention.self.value."},     {"attention.out_lin.", "attention.output.dense."},
    {"sa_layer_norm.", "attention.output.LayerNorm."}, {"ffn.lin1.", "intermediate.dense."},
    {"ffn.lin2.", "output.dense."},                    {"output_layer_norm.", "output.LayerNorm."},
};
constexpr NamePair kHeadNames[] = {
    {"vocab_transform.", "cls.predictions.transform.dense."},
    {"vocab_layer_norm.", "cls.predictions.transform.LayerNorm."},
    {"vocab_projector.weight", "cls.predictions.decoder.weight"},  // the converter drops it when tied
    {"vocab_projector.bias", "cls.predictions.bias"},
};
constexpr const char* kDistilEmbeddings[] = {"embeddings.word_embeddings.", "embeddings.position_embeddings.",
                                             "embeddings.LayerNorm."};

// "{l}.rest" → l and rest; false unless it starts with decimal digits and a dot.
bool SplitLayer(const std::string& s, std::string* layer, std::string* rest) {
  const size_t dot = s.find('.');
  if (dot == 0 || dot == std::string::npos || s.find_first_not_of("0123456789") != dot) return false;
  *layer = s.substr(0, dot);
  *rest = s.substr(dot + 1);
  return true;
}

// `name` with the head of one pair replaced by the other's (from → to); false when no pair's `from` begins it.
template <size_t N>
bool Rename(const NamePair (&pairs)[N], bool to_bert, const std::string& name, std::string* out) {
  for (const NamePair& p : pairs) {
    const char* from = to_bert ? p.distilbert : p.bert;
    if (!StartsWith(name, from)) continue;
    *out = (to_bert ? p.bert : p.distilbert) + name.substr(std::strlen(from));
    return true;
  }
  return false;
}

std::string DistilBertName(const std::string& hf_name) {
  const bool prefixed = StartsWith(hf_name, kDistilPrefix);
  const std::string name = LayerNormWeightBias(prefixed ? hf_name.substr(std::strlen(kDistilPrefix)) : hf_name);
  if (name == "embeddings.position_ids") return "";  // a buffer older versions saved
  std::string layer, rest, out;
  for (const char* e : kDistilEmbeddings)
    if (StartsWith(name, e)) return name;  // embeddings.*: the same names as BERT's
  if (StartsWith(name, kDistilLayer) && SplitLayer(name.substr(std::strlen(kDistilLayer)), &layer, &rest) &&
      Rename(kLayerNames, true, rest, &out))
    return kBertLayer + layer + "." + out;
  if (!prefixed && Rename(kHeadNames, true, name, &out)) return out;
  return hf_name;  // not DistilBERT's: reported as unexpected
}

// The inverse of DistilBertName for the engine's names, prefixed as DistilBertForMaskedLM saves them.
std::string DistilBertCheckpointName(const std::string& name) {
  std::string layer, rest, out;
  for (const char* e : kDistilEmbeddings)
    if (StartsWith(name, e)) return kDistilPrefix + name;
  if (StartsWith(name, kBertLayer) && SplitLayer(name.substr(std::strlen(kBertLayer)), &layer, &rest) &&
      Rename(kLayerNames, false, rest, &out))
    return kDistilPrefix + std::string(kDistilLayer) + layer + "." + out;
  if (Rename(kHeadNames, false, name, &out)) return out;
  return name;
}

// Names only a BERT checkpoint has (with or without "bert."), and only a DistilBERT one.
constexpr const char* kBertOnly[] = {"bert.", "encoder.layer.", "pooler.", "cls.", "embeddings.token_type_embeddings."};
constexpr const char* kDistilBertOnly[] = {"distilbert.", "transformer.layer.", "vocab_transform.", "vocab_layer_norm.",
                                           "vocab_projector."};

template <size_t N>
bool StartsWithAny(const std::string& s, const char* const (&heads)[N]) {
  for (const char* h : heads)
    if (StartsWith(s, h)) return true;
  return false;
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
    case Family::kDistilBert: return DistilBertName(hf_name);
    case Family::kRoberta: return RobertaName(hf_name);
  }
  return hf_name;
}

std::string CheckpointTensorName(Family family, const std::string& name) {
  return family == Family::kDistilBert ? DistilBertCheckpointName(name) : name;
}

const char* CheckpointClasses(Family family) {
  switch (family) {
    case Family::kBert: return "BertModel, BertForMaskedLM and BertForPreTraining";
    case Family::kDistilBert: return "DistilBertModel and DistilBertForMaskedLM";
    case Family::kRoberta: return "RobertaModel and RobertaForMaskedLM";
  }
  return "?";
}

Status CheckTensorFamily(Family family, const std::string& hf_name) {
  const char* other = family == Family::kDistilBert && StartsWithAny(hf_name, kBertOnly)       ? "BERT"
                      : family == Family::kBert && StartsWithAny(hf_name, kDistilBertOnly) ? "DistilBERT"
                                                                                           : nullptr;
  if (!other) return Status::Ok();
  return BadModel(std::string("model.safetensors: \"") + hf_name + "\" is a " + other +
                  " tensor name, but config.json's model_type is \"" + FamilyName(family) +
                  "\": the weights and the config are of different architectures");
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
