// WebAssembly SIMD128 helpers shared by the __wasmsimd kernels: exp, erfc-based GELU, reductions, tails.
//
// Internal to src/ops (not part of the kernel API). Plain SIMD128 only (no FMA, no relaxed-SIMD ops), so
// results are bitwise identical on every engine that runs the module.
//
// Polynomial coefficients were fitted for this project: linear minimax by Lawson's iteratively reweighted
// least squares in long double on a Chebyshev basis, converted to monomials and rounded to float, then
// checked in float arithmetic. The function, interval and error of each fit are given next to its table.
#pragma once

#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <cstddef>
#include <cstring>

namespace hl::ops::simd {

// ---- loads/stores of a partial vector (the last 1..4 elements of a row) -----------------------------
// count <= 4; on load, lanes >= count are set to `fill`.
static inline v128_t load_tail(const float* p, size_t count, float fill) {
  float tmp[4] = {fill, fill, fill, fill};
  std::memcpy(tmp, p, count * sizeof(float));
  return wasm_v128_load(tmp);
}
static inline void store_tail(float* p, v128_t v, size_t count) {
  float tmp[4];
  wasm_v128_store(tmp, v);
  std::memcpy(p, tmp, count * sizeof(float));
}

// ---- horizontal reductions ----------------------------------------------------------------------------
static inline float hsum(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}
// pmax (one x86 instruction): a NaN lane may or may not win; callers must not rely on it.
static inline float hmax(v128_t v) {
  v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

// ---- constants ----------------------------------------------------------------------------------------
// Kernels load their constants once per call through splat_opaque() and pass them down. Written as
// literals, clang emits a v128.const at every use inside the loop, and V8 (11.x) rebuilds each one with
// several instructions per iteration; a value the compiler cannot see through stays in a register (or
// a stack slot used as a memory operand). Measured: exp over 256K floats 0.50 ms -> 0.37 ms.
static inline v128_t splat_opaque(const float* p) {
  return wasm_f32x4_splat(*static_cast<const volatile float*>(p));
}

// ---- exp ------------------------------------------------------------------------------------------------
// exp(x) for x <= 88.37 (callers here only pass x <= 0); max error 0.96 ulp on [-87.3, 0] (measured).
// Method: Cody-Waite range reduction x = n*ln2 + r, |r| <= ln2/2, with ln2 split in two so n*ln2_hi is
// exact; exp(r) ~= 1 + r + r^2*P(r), P of degree 4 minimax for relative error (3.1e-9 before rounding).
// n is rounded with the "magic number" trick (adding 1.5*2^23 leaves round(v) in the low mantissa bits;
// the +127 bias comes along, so shifting those bits left by 23 gives the float 2^n directly): cheaper in
// V8 than f32x4.nearest + i32x4.trunc_sat. x < -87.336544 (where exp is subnormal) gives 0, -inf gives 0,
// NaN gives NaN. pmax/lt are used because they map to single x86 instructions (wasm's max does not);
// pmax(x, lo) = (x < lo ? lo : x) keeps a NaN x.
struct ExpConsts {
  v128_t lo, log2e, magic, ln2_hi, ln2_lo, c0, c1, c2, c3, c4, one;
};
static inline ExpConsts exp_consts() {
  static const float k[11] = {
      -87.336544f,             // ln(FLT_MIN): n >= -126 keeps 2^n normal
      1.44269504f,             // log2(e)
      12583039.0f,             // 1.5 * 2^23 + 127
      0.693145751953125f,      // ln2_hi: 15 significant bits, so n * ln2_hi is exact
      1.428606765330187e-06f,  // ln2_lo = ln2 - ln2_hi
      4.999999404e-01f, 1.666652113e-01f, 4.166838899e-02f, 8.368724026e-03f, 1.381458365e-03f,  // P
      1.0f};
  return ExpConsts{splat_opaque(k + 0), splat_opaque(k + 1), splat_opaque(k + 2),  splat_opaque(k + 3),
                   splat_opaque(k + 4), splat_opaque(k + 5), splat_opaque(k + 6),  splat_opaque(k + 7),
                   splat_opaque(k + 8), splat_opaque(k + 9), splat_opaque(k + 10)};
}
static inline v128_t exp_f32x4(v128_t x, const ExpConsts& k) {
  const v128_t xc = wasm_f32x4_pmax(x, k.lo);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, k.log2e), k.magic);  // low bits: round(x*log2e) + 127
  const v128_t n = wasm_f32x4_sub(t, k.magic);                            // round(x*log2e), exact
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, k.ln2_hi));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, k.ln2_lo));
  v128_t p = wasm_f32x4_add(wasm_f32x4_mul(k.c4, r), k.c3);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k.c2);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k.c1);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k.c0);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r);
  p = wasm_f32x4_add(p, k.one);
  const v128_t y = wasm_f32x4_mul(p, wasm_i32x4_shl(t, 23));  // (n + 127) << 23 is the float 2^n
  return wasm_v128_andnot(y, wasm_f32x4_lt(x, k.lo));          // flush the subnormal range (and -inf) to 0
}

