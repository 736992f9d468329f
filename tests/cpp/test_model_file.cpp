// Malformed model files: truncations, flipped bytes, wrong magic/version, absurd shapes, missing tensors → clear errors.
// Run under ASan/UBSan natively by tools/test.sh.
#include <cstring>
#include <functional>
#include <memory>

#include "model/bert.h"
#include "model/model_file.h"
#include "model/tensor_names.h"
#include "model/tokenizer_header.h"
#include "quant/quantize.h"
#include "test_util.h"

namespace {

enum class Panels { kNone, kLinear, kAlsoEmbeddings };  // which int8 tensors are stored in the GEMM's panels

// A complete, valid model of a tiny shape with a 40-word vocabulary, built in memory (the embeddings in panels: not valid).
std::vector<uint8_t> TinyModelBytes(bool int8, bool drop_one = false, int64_t bad_dim = 0, const char* qk_input = nullptr,
                                    Panels panels = Panels::kNone) {
  hl::BertConfig c;
  c.num_layers = 2; c.hidden_size = 8; c.num_heads = 2; c.intermediate_size = 16;
  c.vocab_size = 40; c.max_position_embeddings = 16; c.type_vocab_size = 2;
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", ".", "##s"};
  for (int i = (int)vocab.size(); i < c.vocab_size; ++i) vocab.push_back("w" + std::to_string(i));
  hl::TokenizerOptions topt;
  nlohmann::json meta{{"name", "tiny"}};
  if (qk_input) meta["qk_input"] = qk_input;
  hl::HeadSet heads;
  heads.mlm = true;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  std::vector<hl::TensorSpec> specs;
  std::vector<std::vector<float>> values;
  bool dropped = false;
  for (const hl::ExpectedTensor& e : hl::ExpectedTensors(c, heads)) {
    if (drop_one && !dropped && e.name.find("layer.1.output.dense.weight") != std::string::npos) { dropped = true; continue; }
    std::vector<int64_t> shape = e.shape;
    if (bad_dim && e.name == "embeddings.LayerNorm.weight") shape[0] = bad_dim;
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = nd(rng);
    const bool q8 = int8 && e.role != hl::TensorRole::kF32;
    const bool in_panels = q8 && (panels == Panels::kAlsoEmbeddings || (panels == Panels::kLinear && e.role == hl::TensorRole::kLinearWeight));
    specs.push_back({e.name, q8 ? hl::TensorDtype::kI8 : hl::TensorDtype::kF32, shape,
                     in_panels ? hl::Int8Layout::kPanels8c2 : hl::Int8Layout::kRows});
    values.push_back(std::move(v));
  }
  hl::ModelFileLayout layout;
  REQUIRE(hl::ModelFileLayout::Plan(c, hl::TokenizerToHeader(topt, vocab), meta, specs, &layout).ok());
  std::vector<uint8_t> out(layout.file_size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const hl::ModelFileLayout::Slot& slot = layout.slots()[i];
    uint8_t* at = out.data() + layout.data_start() + slot.offset;
    const std::vector<float>& v = values[i];
    if (specs[i].dtype == hl::TensorDtype::kI8) {
      const size_t rows = specs[i].shape[0], cols = v.size() / rows;
      std::vector<int8_t> q(v.size());
      hl::quantize_rows_qs8__ref(q.data(), reinterpret_cast<float*>(out.data() + layout.data_start() + slot.scales_offset), v.data(),
                                 rows, cols);
      if (specs[i].layout == hl::Int8Layout::kRows) std::memcpy(at, q.data(), q.size());
      else hl::pack_8c2(reinterpret_cast<int8_t*>(at), q.data(), rows, cols);
    } else {
      std::memcpy(at, v.data(), v.size() * 4);
    }
  }
  layout.Seal(out.data());
  return out;
}

hl::Status Load(const std::vector<uint8_t>& bytes) {
  std::unique_ptr<hl::BertModel> m;
  return hl::BertModel::Load(hltest::ToAligned(bytes), hl::LoadOptions(), &m);
}

void Reseal(std::vector<uint8_t>* b) {  // recompute the checksum so deeper checks are reached
  const uint64_t c = hl::Checksum64(b->data(), b->size() - 8);
  std::memcpy(b->data() + b->size() - 8, &c, 8);
}

}  // namespace

