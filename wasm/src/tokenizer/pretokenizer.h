// BertPreTokenizer as transformers.js runs it: /[^\s\p{P}...]+|[\p{P}...]/gu over normalized text.
#pragma once
#include <cstddef>
#include <vector>

#include "tokenizer/normalizer.h"

namespace hl {
namespace tokenizer_internal {

struct WordRange {
  size_t begin, end;  // indices into the normalized NChar sequence
};

// Splits chars into words: maximal runs of characters that are neither JS whitespace (\s) nor
// BERT punctuation, and every punctuation character on its own (\p{P} plus the ASCII symbol ranges
// 21-2F, 3A-40, 5B-60, 7B-7E). Whitespace separates words and is dropped.
void SplitWords(const std::vector<NChar>& chars, std::vector<WordRange>* words);

}  // namespace tokenizer_internal
}  // namespace hl
