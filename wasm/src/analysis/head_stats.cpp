// Clark et al. / Vig statistics of attention heads: classifying tokens, summing one head over one text, means and labels.
#include "analysis/head_stats.h"

#include <cmath>
#include <limits>
#include <unordered_map>

#include "analysis/head_distance.h"

namespace hl {

namespace {

bool StartsWithPieceMarker(const std::string& text) { return text.size() >= 2 && text[0] == '#' && text[1] == '#'; }

// Byte-level BPE's whitespace characters: U+0109..U+010D (\t \n \v \f \r) and U+0120 (space), as UTF-8 C4 89..8D / C4 A0.
bool IsByteLevelSpace(const std::string& text, size_t i) {
  if (i + 1 >= text.size() || static_cast<unsigned char>(text[i]) != 0xC4) return false;
  const unsigned char b = static_cast<unsigned char>(text[i + 1]);
  return (b >= 0x89 && b <= 0x8D) || b == 0xA0;
}
bool StartsWithByteLevelSpace(const std::string& t) { return IsByteLevelSpace(t, 0); }
bool EndsWithByteLevelSpace(const std::string& t) { return t.size() >= 2 && IsByteLevelSpace(t, t.size() - 2); }

// Appends, for each i, the j with keep(i, j) to a CSR list (offsets [n+1]).
template <typename Keep>
void BuildLists(std::vector<int32_t>* offsets, std::vector<int32_t>* indices, size_t n, Keep keep) {
  offsets->assign(1, 0);
  indices->clear();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j)
      if (keep(i, j)) indices->push_back(static_cast<int32_t>(j));
    offsets->push_back(static_cast<int32_t>(indices->size()));
  }
}

// Σ_j∈list(i) row[j] over one CSR list entry.
double SumOver(const float* row, const std::vector<int32_t>& offsets, const std::vector<int32_t>& indices, size_t i) {
  double s = 0;
  for (int32_t k = offsets[i]; k < offsets[i + 1]; ++k) s += row[indices[k]];
  return s;
}

}  // namespace

void WordIndices(std::vector<int32_t>* word, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                 const TokenConventions& c) {
  const size_t n = texts.size();
  word->assign(n, -1);
  int32_t words = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = texts[i];
    if (t == c.cls || t == c.sep) continue;
    // a piece continues the word of the token before it when that one is a word token of the same segment
    const int32_t seg = i < segments.size() ? segments[i] : 0, prev_seg = i > 0 && i - 1 < segments.size() ? segments[i - 1] : 0;
    const bool joins = c.byte_level ? i > 0 && !StartsWithByteLevelSpace(t) && !EndsWithByteLevelSpace(texts[i - 1])
                                    : StartsWithPieceMarker(t);
    const bool continues = i > 0 && joins && (*word)[i - 1] >= 0 && prev_seg == seg;
    (*word)[i] = continues ? (*word)[i - 1] : words++;
  }
}

void WordIndices(std::vector<int32_t>* word, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                 const std::string& cls, const std::string& sep) {
  WordIndices(word, texts, segments, TokenConventions{cls, sep, false});
}

void ClassifyTokens(TokenClasses* out, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                    const std::string& cls, const std::string& sep) {
  ClassifyTokens(out, texts, segments, TokenConventions{cls, sep, false});
}

