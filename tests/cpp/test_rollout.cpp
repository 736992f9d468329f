// Attention rollout and flow (analysis/rollout.h) on hand-worked graphs; NumPy and a plain max-flow check random ones
// (tests/tools/test_rollout_flow.py).
#include <cmath>
#include <random>
#include <vector>

#include "analysis/rollout.h"
#include "test_util.h"

namespace {

// [L][1][2][2]: layer 1 looks at token 0 from everywhere, layer 2 at token 1.
const std::vector<float> kTwoLayers = {1, 0, 1, 0,   // layer 1: Â = [[1, 0], [.5, .5]]
                                       0, 1, 0, 1};  // layer 2: Â = [[.5, .5], [0, 1]]

}  // namespace

TEST_CASE("rollout: residual attention, and the product of two layers by hand", "[analysis]") {
  std::vector<double> a(4);
  hl::ResidualAttention(a.data(), kTwoLayers.data(), 1, 2);
  CHECK(a == std::vector<double>{1, 0, 0.5, 0.5});
  // Two heads are averaged before the identity is added: (0.5·[1,0] + 0.5·[0,1]) + I, rows normalised.
  const std::vector<float> two_heads = {1, 0, 1, 0, 0, 1, 0, 1};  // [2][2][2]
  hl::ResidualAttention(a.data(), two_heads.data(), 2, 2);
  CHECK(a == std::vector<double>{0.75, 0.25, 0.25, 0.75});

  std::vector<double> r;
  hl::AttentionRollout(&r, kTwoLayers.data(), 2, 1, 2);
  REQUIRE(r.size() == 8);
  CHECK(std::vector<double>(r.begin(), r.begin() + 4) == std::vector<double>{1, 0, 0.5, 0.5});
  // R_2 = Â_2 · Â_1 = [[.5·1 + .5·.5, .5·.5], [.5, .5]]
  CHECK(std::vector<double>(r.begin() + 4, r.end()) == std::vector<double>{0.75, 0.25, 0.5, 0.5});
}

TEST_CASE("flow: one layer is its capacities; two layers by hand; bounds on random attention", "[analysis]") {
  std::vector<double> f;
  REQUIRE(hl::AttentionFlow(&f, kTwoLayers.data(), 1, 1, 2).ok());
  CHECK(f == std::vector<double>{1, 0, 0.5, 0.5});
  // Input 0 reaches output 0 along 0→0→0 (min(1, .5)) and 0→1→0 (min(.5, .5)): 1; input 1 only through 1→1: .5.
  REQUIRE(hl::AttentionFlow(&f, kTwoLayers.data(), 2, 1, 2).ok());
  CHECK(f == std::vector<double>{1, 0.5, 0.5, 0.5});

  std::mt19937 g(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const size_t L = 4, A = 2, n = 9;
  std::vector<float> att(L * A * n * n);
  for (size_t r = 0; r < L * A * n; ++r) {
    float s = 0;
    for (size_t j = 0; j < n; ++j) s += att[r * n + j] = std::pow(u(g), 3.f);
    for (size_t j = 0; j < n; ++j) att[r * n + j] /= s;
  }
  std::vector<double> roll, last;
  hl::AttentionRollout(&roll, att.data(), L, A, n);
  REQUIRE(hl::AttentionFlow(&f, att.data(), L, A, n).ok());
  REQUIRE(hl::AttentionFlow(&last, att.data(), 1, A, n).ok());
  std::vector<double> a1(n * n);
  hl::ResidualAttention(a1.data(), att.data(), A, n);
  for (size_t i = 0; i < n; ++i) {
    double row = 0;
    for (size_t j = 0; j < n; ++j) {
      row += roll[(L - 1) * n * n + i * n + j];
      CHECK(last[i * n + j] == Approx(a1[i * n + j]).margin(1e-12));
      // A flow never exceeds what the output token takes in (1) nor what the input token gives to layer 1.
      double out_of_j = 0;
      for (size_t k = 0; k < n; ++k) out_of_j += a1[k * n + j];
      CHECK(f[i * n + j] <= std::min(1.0, out_of_j) + 1e-9);
      CHECK(f[i * n + j] > 0);
    }
    CHECK(row == Approx(1.0).margin(1e-12));
  }
}

TEST_CASE("flow: refused past its token limit with the reason", "[analysis]") {
  const size_t n = hl::kMaxFlowTokens + 1;
  std::vector<float> att(n * n, 1.0f / static_cast<float>(n));
  std::vector<double> f;
  const hl::Status s = hl::AttentionFlow(&f, att.data(), 1, 1, n);
  REQUIRE(!s.ok());
  CHECK(s.message().find("at most " + std::to_string(hl::kMaxFlowTokens) + " tokens") != std::string::npos);
  CHECK(hl::FlowRefusal(hl::kMaxFlowTokens).empty());
}
