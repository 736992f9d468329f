// Headlight's int8 GEMM (qd8 activations × qc8w weights → f32) for wasm SIMD, with packing, widening and a reference.
#include "ops/gemm_qd8.h"

#include <algorithm>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace hl {

uint64_t panels_8c2_bytes(uint64_t out, uint64_t k) { return (out + kGemmNR - 1) / kGemmNR * ((k + 1) / 2) * kGemmNR * 2; }

void pack_8c2(int8_t* panels, const int8_t* w, size_t out, size_t k) {
  const size_t kp = (k + 1) / 2, panel_bytes = kp * kGemmNR * 2;
  std::memset(panels, 0, static_cast<size_t>(panels_8c2_bytes(out, k)));
  for (size_t o = 0; o < out; ++o) {
    int8_t* dst = panels + o / kGemmNR * panel_bytes + o % kGemmNR * 2;  // pair j of this column at dst + j·16
    const int8_t* src = w + o * k;
    // Whole pairs as 2-byte copies (the panel being written, 8·k bytes, stays in L1). Byte by byte, packing bert-base's
    // 85 M weights took 85 ms more of its load time under Node (loadModel 300 → 215 ms).
    for (size_t j = 0; j < k / 2; ++j) std::memcpy(dst + j * kGemmNR * 2, src + 2 * j, 2);
    if (k % 2) dst[(k / 2) * kGemmNR * 2] = src[k - 1];
  }
}

void unpack_8c2(int8_t* w, const int8_t* panels, size_t out, size_t k) {
  const size_t panel_bytes = (k + 1) / 2 * kGemmNR * 2;
  for (size_t o = 0; o < out; ++o) {
    const int8_t* src = panels + o / kGemmNR * panel_bytes + o % kGemmNR * 2;
    for (size_t c = 0; c < k; ++c) w[o * k + c] = src[c / 2 * kGemmNR * 2 + c % 2];
  }
}

Status pack_qc8w_8c2(PackedQc8w* p, const int8_t* w, Int8Layout layout, const float* scales, const float* bias, size_t out,
                     size_t k) {
  p->kp = (k + 1) / 2;
  p->out = out;
  p->panels = (out + kGemmNR - 1) / kGemmNR;
  if (!p->scale_bias.allocate(p->panels * 2 * kGemmNR * sizeof(float))) return OutOfMemory("packed int8 weights");
  if (layout == Int8Layout::kPanels8c2) {
    p->w = w;
  } else {
    if (!p->owned.allocate(static_cast<size_t>(panels_8c2_bytes(out, k)))) return OutOfMemory("packed int8 weights");
    pack_8c2(p->owned.as<int8_t>(), w, out, k);
    p->w = p->owned.as<int8_t>();
  }
  float* sb = p->scale_bias.as<float>();  // [panels][2][8]
  std::memset(sb, 0, p->scale_bias.size());
  for (size_t o = 0; o < out; ++o) {
    const size_t panel = o / kGemmNR, col = o % kGemmNR;
    sb[panel * 2 * kGemmNR + col] = scales[o];
    sb[panel * 2 * kGemmNR + kGemmNR + col] = bias ? bias[o] : 0.0f;
  }
  return Status::Ok();
}

Status widen_qd8_rows(WidenedRows* out, const int8_t* q, const xnn_quantization_params* params, size_t n, size_t k) {
  const size_t stride = (k + 1) / 2 * 2;
  if (out->x16.size() < n * stride * sizeof(int16_t) && !out->x16.allocate(n * stride * sizeof(int16_t)))
    return OutOfMemory("widened activations");
  out->n = n;
  out->stride = stride;
  int16_t* x = out->x16.as<int16_t>();
  for (size_t i = 0; i < n; ++i) {
    const int16_t zp = static_cast<int16_t>(params[i].zero_point);
    for (size_t c = 0; c < k; ++c) x[i * stride + c] = static_cast<int16_t>(q[i * k + c] - zp);
    if (stride != k) x[i * stride + k] = 0;
  }
  return Status::Ok();
}

