// Clark et al.'s head map: one accumulator of distances and statistics over texts, then MDS and its JSON.
#include "analysis/head_map.h"

#include <cmath>
#include <utility>

#include "analysis/analysis_json.h"
#include "analysis/sums_json.h"

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

namespace {

constexpr char kSumsFormat[] = "headlight-head-map-sums";
// HeadSums' fields by name: whole-number counts and real sums.
constexpr std::pair<const char*, int64_t HeadSums::*> kCountFields[] = {
    {"rows", &HeadSums::rows},
    {"texts", &HeadSums::texts},
    {"identical_count", &HeadSums::identical_count},
    {"other_sentence_count", &HeadSums::other_sentence_count},
    {"subword_count", &HeadSums::subword_count}};
constexpr std::pair<const char*, double HeadSums::*> kSumFields[] = {
    {"next", &HeadSums::next},         {"previous", &HeadSums::previous},   {"self", &HeadSums::self},
    {"cls", &HeadSums::cls},           {"sep", &HeadSums::sep},             {"punct", &HeadSums::punct},
    {"entropy", &HeadSums::entropy},   {"cls_entropy", &HeadSums::cls_entropy}, {"identical", &HeadSums::identical},
    {"other_sentence", &HeadSums::other_sentence}, {"subword", &HeadSums::subword}};

}  // namespace

nlohmann::json HeadMap::SumsJson() const {
  nlohmann::json heads = nlohmann::json::object();
  for (const auto& [name, field] : kCountFields) {
    std::vector<int64_t> v;
    for (const HeadSums& s : sums_) v.push_back(s.*field);
    heads[name] = v;
  }
  for (const auto& [name, field] : kSumFields) {
    std::vector<double> v;
    for (const HeadSums& s : sums_) v.push_back(s.*field);
    heads[name] = v;
  }
  return {{"format", kSumsFormat},      {"layers", layers_},          {"heads_per_layer", heads_per_layer_},
          {"texts", distances_.texts}, {"rows", distances_.rows},     {"tokens", tokens_},
          {"n_log_n", n_log_n_},       {"distance", distances_.sum}, {"heads", heads}};
}

Status HeadMap::AddSums(const nlohmann::json& j) {
  HL_RETURN_IF_ERROR(CheckSumsHeader(j, kSumsFormat, layers_, heads_per_layer_));
  const size_t H = layers_ * heads_per_layer_;
  int64_t texts = 0, rows = 0, tokens = 0;
  double n_log_n = 0;
  std::vector<double> distance;
  HL_RETURN_IF_ERROR(ReadCount(j, "texts", &texts));
  HL_RETURN_IF_ERROR(ReadCount(j, "rows", &rows));
  HL_RETURN_IF_ERROR(ReadCount(j, "tokens", &tokens));
  HL_RETURN_IF_ERROR(ReadSum(j, "n_log_n", &n_log_n));
  HL_RETURN_IF_ERROR(ReadSums(j, "distance", H * H, &distance));
  auto heads = j.find("heads");
  if (heads == j.end() || !heads->is_object()) return InvalidArgument("sums: \"heads\" must be an object of arrays");
  std::vector<HeadSums> add(H);  // [H] read completely before anything is added
  for (const auto& [name, field] : kCountFields) {
    std::vector<int64_t> v;
    HL_RETURN_IF_ERROR(ReadCounts(*heads, name, H, &v));
    for (size_t h = 0; h < H; ++h) add[h].*field = v[h];
  }
  for (const auto& [name, field] : kSumFields) {
    std::vector<double> v;
    HL_RETURN_IF_ERROR(ReadSums(*heads, name, H, &v));
    for (size_t h = 0; h < H; ++h) add[h].*field = v[h];
  }
  for (size_t h = 0; h < H; ++h) MergeHeadSums(&sums_[h], add[h]);
  for (size_t k = 0; k < H * H; ++k) distances_.sum[k] += distance[k];
  distances_.texts += texts;
  distances_.rows += rows;
  tokens_ += tokens;
  n_log_n_ += n_log_n;
  return Status::Ok();
}

}  // namespace hl
