// The kernel tables (fast, __ref) and the choice of the int8 GEMM, with the relaxed-SIMD probe it rests on.
#include "ops/kernels.h"

#include <algorithm>
#include <cmath>

namespace hl {
namespace {

QuantizedGemm g_quantized_gemm = QuantizedGemm::kAuto;

// Activations other than erf-GELU are rare in BERT checkpoints: plain loops suffice, in both tables. x, y: [count].
void gelu_tanh_f32(float* y, const float* x, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
}
void relu_f32(float* y, const float* x, size_t count) {
  for (size_t i = 0; i < count; ++i) y[i] = std::max(0.0f, x[i]);
}
decltype(&ops::gelu_f32) ActivationKernel(Activation act, bool ref) {
  switch (act) {
    case Activation::kGeluErf: return ref ? ops::gelu_f32__ref : ops::gelu_f32;
    case Activation::kGeluTanh: return gelu_tanh_f32;
    case Activation::kRelu: return relu_f32;
  }
  return nullptr;  // unreachable: ValidateConfig admits these three
}

Status quantize_rows_qd8(QuantizedRows* xq, const float* x, size_t n, size_t k, RowQuantizer* quantizer, pthreadpool_t pool) {
  return quantizer->Run(xq, x, n, k, pool);
}
// The __ref layers quantize their input themselves (Linear::Run__ref).
Status leave_unquantized(QuantizedRows*, const float*, size_t, size_t, RowQuantizer*, pthreadpool_t) {
  return Status::Ok();
}

Status linear(float* y, Linear& lin, const float* x, QuantizedRows* xq, size_t n, pthreadpool_t pool) {
  return lin.Run(y, x, xq, n, pool);
}
Status linear__ref(float* y, Linear& lin, const float* x, QuantizedRows*, size_t n, pthreadpool_t) {
  lin.Run__ref(y, x, n);
  return Status::Ok();
}

}  // namespace

void SetQuantizedGemm(QuantizedGemm g) { g_quantized_gemm = g; }

Int8Gemm SelectInt8Gemm() {
#if defined(__wasm_simd128__)
  if (g_quantized_gemm == QuantizedGemm::kXnnpack) return Int8Gemm::kXnnpack;
  if (g_quantized_gemm == QuantizedGemm::kHeadlight) return Int8Gemm::kHeadlight;
#if defined(__wasm_relaxed_simd__)
  if (relaxed_dot_lowering() != RelaxedDot::kInexact) return Int8Gemm::kHeadlightRelaxed;
#endif
  return Int8Gemm::kHeadlight;
#else
  return Int8Gemm::kXnnpack;
#endif
}

Kernels FastKernels(Activation act, pthreadpool_t pool, RowQuantizer* quantizer) {
  return Kernels{ops::layernorm_f32, ops::add_layernorm_f32, ActivationKernel(act, false), ops::softmax_rows_f32,
                 ops::attention_head_f32, quantize_rows_qd8, linear, pool, quantizer, SelectInt8Gemm()};
}

Kernels ReferenceKernels(Kernels k, Activation act) {
  k.layernorm = ops::layernorm_f32__ref;
  k.add_layernorm = ops::add_layernorm_f32__ref;
  k.activation = ActivationKernel(act, true);
  k.softmax_rows = ops::softmax_rows_f32__ref;
  k.attention_head = ops::attention_head_f32__ref;
  k.quantize_rows = leave_unquantized;
  k.linear = linear__ref;
  k.pool = nullptr;
  return k;
}

}  // namespace hl