void ClassifyTokens(TokenClasses* out, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                    const TokenConventions& conventions) {
  const std::string& cls = conventions.cls;
  const std::string& sep = conventions.sep;
  const size_t n = texts.size();
  out->n = n;
  out->is_cls.assign(n, 0);
  out->is_sep.assign(n, 0);
  out->is_punct.assign(n, 0);
  WordIndices(&out->word, texts, segments, conventions);
  std::vector<int32_t> text_id(n), segment(n, 0);  // [n] distinct-text index; segment (0 when not given)
  std::vector<uint8_t> special(n, 0);              // [n]
  std::unordered_map<std::string, int32_t> ids;
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = texts[i];
    segment[i] = i < segments.size() ? segments[i] : 0;
    text_id[i] = ids.emplace(t, static_cast<int32_t>(ids.size())).first->second;
    out->is_cls[i] = t == cls;
    out->is_sep[i] = t == sep;
    out->is_punct[i] = t == "." || t == ",";
    special[i] = out->is_cls[i] || out->is_sep[i];
  }
  BuildLists(&out->identical_offsets, &out->identical, n, [&](size_t i, size_t j) {
    return !special[i] && j != i && text_id[j] == text_id[i] && segment[j] == segment[i];
  });
  BuildLists(&out->other_offsets, &out->other, n, [&](size_t i, size_t j) {
    return !special[i] && text_id[j] == text_id[i] && segment[j] != segment[i];
  });
  BuildLists(&out->subword_offsets, &out->subword, n,
             [&](size_t i, size_t j) { return out->word[i] >= 0 && j != i && out->word[j] == out->word[i]; });
}

// SmoothedRowEntropy with a caller's scratch row (smooth: [n]).
static double SmoothedRowEntropyWith(double* smooth, const float* row, size_t n) {
  const double a = 0.9999, b = 1e-4 / static_cast<double>(n);
  for (size_t j = 0; j < n; ++j) smooth[j] = a * static_cast<double>(row[j]) + b;
  return -SumXLogX(smooth, n);
}

double SmoothedRowEntropy(const float* row, size_t n) {
  std::vector<double> smooth(n);  // [n]
  return SmoothedRowEntropyWith(smooth.data(), row, n);
}

void AddHeadSums(HeadSums* sums, const float* att, const TokenClasses& tokens, size_t n) {
  const TokenClasses& t = tokens;
  std::vector<double> smooth(n);  // [n] scratch for the entropies
  for (size_t i = 0; i < n; ++i) {
    const float* row = att + i * n;
    if (i + 1 < n) sums->next += row[i + 1];
    if (i > 0) sums->previous += row[i - 1];
    sums->self += row[i];
    double to_cls = 0, to_sep = 0, to_punct = 0;
    for (size_t j = 0; j < n; ++j) {
      if (t.is_cls[j]) to_cls += row[j];
      if (t.is_sep[j]) to_sep += row[j];
      if (t.is_punct[j]) to_punct += row[j];
    }
    sums->cls += to_cls;
    sums->sep += to_sep;
    sums->punct += to_punct;
    const double h = SmoothedRowEntropyWith(smooth.data(), row, n);
    sums->entropy += h;
    if (i == 0) sums->cls_entropy += h;
    if (t.identical_offsets[i + 1] > t.identical_offsets[i]) {
      sums->identical += SumOver(row, t.identical_offsets, t.identical, i);
      sums->identical_count += 1;
    }
    if (t.other_offsets[i + 1] > t.other_offsets[i]) {
      sums->other_sentence += SumOver(row, t.other_offsets, t.other, i);
      sums->other_sentence_count += 1;
    }
    if (t.subword_offsets[i + 1] > t.subword_offsets[i]) {
      sums->subword += SumOver(row, t.subword_offsets, t.subword, i);
      sums->subword_count += 1;
    }
  }
  sums->rows += static_cast<int64_t>(n);
  if (n > 0) sums->texts += 1;
}

void MergeHeadSums(HeadSums* into, const HeadSums& from) {
  HeadSums& a = *into;
  a.rows += from.rows;
  a.texts += from.texts;
  a.next += from.next;
  a.previous += from.previous;
  a.self += from.self;
  a.cls += from.cls;
  a.sep += from.sep;
  a.punct += from.punct;
  a.entropy += from.entropy;
  a.cls_entropy += from.cls_entropy;
  a.identical += from.identical;
  a.other_sentence += from.other_sentence;
  a.subword += from.subword;
  a.identical_count += from.identical_count;
  a.other_sentence_count += from.other_sentence_count;
  a.subword_count += from.subword_count;
}

