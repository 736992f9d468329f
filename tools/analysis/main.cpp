// hl-analyze: per-head attention statistics and the head map (distances + MDS) of a model over a file of texts.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.h"
#include "analysis/head_map.h"
#include "analysis/head_stats.h"
#include "common/file_io.h"
#include "model/bert.h"

namespace {

constexpr const char* kUsage =
    "usage: hl-analyze MODEL.hlm PAIRS.tsv --out DIR [--max-tokens N] [--threads N]\n"
    "  PAIRS.tsv: one text per line: sentence A, optionally a TAB and sentence B (further columns ignored;\n"
    "  blank lines skipped). Writes DIR/stats.json, DIR/heads.csv, DIR/per_text.csv.\n";

struct Args {
  std::string model, pairs, out;
  long max_tokens = 0, threads = 1;
  bool help = false;
};

struct Text {
  int line = 0;  // 1-based line in PAIRS.tsv
  std::string a, b;
  bool has_b = false;
};

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hl-analyze: %s\n", message.c_str());
  return 1;
}

bool ParseCount(const char* s, long min, long* out) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (errno || end == s || *end || v < min) return false;
  *out = v;
  return true;
}

// Parses the command line; false (after printing why) when it is unusable.
bool ParseArgs(Args* args, int argc, char** argv) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--out" && has_value) {
      args->out = argv[++i];
    } else if (a == "--max-tokens" && has_value) {
      if (!ParseCount(argv[++i], 0, &args->max_tokens)) {
        std::fprintf(stderr, "hl-analyze: --max-tokens wants a number ≥ 0 (0 = the model's maximum)\n");
        return false;
      }
    } else if (a == "--threads" && has_value) {
      if (!ParseCount(argv[++i], 1, &args->threads)) {
        std::fprintf(stderr, "hl-analyze: --threads wants a number ≥ 1\n");
        return false;
      }
    } else if (a == "-h" || a == "--help") {
      args->help = true;
      return false;
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "hl-analyze: unknown option %s (or it lacks its value)\n", a.c_str());
      return false;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2 || args->out.empty()) {
    std::fprintf(stderr, "hl-analyze: need MODEL.hlm, PAIRS.tsv and --out DIR\n");
    return false;
  }
  args->model = positional[0];
  args->pairs = positional[1];
  return true;
}

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\f\v") == std::string::npos; }

// One Text per non-blank line: column 1 = A, column 2 (if any) = B.
std::vector<Text> ParseTsv(const std::string& contents, int* blank_lines) {
  std::vector<Text> texts;
  *blank_lines = 0;
  size_t pos = 0;
  int line = 0;
  while (pos < contents.size()) {
    size_t end = contents.find('\n', pos);
    if (end == std::string::npos) end = contents.size();
    std::string l = contents.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (Blank(l)) { ++*blank_lines; continue; }
    Text t;
    t.line = line;
    const size_t tab = l.find('\t');
    t.a = l.substr(0, tab);
    if (tab != std::string::npos) {
      const size_t tab2 = l.find('\t', tab + 1);
      t.b = l.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1);
      t.has_b = true;
    }
    texts.push_back(std::move(t));
  }
  return texts;
}

