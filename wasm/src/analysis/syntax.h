// Clark et al. (2019) §4: each attention head read as a dependency parser on a treebank — word-level attention, each
// word's most-attended word, accuracy per relation in both directions, the best head and the fixed-offset baseline.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/treebank.h"
#include "common/status.h"

namespace hl {

// Word-level attention of one head (Clark et al.): attention to a word is the sum over its tokens' columns, from a word
// the mean over its tokens' rows; tokens of no word (token_word -1: [CLS], [SEP]) are dropped, rows not renormalised.
// out: [words][words]; att: [n][n]; token_word: [n] in [-1, words).
void WordLevelAttention(double* out, const float* att, const int32_t* token_word, size_t n, size_t words);

// Each word's most-attended word (the first on ties) among the words that have tokens; -1 for a word without tokens.
// choice: [words]; word_att: [words][words]; has_token: [words].
void MostAttendedWords(int32_t* choice, const double* word_att, const std::vector<bool>& has_token, size_t words);

// Every head's choices for one sentence: choices [L·A][words]; attention [L·A][n][n].
void HeadChoicesOfSentence(std::vector<int32_t>* choices, const float* attention, size_t total_heads, size_t n,
                           const std::vector<int32_t>& token_word, size_t words);

enum SyntaxDirection { kDependentToHead = 0, kHeadToDependent = 1 };
constexpr int kMaxBaselineOffset = 3;  // the fixed-offset baseline tries offsets −3…+3 (not 0)

// Clark et al.'s Stanford Dependencies name for a UD relation ("" where none maps); *reversed: Clark's
// dependent → head is this relation's head → dependent (pobj is the reversed UD case arc).
std::string ClarkName(const std::string& ud_relation, bool* reversed);

struct RelationCounts {
  int64_t arcs = 0;                 // arcs whose two words both have tokens
  std::vector<int64_t> correct[2];  // [direction][L·A] arcs the head finds
  int64_t offset_correct[2][2 * kMaxBaselineOffset + 1] = {};  // [direction][offset + 3]
};

// The syntactic-head table over the sentences added: relations by their UD names, and "all" (every non-root arc).
class SyntaxTable {
 public:
  SyntaxTable(size_t layers, size_t heads_per_layer);

  // Adds one sentence's run: attention [L·A][n][n], each token's word (AlignTokensToWords).
  void Add(const float* attention, size_t n, const std::vector<int32_t>& token_word, const TreebankSentence& s);

  size_t layers() const { return layers_; }
  size_t heads_per_layer() const { return heads_per_layer_; }
  int64_t sentences() const { return sentences_; }
  const RelationCounts& all() const { return all_; }
  const std::map<std::string, RelationCounts>& relations() const { return relations_; }

  // {"sentences","words","unaligned_words","unaligned_examples": [{"sentence","word","form"}] (the first 20: words the
  //  tokenizer dropped, or truncation cut),"arcs","skipped_arcs","layers","heads_per_layer","relations": [ "all" first,
  //  then by arcs, most first: {"relation","clark","clark_reversed","arcs","dependent_to_head" / "head_to_dependent":
  //  {"accuracy": [L·A], "best": {"layer","head","accuracy"}, "baseline": {"offset","accuracy"}}} ]}
  nlohmann::json Json() const;
  // Json()'s table (or a copy with more keys) as CSV, one row per relation and direction: relation,clark,arcs,direction,
  // best_layer,best_head,accuracy,baseline_offset,baseline_accuracy.
  static std::string Csv(const nlohmann::json& table);

  // The counts themselves, for AddSums elsewhere (a treebank split over processes): {"format": "headlight-syntax-sums",
  // "layers", "heads_per_layer", "sentences", "words", "unaligned_words", "skipped_arcs", "unaligned_examples",
  // "relations": {name: {"arcs", "dependent_to_head": [L·A], "head_to_dependent": [L·A], "offsets_dependent_to_head":
  // [7], "offsets_head_to_dependent": [7]}} ("all" among them)}.
  nlohmann::json SumsJson() const;
  // Adds SumsJson() of another table of the same shape (its examples after this one's, up to 20); checks it all first
  // and adds nothing if any of it is wrong. Adding the parts of a treebank in order gives the whole one's table.
  Status AddSums(const nlohmann::json& sums);

 private:
  void Count(RelationCounts* c, const std::vector<int32_t>& choices, size_t words, int32_t dep, int32_t head);

  size_t layers_, heads_per_layer_;
  RelationCounts all_;
  std::map<std::string, RelationCounts> relations_;
  int64_t sentences_ = 0, words_ = 0, unaligned_words_ = 0, skipped_arcs_ = 0;
  nlohmann::json unaligned_examples_ = nlohmann::json::array();  // the first kUnalignedExamples words without tokens
};

}  // namespace hl
