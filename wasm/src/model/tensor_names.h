// The tensors a Headlight BERT file holds: Hugging Face BertModel names without the "bert." prefix.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace hl {

enum class TensorRole {
  kLinearWeight,  // [out][in]; int8 per output channel in int8 files
  kEmbedding,     // word embeddings [V][H]; int8 per row in int8 files (also the tied MLM decoder)
  kF32,           // always f32: biases, layer norms, position/token-type embeddings
};

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
  TensorRole role;
  bool required;
};

// Heads beyond the encoder that a file may carry.
struct HeadSet {
  bool mlm = false;          // cls.predictions.{transform.*, bias}
  bool untied_decoder = false;  // cls.predictions.decoder.weight differs from the word embeddings
  bool pooler = false;       // pooler.dense.*
  bool nsp = false;          // cls.seq_relationship.* (needs the pooler)
};

std::vector<ExpectedTensor> ExpectedTensors(const BertConfig& c, const HeadSet& heads);
std::string LayerTensor(int32_t layer, const char* suffix);  // "encoder.layer.{l}.{suffix}"

}  // namespace hl
