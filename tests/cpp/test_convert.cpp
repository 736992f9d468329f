// The converter's errors: missing, unexpected and mis-shaped tensors, bad configs, malformed safetensors.
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

// A RobertaForMaskedLM checkpoint in memory: "roberta." names and lm_head.*, the committed byte-level BPE tokenizer.
const char* kRobertaConfig = R"({"model_type":"roberta","num_hidden_layers":1,"hidden_size":8,"num_attention_heads":2,
  "intermediate_size":16,"vocab_size":945,"max_position_embeddings":18,"type_vocab_size":1,"hidden_act":"gelu",
  "pad_token_id":1,"bos_token_id":0,"eos_token_id":2,"layer_norm_eps":1e-5})";

std::vector<std::pair<std::string, std::vector<int64_t>>> RobertaExpected(bool mlm, const std::string& prefix = "roberta.") {
  std::string err;
  hl::BertConfig c;
  REQUIRE(hl::ConfigFromHuggingFace(nlohmann::json::parse(kRobertaConfig), &c).ok());
  hl::HeadSet heads;
  heads.mlm = mlm;
  std::vector<std::pair<std::string, std::vector<int64_t>>> t;
  for (const auto& e : hl::ExpectedTensors(c, heads)) {
    std::string name = prefix + e.name;
    if (e.name.rfind("cls.predictions.transform.dense.", 0) == 0) name = "lm_head.dense." + e.name.substr(32);
    if (e.name.rfind("cls.predictions.transform.LayerNorm.", 0) == 0) name = "lm_head.layer_norm." + e.name.substr(36);
    if (e.name == "cls.predictions.bias") name = "lm_head.bias";
    t.push_back({name, e.shape});
  }
  return t;
}

std::string ReadSourceFile(const std::string& rel) {
  std::string s;
  REQUIRE(hl::ReadFileString(std::string(HL_SOURCE_DIR) + "/" + rel, &s).ok());
  return s;
}

hl::Status ConvertRoberta(const std::vector<uint8_t>& st, const std::string& config = kRobertaConfig,
                          std::unique_ptr<hl::BertModel>* model = nullptr, bool vocab_merges = false) {
  const std::string tok = ReadSourceFile("tests/fixtures/tokenizer/bpe/tokenizer.json");
  const std::string vocab_json = ReadSourceFile("tests/fixtures/tokenizer/bpe/vocab.json");
  const std::string merges = ReadSourceFile("tests/fixtures/tokenizer/bpe/merges.txt");
  hl::HfCheckpoint ck;
  ck.config_json = config;
  if (vocab_merges) {
    ck.vocab_json = vocab_json;
    ck.merges_txt = merges;
  } else {
    ck.tokenizer_json = tok;
  }
  ck.safetensors = st.data();
  ck.safetensors_size = st.size();
  std::vector<uint8_t> bytes;
  std::string report;
  hl::Status s = hl::ConvertHuggingFace(ck, hl::ConvertOptions(), &bytes, &report);
  if (s.ok() && model) s = hl::BertModel::Load(hltest::ToAligned(bytes), hl::LoadOptions(), model);
  return s;
}

}  // namespace

