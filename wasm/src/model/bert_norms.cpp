// Kobayashi et al.'s value norms during the forward pass (RunOptions::value_norms): one layer's V and attention through
// its output projection's weights (analysis/norms.h), tokens split over the pool.
#include <vector>

#include "analysis/norms.h"
#include "model/bert_parts.h"

namespace hl {

// norms [A][n] = ‖f^h(x_j)‖, summed [n][n] = ‖Σ_h α^h_ij f^h(x_j)‖; probs [A][n][n], qkv [n][3H] (V in columns 2H..3H).
void BertModel::HandOverValueNorms(const Pass& p, float* norms, float* summed, const float* probs, const float* qkv,
                                   const Layer& ly, size_t n) const {
  StageTimer timer(&p.times.value_norms);
  const size_t H = config_.hidden_size, A = config_.num_heads, D = config_.head_size();
  std::vector<float> wt(H * H);      // [H][H] W_O transposed: row c = input channel c (head c / D)
  std::vector<double> gram(n * A * A);  // [n][A][A]
  ly.attn_out.WeightsTransposed(wt.data());
  ParallelTiles(p.k.pool, n, 4, [&](size_t j0, size_t j1) {
    std::vector<float> scratch(A * H);  // [A][H] one token's f^h
    ValueGram(gram.data(), scratch.data(), qkv + 2 * H, 3 * H, wt.data(), j0, j1, A, D, H);
  });
  hl::ValueNorms(norms, gram.data(), n, A);
  ParallelTiles(p.k.pool, n, 8, [&](size_t i0, size_t i1) { NormSummedAttention(summed, probs, gram.data(), i0, i1, n, A); });
}

}  // namespace hl
