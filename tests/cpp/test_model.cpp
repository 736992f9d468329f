// Whole-model fidelity against the independent PyTorch reference (tools/reference/run_reference.py):
// f32 engine ≈ reference; int8 engine close to the f32 reference; fast kernels ≈ __ref kernels.
#include <algorithm>
#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "model/bert.h"
#include "model/safetensors.h"
#include "test_util.h"

namespace {

struct Case {
  std::vector<int32_t> ids, types, mlm_positions;
};

struct Reference {
  hl::AlignedBuffer bytes;
  hl::SafetensorsFile file;
  std::vector<Case> cases;
  std::vector<float> get(size_t k, const char* what) const {
    const hl::StTensor* t = file.find("case" + std::to_string(k) + "." + what);
    INFO("reference tensor case" << k << "." << what);
    REQUIRE(t != nullptr);
    std::vector<float> v;
    REQUIRE(hl::SafetensorsFile::ToF32(*t, &v).ok());
    return v;
  }
};

void LoadReference(const std::string& name, Reference* ref) {
  REQUIRE(hl::ReadFileAligned(hltest::RequireFixture(name + ".ref.safetensors"), &ref->bytes).ok());
  REQUIRE(hl::SafetensorsFile::Parse(ref->bytes.data(), ref->bytes.size(), &ref->file).ok());
  std::string text;
  REQUIRE(hl::ReadFileString(hltest::RequireFixture(name + ".inputs.json"), &text).ok());
  for (const auto& c : nlohmann::json::parse(text)) {
    Case k;
    k.ids = c["input_ids"].get<std::vector<int32_t>>();
    k.types = c["token_type_ids"].get<std::vector<int32_t>>();
    k.mlm_positions = c["mlm_positions"].get<std::vector<int32_t>>();
    ref->cases.push_back(std::move(k));
  }
}

// The converter's three weight/input precisions.
enum class Mode { kF32, kInt8, kInt8F32QK };  // f32; int8; int8 with f32 query/key input (--f32-qk-input)
const char* ModeName(Mode m) { return m == Mode::kF32 ? "f32" : m == Mode::kInt8 ? "int8" : "int8+f32qk"; }

std::unique_ptr<hl::BertModel> LoadModel(const std::string& name, Mode mode) {
  std::unique_ptr<hl::BertModel> m;
  const std::vector<uint8_t> bytes = hltest::ConvertFixture(name, mode != Mode::kF32, mode == Mode::kInt8F32QK);
  hl::Status s = hl::BertModel::Load(hltest::ToAligned(bytes), hl::LoadOptions(), &m);
  INFO(s.message());
  REQUIRE(s.ok());
  return m;
}

// Jensen–Shannon divergence (nats) of two distributions.
double JensenShannon(const float* p, const float* q, size_t n) {
  double js = 0;
  for (size_t j = 0; j < n; ++j) {
    const double m = 0.5 * (static_cast<double>(p[j]) + q[j]);
    if (p[j] > 0) js += 0.5 * p[j] * std::log(p[j] / m);
    if (q[j] > 0) js += 0.5 * q[j] * std::log(q[j] / m);
  }
  return js;
}

// max |got − want| / max |want|.
double MaxRelativeDiff(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, (double)std::fabs(got[i] - want[i]));
    scale = std::max(scale, (double)std::fabs(want[i]));
  }
  return diff / scale;
}

struct Fidelity {
  double max_attention_diff = 0, max_qk_rel = 0;
  double max_norms_rel = 0, max_summed_rel = 0;  // value norms, ‖Σ αf‖: max |Δ| / max |reference| of a case
  double hidden_err = 0, hidden_norm = 0;
  double states_err = 0, states_norm = 0;  // every layer's output [L+1][n][H] (RunOptions::layer_states)
  double js_sum = 0;
  size_t rows = 0, same_argmax = 0, masks = 0, same_top1 = 0;
  double nmse() const { return hidden_err / hidden_norm; }
  double states_nmse() const { return states_err / states_norm; }
  double mean_js() const { return js_sum / static_cast<double>(rows); }
};

