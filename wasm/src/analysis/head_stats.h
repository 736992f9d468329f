// Per-head attention statistics of Clark et al. (2019) and Vig & Belinkov (2019): token classes, one head's numbers, sums over texts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hl {

// What each token of one text is, and which other tokens Vig's patterns look at.
struct TokenClasses {
  size_t n = 0;
  std::vector<uint8_t> is_cls, is_sep, is_punct;  // [n] text is the CLS token / the SEP token / exactly "." or ","
  std::vector<int32_t> word;                      // [n] word index (a token + its following "##" pieces), -1 for specials
  // Per token i, the tokens j Vig's patterns sum over, as CSR lists: offsets [n+1], indices [offsets[n]].
  std::vector<int32_t> identical_offsets, identical;  // j != i, same text, same segment (non-special i)
  std::vector<int32_t> other_offsets, other;          // same text, other segment (non-special i)
  std::vector<int32_t> subword_offsets, subword;      // the other pieces of i's word
};

// Classifies the tokens of one text. Special tokens are those whose text is cls or sep.
void ClassifyTokens(TokenClasses* out, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                    const std::string& cls, const std::string& sep);

// One head's statistics over one text (or, through HeadSums, over several). Row statistics are means over rows;
// Vig's patterns are means over the tokens where they apply (NaN when count is 0).
struct HeadStats {
  double next = 0, previous = 0, self = 0, cls = 0, sep = 0, punct = 0, delimiter = 0;
  double entropy = 0;      // mean row entropy (nats) of 0.9999·α + 1e-4/n
  double cls_entropy = 0;  // entropy of row 0 (mean over texts)
  double identical = 0, other_sentence = 0, subword = 0;
  int64_t identical_count = 0, other_sentence_count = 0, subword_count = 0;
  int64_t rows = 0;        // tokens the row statistics average over
};

// Running sums behind HeadStats: add texts, then divide (token-weighted means over all rows of all texts).
struct HeadSums {
  int64_t rows = 0, texts = 0;
  double next = 0, previous = 0, self = 0, cls = 0, sep = 0, punct = 0, entropy = 0, cls_entropy = 0;
  double identical = 0, other_sentence = 0, subword = 0;
  int64_t identical_count = 0, other_sentence_count = 0, subword_count = 0;
};

// Adds one head's attention over one text. att: [n][n], row i = attention from token i.
void AddHeadSums(HeadSums* sums, const float* att, const TokenClasses& tokens, size_t n);

// Adds the sums of other texts (from) into `into`.
void MergeHeadSums(HeadSums* into, const HeadSums& from);

// The means of the sums (NaN for a pattern that applied nowhere; zeros when no rows were added).
void HeadStatsFromSums(HeadStats* out, const HeadSums& sums);

// One head, one text: AddHeadSums on fresh sums, then HeadStatsFromSums.
void ComputeHeadStats(HeadStats* out, const float* att, const TokenClasses& tokens, size_t n);

// Every head of one run: attention [heads][n][n] → stats [heads].
void ComputeAllHeadStats(std::vector<HeadStats>* out, const float* attention, const TokenClasses& tokens, size_t heads,
                         size_t n);

// Adds every head of one run to sums [heads] (resized on first use). attention: [heads][n][n].
void AddAllHeadSums(std::vector<HeadSums>* sums, const float* attention, const TokenClasses& tokens, size_t heads,
                    size_t n);

// Entropy (nats) of one smoothed row: -Σ α'ln α', α' = 0.9999·α + 1e-4/n. row: [n].
double SmoothedRowEntropy(const float* row, size_t n);

// Clark et al.'s labels: "broad" (entropy > 3.8), "previous"/"next" (> 0.5), "[CLS]"/"[SEP]"/"punctuation" (> 0.6),
// in that order; dominant = the label with the largest value / threshold, "" if none.
void HeadLabels(std::vector<std::string>* labels, std::string* dominant, const HeadStats& stats);

}  // namespace hl
