// The extern "C" exports of models, runs, results and conversions (analyses: analysis_api.cpp; shared state:
// api_state.h). No exception crosses this file.
#include "headlight.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "api/api_state.h"
#include "common/buffer.h"
#include "model/bert.h"
#include "model/convert.h"
#include "tokenizer/tokenizer.h"
#include "ops/kernels.h"
#include "ops/linear.h"

using namespace hl_api;  // NOLINT: this file is the C API itself

namespace {

const char* Int8GemmName(hl::Int8Gemm g) {
  switch (g) {
    case hl::Int8Gemm::kHeadlight: return "headlight";
    case hl::Int8Gemm::kHeadlightRelaxed: return "headlight-relaxed";
    case hl::Int8Gemm::kXnnpack: return "xnnpack";
  }
  return "?";
}

std::string ModelInfo(const hl::BertModel& m) {
  const hl::BertConfig& c = m.config();
  const hl::TokenizerOptions& t = m.tokenizer().options();
  nlohmann::json j{{"config", hl::ConfigToHeader(c)},
                   {"meta", m.meta()},
                   {"int8", m.is_int8()},
                   {"threads", m.num_threads()},
                   // the int8 layers' kernel: "headlight" (ops/gemm_qd8.h), "headlight-relaxed" (relaxed builds with an
                   // exact relaxed dot product) or "xnnpack" (natively)
                   {"int8_gemm", !m.is_int8() ? "none" : Int8GemmName(m.int8_gemm())},
                   {"has_mlm_head", m.has_mlm_head()},
                   {"file_bytes", m.file_size()},
                   {"tokenizer", {{"kind", t.kind == hl::TokenizerKind::kByteLevelBpe ? "bpe" : "wordpiece"},
                                  {"lowercase", t.lowercase}, {"vocab_size", m.tokenizer().vocab_size()},
                                  {"cls", t.cls_token}, {"sep", t.sep_token}, {"mask", t.mask_token}, {"unk", t.unk_token}}}};
  return Dump(j);
}

// The tokens of a run as the summary lists them: text, id, segment, word (analysis/head_stats.h's grouping, -1 for the
// special tokens), and the byte span in its sentence (begin, end) where the run was of text.
nlohmann::json TokensJson(const std::vector<std::string>& texts, const std::vector<int32_t>& ids,
                          const std::vector<int32_t>& segments, const hl::Encoding& enc, const hl::TokenConventions& conventions) {
  std::vector<int32_t> word;  // [n]
  hl::WordIndices(&word, texts, segments, conventions);
  nlohmann::json tokens = nlohmann::json::array();
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json t{{"text", texts[i]}, {"id", ids[i]}, {"segment", segments[i]}, {"word", word[i]}};
    if (!enc.tokens.empty()) {
      t["begin"] = enc.tokens[i].begin;
      t["end"] = enc.tokens[i].end;
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

nlohmann::json TruncationJson(const hl::Encoding& enc) {
  return {{"a_pieces", enc.a_pieces}, {"b_pieces", enc.b_pieces}, {"a_dropped", enc.a_dropped}, {"b_dropped", enc.b_dropped}};
}

std::string Summary(const hl::BertModel& m, const Result& r) {
  const hl::BertConfig& c = m.config();
  const hl::RunResult& run = r.run;
  const nlohmann::json tokens = TokensJson(r.texts, r.ids, r.segments, run.encoding, r.conventions);
  nlohmann::json mlm = nlohmann::json::array();
  for (const hl::MaskPrediction& p : run.mlm) {
    nlohmann::json preds = nlohmann::json::array();
    for (size_t i = 0; i < p.ids.size(); ++i)
      preds.push_back({{"id", p.ids[i]}, {"token", m.tokenizer().IdToToken(p.ids[i])}, {"prob", p.probs[i]}});
    mlm.push_back({{"position", p.position}, {"predictions", preds}});
  }
  const hl::Timings& tm = run.timings;
  nlohmann::json j{
      {"n", run.n},
      {"layers", c.num_layers},
      {"heads_per_layer", c.num_heads},
      {"head_size", c.head_size()},
      {"hidden_size", c.hidden_size},
      {"tokens", tokens},
      {"truncation", TruncationJson(run.encoding)},
      {"mlm", mlm},
      {"timings_ms", {{"tokenize", tm.tokenize}, {"embeddings", tm.embeddings}, {"linear", tm.linear},
                      {"attention", tm.attention}, {"norm_act", tm.norm_act}, {"mlm", tm.mlm},
                      {"value_norms", tm.value_norms}, {"total", tm.total}}}};
  return Dump(j);
}

hl::RunOptions RunOptionsOf(int32_t top_k, int32_t max_tokens, int32_t outputs) {
  hl::RunOptions opt;
  opt.top_k = top_k;
  opt.max_tokens = max_tokens > 0 ? static_cast<size_t>(max_tokens) : 0;
  opt.value_norms = (outputs & HL_OUTPUT_VALUE_NORMS) != 0;
  opt.layer_states = (outputs & HL_OUTPUT_LAYER_STATES) != 0;
  return opt;
}

int32_t StoreResult(hl::BertModel* m, int32_t model, std::unique_ptr<Result> r, int32_t* out_result) {
  r->model = model;
  r->layers = static_cast<size_t>(m->config().num_layers);
  r->heads_per_layer = static_cast<size_t>(m->config().num_heads);
  r->conventions = m->token_conventions();
  if (!r->run.encoding.tokens.empty()) {
    for (const hl::Token& t : r->run.encoding.tokens) {
      r->texts.push_back(t.text);
      r->segments.push_back(t.segment);
    }
  } else {
    for (size_t i = 0; i < r->ids.size(); ++i) {
      r->texts.push_back(m->tokenizer().IdToToken(r->ids[i]));
      r->segments.push_back(i < r->types.size() ? r->types[i] : 0);
    }
  }
  r->summary = Summary(*m, *r);
  std::lock_guard<std::mutex> lock(g_mutex);
  const int32_t h = g_next_handle++;
  g_results[h] = std::move(r);
  *out_result = h;
  return Ok();
}

}  // namespace

constexpr int32_t kMaxThreads = 256;  // hl_model_load: more than any machine's cores; each thread costs a stack

static_assert(HL_MAX_TEXT_BYTES == hl::kMaxTextBytes, "headlight.h's HL_MAX_TEXT_BYTES is the tokenizer's kMaxTextBytes");

extern "C" {

int32_t hl_version(void) { return 1; }

int32_t hl_set_int8_gemm(int32_t gemm) {
  if (gemm < HL_INT8_GEMM_AUTO || gemm > HL_INT8_GEMM_XNNPACK) return Fail(hl::Code::kInvalidArgument, "hl_set_int8_gemm: unknown GEMM " + std::to_string(gemm));
#if !defined(__wasm_simd128__)
  if (gemm == HL_INT8_GEMM_HEADLIGHT) return Fail(hl::Code::kUnsupported, "hl_set_int8_gemm: Headlight's int8 GEMM needs a wasm SIMD build");
#endif
  hl::SetQuantizedGemm(gemm == HL_INT8_GEMM_AUTO ? hl::QuantizedGemm::kAuto
                       : gemm == HL_INT8_GEMM_HEADLIGHT ? hl::QuantizedGemm::kHeadlight : hl::QuantizedGemm::kXnnpack);
  return HL_STATUS_OK;
}

void* hl_alloc(size_t size) { return hl::AllocateAligned64(size); }

void hl_free(void* p) { std::free(p); }

int32_t hl_model_load(void* data, size_t size, int32_t num_threads, int32_t* out_model) {
  return Guard([&] {
    hl::AlignedBuffer file;
    file.adopt(static_cast<uint8_t*>(data), size);
    if (!out_model) return Fail(hl::Code::kInvalidArgument, "hl_model_load: out_model is NULL");
    if (!data) return Fail(hl::Code::kInvalidArgument, "hl_model_load: no data (allocation failed?)");
    std::unique_ptr<hl::BertModel> model;
    hl::LoadOptions opt;
    if (num_threads > kMaxThreads)
      return Fail(hl::Code::kInvalidArgument, "hl_model_load: " + std::to_string(num_threads) + " threads asked for; at most " +
                                                  std::to_string(kMaxThreads));
    opt.num_threads = num_threads < 1 ? 1 : num_threads;
    hl::Status s = hl::BertModel::Load(std::move(file), opt, &model);
    if (!s.ok()) return Fail(s);
    std::string info = ModelInfo(*model);
    std::lock_guard<std::mutex> lock(g_mutex);
    const int32_t h = g_next_handle++;
    g_models[h] = std::move(model);
    g_model_info[h] = std::move(info);
    *out_model = h;
    return Ok();
  });
}

int32_t hl_model_info(int32_t model, const char** json, size_t* length) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_model_info.find(model);
  if (it == g_model_info.end() || !json || !length) return Fail(hl::Code::kInvalidArgument, "hl_model_info: unknown model handle");
  *json = it->second.c_str();
  *length = it->second.size();
  return Ok();
}

int32_t hl_model_free(int32_t model) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_models.count(model)) return Fail(hl::Code::kInvalidArgument, "hl_model_free: unknown model handle");
  for (auto it = g_steps.begin(); it != g_steps.end();) it = it->second->model == model ? g_steps.erase(it) : std::next(it);
  g_models.erase(model);
  g_model_info.erase(model);
  return Ok();
}