TEST_CASE("a valid tiny model loads and runs", "[model_file]") {
  for (bool int8 : {false, true}) {
    std::unique_ptr<hl::BertModel> m;
    hl::Status s = hl::BertModel::Load(hltest::ToAligned(TinyModelBytes(int8)), hl::LoadOptions(), &m);
    INFO(s.message());
    REQUIRE(s.ok());
    hl::RunResult r;
    s = m->Run("the cats sat [MASK] .", "", false, hl::RunOptions(), &r);
    INFO(s.message());
    REQUIRE(s.ok());
    REQUIRE(r.n == 8);  // [CLS] the cat ##s sat [MASK] . [SEP]
    REQUIRE(r.mlm.size() == 1);
    for (size_t i = 0; i < r.attention.size(); i += r.n) {
      double sum = 0;
      for (int j = 0; j < r.n; ++j) sum += r.attention[i + j];
      REQUIRE(sum == Approx(1.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("truncated model files give a clear error at every cut", "[model_file]") {
  const std::vector<uint8_t> full = TinyModelBytes(true);
  // Every cut in the first 512 bytes, then every 97th byte: never a crash, always BadModel.
  for (size_t cut = 0; cut < full.size(); cut += (cut < 512 ? 1 : 97)) {
    std::vector<uint8_t> part(full.begin(), full.begin() + cut);
    hl::Status s = Load(part);
    INFO("cut at " << cut << ": " << s.message());
    REQUIRE(s.code() == hl::Code::kBadModel);
    REQUIRE(!s.message().empty());
  }
}

TEST_CASE("flipped bytes are caught by the checksum or the header checks", "[model_file]") {
  const std::vector<uint8_t> full = TinyModelBytes(false);
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> b = full;
    const size_t pos = rng() % b.size();
    b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
    hl::Status s = Load(b);
    INFO("flip at " << pos << ": " << s.message());
    REQUIRE(s.code() == hl::Code::kBadModel);
  }
}

TEST_CASE("wrong magic, version, sizes and shapes are named in the error", "[model_file]") {
  std::vector<uint8_t> b = TinyModelBytes(false);
  SECTION("magic") {
    b[1] = 'X';
    REQUIRE(Load(b).message().find("magic") != std::string::npos);
  }
  SECTION("version") {
    b[8] = 99;
    REQUIRE(Load(b).message().find("version 99") != std::string::npos);
  }
  SECTION("header length") {
    std::memset(b.data() + 16, 0xff, 8);
    REQUIRE(Load(b).message().find("header length") != std::string::npos);
  }
  SECTION("trailing bytes") {
    b.push_back(0);
    REQUIRE(Load(b).message().find("trailing") != std::string::npos);
  }
  SECTION("a safetensors file is recognised") {
    std::vector<uint8_t> st(64, ' ');
    const uint64_t len = 40;
    std::memcpy(st.data(), &len, 8);
    st[8] = '{';
    REQUIRE(Load(st).message().find("safetensors") != std::string::npos);
  }
  SECTION("absurd shape in the header") {
    const std::string needle = "\"shape\":[40,8]";
    std::string header(reinterpret_cast<char*>(b.data() + 24), b.size() - 24);
    const size_t at = header.find(needle);
    REQUIRE(at != std::string::npos);
    std::memcpy(b.data() + 24 + at + 9, "99", 2);  // [40,8] → [99,8], same length

    Reseal(&b);
    hl::Status s = Load(b);
    INFO(s.message());
    REQUIRE(s.code() == hl::Code::kBadModel);
  }
}

// Format version 2: linear layers' int8 weights stored in the GEMM's panels, so that loading packs nothing.
TEST_CASE("weights stored in panels run as the same weights in rows do; layouts are checked", "[model_file]") {
  const std::vector<uint8_t> rows = TinyModelBytes(true), panels = TinyModelBytes(true, false, 0, nullptr, Panels::kLinear);
  CHECK(rows[8] == 1);    // the lowest version that holds the file
  CHECK(panels[8] == 2);
  hl::RunResult r[2];
  for (int k = 0; k < 2; ++k) {
    std::unique_ptr<hl::BertModel> m;
    REQUIRE(hl::BertModel::Load(hltest::ToAligned(k ? panels : rows), hl::LoadOptions(), &m).ok());
    REQUIRE(m->Run("the cats sat [MASK] .", "", true, hl::RunOptions(), &r[k]).ok());
  }
  CHECK(r[0].attention == r[1].attention);  // the same integer sums and epilogue, whichever layout they were read from
  CHECK(r[0].hidden == r[1].hidden);
  REQUIRE(r[0].mlm.size() == 1);
  CHECK(r[0].mlm[0].probs == r[1].mlm[0].probs);

  hl::Status s = Load(TinyModelBytes(true, false, 0, nullptr, Panels::kAlsoEmbeddings));
  INFO(s.message());
  CHECK(s.message().find("word_embeddings.weight\" must be stored in rows") != std::string::npos);

  std::vector<uint8_t> b = panels;
  std::string header(reinterpret_cast<char*>(b.data() + 24), 4096);
  const size_t at = header.find("\"panels_8c2\"");
  REQUIRE(at != std::string::npos);
  SECTION("an unknown layout") {
    b[24 + at + 10] = '4';  // "panels_8c4"
    Reseal(&b);
    CHECK(Load(b).message().find("unknown layout \"panels_8c4\"") != std::string::npos);
  }
  SECTION("a layout in a version 1 file") {
    b[8] = 1;
    Reseal(&b);
    CHECK(Load(b).message().find("unknown layout") != std::string::npos);
  }
  SECTION("a newer version than this engine reads") {
    b[8] = 3;
    CHECK(Load(b).message().find("update Headlight") != std::string::npos);
  }
  SECTION("only 2-D int8 tensors can be planned in panels") {
    hl::ModelFileLayout layout;
    const std::vector<hl::TensorSpec> bad{{"x", hl::TensorDtype::kF32, {8, 8}, hl::Int8Layout::kPanels8c2}};
    CHECK(hl::ModelFileLayout::Plan(hl::BertConfig(), nlohmann::json::object(), nlohmann::json::object(), bad, &layout).code() ==
          hl::Code::kInvalidArgument);
  }
}

TEST_CASE("a missing tensor or a wrong shape is named", "[model_file]") {
  hl::Status s = Load(TinyModelBytes(false, /*drop_one=*/true));
  REQUIRE(s.code() == hl::Code::kBadModel);
  REQUIRE(s.message().find("encoder.layer.1.output.dense.weight") != std::string::npos);
  s = Load(TinyModelBytes(false, false, /*bad_dim=*/9));
  REQUIRE(s.code() == hl::Code::kBadModel);
  REQUIRE(s.message().find("embeddings.LayerNorm.weight") != std::string::npos);
}

TEST_CASE("meta qk_input: int8 and f32 load, anything else is named", "[model_file]") {
  for (const char* v : {"int8", "f32"}) {
    INFO(v);
    REQUIRE(Load(TinyModelBytes(true, false, 0, v)).ok());
  }
  hl::Status s = Load(TinyModelBytes(true, false, 0, "fp8"));
  REQUIRE(s.code() == hl::Code::kBadModel);
  REQUIRE(s.message().find("qk_input") != std::string::npos);
}

TEST_CASE("bad input text gives clear errors or empty results, never a crash", "[model_file]") {
  std::unique_ptr<hl::BertModel> m;
  REQUIRE(hl::BertModel::Load(hltest::ToAligned(TinyModelBytes(true)), hl::LoadOptions(), &m).ok());
  hl::RunResult r;
  REQUIRE(m->Run("", "", false, hl::RunOptions(), &r).ok());
  REQUIRE(r.n == 2);  // [CLS] [SEP]
  const std::string junk = std::string("\xff\xfe\x80 the \xc3 cat \xed\xa0\x80", 18) + std::string(1, '\0') + "<b>sat</b>";
  REQUIRE(m->Run(junk, junk, true, hl::RunOptions(), &r).ok());
  std::string huge;
  for (int i = 0; i < 20000; ++i) huge += "the cat sat . ";
  REQUIRE(m->Run(huge, "", false, hl::RunOptions(), &r).ok());
  REQUIRE(r.n == 16);                     // max_position_embeddings
  REQUIRE(r.encoding.a_dropped > 50000);  // reported, never silent
  const int32_t bad_ids[2] = {2, 999};
  const int32_t types[2] = {0, 0};
  REQUIRE(m->RunIds(bad_ids, types, 2, hl::RunOptions(), &r).code() == hl::Code::kInvalidArgument);
}

namespace {

// b with its header's JSON changed by edit (the data moved to the new header's end, the checksum recomputed).
std::vector<uint8_t> WithHeader(const std::vector<uint8_t>& b, const std::function<void(nlohmann::json&)>& edit) {
  uint64_t len;
  std::memcpy(&len, b.data() + 16, 8);
  nlohmann::json h = nlohmann::json::parse(b.begin() + 24, b.begin() + 24 + static_cast<ptrdiff_t>(len));
  const size_t data_start = (24 + len + 63) / 64 * 64;
  edit(h);
  const std::string header = h.dump();
  const uint64_t new_len = header.size();
  std::vector<uint8_t> out(b.begin(), b.begin() + 16);
  out.resize(24 + new_len);
  std::memcpy(out.data() + 16, &new_len, 8);
  std::memcpy(out.data() + 24, header.data(), header.size());
  out.resize((out.size() + 63) / 64 * 64, 0);
  out.insert(out.end(), b.begin() + static_cast<ptrdiff_t>(data_start), b.end());
  Reseal(&out);
  return out;
}

}  // namespace

TEST_CASE("a header that claims 10^6 layers, a 10^9-word vocabulary or huge sizes is refused, naming the limit", "[model_file]") {
  const std::vector<uint8_t> b = TinyModelBytes(false);
  REQUIRE(Load(WithHeader(b, [](nlohmann::json&) {})).ok());  // the rewrite itself keeps a valid file
  const struct { const char* key; int64_t value; const char* limit; } claims[] = {
      {"num_layers", 1000000, "\"num_layers\" = 1000000 is outside [1, 128]"},
      {"vocab_size", 1000000000, "\"vocab_size\" = 1000000000 is outside [6, 4194304]"},
      {"hidden_size", 1ll << 40, "\"hidden_size\" = 1099511627776 is outside [1, 16384]"},
      {"max_position_embeddings", 1000000000, "\"max_position_embeddings\" = 1000000000 is outside [3, 65536]"},
      {"intermediate_size", -1, "\"intermediate_size\" = -1 is outside [1, 65536]"},
  };
  for (const auto& c : claims) {
    const hl::Status s = Load(WithHeader(b, [&](nlohmann::json& h) { h["config"][c.key] = c.value; }));
    INFO(c.key << ": " << s.message());
    CHECK(s.code() == hl::Code::kBadModel);
    CHECK(s.message().find(c.limit) != std::string::npos);
  }
  // Sizes that each pass but together describe more than the file holds are caught by the tensor table.
  const hl::Status s = Load(WithHeader(b, [](nlohmann::json& h) { h["config"]["vocab_size"] = 4000000; }));
  INFO(s.message());
  CHECK(s.code() == hl::Code::kBadModel);
}
