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
  const uint8_t* data = nullptr;  // points into the caller's buffer
  size_t bytes = 0;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // `data` must outlive this object. Checks header size, JSON, dtypes, shapes and that every
  // tensor's data_offsets lie inside the file and agree with dtype × shape.
  static Status Parse(const uint8_t* data, size_t size, SafetensorsFile* out);
  const std::map<std::string, StTensor>& tensors() const { return tensors_; }
  const StTensor* find(const std::string& name) const;
  // Converts a floating tensor (F32/F16/BF16/F64) to f32; BadModel for other dtypes.
  static Status ToF32(const StTensor& t, std::vector<float>* out);

 private:
  std::map<std::string, StTensor> tensors_;
};

const char* StDtypeName(StDtype d);

}  // namespace hl
