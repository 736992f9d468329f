// Tests of the engine's compute kernels: known values, special values, and the dispatched (fast) kernels vs __ref.
//
// Under Emscripten the dispatched names run the __wasmsimd kernels, so "fast vs ref" compares two
// implementations. Natively both are the reference, which is why every kernel also has tests against
// values computed independently (mpmath at 30 digits, or double-precision formulas here).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ops/ops.h"
#if defined(__wasm_simd128__)
#include "ops/vec_math.h"  // internal SIMD helpers, tested directly below
#endif

namespace {

using hl::ops::add_layernorm_f32;
using hl::ops::add_layernorm_f32__ref;
using hl::ops::attention_head_f32;
using hl::ops::attention_head_f32__ref;
using hl::ops::attention_head_scratch_floats;
using hl::ops::gelu_f32;
using hl::ops::gelu_f32__ref;
using hl::ops::layernorm_f32;
using hl::ops::layernorm_f32__ref;
using hl::ops::softmax_rows_f32;
using hl::ops::softmax_rows_f32__ref;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kFloatEps = 1.1920928955078125e-7;  // 2^-23, one ulp of 1.0f

// Sizes around the SIMD widths (4-float vectors, 8-wide unrolls and tiles) plus typical BERT sizes.
const std::vector<size_t> kSizes = {1,  2,  3,  4,  5,   6,   7,   8,   9,   10,  11, 12, 13, 14,
                                    15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 512};

std::vector<float> random_floats(std::mt19937& rng, size_t count, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);  // [count]
  for (float& f : v) f = dist(rng);
  return v;
}

// The worst element of got vs want, measured as |got - want| / (abs_tol + rel_tol * |want|): <= 1 passes.
// NaN must meet NaN and an infinity the same infinity.
struct Mismatch {
  double ratio = 0.0;
  size_t index = 0;
  float got = 0.0f;
  double want = 0.0;
  std::string describe() const {
    std::ostringstream os;
    os.precision(9);
    os << "worst at index " << index << ": got " << got << ", want " << want << " (ratio to tolerance " << ratio
       << ")";
    return os.str();
  }
};

template <typename T>
Mismatch worst_mismatch(const float* got, const T* want, size_t count, double abs_tol, double rel_tol) {
  Mismatch m;
  for (size_t i = 0; i < count; ++i) {
    const double g = got[i], w = static_cast<double>(want[i]);
    double r;
    if (std::isnan(g) || std::isnan(w)) {
      r = (std::isnan(g) && std::isnan(w)) ? 0.0 : kInf;
    } else if (std::isinf(g) || std::isinf(w)) {
      r = g == w ? 0.0 : kInf;
    } else {
      r = std::fabs(g - w) / (abs_tol + rel_tol * std::fabs(w));
    }
    if (r > m.ratio || (i == 0 && r == m.ratio)) m = Mismatch{r, i, got[i], w};
  }
  return m;
}

#define CHECK_CLOSE(got, want, count, abs_tol, rel_tol)                                   \
  do {                                                                                    \
    const Mismatch mm_ = worst_mismatch((got), (want), (count), (abs_tol), (rel_tol));    \
    INFO(mm_.describe());                                                                 \
    CHECK(mm_.ratio <= 1.0);                                                              \
  } while (0)

