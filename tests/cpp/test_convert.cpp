// The converter's errors (BERT, DistilBERT): missing, unexpected and mis-shaped tensors, bad configs, bad safetensors.
#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "model/bert.h"
#include "model/tensor_names.h"
#include "test_util.h"

namespace {

// Builds a safetensors file from (name, shape) with seeded f32 data; HF names with "bert." prefix.
std::vector<uint8_t> Safetensors(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors, uint32_t seed = 3) {
  nlohmann::json header = nlohmann::json::object();
  std::vector<uint8_t> data;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  for (const auto& t : tensors) {
    int64_t n = 1;
    for (int64_t s : t.second) n *= s;
    const size_t begin = data.size();
    data.resize(begin + 4 * n);
    for (int64_t i = 0; i < n; ++i) { const float v = nd(rng); std::memcpy(&data[begin + 4 * i], &v, 4); }
    header[t.first] = {{"dtype", "F32"}, {"shape", t.second}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string h = header.dump();
  std::vector<uint8_t> out(8 + h.size());
  const uint64_t len = h.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, h.data(), h.size());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

const char* kConfig = R"({"model_type":"bert","num_hidden_layers":1,"hidden_size":8,"num_attention_heads":2,
  "intermediate_size":16,"vocab_size":12,"max_position_embeddings":16,"type_vocab_size":2,"hidden_act":"gelu"})";
const char* kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\nsat\n.\n##s\na\ndog\n";

std::vector<std::pair<std::string, std::vector<int64_t>>> Expected(bool mlm) {
  hl::BertConfig c;
  c.num_layers = 1; c.hidden_size = 8; c.num_heads = 2; c.intermediate_size = 16; c.vocab_size = 12;
  c.max_position_embeddings = 16; c.type_vocab_size = 2;
  hl::HeadSet heads;
  heads.mlm = mlm;
  std::vector<std::pair<std::string, std::vector<int64_t>>> t;
  for (const auto& e : hl::ExpectedTensors(c, heads))
    t.push_back({(e.name.rfind("cls.", 0) == 0 ? "" : "bert.") + e.name, e.shape});
  return t;
}

hl::Status Convert(const std::vector<uint8_t>& st, const std::string& config = kConfig, const std::string& vocab = kVocab,
                   std::vector<uint8_t>* out = nullptr) {
  hl::HfCheckpoint ck;
  ck.config_json = config;
  ck.vocab_txt = vocab;
  ck.safetensors = st.data();
  ck.safetensors_size = st.size();
  std::vector<uint8_t> bytes;
  std::string report;
  return hl::ConvertHuggingFace(ck, hl::ConvertOptions(), out ? out : &bytes, &report);
}

}  // namespace

TEST_CASE("a complete checkpoint converts and loads; a tied decoder is accepted", "[convert]") {
  auto t = Expected(true);
  t.push_back({"cls.predictions.decoder.bias", {12}});
  std::vector<uint8_t> out;
  hl::Status s = Convert(Safetensors(t), kConfig, kVocab, &out);
  INFO(s.message());
  REQUIRE(s.ok());
  std::unique_ptr<hl::BertModel> m;
  REQUIRE(hl::BertModel::Load(hltest::ToAligned(out), hl::LoadOptions(), &m).ok());
  REQUIRE(m->has_mlm_head());
}

TEST_CASE("converter errors name the tensor or setting at fault", "[convert]") {
  SECTION("missing tensor") {
    auto t = Expected(false);
    t.erase(t.begin() + 7);
    hl::Status s = Convert(Safetensors(t));
    REQUIRE(s.code() == hl::Code::kBadModel);
    REQUIRE(s.message().find("missing tensor") != std::string::npos);
  }
  SECTION("unexpected tensor") {
    auto t = Expected(false);
    t.push_back({"classifier.weight", {2, 8}});
    hl::Status s = Convert(Safetensors(t));
    REQUIRE(s.message().find("unexpected tensor \"classifier.weight\"") != std::string::npos);
  }
  SECTION("shape mismatch") {
    auto t = Expected(false);
    for (auto& e : t)
      if (e.first == "bert.encoder.layer.0.intermediate.dense.weight") e.second = {15, 8};
    hl::Status s = Convert(Safetensors(t));
    REQUIRE(s.message().find("intermediate.dense.weight\" has shape [15, 8]") != std::string::npos);
  }
  SECTION("config inconsistent") {
    std::string cfg = kConfig;
    cfg.replace(cfg.find("\"num_attention_heads\":2"), 23, "\"num_attention_heads\":3");
    REQUIRE(Convert(Safetensors(Expected(false)), cfg).message().find("divisible") != std::string::npos);
    REQUIRE(Convert(Safetensors(Expected(false)), "{not json").message().find("config.json") != std::string::npos);
    REQUIRE(Convert(Safetensors(Expected(false)), R"({"model_type":"gpt2"})").code() == hl::Code::kUnsupported);
  }
  SECTION("vocab larger than the embeddings") {
    std::string vocab = kVocab;
    vocab += "extra\n";
    REQUIRE(Convert(Safetensors(Expected(false)), kConfig, vocab).message().find("vocab.txt has 13") != std::string::npos);
  }
  SECTION("malformed safetensors: every truncation fails cleanly") {
    const std::vector<uint8_t> st = Safetensors(Expected(false));
    for (size_t cut = 0; cut < st.size(); cut += (cut < 600 ? 1 : 211)) {
      std::vector<uint8_t> part(st.begin(), st.begin() + cut);
      hl::Status s = Convert(part);
      INFO("cut " << cut << ": " << s.message());
      REQUIRE(s.code() == hl::Code::kBadModel);
    }
  }
}

