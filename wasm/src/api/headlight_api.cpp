// The extern "C" exports: handle tables, result buffers, last error. No exception crosses this file.
#include "headlight.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "common/buffer.h"
#include "model/bert.h"
#include "model/convert.h"

namespace {

thread_local std::string g_last_error;
std::mutex g_mutex;  // guards the handle tables
int32_t g_next_handle = 1;
std::map<int32_t, std::unique_ptr<hl::BertModel>> g_models;
std::map<int32_t, std::string> g_model_info;

struct Result {
  hl::RunResult run;
  std::vector<int32_t> ids;
  std::string summary;
};
std::map<int32_t, std::unique_ptr<Result>> g_results;

int32_t Fail(const hl::Status& s) {
  g_last_error = s.message();
  return static_cast<int32_t>(s.code());
}
int32_t Fail(hl::Code code, std::string message) { return Fail(hl::Status(code, std::move(message))); }
int32_t Ok() { g_last_error.clear(); return HL_STATUS_OK; }

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

hl::BertModel* FindModel(int32_t h) {
  auto it = g_models.find(h);
  return it == g_models.end() ? nullptr : it->second.get();
}

std::string ModelInfo(const hl::BertModel& m) {
  const hl::BertConfig& c = m.config();
  const hl::TokenizerOptions& t = m.tokenizer().options();
  nlohmann::json j{{"config", hl::ConfigToHeader(c)},
                   {"meta", m.meta()},
                   {"int8", m.is_int8()},
                   {"threads", m.num_threads()},
                   {"has_mlm_head", m.has_mlm_head()},
                   {"file_bytes", m.file_size()},
                   {"tokenizer", {{"lowercase", t.lowercase}, {"vocab_size", m.tokenizer().vocab_size()},
                                  {"cls", t.cls_token}, {"sep", t.sep_token}, {"mask", t.mask_token}, {"unk", t.unk_token}}}};
  return Dump(j);
}

std::string Summary(const hl::BertModel& m, const Result& r) {
  const hl::BertConfig& c = m.config();
  const hl::RunResult& run = r.run;
  nlohmann::json tokens = nlohmann::json::array();
  if (!run.encoding.tokens.empty()) {
    for (const hl::Token& t : run.encoding.tokens)
      tokens.push_back({{"text", t.text}, {"id", t.id}, {"segment", t.segment}, {"begin", t.begin}, {"end", t.end}});
  } else {
    for (int32_t id : r.ids) tokens.push_back({{"text", m.tokenizer().IdToToken(id)}, {"id", id}});
  }
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
      {"heads", c.num_heads},
      {"head_size", c.head_size()},
      {"hidden_size", c.hidden_size},
      {"tokens", tokens},
      {"truncation", {{"a_pieces", run.encoding.a_pieces}, {"b_pieces", run.encoding.b_pieces},
                      {"a_dropped", run.encoding.a_dropped}, {"b_dropped", run.encoding.b_dropped}}},
      {"mlm", mlm},
      {"timings_ms", {{"tokenize", tm.tokenize}, {"embeddings", tm.embeddings}, {"linear", tm.linear},
                      {"attention", tm.attention}, {"norm_act", tm.norm_act}, {"mlm", tm.mlm}, {"total", tm.total}}}};
  return Dump(j);
}

// Wraps an API body: a bad_alloc becomes HL_STATUS_OUT_OF_MEMORY, anything else HL_STATUS_INTERNAL.
template <typename F>
int32_t Guard(F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(hl::Code::kOutOfMemory, "out of memory: try a shorter text or a smaller model");
  } catch (const std::exception& e) {
    return Fail(hl::Code::kInternal, std::string("internal error: ") + e.what());
  }
}

int32_t StoreResult(hl::BertModel* m, std::unique_ptr<Result> r, int32_t* out_result) {
  r->summary = Summary(*m, *r);
  std::lock_guard<std::mutex> lock(g_mutex);
  const int32_t h = g_next_handle++;
  g_results[h] = std::move(r);
  *out_result = h;
  return Ok();
}

}  // namespace

extern "C" {

int32_t hl_version(void) { return 1; }

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
  if (!g_models.erase(model)) return Fail(hl::Code::kInvalidArgument, "hl_model_free: unknown model handle");
  g_model_info.erase(model);
  return Ok();
}

