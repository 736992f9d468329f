// XNNPACK fully-connected layers (f32, qd8_f32_qc8w, f32_qc8w) and the f32→qd8 row quantizer against their plain references.
#include <algorithm>
#include <cmath>
#include <random>

#if !defined(__EMSCRIPTEN__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "ops/kernels.h"
#include "ops/linear.h"
#include "quant/quantize.h"
#include "test_util.h"

using hltest::Random;

TEST_CASE("f32→qd8 quantization matches XNNPACK's exactly", "[linear]") {
  std::mt19937 rng(1);
  hl::RowQuantizer rq;
  REQUIRE(rq.Init().ok());
  for (size_t n : {1, 2, 3, 7, 16, 33}) {
    for (size_t k : {1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 127, 128, 129, 768}) {
      std::vector<float> x = Random(rng, n * k, 1.5f);
      if (n > 1) for (size_t c = 0; c < k; ++c) x[c] = 0.0f;           // an all-zero row
      if (n > 2) for (size_t c = 0; c < k; ++c) x[2 * k + c] = 3.0f;   // a constant positive row
      hl::QuantizedRows fast, ref;
      REQUIRE(rq.Run(&fast, x.data(), n, k, nullptr).ok());
      hl::quantize_rows_qd8__ref(&ref, x.data(), n, k);
      for (size_t i = 0; i < n; ++i) {
        INFO("n=" << n << " k=" << k << " row " << i);
        REQUIRE(fast.params[i].zero_point == ref.params[i].zero_point);
        REQUIRE(fast.params[i].scale == ref.params[i].scale);
        for (size_t c = 0; c < k; ++c) REQUIRE(fast.q.as<int8_t>()[i * k + c] == ref.q.as<int8_t>()[i * k + c]);
      }
    }
  }
}

TEST_CASE("fully-connected layers match their references around tile sizes", "[linear]") {
  std::mt19937 rng(2);
  hl::RowQuantizer rq;
  REQUIRE(rq.Init().ok());
  enum Kind { kF32, kQd8, kF32Int8 };
  for (Kind kind : {kF32, kQd8, kF32Int8}) {
    const bool int8 = kind != kF32;
    const char* name = kind == kF32 ? "f32" : kind == kQd8 ? "qd8_f32_qc8w" : "f32_qc8w";
    for (size_t n : {1, 2, 3, 4, 5, 8, 9, 17, 64}) {
      for (size_t in : {1, 3, 4, 8, 9, 16, 17, 32, 33, 64}) {
        for (size_t out : {1, 2, 3, 4, 7, 8, 9, 16, 17, 33}) {
          const size_t stride = out + (out % 3);  // sometimes write into a wider buffer
          std::vector<float> x = Random(rng, n * in, 1.0f), w = Random(rng, out * in, 0.2f), b = Random(rng, out, 0.1f);
          std::vector<int8_t> q(out * in + hl::kWeightSlackBytes);  // XNNPACK reads past the last row
          std::vector<float> scales(out);
          hl::quantize_rows_qs8__ref(q.data(), scales.data(), w.data(), out, in);
          // int8 weights as rows or, every other shape, in the GEMM's panels (as a model file may store them)
          const hl::Int8Layout layout = (n + in + out) % 2 ? hl::Int8Layout::kPanels8c2 : hl::Int8Layout::kRows;
          std::vector<int8_t> panels(hl::panels_8c2_bytes(out, in));
          hl::pack_8c2(panels.data(), q.data(), out, in);
          const int8_t* w8 = layout == hl::Int8Layout::kRows ? q.data() : panels.data();
          hl::Linear lin;
          INFO(name << (layout == hl::Int8Layout::kRows ? " rows" : " panels"));
          REQUIRE(lin.Init(in, out, stride, int8 ? nullptr : w.data(), int8 ? w8 : nullptr, layout, int8 ? scales.data() : nullptr,
                           b.data(), kind == kQd8 ? hl::Int8Input::kQuantized : hl::Int8Input::kF32,
                           hl::SelectInt8Gemm()).ok());
          std::vector<float> y_fast(n * stride, -7.0f), y_ref(n * stride, -7.0f);
          hl::QuantizedRows xq;
          if (lin.quantizes_input()) REQUIRE(rq.Run(&xq, x.data(), n, in, nullptr).ok());
          REQUIRE(lin.Run(y_fast.data(), x.data(), &xq, n, nullptr).ok());
          lin.Run__ref(y_ref.data(), x.data(), n);
          for (size_t i = 0; i < n; ++i) {
            for (size_t o = 0; o < stride; ++o) {
              INFO(name << " n=" << n << " in=" << in << " out=" << out << " at " << i << "," << o);
              if (o >= out) { REQUIRE(y_fast[i * stride + o] == -7.0f); continue; }  // padding untouched
              // qd8: identical integer sums, then two float multiplies and an add in possibly another
              // order (≤ a few ulp); f32 and f32_qc8w: float summation against the double-precision reference.
              const float tol = kind == kQd8 ? 1e-5f * (1.0f + std::fabs(y_ref[i * stride + o])) : 2e-6f * std::sqrt((float)in) * 4.0f;
              REQUIRE(std::fabs(y_fast[i * stride + o] - y_ref[i * stride + o]) <= tol);
            }
          }
        }
      }
    }
  }
}

