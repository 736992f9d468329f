// The analyses' C API (api/analysis_api.cpp) on the tiny model: value norms and their weighting, rollout and flow,
// treebanks and the syntactic-head table, each equal to the C++ it wraps; bad handles and arguments refused.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/head_map.h"
#include "analysis/head_stats.h"
#include "analysis/norms.h"
#include "analysis/rollout.h"
#include "analysis/syntax.h"
#include "analysis/treebank.h"
#include "headlight.h"
#include "test_util.h"

namespace {

int32_t LoadModel(bool int8) {
  int32_t model = -1;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", int8), &model) == HL_STATUS_OK);
  return model;
}

std::vector<float> Field(int32_t result, int32_t field) {
  const void* p;
  size_t bytes;
  INFO(hl_last_error());
  REQUIRE(hl_result_get(result, field, &p, &bytes) == HL_STATUS_OK);
  const float* f = static_cast<const float*>(p);
  return std::vector<float>(f, f + bytes / sizeof(float));
}

nlohmann::json Summary(int32_t result) {
  const void* p;
  size_t bytes;
  REQUIRE(hl_result_get(result, HL_FIELD_SUMMARY_JSON, &p, &bytes) == HL_STATUS_OK);
  return nlohmann::json::parse(std::string(static_cast<const char*>(p), bytes));
}

int32_t Run(int32_t model, const std::string& a, int32_t outputs) {
  int32_t result = 0;
  REQUIRE(hl_run(model, a.data(), a.size(), nullptr, 0, 0, 1, 0, outputs, &result) == HL_STATUS_OK);
  return result;
}

std::string Error() { return hl_last_error(); }

const char* const kTreebank = hltest::kTwoSentences;

}  // namespace

