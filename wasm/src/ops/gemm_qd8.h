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

// How int8 weights [out][k] lie in memory: rows (row o = output channel o), or panels of 8 output columns, the layout
// gemm_qd8_f32_qc8w__wasmsimd reads, in which a model file may store its linear layers' weights (model/model_file.h):
//   int8 [panels][kp][8 columns][2]   (panels = ⌈out/8⌉, kp = ⌈k/2⌉ pairs of input channels; padding is 0)
enum class Int8Layout { kRows, kPanels8c2 };
uint64_t panels_8c2_bytes(uint64_t out, uint64_t k);  // 64-bit: also a file parser's bounds check
void pack_8c2(int8_t* panels, const int8_t* w, size_t out, size_t k);    // rows w [out][k] → panels (all bytes written)
void unpack_8c2(int8_t* w, const int8_t* panels, size_t out, size_t k);  // and back

// Weights packed for the kernel, with per-output scales and bias:
//   w           int8  [panels][kp][8][2]   (in the model file, or in `owned` when packed at load)
//   scale_bias  float [panels][2][8]       (the 8 columns' scales, then their biases; padding 0)
struct PackedQc8w {
  const int8_t* w = nullptr;
  AlignedBuffer owned, scale_bias;
  AlignedBuffer colsum;  // int32 [panels][8]: each column's Σ w, for the relaxed kernel (column_sums_8c2, on first use)
  size_t kp = 0, out = 0, panels = 0;
};
// From `w` in `layout`: rows are packed into `owned`; panels are used where they lie (they must outlive `p`).
// bias may be null (no bias).
Status pack_qc8w_8c2(PackedQc8w* p, const int8_t* w, Int8Layout layout, const float* scales, const float* bias, size_t out,
                     size_t k);

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

#if defined(__wasm_relaxed_simd__)
// How this engine lowers the relaxed dot, by XNNPACK's test (src/configs/hardware-config.c) for its wasmsdot/wasmusdot
// kernels: exact signed sums (sdot), exact unsigned-by-signed sums (VNNI vpdpbusd), or neither (V8 on x86 without
// AVX-VNNI lowers it to saturating pmaddubsw: then only the plain kernels are exact). Probed once.
enum class RelaxedDot { kInexact, kSigned, kUnsigned };
RelaxedDot relaxed_dot_lowering();

// The same GEMM on the same panels with i32x4.relaxed_dot_i8x16_i7x16_add_s (4 channels per lane: V8 lowers it to VNNI's
// vpdpbusd on x86 with AVX-VNNI, to sdot on Arm), for engines whose relaxed dot is exact (ops/kernels.h). Its second
// operand is unsigned there (VNNI) or signed (sdot): the activations go in as q ^ 0x80 = q + 128 or as q, and the sums
// are corrected by (offset + zero point) · Σ w per column. Same integer sums and epilogue, so the same bits.
struct RelaxedRows {
  AlignedBuffer x8;          // int8 [n][stride]: q ^ 0x80 (unsigned dot) or q, padding 0
  size_t n = 0, stride = 0;  // stride = k rounded up to 4
  int32_t offset = 0;        // 128 (unsigned dot) or 0
};
Status relax_qd8_rows(RelaxedRows* out, const int8_t* q, size_t n, size_t k, bool unsigned_dot);
Status column_sums_8c2(PackedQc8w* w);  // fills w->colsum
void gemm_qd8_f32_qc8w__wasmrelaxed(float* y, size_t y_stride, const RelaxedRows& x, const xnn_quantization_params* params,
                                    const PackedQc8w& w, pthreadpool_t pool);
#endif
// The same sums and epilogue from the int8 rows and the unpacked weights [out][k] (bias may be null), in plain loops.
void gemm_qd8_f32_qc8w__ref(float* y, size_t y_stride, const int8_t* q, const xnn_quantization_params* params, const int8_t* w,
                            const float* scales, const float* bias, size_t n, size_t out, size_t k);

}  // namespace hl
