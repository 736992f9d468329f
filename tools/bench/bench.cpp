// hl-bench: per-stage timings of a model at several sequence lengths (median of several runs), file size, peak memory.
// Built natively and as wasm (run by Node); tools/bench/run.sh runs both and prints the table.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/file_io.h"
#include "model/bert.h"
#include "ops/linear.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/heap.h>
static double PeakMiB() { return static_cast<double>(emscripten_get_heap_size()) / (1 << 20); }  // wasm memory only grows
static const char* kPlatform = "wasm";
#else
#include <sys/resource.h>
static double PeakMiB() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}
static const char* kPlatform = "native";
#endif

// Ordinary English that tokenizes to well over 512 word pieces when repeated.
static const char* kText =
    "The quick brown [MASK] jumps over the lazy dog while the children watch from the window. "
    "At the store, I bought fresh strawberries, two loaves of bread and a newspaper for my grandmother. "
    "Attention heads in a transformer learn to look at the next word, the previous word, or the separator. ";

static double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hl-bench <model.hlm> [--threads N] [--runs R] [--n 32,128,512] [--gemm auto|xnnpack]\n");
    return 2;
  }
  int threads = 1, runs = 7;
  std::vector<size_t> lengths = {32, 128, 512};
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--n") && i + 1 < argc) {
      lengths.clear();
      for (char* p = std::strtok(argv[++i], ","); p; p = std::strtok(nullptr, ",")) lengths.push_back(std::strtoul(p, nullptr, 10));
    } else if (!std::strcmp(argv[i], "--gemm") && i + 1 < argc) {  // int8 layers: XNNPACK's kernels instead of Headlight's
      const char* g = argv[++i];
      if (std::strcmp(g, "auto") && std::strcmp(g, "xnnpack")) { std::fprintf(stderr, "hl-bench: --gemm auto|xnnpack\n"); return 2; }
      hl::SetQuantizedGemm(std::strcmp(g, "xnnpack") ? hl::QuantizedGemm::kAuto : hl::QuantizedGemm::kXnnpack);
    }
  }
  hl::AlignedBuffer file;
  hl::Status s = hl::ReadFileAligned(argv[1], &file);
  const size_t file_bytes = file.size();
  std::unique_ptr<hl::BertModel> model;
  hl::LoadOptions lo;
  lo.num_threads = threads;
  if (s.ok()) s = hl::BertModel::Load(std::move(file), lo, &model);
  if (!s.ok()) {
    std::fprintf(stderr, "hl-bench: %s\n", s.message().c_str());
    return 1;
  }
  std::string text;
  while (text.size() < 40000) text += kText;
  for (size_t n : lengths) {
    if (n > static_cast<size_t>(model->config().max_position_embeddings)) continue;
    hl::RunOptions opt;
    opt.max_tokens = n;
    std::vector<double> tok, lin, att, norm, mlm, total;
    hl::RunResult r;
    for (int k = 0; k < runs + 1; ++k) {  // the first run warms caches and workspaces
      s = model->Run(text, "", false, opt, &r);
      if (!s.ok()) { std::fprintf(stderr, "hl-bench: %s\n", s.message().c_str()); return 1; }
      if (k == 0) continue;
      tok.push_back(r.timings.tokenize); lin.push_back(r.timings.linear); att.push_back(r.timings.attention);
      norm.push_back(r.timings.norm_act + r.timings.embeddings); mlm.push_back(r.timings.mlm); total.push_back(r.timings.total);
    }
    std::printf("{\"platform\":\"%s\",\"threads\":%d,\"n\":%d,\"runs\":%d,\"tokenize_ms\":%.3f,\"linear_ms\":%.3f,"
                "\"attention_ms\":%.3f,\"norm_act_ms\":%.3f,\"mlm_ms\":%.3f,\"total_ms\":%.3f,\"file_bytes\":%zu,\"peak_mib\":%.1f,"
                "\"int8\":%s,\"qk_input\":\"%s\",\"gemm\":\"%s\"}\n",
                kPlatform, model->num_threads(), r.n, runs, Median(tok), Median(lin), Median(att), Median(norm), Median(mlm),
                Median(total), file_bytes, PeakMiB(), model->is_int8() ? "true" : "false",
                model->meta().value("qk_input", "int8").c_str(), hl::UsesHeadlightGemm() ? "headlight" : "xnnpack");
    std::fflush(stdout);
  }
  return 0;
}
