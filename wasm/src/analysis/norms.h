// Norm-based attention (Kobayashi et al. 2020, "Attention is not only a weight"): the size of what each head carries
// from token j to token i, ‖α_ij f^h(x_j)‖, where f^h(x_j) = v^h_j · W_O^h is token j's value in head h (bias
// included) through the head's rows of the output projection.
#pragma once
#include <cstddef>

namespace hl {

// gram [n][A][A], rows j0 ≤ j < j1 written: G_j[h][h'] = ⟨f^h(x_j), f^h'(x_j)⟩ (double sums of the f32 vectors).
// v: token rows of stride v_stride, head h's value in columns h·D..(h+1)·D−1; wt: W_O transposed [A·D][H]
// (row h·D + d is input channel h·D + d). scratch: [A][H] floats.
void ValueGram(double* gram, float* scratch, const float* v, size_t v_stride, const float* wt, size_t j0, size_t j1,
               size_t heads, size_t head_size, size_t hidden);

// norms [A][n] = ‖f^h(x_j)‖ = √G_j[h][h].
void ValueNorms(float* norms, const double* gram, size_t n, size_t heads);

// summed rows i0 ≤ i < i1 of [n][n]: ‖Σ_h α^h_ij f^h(x_j)‖ = √(Σ_h Σ_h' α^h_ij α^h'_ij G_j[h][h']). probs: [A][n][n].
void NormSummedAttention(float* summed, const float* probs, const double* gram, size_t i0, size_t i1, size_t n,
                         size_t heads);

// The per-head weighting as distributions: out [A][n][n] = α^h_ij ‖f^h(x_j)‖ / Σ_k α^h_ik ‖f^h(x_k)‖ (a row whose
// sum is 0 stays 0). probs: [A][n][n]; norms: [A][n].
void NormWeightedAttention(float* out, const float* probs, const float* norms, size_t heads, size_t n);

// Rows of summed [n][n] renormalised to sum to 1 (a zero row stays zero), in place.
void NormaliseRows(float* m, size_t rows, size_t n);

}  // namespace hl
