// The extern "C" exports of the analyses: statistics, head distances, rollout and flow, treebanks and syntactic heads.
// No exception crosses this file.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "analysis/analysis_json.h"
#include "analysis/rollout.h"
#include "analysis/syntax.h"
#include "analysis/treebank.h"
#include "api/api_state.h"

using namespace hl_api;  // NOLINT: this file is the C API itself

namespace {

using Treebank = std::vector<hl::TreebankSentence>;
std::map<int32_t, std::shared_ptr<const Treebank>> g_treebanks;
thread_local std::string g_treebank_json, g_choices_json;  // hl_treebank_json's, hl_syntax_choices' last answers

// A syntactic-head table being accumulated (hl_syntax_*): its model and treebank.
struct Syntax {
  int32_t model = 0;
  std::shared_ptr<const Treebank> treebank;
  hl::SyntaxTable table;
  std::string json;  // the last hl_syntax_json answer
};
std::map<int32_t, std::unique_ptr<Syntax>> g_syntax;

int32_t NewHandle() { return g_next_handle++; }

// Each token's treebank word (by byte spans), for a result of sentence s's text; fails for any other result.
hl::Status TokenWords(std::vector<int32_t>* token_word, const Result& r, const hl::TreebankSentence& s, int32_t sentence) {
  if (r.has_b || r.a_text != s.text || r.run.encoding.tokens.empty())
    return hl::InvalidArgument("the result is not a run of treebank sentence " + std::to_string(sentence) +
                               "'s text as text A alone (hl_treebank_json gives the text)");
  hl::AlignTokensToWords(token_word, r.run.encoding.tokens, s.words);
  return hl::Status::Ok();
}

// hl_*_add_sums' JSON text, parsed (nlohmann's parser, without exceptions).
hl::Status ParseSums(nlohmann::json* out, const char* json, size_t length) {
  if (!json && length) return hl::InvalidArgument("json is NULL");
  *out = nlohmann::json::parse(json, json + length, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return hl::InvalidArgument("the sums are not JSON");
  if (!out->is_object()) return hl::InvalidArgument("sums: not a JSON object");
  return hl::Status::Ok();
}

const char* WeightingName(int32_t weighting) { return weighting == HL_WEIGHTING_NORM ? "norm" : "attention"; }

}  // namespace

void hl_api::CountAnalysisHandles(nlohmann::json* j) {
  (*j)["distances"] = g_distances.size();
  (*j)["syntax"] = g_syntax.size();
  (*j)["treebanks"] = g_treebanks.size();
}

extern "C" {

int32_t hl_result_stats(int32_t result, int32_t weighting, const char** json, size_t* length) {
  return Guard([&] {
    // Holds the table lock while computing (once per result) so that the result cannot be freed meanwhile.
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_results.find(result);
    if (it == g_results.end()) return Fail(hl::Code::kInvalidArgument, "hl_result_stats: unknown result handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_result_stats: NULL argument");
    if (!KnownWeighting(weighting))
      return Fail(hl::Code::kInvalidArgument, "hl_result_stats: unknown weighting " + std::to_string(weighting));
    Result& r = *it->second;
    const float* attention = WeightedAttention(&r, weighting);
    if (!attention)
      return Fail(hl::Code::kInvalidArgument, "hl_result_stats: norm weighting needs a run with HL_OUTPUT_VALUE_NORMS");
    std::string& out = r.stats[weighting];
    if (out.empty()) {
      const size_t n = static_cast<size_t>(r.run.n);
      hl::TokenClasses tokens;
      hl::ClassifyTokens(&tokens, r.texts, r.segments, r.conventions);
      std::vector<hl::HeadStats> stats;
      hl::ComputeAllHeadStats(&stats, attention, tokens, r.layers * r.heads_per_layer, n);
      out = Dump(hl::StatsJson(stats, r.run.n, n ? std::log(static_cast<double>(n)) : 0.0, r.layers, r.heads_per_layer,
                               r.conventions));
    }
    *json = out.c_str();
    *length = out.size();
    return Ok();
  });
}

int32_t hl_distances_new(int32_t model, int32_t weighting, int32_t* out_acc) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    hl::BertModel* m = FindModel(model);
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_distances_new: unknown model handle (load a model first)");
    if (!out_acc) return Fail(hl::Code::kInvalidArgument, "hl_distances_new: out_acc is NULL");
    if (!KnownWeighting(weighting))
      return Fail(hl::Code::kInvalidArgument, "hl_distances_new: unknown weighting " + std::to_string(weighting));
    const hl::BertConfig& c = m->config();
    auto d = std::unique_ptr<Distances>(new Distances{
        model, weighting, hl::HeadMap(static_cast<size_t>(c.num_layers), static_cast<size_t>(c.num_heads)),
        m->token_conventions(), {}});
    const int32_t h = g_next_handle++;
    g_distances[h] = std::move(d);
    *out_acc = h;
    return Ok();
  });
}

