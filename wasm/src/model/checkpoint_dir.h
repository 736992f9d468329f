// Reads a Hugging Face checkpoint folder (config.json, model.safetensors or a sharded checkpoint's index and files,
// tokenizer files) from disk.
#pragma once
#include <string>

#include "common/buffer.h"
#include "common/file_io.h"
#include "model/convert.h"

namespace hl {

struct CheckpointFiles {
  std::string config, vocab, tokenizer_config, tokenizer_json, vocab_json, merges, index;
  AlignedBuffer safetensors;         // model.safetensors
  std::vector<AlignedBuffer> shards;  // or the index's files, in Converter::ShardFiles order
  HfCheckpoint view() const {
    HfCheckpoint c;
    c.config_json = config;
    c.vocab_txt = vocab;
    c.tokenizer_config_json = tokenizer_config;
    c.tokenizer_json = tokenizer_json;
    c.vocab_json = vocab_json;
    c.merges_txt = merges;
    c.index_json = index;
    c.safetensors = safetensors.data();
    c.safetensors_size = safetensors.size();
    for (const AlignedBuffer& s : shards) c.shards.push_back({s.data(), s.size()});
    return c;
  }
};

inline Status ReadCheckpointDir(const std::string& dir, CheckpointFiles* out) {
  const bool sharded = !FileExists(dir + "/model.safetensors") && FileExists(dir + "/model.safetensors.index.json");
  for (const char* required : {"config.json", sharded ? "model.safetensors.index.json" : "model.safetensors"})
    if (!FileExists(dir + "/" + required))
      return InvalidArgument(dir + " has no " + required + " (a Hugging Face folder needs config.json, a tokenizer and "
                             "model.safetensors, or model.safetensors.index.json with the files it lists)");
  if (!FileExists(dir + "/vocab.txt") && !FileExists(dir + "/tokenizer.json") && !FileExists(dir + "/vocab.json"))
    return InvalidArgument(dir + " has no tokenizer: vocab.txt (BERT), tokenizer.json, or vocab.json + merges.txt (RoBERTa)");
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/config.json", &out->config));
  const std::pair<const char*, std::string*> optional[] = {{"vocab.txt", &out->vocab},
                                                           {"tokenizer_config.json", &out->tokenizer_config},
                                                           {"tokenizer.json", &out->tokenizer_json},
                                                           {"vocab.json", &out->vocab_json},
                                                           {"merges.txt", &out->merges}};
  for (const auto& f : optional)
    if (FileExists(dir + "/" + f.first)) HL_RETURN_IF_ERROR(ReadFileString(dir + "/" + f.first, f.second));
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
