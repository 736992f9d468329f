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

// How a model's tokens read: its two special tokens (BERT "[CLS]"/"[SEP]", RoBERTa "<s>"/"</s>", which also name
// Clark et al.'s labels) and how word pieces join into words.
struct TokenConventions {
  std::string cls = "[CLS]", sep = "[SEP]";
  // false (WordPiece): a "##" piece continues the word before it. true (byte-level BPE): a token continues the word
  // before it unless either begins or ends with a byte-level whitespace character ("Ġ" space, "Ċ" newline, ...), so
  // words are what whitespace separates (punctuation stays with its word: "Hello," is one word).
  bool byte_level = false;
};

// The word of each token: a token and the "##" pieces after it in its segment are one word (byte-level BPE: see
// TokenConventions); the special tokens belong to none (-1). word: [n], words numbered 0, 1, ... in order. segments:
// [n] (0 where shorter).
void WordIndices(std::vector<int32_t>* word, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                 const TokenConventions& conventions);
void WordIndices(std::vector<int32_t>* word, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                 const std::string& cls, const std::string& sep);  // WordPiece

// Classifies the tokens of one text. Special tokens are those whose text is cls or sep.
void ClassifyTokens(TokenClasses* out, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                    const TokenConventions& conventions);
void ClassifyTokens(TokenClasses* out, const std::vector<std::string>& texts, const std::vector<int32_t>& segments,
                    const std::string& cls, const std::string& sep);  // WordPiece

// The token (row) where one head shows one of Vig's patterns most in one text, and its score there: the weight to the
// next / previous token, to [CLS]+[SEP] (delimiter), or summed over the tokens the pattern looks at. row -1: the pattern
// applies to no token of the text (or the statistics are over several texts).
struct PatternExample {
  int32_t row = -1;
  double score = 0;
};
struct PatternExamples {
  PatternExample next, previous, delimiter, identical, other_sentence, subword;
};

// One head's statistics over one text (or, through HeadSums, over several). Row statistics are means over rows;
// Vig's patterns are means over the tokens where they apply (NaN when count is 0).
struct HeadStats {
  double next = 0, previous = 0, self = 0, cls = 0, sep = 0, punct = 0, delimiter = 0;
  double entropy = 0;      // mean row entropy (nats) of 0.9999·α + 1e-4/n
  double cls_entropy = 0;  // entropy of row 0 (mean over texts)
  double identical = 0, other_sentence = 0, subword = 0;
  int64_t identical_count = 0, other_sentence_count = 0, subword_count = 0;
  int64_t rows = 0;        // tokens the row statistics average over
  PatternExamples examples;  // one text only (ComputeHeadStats); rows -1 otherwise
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

// Each pattern's best row of one head over one text (the first row on ties). att: [n][n].
void FindPatternExamples(PatternExamples* out, const float* att, const TokenClasses& tokens, size_t n);

// One head, one text: AddHeadSums on fresh sums, then HeadStatsFromSums, then FindPatternExamples.
void ComputeHeadStats(HeadStats* out, const float* att, const TokenClasses& tokens, size_t n);

// Every head of one run: attention [total_heads][n][n] (total_heads = L·A) → stats [total_heads].
void ComputeAllHeadStats(std::vector<HeadStats>* out, const float* attention, const TokenClasses& tokens,
                         size_t total_heads, size_t n);

// Adds every head of one run to sums [total_heads] (resized on first use). attention: [total_heads][n][n].
void AddAllHeadSums(std::vector<HeadSums>* sums, const float* attention, const TokenClasses& tokens, size_t total_heads,
                    size_t n);

// Entropy (nats) of one smoothed row: -Σ α'ln α', α' = 0.9999·α + 1e-4/n. row: [n].
double SmoothedRowEntropy(const float* row, size_t n);

// Clark et al.'s labels: "broad" (entropy > 3.8), "previous"/"next" (> 0.5), "[CLS]"/"[SEP]"/"punctuation" (> 0.6),
// in that order, the special tokens named as the model names them (conventions.cls / .sep, e.g. "<s>"/"</s>");
// dominant = the label with the largest value / threshold, "" if none.
void HeadLabels(std::vector<std::string>* labels, std::string* dominant, const HeadStats& stats,
                const TokenConventions& conventions = TokenConventions());

}  // namespace hl
