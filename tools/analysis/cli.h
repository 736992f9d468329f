// hl-analyze's parts: the command line, the model it loads, and its two analyses (texts of a TSV; a treebank's syntax).
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "analysis/head_stats.h"
#include "analysis/treebank.h"
#include "common/status.h"
#include "model/bert.h"

namespace hlcli {

struct Args {
  std::string model, pairs, out, treebank;
  long max_tokens = 0, threads = 1, sentences = 0;  // sentences 0: the whole treebank
  bool syntax = false, rollout = false, attention = false, help = false;
};

double Seconds(std::chrono::steady_clock::time_point t0);
int Fail(const std::string& message);  // prints "hl-analyze: message", returns 1
std::string Num(double v);             // a CSV number: %.9g, or empty for NaN
hl::Status WriteText(const std::string& path, const std::string& text);
hl::Status MakeDir(const std::string& dir);

struct Text {
  int line = 0;  // 1-based line in PAIRS.tsv
  std::string a, b;
  bool has_b = false;
};

// PAIRS.tsv's texts (one per non-blank line: A, optionally TAB B; further columns ignored).
std::vector<Text> ParseTsv(const std::string& contents, int* blank_lines);

// Per-head statistics and the head map of the texts (with --rollout: rollout and flow; --attention: the raw attention).
// Writes DIR/stats.json, heads.csv, per_text.csv.
int AnalyzeTexts(const Args& args, const std::vector<Text>& texts, int blank_lines, hl::BertModel* model,
                 std::chrono::steady_clock::time_point t_start);

// Clark et al.'s syntactic heads over the treebank's sentences. Writes DIR/syntax.json and DIR/syntax.csv.
int AnalyzeSyntax(const Args& args, const std::vector<hl::TreebankSentence>& sentences, hl::BertModel* model,
                  std::chrono::steady_clock::time_point t_start);

}  // namespace hlcli
