// The converter: its errors (BERT, DistilBERT, RoBERTa) for missing, unexpected and mis-shaped tensors, bad configs and
// bad safetensors; the stream, shards, F16/BF16, the tied decoder, SHA-256.
#include <algorithm>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "model/bert.h"
#include "model/tensor_names.h"
#include "test_util.h"

namespace {

// How a test tensor is stored: f32, or f32 values rounded to bfloat16 / float16 and stored as such (kF32Rounded*: the
// same rounded values stored as f32, which must convert to the same model).
enum class Store { kF32, kBF16, kF16, kF32RoundedBF16, kF32RoundedF16 };

uint16_t ToBF16(float v) { uint32_t b; std::memcpy(&b, &v, 4); return static_cast<uint16_t>(b >> 16); }  // truncation
float FromBF16(uint16_t h) { const uint32_t b = static_cast<uint32_t>(h) << 16; float v; std::memcpy(&v, &b, 4); return v; }
// float16 for normal values of the tests' range (|v| in [2^-14, 65504)), round to nearest even; 0 for tiny values.
uint16_t ToF16(float v) {
  uint32_t b; std::memcpy(&b, &v, 4);
  const uint32_t sign = (b >> 16) & 0x8000u;
  const int32_t exp = static_cast<int32_t>((b >> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return static_cast<uint16_t>(sign);
  uint32_t mant = b & 0x7fffffu, h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(h);
}
float FromF16(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  const uint32_t b = exp == 0 ? sign : sign | ((exp + 127 - 15) << 23) | (mant << 13);
  float v; std::memcpy(&v, &b, 4); return v;
}

// Builds a safetensors file from (name, shape) with seeded data; HF names with "bert." prefix. `same_as`: tensors whose
// data repeats an earlier one's (a tied decoder).
std::vector<uint8_t> Safetensors(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors, uint32_t seed = 3,
                                 Store store = Store::kF32, const std::map<std::string, std::string>& same_as = {}) {
  nlohmann::json header = nlohmann::json::object();
  std::vector<uint8_t> data;
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::map<std::string, std::vector<float>> values;
  const bool half = store == Store::kBF16 || store == Store::kF16;
  for (const auto& t : tensors) {
    int64_t n = 1;
    for (int64_t s : t.second) n *= s;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = nd(rng);
    if (auto it = same_as.find(t.first); it != same_as.end()) v = values.at(it->second);
    values[t.first] = v;
    const size_t begin = data.size();
    data.resize(begin + (half ? 2 : 4) * n);
    for (int64_t i = 0; i < n; ++i) {
      float x = v[i];
      if (store == Store::kF32RoundedBF16) x = FromBF16(ToBF16(x));
      if (store == Store::kF32RoundedF16) x = FromF16(ToF16(x));
      const uint16_t h = store == Store::kBF16 ? ToBF16(x) : ToF16(x);
      if (half) std::memcpy(&data[begin + 2 * i], &h, 2);
      else std::memcpy(&data[begin + 4 * i], &x, 4);
    }
    const char* dtype = store == Store::kBF16 ? "BF16" : store == Store::kF16 ? "F16" : "F32";
    header[t.first] = {{"dtype", dtype}, {"shape", t.second}, {"data_offsets", {begin, data.size()}}};
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

// Feeds one file to a streaming conversion in pieces of `piece` bytes (the last one shorter).
hl::Status FeedInPieces(hl::Converter* c, const std::vector<uint8_t>& file, size_t piece) {
  for (size_t at = 0; at < file.size(); at += piece) HL_RETURN_IF_ERROR(c->Feed(file.data() + at, std::min(piece, file.size() - at)));
  return c->EndFile();
}

hl::Status Stream(const std::vector<std::vector<uint8_t>>& files, size_t piece, std::vector<uint8_t>* out,
                  const std::string& index = "") {
  hl::HfCheckpoint ck;
  ck.config_json = kConfig;
  ck.vocab_txt = kVocab;
  ck.index_json = index;
  std::unique_ptr<hl::Converter> c;
  HL_RETURN_IF_ERROR(hl::Converter::Begin(ck, hl::ConvertOptions(), &c));
  for (const auto& f : files) HL_RETURN_IF_ERROR(FeedInPieces(c.get(), f, piece));
  hl::AlignedBuffer file;
  std::string report;
  HL_RETURN_IF_ERROR(c->Finish(&file, &report));
  out->assign(file.data(), file.data() + file.size());
  return hl::Status::Ok();
}

// The tensors split into `n` shard files (round robin) and their index.
std::vector<std::vector<uint8_t>> Shards(const std::vector<std::pair<std::string, std::vector<int64_t>>>& t, int n, std::string* index) {
  std::vector<std::vector<std::pair<std::string, std::vector<int64_t>>>> parts(n);
  nlohmann::json map = nlohmann::json::object();
  for (size_t i = 0; i < t.size(); ++i) {
    parts[i % n].push_back(t[i]);
    map[t[i].first] = "model-0000" + std::to_string(i % n + 1) + "-of-0000" + std::to_string(n) + ".safetensors";
  }
  *index = nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump();
  std::vector<std::vector<uint8_t>> files;
  for (int k = 0; k < n; ++k) files.push_back(Safetensors(parts[k], 10 + k));
  return files;
}

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

TEST_CASE("streamed in pieces of any size, a checkpoint converts to the same bytes as whole", "[convert]") {
  const std::vector<uint8_t> st = Safetensors(Expected(true));
  std::vector<uint8_t> whole, piecewise;
  REQUIRE(Convert(st, kConfig, kVocab, &whole).ok());
  for (size_t piece : {size_t(1), size_t(3), size_t(8), size_t(61), size_t(4096), st.size()}) {
    INFO("pieces of " << piece);
    REQUIRE(Stream({st}, piece, &piecewise).ok());
    REQUIRE(piecewise == whole);
  }
  // The fixture checkpoint too, in 1 MB pieces (its word embeddings span several).
  const std::vector<uint8_t> fixture = hltest::ConvertFixture("tiny-mlm", true);
  hl::CheckpointFiles files;
  REQUIRE(hl::ReadCheckpointDir(hltest::RequireFixture("tiny-mlm"), &files).ok());
  std::unique_ptr<hl::Converter> c;
  hl::ConvertOptions opt;
  opt.name = "tiny-mlm";
  REQUIRE(hl::Converter::Begin(files.view(), opt, &c).ok());
  std::vector<uint8_t> bytes(files.safetensors.data(), files.safetensors.data() + files.safetensors.size());
  REQUIRE(FeedInPieces(c.get(), bytes, 1 << 20).ok());
  hl::AlignedBuffer out;
  std::string report;
  REQUIRE(c->Finish(&out, &report).ok());
  REQUIRE(std::vector<uint8_t>(out.data(), out.data() + out.size()) == fixture);
}

TEST_CASE("a sharded checkpoint (model.safetensors.index.json) converts to the model of its tensors", "[convert]") {
  auto t = Expected(true);
  std::string index;
  const auto shards = Shards(t, 3, &index);
  std::vector<uint8_t> sharded, single;
  hl::Status s = Stream(shards, 977, &sharded, index);
  INFO(s.message());
  REQUIRE(s.ok());
  // The same tensors in one file (shard k's data came from seed 10 + k: rebuild them in the same order).
  std::vector<std::string> files;
  REQUIRE(hl::Converter::ShardFiles(index, &files).ok());
  REQUIRE(files == std::vector<std::string>{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                            "model-00003-of-00003.safetensors"});
  std::unique_ptr<hl::BertModel> m;
  REQUIRE(hl::BertModel::Load(hltest::ToAligned(sharded), hl::LoadOptions(), &m).ok());
  REQUIRE(m->has_mlm_head());
  SECTION("a shard that lacks a tensor its index lists") {
    auto short_shards = shards;
    std::string idx;
    auto t2 = t;
    t2.erase(t2.begin() + 4);  // drop one tensor from the files, not from the index
    short_shards = Shards(t2, 3, &idx);
    REQUIRE(Stream(short_shards, 4096, &single, index).message().find("never arrived (the index lists it") != std::string::npos);
  }
  SECTION("an index whose file names are not plain names") {
    std::string bad = index;
    bad.replace(bad.find("model-00001-of-00003"), 20, "../../etc/passwd0000");
    REQUIRE(Stream(shards, 4096, &single, bad).message().find("not a plain file name") != std::string::npos);
    REQUIRE(Stream(shards, 4096, &single, R"({"weight_map": {}})").message().find("no \"weight_map\"") != std::string::npos);
  }
  SECTION("two files without an index") {
    REQUIRE(Stream(shards, 4096, &single).code() == hl::Code::kBadModel);  // the first file alone misses tensors
  }
}

TEST_CASE("BF16 and F16 tensors convert to the model of their values in f32", "[convert]") {
  const auto t = Expected(true);
  std::vector<uint8_t> half, full;
  REQUIRE(Convert(Safetensors(t, 5, Store::kBF16), kConfig, kVocab, &half).ok());
  REQUIRE(Convert(Safetensors(t, 5, Store::kF32RoundedBF16), kConfig, kVocab, &full).ok());
  REQUIRE(half == full);
  REQUIRE(Convert(Safetensors(t, 5, Store::kF16), kConfig, kVocab, &half).ok());
  REQUIRE(Convert(Safetensors(t, 5, Store::kF32RoundedF16), kConfig, kVocab, &full).ok());
  REQUIRE(half == full);
  REQUIRE(Convert(Safetensors(t, 5, Store::kF32), kConfig, kVocab, &full).ok());
  REQUIRE(half != full);  // the rounding is real, so the equalities above could fail
}

TEST_CASE("a decoder equal to the word embeddings is tied (not stored, the same file as without it); a different one is kept", "[convert]") {
  auto t = Expected(true);
  t.push_back({"cls.predictions.decoder.weight", {12, 8}});
  std::vector<uint8_t> tied, untied, plain;
  REQUIRE(Convert(Safetensors(t, 3, Store::kF32, {{"cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"}}),
                  kConfig, kVocab, &tied).ok());
  REQUIRE(Convert(Safetensors(t, 3), kConfig, kVocab, &untied).ok());
  hl::ModelFileView a, b;
  auto ta = hltest::ToAligned(tied), tb = hltest::ToAligned(untied);
  REQUIRE(hl::ParseModelFile(ta.data(), ta.size(), &a).ok());
  REQUIRE(hl::ParseModelFile(tb.data(), tb.size(), &b).ok());
  REQUIRE(a.find("cls.predictions.decoder.weight") == nullptr);
  REQUIRE(b.find("cls.predictions.decoder.weight") != nullptr);
  REQUIRE(tied.size() < untied.size());
  REQUIRE(Convert(Safetensors(Expected(true), 3), kConfig, kVocab, &plain).ok());
  REQUIRE(tied == plain);  // the very file of the checkpoint without the decoder
}

TEST_CASE("a cut or overlong stream fails with where it stopped", "[convert]") {
  const std::vector<uint8_t> st = Safetensors(Expected(false));
  std::vector<uint8_t> out;
  std::vector<uint8_t> cut(st.begin(), st.end() - 100);
  const hl::Status s = Stream({cut}, 64, &out);
  INFO(s.message());
  REQUIRE(s.message().find("ended after " + std::to_string(cut.size()) + " bytes of " + std::to_string(st.size())) != std::string::npos);
  REQUIRE(s.message().find("truncated download") != std::string::npos);
  std::vector<uint8_t> longer = st;
  longer.push_back(0);
  REQUIRE(Stream({longer}, 64, &out).message().find("1 bytes more after the last tensor") != std::string::npos);
}

#ifdef __EMSCRIPTEN__
TEST_CASE("wasm: a model too large for the engine's memory fails at its header, before the weights", "[convert]") {
  // 48 layers of H = 4096: about 10 GB as int8, far past wasm32's 4 GB.
  const std::string config = R"({"model_type":"bert","num_hidden_layers":48,"hidden_size":4096,"num_attention_heads":32,
    "intermediate_size":16384,"vocab_size":12,"max_position_embeddings":16,"type_vocab_size":2})";
  hl::BertConfig c;
  REQUIRE(hl::ConfigFromHuggingFace(nlohmann::json::parse(config), &c).ok());
  nlohmann::json header = nlohmann::json::object();
  uint64_t at = 0;
  for (const auto& e : hl::ExpectedTensors(c, hl::HeadSet())) {
    uint64_t n = 4;
    for (int64_t d : e.shape) n *= d;
    header["bert." + e.name] = {{"dtype", "F32"}, {"shape", e.shape}, {"data_offsets", {at, at + n}}};
    at += n;
  }
  const std::string h = header.dump();
  std::vector<uint8_t> head(8 + h.size());
  const uint64_t len = h.size();
  std::memcpy(head.data(), &len, 8);
  std::memcpy(head.data() + 8, h.data(), h.size());
  hl::HfCheckpoint ck;
  ck.config_json = config;
  ck.vocab_txt = kVocab;
  std::unique_ptr<hl::Converter> conv;
  REQUIRE(hl::Converter::Begin(ck, hl::ConvertOptions(), &conv).ok());
  const hl::Status s = conv->Feed(head.data(), head.size());
  INFO(s.message());
  REQUIRE(s.code() == hl::Code::kOutOfMemory);
  REQUIRE(s.message().find("the converted model needs") != std::string::npos);
}
#endif

TEST_CASE("SHA-256: the FIPS 180-2 examples, in pieces of any size; the converter's digest of each file it ended", "[convert]") {
  auto hex = [](const std::string& s, size_t piece) {
    hl::Sha256 h;
    for (size_t at = 0; at < s.size(); at += piece)
      h.Update(reinterpret_cast<const uint8_t*>(s.data()) + at, std::min(piece, s.size() - at));
    return h.HexDigest();
  };
  for (size_t piece : {size_t(1), size_t(55), size_t(64), size_t(1000)}) {
    REQUIRE(hex("", piece) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    REQUIRE(hex("abc", piece) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    REQUIRE(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece) ==
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    REQUIRE(hex(std::string(1000000, 'a'), piece * 7) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
  const std::vector<uint8_t> st = Safetensors(Expected(false));
  hl::HfCheckpoint ck;
  ck.config_json = kConfig;
  ck.vocab_txt = kVocab;
  std::unique_ptr<hl::Converter> c;
  REQUIRE(hl::Converter::Begin(ck, hl::ConvertOptions(), &c).ok());
  REQUIRE(FeedInPieces(c.get(), st, 333).ok());
  hl::Sha256 whole;
  whole.Update(st.data(), st.size());
  REQUIRE(c->last_file_sha256() == whole.HexDigest());
}

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

  for (const char* type : {"gpt2", "t5"}) {
    s = hl::ConfigFromHuggingFace(nlohmann::json{{"model_type", type}}, &c);
    INFO(s.message());
    REQUIRE(s.code() == hl::Code::kUnsupported);
    REQUIRE(s.message().find(std::string("model_type \"") + type + "\" is not one Headlight runs (bert, distilbert, roberta)") !=
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