void HeadStatsFromSums(HeadStats* out, const HeadSums& s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double rows = s.rows > 0 ? static_cast<double>(s.rows) : 1.0;
  HeadStats& o = *out;
  o.rows = s.rows;
  o.next = s.next / rows;
  o.previous = s.previous / rows;
  o.self = s.self / rows;
  o.cls = s.cls / rows;
  o.sep = s.sep / rows;
  o.punct = s.punct / rows;
  o.delimiter = o.cls + o.sep;
  o.entropy = s.entropy / rows;
  o.cls_entropy = s.texts > 0 ? s.cls_entropy / static_cast<double>(s.texts) : 0.0;
  o.identical_count = s.identical_count;
  o.other_sentence_count = s.other_sentence_count;
  o.subword_count = s.subword_count;
  o.identical = s.identical_count ? s.identical / static_cast<double>(s.identical_count) : nan;
  o.other_sentence = s.other_sentence_count ? s.other_sentence / static_cast<double>(s.other_sentence_count) : nan;
  o.subword = s.subword_count ? s.subword / static_cast<double>(s.subword_count) : nan;
}

void FindPatternExamples(PatternExamples* out, const float* att, const TokenClasses& tokens, size_t n) {
  const TokenClasses& t = tokens;
  *out = PatternExamples();
  auto offer = [](PatternExample* best, size_t row, double score) {
    if (best->row < 0 || score > best->score) *best = {static_cast<int32_t>(row), score};
  };
  for (size_t i = 0; i < n; ++i) {
    const float* row = att + i * n;
    if (i + 1 < n) offer(&out->next, i, row[i + 1]);
    if (i > 0) offer(&out->previous, i, row[i - 1]);
    double to_delimiters = 0;
    for (size_t j = 0; j < n; ++j)
      if (t.is_cls[j] || t.is_sep[j]) to_delimiters += row[j];
    offer(&out->delimiter, i, to_delimiters);
    if (t.identical_offsets[i + 1] > t.identical_offsets[i])
      offer(&out->identical, i, SumOver(row, t.identical_offsets, t.identical, i));
    if (t.other_offsets[i + 1] > t.other_offsets[i])
      offer(&out->other_sentence, i, SumOver(row, t.other_offsets, t.other, i));
    if (t.subword_offsets[i + 1] > t.subword_offsets[i])
      offer(&out->subword, i, SumOver(row, t.subword_offsets, t.subword, i));
  }
}

void ComputeHeadStats(HeadStats* out, const float* att, const TokenClasses& tokens, size_t n) {
  HeadSums sums;
  AddHeadSums(&sums, att, tokens, n);
  HeadStatsFromSums(out, sums);
  FindPatternExamples(&out->examples, att, tokens, n);
}

void ComputeAllHeadStats(std::vector<HeadStats>* out, const float* attention, const TokenClasses& tokens,
                         size_t total_heads, size_t n) {
  out->assign(total_heads, HeadStats());
  for (size_t h = 0; h < total_heads; ++h) ComputeHeadStats(&(*out)[h], attention + h * n * n, tokens, n);
}

void AddAllHeadSums(std::vector<HeadSums>* sums, const float* attention, const TokenClasses& tokens, size_t total_heads,
                    size_t n) {
  if (sums->size() != total_heads) sums->assign(total_heads, HeadSums());
  for (size_t h = 0; h < total_heads; ++h) AddHeadSums(&(*sums)[h], attention + h * n * n, tokens, n);
}

void HeadLabels(std::vector<std::string>* labels, std::string* dominant, const HeadStats& s, const TokenConventions& c) {
  struct Rule {
    const char* label;
    double value, threshold;
  };
  const Rule rules[] = {{"broad", s.entropy, 3.8}, {"previous", s.previous, 0.5}, {"next", s.next, 0.5},
                        {c.cls.c_str(), s.cls, 0.6}, {c.sep.c_str(), s.sep, 0.6},     {"punctuation", s.punct, 0.6}};
  labels->clear();
  dominant->clear();
  double best = 0;
  for (const Rule& r : rules) {
    if (!(r.value > r.threshold)) continue;
    labels->push_back(r.label);
    if (r.value / r.threshold > best) {
      best = r.value / r.threshold;
      *dominant = r.label;
    }
  }
}

}  // namespace hl
