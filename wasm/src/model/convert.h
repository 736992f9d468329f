// Converter: a Hugging Face BERT-family checkpoint (config.json, tokenizer files, safetensors) to a Headlight model file,
// streamed: the safetensors bytes go in as they arrive, each tensor is quantized into its place in the output.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/buffer.h"
#include "common/sha256.h"
#include "common/status.h"
#include "model/config.h"
#include "model/model_file.h"
#include "model/safetensors.h"
#include "model/tensor_names.h"

namespace hl {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

struct HfCheckpoint {
  std::string_view config_json;            // required
  std::string_view vocab_txt;              // BERT WordPiece (empty = absent)
  std::string_view tokenizer_config_json;  // optional (empty = absent)
  std::string_view tokenizer_json;         // optional; with a BPE model it is RoBERTa's whole tokenizer
  std::string_view vocab_json;             // RoBERTa byte-level BPE without tokenizer.json: vocab.json + merges.txt
  std::string_view merges_txt;
  std::string_view index_json;             // model.safetensors.index.json of a sharded checkpoint (empty: one file)
  const uint8_t* safetensors = nullptr;    // one model.safetensors (ConvertHuggingFace without an index)
  size_t safetensors_size = 0;
  std::vector<ByteSpan> shards;            // the index's files in the order of Converter::ShardFiles (with an index)
};

struct ConvertOptions {
  bool int8 = true;             // linear weights int8 per output channel; false = everything f32
  bool int8_embeddings = true;  // with int8: word embeddings (and the tied decoder) int8 per row too
  bool f32_qk_input = false;    // with int8: the query and key projections read f32 activations instead of
                                // int8 rows (meta "qk_input"): fewer near-tie attention flips, slower Q and K
  bool int8_rows = false;       // with int8: linear weights as rows, not in the int8 GEMM's panels (a version 1 file,
                                // which engines before format version 2 read; loading it packs them)
  std::string name;             // recorded in the header's meta
  std::string source;           // e.g. the hub id or folder
};

// Streaming conversion. Begin reads config.json and the tokenizer files (and a sharded checkpoint's index); then the
// bytes of each safetensors file go to Feed in chunks of any size, EndFile after each file, Finish at the end.
// Memory: the output file (allocated once, when the tensor list is known: at Begin with an index, else once the first
// file's header has arrived, so that a model too large fails before its weights are downloaded) plus one tensor's bytes
// (and its f32 copy when stored as F16/BF16/F64). Accepts the tensor names of BertModel, BertForMaskedLM and
// BertForPreTraining (with or without "bert."), DistilBertModel and DistilBertForMaskedLM, RobertaModel and
// RobertaForMaskedLM (tensor_names.h), F32/F16/BF16/F64. The tokenizer comes from whichever files are given
// (TokenizerFromHuggingFaceFiles in tokenizer_header.h). Missing, unexpected or mis-shaped tensors are errors naming them.
class Converter {
 public:
  static Status Begin(const HfCheckpoint& texts, const ConvertOptions& options, std::unique_ptr<Converter>* out);
  // A sharded checkpoint's files, each once, in the order they must be fed (sorted by name).
  static Status ShardFiles(std::string_view index_json, std::vector<std::string>* files);
  Status Feed(const uint8_t* data, size_t size);
  Status EndFile();
  // The model file (its size is out->size()); report: a one-line summary. The converter is spent afterwards.
  Status Finish(AlignedBuffer* out, std::string* report);

  // The SHA-256 (hex) of the last file EndFile closed: the caller checks a download against its published digest.
  const std::string& last_file_sha256() const { return last_sha256_; }

 private:
  struct Pending {   // a tensor of the current file, in the order of its data
    std::string hf_name, name;  // name: the Headlight name, "" = skipped
    StTensor t;
  };
  Status PlanFrom(const std::vector<std::string>& hf_names);
  Status StartFile(const uint8_t* json, size_t length);
  Status TakeTensor(const Pending& p, const uint8_t* bytes);
  Status Store(const ExpectedTensor& e, const float* f32);

  BertConfig config_;
  ConvertOptions options_;
  nlohmann::json tokenizer_, meta_;
  std::string tokenizer_how_, tokenizer_case_;  // where the tokenizer's settings came from; ", cased" etc. for the report
  bool sharded_ = false;
  // Planned once the names are known.
  bool planned_ = false;
  HeadSet heads_;
  std::map<std::string, ExpectedTensor> expected_;  // Headlight name → shape, role
  ModelFileLayout layout_, tied_layout_;  // tied_layout_: without the decoder (when it equals the embeddings)
  AlignedBuffer out_;
  std::set<std::string> done_;
  uint64_t word_hash_ = 0, decoder_hash_ = 0;
  // The file being fed: 8 length bytes, the JSON header, then the data section.
  enum class Phase { kLength, kHeader, kData, kDone } phase_ = Phase::kLength;
  uint64_t files_ = 0;
  std::vector<uint8_t> head_;       // length bytes, then header bytes
  uint64_t header_len_ = 0;
  std::vector<Pending> pending_;    // sorted by offset
  size_t next_ = 0;                 // index into pending_
  uint64_t at_ = 0;                 // bytes of the data section consumed
  uint64_t data_end_ = 0;           // the end of the last tensor's data
  AlignedBuffer tensor_;            // the current tensor's bytes (as stored)
  size_t tensor_fill_ = 0;
  std::vector<float> f32_;          // a tensor stored as F16/BF16/F64, in f32
  std::vector<int8_t> rows_;        // a linear layer's int8 rows, before they are packed into panels
  Sha256 hash_;                     // of the file being fed
  std::string last_sha256_;
};

// The whole checkpoint in memory (native tools and tests): Begin, Feed each file, Finish.
Status ConvertHuggingFace(const HfCheckpoint& ckpt, const ConvertOptions& options, std::vector<uint8_t>* out,
                          std::string* report);

}  // namespace hl