double gelu_exact(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

// ---- GELU ---------------------------------------------------------------------------------------------------

TEST_CASE("gelu_f32 matches known values", "[ops][gelu]") {
  // mpmath, 30 digits: x * (1 + erf(x / sqrt 2)) / 2.
  const std::vector<float> x = {1.0f, -1.0f, 3.0f, -3.0f, 0.5f, -0.5f, 5.0f, -5.0f, 10.0f, 0.0f};  // [10]
  const std::vector<double> want = {0.84134474606854295, -0.15865525393145705, 2.9959503059051097,
                                    -0.0040496940948902836, 0.34573123063700655, -0.15426876936299345,
                                    4.9999985667421406, -1.4332578593959696e-6, 10.0, 0.0};
  std::vector<float> y(x.size());  // [10]
  // Tolerance: 1.5e-7 absolute plus half an ulp of the result (float rounding of the output itself).
  gelu_f32(y.data(), x.data(), x.size());
  CHECK_CLOSE(y.data(), want.data(), x.size(), 1.5e-7, kFloatEps / 2);
  gelu_f32__ref(y.data(), x.data(), x.size());
  CHECK_CLOSE(y.data(), want.data(), x.size(), 1.5e-7, kFloatEps / 2);
}

TEST_CASE("gelu_f32 handles special values", "[ops][gelu]") {
  const std::vector<float> x = {kInf, -kInf, kNaN, 0.0f, -0.0f, 1e30f, -1e30f, 3e38f, -3e38f};  // [9]
  const std::vector<float> want = {kInf, 0.0f, kNaN, 0.0f, 0.0f, 1e30f, 0.0f, 3e38f, 0.0f};
  std::vector<float> y(x.size());  // [9]
  gelu_f32(y.data(), x.data(), x.size());
  CHECK_CLOSE(y.data(), want.data(), x.size(), 0.0, 0.0);
  gelu_f32__ref(y.data(), x.data(), x.size());
  CHECK_CLOSE(y.data(), want.data(), x.size(), 0.0, 0.0);
}

TEST_CASE("gelu_f32 fast vs ref and vs double precision", "[ops][gelu]") {
  // Dense sweep over [-12, 12] (GELU is x beyond +6 and ~0 below -6 in float).
  const size_t count = 240001;
  std::vector<float> x(count);  // [count]
  for (size_t i = 0; i < count; ++i) x[i] = -12.0f + 24.0f * static_cast<float>(i) / (count - 1);
  std::vector<double> exact(count);  // [count]
  for (size_t i = 0; i < count; ++i) exact[i] = gelu_exact(x[i]);
  std::vector<float> fast(count), ref(count);  // [count]
  gelu_f32(fast.data(), x.data(), count);
  gelu_f32__ref(ref.data(), x.data(), count);
  // Fast kernel vs exact: 1.5e-7 absolute + half an ulp of the result (measured: 1.4e-7 for |x| < 4,
  // half an ulp beyond, where output rounding is all that is left).
  CHECK_CLOSE(fast.data(), exact.data(), count, 1.5e-7, kFloatEps / 2);
  // std::erfc in float is about as good; allow a whole ulp.
  CHECK_CLOSE(ref.data(), exact.data(), count, 1.5e-7, kFloatEps);
  // Fast vs ref: the sum of the two bounds.
  CHECK_CLOSE(fast.data(), ref.data(), count, 3e-7, 1.5 * kFloatEps);
}

TEST_CASE("gelu_f32 every length, in place", "[ops][gelu]") {
  std::mt19937 rng(1234);
  for (size_t n : kSizes) {
    INFO("count " << n);
    std::vector<float> x = random_floats(rng, n, -8.0f, 8.0f);  // [n]
    x[0] = n % 2 ? 1e4f : -1e4f;                                 // large magnitudes in head and tail
    x[n - 1] = n % 3 ? -40.0f : 40.0f;
    std::vector<float> ref(n);  // [n]
    gelu_f32__ref(ref.data(), x.data(), n);
    std::vector<float> y = x;  // [n], y aliases x
    gelu_f32(y.data(), y.data(), n);
    CHECK_CLOSE(y.data(), ref.data(), n, 3e-7, 1.5 * kFloatEps);  // as in the sweep above
  }
}

// ---- softmax --------------------------------------------------------------------------------------------------

TEST_CASE("softmax_rows_f32 matches known values", "[ops][softmax]") {
  // Three rows of 4: [1 2 3 4], a row with large offsets, and one with -inf entries.
  const std::vector<float> x = {1.0f,   2.0f,   3.0f, 4.0f,       // row 0
                                1000.f, 1001.f, -1000.f, -kInf,   // row 1: exp(-2000) underflows to 0
                                -kInf,  0.0f,   -kInf, 0.0f};     // row 2
  const std::vector<double> want = {0.0320586032801, 0.087144318742, 0.23688281809, 0.643914259888,
                                    0.26894142137, 0.73105857863, 0.0, 0.0,
                                    0.0, 0.5, 0.0, 0.5};  // mpmath
  std::vector<float> y(12);  // [3][4]
  // Tolerance: 4 ulps relative (exp ~1 ulp, sum and division a few roundings); 0 must be exactly 0.
  softmax_rows_f32(y.data(), x.data(), 3, 4);
  CHECK_CLOSE(y.data(), want.data(), 12, 0.0, 4 * kFloatEps);
  softmax_rows_f32__ref(y.data(), x.data(), 3, 4);
  CHECK_CLOSE(y.data(), want.data(), 12, 0.0, 4 * kFloatEps);
}

TEST_CASE("softmax_rows_f32 special rows", "[ops][softmax]") {
  for (size_t cols : {1u, 3u, 4u, 5u, 9u, 33u}) {
    INFO("cols " << cols);
    std::vector<float> x(4 * cols, -kInf);  // [4][cols]: row 0 all -inf
    for (size_t j = 0; j < cols; ++j) {
      x[1 * cols + j] = j == cols - 1 ? kNaN : 0.0f;       // row 1: a NaN
      x[2 * cols + j] = j == 0 ? 3e38f : -3e38f;            // row 2: extreme finite values
      x[3 * cols + j] = j == cols / 2 ? 0.0f : -kInf;       // row 3: one finite entry
    }
    std::vector<float> want(4 * cols, 0.0f);  // [4][cols]
    for (size_t j = 0; j < cols; ++j) {
      want[0 * cols + j] = 1.0f / static_cast<float>(cols);  // all -inf: uniform (documented)
      want[1 * cols + j] = kNaN;
      want[2 * cols + j] = j == 0 ? 1.0f : 0.0f;
      want[3 * cols + j] = j == cols / 2 ? 1.0f : 0.0f;
    }
    std::vector<float> y(4 * cols);  // [4][cols]
    softmax_rows_f32(y.data(), x.data(), 4, cols);
    CHECK_CLOSE(y.data(), want.data(), 4 * cols, 0.0, kFloatEps);
    softmax_rows_f32__ref(y.data(), x.data(), 4, cols);
    CHECK_CLOSE(y.data(), want.data(), 4 * cols, 0.0, kFloatEps);
  }
}

TEST_CASE("softmax_rows_f32 fast vs ref", "[ops][softmax]") {
  std::mt19937 rng(42);
  for (size_t cols : kSizes) {
    for (size_t rows : {1u, 3u, 4u}) {
      INFO("rows " << rows << " cols " << cols);
      std::vector<float> x = random_floats(rng, rows * cols, -30.0f, 30.0f);  // [rows][cols]
      x[0] = -kInf;  // masked-out entries
      if (cols > 2) x[rows * cols - 2] = -kInf;
      std::vector<float> ref(rows * cols);  // [rows][cols]
      softmax_rows_f32__ref(ref.data(), x.data(), rows, cols);
      std::vector<float> y = x;  // [rows][cols], in place
      softmax_rows_f32(y.data(), y.data(), rows, cols);
      // Tolerance: 4 ulps relative to each probability. Both sum in double; the fast exp is within 1 ulp
      // and std::exp within 0.5, then 1/sum and the multiply round once each, in both. Plus 1e-30
      // absolute for entries that are subnormal in the reference and flushed to 0 by the SIMD exp.
      CHECK_CLOSE(y.data(), ref.data(), rows * cols, 1e-30, 4 * kFloatEps);
    }
  }
}

#if defined(__wasm_simd128__)
TEST_CASE("simd::exp_f32x4 is within 1 ulp on [-87.3, 0] and handles -inf/NaN", "[ops][softmax][simd]") {
  const hl::ops::simd::ExpConsts k = hl::ops::simd::exp_consts();
  double worst_ulps = 0.0;
  float worst_x = 0.0f;
  for (size_t i = 0; i < 400000; i += 4) {
    float x[4], y[4];
    for (size_t l = 0; l < 4; ++l) x[l] = -87.3f * static_cast<float>(i + l) / 400000.0f;
    wasm_v128_store(y, hl::ops::simd::exp_f32x4(wasm_v128_load(x), k));
    for (size_t l = 0; l < 4; ++l) {
      const double want = std::exp(static_cast<double>(x[l]));
      const double ulps = std::fabs(y[l] - want) / std::ldexp(1.0, std::ilogb(static_cast<float>(want)) - 23);
      if (ulps > worst_ulps) worst_ulps = ulps, worst_x = x[l];
    }
  }
  INFO("worst at x = " << worst_x);
  CHECK(worst_ulps <= 1.0);  // measured 0.96 ulp
  float s[4] = {-kInf, kNaN, -100.0f, 0.0f}, e[4];
  wasm_v128_store(e, hl::ops::simd::exp_f32x4(wasm_v128_load(s), k));
  CHECK(e[0] == 0.0f);
  CHECK(std::isnan(e[1]));
  CHECK(e[2] == 0.0f);  // subnormal range flushed
  CHECK(e[3] == 1.0f);
}
#endif

// ---- LayerNorm ------------------------------------------------------------------------------------------------

TEST_CASE("layernorm_f32 matches known values", "[ops][layernorm]") {
  const std::vector<float> x = {1, 2, 3, 4, 10};             // [1][5]
  const std::vector<float> gamma = {0.5f, 1, 2, -1, 1.5f};   // [5]
  const std::vector<float> beta = {0, 1, -1, 0.25f, 0};      // [5]
  const std::vector<double> want = {-0.474341411855, 0.367544784194, -1.63245521581, 0.25,
                                    2.84604847113};  // mpmath, eps 1e-5
  std::vector<float> y(5);  // [1][5]
  // Tolerance: 2 ulps of the result plus 1e-7 absolute (the 0.25 entry is a difference of O(1) terms).
  layernorm_f32(y.data(), x.data(), gamma.data(), beta.data(), 1e-5f, 1, 5);
  CHECK_CLOSE(y.data(), want.data(), 5, 1e-7, 2 * kFloatEps);
  layernorm_f32__ref(y.data(), x.data(), gamma.data(), beta.data(), 1e-5f, 1, 5);
  CHECK_CLOSE(y.data(), want.data(), 5, 1e-7, 2 * kFloatEps);

  // add_layernorm: x + residual gives the same row.
  const std::vector<float> xa = {0.5f, 3, 1, 2, 4};         // [1][5]
  const std::vector<float> res = {0.5f, -1, 2, 2, 6};       // [1][5]
  add_layernorm_f32(y.data(), xa.data(), res.data(), gamma.data(), beta.data(), 1e-5f, 1, 5);
  CHECK_CLOSE(y.data(), want.data(), 5, 1e-7, 2 * kFloatEps);
  add_layernorm_f32__ref(y.data(), xa.data(), res.data(), gamma.data(), beta.data(), 1e-5f, 1, 5);
  CHECK_CLOSE(y.data(), want.data(), 5, 1e-7, 2 * kFloatEps);
}

TEST_CASE("layernorm_f32 constant row gives beta", "[ops][layernorm]") {
  const std::vector<float> x(7, 123.0f), gamma(7, 2.0f), beta = {1, 2, 3, 4, 5, 6, 7};  // [1][7], [7], [7]
  std::vector<float> y(7);  // [1][7]
  layernorm_f32(y.data(), x.data(), gamma.data(), beta.data(), 1e-12f, 1, 7);
  CHECK_CLOSE(y.data(), beta.data(), 7, 0.0, 0.0);
  layernorm_f32__ref(y.data(), x.data(), gamma.data(), beta.data(), 1e-12f, 1, 7);
  CHECK_CLOSE(y.data(), beta.data(), 7, 0.0, 0.0);
}

TEST_CASE("layernorm_f32 fast vs ref, with large offsets and in place", "[ops][layernorm]") {
  std::mt19937 rng(7);
  for (size_t d : kSizes) {
    for (float offset : {0.0f, 1e4f, -3e6f}) {
      const size_t n = 3;
      INFO("d " << d << " offset " << offset);
      std::vector<float> x = random_floats(rng, n * d, -2.0f, 2.0f);  // [n][d]
      for (size_t i = 0; i < n * d; ++i) x[i] += offset;               // rows with a large common offset
      std::vector<float> r = random_floats(rng, n * d, -1.0f, 1.0f);   // [n][d]
      const std::vector<float> gamma = random_floats(rng, d, 0.5f, 2.0f), beta = random_floats(rng, d, -1.0f, 1.0f);
      const float eps = 1e-12f;  // BERT's eps: matters only for (near-)constant rows

      std::vector<float> ref(n * d), y(n * d);  // [n][d]
      layernorm_f32__ref(ref.data(), x.data(), gamma.data(), beta.data(), eps, n, d);
      y = x;
      layernorm_f32(y.data(), y.data(), gamma.data(), beta.data(), eps, n, d);  // in place
      // Tolerance: outputs are O(1..5) (ulp 4.8e-7); float statistics (shifted, corrected two-pass) vs
      // double: a few ulps, also with the offset, because the kernel never forms x - mean with a float mean.
      const double tol = 2e-6;
      CHECK_CLOSE(y.data(), ref.data(), n * d, tol, 0.0);

      add_layernorm_f32__ref(ref.data(), x.data(), r.data(), gamma.data(), beta.data(), eps, n, d);
      y = x;
      add_layernorm_f32(y.data(), y.data(), r.data(), gamma.data(), beta.data(), eps, n, d);  // y aliases x
      CHECK_CLOSE(y.data(), ref.data(), n * d, tol, 0.0);
      y = r;
      add_layernorm_f32(y.data(), x.data(), y.data(), gamma.data(), beta.data(), eps, n, d);  // y aliases residual
      CHECK_CLOSE(y.data(), ref.data(), n * d, tol, 0.0);
    }
  }
}

TEST_CASE("layernorm_f32 accuracy vs double with a large offset", "[ops][layernorm]") {
  // A BERT-like row (d = 768) riding on an offset of 1e4: two-pass statistics keep the result close to
  // the exact normalisation of the float inputs.
  std::mt19937 rng(99);
  const size_t d = 768;
  std::vector<float> x = random_floats(rng, d, -1.0f, 1.0f);  // [1][d]
  for (float& f : x) f += 1e4f;
  const std::vector<float> gamma(d, 1.0f), beta(d, 0.0f);  // [d]
  double mean = 0.0, var = 0.0;
  for (float f : x) mean += f;
  mean /= d;
  for (float f : x) var += (f - mean) * (f - mean);
  var /= d;
  std::vector<double> want(d);  // [d]
  for (size_t j = 0; j < d; ++j) want[j] = (x[j] - mean) / std::sqrt(var + 1e-12);
  std::vector<float> y(d);  // [d]
  // Tolerance: outputs are within +-1.8 (ulp 1.2e-7). A float mean of this row is only good to ulp(1e4)/2
  // = 4.9e-4, i.e. 8e-4 after dividing by the std 0.58; the kernel avoids that loss, so ask for 1e-6.
  layernorm_f32(y.data(), x.data(), gamma.data(), beta.data(), 1e-12f, 1, d);
  CHECK_CLOSE(y.data(), want.data(), d, 1e-6, 0.0);
  layernorm_f32__ref(y.data(), x.data(), gamma.data(), beta.data(), 1e-12f, 1, d);
  CHECK_CLOSE(y.data(), want.data(), d, 1e-6, 0.0);
}

// ---- attention ------------------------------------------------------------------------------------------------

namespace {

// A head's q, k, v as slices of a fused [n][3*hidden] buffer (head at column offset `col`), and its context
// as a slice of a [n][hidden] buffer pre-filled with a sentinel that must survive outside the slice.
struct FusedHead {
  size_t n, d, hidden, col;
  std::vector<float> qkv;  // [n][3*hidden]
  std::vector<float> ctx;  // [n][hidden]
  std::vector<float> probs;  // [n][n]
  FusedHead(size_t n_, size_t d_, size_t hidden_, size_t col_)
      : n(n_), d(d_), hidden(hidden_), col(col_), qkv(n_ * 3 * hidden_, 0.0f), ctx(n_ * hidden_, -777.0f),
        probs(n_ * n_, -777.0f) {}
  float* q() { return qkv.data() + col; }
  float* k() { return qkv.data() + hidden + col; }
  float* v() { return qkv.data() + 2 * hidden + col; }
  float* context() { return ctx.data() + col; }
  void run(bool fast, float scale) {
    std::vector<float> scratch(attention_head_scratch_floats(n, d));  // exactly the documented size
    auto fn = fast ? attention_head_f32 : attention_head_f32__ref;
    fn(probs.data(), context(), q(), k(), v(), scratch.data(), n, d, 3 * hidden, 3 * hidden, 3 * hidden, hidden,
       scale);
  }
  // The context of row i, dims [0, d).
  std::vector<float> context_rows() const {
    std::vector<float> out(n * d);  // [n][d]
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < d; ++c) out[i * d + c] = ctx[i * hidden + col + c];
    return out;
  }
  bool sentinel_intact() const {
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < hidden; ++c)
        if ((c < col || c >= col + d) && ctx[i * hidden + c] != -777.0f) return false;
    return true;
  }
};

}  // namespace

