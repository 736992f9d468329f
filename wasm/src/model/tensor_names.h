// The tensors a Headlight file holds: Hugging Face BertModel names without the "bert." prefix (for every family).
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
// BERT: drops the "bert." prefix and maps TF-style LayerNorm gamma/beta. DistilBERT: drops "distilbert." and renames
// transformer.layer.{l}.{attention.{q,k,v,out}_lin, sa_layer_norm, ffn.lin1, ffn.lin2, output_layer_norm} and the MLM
// head's vocab_{transform, layer_norm, projector} to BERT's names. RoBERTa: drops "roberta.", maps lm_head.* to
// cls.predictions.* (lm_head.decoder.weight only matters when untied; the converter compares). Names it does not know
// come back unchanged (the converter then reports them as unexpected).
std::string HeadlightTensorName(Family family, const std::string& hf_name);
// The inverse, for messages: the name a checkpoint of the family gives a Headlight tensor (DistilBERT:
// "distilbert.transformer.layer.0.attention.q_lin.weight" for "encoder.layer.0.attention.self.query.weight"; BERT: the
// name itself, as BertModel saves it).
std::string CheckpointTensorName(Family family, const std::string& name);
// The Hugging Face classes whose checkpoints the converter reads for the family, for messages ("BertModel, ...").
const char* CheckpointClasses(Family family);
// BadModel when a checkpoint's tensor name is one only another family uses ("bert.encoder..." in a checkpoint whose
// config.json says "distilbert", and the reverse), so the message says the weights and the config do not belong
// together instead of listing them as missing or unexpected one by one.
Status CheckTensorFamily(Family family, const std::string& hf_name);
std::string LayerTensor(int32_t layer, const char* suffix);  // "encoder.layer.{l}.{suffix}"

}  // namespace hl
