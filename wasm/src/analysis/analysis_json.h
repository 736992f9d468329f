// JSON forms of the head statistics and the head map, shared by the C API (hl_result_stats, hl_distances_mds) and hl-analyze.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/head_distance.h"
#include "analysis/head_stats.h"
#include "analysis/mds.h"

namespace hl {

// {"layer","head","next","previous","self","cls","sep","punct","delimiter","entropy","cls_entropy","identical",
//  "identical_count","other_sentence","other_sentence_count","subword","subword_count","labels","dominant","examples"};
// NaN (a pattern that applied nowhere) becomes null when dumped. "examples" (one text's statistics only, else null):
// {"next","previous","delimiter","identical","other_sentence","subword"}, each {"token","score"} or null.
// Labels name the special tokens as `conventions` does.
nlohmann::json HeadStatsJson(const HeadStats& stats, size_t layer, size_t head,
                             const TokenConventions& conventions = TokenConventions());

// {"n","uniform_entropy","layers","heads_per_layer","per_head":[HeadStatsJson of stats [layers·heads_per_layer]]}.
nlohmann::json StatsJson(const std::vector<HeadStats>& stats, int64_t n, double uniform_entropy, size_t layers,
                         size_t heads_per_layer, const TokenConventions& conventions = TokenConventions());

// {"texts","rows","total_heads","layers","heads_per_layer","distance":[total_heads²],"points":[[x,y]...],"stress",
//  "iterations"}.
nlohmann::json DistancesJson(const DistanceSums& sums, const MdsResult& mds, size_t layers, size_t heads_per_layer);

}  // namespace hl
