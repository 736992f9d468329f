// Clark et al.'s head map: one accumulator of distances and statistics over texts, then MDS and its JSON.
#include "analysis/head_map.h"

#include <cmath>

#include "analysis/analysis_json.h"

namespace hl {

HeadMap::HeadMap(size_t layers, size_t heads_per_layer)
    : layers_(layers), heads_per_layer_(heads_per_layer), sums_(layers * heads_per_layer) {
  InitDistanceSums(&distances_, layers * heads_per_layer);
}

void HeadMap::Add(const float* attention, const TokenClasses& tokens, size_t n, std::vector<HeadStats>* per_text) {
  const size_t H = layers_ * heads_per_layer_;
  AddHeadDistances(&distances_, attention, H, n);
  std::vector<HeadSums> text(H);  // [H] this text's sums
  AddAllHeadSums(&text, attention, tokens, H, n);
  if (per_text) per_text->assign(H, HeadStats());
  for (size_t h = 0; h < H; ++h) {
    MergeHeadSums(&sums_[h], text[h]);
    if (!per_text) continue;
    HeadStatsFromSums(&(*per_text)[h], text[h]);
    FindPatternExamples(&(*per_text)[h].examples, attention + h * n * n, tokens, n);
  }
  tokens_ += static_cast<int64_t>(n);
  n_log_n_ += n ? static_cast<double>(n) * std::log(static_cast<double>(n)) : 0.0;
}

std::vector<HeadStats> HeadMap::Aggregate() const {
  std::vector<HeadStats> out(sums_.size());
  for (size_t h = 0; h < sums_.size(); ++h) HeadStatsFromSums(&out[h], sums_[h]);
  return out;
}

nlohmann::json HeadMap::AggregateJson(const TokenConventions& conventions) const {
  const double uniform = tokens_ ? n_log_n_ / static_cast<double>(tokens_) : 0.0;
  return StatsJson(Aggregate(), tokens_, uniform, layers_, heads_per_layer_, conventions);
}

Status HeadMap::Place(MdsResult* mds) const {
  if (distances_.texts == 0) return Status(Code::kInvalidArgument, "the head map has no texts yet: add one first");
  if (!Mds2d(mds, distances_.sum.data(), distances_.total_heads))
    return Status(Code::kInternal, "the head map's MDS did not converge (eigen-decomposition)");
  return Status::Ok();
}

nlohmann::json HeadMap::Json(const MdsResult& mds, const TokenConventions& conventions) const {
  nlohmann::json j = DistancesJson(distances_, mds, layers_, heads_per_layer_);
  j["aggregate"] = AggregateJson(conventions);
  return j;
}

}  // namespace hl
