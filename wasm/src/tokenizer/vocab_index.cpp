// VocabIndex: string -> id lookups for WordPiece and special tokens.
#include "tokenizer/vocab_index.h"

#include <cstring>

namespace hl {
namespace tokenizer_internal {

uint64_t VocabIndex::Hash(std::string_view prefix, std::string_view rest) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  for (char c : prefix) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  for (char c : rest) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h ^ (h >> 29);
}

void VocabIndex::Build(const std::vector<std::string>& vocab) {
  vocab_ = &vocab;
  size_t cap = 16;
  while (cap < vocab.size() * 2) cap <<= 1;
  slots_.assign(cap, -1);
  slot_hash_.assign(cap, 0);
  mask_ = cap - 1;
  max_key_bytes_ = 0;
  for (size_t id = 0; id < vocab.size(); ++id) {
    const std::string& key = vocab[id];
    if (key.size() > max_key_bytes_) max_key_bytes_ = key.size();
    const uint64_t h = Hash(std::string_view(), key);
    for (uint64_t s = h & mask_;; s = (s + 1) & mask_) {
      if (slots_[s] < 0) {
        slots_[s] = static_cast<int32_t>(id);
        slot_hash_[s] = static_cast<uint32_t>(h >> 32);
        break;
      }
      if (slot_hash_[s] == static_cast<uint32_t>(h >> 32) && vocab[slots_[s]] == key) {
        slots_[s] = static_cast<int32_t>(id);  // later duplicate wins
        break;
      }
    }
  }
}

int32_t VocabIndex::Find(std::string_view prefix, std::string_view rest) const {
  if (slots_.empty()) return -1;
  const size_t len = prefix.size() + rest.size();
  if (len > max_key_bytes_) return -1;
  const uint64_t h = Hash(prefix, rest);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t s = h & mask_;; s = (s + 1) & mask_) {
    const int32_t id = slots_[s];
    if (id < 0) return -1;
    if (slot_hash_[s] != tag) continue;
    const std::string& key = (*vocab_)[id];
    if (key.size() == len && (prefix.empty() || std::memcmp(key.data(), prefix.data(), prefix.size()) == 0) &&
        (rest.empty() || std::memcmp(key.data() + prefix.size(), rest.data(), rest.size()) == 0)) {
      return id;
    }
  }
}

}  // namespace tokenizer_internal
}  // namespace hl