void Compare(hl::BertModel& m, const Reference& ref, Fidelity* f) {
  const hl::BertConfig& c = m.config();
  for (size_t k = 0; k < ref.cases.size(); ++k) {
    const Case& cs = ref.cases[k];
    const size_t n = cs.ids.size();
    hl::RunResult r;
    hl::RunOptions options;
    options.value_norms = true;
    options.layer_states = true;
    hl::Status s = m.RunIds(cs.ids.data(), cs.types.data(), n, options, &r);
    INFO(s.message());
    REQUIRE(s.ok());
    f->max_norms_rel = std::max(f->max_norms_rel, MaxRelativeDiff(r.value_norms, ref.get(k, "value_norms")));
    f->max_summed_rel = std::max(f->max_summed_rel, MaxRelativeDiff(r.norm_summed, ref.get(k, "norm_summed")));
    const std::vector<float> att = ref.get(k, "attention"), hid = ref.get(k, "hidden");
    const std::vector<float> q = ref.get(k, "query"), key = ref.get(k, "key");
    REQUIRE(att.size() == r.attention.size());
    REQUIRE(hid.size() == r.hidden.size());
    REQUIRE(q.size() == r.queries.size());
    for (size_t i = 0; i < att.size(); ++i) f->max_attention_diff = std::max(f->max_attention_diff, (double)std::fabs(att[i] - r.attention[i]));
    double qk_norm = 0, qk_err = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      qk_norm += q[i] * q[i] + key[i] * key[i];
      qk_err += (q[i] - r.queries[i]) * (q[i] - r.queries[i]) + (key[i] - r.keys[i]) * (key[i] - r.keys[i]);
    }
    f->max_qk_rel = std::max(f->max_qk_rel, std::sqrt(qk_err / qk_norm));
    for (size_t i = 0; i < hid.size(); ++i) {
      f->hidden_err += (hid[i] - r.hidden[i]) * (double)(hid[i] - r.hidden[i]);
      f->hidden_norm += hid[i] * (double)hid[i];
    }
    const std::vector<float> states = ref.get(k, "hidden_states");  // [L+1][n][H]: the embeddings', then each layer's
    REQUIRE(states.size() == r.layer_states.size());
    for (size_t i = 0; i < states.size(); ++i) {
      f->states_err += (states[i] - r.layer_states[i]) * (double)(states[i] - r.layer_states[i]);
      f->states_norm += states[i] * (double)states[i];
    }
    for (size_t row = 0; row < att.size() / n; ++row) {
      const float* p = &att[row * n];
      const float* e = &r.attention[row * n];
      f->js_sum += JensenShannon(p, e, n);
      f->same_argmax += (std::max_element(p, p + n) - p) == (std::max_element(e, e + n) - e);
      ++f->rows;
    }
    if (m.has_mlm_head() && !cs.mlm_positions.empty()) {
      const std::vector<float> logits = ref.get(k, "mlm_logits");  // [masks][V]
      REQUIRE(r.mlm.size() == cs.mlm_positions.size());
      for (size_t i = 0; i < cs.mlm_positions.size(); ++i) {
        const float* row = &logits[i * c.vocab_size];
        const int32_t top = static_cast<int32_t>(std::max_element(row, row + c.vocab_size) - row);
        REQUIRE(r.mlm[i].position == cs.mlm_positions[i]);
        f->same_top1 += r.mlm[i].ids[0] == top;
        ++f->masks;
      }
    }
  }
}

