// WordPiece: greedy longest-match-first subword split of one pre-tokenized word.
#include "tokenizer/wordpiece.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace hl {
namespace tokenizer_internal {

void WordPiece::Tokenize(const NChar* chars, size_t n, Scratch* scratch, std::vector<Piece>* out) const {
  auto span_of = [&](size_t a, size_t b) {
    uint32_t lo = chars[a].begin, hi = chars[a].end;
    for (size_t k = a + 1; k < b; ++k) {
      lo = std::min(lo, chars[k].begin);
      hi = std::max(hi, chars[k].end);
    }
    return std::make_pair(lo, hi);
  };
  if (n > static_cast<size_t>(max_chars_)) {  // transformers.js counts code points ([...token])
    const auto s = span_of(0, n);
    out->push_back(Piece{unk_id_, s.first, s.second});
    return;
  }
  std::string& word = scratch->word;
  std::vector<uint32_t>& off = scratch->offsets;
  word.clear();
  off.clear();
  for (size_t k = 0; k < n; ++k) {
    off.push_back(static_cast<uint32_t>(word.size()));
    utf8::Append(chars[k].cp, &word);
  }
  off.push_back(static_cast<uint32_t>(word.size()));
  const size_t first_new = out->size();
  const size_t max_bytes = index_->max_key_bytes();
  size_t start = 0;
  while (start < n) {
    const std::string_view prefix = start > 0 ? std::string_view(prefix_) : std::string_view();
    // Longest candidate that can possibly be in the vocabulary (same result as trying every end).
    size_t end = n;
    while (end > start && prefix.size() + (off[end] - off[start]) > max_bytes) --end;
    int32_t id = -1;
    for (; end > start; --end) {
      id = index_->Find(prefix, std::string_view(word).substr(off[start], off[end] - off[start]));
      if (id >= 0) break;
    }
    if (id < 0) {
      out->resize(first_new);
      const auto s = span_of(0, n);
      out->push_back(Piece{unk_id_, s.first, s.second});
      return;
    }
    const auto s = span_of(start, end);
    out->push_back(Piece{id, s.first, s.second});
    start = end;
  }
}

}  // namespace tokenizer_internal
}  // namespace hl
