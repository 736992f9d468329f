// Scaled dot-product attention for one head (scores, softmax, context): reference and wasm SIMD kernels.
#include <cmath>

#include "ops/ops.h"
#include "ops/vec_math.h"

namespace hl::ops {

void attention_head_f32__ref(float* probs, float* context, const float* q, const float* k, const float* v,
                             float* /*scratch*/, size_t n, size_t d, size_t q_stride, size_t k_stride,
                             size_t v_stride, size_t ctx_stride, float scale) {
  for (size_t i = 0; i < n; ++i) {
    const float* qi = q + i * q_stride;  // [d]
    float* p = probs + i * n;            // [n]
    for (size_t j = 0; j < n; ++j) {
      const float* kj = k + j * k_stride;  // [d]
      float dot = 0.0f;
      for (size_t c = 0; c < d; ++c) dot += qi[c] * kj[c];
      p[j] = scale * dot;
    }
    softmax_rows_f32__ref(p, p, 1, n);
    float* ctx = context + i * ctx_stride;  // [d]
    for (size_t c = 0; c < d; ++c) ctx[c] = 0.0f;
    for (size_t j = 0; j < n; ++j) {
      const float pj = p[j];
      const float* vj = v + j * v_stride;  // [d]
      for (size_t c = 0; c < d; ++c) ctx[c] += pj * vj[c];
    }
  }
}

#if defined(__wasm_simd128__)
namespace {

// scores for R query rows: p[r][j] = scale * q_r . k_j, using kt = K transposed, [d][n4] (zero padded
// to n4 = round_up(n, 4) columns). Tiles of R rows x 8 columns (2R accumulators + 2 K vectors + 1 splat
// stay in registers); the last 1..7 columns go 4 at a time, with a partial store at the very end.
template <int R>
void scores_rows(float* p, const float* q, const float* kt, size_t n, size_t n4, size_t d, size_t q_stride,
                 float scale) {
  const v128_t vscale = wasm_f32x4_splat(scale);
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    v128_t acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
    const float* kc = kt + j;
    for (size_t c = 0; c < d; ++c, kc += n4) {
      const v128_t k0 = wasm_v128_load(kc);
      const v128_t k1 = wasm_v128_load(kc + 4);
      for (int r = 0; r < R; ++r) {
        const v128_t qv = wasm_v128_load32_splat(q + r * q_stride + c);
        acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(qv, k0));
        acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(qv, k1));
      }
    }
    for (int r = 0; r < R; ++r) {
      wasm_v128_store(p + r * n + j, wasm_f32x4_mul(vscale, acc0[r]));
      wasm_v128_store(p + r * n + j + 4, wasm_f32x4_mul(vscale, acc1[r]));
    }
  }
  for (; j < n; j += 4) {  // kt has n4 columns, so a full vector load is always in bounds
    v128_t acc[R];
    for (int r = 0; r < R; ++r) acc[r] = wasm_f32x4_splat(0.0f);
    const float* kc = kt + j;
    for (size_t c = 0; c < d; ++c, kc += n4) {
      const v128_t k0 = wasm_v128_load(kc);
      for (int r = 0; r < R; ++r)
        acc[r] = wasm_f32x4_add(acc[r], wasm_f32x4_mul(wasm_v128_load32_splat(q + r * q_stride + c), k0));
    }
    for (int r = 0; r < R; ++r) {
      const v128_t s = wasm_f32x4_mul(vscale, acc[r]);
      if (j + 4 <= n) {
        wasm_v128_store(p + r * n + j, s);
      } else {
        simd::store_tail(p + r * n + j, s, n - j);  // must not spill into the next row of probs
      }
    }
  }
}

// context for R query rows: ctx[r][c] = sum_j p[r][j] * v[j][c]. Tiles of R rows x 8 dims, then 4 dims,
// then single dims; j runs in order, so each sum is accumulated in the same order as the reference.
template <int R>
void context_rows(float* ctx, const float* p, const float* v, size_t n, size_t d, size_t v_stride,
                  size_t ctx_stride) {
  size_t c = 0;
  for (; c + 8 <= d; c += 8) {
    v128_t acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
    const float* vj = v + c;
    for (size_t j = 0; j < n; ++j, vj += v_stride) {
      const v128_t v0 = wasm_v128_load(vj);
      const v128_t v1 = wasm_v128_load(vj + 4);
      for (int r = 0; r < R; ++r) {
        const v128_t pv = wasm_v128_load32_splat(p + r * n + j);
        acc0[r] = wasm_f32x4_add(acc0[r], wasm_f32x4_mul(pv, v0));
        acc1[r] = wasm_f32x4_add(acc1[r], wasm_f32x4_mul(pv, v1));
      }
    }
    for (int r = 0; r < R; ++r) {
      wasm_v128_store(ctx + r * ctx_stride + c, acc0[r]);
      wasm_v128_store(ctx + r * ctx_stride + c + 4, acc1[r]);
    }
  }
  for (; c + 4 <= d; c += 4) {
    v128_t acc[R];
    for (int r = 0; r < R; ++r) acc[r] = wasm_f32x4_splat(0.0f);
    const float* vj = v + c;
    for (size_t j = 0; j < n; ++j, vj += v_stride) {
      const v128_t v0 = wasm_v128_load(vj);
      for (int r = 0; r < R; ++r)
        acc[r] = wasm_f32x4_add(acc[r], wasm_f32x4_mul(wasm_v128_load32_splat(p + r * n + j), v0));
    }
    for (int r = 0; r < R; ++r) wasm_v128_store(ctx + r * ctx_stride + c, acc[r]);
  }
  for (; c < d; ++c) {  // the last d % 4 dims (v rows are only d long: no vector loads here)
    for (int r = 0; r < R; ++r) {
      float s = 0.0f;
      for (size_t j = 0; j < n; ++j) s += p[r * n + j] * v[j * v_stride + c];
      ctx[r * ctx_stride + c] = s;
    }
  }
}

