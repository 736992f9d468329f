// The BERT forward pass: embeddings, then per layer attention → add & norm → feed-forward → add & norm, then the
// masked-LM head at [MASK] positions. Every attention probability and q/k vector is kept. Which kernels run is the
// model's kernel table (ops/kernels.h); loading is in bert_load.cpp, the stepped (WebGPU) run in bert_stepped.cpp.
#include "model/bert.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/bert_parts.h"

namespace hl {

Status BertModel::CheckNotStepping() const {
  if (stepping_) return InvalidArgument("the model is in the middle of a stepped run (WebGPU attention): finish or free it first");
  return Status::Ok();
}

// Tokenizes A (and B) within the model's positions: ids and token types [n].
Status BertModel::Encode(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, Encoding* enc) const {
  const size_t limit = options.max_tokens ? std::min<size_t>(options.max_tokens, config_.max_tokens())
                                          : static_cast<size_t>(config_.max_tokens());
  return tokenizer_->Encode(a, b, has_b, limit, enc);
}

Status BertModel::Tokenize(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, Encoding* enc,
                           std::vector<int32_t>* ids, std::vector<int32_t>* types) const {
  HL_RETURN_IF_ERROR(Encode(a, b, has_b, options, enc));
  ids->resize(enc->tokens.size());
  types->resize(enc->tokens.size());
  for (size_t i = 0; i < enc->tokens.size(); ++i) {
    (*ids)[i] = enc->tokens[i].id;
    (*types)[i] = std::min<int32_t>(enc->tokens[i].segment, std::max(config_.type_vocab_size, 1) - 1);
  }
  return Status::Ok();
}

Status BertModel::Run(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  out->timings = Timings();
  StageTimer total(&out->timings.total);
  Encoding enc;
  std::vector<int32_t> ids, types;
  {
    StageTimer tokenize(&out->timings.tokenize);
    HL_RETURN_IF_ERROR(Tokenize(a, b, has_b, options, &enc, &ids, &types));
  }
  HL_RETURN_IF_ERROR(Forward(ids.data(), types.data(), ids.size(), options, out));
  out->encoding = std::move(enc);
  return Status::Ok();
}

Status BertModel::RunIds(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  if (n == 0) return InvalidArgument("no tokens to run");
  if (n > static_cast<size_t>(config_.max_tokens()))
    return InvalidArgument(std::to_string(n) + " tokens exceed the model's " + std::to_string(config_.max_tokens()) +
                           " positions");
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= config_.vocab_size) return InvalidArgument("token id " + std::to_string(ids[i]) + " out of range");
    if (types[i] < 0 || types[i] >= std::max(config_.type_vocab_size, 1))  // no token types: every type is 0
      return InvalidArgument("token type " + std::to_string(types[i]) + " out of range" +
                             (config_.type_vocab_size == 0 ? " (the model has no token types: every type must be 0)" : ""));
  }
  out->timings = Timings();
  StageTimer total(&out->timings.total);
  out->encoding = Encoding();
  return Forward(ids, types, n, options, out);
}

// The forward pass over ids, types [n] (in range), with the kernel table the options ask for.
Status BertModel::Forward(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out) {
  const Pass p{options.reference_kernels ? ref_kernels_ : kernels_, out->timings};
  const size_t L = config_.num_layers, A = config_.num_heads, D = config_.head_size();
  HL_RETURN_IF_ERROR(Allocate(n, options, out));
  float* x = ws_->x.as<float>();      // [n][H] hidden states
  float* qkv = ws_->qkv.as<float>();  // [n][3H] queries | keys | values
  float* ctx = ws_->ctx.as<float>();  // [n][H] attention context, heads side by side
  Embed(p, x, ids, types, n);  // x = LN(word + position + token type)
  KeepLayerState(out, x, 0, n);
  for (size_t l = 0; l < L; ++l) {
    Layer& ly = *layers_[l];
    float* probs = out->attention.data() + l * A * n * n;  // [A][n][n] of layer l
    float* queries = out->queries.data() + l * A * n * D;  // [A][n][D]
    float* keys = out->keys.data() + l * A * n * D;        // [A][n][D]
    HL_RETURN_IF_ERROR(ProjectQkv(p, qkv, ly, x, n));       // qkv = x·[Q | K | V]ᵀ + b
    AttentionHeads(p, probs, ctx, qkv, n);                  // per head: probs = softmax(q·kᵀ/√D), ctx = probs·v
    HandOverQk(p, queries, keys, qkv, n);                   // the heads' q and k, as they were
    if (options.value_norms)                                // ‖f^h(x_j)‖ and ‖Σ_h α^h_ij f^h(x_j)‖ (Kobayashi et al.)
      HandOverValueNorms(p, out->value_norms.data() + l * A * n, out->norm_summed.data() + l * n * n, probs, qkv, ly, n);
    HL_RETURN_IF_ERROR(AttentionOutput(p, x, ly, ctx, n));  // x = LN(x + O·ctx)
    HL_RETURN_IF_ERROR(FeedForward(p, x, ly, n));           // x = LN(x + W2·act(W1·x))
    KeepLayerState(out, x, l + 1, n);
  }
  return Finish(p, ids, n, options, out);  // hidden = x; the masked-LM head
}

