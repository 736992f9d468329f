// Clark et al.'s head map: texts' attention summed into head-to-head distances and token-weighted head statistics, then
// placed on a plane by MDS. The one accumulator behind the C API (hl_distances_*) and hl-analyze.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/head_distance.h"
#include "analysis/head_stats.h"
#include "analysis/mds.h"
#include "common/status.h"

namespace hl {

class HeadMap {
 public:
  HeadMap(size_t layers, size_t heads_per_layer);

  // Adds one text: attention [L·A][n][n] (head index l·A + h) and its tokens' classes. per_text, when given, receives
  // this text's statistics [L·A], pattern examples included.
  void Add(const float* attention, const TokenClasses& tokens, size_t n, std::vector<HeadStats>* per_text = nullptr);

  size_t layers() const { return layers_; }
  size_t heads_per_layer() const { return heads_per_layer_; }
  int64_t texts() const { return distances_.texts; }

  // The statistics over every text added, token-weighted [L·A].
  std::vector<HeadStats> Aggregate() const;

  // StatsJson of Aggregate(): "n" = Σ n, "uniform_entropy" = Σ n·ln n / Σ n (uniform attention's mean row entropy).
  nlohmann::json AggregateJson(const TokenConventions& conventions = TokenConventions()) const;

  // MDS of the summed distances into *mds. Fails when no text was added or the eigen-decomposition did not converge.
  Status Place(MdsResult* mds) const;

  // DistancesJson of the sums and `mds` (from Place), with "aggregate": AggregateJson().
  nlohmann::json Json(const MdsResult& mds, const TokenConventions& conventions = TokenConventions()) const;

  // The sums themselves, for AddSums elsewhere (a corpus split over processes): {"format": "headlight-head-map-sums",
  // "layers", "heads_per_layer", "texts", "rows", "tokens", "n_log_n", "distance": [H·H], "heads": {"rows": [H], "texts",
  // "next", ... (each HeadSums field): [H]}}. Doubles print to 17 significant digits, so they read back exactly.
  nlohmann::json SumsJson() const;
  // Adds SumsJson() of another head map of the same shape; checks it all first and adds nothing if any of it is wrong.
  Status AddSums(const nlohmann::json& sums);

 private:
  size_t layers_, heads_per_layer_;
  DistanceSums distances_;      // over L·A heads
  std::vector<HeadSums> sums_;  // [L·A] the same texts' statistics
  int64_t tokens_ = 0;          // Σ n
  double n_log_n_ = 0;          // Σ n·ln n
};

}  // namespace hl
