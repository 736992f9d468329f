// hl-convert: Hugging Face BERT, DistilBERT or RoBERTa folder → Headlight model file (int8 by default).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "model/checkpoint_dir.h"

static int Usage() {
  std::fprintf(stderr,
               "usage: hl-convert <hf-folder> <out.hlm> [--f32] [--f32-embeddings] [--f32-qk-input] [--int8-rows] [--name NAME] [--source TEXT]\n"
               "  <hf-folder> holds config.json, model.safetensors (or model.safetensors.index.json and the\n"
               "  files it lists) and a tokenizer: vocab.txt (BERT, DistilBERT; tokenizer.json /\n"
               "  tokenizer_config.json optional), or tokenizer.json with a BPE model or vocab.json + merges.txt\n"
               "  (RoBERTa). Default: int8 linear weights and word embeddings, every\n"
               "  linear layer's input quantized to int8 per row. --f32-qk-input: the query and key\n"
               "  projections read f32 input (more faithful attention, those two layers run slower).\n"
               "  --int8-rows: linear weights as rows, not in the int8 GEMM's panels (a format version 1 file,\n"
               "  which engines before version 2 read; it loads slower, packing them).\n");
  return 2;
}

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  hl::ConvertOptions opt;
  opt.name = argv[1];
  opt.source = argv[1];
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--f32")) opt.int8 = false;
    else if (!std::strcmp(argv[i], "--f32-embeddings")) opt.int8_embeddings = false;
    else if (!std::strcmp(argv[i], "--f32-qk-input")) opt.f32_qk_input = true;
    else if (!std::strcmp(argv[i], "--int8-rows")) opt.int8_rows = true;
    else if (!std::strcmp(argv[i], "--name") && i + 1 < argc) opt.name = argv[++i];
    else if (!std::strcmp(argv[i], "--source") && i + 1 < argc) opt.source = argv[++i];
    else return Usage();
  }
  hl::CheckpointFiles files;
  hl::Status s = hl::ReadCheckpointDir(argv[1], &files);
  std::vector<uint8_t> out;
  std::string report;
  if (s.ok()) s = hl::ConvertHuggingFace(files.view(), opt, &out, &report);
  if (s.ok()) s = hl::WriteFile(argv[2], out.data(), out.size());
  if (!s.ok()) {
    std::fprintf(stderr, "hl-convert: %s\n", s.message().c_str());
    return 1;
  }
  size_t in = files.safetensors.size();
  for (const auto& s : files.shards) in += s.size();
  std::printf("%s\nwrote %s (%zu bytes, safetensors %zu bytes, ratio %.3f)\n", report.c_str(), argv[2], out.size(), in,
              static_cast<double>(out.size()) / static_cast<double>(in));
  return 0;
}