// ---- GELU -----------------------------------------------------------------------------------------------
// GELU(x) = x * Phi(x) with Phi(x) = 1 - h for x >= 0 and h for x < 0, h = erfc(|x|/sqrt(2)) / 2.
// erfc is evaluated in the functional form of erfcc in Numerical Recipes (Press et al., 2nd ed., section
// 6.2; akin to Abramowitz & Stegun 7.1.26, which multiplies a polynomial in t by exp(-z^2)):
//   erfc(z) = t * exp(-z^2 + R(t)),   t = 1 / (1 + z/2),   z >= 0,
// which has small RELATIVE error for all z (so the x < 0 tail is accurate too, without the cancellation
// of 1 + erf). R is our own degree-9 minimax fit of ln(erfc(z)/t) + z^2 for z in [0, 9.5]
// (t in [0.1739, 1]); its max error there is 4.3e-8 (relative error of erfc before rounding). Beyond
// z = 9.35 exp underflows to 0, as erfc does in float. z^2 is computed as x*x/2 (one rounding fewer).
// For x >= 0 the result is formed as x - x*h, so the final rounding dominates.
// Measured against a long-double reference over [-12, 12]: |error| <= 1.4e-7 for |x| < 4 and <= half an
// ulp of the result beyond (2.4e-7 at x = 4).
struct GeluConsts {
  ExpConsts e;
  v128_t r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, lo, hi, sqrt_half, half, zero;
};
static inline GeluConsts gelu_consts() {
  static const float k[15] = {
      -1.265426993e+00f, 9.982050657e-01f, 3.903179169e-01f, 1.701803878e-02f, 5.295827240e-02f,   // R
      -1.774804741e-01f, -5.789205432e-01f, 1.068766713e+00f, -6.435412169e-01f, 1.381032169e-01f,
      -20.0f, 20.0f, 0.70710677f, 0.5f, 0.0f};
  return GeluConsts{exp_consts(),        splat_opaque(k + 0),  splat_opaque(k + 1),  splat_opaque(k + 2),
                    splat_opaque(k + 3),  splat_opaque(k + 4),  splat_opaque(k + 5),  splat_opaque(k + 6),
                    splat_opaque(k + 7),  splat_opaque(k + 8),  splat_opaque(k + 9),  splat_opaque(k + 10),
                    splat_opaque(k + 11), splat_opaque(k + 12), splat_opaque(k + 13), splat_opaque(k + 14)};
}
static inline v128_t gelu_f32x4(v128_t x, const GeluConsts& k) {
  // Beyond |x| = 20, h is exactly 0 in float (exp underflows). Clamping keeps +-inf from giving
  // inf * 0 = NaN: GELU(-inf) = -20 * 0 = -0, GELU(+inf) = inf - 0 = inf. In this argument order
  // pmax/pmin return a NaN x unchanged.
  const v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, k.lo), k.hi);
  const v128_t z = wasm_f32x4_mul(wasm_f32x4_abs(xc), k.sqrt_half);
  const v128_t t = wasm_f32x4_div(k.e.one, wasm_f32x4_add(k.e.one, wasm_f32x4_mul(k.half, z)));
  v128_t r = wasm_f32x4_add(wasm_f32x4_mul(k.r9, t), k.r8);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r7);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r6);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r5);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r4);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r3);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r2);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r1);
  r = wasm_f32x4_add(wasm_f32x4_mul(r, t), k.r0);
  const v128_t z2 = wasm_f32x4_mul(wasm_f32x4_mul(xc, xc), k.half);
  const v128_t erfc = wasm_f32x4_mul(t, exp_f32x4(wasm_f32x4_sub(r, z2), k.e));
  const v128_t xh = wasm_f32x4_mul(xc, wasm_f32x4_mul(k.half, erfc));  // x * erfc(|x|/sqrt2)/2
  // x < 0: x*h;  x >= 0 (and NaN): x - x*h.
  return wasm_v128_bitselect(xh, wasm_f32x4_sub(x, xh), wasm_f32x4_lt(x, k.zero));
}

