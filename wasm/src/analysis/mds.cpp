// The head map's layout: symmetric eigen-decomposition (tred2/tql2), classical MDS, SMACOF and Kruskal stress.
#include "analysis/mds.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hl {

namespace {

// Householder reduction of v [n][n] (a symmetric matrix; stored column by column) to tridiagonal form: diagonal d [n], subdiagonal
// e [n] (e[i] couples i−1 and i), v becomes the accumulated orthogonal transformation.
void Tridiagonalize(double* v, double* d, double* e, size_t n) {
  auto V = [&](size_t i, size_t j) -> double& { return v[j * n + i]; };  // column-major: inner loops run down columns
  for (size_t j = 0; j < n; ++j) d[j] = V(n - 1, j);
  for (size_t i = n - 1; i > 0; --i) {
    double scale = 0.0, h = 0.0;
    for (size_t k = 0; k < i; ++k) scale += std::fabs(d[k]);
    if (scale == 0.0) {
      e[i] = d[i - 1];
      for (size_t j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
        V(j, i) = 0.0;
      }
    } else {
      for (size_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (size_t j = 0; j < i; ++j) e[j] = 0.0;
      for (size_t j = 0; j < i; ++j) {
        f = d[j];
        V(j, i) = f;
        g = e[j] + V(j, j) * f;
        for (size_t k = j + 1; k + 1 <= i; ++k) {
          g += V(k, j) * d[k];
          e[k] += V(k, j) * f;
        }
        e[j] = g;
      }
      f = 0.0;
      for (size_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (size_t j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (size_t j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (size_t k = j; k + 1 <= i; ++k) V(k, j) -= (f * e[k] + g * d[k]);
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (size_t i = 0; i + 1 < n; ++i) {
    V(n - 1, i) = V(i, i);
    V(i, i) = 1.0;
    const double h = d[i + 1];
    if (h != 0.0) {
      for (size_t k = 0; k <= i; ++k) d[k] = V(k, i + 1) / h;
      for (size_t j = 0; j <= i; ++j) {
        double g = 0.0;
        for (size_t k = 0; k <= i; ++k) g += V(k, i + 1) * V(k, j);
        for (size_t k = 0; k <= i; ++k) V(k, j) -= g * d[k];
      }
    }
    for (size_t k = 0; k <= i; ++k) V(k, i + 1) = 0.0;
  }
  for (size_t j = 0; j < n; ++j) {
    d[j] = V(n - 1, j);
    V(n - 1, j) = 0.0;
  }
  V(n - 1, n - 1) = 1.0;
  e[0] = 0.0;
}

// Implicit QL iterations on the tridiagonal (d, e) from Tridiagonalize, rotating v [n][n]: d becomes the
// eigenvalues (unsorted), the columns of v (contiguous: v is column-major) the eigenvectors. False after 100 iterations on one value.
bool TridiagonalQl(double* v, double* d, double* e, size_t n) {
  auto V = [&](size_t i, size_t j) -> double& { return v[j * n + i]; };  // column-major: inner loops run down columns
  for (size_t i = 1; i < n; ++i) e[i - 1] = e[i];
  e[n - 1] = 0.0;
  double f = 0.0, tst1 = 0.0;
  const double eps = std::ldexp(1.0, -52);
  for (size_t l = 0; l < n; ++l) {
    tst1 = std::max(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    size_t m = l;
    while (m < n && std::fabs(e[m]) > eps * tst1) ++m;  // e[n-1] is 0, so m < n
    if (m > l) {
      int iter = 0;
      do {
        if (++iter > 100) return false;
        // implicit shift
        double g = d[l];
        double p = (d[l + 1] - g) / (2.0 * e[l]);
        double r = std::hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (size_t i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        // implicit QL transformation
        p = d[m];
        double c = 1.0, c2 = c, c3 = c, s = 0.0, s2 = 0.0;
        const double el1 = e[l + 1];
        for (size_t i = m; i-- > l;) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = std::hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (size_t k = 0; k < n; ++k) {
            h = V(k, i + 1);
            V(k, i + 1) = s * V(k, i) + c * h;
            V(k, i) = c * V(k, i) - s * h;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (std::fabs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0.0;
  }
  return true;
}

double Dist2d(const double* points, size_t i, size_t j) {
  const double dx = points[2 * i] - points[2 * j], dy = points[2 * i + 1] - points[2 * j + 1];
  return std::sqrt(dx * dx + dy * dy);  // not std::hypot: 10× slower, and these never overflow
}

// One Guttman transform (unit weights): out_i = (1/n) Σ_{j≠i} (δ_ij / d_ij)(x_i − x_j), pairs at distance 0 skipped.
// out, points: [n][2].
void GuttmanTransform(double* out, const double* points, const double* distance, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    double x = 0, y = 0;
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double d = Dist2d(points, i, j);
      if (d <= 0) continue;
      const double w = distance[i * n + j] / d;
      x += w * (points[2 * i] - points[2 * j]);
      y += w * (points[2 * i + 1] - points[2 * j + 1]);
    }
    out[2 * i] = x / static_cast<double>(n);
    out[2 * i + 1] = y / static_cast<double>(n);
  }
}

}  // namespace

bool SymmetricEigen(std::vector<double>* values, std::vector<double>* vectors, const double* a, size_t n) {
  values->assign(n, 0.0);
  vectors->assign(a, a + n * n);
  if (n == 0) return true;
  std::vector<double> d(n), e(n);  // [n] diagonal, subdiagonal
  Tridiagonalize(vectors->data(), d.data(), e.data(), n);
  if (!TridiagonalQl(vectors->data(), d.data(), e.data(), n)) return false;
  // sort descending (stable: equal values keep QL's order)
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return d[x] > d[y]; });
  std::vector<double> sorted(n * n);  // [n][n]
  for (size_t k = 0; k < n; ++k) {
    (*values)[k] = d[order[k]];
    for (size_t i = 0; i < n; ++i) sorted[i * n + k] = (*vectors)[order[k] * n + i];  // column-major → row-major
  }
  vectors->swap(sorted);
  return true;
}

bool ClassicalMds(std::vector<double>* points, const double* distance, size_t n) {
  points->assign(2 * n, 0.0);
  if (n < 2) return true;
  // B = −½ J D² J: b_ij = −½ (d²_ij − r_i − r_j + g), r = row means of D², g = their mean
  std::vector<double> d2(n * n), row(n, 0.0), b(n * n);  // [n][n], [n], [n][n]
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      d2[i * n + j] = distance[i * n + j] * distance[i * n + j];
      row[i] += d2[i * n + j] / static_cast<double>(n);
    }
  const double grand = std::accumulate(row.begin(), row.end(), 0.0) / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) b[i * n + j] = -0.5 * (d2[i * n + j] - row[i] - row[j] + grand);
  std::vector<double> values, vectors;
  if (!SymmetricEigen(&values, &vectors, b.data(), n)) return false;
  for (size_t k = 0; k < 2 && k < n; ++k) {
    const double scale = std::sqrt(std::max(values[k], 0.0));
    size_t big = 0;
    for (size_t i = 1; i < n; ++i)
      if (std::fabs(vectors[i * n + k]) > std::fabs(vectors[big * n + k])) big = i;
    const double sign = vectors[big * n + k] < 0 ? -1.0 : 1.0;
    for (size_t i = 0; i < n; ++i) (*points)[2 * i + k] = sign * scale * vectors[i * n + k];
  }
  return true;
}

double RawStress(const double* points, const double* distance, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double r = Dist2d(points, i, j) - distance[i * n + j];
      s += r * r;
    }
  return s;
}

double KruskalStress1(const double* points, const double* distance, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) total += distance[i * n + j] * distance[i * n + j];
  return total > 0 ? std::sqrt(RawStress(points, distance, n) / total) : 0.0;
}

int Smacof(std::vector<double>* points, const double* distance, size_t n, int max_iterations, double tolerance) {
  std::vector<double> next(2 * n);  // [n][2]
  double prev = RawStress(points->data(), distance, n);
  int it = 0;
  while (it < max_iterations && prev > 0) {
    GuttmanTransform(next.data(), points->data(), distance, n);
    points->swap(next);
    ++it;
    const double cur = RawStress(points->data(), distance, n);
    const bool done = (prev - cur) / prev < tolerance;
    prev = cur;
    if (done) break;
  }
  return it;
}

bool Mds2d(MdsResult* out, const double* distance, size_t n) {
  if (!ClassicalMds(&out->points, distance, n)) return false;
  out->iterations = Smacof(&out->points, distance, n);
  out->stress = KruskalStress1(out->points.data(), distance, n);
  return true;
}

}  // namespace hl