int32_t hl_run(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b, int32_t top_k,
               int32_t max_tokens, int32_t outputs, int32_t* out_result) {
  return Guard([&] {
    hl::BertModel* m;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      m = FindModel(model);
    }
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_run: unknown model handle (load a model first)");
    if (!out_result || (!a && a_length) || (has_b && !b && b_length))
      return Fail(hl::Code::kInvalidArgument, "hl_run: NULL argument");
    if (outputs & ~HL_OUTPUT_ALL) return Fail(hl::Code::kInvalidArgument, "hl_run: unknown outputs " + std::to_string(outputs));
    auto r = std::make_unique<Result>();
    hl::RunOptions opt = RunOptionsOf(top_k, max_tokens, outputs);
    hl::Status s = m->Run(std::string_view(a ? a : "", a_length), std::string_view(b ? b : "", b_length), has_b != 0, opt, &r->run);
    if (!s.ok()) return Fail(s);
    r->a_text.assign(a ? a : "", a_length);
    r->has_b = has_b != 0;
    for (const hl::Token& t : r->run.encoding.tokens) r->ids.push_back(t.id);
    return StoreResult(m, model, std::move(r), out_result);
  });
}

int32_t hl_tokenize(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b,
                    int32_t max_tokens, const char** json, size_t* length) {
  return Guard([&] {
    hl::BertModel* m;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      m = FindModel(model);
    }
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_tokenize: unknown model handle (load a model first)");
    if (!json || !length || (!a && a_length) || (has_b && !b && b_length))
      return Fail(hl::Code::kInvalidArgument, "hl_tokenize: NULL argument");
    hl::RunOptions opt;
    opt.max_tokens = max_tokens > 0 ? static_cast<size_t>(max_tokens) : 0;
    hl::Encoding enc;
    hl::Status s = m->Encode(std::string_view(a ? a : "", a_length), std::string_view(b ? b : "", b_length), has_b != 0, opt, &enc);
    if (!s.ok()) return Fail(s);
    std::vector<std::string> texts;
    std::vector<int32_t> ids, segments;
    for (const hl::Token& t : enc.tokens) {
      texts.push_back(t.text);
      ids.push_back(t.id);
      segments.push_back(t.segment);
    }
    g_tokenize_json = Dump({{"n", enc.tokens.size()}, {"tokens", TokensJson(texts, ids, segments, enc, m->token_conventions())},
                            {"truncation", TruncationJson(enc)}});
    *json = g_tokenize_json.data();
    *length = g_tokenize_json.size();
    return Ok();
  });
}

