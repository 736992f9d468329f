// Parsing and validation of BertConfig from config.json and from Headlight model headers.
#include "model/config.h"

#include <cmath>

namespace hl {
namespace {

Status GetInt(const nlohmann::json& j, const char* key, int32_t lo, int32_t hi, int32_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return BadModel(std::string("config: missing \"") + key + "\"");
  if (!it->is_number_integer()) return BadModel(std::string("config: \"") + key + "\" must be an integer");
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi)
    return BadModel(std::string("config: \"") + key + "\" = " + std::to_string(v) + " is outside [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = static_cast<int32_t>(v);
  return Status::Ok();
}

// `key` names the setting in messages: "hidden_act" (BERT, headers) or "activation" (DistilBERT).
Status ParseActivation(const std::string& s, Activation* out, const char* key = "hidden_act") {
  if (s == "gelu") { *out = Activation::kGeluErf; return Status::Ok(); }
  if (s == "gelu_new" || s == "gelu_pytorch_tanh") { *out = Activation::kGeluTanh; return Status::Ok(); }
  if (s == "relu") { *out = Activation::kRelu; return Status::Ok(); }
  return Unsupported(std::string("config: ") + key + " \"" + s + "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
}

Status GetEps(const nlohmann::json& j, const char* key, float* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();  // HF default 1e-12
  if (!it->is_number()) return BadModel(std::string("config: \"") + key + "\" must be a number");
  const double v = it->get<double>();
  if (!(v > 0.0 && v < 1.0)) return BadModel(std::string("config: \"") + key + "\" must be in (0, 1)");
  *out = static_cast<float>(v);
  return Status::Ok();
}

// Where the integer fields are read from: a BERT config.json, a DistilBERT config.json or a Headlight model header.
enum class Keys { kBert, kDistilBert, kHeader };

// Integer fields: their keys in each source, member, allowed range.
struct IntField {
  const char* hf_key;          // BERT's config.json
  const char* distilbert_key;  // DistilBERT's config.json; nullptr: DistilBERT has no such setting
  const char* header_key;
  int32_t BertConfig::*member;
  int32_t lo, hi;
};
constexpr IntField kIntFields[] = {
    {"num_hidden_layers", "n_layers", "num_layers", &BertConfig::num_layers, 1, kMaxLayers},
    {"hidden_size", "dim", "hidden_size", &BertConfig::hidden_size, 1, kMaxHidden},
    {"num_attention_heads", "n_heads", "num_heads", &BertConfig::num_heads, 1, kMaxHeads},
    {"intermediate_size", "hidden_dim", "intermediate_size", &BertConfig::intermediate_size, 1, kMaxIntermediate},
    {"vocab_size", "vocab_size", "vocab_size", &BertConfig::vocab_size, 6, kMaxVocab},
    {"max_position_embeddings", "max_position_embeddings", "max_position_embeddings", &BertConfig::max_position_embeddings,
     3, kMaxPositions},
    {"type_vocab_size", nullptr, "type_vocab_size", &BertConfig::type_vocab_size, 0, kMaxTypeVocab},
};

// Reads every integer field under its key in `keys`; BERT's type_vocab_size may be absent (2); DistilBERT has no token
// types (type_vocab_size stays 0: no token-type embeddings).
Status GetIntFields(const nlohmann::json& j, Keys keys, BertConfig* c) {
  for (const IntField& f : kIntFields) {
    const char* key = keys == Keys::kBert ? f.hf_key : keys == Keys::kDistilBert ? f.distilbert_key : f.header_key;
    if (key == nullptr) continue;
    const bool bert_types = keys == Keys::kBert && f.member == &BertConfig::type_vocab_size;
    if (bert_types && !j.contains(key)) { c->type_vocab_size = 2; continue; }
    // 0 token types (no token-type embeddings) is a header's way of saying so; a BERT config.json has at least 1.
    HL_RETURN_IF_ERROR(GetInt(j, key, bert_types ? 1 : f.lo, f.hi, &(c->*f.member)));
  }
  return Status::Ok();
}

// The Hugging Face model types Headlight runs (config.json's "model_type"; absent = "bert").
struct ModelType {
  const char* name;
  Family family;
};
constexpr ModelType kModelTypes[] = {
    {"bert", Family::kBert},
    {"distilbert", Family::kDistilBert},
    {"roberta", Family::kRoberta},
};

Status FamilyOfModelType(const nlohmann::json& j, Family* out) {
  auto mt = j.find("model_type");
  if (mt == j.end() || !mt->is_string()) { *out = Family::kBert; return Status::Ok(); }
  std::string names;
  for (const ModelType& t : kModelTypes) {
    if (*mt == t.name) { *out = t.family; return Status::Ok(); }
    names += std::string(names.empty() ? "" : ", ") + t.name;
  }
  return Unsupported("config.json: model_type \"" + mt->get<std::string>() + "\" is not one Headlight runs (" + names + ")");
}

// BERT's config.json: num_hidden_layers, hidden_size, ..., type_vocab_size, layer_norm_eps, hidden_act.
Status ConfigFromBert(const nlohmann::json& j, BertConfig* c) {
  auto pe = j.find("position_embedding_type");
  if (pe != j.end() && pe->is_string() && *pe != "absolute")
    return Unsupported("config.json: position_embedding_type \"" + pe->get<std::string>() + "\" is not supported (only \"absolute\")");
  HL_RETURN_IF_ERROR(GetIntFields(j, Keys::kBert, c));
  HL_RETURN_IF_ERROR(GetEps(j, "layer_norm_eps", &c->layer_norm_eps));
  auto act = j.find("hidden_act");
  if (act != j.end()) {
    if (!act->is_string()) return BadModel("config.json: hidden_act must be a string");
    HL_RETURN_IF_ERROR(ParseActivation(act->get<std::string>(), &c->hidden_act));
  }
  return Status::Ok();
}

// DistilBERT's config.json (transformers' DistilBertConfig): n_layers, dim, n_heads, hidden_dim, vocab_size,
// max_position_embeddings, activation. No token types; every LayerNorm has eps 1e-12, fixed in modeling_distilbert.py
// (no config key); positions from 0. sinusoidal_pos_embds needs nothing: the position table is in the checkpoint.
Status ConfigFromDistilBert(const nlohmann::json& j, BertConfig* c) {
  c->family = Family::kDistilBert;
  c->type_vocab_size = 0;
  c->layer_norm_eps = 1e-12f;
  c->position_offset = 0;
  HL_RETURN_IF_ERROR(GetIntFields(j, Keys::kDistilBert, c));
  auto act = j.find("activation");
  if (act != j.end()) {
    if (!act->is_string()) return BadModel("config.json: activation must be a string");
    HL_RETURN_IF_ERROR(ParseActivation(act->get<std::string>(), &c->hidden_act, "activation"));
  }
  return Status::Ok();
}

}  // namespace

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kGeluErf: return "gelu";
    case Activation::kGeluTanh: return "gelu_new";
    case Activation::kRelu: return "relu";
  }
  return "?";
}

