// GELU (exact, erf-based) activation: plain reference and wasm SIMD kernels plus the dispatching name.
#include <algorithm>
#include <cmath>

#include "ops/ops.h"
#include "ops/vec_math.h"

namespace hl::ops {

void gelu_f32__ref(float* y, const float* x, size_t count) {
  // x * 0.5 * (1 + erf(x/sqrt2)), written with erfc(-x/sqrt2) = 1 + erf(x/sqrt2), which avoids the
  // cancellation of 1 + erf for x < 0. Clamping at -20 (where erfc is 0 in float) maps -inf to -0
  // instead of -inf * 0 = NaN; std::max keeps NaN.
  for (size_t i = 0; i < count; ++i) {  // x, y: [count]
    const float xc = std::max(x[i], -20.0f);
    y[i] = 0.5f * xc * std::erfc(-xc * 0.70710678f);
  }
}

#if defined(__wasm_simd128__)
void gelu_f32__wasmsimd(float* y, const float* x, size_t count) {
  const simd::GeluConsts k = simd::gelu_consts();
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {  // two independent vectors per step hide the div latency
    const v128_t a = simd::gelu_f32x4(wasm_v128_load(x + i), k);
    const v128_t b = simd::gelu_f32x4(wasm_v128_load(x + i + 4), k);
    wasm_v128_store(y + i, a);
    wasm_v128_store(y + i + 4, b);
  }
  for (; i + 4 <= count; i += 4) wasm_v128_store(y + i, simd::gelu_f32x4(wasm_v128_load(x + i), k));
  if (i < count) simd::store_tail(y + i, simd::gelu_f32x4(simd::load_tail(x + i, count - i, 0.0f), k), count - i);
}
#endif

void gelu_f32(float* y, const float* x, size_t count) {
#if defined(__wasm_simd128__)
  gelu_f32__wasmsimd(y, x, count);
#else
  gelu_f32__ref(y, x, count);
#endif
}

}  // namespace hl::ops