// kt [d][n4] = kᵀ of k [n][d] (rows k_stride apart), columns n..n4 zero. 4×4 blocks go through two rounds of
// shuffles; the last n % 4 keys and d % 4 dims one value at a time. With scores, softmax and context switched off,
// hl-bench's attention_ms (wasm-st, 1 thread, n = 512) was 31–37 ms with a value-at-a-time copy, 13–19 ms with
// this, 10–15 ms with no transpose at all.
void transpose_keys(float* kt, const float* k, size_t n, size_t n4, size_t d, size_t k_stride) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* kj = k + j * k_stride;  // [4][d]
    size_t c = 0;
    for (; c + 4 <= d; c += 4) {
      const v128_t r0 = wasm_v128_load(kj + c), r1 = wasm_v128_load(kj + k_stride + c);
      const v128_t r2 = wasm_v128_load(kj + 2 * k_stride + c), r3 = wasm_v128_load(kj + 3 * k_stride + c);
      const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      wasm_v128_store(kt + c * n4 + j, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
      wasm_v128_store(kt + (c + 1) * n4 + j, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
      wasm_v128_store(kt + (c + 2) * n4 + j, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
      wasm_v128_store(kt + (c + 3) * n4 + j, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
    }
    for (; c < d; ++c)
      for (size_t t = 0; t < 4; ++t) kt[c * n4 + j + t] = kj[t * k_stride + c];
  }
  for (; j < n4; ++j)
    for (size_t c = 0; c < d; ++c) kt[c * n4 + j] = j < n ? k[j * k_stride + c] : 0.0f;
}

// One block of R query rows: scores, softmax (while the rows are hot in L1), then context.
template <int R>
void attention_rows(float* probs, float* context, const float* q, const float* kt, const float* v, size_t n,
                    size_t n4, size_t d, size_t q_stride, size_t v_stride, size_t ctx_stride, float scale) {
  scores_rows<R>(probs, q, kt, n, n4, d, q_stride, scale);
  const simd::ExpConsts k = simd::exp_consts();
  for (int r = 0; r < R; ++r) simd::softmax_row(probs + r * n, probs + r * n, n, k);
  context_rows<R>(context, probs, v, n, d, v_stride, ctx_stride);
}

}  // namespace

void attention_head_f32__wasmsimd(float* probs, float* context, const float* q, const float* k, const float* v,
                                  float* scratch, size_t n, size_t d, size_t q_stride, size_t k_stride,
                                  size_t v_stride, size_t ctx_stride, float scale) {
  if (n == 0) return;
  const size_t n4 = (n + 3) & ~size_t{3};
  float* kt = scratch;  // [d][n4]: K transposed, columns n..n4 zero
  transpose_keys(kt, k, n, n4, d, k_stride);

  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    attention_rows<4>(probs + i * n, context + i * ctx_stride, q + i * q_stride, kt, v, n, n4, d, q_stride,
                      v_stride, ctx_stride, scale);
  for (; i < n; ++i)
    attention_rows<1>(probs + i * n, context + i * ctx_stride, q + i * q_stride, kt, v, n, n4, d, q_stride,
                      v_stride, ctx_stride, scale);
}
#endif

void attention_head_f32(float* probs, float* context, const float* q, const float* k, const float* v,
                        float* scratch, size_t n, size_t d, size_t q_stride, size_t k_stride, size_t v_stride,
                        size_t ctx_stride, float scale) {
#if defined(__wasm_simd128__)
  attention_head_f32__wasmsimd(probs, context, q, k, v, scratch, n, d, q_stride, k_stride, v_stride, ctx_stride,
                               scale);
#else
  attention_head_f32__ref(probs, context, q, k, v, scratch, n, d, q_stride, k_stride, v_stride, ctx_stride, scale);
#endif
}

}  // namespace hl::ops
