// hl-analyze --syntax: each sentence of a treebank run alone, its tokens aligned to the words, into Clark et al.'s table.
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/syntax.h"
#include "cli.h"

namespace hlcli {

int AnalyzeSyntax(const Args& args, const std::vector<hl::TreebankSentence>& sentences, hl::BertModel* model,
                  std::chrono::steady_clock::time_point t_start) {
  const hl::BertConfig& c = model->config();
  hl::SyntaxTable table(static_cast<size_t>(c.num_layers), static_cast<size_t>(c.num_heads));
  hl::RunOptions ro;
  ro.top_k = 1;
  ro.max_tokens = static_cast<size_t>(args.max_tokens);
  double run_s = 0, analysis_s = 0;
  int truncated = 0;
  for (size_t k = 0; k < sentences.size(); ++k) {
    const hl::TreebankSentence& sentence = sentences[k];
    hl::RunResult r;
    auto t0 = std::chrono::steady_clock::now();
    const hl::Status s = model->Run(sentence.text, "", false, ro, &r);
    run_s += Seconds(t0);
    if (!s.ok()) return Fail("sentence " + sentence.id + ": " + s.message());
    t0 = std::chrono::steady_clock::now();
    std::vector<int32_t> token_word;  // [n]
    hl::AlignTokensToWords(&token_word, r.encoding.tokens, sentence.words);
    table.Add(r.attention.data(), static_cast<size_t>(r.n), token_word, sentence);
    analysis_s += Seconds(t0);
    truncated += r.encoding.a_dropped > 0;
    if ((k + 1) % 500 == 0) std::fprintf(stderr, "hl-analyze: %zu of %zu sentences\n", k + 1, sentences.size());
  }
  nlohmann::json out = table.Json();
  out["model"] = args.model;
  out["treebank"] = args.treebank;
  out["truncated_sentences"] = truncated;
  out["seconds"] = {{"run", run_s}, {"analysis", analysis_s}};
  hl::Status s = MakeDir(args.out);
  if (!s.ok()) return Fail(s.message());
  const std::string dir = args.out + "/";
  s = WriteText(dir + "syntax.json", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (s.ok()) s = WriteText(dir + "syntax.csv", hl::SyntaxTable::Csv(out));
  if (!s.ok()) return Fail(s.message());
  const nlohmann::json& all = out["relations"][0];
  std::printf(
      "hl-analyze: %zu sentences (%lld words, %lld arcs, %d truncated) x %zu heads; all relations: best head %d-%d "
      "%.1f%% dependent->head (baseline %.1f%%); run %.2f s, analysis %.2f s; total %.2f s -> %ssyntax.json, syntax.csv\n",
      sentences.size(), static_cast<long long>(out["words"].get<int64_t>()), static_cast<long long>(out["arcs"].get<int64_t>()),
      truncated, table.layers() * table.heads_per_layer(), all["dependent_to_head"]["best"]["layer"].get<int>(),
      all["dependent_to_head"]["best"]["head"].get<int>(), 100 * all["dependent_to_head"]["best"]["accuracy"].get<double>(),
      100 * all["dependent_to_head"]["baseline"]["accuracy"].get<double>(), run_s, analysis_s, Seconds(t_start), dir.c_str());
  return 0;
}

}  // namespace hlcli