void gemm_qd8_f32_qc8w__ref(float* y, size_t y_stride, const int8_t* q, const xnn_quantization_params* params, const int8_t* w,
                            const float* scales, const float* bias, size_t n, size_t out, size_t k) {
  for (size_t i = 0; i < n; ++i)
    for (size_t o = 0; o < out; ++o) {
      int32_t acc = 0;
      for (size_t c = 0; c < k; ++c) acc += (static_cast<int32_t>(q[i * k + c]) - params[i].zero_point) * w[o * k + c];
      y[i * y_stride + o] = static_cast<float>(acc) * params[i].scale * scales[o] + (bias ? bias[o] : 0.0f);
    }
}

#if defined(__wasm_simd128__)

namespace {

// The tile's epilogue, as XNNPACK's qd8_f32_qc8w kernels do it: int32 sums [MR][8] → ·row scale → ·column scale → +bias,
// rows [0, mr) stored, the first nc columns.
template <size_t MR>
void store_tile(const v128_t (&acc)[MR][2], size_t mr, const xnn_quantization_params* params, const float* scale_bias, float* y,
                size_t y_stride, size_t nc) {
  const v128_t scale0 = wasm_v128_load(scale_bias), scale1 = wasm_v128_load(scale_bias + 4);
  const v128_t bias0 = wasm_v128_load(scale_bias + 8), bias1 = wasm_v128_load(scale_bias + 12);
  for (size_t r = 0; r < mr; ++r) {
    const v128_t xs = wasm_f32x4_splat(params[r].scale);
    const v128_t v0 = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[r][0]), xs), scale0), bias0);
    const v128_t v1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[r][1]), xs), scale1), bias1);
    float* yr = y + r * y_stride;
    if (nc == kGemmNR) {
      wasm_v128_store(yr, v0);
      wasm_v128_store(yr + 4, v1);
    } else {
      alignas(16) float tmp[kGemmNR];
      wasm_v128_store(tmp, v0);
      wasm_v128_store(tmp + 4, v1);
      std::memcpy(yr, tmp, nc * sizeof(float));
    }
  }
}