int32_t hl_distances_add(int32_t acc, int32_t result) {
  return Guard([&] {
    // Holds the table lock while adding (seconds for 144 heads × 512 tokens): the result must stay alive.
    std::lock_guard<std::mutex> lock(g_mutex);
    auto dit = g_distances.find(acc);
    if (dit == g_distances.end()) return Fail(hl::Code::kInvalidArgument, "hl_distances_add: unknown accumulator handle");
    auto rit = g_results.find(result);
    if (rit == g_results.end()) return Fail(hl::Code::kInvalidArgument, "hl_distances_add: unknown result handle");
    Distances& d = *dit->second;
    Result& r = *rit->second;
    if (r.model != d.model || r.layers != d.map.layers() || r.heads_per_layer != d.map.heads_per_layer())
      return Fail(hl::Code::kInvalidArgument, "hl_distances_add: the result comes from another model than the accumulator's");
    const float* attention = WeightedAttention(&r, d.weighting);
    if (!attention)
      return Fail(hl::Code::kInvalidArgument, "hl_distances_add: the norm weighting needs a run with HL_OUTPUT_VALUE_NORMS");
    hl::TokenClasses tokens;
    hl::ClassifyTokens(&tokens, r.texts, r.segments, r.conventions);
    d.map.Add(attention, tokens, static_cast<size_t>(r.run.n));
    return Ok();
  });
}

int32_t hl_distances_mds(int32_t acc, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_distances.find(acc);
    if (it == g_distances.end()) return Fail(hl::Code::kInvalidArgument, "hl_distances_mds: unknown accumulator handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_distances_mds: NULL argument");
    Distances& d = *it->second;
    if (d.map.texts() == 0) return Fail(hl::Code::kInvalidArgument, "hl_distances_mds: no results added yet (hl_distances_add)");
    hl::MdsResult mds;
    const hl::Status placed = d.map.Place(&mds);
    if (!placed.ok()) return Fail(placed.code(), "hl_distances_mds: " + placed.message());
    d.json = Dump(d.map.Json(mds, d.conventions));
    *json = d.json.c_str();
    *length = d.json.size();
    return Ok();
  });
}

int32_t hl_distances_free(int32_t acc) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_distances.erase(acc)) return Fail(hl::Code::kInvalidArgument, "hl_distances_free: unknown accumulator handle");
  return Ok();
}

int32_t hl_distances_sums(int32_t acc, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_distances.find(acc);
    if (it == g_distances.end()) return Fail(hl::Code::kInvalidArgument, "hl_distances_sums: unknown accumulator handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_distances_sums: NULL argument");
    Distances& d = *it->second;
    nlohmann::json sums = d.map.SumsJson();
    sums["weighting"] = WeightingName(d.weighting);
    d.json = Dump(sums);
    *json = d.json.c_str();
    *length = d.json.size();
    return Ok();
  });
}

int32_t hl_distances_add_sums(int32_t acc, const char* json, size_t length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_distances.find(acc);
    if (it == g_distances.end()) return Fail(hl::Code::kInvalidArgument, "hl_distances_add_sums: unknown accumulator handle");
    nlohmann::json sums;
    const hl::Status parsed = ParseSums(&sums, json, length);
    if (!parsed.ok()) return Fail(parsed.code(), "hl_distances_add_sums: " + parsed.message());
    Distances& d = *it->second;
    auto w = sums.find("weighting");
    if (w == sums.end() || *w != WeightingName(d.weighting))
      return Fail(hl::Code::kInvalidArgument, std::string("hl_distances_add_sums: the sums must be of the \"") +
                                                  WeightingName(d.weighting) + "\" weighting, as this accumulator");
    const hl::Status added = d.map.AddSums(sums);
    if (!added.ok()) return Fail(added.code(), "hl_distances_add_sums: " + added.message());
    return Ok();
  });
}