// Headlight's int8 GEMM (wasm SIMD builds) sums the same integers as XNNPACK's wasm qd8_f32_qc8w kernels and applies the
// same float epilogue, so the two, and the plain reference, must agree bit for bit. Sizes straddle the 4-row tile, the
// 8-column panel, odd k (a zero-padded pair) and the row blocks (84 rows at k = 768).
TEST_CASE("int8 GEMM: Headlight's kernel, XNNPACK's and the reference give the same bits", "[linear]") {
  std::mt19937 rng(3);
  hl::RowQuantizer rq;
  REQUIRE(rq.Init().ok());
  struct Shape { size_t n, k, out; };
  std::vector<Shape> shapes;
  for (size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 13})
    for (size_t k : {1, 2, 3, 7, 16, 17, 64})
      for (size_t out : {1, 7, 8, 9, 16, 17, 33}) shapes.push_back({n, k, out});
  shapes.push_back({85, 768, 24});
  shapes.push_back({169, 768, 9});
  for (const Shape& s : shapes) {
    INFO("n=" << s.n << " k=" << s.k << " out=" << s.out);
    std::vector<float> x = Random(rng, s.n * s.k, 1.0f), w = Random(rng, s.out * s.k, 0.2f), b = Random(rng, s.out, 0.1f);
    for (size_t c = 0; c < s.k; ++c) w[c] = c % 2 ? 10.0f : -10.0f;  // a row that quantizes to ±127: extreme products
    std::vector<int8_t> q(s.out * s.k + hl::kWeightSlackBytes);  // XNNPACK reads past the last row
    std::vector<float> scales(s.out);
    hl::quantize_rows_qs8__ref(q.data(), scales.data(), w.data(), s.out, s.k);
    hl::QuantizedRows xq;
    REQUIRE(rq.Run(&xq, x.data(), s.n, s.k, nullptr).ok());
    const size_t stride = s.out + 3;
    std::vector<float> y_ref(s.n * stride, -7.0f);
    hl::gemm_qd8_f32_qc8w__ref(y_ref.data(), stride, xq.q.as<int8_t>(), xq.params.data(), q.data(), scales.data(), b.data(), s.n,
                               s.out, s.k);
    std::vector<int8_t> panels(hl::panels_8c2_bytes(s.out, s.k));
    hl::pack_8c2(panels.data(), q.data(), s.out, s.k);
    std::vector<int8_t> unpacked(s.out * s.k);
    hl::unpack_8c2(unpacked.data(), panels.data(), s.out, s.k);
    REQUIRE(std::equal(unpacked.begin(), unpacked.end(), q.begin()));
    for (hl::QuantizedGemm g : {hl::QuantizedGemm::kXnnpack, hl::QuantizedGemm::kHeadlight, hl::QuantizedGemm::kAuto})
    for (hl::Int8Layout layout : {hl::Int8Layout::kRows, hl::Int8Layout::kPanels8c2}) {
      hl::SetQuantizedGemm(g);
      const bool headlight = hl::UsesHeadlightGemm();
      INFO((headlight ? "Headlight's kernel" : "XNNPACK's kernel") << (layout == hl::Int8Layout::kRows ? ", rows" : ", panels"));
      hl::Linear lin;
      REQUIRE(lin.Init(s.k, s.out, stride, nullptr, layout == hl::Int8Layout::kRows ? q.data() : panels.data(), layout,
                       scales.data(), b.data(), hl::Int8Input::kQuantized, hl::SelectInt8Gemm()).ok());
      std::vector<float> y(s.n * stride, -7.0f);
      REQUIRE(lin.Run(y.data(), x.data(), &xq, s.n, nullptr).ok());
#if defined(__wasm_simd128__)
      REQUIRE(y == y_ref);  // padding columns included: untouched
#else
      // Natively XNNPACK's x86 kernels apply the scales in another order: "{ 7.51088f, … } == { 7.51088f, … }" failed
      // bit for bit (n=1 k=1 out=1). Same integer sums, so a few ulp.
      for (size_t i = 0; i < y.size(); ++i) REQUIRE(std::fabs(y[i] - y_ref[i]) <= 1e-6f * (1.0f + std::fabs(y_ref[i])));
#endif
    }
    hl::SetQuantizedGemm(hl::QuantizedGemm::kAuto);
  }
#if defined(__wasm_simd128__) && !defined(__wasm_relaxed_simd__)
  CHECK(hl::UsesHeadlightGemm());  // plain wasm SIMD builds run Headlight's kernel
#endif
}

#if !defined(__EMSCRIPTEN__)
// XNNPACK's packers read past the last int8 row (x86 VNNI: 8-byte loads for a 1–7 byte tail). Rows that end
// kWeightSlackBytes before a page no one may read must still load: this once crashed CI under ASan, where a
// std::vector's end happened to meet an unmapped page.
TEST_CASE("int8 rows need no more than kWeightSlackBytes after them", "[linear]") {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(map != MAP_FAILED);
  uint8_t* guard = static_cast<uint8_t*>(map) + page;
  REQUIRE(mprotect(guard, page, PROT_NONE) == 0);
  std::mt19937 rng(5);
  for (size_t in : {1, 3, 7, 9, 17, 77})
    for (size_t out : {1, 9, 17}) {
      INFO("in=" << in << " out=" << out);
      int8_t* rows = reinterpret_cast<int8_t*>(guard - hl::kWeightSlackBytes - in * out);
      for (size_t i = 0; i < in * out; ++i) rows[i] = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
      const std::vector<float> scales(out, 0.01f), b(out, 0.5f);
      for (hl::Int8Input input : {hl::Int8Input::kQuantized, hl::Int8Input::kF32}) {
        hl::Linear lin;
        REQUIRE(lin.Init(in, out, out, nullptr, rows, hl::Int8Layout::kRows, scales.data(), b.data(), input,
                         hl::SelectInt8Gemm()).ok());
      }
    }
  munmap(map, 2 * page);
}
#endif
