// The BERT forward pass: embeddings, then per layer attention → add & norm → feed-forward → add & norm,
// then the masked-LM head at [MASK] positions. Every attention probability and q/k vector is kept.
#include "model/bert.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "model/tensor_names.h"
#include "model/tokenizer_header.h"
#include "ops/ops.h"

namespace hl {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// The engine's own kernels for one run: the dispatching (fast) versions, or every __ref version.
struct Kernels {
  decltype(&ops::layernorm_f32) layernorm;
  decltype(&ops::add_layernorm_f32) add_layernorm;
  decltype(&ops::gelu_f32) gelu;
  decltype(&ops::softmax_rows_f32) softmax_rows;
  decltype(&ops::attention_head_f32) attention_head;
};
constexpr Kernels kFastKernels{ops::layernorm_f32, ops::add_layernorm_f32, ops::gelu_f32, ops::softmax_rows_f32,
                               ops::attention_head_f32};
constexpr Kernels kRefKernels{ops::layernorm_f32__ref, ops::add_layernorm_f32__ref, ops::gelu_f32__ref,
                              ops::softmax_rows_f32__ref, ops::attention_head_f32__ref};
const Kernels& SelectKernels(bool ref) { return ref ? kRefKernels : kFastKernels; }

// Activations other than erf-GELU are rare in BERT checkpoints: plain loops suffice.
void apply_activation(Activation act, float* x, size_t count, bool ref) {
  switch (act) {
    case Activation::kGeluErf:
      SelectKernels(ref).gelu(x, x, count);
      break;
    case Activation::kGeluTanh:
      for (size_t i = 0; i < count; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
      }
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < count; ++i) x[i] = std::max(0.0f, x[i]);
      break;
  }
}

// fn(begin, end) over [0, count) in tiles of `tile`, on the pool's threads (in order on this one without a pool).
// The row-wise and element-wise kernels give the same bits however the range is split.
template <typename Fn>
void ParallelTiles(pthreadpool_t pool, size_t count, size_t tile, const Fn& fn) {
  if (!pool || count <= tile) { fn(size_t{0}, count); return; }
  struct Ctx { const Fn* fn; size_t count; } ctx{&fn, count};
  pthreadpool_parallelize_1d_tile_1d(pool, [](void* c, size_t begin, size_t len) {
    const Ctx& x = *static_cast<const Ctx*>(c);
    (*x.fn)(begin, begin + len);
  }, &ctx, count, tile, 0);
}

}  // namespace

struct BertModel::Layer {
  Linear query, key, value;  // [H] → slices of qkv [n][3H]
  Linear attn_out;           // ctx [n][H] → [n][H]
  Linear ff_in;              // [n][H] → [n][F]
  Linear ff_out;             // [n][F] → [n][H]
  const float *ln1_gamma = nullptr, *ln1_beta = nullptr;  // after attention
  const float *ln2_gamma = nullptr, *ln2_beta = nullptr;  // after feed-forward
};

struct BertModel::Workspace {
  size_t capacity = 0;
  AlignedBuffer x;        // [n][H] hidden states
  AlignedBuffer qkv;      // [n][3H] queries | keys | values
  AlignedBuffer ctx;      // [n][H] attention context, heads side by side
  AlignedBuffer proj;     // [n][H] output of a projection before add & norm
  AlignedBuffer ff;       // [n][F] feed-forward intermediate
  AlignedBuffer scratch;  // [A][attention_head_scratch_floats(n, D)]
  QuantizedRows xq;       // int8 activations of the current linear input

  Status Reserve(size_t n, const BertConfig& c) {
    if (n <= capacity) return Status::Ok();
    const size_t H = c.hidden_size, F = c.intermediate_size, A = c.num_heads, D = c.head_size();
    const bool ok = x.allocate(n * H * 4) && qkv.allocate(n * 3 * H * 4) && ctx.allocate(n * H * 4) &&
                    proj.allocate(n * H * 4) && ff.allocate(n * F * 4) &&
                    scratch.allocate(A * ops::attention_head_scratch_floats(n, D) * 4);
    if (!ok) { capacity = 0; return OutOfMemory("not enough memory for the activations of " + std::to_string(n) + " tokens"); }
    HL_RETURN_IF_ERROR(xq.Reserve(n, std::max(H, F)));
    capacity = n;
    return Status::Ok();
  }
};