// One tile: rows [0, mr) of x (mr ≤ MR; missing rows re-read the last one and are not stored) × one panel of 8 columns.
// Per input pair: the panel's 16 bytes (8 columns × 2 channels) as two sign-extending loads (columns 0–3, 4–7), and per
// row a 32-bit splat of its two int16 activations; i32x4.dot_i16x8_s sums each pair into the column's lane. In V8 on
// x86 that is 16 pmaddwd + 16 paddd per 128 MACs plus 6 loads, near plain SIMD's bound of 8 MACs per pmaddwd.
template <size_t MR>
void gemm_qd8_f32_qc8w_ukernel_4x8c2__wasmsimd(size_t mr, size_t kp, const int16_t* x, size_t x_stride,
                                               const xnn_quantization_params* params, const int8_t* w, const float* scale_bias,
                                               float* y, size_t y_stride, size_t nc) {
  const int16_t* xr[MR];
  for (size_t r = 0; r < MR; ++r) xr[r] = x + std::min(r, mr - 1) * x_stride;
  v128_t acc[MR][2];
  for (size_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = wasm_i32x4_const_splat(0);
#pragma clang loop unroll(disable)  // unrolled, V8 spills accumulators to the stack
  for (size_t p = 0; p < kp; ++p) {
    const v128_t w0123 = wasm_i16x8_load8x8(w + p * 16);
    const v128_t w4567 = wasm_i16x8_load8x8(w + p * 16 + 8);
    for (size_t r = 0; r < MR; ++r) {
      const v128_t xp = wasm_v128_load32_splat(xr[r] + 2 * p);
      acc[r][0] = wasm_i32x4_add(acc[r][0], wasm_i32x4_dot_i16x8(xp, w0123));
      acc[r][1] = wasm_i32x4_add(acc[r][1], wasm_i32x4_dot_i16x8(xp, w4567));
    }
  }
  store_tile<MR>(acc, mr, params, scale_bias, y, y_stride, nc);
}

#if defined(__wasm_relaxed_simd__)
// One tile on the relaxed dot: per two input pairs (4 channels), the panel's 32 bytes interleaved by 16-bit lanes into
// columns 0–3 and 4–7 × 4 channels (two shuffles), per row a 32-bit splat of its 4 activations, and 2 relaxed dots.
template <size_t MR>
void gemm_qd8_f32_qc8w_ukernel_4x8c4__wasmrelaxed(size_t mr, size_t kp, const int8_t* x, size_t x_stride,
                                                  const xnn_quantization_params* params, int32_t offset, const int8_t* w,
                                                  const float* scale_bias, const int32_t* colsum, float* y, size_t y_stride,
                                                  size_t nc) {
  const int8_t* xr[MR];
  for (size_t r = 0; r < MR; ++r) xr[r] = x + std::min(r, mr - 1) * x_stride;
  v128_t acc[MR][2];
  for (size_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = wasm_i32x4_const_splat(0);
  const auto step = [&](v128_t v0, v128_t v1, size_t p) {  // pairs p, p + 1 (v1 zero past the panel's end)
    const v128_t w0123 = wasm_i16x8_shuffle(v0, v1, 0, 8, 1, 9, 2, 10, 3, 11);
    const v128_t w4567 = wasm_i16x8_shuffle(v0, v1, 4, 12, 5, 13, 6, 14, 7, 15);
    for (size_t r = 0; r < MR; ++r) {
      const v128_t xq = wasm_v128_load32_splat(xr[r] + 2 * p);
      acc[r][0] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w0123, xq, acc[r][0]);
      acc[r][1] = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(w4567, xq, acc[r][1]);
    }
  };
  size_t p = 0;
#pragma clang loop unroll(disable)
  for (; p + 2 <= kp; p += 2) step(wasm_v128_load(w + p * 16), wasm_v128_load(w + p * 16 + 16), p);
  if (p < kp) step(wasm_v128_load(w + p * 16), wasm_i32x4_const_splat(0), p);
  const v128_t cs0 = wasm_v128_load(colsum), cs1 = wasm_v128_load(colsum + 4);
  for (size_t r = 0; r < MR; ++r) {  // Σ w·(q − zp) = Σ w·(q + offset) − (offset + zp)·Σ w
    const v128_t off = wasm_i32x4_splat(offset + params[std::min(r, mr - 1)].zero_point);
    acc[r][0] = wasm_i32x4_sub(acc[r][0], wasm_i32x4_mul(off, cs0));
    acc[r][1] = wasm_i32x4_sub(acc[r][1], wasm_i32x4_mul(off, cs1));
  }
  store_tile<MR>(acc, mr, params, scale_bias, y, y_stride, nc);
}
#endif

// Task (row block i, panel j): the block's rows stay in L2 while panels stream past; a panel (8·k bytes) stays in L1.
// Rows: WidenedRows or RelaxedRows; Tile(mr, x rows, x stride, params, panel, scale_bias, column j, y, nc).
template <class Rows, class Tile>
struct GemmTask {
  float* y; size_t y_stride;
  const Rows* x; const xnn_quantization_params* params;
  const PackedQc8w* w;
  size_t rows_per_block;
  Tile tile;
  static void Run(void* context, size_t i, size_t j) {
    const GemmTask& t = *static_cast<const GemmTask*>(context);
    const PackedQc8w& w = *t.w;
    const size_t row_end = std::min(t.x->n, (i + 1) * t.rows_per_block);
    const size_t nc = std::min(kGemmNR, w.out - j * kGemmNR);
    const int8_t* pw = w.w + j * w.kp * kGemmNR * 2;
    const float* sb = w.scale_bias.as<float>() + j * 2 * kGemmNR;
    for (size_t row = i * t.rows_per_block; row < row_end; row += kGemmMR)
      t.tile(std::min(kGemmMR, row_end - row), row, t.params + row, pw, sb, j, t.y + row * t.y_stride + j * kGemmNR, nc);
  }
};

// Row blocks of about 128 KiB of activations or less, equal in size (a multiple of MR rows), × panels, on the pool.
template <class Rows, class Tile>
void run_gemm(float* y, size_t y_stride, const Rows& x, size_t row_bytes, const xnn_quantization_params* params, const PackedQc8w& w,
              pthreadpool_t pool, Tile tile) {
  if (x.n == 0 || w.out == 0) return;
  const size_t blocks = (x.n * row_bytes + 128 * 1024 - 1) / (128 * 1024);
  const size_t rows = ((x.n + blocks - 1) / blocks + kGemmMR - 1) / kGemmMR * kGemmMR;
  GemmTask<Rows, Tile> task{y, y_stride, &x, params, &w, rows, tile};
  pthreadpool_parallelize_2d(pool, GemmTask<Rows, Tile>::Run, &task, (x.n + rows - 1) / rows, w.panels, 0);
}

}  // namespace

