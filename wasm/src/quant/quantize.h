// Symmetric per-output-channel int8 quantization of weight matrices (rows = output channels).
#pragma once
#include <cstddef>
#include <cstdint>

namespace hl {

// q[rows][cols] = round(w / scale[r]) clamped to [-127, 127], scale[r] = max_c |w[r][c]| / 127
// (scale 1 for an all-zero row, so dequantisation stays exact).
void quantize_rows_qs8__ref(int8_t* q, float* scale, const float* w, size_t rows, size_t cols);
// w[rows][cols] = q * scale[r]
void dequantize_rows_qs8__ref(float* w, const int8_t* q, const float* scale, size_t rows, size_t cols);

}  // namespace hl