int32_t hl_result_combined(int32_t result, int32_t method, int32_t layers, const float** data, size_t* bytes) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_results.find(result);
    if (it == g_results.end()) return Fail(hl::Code::kInvalidArgument, "hl_result_combined: unknown result handle");
    if (!data || !bytes) return Fail(hl::Code::kInvalidArgument, "hl_result_combined: NULL argument");
    Result& r = *it->second;
    const size_t n = static_cast<size_t>(r.run.n), L = r.layers, A = r.heads_per_layer;
    if (layers < 1 || static_cast<size_t>(layers) > L)
      return Fail(hl::Code::kInvalidArgument, "hl_result_combined: layers must be 1.." + std::to_string(L));
    std::vector<double> flow;
    const double* m = nullptr;  // [n][n]
    if (method == HL_COMBINE_ROLLOUT) {
      if (r.rollout.empty()) hl::AttentionRollout(&r.rollout, r.run.attention.data(), L, A, n);
      m = r.rollout.data() + static_cast<size_t>(layers - 1) * n * n;
    } else if (method == HL_COMBINE_FLOW) {
      const hl::Status s = hl::AttentionFlow(&flow, r.run.attention.data(), static_cast<size_t>(layers), A, n);
      if (!s.ok()) return Fail(s);
      m = flow.data();
    } else {
      return Fail(hl::Code::kInvalidArgument, "hl_result_combined: unknown method " + std::to_string(method));
    }
    r.combined.assign(m, m + n * n);
    *data = r.combined.data();
    *bytes = r.combined.size() * 4;
    return Ok();
  });
}

int32_t hl_treebank_load(const char* conllu, size_t length, int32_t* out_treebank) {
  return Guard([&] {
    if (!out_treebank || (!conllu && length)) return Fail(hl::Code::kInvalidArgument, "hl_treebank_load: NULL argument");
    auto tb = std::make_shared<Treebank>();
    const hl::Status s = hl::ParseConllu(std::string_view(conllu ? conllu : "", length), tb.get());
    if (!s.ok()) return Fail(s);
    std::lock_guard<std::mutex> lock(g_mutex);
    const int32_t h = NewHandle();
    g_treebanks[h] = std::move(tb);
    *out_treebank = h;
    return Ok();
  });
}

int32_t hl_treebank_json(int32_t treebank, int32_t sentence, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_treebanks.find(treebank);
    if (it == g_treebanks.end()) return Fail(hl::Code::kInvalidArgument, "hl_treebank_json: unknown treebank handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_treebank_json: NULL argument");
    const Treebank& tb = *it->second;
    if (sentence >= static_cast<int64_t>(tb.size()))
      return Fail(hl::Code::kInvalidArgument, "hl_treebank_json: sentence " + std::to_string(sentence) + " of " +
                                                  std::to_string(tb.size()));
    if (sentence < 0) {
      size_t words = 0;
      for (const auto& s : tb) words += s.words.size();
      g_treebank_json = Dump({{"sentences", tb.size()}, {"words", words}});
    } else {
      const hl::TreebankSentence& s = tb[static_cast<size_t>(sentence)];
      nlohmann::json words = nlohmann::json::array();
      for (const auto& w : s.words)
        words.push_back({{"form", w.form}, {"upos", w.upos}, {"deprel", w.deprel}, {"head", w.head}, {"begin", w.begin},
                         {"end", w.end}});
      g_treebank_json = Dump({{"id", s.id}, {"text", s.text}, {"words", words}});
    }
    *json = g_treebank_json.c_str();
    *length = g_treebank_json.size();
    return Ok();
  });
}

int32_t hl_treebank_free(int32_t treebank) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_treebanks.erase(treebank)) return Fail(hl::Code::kInvalidArgument, "hl_treebank_free: unknown treebank handle");
  return Ok();
}

int32_t hl_syntax_new(int32_t model, int32_t treebank, int32_t* out_acc) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    hl::BertModel* m = FindModel(model);
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_syntax_new: unknown model handle (load a model first)");
    auto tb = g_treebanks.find(treebank);
    if (tb == g_treebanks.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_new: unknown treebank handle");
    if (!out_acc) return Fail(hl::Code::kInvalidArgument, "hl_syntax_new: out_acc is NULL");
    const hl::BertConfig& c = m->config();
    auto acc = std::unique_ptr<Syntax>(new Syntax{
        model, tb->second, hl::SyntaxTable(static_cast<size_t>(c.num_layers), static_cast<size_t>(c.num_heads)), {}});
    const int32_t h = NewHandle();
    g_syntax[h] = std::move(acc);
    *out_acc = h;
    return Ok();
  });
}

