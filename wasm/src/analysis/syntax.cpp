// Attention heads as dependency parsers (Clark et al. 2019, §4): word-level merge, argmax choices, counts per relation.
#include "analysis/syntax.h"

#include <algorithm>
#include <cstdio>

#include "analysis/sums_json.h"

namespace hl {

void WordLevelAttention(double* out, const float* att, const int32_t* token_word, size_t n, size_t words) {
  std::fill(out, out + words * words, 0.0);
  std::vector<int32_t> pieces(words, 0);  // [words] tokens per word
  for (size_t i = 0; i < n; ++i)
    if (token_word[i] >= 0) ++pieces[token_word[i]];
  for (size_t i = 0; i < n; ++i) {
    const int32_t wi = token_word[i];
    if (wi < 0) continue;
    double* row = out + static_cast<size_t>(wi) * words;  // [words]
    const float* a = att + i * n;                         // [n]
    for (size_t j = 0; j < n; ++j)
      if (token_word[j] >= 0) row[token_word[j]] += a[j];
  }
  for (size_t w = 0; w < words; ++w)
    if (pieces[w] > 1)
      for (size_t v = 0; v < words; ++v) out[w * words + v] /= pieces[w];
}

void MostAttendedWords(int32_t* choice, const double* word_att, const std::vector<bool>& has_token, size_t words) {
  for (size_t w = 0; w < words; ++w) {
    choice[w] = -1;
    if (!has_token[w]) continue;
    double best = -1;
    for (size_t v = 0; v < words; ++v)
      if (has_token[v] && word_att[w * words + v] > best) {
        best = word_att[w * words + v];
        choice[w] = static_cast<int32_t>(v);
      }
  }
}

void HeadChoicesOfSentence(std::vector<int32_t>* choices, const float* attention, size_t total_heads, size_t n,
                           const std::vector<int32_t>& token_word, size_t words) {
  std::vector<bool> has_token(words, false);
  for (int32_t w : token_word)
    if (w >= 0) has_token[w] = true;
  std::vector<double> wa(words * words);  // [words][words] one head's word-level attention
  choices->assign(total_heads * words, -1);
  for (size_t h = 0; h < total_heads; ++h) {
    WordLevelAttention(wa.data(), attention + h * n * n, token_word.data(), n, words);
    MostAttendedWords(choices->data() + h * words, wa.data(), has_token, words);
  }
}

namespace {

struct ClarkEntry {
  const char* ud;
  const char* sd;
  bool reversed;
};
// Stanford Dependencies (Clark et al.'s WSJ annotation) against UD v2. Relations UD kept under the same name map to
// themselves; pobj is UD's case arc read the other way (UD hangs the preposition under its noun).
constexpr ClarkEntry kClark[] = {
    {"obj", "dobj", false},          {"nmod:poss", "poss", false},    {"aux:pass", "auxpass", false},
    {"nsubj:pass", "nsubjpass", false}, {"compound", "nn", false},   {"case", "pobj", true},
    {"nummod", "num", false},        {"acl", "partmod", false},       {"acl:relcl", "rcmod", false},
    {"compound:prt", "prt", false},  {"obl:tmod", "tmod", false},     {"obl:npmod", "npadvmod", false},
    {"det:predet", "predet", false}, {"cc:preconj", "preconj", false}, {"nsubj", "nsubj", false},
    {"det", "det", false},           {"amod", "amod", false},         {"advmod", "advmod", false},
    {"aux", "aux", false},           {"mark", "mark", false},         {"cc", "cc", false},
    {"conj", "conj", false},         {"ccomp", "ccomp", false},       {"xcomp", "xcomp", false},
    {"iobj", "iobj", false},         {"appos", "appos", false},       {"csubj", "csubj", false},
    {"cop", "cop", false},           {"expl", "expl", false},         {"punct", "punct", false},
    {"parataxis", "parataxis", false}, {"advcl", "advcl", false},     {"discourse", "discourse", false},
    {"dep", "dep", false},
};

constexpr size_t kUnalignedExamples = 20;
constexpr char kSumsFormat[] = "headlight-syntax-sums";
constexpr size_t kOffsets = 2 * kMaxBaselineOffset + 1;

const char* DirectionName(int d) { return d == kDependentToHead ? "dependent_to_head" : "head_to_dependent"; }

struct Best {
  int index = -1;  // the head (or offset) with the highest accuracy, the first on ties
  double accuracy = -1;
};

double Accuracy(int64_t correct, int64_t arcs) { return arcs ? static_cast<double>(correct) / static_cast<double>(arcs) : 0.0; }

Best BestHead(const std::vector<int64_t>& correct, int64_t arcs) {
  Best b;
  for (size_t h = 0; h < correct.size(); ++h)
    if (Accuracy(correct[h], arcs) > b.accuracy) b = {static_cast<int>(h), Accuracy(correct[h], arcs)};
  return b;
}

Best BestOffset(const int64_t* offset_correct, int64_t arcs) {
  Best b;
  for (int k = -kMaxBaselineOffset; k <= kMaxBaselineOffset; ++k)
    if (k != 0 && Accuracy(offset_correct[k + kMaxBaselineOffset], arcs) > b.accuracy)
      b = {k, Accuracy(offset_correct[k + kMaxBaselineOffset], arcs)};
  return b;
}

}  // namespace

std::string ClarkName(const std::string& ud_relation, bool* reversed) {
  for (const ClarkEntry& e : kClark)
    if (ud_relation == e.ud) {
      *reversed = e.reversed;
      return e.sd;
    }
  *reversed = false;
  return "";
}

SyntaxTable::SyntaxTable(size_t layers, size_t heads_per_layer) : layers_(layers), heads_per_layer_(heads_per_layer) {
  for (auto& c : all_.correct) c.assign(layers * heads_per_layer, 0);
}

void SyntaxTable::Count(RelationCounts* c, const std::vector<int32_t>& choices, size_t words, int32_t dep, int32_t head) {
  const size_t H = layers_ * heads_per_layer_;
  if (c->correct[0].empty())
    for (auto& v : c->correct) v.assign(H, 0);
  ++c->arcs;
  for (size_t h = 0; h < H; ++h) {
    c->correct[kDependentToHead][h] += choices[h * words + dep] == head;
    c->correct[kHeadToDependent][h] += choices[h * words + head] == dep;
  }
  for (int k = -kMaxBaselineOffset; k <= kMaxBaselineOffset; ++k) {
    c->offset_correct[kDependentToHead][k + kMaxBaselineOffset] += k != 0 && dep + k == head;
    c->offset_correct[kHeadToDependent][k + kMaxBaselineOffset] += k != 0 && head + k == dep;
  }
}

void SyntaxTable::Add(const float* attention, size_t n, const std::vector<int32_t>& token_word, const TreebankSentence& s) {
  const size_t words = s.words.size();
  std::vector<int32_t> choices;  // [L·A][words]
  HeadChoicesOfSentence(&choices, attention, layers_ * heads_per_layer_, n, token_word, words);
  std::vector<bool> has_token(words, false);
  for (int32_t w : token_word)
    if (w >= 0) has_token[w] = true;
  ++sentences_;
  words_ += static_cast<int64_t>(words);
  for (size_t w = 0; w < words; ++w) {
    if (has_token[w]) continue;
    ++unaligned_words_;
    if (unaligned_examples_.size() < kUnalignedExamples)
      unaligned_examples_.push_back({{"sentence", s.id}, {"word", w}, {"form", s.words[w].form}});
  }
  for (size_t d = 0; d < words; ++d) {
    const TreebankWord& word = s.words[d];
    if (word.head == 0) continue;  // the root has no head word
    const int32_t dep = static_cast<int32_t>(d), head = word.head - 1;
    if (!has_token[dep] || !has_token[head]) { ++skipped_arcs_; continue; }
    Count(&all_, choices, words, dep, head);
    Count(&relations_[word.deprel], choices, words, dep, head);
  }
}

nlohmann::json SyntaxTable::Json() const {
  std::vector<std::pair<std::string, const RelationCounts*>> order{{"all", &all_}};
  for (const auto& [name, c] : relations_) order.push_back({name, &c});
  std::stable_sort(order.begin() + 1, order.end(), [](const auto& a, const auto& b) { return a.second->arcs > b.second->arcs; });
  nlohmann::json rel = nlohmann::json::array();
  for (const auto& [name, c] : order) {
    bool reversed = false;
    const std::string clark = name == "all" ? "" : ClarkName(name, &reversed);
    nlohmann::json r{{"relation", name},
                     {"clark", clark.empty() ? nlohmann::json(nullptr) : nlohmann::json(clark)},
                     {"clark_reversed", reversed},
                     {"arcs", c->arcs}};
    for (int d = 0; d < 2; ++d) {
      nlohmann::json acc = nlohmann::json::array();
      for (int64_t k : c->correct[d]) acc.push_back(Accuracy(k, c->arcs));
      const Best best = BestHead(c->correct[d], c->arcs), base = BestOffset(c->offset_correct[d], c->arcs);
      const size_t h = static_cast<size_t>(best.index);
      r[DirectionName(d)] = {{"accuracy", acc},
                             {"best", {{"layer", h / heads_per_layer_}, {"head", h % heads_per_layer_},
                                       {"accuracy", best.accuracy}}},
                             {"baseline", {{"offset", base.index}, {"accuracy", base.accuracy}}}};
    }
    rel.push_back(std::move(r));
  }
  return {{"sentences", sentences_}, {"words", words_}, {"unaligned_words", unaligned_words_},
          {"unaligned_examples", unaligned_examples_}, {"arcs", all_.arcs},
          {"skipped_arcs", skipped_arcs_}, {"layers", layers_}, {"heads_per_layer", heads_per_layer_},
          {"relations", rel}};
}

std::string SyntaxTable::Csv(const nlohmann::json& j) {
  std::string csv = "relation,clark,arcs,direction,best_layer,best_head,accuracy,baseline_offset,baseline_accuracy\n";
  char buf[64];
  for (const auto& r : j["relations"]) {
    for (int d = 0; d < 2; ++d) {
      const auto& x = r[DirectionName(d)];
      std::string clark = r["clark"].is_null() ? "" : r["clark"].get<std::string>();
      if (!clark.empty() && r["clark_reversed"].get<bool>()) clark += " (reversed)";
      csv += r["relation"].get<std::string>() + "," + clark + "," + std::to_string(r["arcs"].get<int64_t>()) + "," +
             DirectionName(d) + "," + std::to_string(x["best"]["layer"].get<size_t>()) + "," +
             std::to_string(x["best"]["head"].get<size_t>()) + ",";
      std::snprintf(buf, sizeof buf, "%.6f,%d,%.6f\n", x["best"]["accuracy"].get<double>(),
                    x["baseline"]["offset"].get<int>(), x["baseline"]["accuracy"].get<double>());
      csv += buf;
    }
  }
  return csv;
}

nlohmann::json SyntaxTable::SumsJson() const {
  nlohmann::json rel = nlohmann::json::object();
  auto counts = [](const RelationCounts& c) {
    nlohmann::json r{{"arcs", c.arcs}};
    for (int d = 0; d < 2; ++d) {
      r[DirectionName(d)] = c.correct[d];
      r[std::string("offsets_") + DirectionName(d)] =
          std::vector<int64_t>(c.offset_correct[d], c.offset_correct[d] + kOffsets);
    }
    return r;
  };
  rel["all"] = counts(all_);
  for (const auto& [name, c] : relations_) rel[name] = counts(c);
  return {{"format", kSumsFormat}, {"layers", layers_}, {"heads_per_layer", heads_per_layer_},
          {"sentences", sentences_}, {"words", words_}, {"unaligned_words", unaligned_words_},
          {"skipped_arcs", skipped_arcs_}, {"unaligned_examples", unaligned_examples_}, {"relations", rel}};
}

Status SyntaxTable::AddSums(const nlohmann::json& j) {
  HL_RETURN_IF_ERROR(CheckSumsHeader(j, kSumsFormat, layers_, heads_per_layer_));
  const size_t H = layers_ * heads_per_layer_;
  int64_t sentences = 0, words = 0, unaligned = 0, skipped = 0;
  HL_RETURN_IF_ERROR(ReadCount(j, "sentences", &sentences));
  HL_RETURN_IF_ERROR(ReadCount(j, "words", &words));
  HL_RETURN_IF_ERROR(ReadCount(j, "unaligned_words", &unaligned));
  HL_RETURN_IF_ERROR(ReadCount(j, "skipped_arcs", &skipped));
  auto ex = j.find("unaligned_examples");
  if (ex == j.end() || !ex->is_array() || ex->size() > kUnalignedExamples)
    return InvalidArgument("sums: \"unaligned_examples\" must be an array of at most 20");
  for (const auto& e : *ex)
    if (!e.is_object() || !e.contains("sentence") || !e["sentence"].is_string() || !e.contains("word") ||
        !e["word"].is_number_unsigned() || !e.contains("form") || !e["form"].is_string())
      return InvalidArgument("sums: each of \"unaligned_examples\" must be {\"sentence\": text, \"word\": n, \"form\": text}");
  auto rel = j.find("relations");
  if (rel == j.end() || !rel->is_object() || !rel->contains("all"))
    return InvalidArgument("sums: \"relations\" must be an object with \"all\" among them");
  std::vector<std::pair<std::string, RelationCounts>> add;  // read completely before anything is added
  for (const auto& [name, r] : rel->items()) {
    if (!r.is_object()) return InvalidArgument("sums: relation \"" + name + "\" is not an object");
    RelationCounts c;
    HL_RETURN_IF_ERROR(ReadCount(r, "arcs", &c.arcs));
    for (int d = 0; d < 2; ++d) {
      HL_RETURN_IF_ERROR(ReadCounts(r, DirectionName(d), H, &c.correct[d]));
      std::vector<int64_t> offsets;
      HL_RETURN_IF_ERROR(ReadCounts(r, (std::string("offsets_") + DirectionName(d)).c_str(), kOffsets, &offsets));
      std::copy(offsets.begin(), offsets.end(), c.offset_correct[d]);
    }
    add.emplace_back(name, std::move(c));
  }
  for (auto& [name, c] : add) {
    RelationCounts& into = name == "all" ? all_ : relations_[name];
    if (into.correct[0].empty())
      for (auto& v : into.correct) v.assign(H, 0);
    into.arcs += c.arcs;
    for (int d = 0; d < 2; ++d) {
      for (size_t h = 0; h < H; ++h) into.correct[d][h] += c.correct[d][h];
      for (size_t k = 0; k < kOffsets; ++k) into.offset_correct[d][k] += c.offset_correct[d][k];
    }
  }
  for (const auto& e : *ex)
    if (unaligned_examples_.size() < kUnalignedExamples) unaligned_examples_.push_back(e);
  sentences_ += sentences;
  words_ += words;
  unaligned_words_ += unaligned;
  skipped_arcs_ += skipped;
  return Status::Ok();
}

}  // namespace hl
