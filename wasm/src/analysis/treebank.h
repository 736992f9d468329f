// A dependency treebank in CoNLL-U (Universal Dependencies): its sentences as text the model reads, each word's span in
// that text, its head, relation and part of speech; and which word each model token belongs to.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tokenizer/tokenizer.h"

namespace hl {

struct TreebankWord {
  std::string form, upos, deprel;  // deprel with its subtype ("nmod:poss")
  int32_t head = 0;                // 0: the root; else the 1-based index of the head word in the sentence
  int32_t begin = 0, end = 0;      // byte span [begin, end) of the form in the sentence's text
};

struct TreebankSentence {
  std::string id;    // "# sent_id", or "line N" where the sentence starts
  std::string text;  // the forms, joined by a space unless SpaceAfter=No (inside a multiword token: none)
  std::vector<TreebankWord> words;
};

// Limits that refuse a file before it costs much: a sentence of more words than this, or a line longer than this.
constexpr size_t kMaxTreebankWords = 512;
constexpr size_t kMaxConlluLine = 1 << 16;

// Parses CoNLL-U: comment lines "# key = value", word lines of 10 TAB-separated fields (ID 1, 2, ... in order; HEAD 0
// or a word of the sentence), multiword-token lines "3-4" (their SpaceAfter=No applies to the last word), empty nodes
// "8.1" (skipped), a blank line after each sentence. Fails with the line number and what is wrong.
Status ParseConllu(std::string_view data, std::vector<TreebankSentence>* out);

// The word each token belongs to: the word whose span overlaps the token's byte span [begin, end) most (the first on
// ties); -1 for tokens with no span (begin < 0: inserted [CLS]/[SEP]) or overlapping no word. begin, end: [n].
void AlignTokensToWords(std::vector<int32_t>* token_word, const int32_t* begin, const int32_t* end, size_t n,
                        const std::vector<TreebankWord>& words);
// The same for a run's tokens, by their spans in text A.
void AlignTokensToWords(std::vector<int32_t>* token_word, const std::vector<Token>& tokens,
                        const std::vector<TreebankWord>& words);

}  // namespace hl