int32_t hl_step_begin(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b,
                      int32_t top_k, int32_t max_tokens, int32_t outputs, int32_t* out_step) {
  return Guard([&] {
    auto step = std::make_unique<Step>();
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      step->m = FindModel(model);
    }
    if (!step->m) return Fail(hl::Code::kInvalidArgument, "hl_step_begin: unknown model handle (load a model first)");
    if (!out_step || (!a && a_length) || (has_b && !b && b_length))
      return Fail(hl::Code::kInvalidArgument, "hl_step_begin: NULL argument");
    if (outputs & ~HL_OUTPUT_ALL)
      return Fail(hl::Code::kInvalidArgument, "hl_step_begin: unknown outputs " + std::to_string(outputs));
    step->model = model;
    step->r = std::make_unique<Result>();
    step->r->a_text.assign(a ? a : "", a_length);
    step->r->has_b = has_b != 0;
    hl::RunOptions opt = RunOptionsOf(top_k, max_tokens, outputs);
    hl::Status s = step->m->BeginSteps(std::string_view(a ? a : "", a_length), std::string_view(b ? b : "", b_length),
                                       has_b != 0, opt, &step->r->run, &step->st);
    if (!s.ok()) return Fail(s);
    std::lock_guard<std::mutex> lock(g_mutex);
    const int32_t h = g_next_handle++;
    g_steps[h] = std::move(step);
    *out_step = h;
    return Ok();
  });
}

