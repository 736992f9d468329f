// Attention rollout (a product of residual-aware attention matrices) and attention flow (Dinic's maximum flow per pair).
#include "analysis/rollout.h"

#include <algorithm>
#include <limits>

namespace hl {

void ResidualAttention(double* out, const float* attention, size_t heads, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    double* row = out + i * n;  // [n]
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t h = 0; h < heads; ++h) s += attention[(h * n + i) * n + j];
      row[j] = s / static_cast<double>(heads) + (i == j ? 1.0 : 0.0);
    }
    double total = 0;
    for (size_t j = 0; j < n; ++j) total += row[j];
    for (size_t j = 0; j < n; ++j) row[j] /= total;  // total ≥ 1 (the identity's 1)
  }
}

void AttentionRollout(std::vector<double>* out, const float* attention, size_t layers, size_t heads, size_t n) {
  out->assign(layers * n * n, 0.0);
  std::vector<double> a(n * n);  // [n][n] Â of the current layer
  for (size_t l = 0; l < layers; ++l) {
    ResidualAttention(a.data(), attention + l * heads * n * n, heads, n);
    double* r = out->data() + l * n * n;  // [n][n] R_{l+1}
    if (l == 0) { std::copy(a.begin(), a.end(), r); continue; }
    const double* prev = r - n * n;       // [n][n] R_l
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < n; ++k) {
        const double aik = a[i * n + k];
        const double* pk = prev + k * n;
        double* ri = r + i * n;
        for (size_t j = 0; j < n; ++j) ri[j] += aik * pk[j];
      }
  }
}

std::string FlowRefusal(size_t n) {
  if (n <= kMaxFlowTokens) return "";
  return "attention flow is computed for at most " + std::to_string(kMaxFlowTokens) + " tokens (this text has " +
         std::to_string(n) + "): it solves n² maximum-flow problems over a graph of layers·n² edges, about n⁴·layers "
         "steps; rollout has no limit";
}

namespace {

// Dinic's maximum flow on a fixed graph whose capacities are reset before each source/sink pair.
class MaxFlow {
 public:
  explicit MaxFlow(size_t nodes) : first_(nodes, -1), level_(nodes), it_(nodes) {}

  void AddEdge(int32_t from, int32_t to, double capacity) {
    arcs_.push_back({to, first_[from], capacity});
    first_[from] = static_cast<int32_t>(arcs_.size() - 1);
    arcs_.push_back({from, first_[to], 0.0});
    first_[to] = static_cast<int32_t>(arcs_.size() - 1);
    capacity_.push_back(capacity);
    capacity_.push_back(0.0);
  }

  double Run(int32_t source, int32_t sink) {
    for (size_t e = 0; e < arcs_.size(); ++e) arcs_[e].residual = capacity_[e];
    double flow = 0;
    while (Levels(source, sink)) {
      std::copy(first_.begin(), first_.end(), it_.begin());
      flow += Blocking(source, sink);
    }
    return flow;
  }

 private:
  struct Arc {
    int32_t to, next;  // head node; next arc out of the same tail (-1: none)
    double residual;
  };
  static constexpr double kEps = 1e-12;  // residuals below this are saturated (capacities are at most 1)

  // BFS levels over arcs with residual capacity; false when the sink is unreachable.
  bool Levels(int32_t source, int32_t sink) {
    std::fill(level_.begin(), level_.end(), -1);
    queue_.assign(1, source);
    level_[source] = 0;
    for (size_t q = 0; q < queue_.size(); ++q) {
      const int32_t u = queue_[q];
      for (int32_t e = first_[u]; e >= 0; e = arcs_[e].next)
        if (arcs_[e].residual > kEps && level_[arcs_[e].to] < 0) {
          level_[arcs_[e].to] = level_[u] + 1;
          queue_.push_back(arcs_[e].to);
        }
    }
    return level_[sink] >= 0;
  }

  // One blocking flow along level-increasing paths, found iteratively (path_ holds the arcs from the source).
  double Blocking(int32_t source, int32_t sink) {
    double total = 0;
    path_.clear();
    int32_t u = source;
    while (true) {
      if (u == sink) {
        double push = std::numeric_limits<double>::infinity();
        for (int32_t e : path_) push = std::min(push, arcs_[e].residual);
        size_t cut = path_.size();
        for (size_t k = 0; k < path_.size(); ++k) {
          arcs_[path_[k]].residual -= push;
          arcs_[path_[k] ^ 1].residual += push;
          if (cut == path_.size() && arcs_[path_[k]].residual <= kEps) cut = k;
        }
        total += push;
        path_.resize(cut);  // back to the tail of the first saturated arc
        u = cut == 0 ? source : arcs_[path_.back()].to;
        continue;
      }
      int32_t& e = it_[u];
      while (e >= 0 && !(arcs_[e].residual > kEps && level_[arcs_[e].to] == level_[u] + 1)) e = arcs_[e].next;
      if (e >= 0) {
        path_.push_back(e);
        u = arcs_[e].to;
        continue;
      }
      if (u == source) break;
      level_[u] = -1;  // a dead end in this phase
      path_.pop_back();
      u = path_.empty() ? source : arcs_[path_.back()].to;
      it_[u] = arcs_[it_[u]].next;
    }
    return total;
  }

  std::vector<Arc> arcs_;
  std::vector<double> capacity_;  // [arcs] each arc's capacity, restored before each pair
  std::vector<int32_t> first_, level_, it_, queue_, path_;
};

}  // namespace

Status AttentionFlow(std::vector<double>* out, const float* attention, size_t layers, size_t heads, size_t n) {
  const std::string refusal = FlowRefusal(n);
  if (!refusal.empty()) return InvalidArgument(refusal);
  if (layers == 0 || n == 0) return InvalidArgument("attention flow needs at least one layer and one token");
  // Node l·n + i: token i at the output of layer l (l = 0: the input).
  MaxFlow graph((layers + 1) * n);
  std::vector<double> a(n * n);  // [n][n] Â of one layer
  for (size_t l = 1; l <= layers; ++l) {
    ResidualAttention(a.data(), attention + (l - 1) * heads * n * n, heads, n);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (a[i * n + j] > 0)
          graph.AddEdge(static_cast<int32_t>((l - 1) * n + j), static_cast<int32_t>(l * n + i), a[i * n + j]);
  }
  out->assign(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      (*out)[i * n + j] = graph.Run(static_cast<int32_t>(j), static_cast<int32_t>(layers * n + i));
  return Status::Ok();
}

}  // namespace hl
