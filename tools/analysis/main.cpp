// hl-analyze: per-head statistics, the head map, rollout and flow of a model over a file of texts, or Clark et al.'s
// syntactic heads over a treebank.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/file_io.h"
#include "cli.h"

namespace hlcli {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hl-analyze: %s\n", message.c_str());
  return 1;
}

std::string Num(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

hl::Status WriteText(const std::string& path, const std::string& text) { return hl::WriteFile(path, text.data(), text.size()); }

hl::Status MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return hl::InvalidArgument("cannot create " + dir + ": " + ec.message());
  return hl::Status::Ok();
}

}  // namespace hlcli

namespace {

constexpr const char* kUsage =
    "usage: hl-analyze MODEL.hlm PAIRS.tsv --out DIR [--max-tokens N] [--threads N] [--rollout] [--attention]\n"
    "       hl-analyze MODEL.hlm --syntax --treebank FILE.conllu --out DIR [--sentences N] [--max-tokens N] [--threads N]\n"
    "  PAIRS.tsv: one text per line: sentence A, optionally a TAB and sentence B (further columns ignored;\n"
    "  blank lines skipped). Writes DIR/stats.json, DIR/heads.csv, DIR/per_text.csv; --rollout adds each text's\n"
    "  attention rollout and flow to stats.json, --attention writes DIR/attention/text-K.f32 (f32 [L][A][n][n]).\n"
    "  --syntax: each head as a dependency parser (Clark et al. 2019) over the treebank's first N sentences (all by\n"
    "  default). Writes DIR/syntax.json and DIR/syntax.csv.\n";

bool ParseCount(const char* s, long min, long* out) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < min) return false;
  *out = v;
  return true;
}

// Parses the command line; false (after printing why) when it is unusable.
bool ParseArgs(hlcli::Args* args, int argc, char** argv) {
  std::vector<std::string> positional;
  const struct { const char* flag; long min; long* value; const char* want; } counts[] = {
      {"--max-tokens", 0, &args->max_tokens, "a number ≥ 0 (0 = the model's maximum)"},
      {"--threads", 1, &args->threads, "a number ≥ 1"},
      {"--sentences", 0, &args->sentences, "a number ≥ 0 (0 = every sentence)"}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    bool counted = false;
    for (const auto& c : counts)
      if (a == c.flag && has_value) {
        if (!ParseCount(argv[++i], c.min, c.value)) {
          std::fprintf(stderr, "hl-analyze: %s wants %s\n", c.flag, c.want);
          return false;
        }
        counted = true;
      }
    if (counted) continue;
    if (a == "--out" && has_value) args->out = argv[++i];
    else if (a == "--treebank" && has_value) args->treebank = argv[++i];
    else if (a == "--syntax") args->syntax = true;
    else if (a == "--rollout") args->rollout = true;
    else if (a == "--attention") args->attention = true;
    else if (a == "-h" || a == "--help") { args->help = true; return false; }
    else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "hl-analyze: unknown option %s (or it lacks its value)\n", a.c_str());
      return false;
    } else {
      positional.push_back(a);
    }
  }
  const size_t want = args->syntax ? 1 : 2;
  if (positional.size() != want || args->out.empty() || (args->syntax && args->treebank.empty())) {
    std::fprintf(stderr, args->syntax ? "hl-analyze: --syntax needs MODEL.hlm, --treebank FILE.conllu and --out DIR\n"
                                      : "hl-analyze: need MODEL.hlm, PAIRS.tsv and --out DIR\n");
    return false;
  }
  if (args->syntax && (args->rollout || args->attention)) {
    std::fprintf(stderr, "hl-analyze: --rollout and --attention go with PAIRS.tsv, not --syntax\n");
    return false;
  }
  args->model = positional[0];
  if (!args->syntax) args->pairs = positional[1];
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using hlcli::Fail;
  hlcli::Args args;
  if (!ParseArgs(&args, argc, argv)) {
    std::fputs(kUsage, args.help ? stdout : stderr);
    return args.help ? 0 : 2;
  }
  const auto t_start = std::chrono::steady_clock::now();

  // Inputs: the texts or the treebank first (cheap to check), then the model.
  const std::string& input = args.syntax ? args.treebank : args.pairs;
  if (!hl::FileExists(input)) return Fail("cannot open " + input + " (no such file?)");
  std::string contents;
  hl::Status s = hl::ReadFileString(input, &contents);
  if (!s.ok()) return Fail(s.message());
  std::vector<hlcli::Text> texts;
  std::vector<hl::TreebankSentence> sentences;
  int blank_lines = 0;
  if (args.syntax) {
    s = hl::ParseConllu(contents, &sentences);
    if (!s.ok()) return Fail(input + ": " + s.message());
    if (args.sentences > 0 && static_cast<size_t>(args.sentences) < sentences.size()) sentences.resize(args.sentences);
  } else {
    texts = hlcli::ParseTsv(contents, &blank_lines);
    if (texts.empty()) return Fail(input + " has no texts (the file is empty or blank): want one text per line, A[TAB B]");
  }
  if (!hl::FileExists(args.model)) return Fail("cannot open model " + args.model + " (no such file?)");
  hl::AlignedBuffer file;
  s = hl::ReadFileAligned(args.model, &file);
  if (!s.ok()) return Fail(s.message());
  std::unique_ptr<hl::BertModel> model;
  hl::LoadOptions lo;
  lo.num_threads = static_cast<int32_t>(args.threads);
  s = hl::BertModel::Load(std::move(file), lo, &model);
  if (!s.ok()) return Fail(args.model + " is not a usable Headlight model: " + s.message());
  return args.syntax ? hlcli::AnalyzeSyntax(args, sentences, model.get(), t_start)
                     : hlcli::AnalyzeTexts(args, texts, blank_lines, model.get(), t_start);
}
