// Safetensors reader: validates the header of a Hugging Face model.safetensors held in memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace hl {

enum class StDtype { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

struct StTensor {
  StDtype dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the caller's buffer (nullptr when only the header was parsed)
  uint64_t offset = 0;            // of the data, from the start of the data section
  size_t bytes = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // `data` must outlive this object. Checks header size, JSON, dtypes, shapes and that every
  // tensor's data_offsets lie inside the file and agree with dtype × shape.
  static Status Parse(const uint8_t* data, size_t size, SafetensorsFile* out);
  // The JSON header alone (the bytes after the 8-byte length), for a file read as a stream: the same checks, with
  // data_size the length of the data section, or UINT64_MAX when it is not known yet. data pointers stay null.
  static Status ParseHeader(const uint8_t* json, size_t length, uint64_t data_size, SafetensorsFile* out);
  const std::map<std::string, StTensor>& tensors() const { return tensors_; }
  const StTensor* find(const std::string& name) const;
  // Converts a floating tensor (F32/F16/BF16/F64) to f32; BadModel for other dtypes.
  static Status ToF32(const StTensor& t, std::vector<float>* out);
  static Status ToF32(const StTensor& t, float* out);  // out: numel() floats

 private:
  std::map<std::string, StTensor> tensors_;
};

const char* StDtypeName(StDtype d);

}  // namespace hl
