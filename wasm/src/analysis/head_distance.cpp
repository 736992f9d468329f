// Head distances: a vectorizable log, row JS divergence, and the all-pairs accumulator (Σ p ln p per row precomputed).
#include "analysis/head_distance.h"

#include <algorithm>
#include <cstring>

namespace hl {

namespace {

inline double BitsToDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

inline uint64_t DoubleToBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}

// Σ buf [n] with four partial sums (a fixed order: deterministic, and faster than one chain).
double SumOf(const double* buf, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    s0 += buf[j];
    s1 += buf[j + 1];
    s2 += buf[j + 2];
    s3 += buf[j + 3];
  }
  for (; j < n; ++j) s0 += buf[j];
  return (s0 + s1) + (s2 + s3);
}

constexpr size_t kChunk = 256;  // terms computed per pass before summing (stays in L1)

// Natively on x86-64 the two Σ x ln x loops are also compiled for AVX2 + FMA and picked at load time (3× faster
// than SSE2 here: 144 heads × 512 tokens in about 3 s instead of 11 s); wasm and other targets get one version.
#if defined(__x86_64__) && !defined(__EMSCRIPTEN__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define HL_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef HL_VECTOR_CLONES
#define HL_VECTOR_CLONES
#endif

// LogPositive's body, forced inline so that the loops below vectorize (GCC would not inline it at -O3).
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline double LogInline(double x) {
  // x = 2^e·m with m in [√½, √2): adding 1 − √½ (as bit patterns) carries into the exponent exactly when the
  // mantissa is ≥ √2/2·2, so the exponent bits of t are e + 1023 and m keeps x's mantissa under exponent e.
  const uint64_t bits = DoubleToBits(x);
  const uint64_t t = bits + (0x3FF0000000000000ULL - 0x3FE6A09E667F3BCDULL);  // 0x3FE6A09E667F3BCD = √½
  const double m = BitsToDouble(bits - (t & 0xFFF0000000000000ULL) + 0x3FF0000000000000ULL);
  // e as a double: the biased exponent placed in the mantissa of 2^52, minus 2^52 and the bias
  const double e = BitsToDouble(0x4330000000000000ULL | (t >> 52)) - 4503599627370496.0 - 1023.0;
  // ln m = 2 atanh(s) = 2s + s·R(s²), s = (m-1)/(m+1), |s| ≤ 0.1716; R is fdlibm's minimax polynomial (error < 2^-58)
  const double s = (m - 1.0) / (m + 1.0), z = s * s;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  const double r = z * (kLg1 + z * (kLg2 + z * (kLg3 + z * (kLg4 + z * (kLg5 + z * (kLg6 + z * kLg7))))));
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;  // hi has 20 zero low bits
  return e * kLn2Hi + ((2.0 * s + s * r) + e * kLn2Lo);
}

}  // namespace

double LogPositive(double x) { return LogInline(x); }

HL_VECTOR_CLONES double SumXLogX(const double* x, size_t n) {
  double buf[kChunk];  // [kChunk]
  double total = 0;
  for (size_t j0 = 0; j0 < n; j0 += kChunk) {
    const size_t len = std::min(kChunk, n - j0);
    for (size_t j = 0; j < len; ++j) buf[j] = x[j0 + j] * LogInline(x[j0 + j]);
    total += SumOf(buf, len);
  }
  return total;
}

// Σ m ln m, m = (p+q)/2, chunked like SumXLogX so that p == q gives exactly SumXLogX(p).
HL_VECTOR_CLONES static double SumMidXLogX(const double* p, const double* q, size_t n) {
  double buf[kChunk];  // [kChunk]
  double total = 0;
  for (size_t j0 = 0; j0 < n; j0 += kChunk) {
    const size_t len = std::min(kChunk, n - j0);
    for (size_t j = 0; j < len; ++j) {
      const double m = 0.5 * (p[j0 + j] + q[j0 + j]);
      buf[j] = m * LogInline(m);
    }
    total += SumOf(buf, len);
  }
  return total;
}

double JsDivergence(const double* p, const double* q, size_t n) {
  // ½KL(p‖m) + ½KL(q‖m) = ½(Σp ln p + Σq ln q) − Σm ln m, as m = (p+q)/2
  const double js = 0.5 * (SumXLogX(p, n) + SumXLogX(q, n)) - SumMidXLogX(p, q, n);
  return std::max(js, 0.0);
}

void InitDistanceSums(DistanceSums* sums, size_t total_heads) {
  sums->total_heads = total_heads;
  sums->texts = 0;
  sums->rows = 0;
  sums->sum.assign(total_heads * total_heads, 0.0);
}

void AddHeadDistances(DistanceSums* sums, const float* attention, size_t total_heads, size_t n) {
  const size_t H = total_heads;
  if (sums->total_heads != H || sums->sum.size() != H * H) InitDistanceSums(sums, H);
  std::vector<double> rows(H * n);         // [H][n] row i of every head, smoothed
  std::vector<double> plogp(H);            // [H] Σ p ln p of those rows
  std::vector<double> upper(H * H, 0.0);   // [H][H] this text's sums, h1 < h2 only
  const double a = 0.999, b = 0.001 / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t h = 0; h < H; ++h) {
      const float* src = attention + (h * n + i) * n;
      double* dst = rows.data() + h * n;
      for (size_t j = 0; j < n; ++j) dst[j] = a * static_cast<double>(src[j]) + b;
      plogp[h] = SumXLogX(dst, n);
    }
    for (size_t h1 = 0; h1 < H; ++h1) {
      const double* p = rows.data() + h1 * n;
      for (size_t h2 = h1 + 1; h2 < H; ++h2) {
        const double js = 0.5 * (plogp[h1] + plogp[h2]) - SumMidXLogX(p, rows.data() + h2 * n, n);
        upper[h1 * H + h2] += std::max(js, 0.0);
      }
    }
  }
  for (size_t h1 = 0; h1 < H; ++h1)
    for (size_t h2 = h1 + 1; h2 < H; ++h2) {
      sums->sum[h1 * H + h2] += upper[h1 * H + h2];
      sums->sum[h2 * H + h1] += upper[h1 * H + h2];
    }
  sums->texts += 1;
  sums->rows += static_cast<int64_t>(n);
}

}  // namespace hl
