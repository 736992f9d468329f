// The kernel table: which version of each operation a model's runs call (the fast kernels or every plain __ref one; the
// int8 layers' GEMM: Headlight's or XNNPACK's, relaxed or not), chosen once when the model is loaded.
#pragma once
#include <cstddef>

#include <pthreadpool.h>

#include "common/status.h"
#include "model/config.h"
#include "ops/linear.h"
#include "ops/ops.h"

namespace hl {

// A request for the int8 layers' GEMM (hl-bench --gemm, hl_set_int8_gemm, tests), read when a model is loaded. kAuto:
// Headlight's gemm_qd8_f32_qc8w__wasmrelaxed in relaxed-SIMD builds whose engine has an exact relaxed int8 dot product
// (relaxed_dot_lowering), else its gemm_qd8_f32_qc8w__wasmsimd in wasm SIMD builds; XNNPACK's natively. kHeadlight:
// Headlight's plain-SIMD kernel wherever there is one (natively XNNPACK's), as on a CPU without AVX-VNNI. kXnnpack:
// XNNPACK's (its relaxed kernels where the relaxed dot is exact), which packs its own copy of the weights at load.
enum class QuantizedGemm { kAuto, kHeadlight, kXnnpack };
void SetQuantizedGemm(QuantizedGemm g);
// What the request comes to in this build, on this engine.
Int8Gemm SelectInt8Gemm();
inline bool UsesHeadlightGemm() { return SelectInt8Gemm() != Int8Gemm::kXnnpack; }

struct Kernels {
  // Row-wise and element-wise (ops.h). activation: the config's hidden_act, in place, y = act(x) over [count].
  decltype(&ops::layernorm_f32) layernorm;
  decltype(&ops::add_layernorm_f32) add_layernorm;
  decltype(&ops::gelu_f32) activation;
  decltype(&ops::softmax_rows_f32) softmax_rows;
  decltype(&ops::attention_head_f32) attention_head;
  // Linear layers: y [n][lin.out()] (rows lin's y_stride apart) = lin(x [n][lin.in()]). A layer that reads int8 input
  // (lin.quantizes_input()) reads xq, which quantize_rows made from x, once for all the layers that read that x.
  Status (*quantize_rows)(QuantizedRows* xq, const float* x, size_t n, size_t k, RowQuantizer* quantizer,
                          pthreadpool_t pool);
  Status (*linear)(float* y, Linear& lin, const float* x, QuantizedRows* xq, size_t n, pthreadpool_t pool);

  pthreadpool_t pool;       // threads the work may be split over; null: in order on the calling thread
  RowQuantizer* quantizer;  // XNNPACK's f32→qd8 conversion, passed to quantize_rows
  Int8Gemm int8_gemm;       // the GEMM the model's quantizing int8 layers were built for (Linear::Init)
};

// The fast table: the dispatching kernels (__wasmsimd in wasm SIMD builds, __ref natively), XNNPACK's quantizer and
// fully-connected operators or Headlight's int8 GEMM (SelectInt8Gemm() now), on the pool.
Kernels FastKernels(Activation act, pthreadpool_t pool, RowQuantizer* quantizer);
// The same table with every kernel its plain __ref version, on one thread (Linear::Run__ref quantizes for itself).
Kernels ReferenceKernels(Kernels k, Activation act);

}  // namespace hl