BertModel::~BertModel() {
  layers_.clear();
  mlm_transform_.reset();
  mlm_decoder_.reset();
  quantizer_.reset();
  if (pool_) pthreadpool_destroy(pool_);
}

bool BertModel::is_int8() const { return !layers_.empty() && layers_[0]->query.is_int8(); }

int32_t BertModel::num_threads() const { return pool_ ? static_cast<int32_t>(pthreadpool_get_threads_count(pool_)) : 1; }

Status BertModel::Load(AlignedBuffer file, const LoadOptions& options, std::unique_ptr<BertModel>* out) {
  std::unique_ptr<BertModel> m(new (std::nothrow) BertModel());
  if (!m) return OutOfMemory("model object");
  m->file_ = std::move(file);
  ModelFileView view;
  HL_RETURN_IF_ERROR(ParseModelFile(m->file_.data(), m->file_.size(), &view));
  HL_RETURN_IF_ERROR(m->Build(view, options));
  *out = std::move(m);
  return Status::Ok();
}

Status BertModel::Build(const ModelFileView& view, const LoadOptions& options) {
  config_ = view.config;
  meta_ = view.meta;
  TokenizerOptions topt;
  std::vector<std::string> vocab;
  HL_RETURN_IF_ERROR(TokenizerFromHeader(view.tokenizer, &topt, &vocab));
  if (vocab.size() > static_cast<size_t>(config_.vocab_size))
    return BadModel("model tokenizer has " + std::to_string(vocab.size()) + " entries, more than vocab_size " +
                    std::to_string(config_.vocab_size));
  HL_RETURN_IF_ERROR(Tokenizer::Create(std::move(vocab), topt, &tokenizer_));

  HeadSet heads;
  heads.mlm = view.find("cls.predictions.transform.dense.weight") != nullptr;
  heads.untied_decoder = view.find("cls.predictions.decoder.weight") != nullptr;
  heads.pooler = view.find("pooler.dense.weight") != nullptr;
  heads.nsp = view.find("cls.seq_relationship.weight") != nullptr;
  has_mlm_ = heads.mlm;
  // Every expected tensor must be present with the config's shape and a dtype its role allows.
  for (const ExpectedTensor& e : ExpectedTensors(config_, heads)) {
    const TensorView* t = view.find(e.name);
    if (!t) return BadModel("model file: missing tensor \"" + e.name + "\"");
    if (t->shape != e.shape) return BadModel("model file: tensor \"" + e.name + "\" has the wrong shape for this config");
    if (e.role == TensorRole::kF32 && t->dtype != TensorDtype::kF32)
      return BadModel("model file: tensor \"" + e.name + "\" must be f32");
  }
  auto T = [&](const std::string& name) -> const TensorView& { return *view.find(name); };

  if (options.num_threads > 1) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
    // single-thread wasm build: stay on one thread (the page picks the threaded build when it can)
#else
    pool_ = pthreadpool_create(static_cast<size_t>(options.num_threads));
    if (!pool_) return OutOfMemory("could not start " + std::to_string(options.num_threads) + " threads");
#endif
  }

  word_ = T("embeddings.word_embeddings.weight");
  position_ = T("embeddings.position_embeddings.weight");
  token_type_ = T("embeddings.token_type_embeddings.weight");
  emb_ln_gamma_ = T("embeddings.LayerNorm.weight");
  emb_ln_beta_ = T("embeddings.LayerNorm.bias");

  const size_t H = config_.hidden_size, F = config_.intermediate_size;
  auto init_linear = [&](Linear& lin, const std::string& prefix, size_t y_stride, Int8Input input) -> Status {
    const TensorView& w = T(prefix + ".weight");
    const TensorView& b = T(prefix + ".bias");
    return lin.Init(static_cast<size_t>(w.shape[1]), static_cast<size_t>(w.shape[0]), y_stride, w.f32, w.i8, w.scales, b.f32,
                    input);
  };
  // meta "qk_input" (hl-convert --f32-qk-input): with "f32", int8 queries and keys read f32 activations.
  // The attention shown is softmax(q·k); int8 inputs there moved the built-in model's most-attended token
  // in 2.12% of rows (1.55% with f32 inputs), but f32_qc8w runs Q and K ~5× slower in wasm.
  const nlohmann::json qk = meta_.value("qk_input", nlohmann::json("int8"));
  if (qk != "int8" && qk != "f32") return BadModel("model file: meta qk_input must be \"int8\" or \"f32\"");
  const Int8Input kQK = qk == "f32" ? Int8Input::kF32 : Int8Input::kQuantized, kRest = Int8Input::kQuantized;
  for (int32_t l = 0; l < config_.num_layers; ++l) {
    auto layer = std::make_unique<Layer>();
    HL_RETURN_IF_ERROR(init_linear(layer->query, LayerTensor(l, "attention.self.query"), 3 * H, kQK));
    HL_RETURN_IF_ERROR(init_linear(layer->key, LayerTensor(l, "attention.self.key"), 3 * H, kQK));
    HL_RETURN_IF_ERROR(init_linear(layer->value, LayerTensor(l, "attention.self.value"), 3 * H, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->attn_out, LayerTensor(l, "attention.output.dense"), H, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->ff_in, LayerTensor(l, "intermediate.dense"), F, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->ff_out, LayerTensor(l, "output.dense"), H, kRest));
    const bool int8 = layer->query.is_int8();
    for (Linear* lin : {&layer->key, &layer->value, &layer->attn_out, &layer->ff_in, &layer->ff_out})
      if (lin->is_int8() != int8) return BadModel("model file mixes int8 and f32 linear weights within layer " + std::to_string(l));
    layer->ln1_gamma = T(LayerTensor(l, "attention.output.LayerNorm.weight")).f32;
    layer->ln1_beta = T(LayerTensor(l, "attention.output.LayerNorm.bias")).f32;
    layer->ln2_gamma = T(LayerTensor(l, "output.LayerNorm.weight")).f32;
    layer->ln2_beta = T(LayerTensor(l, "output.LayerNorm.bias")).f32;
    layers_.push_back(std::move(layer));
  }
  if (has_mlm_) {
    mlm_transform_ = std::make_unique<Linear>();
    HL_RETURN_IF_ERROR(init_linear(*mlm_transform_, "cls.predictions.transform.dense", H, kRest));
    mlm_ln_gamma_ = T("cls.predictions.transform.LayerNorm.weight").f32;
    mlm_ln_beta_ = T("cls.predictions.transform.LayerNorm.bias").f32;
    mlm_bias_ = T("cls.predictions.bias").f32;
    const TensorView& dec = heads.untied_decoder ? T("cls.predictions.decoder.weight") : word_;
    mlm_decoder_ = std::make_unique<Linear>();
    HL_RETURN_IF_ERROR(mlm_decoder_->Init(H, static_cast<size_t>(config_.vocab_size), static_cast<size_t>(config_.vocab_size),
                                          dec.f32, dec.i8, dec.scales, mlm_bias_, kRest));
  }
  quantizer_ = std::make_unique<RowQuantizer>();
  HL_RETURN_IF_ERROR(quantizer_->Init());
  ws_ = std::make_unique<Workspace>();
  return Status::Ok();
}