int32_t hl_step_buffers(int32_t step, int32_t* out_layer, int32_t* out_n, const float** qkv, float** probs, float** context) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_steps.find(step);
  if (it == g_steps.end()) return Fail(hl::Code::kInvalidArgument, "hl_step_buffers: unknown step handle");
  if (!out_layer || !out_n || !qkv || !probs || !context) return Fail(hl::Code::kInvalidArgument, "hl_step_buffers: NULL argument");
  Step& s = *it->second;
  s.m->StepBuffers(s.st, qkv, probs, context);
  *out_layer = static_cast<int32_t>(s.st.layer);
  *out_n = static_cast<int32_t>(s.st.n);
  return Ok();
}

int32_t hl_step_next(int32_t step, int32_t engine_heads, int32_t* out_result) {
  return Guard([&] {
    Step* s;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      auto it = g_steps.find(step);
      s = it == g_steps.end() ? nullptr : it->second.get();
    }
    if (!s) return Fail(hl::Code::kInvalidArgument, "hl_step_next: unknown step handle");
    if (!out_result) return Fail(hl::Code::kInvalidArgument, "hl_step_next: NULL argument");
    *out_result = 0;
    bool done = false;
    hl::Status st = s->m->NextStep(&s->st, engine_heads != 0, &done);
    if (!st.ok()) {
      hl_step_free(step);
      return Fail(st);
    }
    if (!done) return Ok();
    std::unique_ptr<Result> r = std::move(s->r);
    for (const hl::Token& t : r->run.encoding.tokens) r->ids.push_back(t.id);
    const int32_t model = s->model;
    hl::BertModel* m = s->m;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      g_steps.erase(step);
    }
    return StoreResult(m, model, std::move(r), out_result);
  });
}

int32_t hl_step_free(int32_t step) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_steps.find(step);
  if (it == g_steps.end()) return Fail(hl::Code::kInvalidArgument, "hl_step_free: unknown step handle");
  it->second->m->EndSteps();
  g_steps.erase(it);
  return Ok();
}

