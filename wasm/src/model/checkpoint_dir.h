// Reads a Hugging Face checkpoint folder (config.json, vocab.txt, model.safetensors, tokenizer files) from disk.
#pragma once
#include <string>

#include "common/buffer.h"
#include "common/file_io.h"
#include "model/convert.h"

namespace hl {

struct CheckpointFiles {
  std::string config, vocab, tokenizer_config, tokenizer_json;
  AlignedBuffer safetensors;
  HfCheckpoint view() const {
    HfCheckpoint c;
    c.config_json = config;
    c.vocab_txt = vocab;
    c.tokenizer_config_json = tokenizer_config;
    c.tokenizer_json = tokenizer_json;
    c.safetensors = safetensors.data();
    c.safetensors_size = safetensors.size();
    return c;
  }
};

inline Status ReadCheckpointDir(const std::string& dir, CheckpointFiles* out) {
  for (const char* required : {"config.json", "vocab.txt", "model.safetensors"})
    if (!FileExists(dir + "/" + required))
      return InvalidArgument(dir + " has no " + required + " (a Hugging Face BERT folder needs config.json, vocab.txt and model.safetensors)");
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/config.json", &out->config));
  HL_RETURN_IF_ERROR(ReadFileString(dir + "/vocab.txt", &out->vocab));
  if (FileExists(dir + "/tokenizer_config.json")) HL_RETURN_IF_ERROR(ReadFileString(dir + "/tokenizer_config.json", &out->tokenizer_config));
  if (FileExists(dir + "/tokenizer.json")) HL_RETURN_IF_ERROR(ReadFileString(dir + "/tokenizer.json", &out->tokenizer_json));
  return ReadFileAligned(dir + "/model.safetensors", &out->safetensors);
}

}  // namespace hl