void CheckFidelity(const std::string& name) {
  Reference ref;
  LoadReference(name, &ref);
  {
    Fidelity f;
    Compare(*LoadModel(name, Mode::kF32), ref, &f);
    WARN(name << " f32: max|Δattention| " << f.max_attention_diff << ", hidden NMSE " << f.nmse() << ", q/k rel " << f.max_qk_rel
              << ", MLM top-1 same " << f.same_top1 << "/" << f.masks << ", value norms rel " << f.max_norms_rel
              << ", ‖Σαf‖ rel " << f.max_summed_rel << ", layer states NMSE " << f.states_nmse());
    CHECK(f.max_attention_diff <= 1e-5);  // issue #2's bar
    CHECK(f.nmse() <= 1e-8);              // issue #2's bar
    CHECK(f.states_nmse() <= 1e-8);       // the final hidden state's bar, for every layer's output
    CHECK(f.max_qk_rel <= 1e-5);
    CHECK(f.same_top1 == f.masks);
    CHECK(f.max_norms_rel <= 1e-5);   // issue #18's bar for Kobayashi et al.'s norms
    CHECK(f.max_summed_rel <= 1e-5);
  }
  double int8_js = 0;
  for (Mode mode : {Mode::kInt8, Mode::kInt8F32QK}) {
    Fidelity f;
    Compare(*LoadModel(name, mode), ref, &f);
    const double argmax_share = (double)f.same_argmax / f.rows, top1_share = (double)f.same_top1 / f.masks;
    WARN(name << " " << ModeName(mode) << ": mean row JS " << f.mean_js() << ", most-attended same " << argmax_share << " of "
              << f.rows << " rows, MLM top-1 same " << top1_share << " of " << f.masks << ", hidden NMSE " << f.nmse()
              << ", value norms rel " << f.max_norms_rel << ", ‖Σαf‖ rel " << f.max_summed_rel
              << ", layer states NMSE " << f.states_nmse());
    CHECK(f.mean_js() <= 1e-3);     // issue #2's bars
    CHECK(argmax_share >= 0.98);
    CHECK(top1_share >= 0.95);
    if (mode == Mode::kInt8) int8_js = f.mean_js();
    else CHECK(f.mean_js() < int8_js);  // f32 query/key input removes one source of attention error
  }
}

}  // namespace

TEST_CASE("tiny model: f32 and int8 against the PyTorch reference", "[model]") { CheckFidelity("tiny-mlm"); }

TEST_CASE("bert-base shape: f32 and int8 against the PyTorch reference", "[model]") { CheckFidelity("base-mlm"); }

TEST_CASE("DistilBERT tiny model: f32 and int8 against the PyTorch reference", "[model]") { CheckFidelity("tiny-distilbert"); }

// DistilBERT's tokenizer is BERT's WordPiece: [CLS] A [SEP] B [SEP]. The tokens' segments still say which sentence each
// is in (the page's pair filters, the analyses), while the model, having no token-type embeddings, reads type 0 for all.
TEST_CASE("DistilBERT runs a pair: [CLS] A [SEP] B [SEP], segments by sentence, no token types read", "[model]") {
  std::unique_ptr<hl::BertModel> m = LoadModel("tiny-distilbert", Mode::kInt8);
  REQUIRE(m->config().type_vocab_size == 0);
  hl::RunResult pair;
  REQUIRE(m->Run("I went to the [MASK].", "At the store, I bought fresh strawberries.", true, hl::RunOptions(), &pair).ok());
  const std::vector<hl::Token>& tokens = pair.encoding.tokens;
  const size_t n = tokens.size();
  REQUIRE(tokens[0].text == "[CLS]");
  REQUIRE(tokens[n - 1].text == "[SEP]");
  size_t first_sep = 0;
  while (tokens[first_sep].text != "[SEP]") ++first_sep;
  REQUIRE((first_sep > 1 && first_sep < n - 2));
  std::vector<int32_t> ids(n), zeros(n, 0);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = tokens[i].id;
    REQUIRE(tokens[i].segment == (i <= first_sep ? 0 : 1));
  }
  REQUIRE(pair.mlm.size() == 1);
  hl::RunResult by_ids;
  REQUIRE(m->RunIds(ids.data(), zeros.data(), n, hl::RunOptions(), &by_ids).ok());
  REQUIRE(by_ids.attention == pair.attention);  // the same bits: B's tokens ran with type 0
  REQUIRE(by_ids.hidden == pair.hidden);
  std::vector<int32_t> types(n, 0);
  types[n - 1] = 1;
  hl::Status s = m->RunIds(ids.data(), types.data(), n, hl::RunOptions(), &by_ids);
  INFO(s.message());
  REQUIRE(s.code() == hl::Code::kInvalidArgument);
  REQUIRE(s.message().find("no token types") != std::string::npos);
}

TEST_CASE("RoBERTa tiny model: f32 and int8 against the PyTorch reference", "[model]") { CheckFidelity("tiny-roberta"); }

