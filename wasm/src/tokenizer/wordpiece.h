// WordPiece model (greedy longest-match-first) as transformers.js implements it, with byte spans.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/vocab_index.h"

namespace hl {
namespace tokenizer_internal {

struct Piece {
  int32_t id;
  uint32_t begin, end;  // byte span in the original text
};

class WordPiece {
 public:
  WordPiece(const VocabIndex* index, std::string prefix, int32_t unk_id, int max_input_chars_per_word)
      : index_(index), prefix_(std::move(prefix)), unk_id_(unk_id), max_chars_(max_input_chars_per_word) {}

  // Appends the pieces of the word chars[0..n) (n >= 1) to *out. A word of more than
  // max_input_chars_per_word code points, or one with an unmatchable remainder, becomes a single
  // [UNK] spanning the whole word. Continuation pieces are looked up as prefix + substring.
  // `scratch` is caller-owned working memory, so one WordPiece can serve several threads.
  struct Scratch {
    std::string word;
    std::vector<uint32_t> offsets;
  };
  void Tokenize(const NChar* chars, size_t n, Scratch* scratch, std::vector<Piece>* out) const;

 private:
  const VocabIndex* index_;
  std::string prefix_;
  int32_t unk_id_;
  int max_chars_;
};

}  // namespace tokenizer_internal
}  // namespace hl
