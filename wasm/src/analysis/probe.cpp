// Softmax-regression probes, their control labels and the figures reported with them (probe.h).
#include "analysis/probe.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hl {
namespace {

// splitmix64 (Steele, Lea & Flood 2014): the probes' only source of randomness.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over a string's bytes, ASCII letters lowercased when asked: the probes' keys of word types and sentence ids.
uint64_t Fnv1a(const std::string& s, bool lowercase_ascii) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= (lowercase_ascii && c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A uniform index in [0, n) from the state (advanced).
size_t NextIndex(uint64_t* state, size_t n) {
  *state += 1;
  return static_cast<size_t>(Mix(*state) % n);
}

Status CheckProbeInput(const float* x, const int32_t* y, size_t rows, size_t dim, size_t classes, const ProbeOptions& o) {
  if (rows == 0 || dim == 0) return InvalidArgument("a probe needs at least one row of at least one feature");
  if (classes < 2) return InvalidArgument("a probe needs at least two classes");
  if (o.epochs < 1 || o.batch < 1 || !(o.learning_rate > 0) || !(o.l2 >= 0) || !std::isfinite(o.learning_rate) ||
      !std::isfinite(o.l2)) {
    return InvalidArgument("probe options: epochs ≥ 1, batch ≥ 1, learning rate > 0 and L2 ≥ 0, all finite");
  }
  for (size_t r = 0; r < rows; ++r) {
    if (y[r] < 0 || static_cast<size_t>(y[r]) >= classes) {
      return InvalidArgument("probe label " + std::to_string(y[r]) + " of row " + std::to_string(r) + " is not in [0, " +
                             std::to_string(classes) + ")");
    }
  }
  for (size_t i = 0; i < rows * dim; ++i) {
    if (!std::isfinite(x[i])) return InvalidArgument("probe feature " + std::to_string(i) + " is not finite");
  }
  return Status::Ok();
}

// Each feature's mean and 1/std over the rows (1 where the feature is constant). mean, scale: [dim]; x: [rows][dim].
void Standardiser(std::vector<float>* mean, std::vector<float>* scale, const float* x, size_t rows, size_t dim) {
  std::vector<double> sum(dim, 0.0), sq(dim, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t d = 0; d < dim; ++d) sum[d] += x[r * dim + d];
  }
  mean->assign(dim, 0.0f);
  for (size_t d = 0; d < dim; ++d) (*mean)[d] = static_cast<float>(sum[d] / rows);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t d = 0; d < dim; ++d) {
      const double c = x[r * dim + d] - (*mean)[d];
      sq[d] += c * c;
    }
  }
  scale->assign(dim, 1.0f);
  for (size_t d = 0; d < dim; ++d) {
    const double sd = std::sqrt(sq[d] / rows);
    if (sd > 1e-12) (*scale)[d] = static_cast<float>(1.0 / sd);
  }
}

// z = (x − mean)·scale. z, x, mean, scale: [dim].
void StandardiseRow(float* z, const float* x, const float* mean, const float* scale, size_t dim) {
  for (size_t d = 0; d < dim; ++d) z[d] = (x[d] - mean[d]) * scale[d];
}

// logits = W·z + b. logits: [classes]; weights: [classes][dim]; z: [dim].
void ProbeLogits(float* logits, const float* weights, const float* bias, const float* z, size_t classes, size_t dim) {
  for (size_t c = 0; c < classes; ++c) {
    const float* w = weights + c * dim;
    float s = 0.0f;
    for (size_t d = 0; d < dim; ++d) s += w[d] * z[d];
    logits[c] = s + bias[c];
  }
}

// Softmax in place. p: [classes].
void SoftmaxInPlace(float* p, size_t classes) {
  const float top = *std::max_element(p, p + classes);
  float sum = 0.0f;
  for (size_t c = 0; c < classes; ++c) sum += (p[c] = std::exp(p[c] - top));
  for (size_t c = 0; c < classes; ++c) p[c] /= sum;
}

