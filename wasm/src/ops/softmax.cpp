// Row-wise numerically stable softmax: plain reference and wasm SIMD kernels plus the dispatching name.
#include <cmath>

#include "ops/ops.h"
#include "ops/vec_math.h"

namespace hl::ops {

void softmax_rows_f32__ref(float* y, const float* x, size_t rows, size_t cols) {
  for (size_t i = 0; i < rows; ++i) {
    const float* xr = x + i * cols;  // [cols]
    float* yr = y + i * cols;        // [cols]
    // Row maximum; a NaN anywhere makes it NaN (so the row becomes NaN, as in the SIMD version).
    float mx = -INFINITY;
    for (size_t j = 0; j < cols; ++j) mx = (xr[j] > mx || std::isnan(xr[j])) ? xr[j] : mx;
    if (mx == -INFINITY) {  // all entries -inf: uniform row (documented in ops.h)
      for (size_t j = 0; j < cols; ++j) yr[j] = 1.0f / static_cast<float>(cols);
      continue;
    }
    double sum = 0.0;
    for (size_t j = 0; j < cols; ++j) {
      yr[j] = std::exp(xr[j] - mx);  // exp(-inf) = 0
      sum += yr[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t j = 0; j < cols; ++j) yr[j] *= inv;
  }
}

#if defined(__wasm_simd128__)
void softmax_rows_f32__wasmsimd(float* y, const float* x, size_t rows, size_t cols) {
  const simd::ExpConsts k = simd::exp_consts();
  for (size_t i = 0; i < rows; ++i) simd::softmax_row(y + i * cols, x + i * cols, cols, k);
}
#endif

void softmax_rows_f32(float* y, const float* x, size_t rows, size_t cols) {
#if defined(__wasm_simd128__)
  softmax_rows_f32__wasmsimd(y, x, rows, cols);
#else
  softmax_rows_f32__ref(y, x, rows, cols);
#endif
}

}  // namespace hl::ops
