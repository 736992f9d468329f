// Fully-connected layers y[n][out] = x[n][in]·Wᵀ + b through XNNPACK (f32; int8 weights with dynamically
// quantized int8 activations, qd8_f32_qc8w — or Headlight's own kernel, ops/gemm_qd8.h, in wasm SIMD builds;
// int8 weights with f32 activations, f32_qc8w), each with a plain reference beside it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <pthreadpool.h>
#include <xnnpack.h>

#include "common/buffer.h"
#include "common/status.h"
#include "ops/gemm_qd8.h"

namespace hl {

Status InitXnnpack();  // idempotent

constexpr size_t kWeightSlackBytes = XNN_EXTRA_BYTES;  // readable bytes Linear::Init needs after int8 rows

// Rows of activations quantized per row (asymmetric int8, XNNPACK's f32→qd8 scheme).
struct QuantizedRows {
  AlignedBuffer q;                                   // int8 [n][k]
  std::vector<xnn_quantization_params> params;       // [n + XNN_EXTRA_QUANTIZATION_PARAMS]
  size_t n = 0, k = 0;
  WidenedRows wide;       // q − zero point as int16, for gemm_qd8_f32_qc8w__wasmsimd: made by the first Linear that needs it
  bool widened = false;   // since the last quantization
#if defined(__wasm_relaxed_simd__)
  RelaxedRows relaxed;    // q as gemm_qd8_f32_qc8w__wasmrelaxed reads it, made likewise
  bool relaxed_ready = false;
#endif
  Status Reserve(size_t n, size_t k);
};

// x [n][k] (row stride k) → qd8 rows, via XNNPACK's convert operator.
class RowQuantizer {
 public:
  RowQuantizer() = default;
  RowQuantizer(const RowQuantizer&) = delete;
  ~RowQuantizer();
  Status Init();
  Status Run(QuantizedRows* out, const float* x, size_t n, size_t k, pthreadpool_t pool);

 private:
  xnn_operator_t op_ = nullptr;
};
// The same quantization, written plainly: params as XNNPACK's xnn_f32_qd8_asymmetric_quantization_params.
void quantize_rows_qd8__ref(QuantizedRows* out, const float* x, size_t n, size_t k);

// The GEMM of an int8 layer with quantized input: Headlight's gemm_qd8_f32_qc8w__wasmsimd (wasm SIMD builds only), its
// __wasmrelaxed twin (relaxed builds whose relaxed dot is exact) or XNNPACK's qd8_f32_qc8w operator. ops/kernels.h
// chooses one for a model.
enum class Int8Gemm { kHeadlight, kHeadlightRelaxed, kXnnpack };

// What an int8-weight layer does with its f32 input: quantize it per row (qd8: int8×int8 sums, fastest)
// or keep it f32 (f32_qc8w: weights widened inside the GEMM, no rounding of the activations).
enum class Int8Input { kQuantized, kF32 };

class Linear {
 public:
  Linear() = default;
  Linear(const Linear&) = delete;
  ~Linear();
  // Weights [out][in] — int8 `w_i8` (in `layout`) with per-output-channel `scales` [out], or f32 `w_f32` — and an
  // optional bias [out]. The pointers must outlive the Linear (the reference path reads them).
  // Output rows are written with stride `y_stride` ≥ out (to write into a slice of a wider buffer).
  // `input` matters only for int8 weights, `gemm` only for int8 weights with quantized input. Headlight's GEMM reads
  // panels where they lie and packs rows on the first Run (a tied MLM decoder is packed only once a [MASK] needs it);
  // XNNPACK's operators pack their own copy here, from rows (panels are unpacked for them first). XNNPACK's packers
  // read up to kWeightSlackBytes past the last row (its x86 VNNI packer loads 8 bytes for a 1–7 byte tail), so int8
  // rows must be followed by that many readable bytes: model files' buffers (AlignedBuffer) have 64.
  Status Init(size_t in, size_t out, size_t y_stride, const float* w_f32, const int8_t* w_i8, Int8Layout layout,
              const float* scales, const float* bias, Int8Input input, Int8Gemm gemm);
  bool is_int8() const { return w_i8_ != nullptr; }
  bool quantizes_input() const { return w_i8_ != nullptr && input_ == Int8Input::kQuantized; }
  size_t in() const { return in_; }
  size_t out() const { return out_; }

  // quantizes_input(): `xq` holds x quantized by RowQuantizer (Run may add its widened rows); otherwise `x` [n][in].
  // y [n][y_stride].
  Status Run(float* y, const float* x, QuantizedRows* xq, size_t n, pthreadpool_t pool);
  // Plain loops: a quantizing layer quantizes x itself with quantize_rows_qd8__ref and sums in int32;
  // the others sum in double.
  void Run__ref(float* y, const float* x, size_t n) const;

  // The weights as f32, transposed: wt [in][out] (int8 weights times their channel scales). For analyses that need the
  // matrix itself (the value norms), not for the forward pass.
  void WeightsTransposed(float* wt) const;

  // f32 layers split the input channels into blocks of this many and add the blocks' outputs:
  // one float32 chain over all of K (XNNPACK's GEMM) drifts by ~√K ulp, which measurably exceeded
  // PyTorch's own float32 error on bert-base (max |Δattention| 1.0e-5 against its 5.5e-6).
  static constexpr size_t kF32BlockK = 128;

 private:
  Status RunF32(float* y, const float* x, size_t n, pthreadpool_t pool);
  Status RunF32Int8(float* y, const float* x, size_t n, pthreadpool_t pool);

  const int8_t* RowsOf(std::vector<int8_t>* scratch) const;  // the int8 weights as rows [out][in]

  PackedQc8w packed_;                         // int8 with quantized input, Headlight's kernel: the packed weights
  bool headlight_gemm_ = false, packed_ready_ = false;
#if defined(__wasm_relaxed_simd__)
  bool relaxed_gemm_ = false;  // Headlight's GEMM on the relaxed dot
#endif
  xnn_operator_t op_ = nullptr;               // int8: the operator; f32: the first K block's (with bias)
  std::vector<xnn_operator_t> f32_blocks_;    // f32: operators of K blocks 1.. (no bias), writing partial_
  AlignedBuffer partial_;                     // f32: [n][out] output of one K block
  size_t in_ = 0, out_ = 0, y_stride_ = 0;
  Int8Input input_ = Int8Input::kQuantized;
  const float* w_f32_ = nullptr;
  const int8_t* w_i8_ = nullptr;
  Int8Layout w_layout_ = Int8Layout::kRows;
  const float* scales_ = nullptr;
  const float* bias_ = nullptr;
};

}  // namespace hl