// One Adam update of params [count] by grad [count], with moments m, v [count] at step t (1-based).
void AdamStep(float* params, float* m, float* v, const float* grad, size_t count, float lr, int64_t t) {
  constexpr float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const float c1 = 1.0f - static_cast<float>(std::pow(b1, static_cast<double>(t)));
  const float c2 = 1.0f - static_cast<float>(std::pow(b2, static_cast<double>(t)));
  for (size_t i = 0; i < count; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * grad[i];
    v[i] = b2 * v[i] + (1.0f - b2) * grad[i] * grad[i];
    params[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

}  // namespace

Status TrainSoftmaxProbe(SoftmaxProbe* out, const float* x, const int32_t* y, size_t rows, size_t dim, size_t classes,
                         const ProbeOptions& o) {
  Status s = CheckProbeInput(x, y, rows, dim, classes, o);
  if (!s.ok()) return s;
  SoftmaxProbe p;
  p.dim = dim;
  p.classes = classes;
  Standardiser(&p.mean, &p.scale, x, rows, dim);
  std::vector<float> z(rows * dim);  // [rows][dim] standardised once
  for (size_t r = 0; r < rows; ++r) StandardiseRow(&z[r * dim], x + r * dim, p.mean.data(), p.scale.data(), dim);
  p.weights.assign(classes * dim, 0.0f);  // the loss is convex: zeros are as good a start as any, and need no draw
  p.bias.assign(classes, 0.0f);

  std::vector<float> gw(classes * dim), gb(classes), mw(classes * dim, 0.0f), vw(classes * dim, 0.0f), mb(classes, 0.0f),
      vb(classes, 0.0f), prob(classes);
  std::vector<size_t> order(rows);
  std::iota(order.begin(), order.end(), size_t{0});
  uint64_t state = o.seed;
  int64_t t = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    for (size_t i = rows - 1; i > 0; --i) std::swap(order[i], order[NextIndex(&state, i + 1)]);  // Fisher–Yates
    for (size_t start = 0; start < rows; start += o.batch) {
      const size_t end = std::min(rows, start + o.batch);
      const float inv = 1.0f / static_cast<float>(end - start);
      for (size_t i = 0; i < classes * dim; ++i) gw[i] = o.l2 * p.weights[i];
      std::fill(gb.begin(), gb.end(), 0.0f);
      for (size_t k = start; k < end; ++k) {
        const float* zr = &z[order[k] * dim];
        ProbeLogits(prob.data(), p.weights.data(), p.bias.data(), zr, classes, dim);
        SoftmaxInPlace(prob.data(), classes);
        prob[y[order[k]]] -= 1.0f;  // ∂loss/∂logits = p − onehot
        for (size_t c = 0; c < classes; ++c) {
          const float g = prob[c] * inv;
          float* row = &gw[c * dim];
          for (size_t d = 0; d < dim; ++d) row[d] += g * zr[d];
          gb[c] += g;
        }
      }
      ++t;
      AdamStep(p.weights.data(), mw.data(), vw.data(), gw.data(), classes * dim, o.learning_rate, t);
      AdamStep(p.bias.data(), mb.data(), vb.data(), gb.data(), classes, o.learning_rate, t);
    }
  }
  *out = std::move(p);
  return Status::Ok();
}

void PredictSoftmaxProbe(int32_t* out, const SoftmaxProbe& p, const float* x, size_t rows) {
  std::vector<float> z(p.dim), logits(p.classes);
  for (size_t r = 0; r < rows; ++r) {
    StandardiseRow(z.data(), x + r * p.dim, p.mean.data(), p.scale.data(), p.dim);
    ProbeLogits(logits.data(), p.weights.data(), p.bias.data(), z.data(), p.classes, p.dim);
    out[r] = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
}

double ProbeAccuracy(const int32_t* predicted, const int32_t* gold, size_t rows) {
  if (rows == 0) return 0.0;
  size_t right = 0;
  for (size_t r = 0; r < rows; ++r) right += predicted[r] == gold[r];
  return static_cast<double>(right) / rows;
}

int32_t MajorityLabel(const int32_t* y, size_t rows, double* fraction) {
  std::vector<size_t> count;
  for (size_t r = 0; r < rows; ++r) {
    if (y[r] < 0) continue;
    if (static_cast<size_t>(y[r]) >= count.size()) count.resize(y[r] + 1, 0);
    count[y[r]] += 1;
  }
  if (count.empty()) {
    if (fraction) *fraction = 0.0;
    return -1;
  }
  const auto top = std::max_element(count.begin(), count.end());  // the first (smallest label) on ties
  if (fraction) *fraction = static_cast<double>(*top) / rows;
  return static_cast<int32_t>(top - count.begin());
}

void PoolWordVectors(float* out, std::vector<bool>* has_token, const float* states, const int32_t* token_word, size_t n,
                     size_t hidden, size_t words, WordPooling pooling) {
  std::fill(out, out + words * hidden, 0.0f);
  has_token->assign(words, false);
  std::vector<int32_t> pieces(words, 0);
  for (size_t i = 0; i < n; ++i) {
    const int32_t w = token_word[i];
    if (w < 0 || static_cast<size_t>(w) >= words) continue;
    if (pooling == WordPooling::kFirstPiece && pieces[w] > 0) continue;
    pieces[w] += 1;
    (*has_token)[w] = true;
    float* o = out + w * hidden;
    const float* x = states + i * hidden;
    for (size_t d = 0; d < hidden; ++d) o[d] += x[d];
  }
  for (size_t w = 0; w < words; ++w) {
    if (pieces[w] < 2) continue;
    const float inv = 1.0f / static_cast<float>(pieces[w]);
    for (size_t d = 0; d < hidden; ++d) out[w * hidden + d] *= inv;
  }
}

bool HeldOutSentence(const std::string& sentence_id, uint64_t seed, int held_out_percent) {
  const uint64_t h = Fnv1a(sentence_id, false);  // ids are case-sensitive
  return static_cast<int>(Mix(h ^ Mix(seed ^ 0x5eed)) % 100) < held_out_percent;
}

uint64_t WordTypeKey(const std::string& form, uint64_t seed) {
  return Mix(Fnv1a(form, true) ^ Mix(seed));
}

void ControlLabels(std::vector<int32_t>* control, const std::vector<std::string>& forms, const int32_t* labels,
                   size_t rows, size_t classes, uint64_t seed) {
  std::vector<double> cdf(classes, 0.0);  // the labels' distribution over the rows, cumulated
  for (size_t r = 0; r < rows; ++r) {
    if (labels[r] >= 0 && static_cast<size_t>(labels[r]) < classes) cdf[labels[r]] += 1.0;
  }
  const double total = std::accumulate(cdf.begin(), cdf.end(), 0.0);
  for (size_t c = 1; c < classes; ++c) cdf[c] += cdf[c - 1];
  control->assign(rows, 0);
  if (total == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    const double u = static_cast<double>(WordTypeKey(forms[r], seed) >> 11) * 0x1.0p-53 * total;  // in [0, total)
    (*control)[r] = static_cast<int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
}

}  // namespace hl
