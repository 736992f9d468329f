// The extern "C" boundary: ownership, handles, status codes, last-error messages and result fields.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>

#include "common/buffer.h"
#include "headlight.h"
#include "test_util.h"

namespace {

// The tiny-mlm fixture converted to int8 and loaded; returns hl_model_info's JSON.
nlohmann::json LoadTinyMlm(int32_t* model) {
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", true), model) == HL_STATUS_OK);
  const char* info;
  size_t info_len;
  REQUIRE(hl_model_info(*model, &info, &info_len) == HL_STATUS_OK);
  return nlohmann::json::parse(std::string(info, info_len));
}

}  // namespace

TEST_CASE("C API: bad input gives a status and a message", "[api]") {
  int32_t model = -1;
  std::vector<uint8_t> junk(100, 7);
  REQUIRE(hltest::LoadThroughApi(junk, &model) == HL_STATUS_BAD_MODEL);
  REQUIRE(std::string(hl_last_error()).find("magic") != std::string::npos);
  int32_t result = 0;
  REQUIRE(hl_run(12345, "a", 1, nullptr, 0, 0, 5, 0, 0, &result) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(std::string(hl_last_error()).find("unknown model handle") != std::string::npos);
  REQUIRE(hl_result_free(999) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(hl_model_free(999) == HL_STATUS_INVALID_ARGUMENT);
  int32_t conversion = 0;
  REQUIRE(hl_convert_begin("{}", 2, "", 0, nullptr, 0, nullptr, 0, nullptr, 0, 1, &conversion) == HL_STATUS_BAD_MODEL);
  REQUIRE(hl_convert_feed(4242, reinterpret_cast<const uint8_t*>("x"), 1, 1) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(std::string(hl_last_error()).find("unknown conversion handle") != std::string::npos);
}

TEST_CASE("C API: convert, load, run a pair, read every field", "[api]") {
  int32_t model = -1;
  const nlohmann::json mi = LoadTinyMlm(&model);
  REQUIRE(mi["int8"] == true);
  const int L = mi["config"]["num_layers"], A = mi["config"]["num_heads"], H = mi["config"]["hidden_size"];

  const std::string a = "I went to the [MASK].", b = "At the store, I bought fresh <b>strawberries</b>.";
  int32_t result = 0;
  REQUIRE(hl_run(model, a.data(), a.size(), b.data(), b.size(), 1, 3, 0, 0, &result) == HL_STATUS_OK);
  const void* p;
  size_t nbytes;
  REQUIRE(hl_result_get(result, HL_FIELD_SUMMARY_JSON, &p, &nbytes) == HL_STATUS_OK);
  const auto sum = nlohmann::json::parse(std::string(static_cast<const char*>(p), nbytes));
  const int n = sum["n"];
  REQUIRE(sum["tokens"].size() == static_cast<size_t>(n));
  REQUIRE(sum["tokens"][0]["text"] == "[CLS]");
  REQUIRE(sum["mlm"].size() == 1);
  REQUIRE(sum["mlm"][0]["predictions"].size() == 3);
  // spans point back into the texts: "went" is bytes [2, 6) of A
  bool found = false;
  for (const auto& t : sum["tokens"])
    if (t["text"] == "went") { found = true; REQUIRE(t["begin"] == 2); REQUIRE(t["end"] == 6); REQUIRE(t["segment"] == 0); }
  REQUIRE(found);
  REQUIRE(hl_result_get(result, HL_FIELD_ATTENTION, &p, &nbytes) == HL_STATUS_OK);
  REQUIRE(nbytes == static_cast<size_t>(L) * A * n * n * 4);
  REQUIRE(hl_result_get(result, HL_FIELD_QUERIES, &p, &nbytes) == HL_STATUS_OK);
  REQUIRE(nbytes == static_cast<size_t>(L) * H * n * 4);
  REQUIRE(hl_result_get(result, HL_FIELD_HIDDEN, &p, &nbytes) == HL_STATUS_OK);
  REQUIRE(nbytes == static_cast<size_t>(n) * H * 4);
  REQUIRE(hl_result_get(result, 77, &p, &nbytes) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(hl_result_free(result) == HL_STATUS_OK);
  REQUIRE(hl_result_free(result) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: out of memory is a status, not a crash", "[api]") {
  // Sizes near SIZE_MAX: more than wasm32 can address or this machine has, and (before a guard) a
  // size whose 64-byte rounding wrapped around to a tiny allocation.
  for (size_t slack : {0, 1, 63, 64, 100, 4096}) REQUIRE(hl_alloc(SIZE_MAX - slack) == nullptr);
  hl::AlignedBuffer b;
  REQUIRE_FALSE(b.allocate(SIZE_MAX - 10));
  REQUIRE(b.size() == 0);
  int32_t model = -1;
  REQUIRE(hl_model_load(nullptr, 1u << 30, 1, &model) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(std::string(hl_last_error()).find("allocation failed") != std::string::npos);
}

namespace {

// The caller's side of a stepped run, as plain loops: probs [A][n][n] = softmax(q·k/√D) per head, context [n][H].
void AttentionByLoops(const float* qkv, float* probs, float* ctx, int n, int A, int D) {
  const int H = A * D;
  std::vector<float> row(n);
  for (int h = 0; h < A; ++h)
    for (int i = 0; i < n; ++i) {
      float mx = -1e30f;
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int d = 0; d < D; ++d) s += double(qkv[i * 3 * H + h * D + d]) * qkv[j * 3 * H + H + h * D + d];
        row[j] = float(s / std::sqrt(double(D)));
        mx = std::max(mx, row[j]);
      }
      double z = 0;
      for (int j = 0; j < n; ++j) z += std::exp(double(row[j] - mx));
      for (int j = 0; j < n; ++j) probs[(h * n + i) * n + j] = float(std::exp(double(row[j] - mx)) / z);
      for (int d = 0; d < D; ++d) {
        double c = 0;
        for (int j = 0; j < n; ++j) c += double(probs[(h * n + i) * n + j]) * qkv[j * 3 * H + 2 * H + h * D + d];
        ctx[i * H + h * D + d] = float(c);
      }
    }
}

std::vector<float> Field(int32_t result, int32_t field) {
  const void* p;
  size_t bytes;
  REQUIRE(hl_result_get(result, field, &p, &bytes) == HL_STATUS_OK);
  const float* f = static_cast<const float*>(p);
  return std::vector<float>(f, f + bytes / sizeof(float));
}

}  // namespace

TEST_CASE("C API: a stepped run with the caller's attention equals hl_run; the model is held while it is open", "[api]") {
  int32_t model = -1;
  const nlohmann::json mi = LoadTinyMlm(&model);
  const int L = mi["config"]["num_layers"], A = mi["config"]["num_heads"], H = mi["config"]["hidden_size"], D = H / A;
  const std::string a = "The cat sat on the [MASK].", b = "It was tired.";

  int32_t want = 0;
  REQUIRE(hl_run(model, a.data(), a.size(), b.data(), b.size(), 1, 3, 0, 0, &want) == HL_STATUS_OK);
  int32_t step = 0;
  REQUIRE(hl_step_begin(model, a.data(), a.size(), b.data(), b.size(), 1, 3, 0, 0, &step) == HL_STATUS_OK);
  int32_t other = 0;
  REQUIRE(hl_run(model, "x", 1, nullptr, 0, 0, 1, 0, 0, &other) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(std::string(hl_last_error()).find("stepped run") != std::string::npos);
  int32_t got = 0;
  for (int l = 0; got == 0; ++l) {
    REQUIRE(l < L);
    int32_t layer = -1, n = 0;
    const float* qkv;
    float *probs, *ctx;
    REQUIRE(hl_step_buffers(step, &layer, &n, &qkv, &probs, &ctx) == HL_STATUS_OK);
    REQUIRE(layer == l);
    AttentionByLoops(qkv, probs, ctx, n, A, D);
    REQUIRE(hl_step_next(step, l % 2, &got) == HL_STATUS_OK);  // odd layers: the engine's own heads
  }
  REQUIRE(hl_step_buffers(step, nullptr, nullptr, nullptr, nullptr, nullptr) == HL_STATUS_INVALID_ARGUMENT);  // gone
  for (int32_t field : {HL_FIELD_ATTENTION, HL_FIELD_QUERIES, HL_FIELD_KEYS, HL_FIELD_HIDDEN}) {
    const std::vector<float> x = Field(got, field), y = Field(want, field);
    REQUIRE(x.size() == y.size());
    float worst = 0;
    for (size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x[k] - y[k]));
    INFO("field " << field << " worst " << worst);
    REQUIRE(worst < 2e-4f);  // the engine's SIMD attention against double loops, carried through int8 layers
  }
  const void* p;
  size_t nbytes;
  REQUIRE(hl_result_get(got, HL_FIELD_SUMMARY_JSON, &p, &nbytes) == HL_STATUS_OK);
  const auto sum = nlohmann::json::parse(std::string(static_cast<const char*>(p), nbytes));
  REQUIRE(sum["tokens"][1]["text"] == "the");
  REQUIRE(sum["mlm"].size() == 1);
  REQUIRE(hl_result_free(got) == HL_STATUS_OK);
  REQUIRE(hl_result_free(want) == HL_STATUS_OK);

  // An abandoned step frees the model for other runs; a model freed with a step open takes the step with it.
  REQUIRE(hl_step_begin(model, a.data(), a.size(), nullptr, 0, 0, 3, 0, 0, &step) == HL_STATUS_OK);
  REQUIRE(hl_step_free(step) == HL_STATUS_OK);
  REQUIRE(hl_run(model, "x", 1, nullptr, 0, 0, 1, 0, 0, &other) == HL_STATUS_OK);
  REQUIRE(hl_result_free(other) == HL_STATUS_OK);
  REQUIRE(hl_step_begin(model, a.data(), a.size(), nullptr, 0, 0, 3, 0, 0, &step) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
  int32_t none = 0;
  REQUIRE(hl_step_next(step, 0, &none) == HL_STATUS_INVALID_ARGUMENT);
}

namespace {

nlohmann::json SummaryOf(int32_t result) {
  const void* p;
  size_t nbytes;
  REQUIRE(hl_result_get(result, HL_FIELD_SUMMARY_JSON, &p, &nbytes) == HL_STATUS_OK);
  return nlohmann::json::parse(std::string(static_cast<const char*>(p), nbytes));
}

}  // namespace

// A model without token types (DistilBERT): the summary's "segment" is the sentence a token is in (0 for A, 1 for B)
// after hl_run, and the types given after hl_run_ids, which must all be 0.
TEST_CASE("C API: hl_tokenize gives hl_run's tokens and cut without running; a stepped run on the engine's heads is hl_run", "[api]") {
  int32_t model = 0;
  LoadTinyMlm(&model);
  const std::string a = "The cat sat on the [MASK] of the house.", b = "It was tired, naïvely so.";
  for (int32_t max_tokens : {0, 9}) {
    INFO("max_tokens " << max_tokens);
    const char* json = nullptr;
    size_t length = 0;
    REQUIRE(hl_tokenize(model, a.data(), a.size(), b.data(), b.size(), 1, max_tokens, &json, &length) == HL_STATUS_OK);
    const auto got = nlohmann::json::parse(std::string(json, length));
    int32_t run = 0;
    REQUIRE(hl_run(model, a.data(), a.size(), b.data(), b.size(), 1, 3, max_tokens, 0, &run) == HL_STATUS_OK);
    const auto want = SummaryOf(run);
    CHECK(got["n"] == want["n"]);
    CHECK(got["tokens"] == want["tokens"]);
    CHECK(got["truncation"] == want["truncation"]);
    CHECK(got.size() == 3);
    if (max_tokens) CHECK(got["n"] == max_tokens);

    int32_t step = 0, stepped = 0;
    REQUIRE(hl_step_begin(model, a.data(), a.size(), b.data(), b.size(), 1, 3, max_tokens, 0, &step) == HL_STATUS_OK);
    while (stepped == 0) REQUIRE(hl_step_next(step, 1, &stepped) == HL_STATUS_OK);
    for (int32_t field : {HL_FIELD_ATTENTION, HL_FIELD_QUERIES, HL_FIELD_KEYS, HL_FIELD_HIDDEN})
      CHECK(Field(stepped, field) == Field(run, field));  // the same functions in the same order: bit for bit
    REQUIRE(hl_result_free(stepped) == HL_STATUS_OK);
    REQUIRE(hl_result_free(run) == HL_STATUS_OK);
  }
  const char* json = nullptr;
  size_t length = 0;
  CHECK(hl_tokenize(model + 1000, "x", 1, nullptr, 0, 0, 0, &json, &length) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_tokenize(model, "x", 1, nullptr, 0, 0, 0, nullptr, &length) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: a DistilBERT model (no token types) runs pairs and ids; segments are sane", "[api]") {
  int32_t model = -1;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-distilbert", true), &model) == HL_STATUS_OK);
  const char* info;
  size_t info_len;
  REQUIRE(hl_model_info(model, &info, &info_len) == HL_STATUS_OK);
  const auto mi = nlohmann::json::parse(std::string(info, info_len));
  REQUIRE(mi["config"]["family"] == "distilbert");
  REQUIRE(mi["config"]["type_vocab_size"] == 0);
  REQUIRE(mi["has_mlm_head"] == true);

  const std::string a = "The cat sat on the [MASK].", b = "It was tired.";
  int32_t result = 0;
  REQUIRE(hl_run(model, a.data(), a.size(), b.data(), b.size(), 1, 3, 0, 0, &result) == HL_STATUS_OK);
  const nlohmann::json pair = SummaryOf(result);
  const auto& tokens = pair["tokens"];
  const size_t n = tokens.size();
  REQUIRE((tokens[0]["text"] == "[CLS]" && tokens[n - 1]["text"] == "[SEP]"));
  std::vector<int32_t> ids(n), zeros(n, 0);
  int32_t segment = 0, seps = 0;
  for (size_t i = 0; i < n; ++i) {
    ids[i] = tokens[i]["id"];
    REQUIRE(tokens[i]["segment"] == segment);  // 0 up to the first [SEP], then 1
    if (tokens[i]["text"] == "[SEP]") { segment = 1; ++seps; }
  }
  REQUIRE(seps == 2);
  REQUIRE(pair["mlm"].size() == 1);
  const std::vector<float> attention = Field(result, HL_FIELD_ATTENTION);
  REQUIRE(hl_result_free(result) == HL_STATUS_OK);

  REQUIRE(hl_run_ids(model, ids.data(), zeros.data(), n, 3, &result) == HL_STATUS_OK);
  const nlohmann::json by_ids = SummaryOf(result);
  for (const auto& t : by_ids["tokens"]) REQUIRE(t["segment"] == 0);
  REQUIRE(Field(result, HL_FIELD_ATTENTION) == attention);  // the model read type 0 for B's tokens too
  REQUIRE(hl_result_free(result) == HL_STATUS_OK);

  std::vector<int32_t> types(n, 0);
  types[n - 1] = 1;
  REQUIRE(hl_run_ids(model, ids.data(), types.data(), n, 3, &result) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(std::string(hl_last_error()).find("token type 1 out of range (the model has no token types") != std::string::npos);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: a text over HL_MAX_TEXT_BYTES or a billion threads are refused before any work, with the limit in the message", "[api]") {
  int32_t model = 0;
  LoadTinyMlm(&model);
  const std::string at_limit(HL_MAX_TEXT_BYTES, 'a'), over(HL_MAX_TEXT_BYTES + 1, 'a');
  const char* json;
  size_t length;
  REQUIRE(hl_tokenize(model, at_limit.data(), at_limit.size(), nullptr, 0, 0, 0, &json, &length) == HL_STATUS_OK);
  for (int which = 0; which < 2; ++which) {  // A, then B
    const std::string& a = which ? at_limit : over;
    int32_t result = 0, step = 0;
    REQUIRE(hl_run(model, a.data(), a.size(), over.data(), over.size(), 1, 5, 0, 0, &result) == HL_STATUS_INVALID_ARGUMENT);
    const std::string message = hl_last_error();
    CHECK(message.find(std::string("text ") + (which ? "B" : "A") + " is 1048577 bytes") != std::string::npos);
    CHECK(message.find("at most 1048576 bytes") != std::string::npos);
    CHECK(result == 0);
    REQUIRE(hl_tokenize(model, a.data(), a.size(), over.data(), over.size(), 1, 0, &json, &length) == HL_STATUS_INVALID_ARGUMENT);
    REQUIRE(hl_step_begin(model, a.data(), a.size(), over.data(), over.size(), 1, 5, 0, 0, &step) == HL_STATUS_INVALID_ARGUMENT);
    CHECK(step == 0);
  }
  // A thread count from a link or a script is bounded (the file is freed all the same: ASan would say).
  void* file = hl_alloc(16);
  int32_t threaded = 0;
  REQUIRE(hl_model_load(file, 16, 1000000000, &threaded) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(hl_last_error()).find("1000000000 threads asked for; at most 256") != std::string::npos);
  // B is not read without has_b.
  int32_t result = 0;
  REQUIRE(hl_run(model, "a", 1, over.data(), over.size(), 0, 5, 0, 0, &result) == HL_STATUS_OK);
  REQUIRE(hl_result_free(result) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

namespace {
nlohmann::json LiveHandles() {
  const char* json;
  size_t length;
  REQUIRE(hl_live_handles(&json, &length) == HL_STATUS_OK);
  return nlohmann::json::parse(std::string(json, length));
}
}  // namespace

TEST_CASE("C API: hl_live_handles counts each kind of handle made and not freed", "[api]") {
  const nlohmann::json before = LiveHandles();
  int32_t model = 0, result = 0, step = 0, distances = 0, treebank = 0, syntax = 0, conversion = 0;
  LoadTinyMlm(&model);
  REQUIRE(hl_run(model, "a b", 3, nullptr, 0, 0, 5, 0, 0, &result) == HL_STATUS_OK);
  REQUIRE(hl_distances_new(model, HL_WEIGHTING_ATTENTION, &distances) == HL_STATUS_OK);
  REQUIRE(hl_treebank_load(hltest::kTwoSentences, std::strlen(hltest::kTwoSentences), &treebank) == HL_STATUS_OK);
  REQUIRE(hl_syntax_new(model, treebank, &syntax) == HL_STATUS_OK);
  const std::string config = R"({"model_type": "bert", "vocab_size": 8, "hidden_size": 4, "num_hidden_layers": 1,
    "num_attention_heads": 1, "intermediate_size": 8, "max_position_embeddings": 8, "type_vocab_size": 2})";
  const std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\nc\n";
  REQUIRE(hl_convert_begin(config.data(), config.size(), vocab.data(), vocab.size(), nullptr, 0, nullptr, 0, nullptr, 0, 1,
                           &conversion) == HL_STATUS_OK);
  nlohmann::json during = LiveHandles();
  for (const char* kind : {"models", "results", "distances", "treebanks", "syntax", "conversions"})
    CHECK(during[kind].get<int>() == before[kind].get<int>() + 1);
  CHECK(during["total"].get<int>() == before["total"].get<int>() + 6);
  // A step holds its model; a step's result is counted once it is made.
  REQUIRE(hl_step_begin(model, "a", 1, nullptr, 0, 0, 5, 0, 0, &step) == HL_STATUS_OK);
  CHECK(LiveHandles()["steps"].get<int>() == before["steps"].get<int>() + 1);
  REQUIRE(hl_step_free(step) == HL_STATUS_OK);
  REQUIRE(hl_convert_free(conversion) == HL_STATUS_OK);
  REQUIRE(hl_syntax_free(syntax) == HL_STATUS_OK);
  REQUIRE(hl_treebank_free(treebank) == HL_STATUS_OK);
  REQUIRE(hl_distances_free(distances) == HL_STATUS_OK);
  REQUIRE(hl_result_free(result) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
  CHECK(LiveHandles() == before);
  const char* json;
  REQUIRE(hl_live_handles(&json, nullptr) == HL_STATUS_INVALID_ARGUMENT);
}