void gemm_qd8_f32_qc8w__wasmsimd(float* y, size_t y_stride, const WidenedRows& x, const xnn_quantization_params* params,
                                 const PackedQc8w& w, pthreadpool_t pool) {
  const int16_t* x16 = x.x16.as<int16_t>();
  const size_t stride = x.stride, kp = w.kp;
  run_gemm(y, y_stride, x, stride * sizeof(int16_t), params, w, pool,
           [=](size_t mr, size_t row, const xnn_quantization_params* p, const int8_t* pw, const float* sb, size_t, float* yt, size_t nc) {
             gemm_qd8_f32_qc8w_ukernel_4x8c2__wasmsimd<kGemmMR>(mr, kp, x16 + row * stride, stride, p, pw, sb, yt, y_stride, nc);
           });
}

#endif  // __wasm_simd128__

#if defined(__wasm_relaxed_simd__)
RelaxedDot relaxed_dot_lowering() {
  static const RelaxedDot lowering = [] {  // probed once: it cannot change while the module runs
    const volatile v128_t b = wasm_i8x16_const(-128, -128, -128, -128, -128, -128, -1, -1, -1, -1, -128, -128, -1, -1, -1, -1);
    const v128_t r = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(wasm_i8x16_const_splat(-128), b, wasm_i32x4_const_splat(0));
    if (!wasm_v128_any_true(wasm_v128_xor(r, wasm_i32x4_const(65536, 33024, 33024, 512)))) return RelaxedDot::kSigned;
    if (!wasm_v128_any_true(wasm_v128_xor(r, wasm_i32x4_const(-65536, -98048, -98048, -130560)))) return RelaxedDot::kUnsigned;
    return RelaxedDot::kInexact;
  }();
  return lowering;
}

Status relax_qd8_rows(RelaxedRows* out, const int8_t* q, size_t n, size_t k, bool unsigned_dot) {
  const size_t stride = (k + 3) / 4 * 4;
  if (out->x8.size() < n * stride && !out->x8.allocate(n * stride)) return OutOfMemory("relaxed-dot activations");
  out->n = n;
  out->stride = stride;
  out->offset = unsigned_dot ? 128 : 0;
  const uint8_t flip = unsigned_dot ? 0x80 : 0;
  int8_t* x = out->x8.as<int8_t>();
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < k; ++c) x[i * stride + c] = static_cast<int8_t>(static_cast<uint8_t>(q[i * k + c]) ^ flip);
    for (size_t c = k; c < stride; ++c) x[i * stride + c] = 0;
  }
  return Status::Ok();
}

Status column_sums_8c2(PackedQc8w* w) {
  if (!w->colsum.allocate(w->panels * kGemmNR * sizeof(int32_t))) return OutOfMemory("int8 weights' column sums");
  int32_t* cs = w->colsum.as<int32_t>();  // [panels][8]
  for (size_t j = 0; j < w->panels; ++j) {
    const int8_t* panel = w->w + j * w->kp * kGemmNR * 2;  // [kp][8][2]
    for (size_t c = 0; c < kGemmNR; ++c) {
      int32_t sum = 0;
      for (size_t p = 0; p < w->kp; ++p) sum += panel[p * 16 + 2 * c] + panel[p * 16 + 2 * c + 1];
      cs[j * kGemmNR + c] = sum;
    }
  }
  return Status::Ok();
}

void gemm_qd8_f32_qc8w__wasmrelaxed(float* y, size_t y_stride, const RelaxedRows& x, const xnn_quantization_params* params,
                                    const PackedQc8w& w, pthreadpool_t pool) {
  const int8_t* x8 = x.x8.as<int8_t>();
  const int32_t* colsum = w.colsum.as<int32_t>();
  const size_t stride = x.stride, kp = w.kp;
  const int32_t offset = x.offset;
  run_gemm(y, y_stride, x, stride, params, w, pool,
           [=](size_t mr, size_t row, const xnn_quantization_params* p, const int8_t* pw, const float* sb, size_t j, float* yt, size_t nc) {
             gemm_qd8_f32_qc8w_ukernel_4x8c4__wasmrelaxed<kGemmMR>(mr, kp, x8 + row * stride, stride, p, offset, pw, sb,
                                                                   colsum + j * kGemmNR, yt, y_stride, nc);
           });
}
#endif  // __wasm_relaxed_simd__

}  // namespace hl
