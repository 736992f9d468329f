// hl-analyze over a TSV of texts: per-head statistics, the head map, and with --rollout each text's rollout and flow.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/analysis_json.h"
#include "analysis/head_map.h"
#include "analysis/rollout.h"
#include "common/file_io.h"
#include "cli.h"

namespace hlcli {
namespace {

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\f\v") == std::string::npos; }

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


// {"rollout": R_L [n][n], "flow": F [n][n] or null, "flow_refused": why (when null)} of one text's attention.
nlohmann::json RolloutJson(const float* attention, size_t L, size_t A, size_t n) {
  std::vector<double> rollout, flow;
  hl::AttentionRollout(&rollout, attention, L, A, n);
  auto matrix = [n](const double* m) {
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < n; ++i) rows.push_back(std::vector<double>(m + i * n, m + (i + 1) * n));
    return rows;
  };
  nlohmann::json j{{"rollout", matrix(rollout.data() + (L - 1) * n * n)}};
  const hl::Status s = hl::AttentionFlow(&flow, attention, L, A, n);
  if (s.ok()) j["flow"] = matrix(flow.data());
  else j.update({{"flow", nullptr}, {"flow_refused", s.message()}});
  return j;
}

}  // namespace

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

int AnalyzeTexts(const Args& args, const std::vector<Text>& texts, int blank_lines, hl::BertModel* model,
                 std::chrono::steady_clock::time_point t_start) {
  const hl::BertConfig& c = model->config();
  const size_t L = static_cast<size_t>(c.num_layers), A = static_cast<size_t>(c.num_heads), H = L * A;
  const hl::TokenConventions conventions = model->token_conventions();
  hl::RunOptions ro;
  ro.top_k = 1;
  ro.max_tokens = static_cast<size_t>(args.max_tokens);

  const std::string dir = args.out + "/";
  hl::Status made = MakeDir(args.out);
  if (!made.ok()) return Fail(made.message());
  if (args.attention) {
    hl::Status made = MakeDir(dir + "attention");
    if (!made.ok()) return Fail(made.message());
  }
  hl::HeadMap map(L, A);
  double run_s = 0, analysis_s = 0, rollout_s = 0;
  int64_t tokens_total = 0;
  int truncated = 0;
  size_t max_n = 0;
  nlohmann::json text_json = nlohmann::json::array();
  std::string per_text_csv = std::string("text,line,layer,head,n,") + kCsvStats + ",labels,dominant\n";
  for (size_t k = 0; k < texts.size(); ++k) {
    const Text& t = texts[k];
    hl::RunResult r;
    auto t0 = std::chrono::steady_clock::now();
    hl::Status s = model->Run(t.a, t.b, t.has_b, ro, &r);
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

    nlohmann::json combined;
    if (args.rollout) {
      t0 = std::chrono::steady_clock::now();
      combined = RolloutJson(r.attention.data(), L, A, n);
      rollout_s += Seconds(t0);
    }
    if (args.attention) {
      s = hl::WriteFile(dir + "attention/text-" + std::to_string(k) + ".f32", r.attention.data(), r.attention.size() * 4);
      if (!s.ok()) return Fail(s.message());
    }
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
    if (args.rollout) text_json.back().update(combined);
    for (size_t h = 0; h < H; ++h)
      per_text_csv += std::to_string(k) + "," + std::to_string(t.line) + "," + std::to_string(h / A) + "," +
                      std::to_string(h % A) + "," + std::to_string(n) + "," + CsvStats(stats[h]) + "," +
                      CsvLabels(stats[h], conventions) + "\n";
  }

  // The head map: token-weighted statistics over all texts, and the heads placed by MDS.
  auto t0 = std::chrono::steady_clock::now();
  hl::MdsResult mds;
  hl::Status s = map.Place(&mds);
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
                           {"seconds", {{"run", run_s}, {"analysis", analysis_s}, {"mds", mds_s}, {"rollout", rollout_s}}}};

  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"stats.json", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"},
        {"heads.csv", heads_csv},
        {"per_text.csv", per_text_csv}}) {
    s = WriteText(dir + name, text);
    if (!s.ok()) return Fail(s.message());
  }
  const std::string skipped = blank_lines ? ", " + std::to_string(blank_lines) + " blank lines skipped" : "";
  const std::string rollout = args.rollout ? ", rollout and flow " + Num(rollout_s) + " s" : "";
  std::printf(
      "hl-analyze: %zu texts (%lld tokens, longest %zu, %d truncated%s) x %zu heads (%zu layers x %zu); run %.2f s, "
      "statistics and distances %.2f s, MDS %.2f s (stress %.4f)%s; total %.2f s -> %sstats.json, heads.csv, "
      "per_text.csv\n",
      texts.size(), static_cast<long long>(tokens_total), max_n, truncated, skipped.c_str(), H, L, A, run_s,
      analysis_s, mds_s, mds.stress, rollout.c_str(), Seconds(t_start), dir.c_str());
  return 0;
}

}  // namespace hlcli
