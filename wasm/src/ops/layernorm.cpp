// LayerNorm and fused residual-add + LayerNorm: plain reference and wasm SIMD kernels plus dispatch.
#include <cmath>

#include "ops/ops.h"
#include "ops/vec_math.h"

namespace hl::ops {
namespace {

// One row, two-pass statistics in double. y may alias x.
void layernorm_row_ref(float* y, const float* x, const float* gamma, const float* beta, float eps, size_t d) {
  double sum = 0.0;
  for (size_t j = 0; j < d; ++j) sum += x[j];
  const double mean = sum / static_cast<double>(d);
  double sq = 0.0;
  for (size_t j = 0; j < d; ++j) {
    const double dev = x[j] - mean;
    sq += dev * dev;
  }
  const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(d) + eps);
  for (size_t j = 0; j < d; ++j) y[j] = static_cast<float>((x[j] - mean) * rstd * gamma[j] + beta[j]);
}

}  // namespace

void layernorm_f32__ref(float* y, const float* x, const float* gamma, const float* beta, float eps, size_t n,
                        size_t d) {
  if (d == 0) return;
  for (size_t i = 0; i < n; ++i) layernorm_row_ref(y + i * d, x + i * d, gamma, beta, eps, d);  // rows [d]
}

void add_layernorm_f32__ref(float* y, const float* x, const float* residual, const float* gamma,
                            const float* beta, float eps, size_t n, size_t d) {
  if (d == 0) return;
  for (size_t i = 0; i < n; ++i) {
    float* yr = y + i * d;  // [d]
    for (size_t j = 0; j < d; ++j) yr[j] = x[i * d + j] + residual[i * d + j];  // the sum, rounded to float
    layernorm_row_ref(yr, yr, gamma, beta, eps, d);
  }
}

#if defined(__wasm_simd128__)
namespace {

// Normalises one row of d values held in x (already the residual sum for add_layernorm), given their float sum.
// Float statistics, made robust to a large common offset (BERT hidden states ride on a few large
// dimensions): the rough mean `shift` = sum/d is subtracted first, then the "corrected two-pass" algorithm
// (Chan, Golub & LeVeque, 1983) computes the mean offset m of a = x - shift and var = mean(a^2) - m^2, and
// the output uses (x - shift) - m, never a float mean that cannot represent the row's centre.
// y may alias x.
void layernorm_row_wasmsimd(float* y, const float* x, float sum, const float* gamma, const float* beta, float eps,
                            size_t d) {
  const float shift = sum / static_cast<float>(d);
  const v128_t vshift = wasm_f32x4_splat(shift);
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, q0 = s0, q1 = s0;
  size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    const v128_t a = wasm_f32x4_sub(wasm_v128_load(x + j), vshift);
    const v128_t b = wasm_f32x4_sub(wasm_v128_load(x + j + 4), vshift);
    s0 = wasm_f32x4_add(s0, a);
    s1 = wasm_f32x4_add(s1, b);
    q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(a, a));
    q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(b, b));
  }
  for (; j + 4 <= d; j += 4) {
    const v128_t a = wasm_f32x4_sub(wasm_v128_load(x + j), vshift);
    s0 = wasm_f32x4_add(s0, a);
    q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(a, a));
  }
  if (j < d) {
    const v128_t a = wasm_f32x4_sub(simd::load_tail(x + j, d - j, shift), vshift);  // padding gives a = 0
    s1 = wasm_f32x4_add(s1, a);
    q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(a, a));
  }
  const float inv_d = 1.0f / static_cast<float>(d);
  const float m = simd::hsum(wasm_f32x4_add(s0, s1)) * inv_d;  // mean - shift
  const float var = std::fmax(simd::hsum(wasm_f32x4_add(q0, q1)) * inv_d - m * m, 0.0f);
  const float rstd = 1.0f / std::sqrt(var + eps);
  const v128_t vm = wasm_f32x4_splat(m);
  const v128_t vrstd = wasm_f32x4_splat(rstd);
  j = 0;
  for (; j + 4 <= d; j += 4) {
    const v128_t xc = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x + j), vshift), vm);
    const v128_t xn = wasm_f32x4_mul(xc, vrstd);
    wasm_v128_store(y + j, wasm_f32x4_add(wasm_f32x4_mul(xn, wasm_v128_load(gamma + j)), wasm_v128_load(beta + j)));
  }
  for (; j < d; ++j) y[j] = ((x[j] - shift) - m) * rstd * gamma[j] + beta[j];
}

}  // namespace

