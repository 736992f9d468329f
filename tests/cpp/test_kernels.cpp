// The kernel tables (ops/kernels.h): the __ref table is every __ref kernel on one thread and runs linear layers as
// Linear::Run__ref, the fast table the dispatching kernels and Linear::Run; the activation and the int8 GEMM as asked.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "ops/kernels.h"
#include "quant/quantize.h"
#include "test_util.h"

using hltest::Random;

TEST_CASE("kernel tables: __ref kernels on one thread, or the dispatching ones on the pool", "[ops]") {
  hl::RowQuantizer rq;
  REQUIRE(rq.Init().ok());
  int not_a_pool = 0;
  const pthreadpool_t pool = reinterpret_cast<pthreadpool_t>(&not_a_pool);  // only compared here, never run on
  const hl::Kernels fast = hl::FastKernels(hl::Activation::kGeluErf, pool, &rq);
  const hl::Kernels ref = hl::ReferenceKernels(fast, hl::Activation::kGeluErf);
  CHECK(fast.layernorm == hl::ops::layernorm_f32);
  CHECK(fast.add_layernorm == hl::ops::add_layernorm_f32);
  CHECK(fast.activation == hl::ops::gelu_f32);
  CHECK(fast.softmax_rows == hl::ops::softmax_rows_f32);
  CHECK(fast.attention_head == hl::ops::attention_head_f32);
  CHECK(fast.pool == pool);
  CHECK(ref.layernorm == hl::ops::layernorm_f32__ref);
  CHECK(ref.add_layernorm == hl::ops::add_layernorm_f32__ref);
  CHECK(ref.activation == hl::ops::gelu_f32__ref);
  CHECK(ref.softmax_rows == hl::ops::softmax_rows_f32__ref);
  CHECK(ref.attention_head == hl::ops::attention_head_f32__ref);
  CHECK(ref.pool == nullptr);
  CHECK(ref.int8_gemm == fast.int8_gemm);  // the layers were built for it; Run__ref does not use it
}

TEST_CASE("kernel tables: linear layers run as Linear::Run (fast) and Linear::Run__ref (__ref)", "[ops]") {
  std::mt19937 rng(4);
  hl::RowQuantizer rq;
  REQUIRE(rq.Init().ok());
  const hl::Kernels fast = hl::FastKernels(hl::Activation::kGeluErf, nullptr, &rq);
  const hl::Kernels ref = hl::ReferenceKernels(fast, hl::Activation::kGeluErf);
  const size_t n = 5, in = 300, out = 9;
  for (bool int8 : {false, true}) {
    INFO((int8 ? "int8 weights, quantized input" : "f32 weights"));
    std::vector<float> x = Random(rng, n * in, 1.0f), w = Random(rng, out * in, 0.2f), b = Random(rng, out, 0.1f);
    std::vector<int8_t> q(out * in + hl::kWeightSlackBytes);  // XNNPACK reads past the last row
    std::vector<float> scales(out);
    hl::quantize_rows_qs8__ref(q.data(), scales.data(), w.data(), out, in);
    hl::Linear lin;
    REQUIRE(lin.Init(in, out, out, int8 ? nullptr : w.data(), int8 ? q.data() : nullptr, hl::Int8Layout::kRows,
                     int8 ? scales.data() : nullptr,
                     b.data(), hl::Int8Input::kQuantized, fast.int8_gemm).ok());
    REQUIRE(lin.quantizes_input() == int8);

    std::vector<float> y_table(n * out), y_direct(n * out);
    hl::QuantizedRows xq, xq_direct;
    REQUIRE(fast.quantize_rows(&xq, x.data(), n, in, fast.quantizer, fast.pool).ok());
    REQUIRE(fast.linear(y_table.data(), lin, x.data(), &xq, n, fast.pool).ok());
    REQUIRE(rq.Run(&xq_direct, x.data(), n, in, nullptr).ok());
    REQUIRE(lin.Run(y_direct.data(), x.data(), &xq_direct, n, nullptr).ok());
    CHECK(y_table == y_direct);

    hl::QuantizedRows untouched;  // the __ref layers quantize for themselves
    REQUIRE(ref.quantize_rows(&untouched, x.data(), n, in, ref.quantizer, ref.pool).ok());
    CHECK(untouched.n == 0);
    REQUIRE(ref.linear(y_table.data(), lin, x.data(), &untouched, n, ref.pool).ok());
    lin.Run__ref(y_direct.data(), x.data(), n);
    CHECK(y_table == y_direct);
  }
}

TEST_CASE("kernel tables: the config's activation in both tables", "[ops]") {
  const float x[4] = {-2.0f, 0.0f, 1.0f, 3.0f};
  for (bool reference : {false, true}) {
    INFO((reference ? "__ref table" : "fast table"));
    auto table = [&](hl::Activation act) {
      const hl::Kernels fast = hl::FastKernels(act, nullptr, nullptr);
      return reference ? hl::ReferenceKernels(fast, act) : fast;
    };
    float y[4];
    table(hl::Activation::kRelu).activation(y, x, 4);
    CHECK(std::vector<float>(y, y + 4) == std::vector<float>{0.0f, 0.0f, 1.0f, 3.0f});
    table(hl::Activation::kGeluTanh).activation(y, x, 4);
    for (size_t i = 0; i < 4; ++i) {  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), in double
      const double v = x[i], want = 0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
      CHECK(std::fabs(y[i] - want) <= 1e-6 * (1.0 + std::fabs(want)));
    }
    table(hl::Activation::kGeluErf).activation(y, x, 4);
    for (size_t i = 0; i < 4; ++i) {  // x·Φ(x), in double
      const double v = x[i], want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));
      CHECK(std::fabs(y[i] - want) <= 1e-6 * (1.0 + std::fabs(want)));
    }
  }
}

TEST_CASE("kernel tables: the int8 GEMM follows the request (hl-bench --gemm)", "[ops]") {
  hl::SetQuantizedGemm(hl::QuantizedGemm::kXnnpack);
  CHECK(hl::FastKernels(hl::Activation::kGeluErf, nullptr, nullptr).int8_gemm == hl::Int8Gemm::kXnnpack);
  hl::SetQuantizedGemm(hl::QuantizedGemm::kAuto);
  const hl::Int8Gemm got = hl::FastKernels(hl::Activation::kGeluErf, nullptr, nullptr).int8_gemm;
  CHECK(got == hl::SelectInt8Gemm());
#if defined(__wasm_simd128__) && !defined(__wasm_relaxed_simd__)
  CHECK(got == hl::Int8Gemm::kHeadlight);  // plain wasm SIMD builds run Headlight's kernel
#elif !defined(__wasm_simd128__)
  CHECK(got == hl::Int8Gemm::kXnnpack);    // natively there is only XNNPACK's
#endif
}
