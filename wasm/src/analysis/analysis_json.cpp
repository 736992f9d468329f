// JSON forms of head statistics and of the head map (distance matrix + MDS points).
#include "analysis/analysis_json.h"

#include <string>

namespace hl {

namespace {

// {"<pattern>": {"token", "score"} or null} for one text's statistics; null when no pattern has an example (statistics
// over several texts).
nlohmann::json ExamplesJson(const PatternExamples& e) {
  const std::pair<const char*, const PatternExample*> patterns[] = {
      {"next", &e.next},           {"previous", &e.previous},   {"delimiter", &e.delimiter},
      {"identical", &e.identical}, {"other_sentence", &e.other_sentence}, {"subword", &e.subword}};
  nlohmann::json j = nlohmann::json::object();
  bool any = false;
  for (const auto& [name, ex] : patterns) {
    any = any || ex->row >= 0;
    j[name] = ex->row >= 0 ? nlohmann::json{{"token", ex->row}, {"score", ex->score}} : nlohmann::json(nullptr);
  }
  return any ? j : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json HeadStatsJson(const HeadStats& s, size_t layer, size_t head, const TokenConventions& conventions) {
  std::vector<std::string> labels;
  std::string dominant;
  HeadLabels(&labels, &dominant, s, conventions);
  return nlohmann::json{{"layer", layer},
                        {"head", head},
                        {"next", s.next},
                        {"previous", s.previous},
                        {"self", s.self},
                        {"cls", s.cls},
                        {"sep", s.sep},
                        {"punct", s.punct},
                        {"delimiter", s.delimiter},
                        {"entropy", s.entropy},
                        {"cls_entropy", s.cls_entropy},
                        {"identical", s.identical},
                        {"identical_count", s.identical_count},
                        {"other_sentence", s.other_sentence},
                        {"other_sentence_count", s.other_sentence_count},
                        {"subword", s.subword},
                        {"subword_count", s.subword_count},
                        {"labels", labels},
                        {"dominant", dominant},
                        {"examples", ExamplesJson(s.examples)}};
}

nlohmann::json StatsJson(const std::vector<HeadStats>& stats, int64_t n, double uniform_entropy, size_t layers,
                         size_t heads_per_layer, const TokenConventions& conventions) {
  nlohmann::json per_head = nlohmann::json::array();
  for (size_t k = 0; k < stats.size(); ++k)
    per_head.push_back(HeadStatsJson(stats[k], heads_per_layer ? k / heads_per_layer : 0, heads_per_layer ? k % heads_per_layer : k,
                                     conventions));
  return nlohmann::json{{"n", n},
                        {"uniform_entropy", uniform_entropy},
                        {"layers", layers},
                        {"heads_per_layer", heads_per_layer},
                        {"per_head", per_head}};
}

nlohmann::json DistancesJson(const DistanceSums& sums, const MdsResult& mds, size_t layers, size_t heads_per_layer) {
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i + 1 < mds.points.size(); i += 2) points.push_back({mds.points[i], mds.points[i + 1]});
  return nlohmann::json{{"texts", sums.texts},
                        {"rows", sums.rows},
                        {"total_heads", sums.total_heads},
                        {"layers", layers},
                        {"heads_per_layer", heads_per_layer},
                        {"distance", sums.sum},
                        {"points", points},
                        {"stress", mds.stress},
                        {"iterations", mds.iterations}};
}

}  // namespace hl
