// hl-run: runs a Headlight model on a sentence (pair) and prints tokens, masked-LM guesses and where each head looks.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/file_io.h"
#include "model/bert.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: hl-run <model.hlm> <sentence A> [sentence B] [--threads N] [--layer L]\n");
    return 2;
  }
  std::string a = argv[2], b;
  bool has_b = false;
  int threads = 1, only_layer = -1;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--layer") && i + 1 < argc) only_layer = std::atoi(argv[++i]);
    else { b = argv[i]; has_b = true; }
  }
  hl::AlignedBuffer file;
  hl::Status s = hl::ReadFileAligned(argv[1], &file);
  std::unique_ptr<hl::BertModel> model;
  hl::LoadOptions lo;
  lo.num_threads = threads;
  if (s.ok()) s = hl::BertModel::Load(std::move(file), lo, &model);
  hl::RunResult r;
  if (s.ok()) s = model->Run(a, b, has_b, hl::RunOptions(), &r);
  if (!s.ok()) {
    std::fprintf(stderr, "hl-run: %s\n", s.message().c_str());
    return 1;
  }
  const hl::BertConfig& c = model->config();
  const size_t n = static_cast<size_t>(r.n);
  std::printf("%d tokens:", r.n);
  for (const hl::Token& t : r.encoding.tokens) std::printf(" %s", t.text.c_str());
  std::printf("\n");
  if (r.encoding.a_dropped || r.encoding.b_dropped)
    std::printf("truncated: %d word pieces of A and %d of B dropped\n", r.encoding.a_dropped, r.encoding.b_dropped);
  for (const hl::MaskPrediction& p : r.mlm) {
    std::printf("%s at %d:", model->tokenizer().options().mask_token.c_str(), p.position);
    for (size_t i = 0; i < p.ids.size(); ++i)
      std::printf(" %s (%.3f)", model->tokenizer().IdToToken(p.ids[i]).c_str(), p.probs[i]);
    std::printf("\n");
  }
  // For each layer and head: the token each token attends to most, and that weight.
  for (int32_t l = 0; l < c.num_layers; ++l) {
    if (only_layer >= 0 && l != only_layer) continue;
    for (int32_t h = 0; h < c.num_heads; ++h) {
      std::printf("layer %d head %d:", l, h);
      const float* att = r.attention.data() + (static_cast<size_t>(l) * c.num_heads + h) * n * n;
      for (size_t i = 0; i < n; ++i) {
        const float* row = att + i * n;
        const size_t j = static_cast<size_t>(std::max_element(row, row + n) - row);
        std::printf(" %s→%s(%.2f)", r.encoding.tokens[i].text.c_str(), r.encoding.tokens[j].text.c_str(), row[j]);
      }
      std::printf("\n");
    }
  }
  const hl::Timings& t = r.timings;
  std::printf("ms: tokenize %.2f, embeddings %.2f, linear %.2f, attention %.2f, norm+act %.2f, mlm %.2f, total %.2f\n",
              t.tokenize, t.embeddings, t.linear, t.attention, t.norm_act, t.mlm, t.total);
  return 0;
}