TEST_CASE("RoBERTa: runs hold max_position_embeddings - 2 tokens, text is framed <s> A </s></s> B </s>", "[model]") {
  for (Mode mode : {Mode::kF32, Mode::kInt8}) {
    std::unique_ptr<hl::BertModel> m = LoadModel("tiny-roberta", mode);
    REQUIRE(m->config().family == hl::Family::kRoberta);
    REQUIRE(m->config().position_offset == 2);  // pad_token_id 1 + 1
    REQUIRE(m->config().max_tokens() == 512);   // 514 positions
    hl::RunResult r;
    const std::string a = "Paris is the <mask> of France.", b = "It's a city.";
    REQUIRE(m->Run(a, b, true, hl::RunOptions(), &r).ok());
    const std::vector<hl::Token>& t = r.encoding.tokens;
    REQUIRE(t.size() > 8);
    CHECK(t.front().text == "<s>");
    CHECK(t.back().text == "</s>");
    size_t k = 1;
    while (k < t.size() && t[k].segment == 0) ++k;
    CHECK(t[k - 1].text == "</s>");
    CHECK(t[k].text == "</s>");
    for (const hl::Token& x : t)
      if (x.begin >= 0) CHECK((x.segment == 0 ? a : b).substr(x.begin, x.end - x.begin).size() > 0);
    CHECK(r.mlm.size() == 1);  // one <mask>
    std::vector<int32_t> ids(513, 4), types(513, 0);
    CHECK(m->RunIds(ids.data(), types.data(), 513, hl::RunOptions(), &r).code() == hl::Code::kInvalidArgument);
    CHECK(m->RunIds(ids.data(), types.data(), 512, hl::RunOptions(), &r).ok());
    std::string long_text;
    for (int i = 0; i < 400; ++i) long_text += "the model ";
    REQUIRE(m->Run(long_text, "", false, hl::RunOptions(), &r).ok());
    CHECK(r.n == 512);
    CHECK(r.encoding.a_dropped > 0);
  }
}

TEST_CASE("fast kernels agree with the __ref kernels on the whole model", "[model]") {
  Reference ref;
  LoadReference("tiny-mlm", &ref);
  for (Mode mode : {Mode::kF32, Mode::kInt8, Mode::kInt8F32QK}) {
    auto m = LoadModel("tiny-mlm", mode);
    for (size_t k = 0; k < ref.cases.size(); ++k) {
      const Case& cs = ref.cases[k];
      hl::RunResult fast, slow;
      hl::RunOptions opt;
      REQUIRE(m->RunIds(cs.ids.data(), cs.types.data(), cs.ids.size(), opt, &fast).ok());
      opt.reference_kernels = true;
      REQUIRE(m->RunIds(cs.ids.data(), cs.types.data(), cs.ids.size(), opt, &slow).ok());
      double max_diff = 0, sum_diff = 0;
      for (size_t i = 0; i < fast.attention.size(); ++i) {
        const double d = std::fabs(fast.attention[i] - slow.attention[i]);
        max_diff = std::max(max_diff, d);
        sum_diff += d;
      }
      const double mean_diff = sum_diff / fast.attention.size();
      INFO(ModeName(mode) << " case " << k << " n=" << cs.ids.size() << ": max |Δattention| " << max_diff
                                    << ", mean " << mean_diff);
      if (mode == Mode::kF32) {
        REQUIRE(max_diff <= 1e-5);  // f32: summation order and the SIMD exp/erf approximations only
      } else {
        // int8: a last-bit difference from the SIMD layer norm / GELU / softmax can move an activation
        // across a rounding boundary of the next per-row quantization, a full int8 step. Seen:
        // "int8 case 7 n=512: max |Δattention| 0.00341327" against a first bound of 2e-3. Such flips
        // are rare, so the mean stays tiny; both are checked.
        REQUIRE(max_diff <= 1e-2);
        REQUIRE(mean_diff <= 1e-5);
      }
      REQUIRE(fast.mlm.size() == slow.mlm.size());
    }
  }
}

TEST_CASE("checkpoint variants convert: BertForPreTraining without prefix, BertModel, DistilBertModel, RobertaModel", "[convert]") {
  for (const char* name : {"tiny-pretraining", "tiny-base", "tiny-distilbert-base", "tiny-roberta-base"}) {
    for (Mode mode : {Mode::kF32, Mode::kInt8}) {
      std::unique_ptr<hl::BertModel> m = LoadModel(name, mode);
      hl::RunResult r;
      REQUIRE(m->Run("I went to the store.", "At the store, I bought fresh strawberries.", true, hl::RunOptions(), &r).ok());
      REQUIRE(r.n > 10);
      REQUIRE(m->has_mlm_head() == (std::string(name) == "tiny-pretraining"));
    }
  }
}
