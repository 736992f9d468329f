// SHA-256 (FIPS 180-4) over bytes given in pieces: the converter checks a download against the hub's digest with it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hl {

class Sha256 {
 public:
  Sha256();
  void Update(const uint8_t* data, size_t size);
  std::string HexDigest();  // 64 lower-case hex digits; the hasher starts over afterwards

 private:
  void Compress(const uint8_t* block);  // one 64-byte block into state_
  uint32_t state_[8];
  uint8_t block_[64];
  size_t fill_ = 0;
  uint64_t length_ = 0;  // bytes so far
};

}  // namespace hl