int32_t hl_syntax_add(int32_t acc, int32_t sentence, int32_t result) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto sit = g_syntax.find(acc);
    if (sit == g_syntax.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_add: unknown accumulator handle");
    auto rit = g_results.find(result);
    if (rit == g_results.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_add: unknown result handle");
    Syntax& x = *sit->second;
    const Result& r = *rit->second;
    if (r.model != x.model) return Fail(hl::Code::kInvalidArgument, "hl_syntax_add: the result comes from another model");
    if (sentence < 0 || static_cast<size_t>(sentence) >= x.treebank->size())
      return Fail(hl::Code::kInvalidArgument, "hl_syntax_add: sentence " + std::to_string(sentence) + " of " +
                                                  std::to_string(x.treebank->size()));
    const hl::TreebankSentence& s = (*x.treebank)[static_cast<size_t>(sentence)];
    std::vector<int32_t> token_word;
    const hl::Status st = TokenWords(&token_word, r, s, sentence);
    if (!st.ok()) return Fail(st.code(), "hl_syntax_add: " + st.message());
    x.table.Add(r.run.attention.data(), static_cast<size_t>(r.run.n), token_word, s);
    return Ok();
  });
}

int32_t hl_syntax_json(int32_t acc, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_syntax.find(acc);
    if (it == g_syntax.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_json: unknown accumulator handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_syntax_json: NULL argument");
    Syntax& x = *it->second;
    x.json = Dump(x.table.Json());
    *json = x.json.c_str();
    *length = x.json.size();
    return Ok();
  });
}

int32_t hl_syntax_free(int32_t acc) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_syntax.erase(acc)) return Fail(hl::Code::kInvalidArgument, "hl_syntax_free: unknown accumulator handle");
  return Ok();
}

int32_t hl_syntax_sums(int32_t acc, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_syntax.find(acc);
    if (it == g_syntax.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_sums: unknown accumulator handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_syntax_sums: NULL argument");
    Syntax& x = *it->second;
    x.json = Dump(x.table.SumsJson());
    *json = x.json.c_str();
    *length = x.json.size();
    return Ok();
  });
}

int32_t hl_syntax_add_sums(int32_t acc, const char* json, size_t length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_syntax.find(acc);
    if (it == g_syntax.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_add_sums: unknown accumulator handle");
    nlohmann::json sums;
    const hl::Status parsed = ParseSums(&sums, json, length);
    if (!parsed.ok()) return Fail(parsed.code(), "hl_syntax_add_sums: " + parsed.message());
    const hl::Status added = it->second->table.AddSums(sums);
    if (!added.ok()) return Fail(added.code(), "hl_syntax_add_sums: " + added.message());
    return Ok();
  });
}

int32_t hl_syntax_choices(int32_t treebank, int32_t sentence, int32_t result, const char** json, size_t* length) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto tit = g_treebanks.find(treebank);
    if (tit == g_treebanks.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_choices: unknown treebank handle");
    auto rit = g_results.find(result);
    if (rit == g_results.end()) return Fail(hl::Code::kInvalidArgument, "hl_syntax_choices: unknown result handle");
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_syntax_choices: NULL argument");
    const Treebank& tb = *tit->second;
    if (sentence < 0 || static_cast<size_t>(sentence) >= tb.size())
      return Fail(hl::Code::kInvalidArgument, "hl_syntax_choices: sentence " + std::to_string(sentence) + " of " +
                                                  std::to_string(tb.size()));
    const Result& r = *rit->second;
    const hl::TreebankSentence& s = tb[static_cast<size_t>(sentence)];
    std::vector<int32_t> token_word, choices;
    const hl::Status st = TokenWords(&token_word, r, s, sentence);
    if (!st.ok()) return Fail(st.code(), "hl_syntax_choices: " + st.message());
    const size_t W = s.words.size();
    hl::HeadChoicesOfSentence(&choices, r.run.attention.data(), r.layers * r.heads_per_layer, static_cast<size_t>(r.run.n),
                              token_word, W);
    g_choices_json = Dump({{"words", W}, {"token_word", token_word}, {"choices", choices}});
    *json = g_choices_json.c_str();
    *length = g_choices_json.size();
    return Ok();
  });
}

}  // extern "C"
