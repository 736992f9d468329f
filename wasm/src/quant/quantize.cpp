// Symmetric per-row int8 quantization (the weight format of XNNPACK's qc8w operators).
#include "quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace hl {

void quantize_rows_qs8__ref(int8_t* q, float* scale, const float* w, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    const float* wr = w + r * cols;
    float amax = 0.0f;
    for (size_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(wr[c]));
    const float s = amax > 0.0f ? amax / 127.0f : 1.0f;
    scale[r] = s;
    const float inv = 1.0f / s;
    for (size_t c = 0; c < cols; ++c) {
      const float v = std::nearbyint(wr[c] * inv);
      q[r * cols + c] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, v)));
    }
  }
}

void dequantize_rows_qs8__ref(float* w, const int8_t* q, const float* scale, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) w[r * cols + c] = static_cast<float>(q[r * cols + c]) * scale[r];
}

}  // namespace hl
