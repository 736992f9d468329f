// BertPreTokenizer: whitespace/punctuation word splitting of normalized text.
#include "tokenizer/pretokenizer.h"

#include "tokenizer/unicode.h"

namespace hl {
namespace tokenizer_internal {

void SplitWords(const std::vector<NChar>& chars, std::vector<WordRange>* words) {
  words->clear();
  const size_t n = chars.size();
  size_t i = 0;
  while (i < n) {
    const char32_t cp = chars[i].cp;
    if (unicode::IsJsSpace(cp)) {
      ++i;
      continue;
    }
    if (unicode::IsBertPunct(cp)) {
      words->push_back(WordRange{i, i + 1});
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && !unicode::IsJsSpace(chars[j].cp) && !unicode::IsBertPunct(chars[j].cp)) ++j;
    words->push_back(WordRange{i, j});
    i = j;
  }
}

}  // namespace tokenizer_internal
}  // namespace hl
