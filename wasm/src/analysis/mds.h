// Metric multidimensional scaling of a distance matrix into 2-D: classical (Torgerson) start, then SMACOF; deterministic.
#pragma once
#include <cstddef>
#include <vector>

namespace hl {

// Eigen-decomposition of a symmetric matrix a [n][n] (Householder tridiagonalisation + implicit QL, as EISPACK's
// tred2/tql2): values [n] in descending order, vectors [n][n] with column k the unit eigenvector of values[k].
// False if QL did not converge (then values/vectors are unspecified).
bool SymmetricEigen(std::vector<double>* values, std::vector<double>* vectors, const double* a, size_t n);

// Classical MDS: the top two eigenpairs of −½·J·D²·J, coordinates √max(λ,0)·v, each axis signed so that its
// largest-magnitude coordinate is positive. points: [n][2]; distance: [n][n] symmetric.
bool ClassicalMds(std::vector<double>* points, const double* distance, size_t n);

// Raw stress Σ_{i<j} (‖x_i − x_j‖ − δ_ij)² of points [n][2] against distance [n][n].
double RawStress(const double* points, const double* distance, size_t n);

// Kruskal's stress-1: √(raw stress / Σ_{i<j} δ_ij²); 0 when every δ is 0.
double KruskalStress1(const double* points, const double* distance, size_t n);

// SMACOF from the given points [n][2] (updated in place): Guttman transforms until the relative decrease of raw
// stress is below tolerance or max_iterations were done. Returns the iterations done.
int Smacof(std::vector<double>* points, const double* distance, size_t n, int max_iterations = 300,
           double tolerance = 1e-6);

struct MdsResult {
  std::vector<double> points;  // [n][2]
  double stress = 0;           // Kruskal stress-1 of the final points
  int iterations = 0;          // SMACOF iterations
};

// ClassicalMds, then Smacof(300, 1e-6), then KruskalStress1. False if the eigen-decomposition failed.
bool Mds2d(MdsResult* out, const double* distance, size_t n);

}  // namespace hl
