// XNNPACK fully-connected wrappers (f32, qd8_f32_qc8w, f32_qc8w) and their plain reference versions.
#include "ops/linear.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace hl {
namespace {

Status XnnError(const char* what, xnn_status s) {
  if (s == xnn_status_out_of_memory) return OutOfMemory(std::string(what) + ": XNNPACK ran out of memory");
  return Internal(std::string(what) + " failed with XNNPACK status " + std::to_string(static_cast<int>(s)));
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

Status InitXnnpack() {
  static xnn_status status = xnn_initialize(/*allocator=*/nullptr);
  if (status != xnn_status_success) return XnnError("xnn_initialize", status);
  return Status::Ok();
}

Status QuantizedRows::Reserve(size_t rows, size_t cols) {
  if (q.size() < rows * cols && !q.allocate(rows * cols)) return OutOfMemory("activation buffer");
  params.resize(rows + XNN_EXTRA_QUANTIZATION_PARAMS);
  widened = false;
#if defined(__wasm_relaxed_simd__)
  relaxed_ready = false;
#endif
  n = rows;
  k = cols;
  return Status::Ok();
}

RowQuantizer::~RowQuantizer() {
  if (op_) xnn_delete_operator(op_);
}

Status RowQuantizer::Init() {
  HL_RETURN_IF_ERROR(InitXnnpack());
  const xnn_status s = xnn_create_convert_nc_f32_qd8(0, &op_);
  return s == xnn_status_success ? Status::Ok() : XnnError("xnn_create_convert_nc_f32_qd8", s);
}

Status RowQuantizer::Run(QuantizedRows* out, const float* x, size_t n, size_t k, pthreadpool_t pool) {
  HL_RETURN_IF_ERROR(out->Reserve(n, k));
  xnn_status s = xnn_reshape_convert_nc_f32_qd8(op_, n, k, k, k, pool);
  if (s != xnn_status_success) return XnnError("xnn_reshape_convert_nc_f32_qd8", s);
  s = xnn_setup_convert_nc_f32_qd8(op_, x, out->q.as<int8_t>(), out->params.data());
  if (s != xnn_status_success) return XnnError("xnn_setup_convert_nc_f32_qd8", s);
  s = xnn_run_operator(op_, pool);
  return s == xnn_status_success ? Status::Ok() : XnnError("convert f32→qd8", s);
}

void quantize_rows_qd8__ref(QuantizedRows* out, const float* x, size_t n, size_t k) {
  (void)out->Reserve(n, k);
  int8_t* q = out->q.as<int8_t>();
  for (size_t i = 0; i < n; ++i) {
    const float* xi = x + i * k;
    float lo = 0.0f, hi = 0.0f;  // the range always includes 0
    for (size_t c = 0; c < k; ++c) { lo = std::min(lo, xi[c]); hi = std::max(hi, xi[c]); }
    // Same arithmetic as xnn_qd8_asymmetric_quantization_params (src/xnnpack/quantization.h).
    const float qmin = -128.0f, qmax = 127.0f;
    const float inv = lo == hi ? 1.0f : (qmax - qmin) / (hi - lo);
    const float dmin = lo * inv, dmax = hi * inv;
    float zp = (qmin + dmin) + (qmax + dmax) > 0 ? qmin - dmin : qmax - dmax;
    zp = std::min(qmax, std::max(qmin, zp));
    const int32_t zero_point = static_cast<int32_t>(std::lrint(zp));
    const float scale = 1.0f / inv;      // dequantisation multiplier
    const float cvt = 1.0f / scale;      // XNNPACK converts with 1 / (1 / inv)
    out->params[i].zero_point = zero_point;
    out->params[i].scale = scale;
    for (size_t c = 0; c < k; ++c) {
      const float v = std::nearbyint(xi[c] * cvt) + static_cast<float>(zero_point);
      q[i * k + c] = static_cast<int8_t>(std::min(127.0f, std::max(-128.0f, v)));
    }
  }
}

Linear::~Linear() {
  if (op_) xnn_delete_operator(op_);
  for (xnn_operator_t op : f32_blocks_) xnn_delete_operator(op);
}

const int8_t* Linear::RowsOf(std::vector<int8_t>* scratch) const {
  if (w_layout_ == Int8Layout::kRows) return w_i8_;
  scratch->resize(out_ * in_ + kWeightSlackBytes);
  unpack_8c2(scratch->data(), w_i8_, out_, in_);
  return scratch->data();
}

Status Linear::Init(size_t in, size_t out, size_t y_stride, const float* w_f32, const int8_t* w_i8, Int8Layout layout,
                    const float* scales, const float* bias, Int8Input input, Int8Gemm gemm) {
  HL_RETURN_IF_ERROR(InitXnnpack());
  in_ = in; out_ = out; y_stride_ = y_stride; input_ = input;
  w_f32_ = w_f32; w_i8_ = w_i8; w_layout_ = layout; scales_ = scales; bias_ = bias;
  xnn_status s;
  std::vector<int8_t> rows;  // XNNPACK packs from rows: panels are unpacked here for it, then dropped
  if (w_i8 && input == Int8Input::kF32) {
    // No bias here: this XNNPACK's f32_qc8w kernels start the sum at the bias and multiply the whole
    // sum by the channel scale, so a bias would come out scaled. RunF32Int8 adds it after.
    s = xnn_create_fully_connected_nc_f32_qc8w(in, out, in, y_stride, scales, RowsOf(&rows), nullptr, -kInf, kInf, 0, nullptr,
                                               nullptr, &op_);
    if (s != xnn_status_success) return XnnError("xnn_create_fully_connected_nc_f32_qc8w", s);
  } else if (w_i8 && (gemm == Int8Gemm::kHeadlight || gemm == Int8Gemm::kHeadlightRelaxed)) {
#if defined(__wasm_simd128__)
    headlight_gemm_ = true;
#if defined(__wasm_relaxed_simd__)
    relaxed_gemm_ = gemm == Int8Gemm::kHeadlightRelaxed;
#else
    if (gemm == Int8Gemm::kHeadlightRelaxed) return Internal("Headlight's relaxed int8 GEMM needs a relaxed-SIMD build");
#endif
    if (layout == Int8Layout::kPanels8c2) {
      HL_RETURN_IF_ERROR(pack_qc8w_8c2(&packed_, w_i8, layout, scales, bias, out, in));
      packed_ready_ = true;
    }
#else
    return Internal("Headlight's int8 GEMM needs a wasm SIMD build");
#endif
  } else if (w_i8) {
    s = xnn_create_fully_connected_nc_qd8_f32_qc8w(in, out, in, y_stride, scales, RowsOf(&rows), bias, -kInf, kInf, 0,
                                                   nullptr, nullptr, &op_);
    if (s != xnn_status_success) return XnnError("xnn_create_fully_connected_nc_qd8_f32_qc8w", s);
  } else {
    // K blocks: block 0 (with the bias) writes y, the others a partial buffer that is added to y.
    // XNNPACK packs weights at creation, so each block's slice [out][k] is only needed until then.
    std::vector<float> slice;
    for (size_t k0 = 0; k0 < in; k0 += kF32BlockK) {
      const size_t k = std::min(kF32BlockK, in - k0);
      slice.resize(out * k + kWeightSlackBytes / sizeof(float));  // XNNPACK may read past its inputs
      for (size_t o = 0; o < out; ++o) std::copy(w_f32 + o * in + k0, w_f32 + o * in + k0 + k, slice.begin() + o * k);
      xnn_operator_t op = nullptr;
      s = xnn_create_fully_connected_nc_f32(k, out, in, k0 == 0 ? y_stride : out, slice.data(), k0 == 0 ? bias : nullptr, -kInf,
                                            kInf, 0, nullptr, nullptr, &op);
      if (s != xnn_status_success) return XnnError("xnn_create_fully_connected_nc_f32", s);
      if (k0 == 0) op_ = op; else f32_blocks_.push_back(op);
    }
  }
  return Status::Ok();
}

Status Linear::RunF32(float* y, const float* x, size_t n, pthreadpool_t pool) {
  if (!f32_blocks_.empty() && partial_.size() < n * out_ * sizeof(float) && !partial_.allocate(n * out_ * sizeof(float)))
    return OutOfMemory("linear layer partial sums");
  for (size_t b = 0; b <= f32_blocks_.size(); ++b) {
    xnn_operator_t op = b == 0 ? op_ : f32_blocks_[b - 1];
    float* dst = b == 0 ? y : partial_.as<float>();
    xnn_status s = xnn_reshape_fully_connected_nc_f32(op, n, pool);
    if (s != xnn_status_success) return XnnError("reshape f32 fully-connected", s);
    s = xnn_setup_fully_connected_nc_f32(op, x + b * kF32BlockK, dst);
    if (s != xnn_status_success) return XnnError("setup f32 fully-connected", s);
    s = xnn_run_operator(op, pool);
    if (s != xnn_status_success) return XnnError("f32 fully-connected", s);
    if (b == 0) continue;
    const float* p = partial_.as<float>();  // [n][out]
    for (size_t i = 0; i < n; ++i)
      for (size_t o = 0; o < out_; ++o) y[i * y_stride_ + o] += p[i * out_ + o];
  }
  return Status::Ok();
}

Status Linear::RunF32Int8(float* y, const float* x, size_t n, pthreadpool_t pool) {
  xnn_status s = xnn_reshape_fully_connected_nc_f32_qc8w(op_, n, pool);
  if (s != xnn_status_success) return XnnError("reshape f32_qc8w fully-connected", s);
  s = xnn_setup_fully_connected_nc_f32_qc8w(op_, x, y);
  if (s != xnn_status_success) return XnnError("setup f32_qc8w fully-connected", s);
  s = xnn_run_operator(op_, pool);
  if (s != xnn_status_success) return XnnError("f32_qc8w fully-connected", s);
  if (bias_)
    for (size_t i = 0; i < n; ++i)
      for (size_t o = 0; o < out_; ++o) y[i * y_stride_ + o] += bias_[o];
  return Status::Ok();
}

Status Linear::Run(float* y, const float* x, QuantizedRows* xq, size_t n, pthreadpool_t pool) {
  xnn_status s;
  if (w_i8_ && input_ == Int8Input::kF32) return RunF32Int8(y, x, n, pool);
  if (w_i8_) {
    if (!xq || xq->n != n || xq->k != in_) return Internal("Linear::Run: activations not quantized for this shape");
#if defined(__wasm_simd128__)
    if (headlight_gemm_) {
      if (!packed_ready_) HL_RETURN_IF_ERROR(pack_qc8w_8c2(&packed_, w_i8_, w_layout_, scales_, bias_, out_, in_));
      packed_ready_ = true;
#if defined(__wasm_relaxed_simd__)
      if (relaxed_gemm_) {
        if (!packed_.colsum.size()) HL_RETURN_IF_ERROR(column_sums_8c2(&packed_));
        if (!xq->relaxed_ready)
          HL_RETURN_IF_ERROR(relax_qd8_rows(&xq->relaxed, xq->q.as<int8_t>(), n, in_, relaxed_dot_lowering() == RelaxedDot::kUnsigned));
        xq->relaxed_ready = true;
        gemm_qd8_f32_qc8w__wasmrelaxed(y, y_stride_, xq->relaxed, xq->params.data(), packed_, pool);
        return Status::Ok();
      }
#endif
      if (!xq->widened) HL_RETURN_IF_ERROR(widen_qd8_rows(&xq->wide, xq->q.as<int8_t>(), xq->params.data(), n, in_));
      xq->widened = true;
      gemm_qd8_f32_qc8w__wasmsimd(y, y_stride_, xq->wide, xq->params.data(), packed_, pool);
      return Status::Ok();
    }
#endif
    s = xnn_reshape_fully_connected_nc_qd8_f32_qc8w(op_, n, pool);
    if (s != xnn_status_success) return XnnError("reshape qd8 fully-connected", s);
    s = xnn_setup_fully_connected_nc_qd8_f32_qc8w(op_, xq->q.as<int8_t>(), y, xq->params.data());
    if (s != xnn_status_success) return XnnError("setup qd8 fully-connected", s);
    s = xnn_run_operator(op_, pool);
    return s == xnn_status_success ? Status::Ok() : XnnError("fully-connected", s);
  }
  return RunF32(y, x, n, pool);
}

void Linear::Run__ref(float* y, const float* x, size_t n) const {
  std::vector<int8_t> scratch;
  const int8_t* w_i8 = w_i8_ ? RowsOf(&scratch) : nullptr;  // [out][in]
  if (w_i8 && input_ == Int8Input::kF32) {
    for (size_t i = 0; i < n; ++i)
      for (size_t o = 0; o < out_; ++o) {
        double acc = 0.0;
        for (size_t c = 0; c < in_; ++c) acc += static_cast<double>(x[i * in_ + c]) * w_i8[o * in_ + c];
        y[i * y_stride_ + o] = static_cast<float>(acc) * scales_[o] + (bias_ ? bias_[o] : 0.0f);
      }
  } else if (w_i8) {
    QuantizedRows xq;
    quantize_rows_qd8__ref(&xq, x, n, in_);
    gemm_qd8_f32_qc8w__ref(y, y_stride_, xq.q.as<int8_t>(), xq.params.data(), w_i8, scales_, bias_, n, out_, in_);
  } else {
    for (size_t i = 0; i < n; ++i)
      for (size_t o = 0; o < out_; ++o) {
        double acc = bias_ ? bias_[o] : 0.0;
        for (size_t c = 0; c < in_; ++c) acc += static_cast<double>(x[i * in_ + c]) * w_f32_[o * in_ + c];
        y[i * y_stride_ + o] = static_cast<float>(acc);
      }
  }
}

void Linear::WeightsTransposed(float* wt) const {
  std::vector<int8_t> scratch;
  const int8_t* w_i8 = w_i8_ ? RowsOf(&scratch) : nullptr;  // [out][in]
  for (size_t o = 0; o < out_; ++o)
    for (size_t c = 0; c < in_; ++c)
      wt[c * out_ + o] = w_i8 ? static_cast<float>(w_i8[o * in_ + c]) * scales_[o] : w_f32_[o * in_ + c];
}

}  // namespace hl