// With RunOptions::layer_states: x [n][H] into out->layer_states[index] ([L+1][n][H]).
void BertModel::KeepLayerState(RunResult* out, const float* x, size_t index, size_t n) const {
  if (out->layer_states.empty()) return;
  const size_t H = config_.hidden_size;
  std::memcpy(out->layer_states.data() + index * n * H, x, n * H * sizeof(float));
}

// Sizes the workspace for n tokens and the result's hand-over arrays.
Status BertModel::Allocate(size_t n, const RunOptions& options, RunResult* out) {
  const size_t L = config_.num_layers, A = config_.num_heads, D = config_.head_size(), H = config_.hidden_size;
  HL_RETURN_IF_ERROR(ws_->Reserve(n, config_));
  out->n = static_cast<int32_t>(n);
  out->mlm.clear();
  try {
    out->attention.assign(L * A * n * n, 0.0f);
    out->queries.assign(L * A * n * D, 0.0f);
    out->keys.assign(L * A * n * D, 0.0f);
    out->hidden.assign(n * H, 0.0f);
    out->value_norms.assign(options.value_norms ? L * A * n : 0, 0.0f);
    out->norm_summed.assign(options.value_norms ? L * n * n : 0, 0.0f);
    out->layer_states.assign(options.layer_states ? (L + 1) * n * H : 0, 0.0f);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("not enough memory to hand over the attention of " + std::to_string(n) + " tokens");
  }
  return Status::Ok();
}

// x [n][H] = LN(word[ids[i]] + position[offset + i] + token_type[types[i]]); ids, types [n]. No token-type term when
// the model has none (DistilBERT); positions start at position_offset (RoBERTa).
void BertModel::Embed(const Pass& p, float* x, const int32_t* ids, const int32_t* types, size_t n) const {
  StageTimer timer(&p.times.embeddings);
  const size_t H = config_.hidden_size;
  for (size_t i = 0; i < n; ++i) {
    float* xi = x + i * H;  // [H]
    const size_t id = static_cast<size_t>(ids[i]);
    if (word_.i8) {
      const int8_t* w = word_.i8 + id * H;
      const float s = word_.scales[id];
      for (size_t c = 0; c < H; ++c) xi[c] = static_cast<float>(w[c]) * s;
    } else {
      std::memcpy(xi, word_.f32 + id * H, H * sizeof(float));
    }
    const float* pos = position_.f32 + (config_.position_offset + i) * H;  // [H]
    if (token_type_.f32) {
      const float* tt = token_type_.f32 + static_cast<size_t>(types[i]) * H;  // [H]
      for (size_t c = 0; c < H; ++c) xi[c] += pos[c] + tt[c];  // position + type first: BERT's sum, bit for bit
    } else {
      for (size_t c = 0; c < H; ++c) xi[c] += pos[c];
    }
  }
  p.k.layernorm(x, x, emb_ln_gamma_.f32, emb_ln_beta_.f32, config_.layer_norm_eps, n, H);
}