namespace {

const char* kDistilConfig = R"({"model_type":"distilbert","architectures":["DistilBertForMaskedLM"],"n_layers":1,"dim":8,
  "n_heads":2,"hidden_dim":16,"vocab_size":12,"max_position_embeddings":16,"activation":"gelu","sinusoidal_pos_embds":false})";

// A one-layer DistilBERT checkpoint's tensors, named as transformers' modeling_distilbert.py saves them (written out
// here, not derived from tensor_names): DistilBertForMaskedLM with prefix "distilbert." and mlm, DistilBertModel with
// neither. The MLM head's names never carry the prefix; its tied vocab_projector.weight is left out, as HF's files do.
std::vector<std::pair<std::string, std::vector<int64_t>>> DistilBertTensors(bool mlm, const std::string& prefix) {
  const int64_t H = 8, F = 16, V = 12, P = 16;
  std::vector<std::pair<std::string, std::vector<int64_t>>> t = {
      {prefix + "embeddings.word_embeddings.weight", {V, H}}, {prefix + "embeddings.position_embeddings.weight", {P, H}},
      {prefix + "embeddings.LayerNorm.weight", {H}},          {prefix + "embeddings.LayerNorm.bias", {H}}};
  const std::string l = prefix + "transformer.layer.0.";
  for (const char* lin : {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"}) {
    t.push_back({l + lin + ".weight", {H, H}});
    t.push_back({l + lin + ".bias", {H}});
  }
  t.insert(t.end(), {{l + "sa_layer_norm.weight", {H}}, {l + "sa_layer_norm.bias", {H}},
                     {l + "ffn.lin1.weight", {F, H}},   {l + "ffn.lin1.bias", {F}},
                     {l + "ffn.lin2.weight", {H, F}},   {l + "ffn.lin2.bias", {H}},
                     {l + "output_layer_norm.weight", {H}}, {l + "output_layer_norm.bias", {H}}});
  if (mlm)
    t.insert(t.end(), {{"vocab_transform.weight", {H, H}}, {"vocab_transform.bias", {H}}, {"vocab_layer_norm.weight", {H}},
                       {"vocab_layer_norm.bias", {H}}, {"vocab_projector.bias", {V}}});
  return t;
}

std::unique_ptr<hl::BertModel> LoadConverted(const std::vector<uint8_t>& st, const std::string& config) {
  std::vector<uint8_t> out;
  hl::Status s = Convert(st, config, kVocab, &out);
  INFO(s.message());
  REQUIRE(s.ok());
  std::unique_ptr<hl::BertModel> m;
  REQUIRE(hl::BertModel::Load(hltest::ToAligned(out), hl::LoadOptions(), &m).ok());
  return m;
}

}  // namespace

TEST_CASE("DistilBERT config.json: its own keys, no token types, eps 1e-12; unknown model types named", "[convert]") {
  hl::BertConfig c;
  REQUIRE(hl::ConfigFromHuggingFace(nlohmann::json::parse(kDistilConfig), &c).ok());
  REQUIRE(c.family == hl::Family::kDistilBert);
  REQUIRE((c.num_layers == 1 && c.hidden_size == 8 && c.num_heads == 2 && c.intermediate_size == 16));
  REQUIRE((c.vocab_size == 12 && c.max_position_embeddings == 16 && c.max_tokens() == 16));
  REQUIRE(c.type_vocab_size == 0);
  REQUIRE(c.position_offset == 0);
  REQUIRE(c.layer_norm_eps == 1e-12f);
  REQUIRE(c.hidden_act == hl::Activation::kGeluErf);

  nlohmann::json j = nlohmann::json::parse(kDistilConfig);
  j["activation"] = "relu";
  REQUIRE(hl::ConfigFromHuggingFace(j, &c).ok());
  REQUIRE(c.hidden_act == hl::Activation::kRelu);
  j["activation"] = "swish";
  hl::Status s = hl::ConfigFromHuggingFace(j, &c);
  REQUIRE(s.code() == hl::Code::kUnsupported);
  REQUIRE(s.message().find("activation \"swish\"") != std::string::npos);
  j = nlohmann::json::parse(kDistilConfig);
  j.erase("n_layers");
  j["num_hidden_layers"] = 1;  // BERT's key does not stand in for DistilBERT's
  REQUIRE(hl::ConfigFromHuggingFace(j, &c).message().find("missing \"n_layers\"") != std::string::npos);
  j = nlohmann::json::parse(kDistilConfig);
  j["dim"] = 9;
  REQUIRE(hl::ConfigFromHuggingFace(j, &c).message().find("divisible") != std::string::npos);

  for (const char* type : {"gpt2", "roberta"}) {
    s = hl::ConfigFromHuggingFace(nlohmann::json{{"model_type", type}}, &c);
    INFO(s.message());
    REQUIRE(s.code() == hl::Code::kUnsupported);
    REQUIRE(s.message().find(std::string("model_type \"") + type + "\" is not one Headlight runs (bert, distilbert)") !=
            std::string::npos);
  }
  REQUIRE(hl::ConfigFromHuggingFace(nlohmann::json::parse(kConfig), &c).ok());  // BERT, as before
  REQUIRE((c.family == hl::Family::kBert && c.type_vocab_size == 2));
}