namespace {
// Tokenizes A (and B) within the model's positions: ids and token types [n].
Status Tokenize(const Tokenizer& tok, const BertConfig& config, std::string_view a, std::string_view b, bool has_b,
                const RunOptions& options, Encoding* enc, std::vector<int32_t>* ids, std::vector<int32_t>* types) {
  const size_t limit = options.max_tokens ? std::min<size_t>(options.max_tokens, config.max_position_embeddings)
                                          : static_cast<size_t>(config.max_position_embeddings);
  HL_RETURN_IF_ERROR(tok.Encode(a, b, has_b, limit, enc));
  ids->resize(enc->tokens.size());
  types->resize(enc->tokens.size());
  for (size_t i = 0; i < enc->tokens.size(); ++i) {
    (*ids)[i] = enc->tokens[i].id;
    (*types)[i] = std::min<int32_t>(enc->tokens[i].segment, config.type_vocab_size - 1);
  }
  return Status::Ok();
}
}  // namespace

Status BertModel::CheckNotStepping() const {
  if (stepping_) return InvalidArgument("the model is in the middle of a stepped run (WebGPU attention): finish or free it first");
  return Status::Ok();
}

Status BertModel::Run(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  const auto t0 = Clock::now();
  Encoding enc;
  std::vector<int32_t> ids, types;
  HL_RETURN_IF_ERROR(Tokenize(*tokenizer_, config_, a, b, has_b, options, &enc, &ids, &types));
  const double tokenize_ms = MsSince(t0);
  HL_RETURN_IF_ERROR(Forward(ids.data(), types.data(), ids.size(), options, out));
  out->encoding = std::move(enc);
  out->timings.tokenize = tokenize_ms;
  out->timings.total = MsSince(t0);
  return Status::Ok();
}

