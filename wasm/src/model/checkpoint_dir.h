// Reads a Hugging Face checkpoint folder (config.json, vocab.txt, model.safetensors or a sharded checkpoint's index and
// files, tokenizer files) from disk.
#pragma once
#include <string>

#include "common/buffer.h"
#include "common/file_io.h"
#include "model/convert.h"

namespace hl {

struct CheckpointFiles {
  std::string config, vocab, tokenizer_config, tokenizer_json, index;
  AlignedBuffer safetensors;         // model.safetensors
  std::vector<AlignedBuffer> shards;  // or the index's files, in Converter::ShardFiles order
  HfCheckpoint view() const {
    HfCheckpoint c;
    c.config_json = config;
    c.vocab_txt = vocab;
    c.tokenizer_config_json = tokenizer_config;
    c.tokenizer_json = tokenizer_json;
    c.index_json = index;
    c.safetensors = safetensors.data();
    c.safetensors_size = safetensors.size();
    for (const AlignedBuffer& s : shards) c.shards.push_back({s.data(), s.size()});
    return c;
  }
};

inline Status ReadCheckpointDir(const std::string& dir, CheckpointFiles* out) {
  const bool sharded = !FileExists(dir + "/model.safetensors") && FileExists(dir + "/model.safetensors.index.json");
  for (const char* required : {"config.json", "vocab.txt", sharded ? "model.safetensors.index.json" : "model.safetensors"})
    if (!FileExists(dir + "/" + required))
      return InvalidArgument(dir + " has no " + required +
                             " (a Hugging Face BERT folder needs config.json, vocab.txt and model.safetensors, or "
                             "model.safetensors.index.json with the files it lists)");
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/config.json", &out->config));
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/vocab.txt", &out->vocab));
  if (FileExists(dir + "/tokenizer_config.json")) HL_RETURN_IF_ERROR(ReadFileString(dir + "/tokenizer_config.json", &out->tokenizer_config));
  if (FileExists(dir + "/tokenizer.json")) HL_RETURN_IF_ERROR(ReadFileString(dir + "/tokenizer.json", &out->tokenizer_json));
  if (!sharded) return ReadFileAligned(dir + "/model.safetensors", &out->safetensors);
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/model.safetensors.index.json", &out->index));
  std::vector<std::string> files;
  HL_RETURN_IF_ERROR(Converter::ShardFiles(out->index, &files));
  for (const std::string& f : files) {
    out->shards.emplace_back();
    HL_RETURN_IF_ERROR(ReadFileAligned(dir + "/" + f, &out->shards.back()));
  }
  return Status::Ok();
}

}  // namespace hl