TEST_CASE("attention_head_f32 matches a 3x2 hand example", "[ops][attention]") {
  // q = k = [[1,0],[0,1],[1,1]], v = [[1,2],[3,4],[5,6]], scale 1/sqrt(2); expected values from mpmath.
  const float qk[3][2] = {{1, 0}, {0, 1}, {1, 1}};
  const float vv[3][2] = {{1, 2}, {3, 4}, {5, 6}};
  const std::vector<double> want_probs = {0.40111209268, 0.19777581464, 0.40111209268,   //
                                          0.19777581464, 0.40111209268, 0.40111209268,   //
                                          0.248255078258, 0.248255078258, 0.503489843485};
  const std::vector<double> want_ctx = {3.0, 4.0, 3.40667255608, 4.40667255608, 3.51046953045, 4.51046953045};
  for (bool fast : {true, false}) {
    INFO((fast ? "dispatched" : "ref"));
    FusedHead h(3, 2, 6, 2);  // hidden 6, head at columns [2, 4)
    for (size_t i = 0; i < 3; ++i)
      for (size_t c = 0; c < 2; ++c) {
        h.q()[i * 18 + c] = qk[i][c];
        h.k()[i * 18 + c] = qk[i][c];
        h.v()[i * 18 + c] = vv[i][c];
      }
    h.run(fast, 1.0f / std::sqrt(2.0f));
    // Tolerance: a few ulps (exp, sums, and the float rounding of 1/sqrt(2)).
    CHECK_CLOSE(h.probs.data(), want_probs.data(), 9, 0.0, 4 * kFloatEps);
    const std::vector<float> ctx = h.context_rows();
    CHECK_CLOSE(ctx.data(), want_ctx.data(), 6, 0.0, 4 * kFloatEps);
    CHECK(h.sentinel_intact());
  }
}