Status BertModel::RunIds(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  if (n == 0) return InvalidArgument("no tokens to run");
  if (n > static_cast<size_t>(config_.max_position_embeddings))
    return InvalidArgument(std::to_string(n) + " tokens exceed the model's " + std::to_string(config_.max_position_embeddings) +
                           " positions");
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= config_.vocab_size) return InvalidArgument("token id " + std::to_string(ids[i]) + " out of range");
    if (types[i] < 0 || types[i] >= config_.type_vocab_size)
      return InvalidArgument("token type " + std::to_string(types[i]) + " out of range");
  }
  const auto t0 = Clock::now();
  out->encoding = Encoding();
  HL_RETURN_IF_ERROR(Forward(ids, types, n, options, out));
  out->timings.total = MsSince(t0);
  return Status::Ok();
}

Status BertModel::Forward(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out) {
  const bool ref = options.reference_kernels;
  HL_RETURN_IF_ERROR(BeginForward(ids, types, n, ref, out));
  for (size_t l = 0; l < static_cast<size_t>(config_.num_layers); ++l) {
    HL_RETURN_IF_ERROR(AttentionBlock(*layers_[l], static_cast<int32_t>(l), n, ref, out));
    HL_RETURN_IF_ERROR(FeedForwardBlock(*layers_[l], n, ref, &out->timings));
  }
  return EndForward(ids, n, options, out);
}

// Sizes the workspace and the hand-over buffers, then x = LN(embeddings).
Status BertModel::BeginForward(const int32_t* ids, const int32_t* types, size_t n, bool ref, RunResult* out) {
  const size_t L = config_.num_layers, A = config_.num_heads, D = config_.head_size(), H = config_.hidden_size;
  HL_RETURN_IF_ERROR(ws_->Reserve(n, config_));
  out->n = static_cast<int32_t>(n);
  out->timings = Timings();
  out->mlm.clear();
  try {
    out->attention.assign(L * A * n * n, 0.0f);
    out->queries.assign(L * A * n * D, 0.0f);
    out->keys.assign(L * A * n * D, 0.0f);
    out->hidden.assign(n * H, 0.0f);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("not enough memory to hand over the attention of " + std::to_string(n) + " tokens");
  }
  float* x = ws_->x.as<float>();  // [n][H]
  auto t = Clock::now();
  Embeddings(x, ids, types, n);
  SelectKernels(ref).layernorm(x, x, emb_ln_gamma_.f32, emb_ln_beta_.f32, config_.layer_norm_eps, n, H);
  out->timings.embeddings = MsSince(t);
  return Status::Ok();
}

// The final hidden states, then the masked-LM head.
Status BertModel::EndForward(const int32_t* ids, size_t n, const RunOptions& options, RunResult* out) {
  std::memcpy(out->hidden.data(), ws_->x.as<float>(), n * config_.hidden_size * sizeof(float));
  if (has_mlm_) HL_RETURN_IF_ERROR(MaskedLmHead(ids, n, options, out));
  return Status::Ok();
}

Status BertModel::BeginSteps(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out,
                             Steps* st) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  if (options.reference_kernels) return InvalidArgument("stepped runs use the fast kernels only");
  st->t0 = Clock::now();
  st->options = options;
  st->out = out;
  st->layer = 0;
  HL_RETURN_IF_ERROR(Tokenize(*tokenizer_, config_, a, b, has_b, options, &out->encoding, &st->ids, &st->types));
  st->n = st->ids.size();
  const double tokenize_ms = MsSince(st->t0);
  HL_RETURN_IF_ERROR(BeginForward(st->ids.data(), st->types.data(), st->n, false, out));
  out->timings.tokenize = tokenize_ms;
  HL_RETURN_IF_ERROR(ProjectQkv(*layers_[0], st->n, false, &out->timings));
  stepping_ = true;
  st->handed = Clock::now();
  return Status::Ok();
}

