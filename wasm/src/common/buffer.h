// AlignedBuffer: a 64-byte-aligned byte array that reports allocation failure instead of aborting.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace hl {

// 64-byte-aligned memory for `size` bytes followed by at least 64 bytes of slack (XNNPACK kernels may
// read up to XNN_EXTRA_BYTES past the end of their inputs); nullptr when it cannot be had, including
// sizes so large that rounding them would wrap around. Free with std::free.
inline void* AllocateAligned64(size_t size) {
  if (size > SIZE_MAX - 256) return nullptr;
  void* p = nullptr;
  if (posix_memalign(&p, 64, (size + 64 + 63) / 64 * 64) != 0) return nullptr;
  return p;
}

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; o.size_ = 0; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) { reset(); data_ = o.data_; size_ = o.size_; o.data_ = nullptr; o.size_ = 0; }
    return *this;
  }
  ~AlignedBuffer() { reset(); }

  // Returns false when the allocation fails (the buffer is then empty); see AllocateAligned64.
  bool allocate(size_t size) {
    reset();
    if (size == 0) return true;
    void* p = AllocateAligned64(size);
    if (p == nullptr) return false;
    data_ = static_cast<uint8_t*>(p);
    size_ = size;
    return true;
  }
  void reset() { std::free(data_); data_ = nullptr; size_ = 0; }
  // Takes ownership of memory from posix_memalign/malloc (e.g. hl_alloc).
  void adopt(uint8_t* p, size_t size) { reset(); data_ = p; size_ = p ? size : 0; }
  // Hands the memory to the caller (free with std::free / hl_free); the buffer is then empty.
  uint8_t* release() { uint8_t* p = data_; data_ = nullptr; size_ = 0; return p; }
  // Forgets the bytes past n (the memory stays allocated until the buffer is freed).
  void truncate(size_t n) { if (n < size_) size_ = n; }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  template <typename T> T* as() { return reinterpret_cast<T*>(data_); }
  template <typename T> const T* as() const { return reinterpret_cast<const T*>(data_); }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Little-endian loads and stores (wasm and x86 are little-endian; memcpy keeps them alignment-safe).
inline uint32_t load_u32le(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t load_u64le(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
inline void store_u32le(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void store_u64le(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

}  // namespace hl