// A CSV number: %.9g, or empty for NaN.
std::string Num(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

const char* kCsvStats =
    "next,previous,self,cls,sep,punct,delimiter,entropy,cls_entropy,identical,identical_count,other_sentence,"
    "other_sentence_count,subword,subword_count";

std::string CsvStats(const hl::HeadStats& s) {
  return Num(s.next) + "," + Num(s.previous) + "," + Num(s.self) + "," + Num(s.cls) + "," + Num(s.sep) + "," +
         Num(s.punct) + "," + Num(s.delimiter) + "," + Num(s.entropy) + "," + Num(s.cls_entropy) + "," +
         Num(s.identical) + "," + std::to_string(s.identical_count) + "," + Num(s.other_sentence) + "," +
         std::to_string(s.other_sentence_count) + "," + Num(s.subword) + "," + std::to_string(s.subword_count);
}

std::string CsvLabels(const hl::HeadStats& s, const hl::TokenConventions& conventions) {
  std::vector<std::string> labels;
  std::string dominant, joined;
  hl::HeadLabels(&labels, &dominant, s, conventions);
  for (const std::string& l : labels) joined += (joined.empty() ? "" : ";") + l;
  return joined + "," + dominant;
}

hl::Status WriteText(const std::string& path, const std::string& text) { return hl::WriteFile(path, text.data(), text.size()); }

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(&args, argc, argv)) {
    std::fputs(kUsage, args.help ? stdout : stderr);
    return args.help ? 0 : 2;
  }
  const auto t_start = std::chrono::steady_clock::now();

  // Inputs: the texts first (cheap to check), then the model.
  if (!hl::FileExists(args.pairs)) return Fail("cannot open " + args.pairs + " (no such file?)");
  std::string contents;
  hl::Status s = hl::ReadFileString(args.pairs, &contents);
  if (!s.ok()) return Fail(s.message());
  int blank_lines = 0;
  const std::vector<Text> texts = ParseTsv(contents, &blank_lines);
  if (texts.empty()) return Fail(args.pairs + " has no texts (the file is empty or blank): want one text per line, A[TAB B]");
  if (!hl::FileExists(args.model)) return Fail("cannot open model " + args.model + " (no such file?)");
  hl::AlignedBuffer file;
  s = hl::ReadFileAligned(args.model, &file);
  if (!s.ok()) return Fail(s.message());
  std::unique_ptr<hl::BertModel> model;
  hl::LoadOptions lo;
  lo.num_threads = static_cast<int32_t>(args.threads);
  s = hl::BertModel::Load(std::move(file), lo, &model);
  if (!s.ok()) return Fail(args.model + " is not a usable Headlight model: " + s.message());

  const hl::BertConfig& c = model->config();
  const size_t L = static_cast<size_t>(c.num_layers), A = static_cast<size_t>(c.num_heads), H = L * A;
  const hl::TokenizerOptions& topt = model->tokenizer().options();
  const hl::TokenConventions conventions{topt.cls_token, topt.sep_token, topt.kind == hl::TokenizerKind::kByteLevelBpe};
  hl::RunOptions ro;
  ro.top_k = 1;
  ro.max_tokens = static_cast<size_t>(args.max_tokens);

  hl::HeadMap map(L, A);
  double run_s = 0, analysis_s = 0;
  int64_t tokens_total = 0;
  int truncated = 0;
  size_t max_n = 0;
  nlohmann::json text_json = nlohmann::json::array();
  std::string per_text_csv = std::string("text,line,layer,head,n,") + kCsvStats + ",labels,dominant\n";
  for (size_t k = 0; k < texts.size(); ++k) {
    const Text& t = texts[k];
    hl::RunResult r;
    auto t0 = std::chrono::steady_clock::now();
    s = model->Run(t.a, t.b, t.has_b, ro, &r);
    run_s += Seconds(t0);
    if (!s.ok()) return Fail(args.pairs + " line " + std::to_string(t.line) + ": " + s.message());
    const size_t n = static_cast<size_t>(r.n);
    std::vector<std::string> token_texts;
    std::vector<int32_t> segments;
    nlohmann::json tokens_json = nlohmann::json::array();
    for (const hl::Token& tok : r.encoding.tokens) {
      token_texts.push_back(tok.text);
      segments.push_back(tok.segment);
      tokens_json.push_back({{"text", tok.text}, {"segment", tok.segment}});
    }
    t0 = std::chrono::steady_clock::now();
    hl::TokenClasses classes;
    hl::ClassifyTokens(&classes, token_texts, segments, conventions);
    for (size_t i = 0; i < n; ++i) tokens_json[i]["word"] = classes.word[i];
    std::vector<hl::HeadStats> stats;  // [H] this text
    map.Add(r.attention.data(), classes, n, &stats);
    analysis_s += Seconds(t0);

    tokens_total += static_cast<int64_t>(n);
    max_n = std::max(max_n, n);
    const bool cut = r.encoding.a_dropped || r.encoding.b_dropped;
    truncated += cut;
    text_json.push_back({{"index", k},
                         {"line", t.line},
                         {"a", t.a},
                         {"b", t.has_b ? nlohmann::json(t.b) : nlohmann::json(nullptr)},
                         {"n", n},
                         {"truncation", {{"a_dropped", r.encoding.a_dropped}, {"b_dropped", r.encoding.b_dropped}}},
                         {"tokens", tokens_json},
                         {"stats", hl::StatsJson(stats, r.n, std::log(static_cast<double>(n)), L, A, conventions)}});
    for (size_t h = 0; h < H; ++h)
      per_text_csv += std::to_string(k) + "," + std::to_string(t.line) + "," + std::to_string(h / A) + "," +
                      std::to_string(h % A) + "," + std::to_string(n) + "," + CsvStats(stats[h]) + "," +
                      CsvLabels(stats[h], conventions) + "\n";
  }

  // The head map: token-weighted statistics over all texts, and the heads placed by MDS.
  auto t0 = std::chrono::steady_clock::now();
  hl::MdsResult mds;
  s = map.Place(&mds);
  if (!s.ok()) return Fail(s.message());
  const double mds_s = Seconds(t0);
  const std::vector<hl::HeadStats> aggregate = map.Aggregate();
  std::string heads_csv = std::string("layer,head,") + kCsvStats + ",x,y,labels,dominant\n";
  for (size_t h = 0; h < H; ++h)
    heads_csv += std::to_string(h / A) + "," + std::to_string(h % A) + "," + CsvStats(aggregate[h]) + "," +
                 Num(mds.points[2 * h]) + "," + Num(mds.points[2 * h + 1]) + "," + CsvLabels(aggregate[h], conventions) + "\n";
  const nlohmann::json out{{"model", args.model},
                           {"pairs", args.pairs},
                           {"layers", L},
                           {"heads_per_layer", A},
                           {"max_tokens", args.max_tokens},
                           {"texts", text_json},
                           {"head_map", map.Json(mds, conventions)},
                           {"seconds", {{"run", run_s}, {"analysis", analysis_s}, {"mds", mds_s}}}};

  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  if (ec) return Fail("cannot create " + args.out + ": " + ec.message());
  const std::string dir = args.out + "/";
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"stats.json", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"},
        {"heads.csv", heads_csv},
        {"per_text.csv", per_text_csv}}) {
    s = WriteText(dir + name, text);
    if (!s.ok()) return Fail(s.message());
  }
  const std::string skipped = blank_lines ? ", " + std::to_string(blank_lines) + " blank lines skipped" : "";
  std::printf(
      "hl-analyze: %zu texts (%lld tokens, longest %zu, %d truncated%s) x %zu heads (%zu layers x %zu); run %.2f s, "
      "statistics and distances %.2f s, MDS %.2f s (stress %.4f); total %.2f s -> %sstats.json, heads.csv, "
      "per_text.csv\n",
      texts.size(), static_cast<long long>(tokens_total), max_n, truncated, skipped.c_str(), H, L, A, run_s,
      analysis_s, mds_s, mds.stress, Seconds(t_start), dir.c_str());
  return 0;
}
