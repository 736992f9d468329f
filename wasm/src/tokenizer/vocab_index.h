// Open-addressing hash index from vocabulary strings to ids, probed with string_views (no allocation).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hl {
namespace tokenizer_internal {

class VocabIndex {
 public:
  // Indexes vocab[i] -> i. When a string occurs more than once, the later id wins (as Hugging
  // Face's Python and Rust vocab.txt readers and JSON.parse of a tokenizer.json do).
  void Build(const std::vector<std::string>& vocab);

  // Id of the string prefix + rest, or -1.
  int32_t Find(std::string_view prefix, std::string_view rest) const;
  int32_t Find(std::string_view key) const { return Find(std::string_view(), key); }

  size_t max_key_bytes() const { return max_key_bytes_; }

 private:
  static uint64_t Hash(std::string_view prefix, std::string_view rest);

  const std::vector<std::string>* vocab_ = nullptr;
  std::vector<int32_t> slots_;       // id or -1
  std::vector<uint32_t> slot_hash_;  // high bits of the hash, to skip most string compares
  uint64_t mask_ = 0;
  size_t max_key_bytes_ = 0;
};

}  // namespace tokenizer_internal
}  // namespace hl