int32_t hl_run_ids(int32_t model, const int32_t* ids, const int32_t* types, size_t n, int32_t top_k, int32_t* out_result) {
  return Guard([&] {
    hl::BertModel* m;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      m = FindModel(model);
    }
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_run_ids: unknown model handle");
    if (!ids || !types || !out_result) return Fail(hl::Code::kInvalidArgument, "hl_run_ids: NULL argument");
    auto r = std::make_unique<Result>();
    hl::RunOptions opt;
    opt.top_k = top_k;
    hl::Status s = m->RunIds(ids, types, n, opt, &r->run);
    if (!s.ok()) return Fail(s);
    r->ids.assign(ids, ids + n);
    r->types.assign(types, types + n);
    return StoreResult(m, model, std::move(r), out_result);
  });
}

int32_t hl_result_get(int32_t result, int32_t field, const void** data, size_t* bytes) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_results.find(result);
    if (it == g_results.end() || !data || !bytes)
      return Fail(hl::Code::kInvalidArgument, "hl_result_get: unknown result handle");
    Result& r = *it->second;
    const bool norms = field == HL_FIELD_VALUE_NORMS || field == HL_FIELD_NORM_SUMMED || field == HL_FIELD_NORM_ATTENTION;
    if (norms && r.run.value_norms.empty())
      return Fail(hl::Code::kInvalidArgument, "hl_result_get: the value norms need a run with HL_OUTPUT_VALUE_NORMS");
    if (field == HL_FIELD_LAYER_STATES && r.run.layer_states.empty())
      return Fail(hl::Code::kInvalidArgument, "hl_result_get: the layer states need a run with HL_OUTPUT_LAYER_STATES");
    auto set = [&](const void* p, size_t n) { *data = p; *bytes = n; return Ok(); };
    switch (field) {
      case HL_FIELD_SUMMARY_JSON: return set(r.summary.data(), r.summary.size());
      case HL_FIELD_TOKEN_IDS: return set(r.ids.data(), r.ids.size() * 4);
      case HL_FIELD_ATTENTION: return set(r.run.attention.data(), r.run.attention.size() * 4);
      case HL_FIELD_QUERIES: return set(r.run.queries.data(), r.run.queries.size() * 4);
      case HL_FIELD_KEYS: return set(r.run.keys.data(), r.run.keys.size() * 4);
      case HL_FIELD_HIDDEN: return set(r.run.hidden.data(), r.run.hidden.size() * 4);
      case HL_FIELD_VALUE_NORMS: return set(r.run.value_norms.data(), r.run.value_norms.size() * 4);
      case HL_FIELD_NORM_SUMMED: return set(r.run.norm_summed.data(), r.run.norm_summed.size() * 4);
      case HL_FIELD_LAYER_STATES: return set(r.run.layer_states.data(), r.run.layer_states.size() * 4);
      case HL_FIELD_NORM_ATTENTION: {
        const std::vector<float>& w = NormAttention(&r);
        return set(w.data(), w.size() * 4);
      }
      default: return Fail(hl::Code::kInvalidArgument, "hl_result_get: unknown field " + std::to_string(field));
    }
  });
}

int32_t hl_result_free(int32_t result) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_results.erase(result)) return Fail(hl::Code::kInvalidArgument, "hl_result_free: unknown result handle");
  return Ok();
}

int32_t hl_convert_begin(const char* config_json, size_t config_length, const char* vocab_txt, size_t vocab_length,
                         const char* tokenizer_config_json, size_t tokenizer_config_length, const char* tokenizer_json,
                         size_t tokenizer_json_length, const char* index_json, size_t index_length, int32_t int8,
                         int32_t* out_conversion) {
  return Guard([&] {
    if (!config_json || (!vocab_txt && !tokenizer_json) || !out_conversion)
      return Fail(hl::Code::kInvalidArgument, "hl_convert_begin: config.json and vocab.txt or tokenizer.json are required");
    hl::HfCheckpoint ck;
    ck.config_json = std::string_view(config_json, config_length);
    if (vocab_txt) ck.vocab_txt = std::string_view(vocab_txt, vocab_length);
    if (tokenizer_config_json) ck.tokenizer_config_json = std::string_view(tokenizer_config_json, tokenizer_config_length);
    if (tokenizer_json) ck.tokenizer_json = std::string_view(tokenizer_json, tokenizer_json_length);
    if (index_json) ck.index_json = std::string_view(index_json, index_length);
    hl::ConvertOptions opt;
    opt.int8 = int8 != 0;
    std::unique_ptr<hl::Converter> c;
    hl::Status s = hl::Converter::Begin(ck, opt, &c);
    if (!s.ok()) return Fail(s);
    std::lock_guard<std::mutex> lock(g_mutex);
    const int32_t h = g_next_handle++;
    g_conversions[h] = std::move(c);
    *out_conversion = h;
    return Ok();
  });
}