int32_t hl_run(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b, int32_t top_k,
               int32_t max_tokens, int32_t* out_result) {
  return Guard([&] {
    hl::BertModel* m;
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      m = FindModel(model);
    }
    if (!m) return Fail(hl::Code::kInvalidArgument, "hl_run: unknown model handle (load a model first)");
    if (!out_result || (!a && a_length) || (has_b && !b && b_length))
      return Fail(hl::Code::kInvalidArgument, "hl_run: NULL argument");
    auto r = std::make_unique<Result>();
    hl::RunOptions opt;
    opt.top_k = top_k;
    opt.max_tokens = max_tokens > 0 ? static_cast<size_t>(max_tokens) : 0;
    hl::Status s = m->Run(std::string_view(a ? a : "", a_length), std::string_view(b ? b : "", b_length), has_b != 0, opt, &r->run);
    if (!s.ok()) return Fail(s);
    for (const hl::Token& t : r->run.encoding.tokens) r->ids.push_back(t.id);
    return StoreResult(m, std::move(r), out_result);
  });
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
    return StoreResult(m, std::move(r), out_result);
  });
}

int32_t hl_result_get(int32_t result, int32_t field, const void** data, size_t* bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = g_results.find(result);
  if (it == g_results.end() || !data || !bytes) return Fail(hl::Code::kInvalidArgument, "hl_result_get: unknown result handle");
  const Result& r = *it->second;
  auto set = [&](const void* p, size_t n) { *data = p; *bytes = n; return Ok(); };
  switch (field) {
    case HL_FIELD_SUMMARY_JSON: return set(r.summary.data(), r.summary.size());
    case HL_FIELD_TOKEN_IDS: return set(r.ids.data(), r.ids.size() * 4);
    case HL_FIELD_ATTENTION: return set(r.run.attention.data(), r.run.attention.size() * 4);
    case HL_FIELD_QUERIES: return set(r.run.queries.data(), r.run.queries.size() * 4);
    case HL_FIELD_KEYS: return set(r.run.keys.data(), r.run.keys.size() * 4);
    case HL_FIELD_HIDDEN: return set(r.run.hidden.data(), r.run.hidden.size() * 4);
    default: return Fail(hl::Code::kInvalidArgument, "hl_result_get: unknown field " + std::to_string(field));
  }
}

int32_t hl_result_free(int32_t result) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_results.erase(result)) return Fail(hl::Code::kInvalidArgument, "hl_result_free: unknown result handle");
  return Ok();
}

int32_t hl_convert(const char* config_json, size_t config_length, const char* vocab_txt, size_t vocab_length,
                   const char* tokenizer_config_json, size_t tokenizer_config_length, const char* tokenizer_json,
                   size_t tokenizer_json_length, const uint8_t* safetensors, size_t safetensors_length, int32_t int8,
                   void** out, size_t* out_length) {
  return Guard([&] {
    if (!config_json || !vocab_txt || !safetensors || !out || !out_length)
      return Fail(hl::Code::kInvalidArgument, "hl_convert: config.json, vocab.txt and model.safetensors are all required");
    hl::HfCheckpoint ck;
    ck.config_json = std::string_view(config_json, config_length);
    ck.vocab_txt = std::string_view(vocab_txt, vocab_length);
    if (tokenizer_config_json) ck.tokenizer_config_json = std::string_view(tokenizer_config_json, tokenizer_config_length);
    if (tokenizer_json) ck.tokenizer_json = std::string_view(tokenizer_json, tokenizer_json_length);
    ck.safetensors = safetensors;
    ck.safetensors_size = safetensors_length;
    hl::ConvertOptions opt;
    opt.int8 = int8 != 0;
    std::vector<uint8_t> bytes;
    std::string report;
    hl::Status s = hl::ConvertHuggingFace(ck, opt, &bytes, &report);
    if (!s.ok()) return Fail(s);
    void* p = hl_alloc(bytes.size());
    if (!p) return Fail(hl::Code::kOutOfMemory, "hl_convert: no memory for the converted model");
    std::memcpy(p, bytes.data(), bytes.size());
    *out = p;
    *out_length = bytes.size();
    return Ok();
  });
}

const char* hl_last_error(void) { return g_last_error.c_str(); }

}  // extern "C"
