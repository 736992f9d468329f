// Byte-level BPE: GPT-2 regex pre-tokenization over code points, and the merge loop over one word's bytes.
#include "tokenizer/bpe.h"

#include <algorithm>

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace hl {
namespace tokenizer_internal {

char32_t ByteLevelChar(uint8_t byte) {
  const auto printable = [](unsigned b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); };
  if (printable(byte)) return byte;
  char32_t n = 0;  // rank of `byte` among the non-printable bytes
  for (unsigned b = 0; b < byte; ++b) n += printable(b) ? 0 : 1;
  return 0x100 + n;
}

namespace {

enum class CharClass { kSpace, kLetter, kNumber, kOther };

CharClass ClassOf(char32_t cp) {
  if (unicode::IsJsSpace(cp)) return CharClass::kSpace;
  const uint8_t c = unicode::MajorClass(cp);
  if (c == unicode::ut::kClassLetter) return CharClass::kLetter;
  if (c == unicode::ut::kClassNumber) return CharClass::kNumber;
  return CharClass::kOther;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) starting at chars[i], or 0.
size_t ContractionAt(const NChar* chars, size_t n, size_t i) {
  if (chars[i].cp != '\'' || i + 1 >= n) return 0;
  const char32_t a = chars[i + 1].cp;
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= n) return 0;
  const char32_t b = chars[i + 2].cp;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace

void SplitByteLevelWords(const NChar* chars, size_t n, std::vector<WordRange>* out) {
  size_t i = 0;
  while (i < n) {
    const size_t start = i;
    if (const size_t c = ContractionAt(chars, n, i)) {
      out->push_back(WordRange{start, start + c});
      i += c;
      continue;
    }
    const CharClass k = ClassOf(chars[i].cp);
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a run of one class, taking one U+0020 before it.
    CharClass run = k;
    size_t j = i;
    if (chars[i].cp == ' ' && i + 1 < n && ClassOf(chars[i + 1].cp) != CharClass::kSpace) {
      run = ClassOf(chars[i + 1].cp);
      j = i + 1;
    }
    if (run != CharClass::kSpace) {
      while (j < n && ClassOf(chars[j].cp) == run) ++j;
      out->push_back(WordRange{start, j});
      i = j;
      continue;
    }
    // Whitespace: "\s+(?!\S)" keeps the last space for the next word when a non-space follows; else "\s+".
    while (j < n && ClassOf(chars[j].cp) == CharClass::kSpace) ++j;
    if (j < n && j - i >= 2) --j;
    out->push_back(WordRange{start, j});
    i = j;
  }
}

Status Bpe::Build(const VocabIndex* index, const std::vector<std::pair<std::string, std::string>>& merges,
                  bool ignore_merges) {
  index_ = index;
  ignore_merges_ = ignore_merges;
  for (int b = 0; b < 256; ++b) {
    std::string ch;
    utf8::Append(ByteLevelChar(static_cast<uint8_t>(b)), &ch);
    byte_ids_[b] = index->Find(ch);
    if (byte_ids_[b] < 0)
      return BadModel("byte-level BPE vocabulary has no token for byte " + std::to_string(b) + " (\"" + ch + "\")");
  }
  merges_.clear();
  merges_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const std::string& a = merges[r].first;
    const std::string& b = merges[r].second;
    const int32_t ia = index->Find(a), ib = index->Find(b), im = index->Find(a, b);
    if (ia < 0 || ib < 0 || im < 0)
      return BadModel("BPE merge " + std::to_string(r) + " \"" + a + " " + b + "\": \"" +
                      (ia < 0 ? a : ib < 0 ? b : a + b) + "\" is not in the vocabulary");
    merges_[Key(ia, ib)] = Merge{static_cast<int32_t>(r), im};  // a repeated pair keeps its later rank
  }
  return Status::Ok();
}

void Bpe::PushCandidate(Scratch* s, int32_t pos) const {
  const Scratch::Symbol& left = s->symbols[pos];
  if (left.next < 0) return;
  auto it = merges_.find(Key(left.id, s->symbols[left.next].id));
  if (it == merges_.end()) return;
  s->heap.push_back(Scratch::Candidate{it->second.rank, pos, it->second.merged_id});
  std::push_heap(s->heap.begin(), s->heap.end(), [](const Scratch::Candidate& x, const Scratch::Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;  // min-heap on (rank, position)
  });
}

void Bpe::Tokenize(const uint8_t* bytes, size_t n, Scratch* s, std::vector<BpePiece>* out) const {
  if (ignore_merges_) {
    s->text.clear();
    for (size_t k = 0; k < n; ++k) utf8::Append(ByteLevelChar(bytes[k]), &s->text);
    const int32_t id = index_->Find(s->text);
    if (id >= 0) {
      out->push_back(BpePiece{id, 0, static_cast<uint32_t>(n - 1)});
      return;
    }
  }
  // One symbol per byte, linked in order.
  s->symbols.resize(n);
  for (size_t k = 0; k < n; ++k) {
    s->symbols[k] = Scratch::Symbol{byte_ids_[bytes[k]], static_cast<int32_t>(k) - 1,
                                    k + 1 < n ? static_cast<int32_t>(k + 1) : -1, static_cast<uint32_t>(k),
                                    static_cast<uint32_t>(k), true};
  }
  s->heap.clear();
  for (size_t k = 0; k + 1 < n; ++k) PushCandidate(s, static_cast<int32_t>(k));
  const auto later = [](const Scratch::Candidate& x, const Scratch::Candidate& y) {
    return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
  };
  while (!s->heap.empty()) {
    std::pop_heap(s->heap.begin(), s->heap.end(), later);
    const Scratch::Candidate c = s->heap.back();
    s->heap.pop_back();
    Scratch::Symbol& left = s->symbols[c.pos];
    if (!left.alive || left.next < 0) continue;
    // Stale when either symbol has changed since the candidate was queued.
    auto it = merges_.find(Key(left.id, s->symbols[left.next].id));
    if (it == merges_.end() || it->second.rank != c.rank || it->second.merged_id != c.merged_id) continue;
    Scratch::Symbol& right = s->symbols[left.next];
    left.id = c.merged_id;
    left.last = right.last;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) s->symbols[right.next].prev = c.pos;
    if (left.prev >= 0) PushCandidate(s, left.prev);
    PushCandidate(s, c.pos);
  }
  for (int32_t k = 0; k >= 0; k = s->symbols[k].next) out->push_back(BpePiece{s->symbols[k].id, s->symbols[k].first, s->symbols[k].last});
}

}  // namespace tokenizer_internal
}  // namespace hl
