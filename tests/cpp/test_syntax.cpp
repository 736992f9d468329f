// CoNLL-U parsing, token-to-word alignment and Clark et al.'s syntactic-head table (analysis/treebank.h, syntax.h) on
// hand-built sentences and attention whose answers are worked out by hand.
#include <string>
#include <vector>

#include "analysis/syntax.h"
#include "analysis/treebank.h"
#include "test_util.h"

namespace {

// Two sentences: a multiword token ("don't" = do + n't), SpaceAfter=No, an empty node, CRLF line ends, no final blank.
const char* kConllu =
    "# sent_id = s1\n"
    "# text = I don't know.\n"
    "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_\n"
    "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\n"
    "4.1\tknown\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n"
    "\n"
    "1\tthe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\r\n"
    "2\tcat\tcat\tNOUN\tNN\t_\t3\tnsubj\t_\t_\r\n"
    "3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t_\t_\r\n";

hl::Status Parse(const std::string& text, std::vector<hl::TreebankSentence>* out) { return hl::ParseConllu(text, out); }

}  // namespace

TEST_CASE("CoNLL-U: text from forms and SpaceAfter, spans, heads, relations", "[analysis]") {
  std::vector<hl::TreebankSentence> tb;
  const hl::Status s = Parse(kConllu, &tb);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(tb.size() == 2);
  CHECK(tb[0].id == "s1");
  CHECK(tb[0].text == "I don't know.");
  REQUIRE(tb[0].words.size() == 5);
  CHECK(tb[0].words[2].form == "n't");
  CHECK(tb[0].text.substr(tb[0].words[2].begin, tb[0].words[2].end - tb[0].words[2].begin) == "n't");
  CHECK(tb[0].words[4].begin == 12);
  CHECK(tb[0].words[3].head == 0);
  CHECK(tb[0].words[1].deprel == "aux");
  CHECK(tb[0].words[1].upos == "AUX");
  CHECK(tb[1].id == "line 11");  // its first line
  CHECK(tb[1].text == "the cat sat");
  CHECK(tb[1].words[0].head == 2);
}

TEST_CASE("CoNLL-U: malformed files are refused with the line and the reason", "[analysis]") {
  std::vector<hl::TreebankSentence> tb;
  auto message = [&](const std::string& text) {
    const hl::Status s = Parse(text, &tb);
    REQUIRE(!s.ok());
    return s.message();
  };
  CHECK(message("") == "the treebank has no sentences (want CoNLL-U: word lines of 10 TAB-separated fields)");
  CHECK(message("# only a comment\n\n").find("no sentences") != std::string::npos);
  CHECK(message("1\tthe\tthe\tDET\n") == "treebank line 1: 4 TAB-separated fields, not CoNLL-U's 10");
  CHECK(message("2\tthe\tthe\tDET\tDT\t_\t0\troot\t_\t_\n").find("line 1: word ID \"2\" where 1 was due") != std::string::npos);
  CHECK(message("1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2\tb\tb\tX\tX\t_\t7\tdep\t_\t_\n").find("has head 7, past its 2 words") !=
        std::string::npos);
  CHECK(message("1\ta\ta\tX\tX\t_\t1\troot\t_\t_\n").find("is its own head") != std::string::npos);
  CHECK(message("1\ta\ta\tX\tX\t_\tx\troot\t_\t_\n") == "treebank line 1: HEAD is not a word index");
  CHECK(message("1\ta\ta\tX\tX\t_\t0\t_\t_\t_\n") == "treebank line 1: no DEPREL");
  CHECK(message("\n\n1-0\ta\t_\t_\t_\t_\t_\t_\t_\t_\n").find("line 3: multiword token range") != std::string::npos);
  CHECK(message("1\t" + std::string(hl::kMaxConlluLine, 'x') + "\n").find("longer than") != std::string::npos);
}

TEST_CASE("alignment: each token to the word its span overlaps most; specials to none", "[analysis]") {
  std::vector<hl::TreebankSentence> tb;
  REQUIRE(Parse(kConllu, &tb).ok());
  // "I don't know." as BERT splits it: [CLS] i don ' t know . [SEP]
  const std::vector<int32_t> begin = {-1, 0, 2, 5, 6, 8, 12, -1}, end = {-1, 1, 5, 6, 7, 12, 13, -1};
  std::vector<int32_t> word;
  hl::AlignTokensToWords(&word, begin.data(), end.data(), begin.size(), tb[0].words);
  // "don" overlaps "do" by 2 bytes and "n't" by 1: it goes to "do"; "'" and "t" to "n't".
  CHECK(word == std::vector<int32_t>{-1, 0, 1, 2, 2, 3, 4, -1});
  // A byte-level token with its leading space (" know") still goes to its word.
  const std::vector<int32_t> b2 = {7}, e2 = {12};
  hl::AlignTokensToWords(&word, b2.data(), e2.data(), 1, tb[0].words);
  CHECK(word == std::vector<int32_t>{3});
}