TEST_CASE("C API: value norms by request, stepped or not, and the norm weighting of the statistics", "[api]") {
  const int32_t model = LoadModel(true);
  const std::string a = "The cat sat on the mat.";
  const int32_t plain = Run(model, a, 0);
  const void* p;
  size_t bytes;
  CHECK(hl_result_get(plain, HL_FIELD_VALUE_NORMS, &p, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(Error().find("HL_OUTPUT_VALUE_NORMS") != std::string::npos);
  const char* js;
  size_t len;
  CHECK(hl_result_stats(plain, HL_WEIGHTING_NORM, &js, &len) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_result_stats(plain, 7, &js, &len) == HL_STATUS_INVALID_ARGUMENT);
  int32_t bad = 0;
  CHECK(hl_run(model, "a", 1, nullptr, 0, 0, 1, 0, HL_OUTPUT_ALL + 1, &bad) == HL_STATUS_INVALID_ARGUMENT);

  const int32_t r = Run(model, a, HL_OUTPUT_VALUE_NORMS);
  const nlohmann::json sum = Summary(r);
  const size_t L = sum["layers"], A = sum["heads_per_layer"], n = sum["n"];
  const std::vector<float> norms = Field(r, HL_FIELD_VALUE_NORMS), summed = Field(r, HL_FIELD_NORM_SUMMED);
  const std::vector<float> weighted = Field(r, HL_FIELD_NORM_ATTENTION), att = Field(r, HL_FIELD_ATTENTION);
  REQUIRE(norms.size() == L * A * n);
  REQUIRE(summed.size() == L * n * n);
  REQUIRE(weighted.size() == L * A * n * n);
  CHECK(att == Field(plain, HL_FIELD_ATTENTION));  // asking for norms changes nothing else
  std::vector<float> want(A * n * n);
  for (size_t l = 0; l < L; ++l) {
    hl::NormWeightedAttention(want.data(), att.data() + l * A * n * n, norms.data() + l * A * n, A, n);
    CHECK(std::equal(want.begin(), want.end(), weighted.begin() + l * A * n * n));
  }
  for (size_t row = 0; row < L * A * n; ++row) {
    double s = 0;
    for (size_t j = 0; j < n; ++j) s += weighted[row * n + j];
    CHECK(s == Approx(1.0).epsilon(1e-5));
  }
  // ‖Σ_h α f^h‖ ≤ Σ_h α ‖f^h‖ (the triangle inequality), for every pair of tokens.
  for (size_t l = 0; l < L; ++l)
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        double bound = 0;
        for (size_t h = 0; h < A; ++h) bound += att[((l * A + h) * n + i) * n + j] * norms[(l * A + h) * n + j];
        CHECK(summed[(l * n + i) * n + j] <= bound * (1 + 1e-5) + 1e-7);
      }

  // Statistics of the norm weighting: the C++ statistics of HL_FIELD_NORM_ATTENTION.
  REQUIRE(hl_result_stats(r, HL_WEIGHTING_NORM, &js, &len) == HL_STATUS_OK);
  const nlohmann::json st = nlohmann::json::parse(std::string(js, len));
  std::vector<std::string> texts;
  std::vector<int32_t> segments;
  for (const auto& t : sum["tokens"]) {
    texts.push_back(t["text"]);
    segments.push_back(t["segment"]);
  }
  hl::TokenClasses classes;
  hl::ClassifyTokens(&classes, texts, segments, "[CLS]", "[SEP]");
  std::vector<hl::HeadStats> stats;
  hl::ComputeAllHeadStats(&stats, weighted.data(), classes, L * A, n);
  for (size_t h = 0; h < L * A; ++h) {
    CHECK(st["per_head"][h]["cls"].get<double>() == Approx(stats[h].cls).epsilon(1e-12));
    CHECK(st["per_head"][h]["entropy"].get<double>() == Approx(stats[h].entropy).epsilon(1e-12));
  }
  REQUIRE(hl_result_stats(r, HL_WEIGHTING_ATTENTION, &js, &len) == HL_STATUS_OK);
  CHECK(nlohmann::json::parse(std::string(js, len)) != st);

  // The head map of the norm weighting: the C++ accumulator fed the norm-weighted attention; a plain run is refused.
  int32_t acc = 0;
  REQUIRE(hl_distances_new(model, HL_WEIGHTING_NORM, &acc) == HL_STATUS_OK);
  CHECK(hl_distances_add(acc, plain) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(Error().find("HL_OUTPUT_VALUE_NORMS") != std::string::npos);
  REQUIRE(hl_distances_add(acc, r) == HL_STATUS_OK);
  REQUIRE(hl_distances_mds(acc, &js, &len) == HL_STATUS_OK);
  const nlohmann::json map = nlohmann::json::parse(std::string(js, len));
  hl::HeadMap want_map(L, A);
  want_map.Add(weighted.data(), classes, n);
  hl::MdsResult mds;
  REQUIRE(want_map.Place(&mds).ok());
  CHECK(map == nlohmann::json::parse(nlohmann::json(want_map.Json(mds)).dump()));
  REQUIRE(hl_distances_free(acc) == HL_STATUS_OK);

  // A stepped run whose heads the engine computes hands over the same norms, bit for bit.
  int32_t step = 0, got = 0;
  REQUIRE(hl_step_begin(model, a.data(), a.size(), nullptr, 0, 0, 1, 0, HL_OUTPUT_VALUE_NORMS, &step) == HL_STATUS_OK);
  while (got == 0) REQUIRE(hl_step_next(step, 1, &got) == HL_STATUS_OK);
  CHECK(Field(got, HL_FIELD_VALUE_NORMS) == norms);
  CHECK(Field(got, HL_FIELD_NORM_SUMMED) == summed);
  for (int32_t h : {plain, r, got}) REQUIRE(hl_result_free(h) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: layer states by request: the embeddings' and each layer's output, stepped or not", "[api]") {
  const int32_t model = LoadModel(true);
  const std::string a = "Probes read every layer.";
  const int32_t plain = Run(model, a, HL_OUTPUT_VALUE_NORMS);
  const void* p;
  size_t bytes;
  CHECK(hl_result_get(plain, HL_FIELD_LAYER_STATES, &p, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(Error().find("HL_OUTPUT_LAYER_STATES") != std::string::npos);

  const int32_t r = Run(model, a, HL_OUTPUT_LAYER_STATES);
  const nlohmann::json sum = Summary(r);
  const size_t L = sum["layers"], n = sum["n"], H = sum["hidden_size"];
  const std::vector<float> states = Field(r, HL_FIELD_LAYER_STATES), hidden = Field(r, HL_FIELD_HIDDEN);
  REQUIRE(states.size() == (L + 1) * n * H);
  // the last layer's output is the final hidden state, bit for bit; the same text without the option runs the same
  CHECK(std::vector<float>(states.end() - n * H, states.end()) == hidden);
  CHECK(Field(plain, HL_FIELD_HIDDEN) == hidden);
  CHECK(Field(plain, HL_FIELD_ATTENTION) == Field(r, HL_FIELD_ATTENTION));
  // each layer's output is layer-normalised: every token's vector has mean ~0 and the layers differ
  for (size_t l = 0; l <= L; ++l) {
    for (size_t i = 0; i < n; ++i) {
      double mean = 0;
      for (size_t d = 0; d < H; ++d) mean += states[(l * n + i) * H + d];
      CHECK(std::fabs(mean / H) < 0.2);
    }
    if (l > 0) CHECK(std::vector<float>(states.begin() + (l - 1) * n * H, states.begin() + l * n * H) !=
                     std::vector<float>(states.begin() + l * n * H, states.begin() + (l + 1) * n * H));
  }
  // A stepped run whose heads the engine computes hands over the same states, bit for bit.
  int32_t step = 0, got = 0;
  REQUIRE(hl_step_begin(model, a.data(), a.size(), nullptr, 0, 0, 1, 0, HL_OUTPUT_LAYER_STATES, &step) == HL_STATUS_OK);
  while (got == 0) REQUIRE(hl_step_next(step, 1, &got) == HL_STATUS_OK);
  CHECK(Field(got, HL_FIELD_LAYER_STATES) == states);
  for (int32_t h : {plain, r, got}) REQUIRE(hl_result_free(h) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: rollout and flow of a result, by layer", "[api]") {
  const int32_t model = LoadModel(false);
  const int32_t r = Run(model, "Attention rollout follows the residual stream.", 0);
  const nlohmann::json sum = Summary(r);
  const size_t L = sum["layers"], A = sum["heads_per_layer"], n = sum["n"];
  const std::vector<float> att = Field(r, HL_FIELD_ATTENTION);
  std::vector<double> rollout, flow;
  hl::AttentionRollout(&rollout, att.data(), L, A, n);
  const float* data;
  size_t bytes;
  for (size_t l = 1; l <= L; ++l) {
    REQUIRE(hl_result_combined(r, HL_COMBINE_ROLLOUT, static_cast<int32_t>(l), &data, &bytes) == HL_STATUS_OK);
    REQUIRE(bytes == n * n * 4);
    for (size_t k = 0; k < n * n; ++k) CHECK(data[k] == static_cast<float>(rollout[(l - 1) * n * n + k]));
    REQUIRE(hl_result_combined(r, HL_COMBINE_FLOW, static_cast<int32_t>(l), &data, &bytes) == HL_STATUS_OK);
    REQUIRE(hl::AttentionFlow(&flow, att.data(), l, A, n).ok());
    for (size_t k = 0; k < n * n; ++k) CHECK(data[k] == static_cast<float>(flow[k]));
  }
  CHECK(hl_result_combined(r, HL_COMBINE_ROLLOUT, 0, &data, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_result_combined(r, HL_COMBINE_ROLLOUT, static_cast<int32_t>(L + 1), &data, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_result_combined(r, 5, 1, &data, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_result_combined(r + 1000, HL_COMBINE_ROLLOUT, 1, &data, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  std::string words;
  for (int i = 0; i < 60; ++i) words += "word ";
  const int32_t long_run = Run(model, words, 0);
  CHECK(hl_result_combined(long_run, HL_COMBINE_FLOW, 1, &data, &bytes) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(Error().find("at most 48 tokens") != std::string::npos);
  for (int32_t h : {r, long_run}) REQUIRE(hl_result_free(h) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: a treebank, its sentences, the syntactic-head table and one sentence's choices", "[api]") {
  int32_t tb = 0;
  CHECK(hl_treebank_load("1\tx\n", 4, &tb) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(Error() == "treebank line 1: 2 TAB-separated fields, not CoNLL-U's 10");
  REQUIRE(hl_treebank_load(kTreebank, std::strlen(kTreebank), &tb) == HL_STATUS_OK);
  const char* js;
  size_t len;
  REQUIRE(hl_treebank_json(tb, -1, &js, &len) == HL_STATUS_OK);
  CHECK(nlohmann::json::parse(std::string(js, len)) == nlohmann::json{{"sentences", 2}, {"words", 8}});
  REQUIRE(hl_treebank_json(tb, 0, &js, &len) == HL_STATUS_OK);
  const nlohmann::json s0 = nlohmann::json::parse(std::string(js, len));
  CHECK(s0["text"] == "The strawberries grew.");
  CHECK(s0["words"][1] == nlohmann::json{{"form", "strawberries"}, {"upos", "NOUN"}, {"deprel", "nsubj"}, {"head", 3},
                                         {"begin", 4}, {"end", 16}});
  CHECK(hl_treebank_json(tb, 2, &js, &len) == HL_STATUS_INVALID_ARGUMENT);

  std::vector<hl::TreebankSentence> sentences;
  REQUIRE(hl::ParseConllu(kTreebank, &sentences).ok());
  const int32_t model = LoadModel(true);
  int32_t acc = 0;
  REQUIRE(hl_syntax_new(model, tb, &acc) == HL_STATUS_OK);
  REQUIRE(hl_treebank_free(tb) == HL_STATUS_OK);  // the accumulator keeps it
  hl::SyntaxTable want(2, 2);
  for (int32_t k = 0; k < 2; ++k) {
    const int32_t r = Run(model, sentences[k].text, 0);
    CHECK(hl_syntax_add(acc, 1 - k, r) == HL_STATUS_INVALID_ARGUMENT);  // another sentence's text
    CHECK(Error().find("not a run of treebank sentence") != std::string::npos);
    REQUIRE(hl_syntax_add(acc, k, r) == HL_STATUS_OK);
    const nlohmann::json sum = Summary(r);
    std::vector<int32_t> begin, end, token_word;
    for (const auto& t : sum["tokens"]) {
      begin.push_back(t["begin"]);
      end.push_back(t["end"]);
    }
    hl::AlignTokensToWords(&token_word, begin.data(), end.data(), begin.size(), sentences[k].words);
    const std::vector<float> att = Field(r, HL_FIELD_ATTENTION);
    want.Add(att.data(), begin.size(), token_word, sentences[k]);
    if (k == 0) {
      CHECK(token_word.front() == -1);
      CHECK(token_word.back() == -1);
      int32_t tb2 = 0;
      REQUIRE(hl_treebank_load(kTreebank, std::strlen(kTreebank), &tb2) == HL_STATUS_OK);
      REQUIRE(hl_syntax_choices(tb2, 0, r, &js, &len) == HL_STATUS_OK);
      const nlohmann::json ch = nlohmann::json::parse(std::string(js, len));
      std::vector<int32_t> choices;
      hl::HeadChoicesOfSentence(&choices, att.data(), 4, begin.size(), token_word, 4);
      CHECK(ch["words"] == 4);
      CHECK(ch["token_word"] == token_word);
      CHECK(ch["choices"] == choices);
      REQUIRE(hl_treebank_free(tb2) == HL_STATUS_OK);
    }
    REQUIRE(hl_result_free(r) == HL_STATUS_OK);
  }
  REQUIRE(hl_syntax_json(acc, &js, &len) == HL_STATUS_OK);
  CHECK(nlohmann::json::parse(std::string(js, len)) == want.Json());
  CHECK(want.Json()["arcs"] == 6);
  REQUIRE(hl_syntax_free(acc) == HL_STATUS_OK);
  CHECK(hl_syntax_json(acc, &js, &len) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_syntax_new(model, tb, &acc) == HL_STATUS_INVALID_ARGUMENT);  // freed
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}