// ---- softmax of one row -----------------------------------------------------------------------------------
// y[0..n) = softmax(x[0..n)); y may alias x. Semantics as hl::ops::softmax_rows_f32 (ops.h).
static inline void softmax_row(float* y, const float* x, size_t n, const ExpConsts& k) {
  const v128_t neg_inf = wasm_f32x4_splat(-__builtin_inff());
  // Pass 1: row maximum. pmax skips NaN entries; they still turn the row into NaN in pass 2
  // (exp(NaN) = NaN enters the sum), except in the all -inf/NaN case, which checks for them.
  v128_t m0 = neg_inf, m1 = neg_inf;
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + j));
    m1 = wasm_f32x4_pmax(m1, wasm_v128_load(x + j + 4));
  }
  for (; j + 4 <= n; j += 4) m0 = wasm_f32x4_pmax(m0, wasm_v128_load(x + j));
  if (j < n) m1 = wasm_f32x4_pmax(m1, load_tail(x + j, n - j, -__builtin_inff()));
  const float mx = hmax(wasm_f32x4_pmax(m0, m1));
  if (mx == -__builtin_inff()) {  // every entry is -inf: uniform row (documented in ops.h)
    float u = 1.0f / static_cast<float>(n);
    for (size_t i = 0; i < n; ++i)
      if (x[i] != x[i]) u = x[i];  // ... unless there is a NaN
    for (size_t i = 0; i < n; ++i) y[i] = u;
    return;
  }
  // Pass 2: y = exp(x - max), summed. The sum is kept in double (f64x2 lanes; pairs of vectors are added
  // in float first, one rounding), so the probabilities are within ~2 ulps whatever the row length.
  const v128_t vmx = wasm_f32x4_splat(mx);
  v128_t d0 = wasm_f64x2_splat(0.0), d1 = d0;
  j = 0;
  for (; j + 8 <= n; j += 8) {
    const v128_t e0 = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + j), vmx), k);
    const v128_t e1 = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + j + 4), vmx), k);
    wasm_v128_store(y + j, e0);
    wasm_v128_store(y + j + 4, e1);
    const v128_t e = wasm_f32x4_add(e0, e1);
    d0 = wasm_f64x2_add(d0, wasm_f64x2_promote_low_f32x4(e));
    d1 = wasm_f64x2_add(d1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 2, 3)));
  }
  for (; j < n; j += 4) {
    const size_t m = n - j < 4 ? n - j : 4;
    const v128_t e = exp_f32x4(wasm_f32x4_sub(load_tail(x + j, m, -__builtin_inff()), vmx), k);  // pad -> 0
    store_tail(y + j, e, m);
    d0 = wasm_f64x2_add(d0, wasm_f64x2_promote_low_f32x4(e));
    d1 = wasm_f64x2_add(d1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 2, 3)));
  }
  // Pass 3: normalise (sum >= 1 because the max element contributes exp(0) = 1).
  const v128_t dsum = wasm_f64x2_add(d0, d1);
  const double sum = wasm_f64x2_extract_lane(dsum, 0) + wasm_f64x2_extract_lane(dsum, 1);
  const v128_t inv = wasm_f32x4_splat(static_cast<float>(1.0 / sum));
  j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(y + j, wasm_f32x4_mul(wasm_v128_load(y + j), inv));
  for (; j < n; ++j) y[j] *= wasm_f32x4_extract_lane(inv, 0);
}

}  // namespace hl::ops::simd

#endif  // __wasm_simd128__