int32_t hl_convert_feed(int32_t conversion, const uint8_t* data, size_t length, int32_t end_of_file) {
  return Guard([&] {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = g_conversions.find(conversion);
    if (it == g_conversions.end()) return Fail(hl::Code::kInvalidArgument, "hl_convert_feed: unknown conversion handle");
    if (!data && length) return Fail(hl::Code::kInvalidArgument, "hl_convert_feed: NULL data");
    hl::Status s = length ? it->second->Feed(data, length) : hl::Status::Ok();
    if (s.ok() && end_of_file) s = it->second->EndFile();
    if (!s.ok()) g_conversions.erase(it);  // a failed conversion cannot go on
    return s.ok() ? Ok() : Fail(s);
  });
}

int32_t hl_convert_file_sha256(int32_t conversion, const char** hex) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_conversions.find(conversion);
  if (it == g_conversions.end()) return Fail(hl::Code::kInvalidArgument, "hl_convert_file_sha256: unknown conversion handle");
  if (!hex) return Fail(hl::Code::kInvalidArgument, "hl_convert_file_sha256: NULL argument");
  if (it->second->last_file_sha256().empty()) return Fail(hl::Code::kInvalidArgument, "hl_convert_file_sha256: no file has ended yet");
  *hex = it->second->last_file_sha256().c_str();
  return Ok();
}

int32_t hl_convert_finish(int32_t conversion, void** out, size_t* out_length) {
  return Guard([&] {
    std::unique_ptr<hl::Converter> c;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      auto it = g_conversions.find(conversion);
      if (it == g_conversions.end()) return Fail(hl::Code::kInvalidArgument, "hl_convert_finish: unknown conversion handle");
      c = std::move(it->second);
      g_conversions.erase(it);
    }
    if (!out || !out_length) return Fail(hl::Code::kInvalidArgument, "hl_convert_finish: NULL argument");
    hl::AlignedBuffer file;
    std::string report;
    hl::Status s = c->Finish(&file, &report);
    if (!s.ok()) return Fail(s);
    *out_length = file.size();
    *out = file.release();  // from AllocateAligned64, as hl_alloc's
    return Ok();
  });
}

int32_t hl_convert_free(int32_t conversion) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_conversions.erase(conversion)) return Fail(hl::Code::kInvalidArgument, "hl_convert_free: unknown conversion handle");
  return Ok();
}

int32_t hl_live_handles(const char** json, size_t* length) {
  return Guard([&] {
    if (!json || !length) return Fail(hl::Code::kInvalidArgument, "hl_live_handles: NULL argument");
    static thread_local std::string answer;
    nlohmann::json j;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      j["models"] = g_models.size();
      j["results"] = g_results.size();
      j["steps"] = g_steps.size();
      j["conversions"] = g_conversions.size();
      CountAnalysisHandles(&j);
    }
    size_t total = 0;
    for (const auto& [key, count] : j.items()) total += count.get<size_t>();
    j["total"] = total;
    answer = Dump(j);
    *json = answer.c_str();
    *length = answer.size();
    return Ok();
  });
}

const char* hl_last_error(void) { return g_last_error.c_str(); }

}  // extern "C"
