// Headlight's relaxed-SIMD int8 GEMM against its plain reference, run in Chromium (tests/e2e/relaxed.test.mjs): Node 20's
// V8 lowers the relaxed dot inexactly, so the engine never picks this kernel there and the Catch2 tests cannot run it.
// gemm_relaxed_check() → -1 when this engine's relaxed dot is inexact (the kernel is never used), else the number of
// shapes whose output differs from gemm_qd8_f32_qc8w__ref in any bit (0 passes); gemm_relaxed_first_failure() says which.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include <emscripten/emscripten.h>

#include "ops/gemm_qd8.h"
#include "ops/linear.h"
#include "quant/quantize.h"

namespace {

char g_failure[160] = "";

// Sizes straddle the 4-row tile, the 8-column panel, k ≡ 1, 2, 3 (mod 4) (a half-used last pair, a last lone pair),
// and the row blocks (85 and 169 rows at k = 768).
bool Check(std::mt19937& rng, size_t n, size_t k, size_t out, hl::RowQuantizer& rq) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n * k), w(out * k), b(out);
  for (float& v : x) v = nd(rng);
  for (float& v : w) v = 0.2f * nd(rng);
  for (float& v : b) v = 0.1f * nd(rng);
  for (size_t c = 0; c < k; ++c) w[c] = c % 2 ? 10.0f : -10.0f;  // a row at ±127: the largest products
  std::vector<int8_t> q(out * k);
  std::vector<float> scales(out);
  hl::quantize_rows_qs8__ref(q.data(), scales.data(), w.data(), out, k);
  hl::QuantizedRows xq;
  if (!rq.Run(&xq, x.data(), n, k, nullptr).ok()) return false;
  const size_t stride = out + 3;
  std::vector<float> want(n * stride, -7.0f), got(n * stride, -7.0f);
  hl::gemm_qd8_f32_qc8w__ref(want.data(), stride, xq.q.as<int8_t>(), xq.params.data(), q.data(), scales.data(), b.data(), n, out, k);
  std::vector<int8_t> panels(hl::panels_8c2_bytes(out, k));
  hl::pack_8c2(panels.data(), q.data(), out, k);
  hl::PackedQc8w packed;
  hl::RelaxedRows rows;
  if (!hl::pack_qc8w_8c2(&packed, panels.data(), hl::Int8Layout::kPanels8c2, scales.data(), b.data(), out, k).ok() ||
      !hl::column_sums_8c2(&packed).ok() ||
      !hl::relax_qd8_rows(&rows, xq.q.as<int8_t>(), n, k, hl::relaxed_dot_lowering() == hl::RelaxedDot::kUnsigned).ok())
    return false;
  hl::gemm_qd8_f32_qc8w__wasmrelaxed(got.data(), stride, rows, xq.params.data(), packed, nullptr);
  return got == want;  // padding columns included: untouched
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE int32_t gemm_relaxed_check() {
  if (hl::relaxed_dot_lowering() == hl::RelaxedDot::kInexact) return -1;
  hl::RowQuantizer rq;
  if (!rq.Init().ok()) return 1;
  std::mt19937 rng(5);
  struct Shape { size_t n, k, out; };
  std::vector<Shape> shapes;
  for (size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 13})
    for (size_t k : {1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 64})
      for (size_t out : {1, 7, 8, 9, 16, 17, 33}) shapes.push_back({n, k, out});
  shapes.push_back({85, 768, 24});
  shapes.push_back({169, 768, 9});
  shapes.push_back({33, 3072, 16});
  int32_t failures = 0;
  for (const Shape& s : shapes) {
    if (Check(rng, s.n, s.k, s.out, rq)) continue;
    if (failures++ == 0) std::snprintf(g_failure, sizeof g_failure, "n=%zu k=%zu out=%zu", s.n, s.k, s.out);
  }
  return failures;
}

EMSCRIPTEN_KEEPALIVE const char* gemm_relaxed_first_failure() { return g_failure; }

}  // extern "C"