void BertModel::StepBuffers(const Steps& st, const float** qkv, float** probs, float** context) {
  const size_t A = config_.num_heads, n = st.n;
  *qkv = ws_->qkv.as<float>();
  *probs = st.out->attention.data() + st.layer * A * n * n;
  *context = ws_->ctx.as<float>();
}

Status BertModel::NextStep(Steps* st, bool engine_heads, bool* done) {
  if (!stepping_) return InvalidArgument("no stepped run is open on this model");
  RunResult* out = st->out;
  if (engine_heads) AttentionHeads(static_cast<int32_t>(st->layer), st->n, false, out);
  else out->timings.attention += MsSince(st->handed);  // the caller's attention, transfers included
  Layer& ly = *layers_[st->layer];
  const size_t L = config_.num_layers;
  Status s = AttentionOutput(ly, static_cast<int32_t>(st->layer), st->n, false, out);
  if (s.ok()) s = FeedForwardBlock(ly, st->n, false, &out->timings);
  if (s.ok() && ++st->layer < L) s = ProjectQkv(*layers_[st->layer], st->n, false, &out->timings);
  if (!s.ok() || st->layer < L) {
    if (!s.ok()) stepping_ = false;
    *done = false;
    st->handed = Clock::now();
    return s;
  }
  stepping_ = false;
  *done = true;
  HL_RETURN_IF_ERROR(EndForward(st->ids.data(), st->n, st->options, out));
  out->timings.total = MsSince(st->t0);
  return Status::Ok();
}

// x[i] = word[ids[i]] + position[i] + token_type[types[i]]; x [n][H]
void BertModel::Embeddings(float* x, const int32_t* ids, const int32_t* types, size_t n) const {
  const size_t H = config_.hidden_size;
  for (size_t i = 0; i < n; ++i) {
    float* xi = x + i * H;
    const size_t id = static_cast<size_t>(ids[i]);
    if (word_.i8) {
      const int8_t* w = word_.i8 + id * H;
      const float s = word_.scales[id];
      for (size_t c = 0; c < H; ++c) xi[c] = static_cast<float>(w[c]) * s;
    } else {
      std::memcpy(xi, word_.f32 + id * H, H * sizeof(float));
    }
    const float* p = position_.f32 + i * H;
    const float* tt = token_type_.f32 + static_cast<size_t>(types[i]) * H;
    for (size_t c = 0; c < H; ++c) xi[c] += p[c] + tt[c];
  }
}

// y = lin(x) for x [n][lin.in()]; quantizing int8 layers quantize x per row first (counted as linear time).
Status BertModel::Project(Linear& lin, float* y, const float* x, size_t n, bool ref, Timings* t) {
  const auto t0 = Clock::now();
  if (ref) {
    lin.Run__ref(y, x, n);
  } else {
    if (lin.quantizes_input()) HL_RETURN_IF_ERROR(quantizer_->Run(&ws_->xq, x, n, lin.in(), pool_));
    HL_RETURN_IF_ERROR(lin.Run(y, x, &ws_->xq, n, pool_));
  }
  t->linear += MsSince(t0);
  return Status::Ok();
}

namespace {
struct HeadTask {
  const float* qkv;  // [n][3H]
  float* ctx;        // [n][H]
  float* probs;      // [A][n][n] of this layer
  float* scratch;    // [A][scratch]
  size_t n, H, D, scratch_floats;
  float scale;
  bool ref;
};
void RunHead(void* arg, size_t h) {
  const HeadTask& t = *static_cast<const HeadTask*>(arg);
  const float* q = t.qkv + h * t.D;
  const float* k = t.qkv + t.H + h * t.D;
  const float* v = t.qkv + 2 * t.H + h * t.D;
  float* probs = t.probs + h * t.n * t.n;
  float* ctx = t.ctx + h * t.D;
  float* scratch = t.scratch + h * t.scratch_floats;
  SelectKernels(t.ref).attention_head(probs, ctx, q, k, v, scratch, t.n, t.D, 3 * t.H, 3 * t.H, 3 * t.H, t.H, t.scale);
}
}  // namespace

