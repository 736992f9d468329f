// Byte-level BPE (GPT-2 / RoBERTa) as transformers.js implements it: the GPT-2 split regex, bytes → characters, merges by rank.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/vocab_index.h"

namespace hl {
namespace tokenizer_internal {

// GPT-2's bytes_to_unicode(): the printable Latin-1 bytes (! .. ~, ¡ .. ¬, ® .. ÿ) stand for themselves; the other 68
// bytes map in order to U+0100, U+0101, ... (so the space byte 0x20 is "Ġ" U+0120 and '\n' is "Ċ" U+010A).
char32_t ByteLevelChar(uint8_t byte);

// Splits chars[0..n) with the GPT-2 pattern as JavaScript runs it (flags "gu"):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (\s is ECMAScript's whitespace, \p{L}/\p{N} the Unicode 15.0 categories). Every character lands in exactly one
// word; words are appended to *out in order.
void SplitByteLevelWords(const NChar* chars, size_t n, std::vector<WordRange>* out);

// One token of a word: vocabulary id and the word's bytes [first, last] it covers (indices into the word's bytes).
struct BpePiece {
  int32_t id;
  uint32_t first, last;
};

class Bpe {
 public:
  // Looks up every merge "left right" (rank = position in `merges`; a pair listed twice keeps its later rank, as
  // Hugging Face's map construction does) and the id of each byte's character. BadModel when a merge's parts or
  // result, or one of the 256 byte characters, is not in the vocabulary.
  Status Build(const VocabIndex* index, const std::vector<std::pair<std::string, std::string>>& merges,
               bool ignore_merges);

  struct Scratch {
    struct Symbol {
      int32_t id;
      int32_t prev, next;   // neighbours in the word, -1 at the ends
      uint32_t first, last;  // bytes covered
      bool alive;
    };
    struct Candidate {
      int32_t rank, pos, merged_id;  // merge symbols[pos] with its next neighbour into merged_id
    };
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
    std::string text;  // the word as byte-level characters (only with ignore_merges)
  };

  // Appends the tokens of one word given as UTF-8 bytes [n] (n >= 1) to *out: starting from one symbol per byte,
  // repeatedly applies the lowest-ranked merge among adjacent pairs, leftmost first on equal rank (the order of
  // transformers.js' priority queue and of the Rust crate). With ignore_merges, a word that is itself in the
  // vocabulary is one token.
  void Tokenize(const uint8_t* bytes, size_t n, Scratch* scratch, std::vector<BpePiece>* out) const;

  int32_t byte_id(uint8_t b) const { return byte_ids_[b]; }

 private:
  struct Merge {
    int32_t rank, merged_id;
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void PushCandidate(Scratch* s, int32_t pos) const;

  const VocabIndex* index_ = nullptr;
  std::unordered_map<uint64_t, Merge> merges_;
  int32_t byte_ids_[256] = {};
  bool ignore_merges_ = false;
};

}  // namespace tokenizer_internal
}  // namespace hl