const char* FamilyName(Family f) {
  switch (f) {
    case Family::kBert: return "bert";
    case Family::kRoberta: return "roberta";
    case Family::kDistilBert: return "distilbert";
  }
  return "?";
}

Status ParseFamily(const std::string& s, Family* out) {
  for (Family f : {Family::kBert, Family::kRoberta, Family::kDistilBert})
    if (s == FamilyName(f)) { *out = f; return Status::Ok(); }
  return Unsupported("model family \"" + s + "\" is not one this engine runs (bert, roberta, distilbert)");
}

Status ValidateConfig(const BertConfig& c) {
  if (c.num_heads <= 0 || c.hidden_size % c.num_heads != 0)
    return BadModel("config: hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
                    std::to_string(c.num_heads));
  if (c.position_offset < 0 || c.position_offset >= c.max_position_embeddings)
    return BadModel("config: position offset " + std::to_string(c.position_offset) + " leaves no position of " +
                    std::to_string(c.max_position_embeddings) + " for tokens");
  return Status::Ok();
}

namespace {

// RoBERTa's config.json: BERT's keys; positions start after the padding index (create_position_ids_from_input_ids:
// padding_idx + 1 + i), so a run holds max_position_embeddings - pad_token_id - 1 tokens (514 → 512). Its LM head
// applies exact GELU whatever hidden_act says (modeling_roberta's RobertaLMHead), and the engine's head uses
// hidden_act, so only "gelu" is accepted.
Status RobertaFromHuggingFace(const nlohmann::json& j, BertConfig* c) {
  c->family = Family::kRoberta;
  auto pad = j.find("pad_token_id");
  if (pad == j.end() || !pad->is_number_integer()) return BadModel("config.json: a roberta config needs an integer pad_token_id");
  const int64_t p = pad->get<int64_t>();
  if (p < 0 || p + 1 >= c->max_position_embeddings)
    return BadModel("config.json: pad_token_id " + std::to_string(p) + " leaves no position of max_position_embeddings " +
                    std::to_string(c->max_position_embeddings) + " for tokens");
  c->position_offset = static_cast<int32_t>(p + 1);
  if (c->hidden_act != Activation::kGeluErf)
    return Unsupported(std::string("config.json: roberta with hidden_act \"") + ActivationName(c->hidden_act) +
                       "\" is not supported (its LM head always uses exact GELU; only \"gelu\" is)");
  return Status::Ok();
}

}  // namespace