TEST_CASE("RoBERTa checkpoints convert: names, tied/untied decoder, tokenizer from tokenizer.json or vocab.json", "[convert]") {
  for (bool vocab_merges : {false, true}) {
    std::unique_ptr<hl::BertModel> m;
    hl::Status s = ConvertRoberta(Safetensors(RobertaExpected(true)), kRobertaConfig, &m, vocab_merges);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(m->has_mlm_head());
    REQUIRE(m->tokenizer().options().kind == hl::TokenizerKind::kByteLevelBpe);
    REQUIRE(m->config().max_tokens() == 16);
    hl::RunResult r;
    REQUIRE(m->Run("The cat sat on the <mask>.", "", false, hl::RunOptions(), &r).ok());
    REQUIRE(r.encoding.tokens.front().text == "<s>");
  }
  // RobertaModel: no prefix, no LM head.
  std::unique_ptr<hl::BertModel> m;
  REQUIRE(ConvertRoberta(Safetensors(RobertaExpected(false, "")), kRobertaConfig, &m).ok());
  REQUIRE(!m->has_mlm_head());
  // lm_head.decoder.weight equal to the word embeddings is the tied decoder; lm_head.decoder.bias repeats lm_head.bias.
  auto t = RobertaExpected(true);
  t.push_back({"lm_head.decoder.weight", {945, 8}});
  t.push_back({"lm_head.decoder.bias", {945}});
  REQUIRE(ConvertRoberta(Safetensors(t)).ok());  // random (untied) decoder: stored as its own matrix
  // buffers are ignored
  t = RobertaExpected(true);
  t.push_back({"roberta.embeddings.position_ids", {1, 18}});
  REQUIRE(ConvertRoberta(Safetensors(t)).ok());
}

TEST_CASE("RoBERTa converter errors name the tensor or setting at fault", "[convert]") {
  SECTION("missing tensor") {
    auto t = RobertaExpected(true);
    t.erase(std::find_if(t.begin(), t.end(), [](const auto& x) { return x.first == "roberta.encoder.layer.0.output.dense.weight"; }));
    const hl::Status s = ConvertRoberta(Safetensors(t));
    REQUIRE(s.code() == hl::Code::kBadModel);
    REQUIRE(s.message().find("missing tensor \"encoder.layer.0.output.dense.weight\"") != std::string::npos);
  }
  SECTION("unexpected tensor (a classification head)") {
    auto t = RobertaExpected(false);
    t.push_back({"classifier.dense.weight", {8, 8}});
    const hl::Status s = ConvertRoberta(Safetensors(t));
    REQUIRE(s.message().find("unexpected tensor \"classifier.dense.weight\"") != std::string::npos);
  }
  SECTION("wrong shape") {
    auto t = RobertaExpected(true);
    for (auto& x : t)
      if (x.first == "lm_head.dense.weight") x.second = {8, 7};
    const hl::Status s = ConvertRoberta(Safetensors(t));
    REQUIRE(s.message().find("cls.predictions.transform.dense.weight\" has shape [8, 7]") != std::string::npos);
  }
  SECTION("the same tensor with and without the prefix") {
    auto t = RobertaExpected(false);
    t.push_back({"embeddings.LayerNorm.bias", {8}});
    REQUIRE(ConvertRoberta(Safetensors(t)).message().find("twice") != std::string::npos);
  }
  SECTION("config") {
    std::string cfg = kRobertaConfig;
    cfg.replace(cfg.find("\"pad_token_id\":1,"), 17, "");
    REQUIRE(ConvertRoberta(Safetensors(RobertaExpected(true)), cfg).message().find("pad_token_id") != std::string::npos);
    cfg = kRobertaConfig;
    cfg.replace(cfg.find("\"hidden_act\":\"gelu\""), 19, "\"hidden_act\":\"relu\"");
    REQUIRE(ConvertRoberta(Safetensors(RobertaExpected(true)), cfg).code() == hl::Code::kUnsupported);
    cfg = kRobertaConfig;
    cfg.replace(cfg.find("\"vocab_size\":945"), 16, "\"vocab_size\":900");
    REQUIRE(ConvertRoberta(Safetensors(RobertaExpected(true)), cfg).message().find("BPE vocabulary has 945") != std::string::npos);
  }
  SECTION("no tokenizer at all") {
    hl::HfCheckpoint ck;
    ck.config_json = kRobertaConfig;
    const std::vector<uint8_t> st = Safetensors(RobertaExpected(true));
    ck.safetensors = st.data();
    ck.safetensors_size = st.size();
    std::vector<uint8_t> out;
    std::string report;
    const hl::Status s = hl::ConvertHuggingFace(ck, hl::ConvertOptions(), &out, &report);
    REQUIRE(s.code() == hl::Code::kBadModel);
    REQUIRE(s.message().find("vocab.json + merges.txt") != std::string::npos);
  }
}
