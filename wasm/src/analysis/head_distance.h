// Distances between attention heads (Clark et al. 2019): Jensen–Shannon divergence of smoothed rows, summed over texts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hl {

// Natural log of x > 0 (finite, normal), branch-free so loops over it vectorize; within a few ulp of std::log.
double LogPositive(double x);

// Σ x ln x over x [n] (every x > 0).
double SumXLogX(const double* x, size_t n);

// Jensen–Shannon divergence (nats) of two rows p, q [n] with positive entries: ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2.
double JsDivergence(const double* p, const double* q, size_t n);

// Sums of row JS divergences between every pair of heads, over the texts added so far.
struct DistanceSums {
  size_t total_heads = 0;
  int64_t texts = 0, rows = 0;
  std::vector<double> sum;  // [total_heads][total_heads], symmetric, zero diagonal
};

// Starts empty sums for `total_heads` heads (all layers: index l·A + h).
void InitDistanceSums(DistanceSums* sums, size_t total_heads);

// Adds one text: attention [total_heads][n][n]; for every row i and pair h1 < h2, JS of the two rows smoothed as
// 0.999·α + 0.001/n. sums->total_heads must equal total_heads.
void AddHeadDistances(DistanceSums* sums, const float* attention, size_t total_heads, size_t n);

}  // namespace hl