// Self-attention of layer l, then add & norm: x = LN(x + O·context)
Status BertModel::AttentionBlock(Layer& ly, int32_t l, size_t n, bool ref, RunResult* out) {
  HL_RETURN_IF_ERROR(ProjectQkv(ly, n, ref, &out->timings));
  AttentionHeads(l, n, ref, out);
  return AttentionOutput(ly, l, n, ref, out);
}

// qkv [n][3H] = [Q | K | V](x). The layers that quantize their input share one quantization of x (V always does; Q and
// K unless the model's qk_input is f32, see Build).
Status BertModel::ProjectQkv(Layer& ly, size_t n, bool ref, Timings* tm) {
  const size_t H = config_.hidden_size;
  const float* x = ws_->x.as<float>();  // [n][H]
  float* qkv = ws_->qkv.as<float>();    // [n][3H]
  auto t0 = Clock::now();
  if (ref) {
    ly.query.Run__ref(qkv, x, n);
    ly.key.Run__ref(qkv + H, x, n);
    ly.value.Run__ref(qkv + 2 * H, x, n);
  } else {
    if (ly.value.quantizes_input()) HL_RETURN_IF_ERROR(quantizer_->Run(&ws_->xq, x, n, H, pool_));
    HL_RETURN_IF_ERROR(ly.query.Run(qkv, x, &ws_->xq, n, pool_));
    HL_RETURN_IF_ERROR(ly.key.Run(qkv + H, x, &ws_->xq, n, pool_));
    HL_RETURN_IF_ERROR(ly.value.Run(qkv + 2 * H, x, &ws_->xq, n, pool_));
  }
  tm->linear += MsSince(t0);
  return Status::Ok();
}

// Per head: probs [n][n] straight into the hand-over buffer, context into ctx[:, h·D:(h+1)·D].
void BertModel::AttentionHeads(int32_t l, size_t n, bool ref, RunResult* out) {
  const size_t H = config_.hidden_size, A = config_.num_heads, D = config_.head_size();
  const auto t0 = Clock::now();
  HeadTask task{ws_->qkv.as<float>(), ws_->ctx.as<float>(), out->attention.data() + static_cast<size_t>(l) * A * n * n,
                ws_->scratch.as<float>(), n, H, D, ops::attention_head_scratch_floats(n, D),
                1.0f / std::sqrt(static_cast<float>(D)), ref};
  if (pool_ && !ref) pthreadpool_parallelize_1d(pool_, RunHead, &task, A, 0);
  else for (size_t h = 0; h < A; ++h) RunHead(&task, h);
  out->timings.attention += MsSince(t0);
}

// Hands over q and k per head ([A][n][D] slices of qkv), then x = LN(x + O·context).
Status BertModel::AttentionOutput(Layer& ly, int32_t l, size_t n, bool ref, RunResult* out) {
  const size_t H = config_.hidden_size, A = config_.num_heads, D = config_.head_size();
  const float* qkv = ws_->qkv.as<float>();  // [n][3H]
  float* x = ws_->x.as<float>();            // [n][H]
  Timings* tm = &out->timings;
  auto t0 = Clock::now();
  float* qo = out->queries.data() + static_cast<size_t>(l) * A * n * D;
  float* ko = out->keys.data() + static_cast<size_t>(l) * A * n * D;
  for (size_t h = 0; h < A; ++h)
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(qo + (h * n + i) * D, qkv + i * 3 * H + h * D, D * sizeof(float));
      std::memcpy(ko + (h * n + i) * D, qkv + i * 3 * H + H + h * D, D * sizeof(float));
    }
  tm->attention += MsSince(t0);

  float* proj = ws_->proj.as<float>();
  HL_RETURN_IF_ERROR(Project(ly.attn_out, proj, ws_->ctx.as<float>(), n, ref, tm));
  t0 = Clock::now();
  AddLayerNorm(x, proj, ly.ln1_gamma, ly.ln1_beta, n, ref);
  tm->norm_act += MsSince(t0);
  return Status::Ok();
}

