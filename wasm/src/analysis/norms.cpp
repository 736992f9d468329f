// Value vectors through the output projection, their Gram matrices per token, and the norm-based attention from them.
#include "analysis/norms.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hl {

void ValueGram(double* gram, float* scratch, const float* v, size_t v_stride, const float* wt, size_t j0, size_t j1,
               size_t heads, size_t head_size, size_t hidden) {
  const size_t A = heads, D = head_size, H = hidden;
  for (size_t j = j0; j < j1; ++j) {
    const float* vj = v + j * v_stride;  // [A·D]
    std::fill(scratch, scratch + A * H, 0.0f);
    for (size_t h = 0; h < A; ++h) {
      float* __restrict f = scratch + h * H;  // [H] f^h(x_j)
      size_t d = 0;
      for (; d + 4 <= D; d += 4) {  // four rows of W_O per pass over f: a quarter of the loads and stores of f
        const float x0 = vj[h * D + d], x1 = vj[h * D + d + 1], x2 = vj[h * D + d + 2], x3 = vj[h * D + d + 3];
        const float* __restrict w0 = wt + (h * D + d) * H;  // [4][H]
        const float* __restrict w1 = w0 + H;
        const float* __restrict w2 = w1 + H;
        const float* __restrict w3 = w2 + H;
        for (size_t o = 0; o < H; ++o) f[o] += (x0 * w0[o] + x1 * w1[o]) + (x2 * w2[o] + x3 * w3[o]);
      }
      for (; d < D; ++d) {
        const float x = vj[h * D + d];
        const float* __restrict w = wt + (h * D + d) * H;  // [H]
        for (size_t o = 0; o < H; ++o) f[o] += x * w[o];
      }
    }
    double* g = gram + j * A * A;  // [A][A]
    for (size_t h = 0; h < A; ++h)
      for (size_t k = h; k < A; ++k) {
        double s = 0;
        for (size_t o = 0; o < H; ++o) s += static_cast<double>(scratch[h * H + o]) * scratch[k * H + o];
        g[h * A + k] = g[k * A + h] = s;
      }
  }
}

void ValueNorms(float* norms, const double* gram, size_t n, size_t heads) {
  for (size_t h = 0; h < heads; ++h)
    for (size_t j = 0; j < n; ++j) norms[h * n + j] = static_cast<float>(std::sqrt(gram[(j * heads + h) * heads + h]));
}

void NormSummedAttention(float* summed, const float* probs, const double* gram, size_t i0, size_t i1, size_t n,
                         size_t heads) {
  const size_t A = heads;
  std::vector<double> a(A);  // [A] α^h_ij
  for (size_t i = i0; i < i1; ++i)
    for (size_t j = 0; j < n; ++j) {
      for (size_t h = 0; h < A; ++h) a[h] = probs[(h * n + i) * n + j];
      const double* g = gram + j * A * A;
      double s = 0;
      for (size_t h = 0; h < A; ++h) {
        double row = 0;
        for (size_t k = 0; k < A; ++k) row += g[h * A + k] * a[k];
        s += a[h] * row;
      }
      summed[i * n + j] = static_cast<float>(std::sqrt(std::max(s, 0.0)));
    }
}

void NormWeightedAttention(float* out, const float* probs, const float* norms, size_t heads, size_t n) {
  for (size_t h = 0; h < heads; ++h)
    for (size_t i = 0; i < n; ++i) {
      const float* p = probs + (h * n + i) * n;  // [n]
      const float* f = norms + h * n;            // [n]
      float* o = out + (h * n + i) * n;          // [n]
      double total = 0;
      for (size_t j = 0; j < n; ++j) total += static_cast<double>(p[j]) * f[j];
      for (size_t j = 0; j < n; ++j) o[j] = total > 0 ? static_cast<float>(static_cast<double>(p[j]) * f[j] / total) : 0.0f;
    }
}

void NormaliseRows(float* m, size_t rows, size_t n) {
  for (size_t i = 0; i < rows; ++i) {
    float* r = m + i * n;
    double total = 0;
    for (size_t j = 0; j < n; ++j) total += r[j];
    if (total > 0)
      for (size_t j = 0; j < n; ++j) r[j] = static_cast<float>(r[j] / total);
  }
}

}  // namespace hl