TEST_CASE("DistilBERT checkpoints convert: DistilBertForMaskedLM, DistilBertModel (no prefix, no head)", "[convert]") {
  SECTION("DistilBertForMaskedLM, tied decoder omitted") {
    auto m = LoadConverted(Safetensors(DistilBertTensors(true, "distilbert.")), kDistilConfig);
    REQUIRE(m->has_mlm_head());
    REQUIRE(m->config().family == hl::Family::kDistilBert);
    REQUIRE(m->config().type_vocab_size == 0);
  }
  SECTION("DistilBertModel: no prefix, no head; the position_ids buffer is ignored") {
    auto t = DistilBertTensors(false, "");
    t.push_back({"embeddings.position_ids", {1, 16}});
    auto m = LoadConverted(Safetensors(t), kDistilConfig);
    REQUIRE(!m->has_mlm_head());
  }
  SECTION("an untied vocab_projector.weight is the decoder") {
    auto t = DistilBertTensors(true, "distilbert.");
    t.push_back({"vocab_projector.weight", {12, 8}});
    REQUIRE(LoadConverted(Safetensors(t), kDistilConfig)->has_mlm_head());
  }
}

TEST_CASE("DistilBERT converter errors name the checkpoint's tensor", "[convert]") {
  SECTION("missing tensor") {
    auto t = DistilBertTensors(true, "distilbert.");
    const std::string gone = "distilbert.transformer.layer.0.ffn.lin2.weight";
    t.erase(std::find_if(t.begin(), t.end(), [&](const auto& e) { return e.first == gone; }));
    hl::Status s = Convert(Safetensors(t), kDistilConfig);
    INFO(s.message());
    REQUIRE(s.code() == hl::Code::kBadModel);
    REQUIRE(s.message().find("missing tensor \"" + gone + "\" (with or without \"distilbert.\")") != std::string::npos);
  }
  SECTION("missing head tensor") {
    auto t = DistilBertTensors(true, "distilbert.");
    t.erase(std::find_if(t.begin(), t.end(), [](const auto& e) { return e.first == "vocab_layer_norm.bias"; }));
    hl::Status s = Convert(Safetensors(t), kDistilConfig);
    INFO(s.message());
    REQUIRE(s.message().find("missing tensor \"vocab_layer_norm.bias\"") != std::string::npos);
  }
  SECTION("mis-shaped tensor") {
    auto t = DistilBertTensors(false, "");
    for (auto& e : t)
      if (e.first == "transformer.layer.0.attention.k_lin.weight") e.second = {8, 7};
    hl::Status s = Convert(Safetensors(t), kDistilConfig);
    INFO(s.message());
    const char* want = "\"distilbert.transformer.layer.0.attention.k_lin.weight\" has shape [8, 7]";
    REQUIRE(s.message().find(want) != std::string::npos);
  }
  SECTION("unexpected tensor") {
    auto t = DistilBertTensors(false, "");
    t.push_back({"pre_classifier.weight", {8, 8}});
    hl::Status s = Convert(Safetensors(t), kDistilConfig);
    INFO(s.message());
    REQUIRE(s.message().find("unexpected tensor \"pre_classifier.weight\" (this converter reads DistilBertModel and "
                             "DistilBertForMaskedLM checkpoints)") != std::string::npos);
  }
  SECTION("model_type distilbert over BERT tensor names, with and without the prefix") {
    std::vector<std::pair<std::string, std::vector<int64_t>>> bert_model;  // BertModel: no prefix
    for (const auto& e : Expected(false)) bert_model.push_back({e.first.substr(5), e.second});
    for (const auto& t : {Expected(true), bert_model}) {
      hl::Status s = Convert(Safetensors(t), kDistilConfig);
      INFO(s.message());
      REQUIRE(s.code() == hl::Code::kBadModel);
      REQUIRE(s.message().find("is a BERT tensor name, but config.json's model_type is \"distilbert\"") != std::string::npos);
    }
  }
  SECTION("model_type bert over DistilBERT tensor names") {
    hl::Status s = Convert(Safetensors(DistilBertTensors(true, "distilbert.")), kConfig);
    INFO(s.message());
    REQUIRE(s.message().find("is a DistilBERT tensor name, but config.json's model_type is \"bert\"") != std::string::npos);
  }
}