Status ConfigFromHuggingFace(const nlohmann::json& j, BertConfig* out) {
  if (!j.is_object()) return BadModel("config.json is not a JSON object");
  BertConfig c;
  HL_RETURN_IF_ERROR(FamilyOfModelType(j, &c.family));
  HL_RETURN_IF_ERROR(c.family == Family::kDistilBert ? ConfigFromDistilBert(j, &c) : ConfigFromBert(j, &c));
  if (c.family == Family::kRoberta) HL_RETURN_IF_ERROR(RobertaFromHuggingFace(j, &c));
  HL_RETURN_IF_ERROR(ValidateConfig(c));
  *out = c;
  return Status::Ok();
}

Status ConfigFromHeader(const nlohmann::json& j, BertConfig* out) {
  if (!j.is_object()) return BadModel("model header: \"config\" is not an object");
  BertConfig c;
  HL_RETURN_IF_ERROR(GetIntFields(j, Keys::kHeader, &c));
  if (!j.contains("layer_norm_eps")) return BadModel("model header: config.layer_norm_eps missing");
  HL_RETURN_IF_ERROR(GetEps(j, "layer_norm_eps", &c.layer_norm_eps));
  auto act = j.find("hidden_act");
  if (act == j.end() || !act->is_string()) return BadModel("model header: config.hidden_act missing");
  HL_RETURN_IF_ERROR(ParseActivation(act->get<std::string>(), &c.hidden_act));
  // Optional (files written before RoBERTa and DistilBERT are BERT with positions from 0).
  if (auto f = j.find("family"); f != j.end()) {
    if (!f->is_string()) return BadModel("model header: config.family must be a string");
    HL_RETURN_IF_ERROR(ParseFamily(f->get<std::string>(), &c.family));
  }
  if (j.contains("position_offset")) HL_RETURN_IF_ERROR(GetInt(j, "position_offset", 0, kMaxPositions, &c.position_offset));
  HL_RETURN_IF_ERROR(ValidateConfig(c));
  *out = c;
  return Status::Ok();
}

nlohmann::json ConfigToHeader(const BertConfig& c) {
  nlohmann::json j{{"layer_norm_eps", c.layer_norm_eps}, {"hidden_act", ActivationName(c.hidden_act)},
                   {"family", FamilyName(c.family)}, {"position_offset", c.position_offset}};
  for (const IntField& f : kIntFields) j[f.header_key] = c.*f.member;
  return j;
}

}  // namespace hl
