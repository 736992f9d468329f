// Engine compute kernels (LayerNorm, GELU, softmax, one attention head): plain __ref and wasm SIMD __wasmsimd versions.
//
// Naming follows XNNPACK: `op_f32__ref` is the plain, obviously-correct version (also what a native build
// runs: it is compiled -O3 and auto-vectorised), `op_f32__wasmsimd` is the WebAssembly SIMD128 version
// (only declared when compiling with -msimd128), and `op_f32` is the dispatching name (the fast kernel
// table's entry; the forward pass calls through the table, ops/kernels.h).
// Argument order: outputs first, then inputs, then scratch, then sizes/strides and scalars.
// All tensors are f32, row-major; "[n][d]" gives the shape, "stride" the distance in floats between rows.
// Linear layers are not here: they go through XNNPACK (linear.h).
#pragma once

#include <cstddef>

namespace hl::ops {

// ---- LayerNorm --------------------------------------------------------------------------------------
// y[i][:] = (x[i][:] - mean_i) / sqrt(var_i + eps) * gamma + beta, for each of n rows of d values, with
// mean_i and (biased) var_i over the row. Two-pass statistics (mean, then mean of squared deviations;
// double in __ref, shifted + corrected two-pass float in __wasmsimd), so rows with a large common offset
// keep their accuracy. x, y: [n][d] contiguous; gamma, beta: [d]. y may alias x (in place).
// d == 0 or n == 0 does nothing. eps > 0 (a constant row then gives exactly beta).
// Squared deviations must fit in a float (|x - mean| below ~1e17).
void layernorm_f32(float* y, const float* x, const float* gamma, const float* beta, float eps, size_t n,
                   size_t d);
void layernorm_f32__ref(float* y, const float* x, const float* gamma, const float* beta, float eps, size_t n,
                        size_t d);

// Fused residual + LayerNorm (BERT's "add & norm"): y = LayerNorm(x + residual).
// x, residual, y: [n][d] contiguous; gamma, beta: [d]. y may alias x or residual.
void add_layernorm_f32(float* y, const float* x, const float* residual, const float* gamma, const float* beta,
                       float eps, size_t n, size_t d);
void add_layernorm_f32__ref(float* y, const float* x, const float* residual, const float* gamma,
                            const float* beta, float eps, size_t n, size_t d);

// ---- GELU -------------------------------------------------------------------------------------------
// Exact (erf) GELU, elementwise: y = x * 0.5 * (1 + erf(x / sqrt(2))) = x * Phi(x).
// x, y: [count]; y may alias x. GELU(+inf) = +inf, GELU(-inf) = -0, NaN stays NaN.
// Accuracy vs the exact value: __wasmsimd within 1.5e-7 + half an ulp of y (measured 1.35e-7 for
// |x| < 4; beyond, only the rounding of y remains), __ref (float std::erfc) within 1.5e-7 + 1 ulp.
// Method in vec_math.h.
void gelu_f32(float* y, const float* x, size_t count);
void gelu_f32__ref(float* y, const float* x, size_t count);

// ---- Softmax ----------------------------------------------------------------------------------------
// Numerically stable softmax of each row: y[i][j] = exp(x[i][j] - m_i) / sum_j exp(x[i][j] - m_i), with
// m_i the row maximum. x, y: [rows][cols] contiguous; y may alias x.
// Special values: -inf entries give exactly 0. A row whose entries are all -inf gives the uniform row
// 1/cols (what a large finite mask value such as -1e4 or FLT_MIN-style masks gives, and never NaN).
// A row containing NaN or +inf gives NaN in that row.
void softmax_rows_f32(float* y, const float* x, size_t rows, size_t cols);
void softmax_rows_f32__ref(float* y, const float* x, size_t rows, size_t cols);

// ---- Attention (one head) ---------------------------------------------------------------------------
// Floats of scratch that attention_head_f32 needs for a head of n tokens and head size d: room for K
// transposed, [d][round_up(n, 4)]. The __ref version does not use scratch (it may be nullptr there).
inline size_t attention_head_scratch_floats(size_t n, size_t d) { return d * ((n + 3) & ~size_t{3}); }

// Scaled dot-product attention for ONE head, no mask:
//   scores[i][j]   = scale * dot(q_i, k_j)                      (i, j < n)
//   probs[i][:]    = softmax(scores[i][:])                      (same special values as softmax_rows_f32)
//   context[i][:]  = sum_j probs[i][j] * v_j
// probs:   [n][n] contiguous (output; the attention map that is shown to the user)
// context: [n][d] with row stride ctx_stride >= d (output; typically this head's slice of a [n][hidden]
//          buffer, so only context[i*ctx_stride + c] for c < d is written)
// q, k, v: [n][d] with row strides q_stride, k_stride, v_stride >= d (typically slices of a fused
//          [n][3*hidden] QKV buffer)
// scratch: attention_head_scratch_floats(n, d) floats, caller-owned; nothing is allocated inside.
// Outputs must not overlap the inputs or each other. scale is usually 1/sqrt(d).
void attention_head_f32(float* probs, float* context, const float* q, const float* k, const float* v,
                        float* scratch, size_t n, size_t d, size_t q_stride, size_t k_stride, size_t v_stride,
                        size_t ctx_stride, float scale);
void attention_head_f32__ref(float* probs, float* context, const float* q, const float* k, const float* v,
                             float* scratch, size_t n, size_t d, size_t q_stride, size_t k_stride,
                             size_t v_stride, size_t ctx_stride, float scale);

#if defined(__wasm_simd128__)
void layernorm_f32__wasmsimd(float* y, const float* x, const float* gamma, const float* beta, float eps,
                             size_t n, size_t d);
void add_layernorm_f32__wasmsimd(float* y, const float* x, const float* residual, const float* gamma,
                                 const float* beta, float eps, size_t n, size_t d);
void gelu_f32__wasmsimd(float* y, const float* x, size_t count);
void softmax_rows_f32__wasmsimd(float* y, const float* x, size_t rows, size_t cols);
void attention_head_f32__wasmsimd(float* probs, float* context, const float* q, const float* k, const float* v,
                                  float* scratch, size_t n, size_t d, size_t q_stride, size_t k_stride,
                                  size_t v_stride, size_t ctx_stride, float scale);
#endif

}  // namespace hl::ops