void BertModel::AddLayerNorm(float* x, const float* proj, const float* gamma, const float* beta, size_t n, bool ref) {
  const size_t H = config_.hidden_size;
  ParallelTiles(ref ? nullptr : pool_, n, 8, [&](size_t b, size_t e) {
    SelectKernels(ref).add_layernorm(x + b * H, proj + b * H, x + b * H, gamma, beta, config_.layer_norm_eps, e - b, H);
  });
}

// Feed-forward, then add & norm: x = LN(x + W2·act(W1·x))
Status BertModel::FeedForwardBlock(Layer& ly, size_t n, bool ref, Timings* tm) {
  const size_t H = config_.hidden_size, F = config_.intermediate_size;
  float* x = ws_->x.as<float>();    // [n][H]
  float* ff = ws_->ff.as<float>();  // [n][F]
  float* proj = ws_->proj.as<float>();
  HL_RETURN_IF_ERROR(Project(ly.ff_in, ff, x, n, ref, tm));
  auto t0 = Clock::now();
  ParallelTiles(ref ? nullptr : pool_, n * F, 16384, [&](size_t b, size_t e) { apply_activation(config_.hidden_act, ff + b, e - b, ref); });
  tm->norm_act += MsSince(t0);
  HL_RETURN_IF_ERROR(Project(ly.ff_out, proj, ff, n, ref, tm));
  t0 = Clock::now();
  AddLayerNorm(x, proj, ly.ln2_gamma, ly.ln2_beta, n, ref);
  tm->norm_act += MsSince(t0);
  return Status::Ok();
}

// At each [MASK]: transform (dense → act → LN), tied decoder + bias, softmax, top-k.
Status BertModel::MaskedLmHead(const int32_t* ids, size_t n, const RunOptions& options, RunResult* out) {
  const int32_t mask_id = tokenizer_->TokenToId(tokenizer_->options().mask_token);
  std::vector<size_t> positions;
  for (size_t i = 0; i < n; ++i)
    if (ids[i] == mask_id) positions.push_back(i);
  if (positions.empty() || mask_id < 0) return Status::Ok();
  const auto t0 = Clock::now();
  const size_t H = config_.hidden_size, V = config_.vocab_size, m = positions.size();
  const bool ref = options.reference_kernels;
  // g, t [m][H] (+16 floats: XNNPACK reads up to XNN_EXTRA_BYTES past its input); logits [m][V]
  std::vector<float> g(m * H + 16), t(m * H + 16), logits;
  try { logits.resize(m * V); } catch (const std::bad_alloc&) { return OutOfMemory("masked-LM logits"); }
  const float* x = ws_->x.as<float>();
  for (size_t r = 0; r < m; ++r) std::memcpy(&g[r * H], x + positions[r] * H, H * sizeof(float));
  Timings scratch;  // the head's time is reported as mlm, not linear
  HL_RETURN_IF_ERROR(Project(*mlm_transform_, t.data(), g.data(), m, ref, &scratch));
  apply_activation(config_.hidden_act, t.data(), m * H, ref);
  SelectKernels(ref).layernorm(t.data(), t.data(), mlm_ln_gamma_, mlm_ln_beta_, config_.layer_norm_eps, m, H);
  HL_RETURN_IF_ERROR(Project(*mlm_decoder_, logits.data(), t.data(), m, ref, &scratch));
  SelectKernels(ref).softmax_rows(logits.data(), logits.data(), m, V);
  const size_t k = std::min<size_t>(std::max<int32_t>(options.top_k, 1), V);
  std::vector<int32_t> order(V);
  for (size_t r = 0; r < m; ++r) {
    const float* p = &logits[r * V];
    for (size_t i = 0; i < V; ++i) order[i] = static_cast<int32_t>(i);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [p](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    MaskPrediction mp;
    mp.position = static_cast<int32_t>(positions[r]);
    for (size_t i = 0; i < k; ++i) { mp.ids.push_back(order[i]); mp.probs.push_back(p[order[i]]); }
    out->mlm.push_back(std::move(mp));
  }
  out->timings.mlm = MsSince(t0);
  return Status::Ok();
}

}  // namespace hl
