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

// A Hugging Face checkpoint's tensor name → the Headlight name of ExpectedTensors, for the checkpoint's family; "" for
// tensors that carry nothing the engine reads (position_ids buffers, the decoder bias that repeats the MLM bias).
// BERT: drops the "bert." prefix and maps TF-style LayerNorm gamma/beta. RoBERTa: drops "roberta.", maps lm_head.* to
// cls.predictions.* (lm_head.decoder.weight only matters when untied; the converter compares). Names it does not know come back unchanged
// (the converter then reports them as unexpected).
std::string HeadlightTensorName(Family family, const std::string& hf_name);
std::string LayerTensor(int32_t layer, const char* suffix);  // "encoder.layer.{l}.{suffix}"

}  // namespace hl
