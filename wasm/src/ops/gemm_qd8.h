// Headlight's int8 GEMM for quantized linear layers in wasm SIMD builds (y = (xq − zp)·Wᵀ·sx·sw + b), its weight
// packing and a plain reference: a 4×8 tile of i32x4.dot_i16x8_s over broadcast activation pairs, which V8 runs ~1.2×
// as fast as XNNPACK's 4x4c2s4 dot16x2 kernel on bert-base shapes (hl-bench linear_ms, with and without --gemm xnnpack).
#pragma once
#include <cstddef>
#include <cstdint>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "common/buffer.h"
#include "common/status.h"

namespace hl {

constexpr size_t kGemmNR = 8;  // output columns per packed panel
constexpr size_t kGemmMR = 4;  // rows per kernel call

// Weights [out][k] int8 with per-output scales and bias, packed in panels of 8 output columns:
//   w           int8  [panels][kp][8 columns][2]   (kp = ⌈k/2⌉ pairs of input channels; padding is 0)
//   scale_bias  float [panels][2][8]               (the 8 columns' scales, then their biases; padding 0)
struct PackedQc8w {
  AlignedBuffer w, scale_bias;
  size_t kp = 0, out = 0, panels = 0;
};
// bias may be null (no bias).
Status pack_qc8w_8c2(PackedQc8w* p, const int8_t* w, const float* scales, const float* bias, size_t out, size_t k);

// Activations as the kernel reads them: x16 [n][2·kp] = q − zero_point as int16 (|value| ≤ 255), padding 0, from
// q [n][k] and params [n] as XNNPACK's convert_nc_f32_qd8 writes them.
struct WidenedRows {
  AlignedBuffer x16;
  size_t n = 0, stride = 0;  // stride in int16 elements = 2·kp
};
Status widen_qd8_rows(WidenedRows* out, const int8_t* q, const xnn_quantization_params* params, size_t n, size_t k);

// y [n][y_stride] (first w.out columns written) = Σ x16·w · params[row].scale · scale[col] + bias[col], in that order of
// float operations, as XNNPACK's qd8_f32_qc8w kernels do, so the two give the same bits.
#if defined(__wasm_simd128__)
void gemm_qd8_f32_qc8w__wasmsimd(float* y, size_t y_stride, const WidenedRows& x, const xnn_quantization_params* params,
                                 const PackedQc8w& w, pthreadpool_t pool);
#endif
// The same sums and epilogue from the int8 rows and the unpacked weights [out][k] (bias may be null), in plain loops.
void gemm_qd8_f32_qc8w__ref(float* y, size_t y_stride, const int8_t* q, const xnn_quantization_params* params, const int8_t* w,
                            const float* scales, const float* bias, size_t n, size_t out, size_t k);

}  // namespace hl