TEST_CASE("attention_head_f32 single token", "[ops][attention]") {
  for (size_t d : {1u, 5u, 64u}) {
    FusedHead h(1, d, d + 3, 3);
    std::mt19937 rng(5);
    h.qkv = random_floats(rng, h.qkv.size(), -3.0f, 3.0f);
    h.run(true, 0.125f);
    CHECK(h.probs[0] == 1.0f);  // softmax of one score
    const std::vector<float> ctx = h.context_rows();
    CHECK_CLOSE(ctx.data(), h.v(), d, 0.0, 0.0);  // context = v_0 exactly
    CHECK(h.sentinel_intact());
  }
}

TEST_CASE("attention_head_f32 zero queries attend uniformly", "[ops][attention]") {
  // q = 0: every score is 0, so probs = 1/n exactly (exp(0) = 1, sum = n) and context = mean of v.
  std::mt19937 rng(11);
  for (size_t n : {1u, 5u, 33u, 128u}) {
    for (bool fast : {true, false}) {
      INFO("n " << n << (fast ? " dispatched" : " ref"));
      const size_t d = 9, hidden = 20, col = 4;
      FusedHead h(n, d, hidden, col);
      h.qkv = random_floats(rng, h.qkv.size(), -1.0f, 1.0f);
      for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < d; ++c) h.q()[i * 3 * hidden + c] = 0.0f;
      h.run(fast, 0.25f);
      const std::vector<float> uniform(n * n, static_cast<float>(1.0 / n));  // [n][n]
      CHECK_CLOSE(h.probs.data(), uniform.data(), n * n, 0.0, 0.0);
      std::vector<double> mean(n * d, 0.0);  // [n][d], every row the same
      for (size_t i = 0; i < n; ++i)
        for (size_t c = 0; c < d; ++c)
          for (size_t j = 0; j < n; ++j) mean[i * d + c] += h.v()[j * 3 * hidden + c] / static_cast<double>(n);
      const std::vector<float> ctx = h.context_rows();
      // Tolerance: n products rounded and summed in float, |v| <= 1: n ulps absolute is ample.
      CHECK_CLOSE(ctx.data(), mean.data(), n * d, n * kFloatEps, 0.0);
      CHECK(h.sentinel_intact());
    }
  }
}