// qkv [n][3H] = [Q | K | V](x), x [n][H]. The layers that quantize their input share one quantization of x (V always
// does; Q and K unless the model's qk_input is f32, see Build).
Status BertModel::ProjectQkv(const Pass& p, float* qkv, Layer& ly, const float* x, size_t n) {
  StageTimer timer(&p.times.linear);
  const size_t H = config_.hidden_size;
  QuantizedRows* xq = &ws_->xq;
  if (ly.value.quantizes_input()) HL_RETURN_IF_ERROR(p.k.quantize_rows(xq, x, n, H, p.k.quantizer, p.k.pool));
  HL_RETURN_IF_ERROR(p.k.linear(qkv, ly.query, x, xq, n, p.k.pool));
  HL_RETURN_IF_ERROR(p.k.linear(qkv + H, ly.key, x, xq, n, p.k.pool));
  return p.k.linear(qkv + 2 * H, ly.value, x, xq, n, p.k.pool);
}

namespace {
struct HeadTask {
  decltype(&ops::attention_head_f32) head;
  float* probs;        // [A][n][n] of this layer
  float* ctx;          // [n][H]
  const float* qkv;    // [n][3H]
  float* scratch;      // [A][scratch_floats]
  size_t n, H, D, scratch_floats;
  float scale;
};
void RunHead(void* arg, size_t h) {
  const HeadTask& t = *static_cast<const HeadTask*>(arg);
  const float* q = t.qkv + h * t.D;
  const float* k = t.qkv + t.H + h * t.D;
  const float* v = t.qkv + 2 * t.H + h * t.D;
  t.head(t.probs + h * t.n * t.n, t.ctx + h * t.D, q, k, v, t.scratch + h * t.scratch_floats, t.n, t.D, 3 * t.H, 3 * t.H,
         3 * t.H, t.H, t.scale);
}
}  // namespace

// Per head h: probs[h] [n][n] = softmax(q·kᵀ/√D), ctx[:, h·D:(h+1)·D] = probs[h]·v; qkv [n][3H]. Heads over the pool.
void BertModel::AttentionHeads(const Pass& p, float* probs, float* ctx, const float* qkv, size_t n) const {
  StageTimer timer(&p.times.attention);
  const size_t H = config_.hidden_size, A = config_.num_heads, D = config_.head_size();
  HeadTask task{p.k.attention_head, probs, ctx, qkv, ws_->scratch.as<float>(), n, H, D,
                ops::attention_head_scratch_floats(n, D), 1.0f / std::sqrt(static_cast<float>(D))};
  if (p.k.pool) pthreadpool_parallelize_1d(p.k.pool, RunHead, &task, A, 0);
  else for (size_t h = 0; h < A; ++h) RunHead(&task, h);
}

// queries, keys [A][n][D] = the heads' slices of qkv [n][3H] (counted as attention time).
void BertModel::HandOverQk(const Pass& p, float* queries, float* keys, const float* qkv, size_t n) const {
  StageTimer timer(&p.times.attention);
  const size_t H = config_.hidden_size, A = config_.num_heads, D = config_.head_size();
  for (size_t h = 0; h < A; ++h)
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(queries + (h * n + i) * D, qkv + i * 3 * H + h * D, D * sizeof(float));
      std::memcpy(keys + (h * n + i) * D, qkv + i * 3 * H + H + h * D, D * sizeof(float));
    }
}

// Add & norm after attention: x [n][H] = LN(x + O·ctx), ctx [n][H].
Status BertModel::AttentionOutput(const Pass& p, float* x, Layer& ly, const float* ctx, size_t n) {
  float* proj = ws_->proj.as<float>();  // [n][H]
  HL_RETURN_IF_ERROR(Project(p, proj, ly.attn_out, ctx, n));
  AddNorm(p, x, proj, ly.ln1_gamma, ly.ln1_beta, n);
  return Status::Ok();
}

// Feed-forward, then add & norm: x [n][H] = LN(x + W2·act(W1·x)).
Status BertModel::FeedForward(const Pass& p, float* x, Layer& ly, size_t n) {
  const size_t F = config_.intermediate_size;
  float* ff = ws_->ff.as<float>();      // [n][F]
  float* proj = ws_->proj.as<float>();  // [n][H]
  HL_RETURN_IF_ERROR(Project(p, ff, ly.ff_in, x, n));
  {
    StageTimer timer(&p.times.norm_act);
    ParallelTiles(p.k.pool, n * F, 16384, [&](size_t b, size_t e) { p.k.activation(ff + b, ff + b, e - b); });
  }
  HL_RETURN_IF_ERROR(Project(p, proj, ly.ff_out, ff, n));
  AddNorm(p, x, proj, ly.ln2_gamma, ly.ln2_beta, n);
  return Status::Ok();
}