TEST_CASE("word-level attention: to a word summed over its pieces, from a word averaged (Clark et al.)", "[analysis]") {
  // [CLS] a b1 b2 [SEP]: words a (0), b (1 = b1 + b2).
  const std::vector<int32_t> tw = {-1, 0, 1, 1, -1};
  const std::vector<float> att = {
      1, 0, 0, 0, 0,              // [CLS]
      .5f, .1f, .2f, .1f, .1f,    // a
      .2f, .4f, .2f, .2f, 0,      // b1
      0, .6f, .1f, .3f, 0,        // b2
      0, 0, 0, 0, 1};             // [SEP]
  std::vector<double> wa(4);
  hl::WordLevelAttention(wa.data(), att.data(), tw.data(), 5, 2);
  CHECK(wa[0] == Approx(.1).epsilon(1e-6));             // a → a
  CHECK(wa[1] == Approx(.3).epsilon(1e-6));             // a → b: .2 + .1
  CHECK(wa[2] == Approx((.4 + .6) / 2).epsilon(1e-6));  // b → a: mean of b1's .4 and b2's .6
  CHECK(wa[3] == Approx((.4 + .4) / 2).epsilon(1e-6));  // b → b: mean of (.2 + .2) and (.1 + .3)
  std::vector<int32_t> choice(2);
  hl::MostAttendedWords(choice.data(), wa.data(), {true, true}, 2);
  CHECK(choice == std::vector<int32_t>{1, 0});
  hl::MostAttendedWords(choice.data(), wa.data(), {true, false}, 2);  // a word without tokens is neither chosen nor chooses
  CHECK(choice == std::vector<int32_t>{0, -1});
}

TEST_CASE("syntax table: a parser head, a previous-word head, the offset baseline, unaligned words", "[analysis]") {
  std::vector<hl::TreebankSentence> tb;
  REQUIRE(Parse(kConllu, &tb).ok());
  const hl::TreebankSentence& s = tb[1];  // the(→cat, det) cat(→sat, nsubj) sat(root)
  // Tokens [CLS] the cat sat [SEP]; [CLS] takes half of every row and must not count.
  const std::vector<int32_t> tw = {-1, 0, 1, 2, -1};
  auto head_with = [](const std::vector<int>& target) {  // each word's row puts .3 on its target word, .2 spread
    std::vector<float> a(25, 0.f);
    for (int i = 0; i < 5; ++i) a[i * 5 + 0] = .5f;
    for (int w = 0; w < 3; ++w) {
      for (int v = 0; v < 3; ++v) a[(w + 1) * 5 + v + 1] += .2f / 3;
      a[(w + 1) * 5 + target[w] + 1] += .3f;
    }
    return a;
  };
  std::vector<float> attention = head_with({1, 2, 2});    // head 0: dependent → head (the→cat, cat→sat)
  const std::vector<float> prev = head_with({0, 0, 1});   // head 1: the previous word (the first word: itself)
  attention.insert(attention.end(), prev.begin(), prev.end());
  hl::SyntaxTable table(1, 2);
  table.Add(attention.data(), 5, tw, s);
  const nlohmann::json j = table.Json();
  CHECK(j["arcs"] == 2);
  CHECK(j["words"] == 3);
  const auto& all = j["relations"][0];
  CHECK(all["relation"] == "all");
  CHECK(all["dependent_to_head"]["accuracy"] == nlohmann::json{1.0, 0.0});
  CHECK(all["dependent_to_head"]["best"] == nlohmann::json{{"layer", 0}, {"head", 0}, {"accuracy", 1.0}});
  CHECK(all["dependent_to_head"]["baseline"] == nlohmann::json{{"offset", 1}, {"accuracy", 1.0}});
  // head → dependent: cat's dependent is the; head 1 (previous) finds it, head 0 (cat → sat) does not; sat → cat: the
  // previous word of sat is cat: found by head 1.
  CHECK(all["head_to_dependent"]["accuracy"] == nlohmann::json{0.0, 1.0});
  CHECK(all["head_to_dependent"]["baseline"] == nlohmann::json{{"offset", -1}, {"accuracy", 1.0}});
  const auto& det = j["relations"][1]["relation"] == "det" ? j["relations"][1] : j["relations"][2];
  CHECK(det["arcs"] == 1);
  CHECK(det["clark"] == "det");

  // A word without tokens (truncated away) drops its arcs from the counts.
  hl::SyntaxTable cut(1, 2);
  cut.Add(attention.data(), 5, {-1, 0, 1, -1, -1}, s);
  CHECK(cut.Json()["arcs"] == 1);
  CHECK(cut.Json()["skipped_arcs"] == 1);
  CHECK(cut.Json()["unaligned_words"] == 1);
  CHECK(hl::SyntaxTable::Csv(cut.Json()).find("all,,1,dependent_to_head,0,0,1.000000,1,1.000000\n") != std::string::npos);
}

TEST_CASE("Clark's names: SD relations against UD, pobj as the reversed case arc", "[analysis]") {
  bool reversed = true;
  CHECK(hl::ClarkName("obj", &reversed) == "dobj");
  CHECK(!reversed);
  CHECK(hl::ClarkName("nmod:poss", &reversed) == "poss");
  CHECK(hl::ClarkName("case", &reversed) == "pobj");
  CHECK(reversed);
  CHECK(hl::ClarkName("flat", &reversed).empty());
  CHECK(!reversed);
}
