// The Headlight model file: magic, version, JSON header (config, tokenizer, tensor table), aligned data, checksum.
//
// Layout (little-endian):
//   [0, 8)    magic "\x89HLBERT\n"
//   [8, 12)   u32 format version (kModelFormatVersion)
//   [12, 16)  u32 reserved, 0
//   [16, 24)  u64 header length h
//   [24, 24+h) JSON header: {"format","config","tokenizer","meta","data_size","tensors":[...]}
//   [D, D+data_size) tensor data, D = 24+h rounded up to 64; every tensor and scale array 64-aligned
//   [D+data_size, +8) u64 checksum (Checksum64) of every byte before it
// A tensor entry: {"name", "dtype": "f32"|"i8", "shape": [...], "offset": bytes from D,
//                  "scales_offset": bytes from D (i8 only: one f32 scale per row = shape[0]),
//                  "layout": "panels_8c2" (version 2, i8 [out][in] only: the int8 GEMM's panels, ops/gemm_qd8.h;
//                             absent: rows)}.
// Version 1 files have no layouts; a writer stamps the lowest version that can hold its file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "model/config.h"
#include "ops/gemm_qd8.h"

namespace hl {

constexpr uint32_t kModelFormatVersion = 2;  // the newest this engine reads (it reads 1 too)
extern const uint8_t kModelMagic[8];

enum class TensorDtype { kF32, kI8 };

// A tensor inside a parsed model file (pointers into the file's buffer).
struct TensorView {
  TensorDtype dtype = TensorDtype::kF32;
  std::vector<int64_t> shape;
  const float* f32 = nullptr;     // dtype f32
  const int8_t* i8 = nullptr;     // dtype i8: [shape[0]][rest] as rows, or in panels (layout)
  Int8Layout layout = Int8Layout::kRows;
  const float* scales = nullptr;  // dtype i8: [shape[0]]
  int64_t numel() const;
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
};

struct ModelFileView {
  uint32_t version = 0;
  BertConfig config;
  nlohmann::json tokenizer;  // validated by the tokenizer loader (options + "vocab")
  nlohmann::json meta;       // name, source, weights ("int8"/"f32"), converter; the engine obeys "qk_input"
  std::map<std::string, TensorView> tensors;
  const TensorView* find(const std::string& name) const;
};

// Validates magic, version, sizes, header JSON, config, tensor table (dtypes, shapes, bounds,
// alignment, overlap) and the checksum. `data` must be 4-byte aligned and outlive `out`.
Status ParseModelFile(const uint8_t* data, size_t size, ModelFileView* out);

uint64_t Checksum64(const uint8_t* p, size_t n);

// A model file planned before its tensors exist, so that a converter can write each tensor into its place as it comes
// (no second copy of the weights): Plan, fill slot(...) for every tensor, then Seal writes the header and checksum.
struct TensorSpec {
  std::string name;
  TensorDtype dtype;
  std::vector<int64_t> shape;
  Int8Layout layout = Int8Layout::kRows;  // kPanels8c2: i8 [out][in] only
};

class ModelFileLayout {
 public:
  struct Slot {
    TensorSpec spec;
    uint64_t offset = 0, scales_offset = 0;  // bytes from the data start; scales: i8 only, one f32 per row
    uint64_t bytes = 0;                      // of the values (numel × 4 or × 1; panels: panels_8c2_bytes)
  };
  // Tensors are laid out in the given order, each array 64-aligned.
  static Status Plan(const BertConfig& config, const nlohmann::json& tokenizer, const nlohmann::json& meta,
                     const std::vector<TensorSpec>& tensors, ModelFileLayout* out);
  uint64_t data_start() const { return data_start_; }
  uint64_t file_size() const { return data_start_ + data_size_ + 8; }
  const std::vector<Slot>& slots() const { return slots_; }
  const Slot* find(const std::string& name) const;
  // Writes magic, version, header and padding into `file` (file_size() bytes, slots already filled), then the checksum.
  void Seal(uint8_t* file) const;

 private:
  std::string header_;  // JSON
  uint32_t version_ = 1;
  uint64_t data_start_ = 0, data_size_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace hl
