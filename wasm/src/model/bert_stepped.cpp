// The stepped run (hl_step_*, the page's WebGPU attention): bert.cpp's forward pass, step for step, stopped before each
// layer's attention heads so that the caller computes them. Always the fast kernel table.
#include "model/bert.h"
#include "model/bert_parts.h"

namespace hl {

Status BertModel::BeginSteps(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out,
                             Steps* st) {
  HL_RETURN_IF_ERROR(CheckNotStepping());
  if (options.reference_kernels) return InvalidArgument("stepped runs use the fast kernels only");
  st->t0 = Clock::now();
  st->options = options;
  st->out = out;
  st->layer = 0;
  out->timings = Timings();
  {
    StageTimer tokenize(&out->timings.tokenize);
    HL_RETURN_IF_ERROR(Tokenize(a, b, has_b, options, &out->encoding, &st->ids, &st->types));
  }
  const Pass p{kernels_, out->timings};
  const size_t n = st->n = st->ids.size();
  HL_RETURN_IF_ERROR(Allocate(n, options, out));
  float* x = ws_->x.as<float>();  // [n][H]
  Embed(p, x, st->ids.data(), st->types.data(), n);
  KeepLayerState(out, x, 0, n);
  HL_RETURN_IF_ERROR(ProjectQkv(p, ws_->qkv.as<float>(), *layers_[0], x, n));
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

// The rest of layer st->layer after its heads, as in BertModel::Forward, then the next layer's Q, K, V or the end.
Status BertModel::NextStep(Steps* st, bool engine_heads, bool* done) {
  if (!stepping_) return InvalidArgument("no stepped run is open on this model");
  RunResult* out = st->out;
  const Pass p{kernels_, out->timings};
  const size_t L = config_.num_layers, A = config_.num_heads, D = config_.head_size(), n = st->n, l = st->layer;
  float* x = ws_->x.as<float>();      // [n][H] hidden states
  float* qkv = ws_->qkv.as<float>();  // [n][3H] queries | keys | values
  float* ctx = ws_->ctx.as<float>();  // [n][H] attention context: the caller's, or the engine's below
  if (engine_heads) AttentionHeads(p, out->attention.data() + l * A * n * n, ctx, qkv, n);
  else out->timings.attention += MsSince(st->handed);  // the caller's attention, transfers included
  HandOverQk(p, out->queries.data() + l * A * n * D, out->keys.data() + l * A * n * D, qkv, n);
  if (st->options.value_norms)
    HandOverValueNorms(p, out->value_norms.data() + l * A * n, out->norm_summed.data() + l * n * n,
               out->attention.data() + l * A * n * n, qkv, *layers_[l], n);
  Status s = AttentionOutput(p, x, *layers_[l], ctx, n);
  if (s.ok()) s = FeedForward(p, x, *layers_[l], n);
  if (s.ok()) KeepLayerState(out, x, l + 1, n);
  if (s.ok() && ++st->layer < L) s = ProjectQkv(p, qkv, *layers_[st->layer], x, n);
  if (!s.ok() || st->layer < L) {
    if (!s.ok()) stepping_ = false;
    *done = false;
    st->handed = Clock::now();
    return s;
  }
  stepping_ = false;
  *done = true;
  HL_RETURN_IF_ERROR(Finish(p, st->ids.data(), n, st->options, out));
  out->timings.total = MsSince(st->t0);
  return Status::Ok();
}

}  // namespace hl
