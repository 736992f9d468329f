// Attention rollout and attention flow (Abnar & Zuidema 2020): how the layers' attention combines from the input tokens up.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace hl {

// One layer's attention with the residual connection: Â [n][n] = rows-normalised(mean over heads of A + I).
// attention: [A][n][n] of one layer, row i = attention from token i.
void ResidualAttention(double* out, const float* attention, size_t heads, size_t n);

// Rollout: R_1 = Â_1, R_l = Â_l · R_{l−1}. out: [L][n][n], out[l] = R_{l+1}; row i of R_l says how much token i at the
// output of layer l draws on each input token (each row sums to 1). attention: [L][A][n][n].
void AttentionRollout(std::vector<double>* out, const float* attention, size_t layers, size_t heads, size_t n);

// Attention flow's limits: it solves n² maximum-flow problems over a graph of (l+1)·n nodes and l·n² edges, so its
// cost grows about as n⁴·l; inputs longer than this many tokens are refused (rollout has no limit).
constexpr size_t kMaxFlowTokens = 48;

// Flow: F[i][j] = the maximum flow from input token j (the bottom of the layered graph) to token i at the output of
// layer `layers` (1-based), each edge from token j at layer l−1 to token i at layer l having capacity Â_l[i][j].
// out: [n][n]. attention: [L][A][n][n] (layers ≤ L of them are used). Fails when n > kMaxFlowTokens.
Status AttentionFlow(std::vector<double>* out, const float* attention, size_t layers, size_t heads, size_t n);

// Why flow is not computed for n tokens ("" when it is).
std::string FlowRefusal(size_t n);

}  // namespace hl