// y = lin(x), x [n][lin.in()]; a layer that quantizes its input quantizes x first (counted as linear time too).
Status BertModel::Project(const Pass& p, float* y, Linear& lin, const float* x, size_t n) {
  StageTimer timer(&p.times.linear);
  if (lin.quantizes_input()) HL_RETURN_IF_ERROR(p.k.quantize_rows(&ws_->xq, x, n, lin.in(), p.k.quantizer, p.k.pool));
  return p.k.linear(y, lin, x, &ws_->xq, n, p.k.pool);
}

// x [n][H] = LN(x + y), y [n][H]; rows split over the pool.
void BertModel::AddNorm(const Pass& p, float* x, const float* y, const float* gamma, const float* beta, size_t n) const {
  StageTimer timer(&p.times.norm_act);
  const size_t H = config_.hidden_size;
  ParallelTiles(p.k.pool, n, 8, [&](size_t b, size_t e) {
    p.k.add_layernorm(x + b * H, y + b * H, x + b * H, gamma, beta, config_.layer_norm_eps, e - b, H);
  });
}

// The final hidden states, then the masked-LM head.
Status BertModel::Finish(const Pass& p, const int32_t* ids, size_t n, const RunOptions& options, RunResult* out) {
  std::memcpy(out->hidden.data(), ws_->x.as<float>(), n * config_.hidden_size * sizeof(float));
  if (has_mlm_) HL_RETURN_IF_ERROR(MaskedLmHead(p, ids, n, options, out));
  return Status::Ok();
}

// At each [MASK]: transform (dense → act → LN), tied decoder + bias, softmax, top-k.
Status BertModel::MaskedLmHead(const Pass& p, const int32_t* ids, size_t n, const RunOptions& options, RunResult* out) {
  const int32_t mask_id = tokenizer_->TokenToId(tokenizer_->options().mask_token);
  std::vector<size_t> positions;
  for (size_t i = 0; i < n; ++i)
    if (ids[i] == mask_id) positions.push_back(i);
  if (positions.empty() || mask_id < 0) return Status::Ok();
  StageTimer timer(&p.times.mlm);
  Timings scratch;
  const Pass head{p.k, scratch};  // the head's projections count as mlm time, not linear
  const size_t H = config_.hidden_size, V = config_.vocab_size, m = positions.size();
  // g, t [m][H] (+16 floats: XNNPACK reads up to XNN_EXTRA_BYTES past its input); logits [m][V]
  std::vector<float> g(m * H + 16), t(m * H + 16), logits;
  try { logits.resize(m * V); } catch (const std::bad_alloc&) { return OutOfMemory("masked-LM logits"); }
  const float* x = ws_->x.as<float>();  // [n][H]
  for (size_t r = 0; r < m; ++r) std::memcpy(&g[r * H], x + positions[r] * H, H * sizeof(float));
  HL_RETURN_IF_ERROR(Project(head, t.data(), *mlm_transform_, g.data(), m));
  p.k.activation(t.data(), t.data(), m * H);
  p.k.layernorm(t.data(), t.data(), mlm_ln_gamma_, mlm_ln_beta_, config_.layer_norm_eps, m, H);
  HL_RETURN_IF_ERROR(Project(head, logits.data(), *mlm_decoder_, t.data(), m));
  p.k.softmax_rows(logits.data(), logits.data(), m, V);
  const size_t k = std::min<size_t>(std::max<int32_t>(options.top_k, 1), V);
  std::vector<int32_t> order(V);
  for (size_t r = 0; r < m; ++r) {
    const float* pr = &logits[r * V];
    for (size_t i = 0; i < V; ++i) order[i] = static_cast<int32_t>(i);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [pr](int32_t a, int32_t b) { return pr[a] > pr[b] || (pr[a] == pr[b] && a < b); });
    MaskPrediction mp;
    mp.position = static_cast<int32_t>(positions[r]);
    for (size_t i = 0; i < k; ++i) { mp.ids.push_back(order[i]); mp.probs.push_back(pr[order[i]]); }
    out->mlm.push_back(std::move(mp));
  }
  return Status::Ok();
}

}  // namespace hl
