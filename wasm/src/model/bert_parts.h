// BertModel's insides, shared by its files (bert_load.cpp, bert.cpp, bert_stepped.cpp): a layer's weights, the
// workspace, one forward pass (its kernel table and stage totals) and the scoped timer that adds to those totals.
#pragma once
#include <algorithm>
#include <chrono>
#include <string>

#include "model/bert.h"
#include "ops/ops.h"

namespace hl {

using Clock = std::chrono::steady_clock;
inline double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Adds the time from its construction to the end of its scope to one stage's total (ms), e.g. timings.linear.
class StageTimer {
 public:
  explicit StageTimer(double* total) : total_(total), t0_(Clock::now()) {}
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;
  ~StageTimer() { *total_ += MsSince(t0_); }

 private:
  double* total_;
  Clock::time_point t0_;
};

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

// One forward pass: the kernel table it calls (chosen once, when it starts) and the run's stage totals.
struct BertModel::Pass {
  const Kernels& k;
  Timings& times;
};

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

}  // namespace hl