TEST_CASE("attention_head_f32 fast vs ref", "[ops][attention]") {
  std::mt19937 rng(2024);
  std::vector<size_t> dims = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65};
  for (size_t n : kSizes) {
    for (size_t d : dims) {
      if (n > 65 && !(d == 1 || d == 7 || d == 32 || d == 64 || d == 65)) continue;  // keep the big ones few
      for (float qscale : {1.0f, 40.0f}) {  // 40: peaked softmax, scores in the hundreds
        INFO("n " << n << " d " << d << " qscale " << qscale);
        const size_t hidden = 2 * d + 3, col = d + 1;  // odd strides, head not at column 0
        FusedHead fast(n, d, hidden, col);
        fast.qkv = random_floats(rng, fast.qkv.size(), -2.0f, 2.0f);
        for (size_t i = 0; i < n; ++i)
          for (size_t c = 0; c < d; ++c) fast.q()[i * 3 * hidden + c] *= qscale;
        FusedHead ref = fast;
        const float scale = 1.0f / std::sqrt(static_cast<float>(d));
        fast.run(true, scale);
        ref.run(false, scale);
        // Scores are accumulated in the same order in both (so equal); differences come from the softmax:
        // 4 ulps relative on probabilities as in softmax_rows_f32, 1e-30 for subnormals flushed to 0.
        CHECK_CLOSE(fast.probs.data(), ref.probs.data(), n * n, 1e-30, 4 * kFloatEps);
        // Context = sum of probs * v with |v| <= 2: the probability errors add up to at most
        // 4 ulps * sum_j p_j |v_j| <= 8 ulps absolute, plus rounding of the sum itself.
        const std::vector<float> cf = fast.context_rows(), cr = ref.context_rows();
        CHECK_CLOSE(cf.data(), cr.data(), n * d, 16 * kFloatEps, 0.0);
        CHECK(fast.sentinel_intact());
      }
    }
  }
}