void layernorm_f32__wasmsimd(float* y, const float* x, const float* gamma, const float* beta, float eps,
                             size_t n, size_t d) {
  if (d == 0) return;
  for (size_t i = 0; i < n; ++i) {
    const float* xr = x + i * d;  // [d]
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
      s0 = wasm_f32x4_add(s0, wasm_v128_load(xr + j));
      s1 = wasm_f32x4_add(s1, wasm_v128_load(xr + j + 4));
    }
    for (; j + 4 <= d; j += 4) s0 = wasm_f32x4_add(s0, wasm_v128_load(xr + j));
    if (j < d) s1 = wasm_f32x4_add(s1, simd::load_tail(xr + j, d - j, 0.0f));
    layernorm_row_wasmsimd(y + i * d, xr, simd::hsum(wasm_f32x4_add(s0, s1)), gamma, beta, eps, d);
  }
}

void add_layernorm_f32__wasmsimd(float* y, const float* x, const float* residual, const float* gamma,
                                 const float* beta, float eps, size_t n, size_t d) {
  if (d == 0) return;
  for (size_t i = 0; i < n; ++i) {
    const float* xr = x + i * d;         // [d]
    const float* rr = residual + i * d;  // [d]
    float* yr = y + i * d;               // [d]: first the sum x + residual, then the normalised row
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
    size_t j = 0;
    for (; j + 8 <= d; j += 8) {
      const v128_t a = wasm_f32x4_add(wasm_v128_load(xr + j), wasm_v128_load(rr + j));
      const v128_t b = wasm_f32x4_add(wasm_v128_load(xr + j + 4), wasm_v128_load(rr + j + 4));
      wasm_v128_store(yr + j, a);
      wasm_v128_store(yr + j + 4, b);
      s0 = wasm_f32x4_add(s0, a);
      s1 = wasm_f32x4_add(s1, b);
    }
    for (; j + 4 <= d; j += 4) {
      const v128_t a = wasm_f32x4_add(wasm_v128_load(xr + j), wasm_v128_load(rr + j));
      wasm_v128_store(yr + j, a);
      s0 = wasm_f32x4_add(s0, a);
    }
    float tail = 0.0f;
    for (; j < d; ++j) {
      yr[j] = xr[j] + rr[j];
      tail += yr[j];
    }
    layernorm_row_wasmsimd(yr, yr, simd::hsum(wasm_f32x4_add(s0, s1)) + tail, gamma, beta, eps, d);
  }
}
#endif

void layernorm_f32(float* y, const float* x, const float* gamma, const float* beta, float eps, size_t n,
                   size_t d) {
#if defined(__wasm_simd128__)
  layernorm_f32__wasmsimd(y, x, gamma, beta, eps, n, d);
#else
  layernorm_f32__ref(y, x, gamma, beta, eps, n, d);
#endif
}

void add_layernorm_f32(float* y, const float* x, const float* residual, const float* gamma, const float* beta,
                       float eps, size_t n, size_t d) {
#if defined(__wasm_simd128__)
  add_layernorm_f32__wasmsimd(y, x, residual, gamma, beta, eps, n, d);
#else
  add_layernorm_f32__ref(y, x, residual, gamma, beta, eps, n, d);
#endif
}

}  // namespace hl::ops
