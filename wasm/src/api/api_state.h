// The C API's shared state (its files only): handle tables, the last error, and the helpers every export uses.
#pragma once
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/head_map.h"
#include "analysis/head_stats.h"
#include "analysis/norms.h"
#include "headlight.h"
#include "model/bert.h"
#include "model/convert.h"

namespace hl_api {

inline thread_local std::string g_last_error;
inline thread_local std::string g_tokenize_json;  // hl_tokenize's last answer
inline std::mutex g_mutex;  // guards the handle tables
inline int32_t g_next_handle = 1;
inline std::map<int32_t, std::unique_ptr<hl::BertModel>> g_models;
inline std::map<int32_t, std::string> g_model_info;

struct Result {
  hl::RunResult run;
  std::vector<int32_t> ids;
  std::vector<int32_t> types;       // token types given to hl_run_ids (hl_run's are in run.encoding)
  std::string summary;
  int32_t model = 0;                // the model handle that produced it
  size_t layers = 0, heads_per_layer = 0;  // L, A
  hl::TokenConventions conventions;  // the model's special tokens and word joining (for the statistics)
  std::vector<std::string> texts;   // [n] token texts
  std::vector<int32_t> segments;    // [n]
  std::string a_text;               // text A as given to hl_run / hl_step_begin ("" for hl_run_ids)
  bool has_b = false;
  std::string stats[2];             // hl_result_stats' JSON per weighting, made on first request
  std::vector<float> norm_attention;  // HL_FIELD_NORM_ATTENTION, made on first request
  std::vector<double> rollout;      // [L][n][n] attention rollout, made on first request
  std::vector<float> combined;      // hl_result_combined's last answer [n][n]
};
inline std::map<int32_t, std::unique_ptr<Result>> g_results;

// A stepped run (hl_step_*): the model it runs on and the result it fills.
struct Step {
  int32_t model = 0;
  hl::BertModel* m = nullptr;
  std::unique_ptr<Result> r;
  hl::Steps st;
};
inline std::map<int32_t, std::unique_ptr<Step>> g_steps;

// A head map being accumulated (hl_distances_*): the model its results must come from.
struct Distances {
  int32_t model = 0;
  int32_t weighting = HL_WEIGHTING_ATTENTION;
  hl::HeadMap map;
  hl::TokenConventions conventions;  // the model's (labels of the aggregate statistics)
  std::string json;  // the last hl_distances_mds answer
};
inline std::map<int32_t, std::unique_ptr<Distances>> g_distances;

inline std::map<int32_t, std::unique_ptr<hl::Converter>> g_conversions;  // hl_convert_*: conversions under way

// The analyses' live handles (analysis_api.cpp's tables) into j: "distances", "syntax", "treebanks". Call under g_mutex.
void CountAnalysisHandles(nlohmann::json* j);

inline int32_t Fail(const hl::Status& s) {
  g_last_error = s.message();
  return static_cast<int32_t>(s.code());
}
inline int32_t Fail(hl::Code code, std::string message) { return Fail(hl::Status(code, std::move(message))); }
inline int32_t Ok() { g_last_error.clear(); return HL_STATUS_OK; }

inline std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

inline hl::BertModel* FindModel(int32_t h) {
  auto it = g_models.find(h);
  return it == g_models.end() ? nullptr : it->second.get();
}


// Wraps an API body: a bad_alloc becomes HL_STATUS_OUT_OF_MEMORY, anything else HL_STATUS_INTERNAL.
template <typename F>
inline int32_t Guard(F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(hl::Code::kOutOfMemory, "out of memory: try a shorter text or a smaller model");
  } catch (const std::exception& e) {
    return Fail(hl::Code::kInternal, std::string("internal error: ") + e.what());
  }
}

// α^h_ij ‖f^h(x_j)‖ with rows renormalised, [L][A][n][n], made on first request (needs the run's value norms).
inline const std::vector<float>& NormAttention(Result* r) {
  if (r->norm_attention.empty()) {
    const size_t n = static_cast<size_t>(r->run.n), A = r->heads_per_layer, L = r->layers;
    r->norm_attention.resize(L * A * n * n);
    for (size_t l = 0; l < L; ++l)
      hl::NormWeightedAttention(r->norm_attention.data() + l * A * n * n, r->run.attention.data() + l * A * n * n,
                                r->run.value_norms.data() + l * A * n, A, n);
  }
  return r->norm_attention;
}

inline bool KnownWeighting(int32_t weighting) { return weighting == HL_WEIGHTING_ATTENTION || weighting == HL_WEIGHTING_NORM; }

// The attention [L][A][n][n] a weighting (HL_WEIGHTING_*) reads from a result; null for the norm weighting of a run
// without HL_OUTPUT_VALUE_NORMS.
inline const float* WeightedAttention(Result* r, int32_t weighting) {
  if (weighting != HL_WEIGHTING_NORM) return r->run.attention.data();
  return r->run.value_norms.empty() ? nullptr : NormAttention(r).data();
}

}  // namespace hl_api
