// Tokenizer tests: transformers.js conformance fixtures (ids, token types, spans) and unit tests.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/tokenizer.h"

#ifndef HL_SOURCE_DIR
#error "HL_SOURCE_DIR (the repository root) must be defined"
#endif

namespace {

using nlohmann::json;

const std::string kFixtureDir = std::string(HL_SOURCE_DIR) + "/tests/fixtures/tokenizer/";
const std::string kReferenceDir = std::string(HL_SOURCE_DIR) + "/tests/fixtures/reference/";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::unique_ptr<hl::Tokenizer> MakeTokenizer(const std::string& vocab_rel, const hl::TokenizerOptions& options) {
  std::string contents;
  REQUIRE(ReadFile(kReferenceDir + vocab_rel, &contents));
  std::vector<std::string> vocab;
  const hl::Status rs = hl::ReadVocabTxt(contents, &vocab);
  REQUIRE(rs.ok());
  std::unique_ptr<hl::Tokenizer> tok;
  const hl::Status cs = hl::Tokenizer::Create(std::move(vocab), options, &tok);
  INFO(cs.message());
  REQUIRE(cs.ok());
  return tok;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out.size() > 300 ? out.substr(0, 300) + "..." : out;
}

// Up to 24 ids of v starting a few before index `from`.
std::string Ids(const std::vector<int32_t>& v, size_t from) {
  const size_t start = from > 4 ? from - 4 : 0;
  std::string s = "@" + std::to_string(start) + ":";
  for (size_t i = start; i < v.size() && i < start + 24; ++i) s += " " + std::to_string(v[i]);
  if (v.size() > start + 24) s += " ...";
  return s;
}

size_t FirstDifference(const std::vector<int32_t>& x, const std::vector<int32_t>& y) {
  size_t i = 0;
  while (i < x.size() && i < y.size() && x[i] == y[i]) ++i;
  return i;
}

bool IsJsSpaceAscii(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string TrimSpaces(std::string s) {
  // Normalized text only contains U+0020 as whitespace after clean_text (CJK padding included).
  while (!s.empty() && IsJsSpaceAscii(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && IsJsSpaceAscii(s[i])) ++i;
  return s.substr(i);
}

// Replaces final sigma (U+03C2) by sigma (U+03C3): Final_Sigma depends on context outside a span.
std::string FoldSigma(std::string s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xCF && static_cast<unsigned char>(s[i + 1]) == 0x82) s[i + 1] = '\x83';
  }
  return s;
}

// Checks the spans of one segment's tokens (those with begin >= 0) against its text. Returns an
// empty string on success, else a description of the first problem.
std::string CheckSpans(const hl::Tokenizer& tok, const std::string& text, const std::vector<hl::Token>& tokens) {
  const hl::TokenizerOptions& o = tok.options();
  hl::tokenizer_internal::NormalizerConfig ncfg;
  ncfg.clean_text = o.clean_text;
  ncfg.handle_chinese_chars = o.handle_chinese_chars;
  ncfg.lowercase = o.lowercase;
  ncfg.strip_accents = o.strip_accents < 0 ? o.lowercase : o.strip_accents == 1;
  const std::string& prefix = o.continuing_subword_prefix;

  int32_t last_begin = 0;
  size_t i = 0;
  while (i < tokens.size()) {
    const hl::Token& t = tokens[i];
    if (t.begin < 0) {
      if (t.end != -1) return "inserted token with begin -1 but end != -1";
      ++i;
      continue;
    }
    if (t.begin > t.end || t.end > static_cast<int32_t>(text.size())) return "span out of bounds";
    if (t.begin < last_begin) return "spans not non-decreasing at token " + std::to_string(i);
    last_begin = t.begin;
    // Group consecutive tokens whose spans overlap (one source character -> several pieces).
    size_t j = i + 1;
    int32_t group_end = t.end;
    while (j < tokens.size() && tokens[j].begin >= 0 && tokens[j].begin < group_end) {
      group_end = std::max(group_end, tokens[j].end);
      ++j;
    }
    const std::string raw = text.substr(t.begin, group_end - t.begin);
    const std::string norm = TrimSpaces(hl::tokenizer_internal::NormalizeForTest(ncfg, raw));
    const bool special = t.id == tok.cls_id() || t.id == tok.sep_id() || t.id == tok.pad_id() ||
                         t.id == tok.mask_id() || (t.id == tok.unk_id() && raw == t.text);
    if (j == i + 1 && special && (raw == t.text || norm == t.text)) {
      // A special token typed in the text (or a section normalizing to exactly one).
    } else if (j == i + 1 && t.id == tok.unk_id()) {
      // [UNK]: one whole pre-tokenized word.
      if (norm.empty()) return "[UNK] over text that normalizes to nothing";
      if (norm.find(' ') != std::string::npos) return "[UNK] spans several words: " + Escape(norm);
    } else {
      std::string expect;
      for (size_t k = i; k < j; ++k) {
        if (tokens[k].id == tok.unk_id()) return "[UNK] shares its span with another piece";
        const std::string& p = tokens[k].text;
        expect += (p.compare(0, prefix.size(), prefix) == 0 && !prefix.empty()) ? p.substr(prefix.size()) : p;
      }
      if (FoldSigma(norm) != FoldSigma(expect)) {
        return "span text \"" + Escape(raw) + "\" normalizes to \"" + Escape(norm) + "\", pieces give \"" +
               Escape(expect) + "\"";
      }
    }
    i = j;
  }
  return std::string();
}

struct ConformanceResult {
  size_t cases = 0, passed = 0, span_failures = 0;
};

// One case of a generated tokenizer fixture: text A (and B), the truncation length if any, the expected ids and types.
struct FixtureCase {
  std::string a, b;
  bool has_b = false, truncated = false;
  size_t max_tokens = 0;
  std::vector<int32_t> ids, type_ids;
};

FixtureCase ReadCase(const json& c) {
  FixtureCase f;
  f.a = c.at("a").get<std::string>();
  f.has_b = c.contains("b");
  if (f.has_b) f.b = c.at("b").get<std::string>();
  f.truncated = c.contains("max_length");
  f.max_tokens = f.truncated ? c.at("max_length").get<size_t>() : std::numeric_limits<int32_t>::max();
  f.ids = c.at("ids").get<std::vector<int32_t>>();
  f.type_ids = c.at("type_ids").get<std::vector<int32_t>>();
  return f;
}

ConformanceResult RunFixture(const std::string& name) {
  std::string contents;
  REQUIRE(ReadFile(kFixtureDir + name + ".json", &contents));
  const json doc = json::parse(contents);
  const json& opt = doc.at("options");
  hl::TokenizerOptions options;
  options.lowercase = opt.at("lowercase").get<bool>();
  options.strip_accents = opt.at("strip_accents").is_null() ? -1 : (opt.at("strip_accents").get<bool>() ? 1 : 0);
  options.handle_chinese_chars = opt.at("handle_chinese_chars").get<bool>();
  options.clean_text = opt.at("clean_text").get<bool>();
  auto tok = MakeTokenizer(doc.at("vocab").get<std::string>(), options);

  ConformanceResult r;
  int reported = 0;
  for (const json& c : doc.at("cases")) {
    ++r.cases;
    const FixtureCase fc = ReadCase(c);
    const std::string& a = fc.a;
    const bool has_b = fc.has_b, truncated = fc.truncated;
    const std::string& b = fc.b;
    const size_t max_tokens = fc.max_tokens;
    const std::vector<int32_t>& want_ids = fc.ids;
    const std::vector<int32_t>& want_types = fc.type_ids;

    hl::Encoding enc;
    const hl::Status s = tok->Encode(a, b, has_b, max_tokens, &enc);
    std::vector<int32_t> ids, types;
    for (const hl::Token& t : enc.tokens) {
      ids.push_back(t.id);
      types.push_back(t.segment);
    }
    bool ok = s.ok() && ids == want_ids && types == want_types;
    if (ok && truncated) {
      ok = enc.a_pieces == c.at("a_pieces").get<int32_t>() && enc.b_pieces == c.at("b_pieces").get<int32_t>() &&
           enc.a_dropped == c.at("a_dropped").get<int32_t>() && enc.b_dropped == c.at("b_dropped").get<int32_t>();
    }
    if (ok && !truncated && (enc.a_dropped != 0 || enc.b_dropped != 0)) ok = false;
    for (const hl::Token& t : enc.tokens) {
      if (ok && t.text != tok->IdToToken(t.id)) ok = false;
    }
    if (ok) {
      ++r.passed;
    } else if (reported++ < 10) {
      std::printf("%s mismatch [%s] a=\"%s\"%s\n  want %s\n  got  %s\n  status %s\n", name.c_str(),
                  c.at("kind").get<std::string>().c_str(), Escape(a).c_str(),
                  has_b ? (" b=\"" + Escape(b) + "\"").c_str() : "", Ids(want_ids, FirstDifference(want_ids, ids)).c_str(),
                  Ids(ids, FirstDifference(want_ids, ids)).c_str(),
                  s.message().c_str());
    }
    // Spans: per segment.
    std::vector<hl::Token> seg_a, seg_b;
    for (const hl::Token& t : enc.tokens) (t.segment == 0 ? seg_a : seg_b).push_back(t);
    std::string err = CheckSpans(*tok, a, seg_a);
    if (err.empty() && has_b) err = CheckSpans(*tok, b, seg_b);
    if (!err.empty()) {
      ++r.span_failures;
      if (reported++ < 10) {
        std::printf("%s span check failed for a=\"%s\": %s\n", name.c_str(), Escape(a).c_str(), err.c_str());
      }
    }
  }
  std::printf("tokenizer conformance %-18s %zu/%zu cases identical, %zu span failures\n", name.c_str(), r.passed,
              r.cases, r.span_failures);
  return r;
}

std::unique_ptr<hl::Tokenizer> Uncased() { return MakeTokenizer("bert-base-uncased/vocab.txt", hl::TokenizerOptions()); }

std::vector<int32_t> PieceIds(const hl::Tokenizer& tok, std::string_view text) {
  std::vector<hl::Token> t;
  REQUIRE(tok.Tokenize(text, &t).ok());
  std::vector<int32_t> ids;
  for (const auto& x : t) ids.push_back(x.id);
  return ids;
}

}  // namespace

TEST_CASE("tokenizer conformance with transformers.js", "[tokenizer]") {
  for (const char* name : {"bert-base-uncased", "bert-base-cased", "all-MiniLM-L6-v2"}) {
    SECTION(name) {
      const ConformanceResult r = RunFixture(name);
      CHECK(r.cases >= 500);
      CHECK(r.passed == r.cases);
      CHECK(r.span_failures == 0);
    }
  }
}

TEST_CASE("tokenizer: empty text", "[tokenizer]") {
  auto tok = Uncased();
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize("", &t).ok());
  CHECK(t.empty());
  hl::Encoding e;
  REQUIRE(tok->Encode("", "", false, 512, &e).ok());
  REQUIRE(e.tokens.size() == 2);
  CHECK(e.tokens[0].id == tok->cls_id());
  CHECK(e.tokens[1].id == tok->sep_id());
  CHECK(e.tokens[0].begin == -1);
  CHECK(e.tokens[1].end == -1);
  CHECK(e.a_pieces == 0);
  // An empty B is no B (transformers.js `text_pair || null`).
  REQUIRE(tok->Encode("hello", "", true, 512, &e).ok());
  CHECK(e.tokens.size() == 3);
  CHECK(e.tokens.back().segment == 0);
  // A whitespace-only B is a (zero-piece) B.
  REQUIRE(tok->Encode("hello", " ", true, 512, &e).ok());
  REQUIRE(e.tokens.size() == 4);
  CHECK(e.tokens.back().segment == 1);
}

TEST_CASE("tokenizer: invalid UTF-8 never crashes", "[tokenizer]") {
  auto tok = Uncased();
  // Each invalid byte reads as U+FFFD, which text cleaning removes.
  CHECK(PieceIds(*tok, "ab\xff\xfe" "cd") == PieceIds(*tok, "abcd"));
  CHECK(PieceIds(*tok, "\xc3") == std::vector<int32_t>{});
  CHECK(PieceIds(*tok, "caf\xc3\xa9 \xe2\x82 x") == PieceIds(*tok, "cafe x"));
  CHECK(PieceIds(*tok, "\xed\xa0\x80x") == PieceIds(*tok, "x"));          // encoded surrogate
  CHECK(PieceIds(*tok, "\xc0\xafx") == PieceIds(*tok, "x"));              // overlong '/'
  CHECK(PieceIds(*tok, "\xf4\x90\x80\x80y") == PieceIds(*tok, "y"));      // above U+10FFFF
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize(std::string("a\0b", 3), &t).ok());
  CHECK(t.size() == 1);

  std::mt19937 gen(12345);
  std::uniform_int_distribution<int> len(0, 64), byte(0, 255), pick(0, 3);
  const char* frags[] = {"[MASK]", "\xce\xa3", "\xe4\xb8\xad", "\xf0\x9f\x98\x80"};
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    const int l = len(gen);
    for (int i = 0; i < l; ++i) {
      if (pick(gen) == 0) s += frags[pick(gen)];
      else s.push_back(static_cast<char>(byte(gen)));
    }
    hl::Encoding e;
    REQUIRE(tok->Encode(s, s, true, 64, &e).ok());
    for (const hl::Token& x : e.tokens) {
      REQUIRE(x.id >= 0);
      REQUIRE(static_cast<size_t>(x.id) < tok->vocab_size());
      if (x.begin >= 0) {
        REQUIRE(x.begin <= x.end);
        REQUIRE(static_cast<size_t>(x.end) <= s.size());
      }
    }
  }
}

TEST_CASE("tokenizer: very long words", "[tokenizer]") {
  auto tok = Uncased();
  std::vector<hl::Token> t;
  const std::string word(10000, 'a');
  REQUIRE(tok->Tokenize(word, &t).ok());
  REQUIRE(t.size() == 1);
  CHECK(t[0].id == tok->unk_id());
  CHECK(t[0].begin == 0);
  CHECK(t[0].end == 10000);
  // 100 code points is still a word, 101 is not (code points, not bytes or UTF-16 units).
  std::string e100, e101;
  for (int i = 0; i < 100; ++i) e100 += "\xc3\xa9";
  e101 = e100 + "\xc3\xa9";
  REQUIRE(tok->Tokenize(e100, &t).ok());
  CHECK(t.size() > 1);
  REQUIRE(tok->Tokenize(e101, &t).ok());
  CHECK(t.size() == 1);
  CHECK(t[0].id == tok->unk_id());
  CHECK(t[0].end == 202);
}

// The time is printed, not asserted (figures belong in benchmarks; CI machines differ).
TEST_CASE("tokenizer: 1 MB of text gives its paragraph's pieces, repeated", "[tokenizer]") {
  auto tok = Uncased();
  const std::string para =
      "At the store, I bought fresh strawberries. The quick brown fox jumps over the lazy dog; "
      "Tokenization of naïve café résumés costs 3.14 dollars (approx.) — see https://example.com/x?y=1. "
      "ΟΔΟΣ, Москва, 中文, 한국어 and 😀 are all here [MASK] too!\n";
  std::string text;
  while (text.size() < (1u << 20)) text += para;
  std::vector<hl::Token> t;
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(tok->Tokenize(text, &t).ok());
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("tokenizer: %zu bytes -> %zu pieces in %.3f s (%.2f M pieces/s, %.1f MB/s)\n", text.size(), t.size(),
              sec, t.size() / sec / 1e6, text.size() / sec / 1e6);
  CHECK(t.size() > 200000);
  // Same pieces and spans as tokenizing the paragraph alone, repeated (long sections are
  // normalized in chunks internally; this must not show).
  std::vector<hl::Token> p;
  REQUIRE(tok->Tokenize(para, &p).ok());
  REQUIRE(t.size() % p.size() == 0);
  size_t mismatches = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const hl::Token& x = p[i % p.size()];
    const int32_t shift = static_cast<int32_t>((i / p.size()) * para.size());
    if (t[i].id != x.id || t[i].begin != x.begin + shift || t[i].end != x.end + shift) ++mismatches;
  }
  CHECK(mismatches == 0);
  // A section of more than 64 KiB without whitespace, and one where removable characters hide a
  // special token (transformers.js maps the normalized section to it).
  std::string zw;
  for (int i = 0; i < 30000; ++i) zw += "\xe2\x80\x8b";  // U+200B, removed by clean_text
  hl::TokenizerOptions cased;
  cased.lowercase = false;
  auto ctok = MakeTokenizer("bert-base-cased/vocab.txt", cased);
  REQUIRE(ctok->Tokenize(zw + "[MA" + zw + "SK]" + zw, &t).ok());
  REQUIRE(t.size() == 1);
  CHECK(t[0].id == ctok->mask_id());
  CHECK(t[0].end == static_cast<int32_t>(zw.size() * 3 + 6));
  REQUIRE(ctok->Tokenize(zw + "[MA" + zw + " SK]" + zw, &t).ok());
  CHECK(t.size() == 4);
}

TEST_CASE("tokenizer: truncation is longest_first and reported", "[tokenizer]") {
  auto tok = Uncased();
  const std::string a = "one two three four five six seven";               // 7 pieces
  const std::string b = "alpha beta gamma delta epsilon zeta eta theta";   // 8 pieces
  hl::Encoding e;
  REQUIRE(tok->Encode(a, b, true, 512, &e).ok());
  CHECK(e.a_pieces == 7);
  CHECK(e.b_pieces == 8);
  CHECK(e.a_dropped == 0);
  CHECK(e.b_dropped == 0);
  CHECK(e.tokens.size() == 18);
  REQUIRE(tok->Encode(a, b, true, 10, &e).ok());  // budget 7: shorter A gets 3, B 4
  CHECK(e.tokens.size() == 10);
  CHECK(e.a_dropped == 4);
  CHECK(e.b_dropped == 4);
  CHECK(e.tokens[4].id == tok->sep_id());
  CHECK(e.tokens[4].segment == 0);
  CHECK(e.tokens[9].id == tok->sep_id());
  CHECK(e.tokens[9].segment == 1);
  REQUIRE(tok->Encode("one", b, true, 8, &e).ok());  // budget 5: A keeps 1, B gets 4
  CHECK(e.a_dropped == 0);
  CHECK(e.b_dropped == 4);
  REQUIRE(tok->Encode(a, "", false, 4, &e).ok());
  CHECK(e.tokens.size() == 4);
  CHECK(e.a_dropped == 5);
  CHECK(e.tokens.back().id == tok->sep_id());
  CHECK(tok->Encode(a, "", false, 2, &e).code() == hl::Code::kInvalidArgument);
  CHECK(tok->Encode(a, b, true, 4, &e).code() == hl::Code::kInvalidArgument);
  CHECK(tok->Encode(a, b, true, 5, &e).ok());
  CHECK(e.tokens.size() == 5);
}

TEST_CASE("tokenizer: special tokens in text and spans", "[tokenizer]") {
  auto tok = Uncased();
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize("Paris is the [MASK] of France.", &t).ok());
  auto it = std::find_if(t.begin(), t.end(), [&](const hl::Token& x) { return x.id == tok->mask_id(); });
  REQUIRE(it != t.end());
  CHECK(it->begin == 13);
  CHECK(it->end == 19);
  CHECK(it->text == "[MASK]");
  REQUIRE(tok->Tokenize("[mask]", &t).ok());  // case-sensitive
  CHECK(t.size() == 3);
  REQUIRE(tok->Tokenize("strawberries", &t).ok());
  REQUIRE(t.size() == 2);
  CHECK(t[0].text == "straw");
  CHECK(t[1].text == "##berries");
  CHECK(t[0].begin == 0);
  CHECK(t[0].end == 5);
  CHECK(t[1].begin == 5);
  CHECK(t[1].end == 12);
  REQUIRE(tok->Tokenize("  Café", &t).ok());
  REQUIRE(t.size() == 1);
  CHECK(t[0].text == "cafe");
  CHECK(t[0].begin == 2);
  CHECK(t[0].end == 7);
}

TEST_CASE("tokenizer: options", "[tokenizer]") {
  hl::TokenizerOptions cased;
  cased.lowercase = false;
  auto tok = MakeTokenizer("bert-base-cased/vocab.txt", cased);
  CHECK(tok->IdToToken(tok->TokenToId("Hello")) == "Hello");
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize("Café", &t).ok());
  const std::vector<int32_t> kept = PieceIds(*tok, "Café");
  cased.strip_accents = 1;
  auto strip = MakeTokenizer("bert-base-cased/vocab.txt", cased);
  CHECK(PieceIds(*strip, "Café") == PieceIds(*strip, "Cafe"));
  CHECK(kept != PieceIds(*strip, "Café"));
  hl::TokenizerOptions nochinese;
  nochinese.handle_chinese_chars = false;
  auto nc = MakeTokenizer("bert-base-uncased/vocab.txt", nochinese);
  std::vector<hl::Token> w;
  REQUIRE(nc->Tokenize("中文", &w).ok());  // one word: 中 ##文
  REQUIRE(w.size() == 2);
  CHECK(w[1].text == "##文");
  REQUIRE(Uncased()->Tokenize("中文", &w).ok());  // two words
  REQUIRE(w.size() == 2);
  CHECK(w[1].text == "文");
}

TEST_CASE("tokenizer: Create and ReadVocabTxt validation", "[tokenizer]") {
  std::vector<std::string> v;
  CHECK(hl::ReadVocabTxt("", &v).code() == hl::Code::kBadModel);
  REQUIRE(hl::ReadVocabTxt("[PAD]\r\n[UNK]\r\n[CLS]\n[SEP]\n[MASK]\nhello\n\nworld", &v).ok());
  REQUIRE(v.size() == 8);
  CHECK(v[1] == "[UNK]");
  CHECK(v[6].empty());
  CHECK(v[7] == "world");
  REQUIRE(hl::ReadVocabTxt("a\nb\n", &v).ok());
  CHECK(v.size() == 2);
  CHECK(hl::ReadVocabTxt("a\n\xff\n", &v).code() == hl::Code::kBadModel);

  std::unique_ptr<hl::Tokenizer> tok;
  CHECK(hl::Tokenizer::Create({}, hl::TokenizerOptions(), &tok).code() == hl::Code::kBadModel);
  const std::vector<std::string> base = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "##s", "hello"};
  REQUIRE(hl::Tokenizer::Create(base, hl::TokenizerOptions(), &tok).ok());
  CHECK(tok->TokenToId("hello") == 7);  // the later duplicate wins
  CHECK(tok->IdToToken(5) == "hello");
  CHECK(tok->TokenToId("absent") == -1);
  CHECK(tok->IdToToken(-1).empty());
  CHECK(tok->IdToToken(99).empty());
  CHECK(tok->vocab_size() == 8);
  CHECK(PieceIds(*tok, "Hellos world") == std::vector<int32_t>{7, 6, 1});
  std::vector<std::string> no_mask = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "x"};
  const hl::Status s = hl::Tokenizer::Create(no_mask, hl::TokenizerOptions(), &tok);
  CHECK(s.code() == hl::Code::kBadModel);
  CHECK(s.message().find("mask_token") != std::string::npos);
  CHECK(tok == nullptr);
  hl::TokenizerOptions bad;
  bad.strip_accents = 2;
  CHECK(hl::Tokenizer::Create(base, bad, &tok).code() == hl::Code::kInvalidArgument);
  bad = hl::TokenizerOptions();
  bad.max_input_chars_per_word = -1;
  CHECK(hl::Tokenizer::Create(base, bad, &tok).code() == hl::Code::kInvalidArgument);
  CHECK(hl::Tokenizer::Create({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\xc3"}, hl::TokenizerOptions(), &tok)
            .code() == hl::Code::kBadModel);
}

// ------------------------------------------------------------------------------------------------------------------
// Byte-level BPE (RoBERTa): tests/fixtures/tokenizer/roberta-bpe.json from transformers.js' RobertaTokenizer on the
// committed tokenizer.json (tests/fixtures/tokenizer/bpe, trained by train_bpe.py there).

#include "model/tokenizer_header.h"
#include "tokenizer/bpe.h"
#include "tokenizer/utf8.h"

namespace {

const std::string kBpeDir = kFixtureDir + "bpe/";

struct BpeFiles {
  std::string tokenizer_json, tokenizer_config, vocab_json, merges_txt;
};

BpeFiles ReadBpeFiles() {
  BpeFiles f;
  REQUIRE(ReadFile(kBpeDir + "tokenizer.json", &f.tokenizer_json));
  REQUIRE(ReadFile(kBpeDir + "tokenizer_config.json", &f.tokenizer_config));
  REQUIRE(ReadFile(kBpeDir + "vocab.json", &f.vocab_json));
  REQUIRE(ReadFile(kBpeDir + "merges.txt", &f.merges_txt));
  return f;
}

// The tokenizer from tokenizer.json (use_tokenizer_json) or from vocab.json + merges.txt.
std::unique_ptr<hl::Tokenizer> BpeTokenizer(bool use_tokenizer_json = true) {
  const BpeFiles f = ReadBpeFiles();
  hl::TokenizerOptions o;
  std::vector<std::string> vocab;
  hl::BpeMerges merges;
  std::string how;
  const hl::Status s = hl::TokenizerFromHuggingFaceFiles(
      "", use_tokenizer_json ? "" : f.vocab_json, use_tokenizer_json ? "" : f.merges_txt,
      use_tokenizer_json ? f.tokenizer_json : "", f.tokenizer_config, &o, &vocab, &merges, &how);
  INFO(s.message());
  REQUIRE(s.ok());
  std::unique_ptr<hl::Tokenizer> tok;
  const hl::Status cs = hl::Tokenizer::Create(std::move(vocab), std::move(merges), o, &tok);
  INFO(cs.message());
  REQUIRE(cs.ok());
  return tok;
}

// The bytes a byte-level token stands for (its characters mapped back through bytes_to_unicode).
std::string TokenBytes(const std::string& token) {
  static const std::vector<int> inverse = [] {
    std::vector<int> inv(0x200, -1);
    for (int b = 0; b < 256; ++b) inv[hl::tokenizer_internal::ByteLevelChar(static_cast<uint8_t>(b))] = b;
    return inv;
  }();
  std::string out;
  for (size_t i = 0; i < token.size();) {
    char32_t cp;
    i += hl::utf8::Decode(token, i, &cp);
    if (cp >= inverse.size() || inverse[cp] < 0) return "<not byte-level: " + token + ">";
    out.push_back(static_cast<char>(inverse[cp]));
  }
  return out;
}

// Spans of one segment's BPE tokens, by property (transformers.js gives no offsets): every span lies on character
// boundaries of the text; begins never decrease; an added token typed in the text spans exactly its text; any other
// token's bytes, less the spaces at its ends (trim_offsets), occur in its span, which adds at most the rest of the
// characters the token's first and last bytes belong to (≤ 3 bytes each side).
std::string CheckBpeSpans(const hl::Tokenizer& tok, const std::string& text, const std::vector<hl::Token>& tokens) {
  std::vector<uint8_t> boundary(text.size() + 1, 0);
  for (size_t i = 0; i < text.size();) {
    boundary[i] = 1;
    char32_t cp;
    i += hl::utf8::Decode(text, i, &cp);
  }
  boundary[text.size()] = 1;
  int32_t last_begin = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const hl::Token& t = tokens[i];
    if (t.begin < 0) {
      if (t.end != -1) return "inserted token with begin -1 but end != -1";
      continue;
    }
    if (t.begin > t.end || t.end > static_cast<int32_t>(text.size())) return "span out of bounds";
    if (!boundary[t.begin] || !boundary[t.end]) return "span not on character boundaries at token " + std::to_string(i);
    if (t.begin < last_begin) return "spans not non-decreasing at token " + std::to_string(i);
    last_begin = t.begin;
    const std::string raw = text.substr(t.begin, t.end - t.begin);
    if (raw == t.text && (t.id == tok.cls_id() || t.id == tok.sep_id() || t.id == tok.pad_id() || t.id == tok.unk_id() ||
                          t.id == tok.mask_id()))
      continue;
    std::string bytes = TokenBytes(t.text);
    const size_t a = bytes.find_first_not_of(' '), z = bytes.find_last_not_of(' ');
    if (a != std::string::npos) bytes = bytes.substr(a, z - a + 1);
    if (raw.find(bytes) == std::string::npos || raw.size() > bytes.size() + 6)
      return "token " + std::to_string(i) + " \"" + Escape(t.text) + "\" (bytes \"" + Escape(bytes) + "\") spans \"" +
             Escape(raw) + "\"";
  }
  return std::string();
}

ConformanceResult RunBpeFixture(const hl::Tokenizer& tok) {
  std::string contents;
  REQUIRE(ReadFile(kFixtureDir + "roberta-bpe.json", &contents));
  const json doc = json::parse(contents);
  ConformanceResult r;
  int reported = 0;
  for (const json& c : doc.at("cases")) {
    ++r.cases;
    const FixtureCase fc = ReadCase(c);
    const std::string& a = fc.a;
    const bool has_b = fc.has_b, truncated = fc.truncated;
    const std::string& b = fc.b;
    const size_t max_tokens = fc.max_tokens;
    const std::vector<int32_t>& want_ids = fc.ids;
    const std::vector<int32_t>& want_types = fc.type_ids;
    hl::Encoding enc;
    const hl::Status s = tok.Encode(a, b, has_b, max_tokens, &enc);
    std::vector<int32_t> ids, types;
    std::vector<std::string> texts;
    for (const hl::Token& t : enc.tokens) {
      ids.push_back(t.id);
      types.push_back(t.segment);
      texts.push_back(t.text);
    }
    bool ok = s.ok() && ids == want_ids && types == want_types;
    if (ok && c.contains("tokens")) ok = texts == c.at("tokens").get<std::vector<std::string>>();
    if (ok && truncated) {
      ok = enc.a_pieces == c.at("a_pieces").get<int32_t>() && enc.b_pieces == c.at("b_pieces").get<int32_t>() &&
           enc.a_dropped == c.at("a_dropped").get<int32_t>() && enc.b_dropped == c.at("b_dropped").get<int32_t>();
    }
    if (ok && !truncated && (enc.a_dropped != 0 || enc.b_dropped != 0)) ok = false;
    if (ok) {
      ++r.passed;
    } else if (reported++ < 10) {
      std::printf("roberta-bpe mismatch [%s] a=\"%s\"%s\n  want %s\n  got  %s\n  status %s\n",
                  c.at("kind").get<std::string>().c_str(), Escape(a).c_str(),
                  has_b ? (" b=\"" + Escape(b) + "\"").c_str() : "", Ids(want_ids, FirstDifference(want_ids, ids)).c_str(),
                  Ids(ids, FirstDifference(want_ids, ids)).c_str(), s.message().c_str());
    }
    std::vector<hl::Token> seg_a, seg_b;
    for (const hl::Token& t : enc.tokens) (t.segment == 0 ? seg_a : seg_b).push_back(t);
    std::string err = CheckBpeSpans(tok, a, seg_a);
    if (err.empty() && has_b) err = CheckBpeSpans(tok, b, seg_b);
    if (!err.empty()) {
      ++r.span_failures;
      if (reported++ < 10) std::printf("roberta-bpe span check failed for a=\"%s\": %s\n", Escape(a).c_str(), err.c_str());
    }
  }
  std::printf("tokenizer conformance %-18s %zu/%zu cases identical, %zu span failures\n", "roberta-bpe", r.passed, r.cases,
              r.span_failures);
  return r;
}

std::vector<int32_t> EncodeIds(const hl::Tokenizer& tok, std::string_view a) {
  hl::Encoding enc;
  REQUIRE(tok.Encode(a, "", false, 1 << 20, &enc).ok());
  std::vector<int32_t> ids;
  for (const auto& t : enc.tokens) ids.push_back(t.id);
  return ids;
}

}  // namespace

TEST_CASE("BPE tokenizer conformance with transformers.js (RobertaTokenizer)", "[tokenizer]") {
  SECTION("from tokenizer.json") {
    const ConformanceResult r = RunBpeFixture(*BpeTokenizer(true));
    CHECK(r.cases >= 1500);
    CHECK(r.passed == r.cases);
    CHECK(r.span_failures == 0);
  }
  SECTION("from vocab.json + merges.txt") {
    const ConformanceResult r = RunBpeFixture(*BpeTokenizer(false));
    CHECK(r.passed == r.cases);
    CHECK(r.span_failures == 0);
  }
}

TEST_CASE("BPE tokenizer: spans, prefix space and special tokens", "[tokenizer]") {
  auto tok = BpeTokenizer();
  CHECK(tok->options().kind == hl::TokenizerKind::kByteLevelBpe);
  CHECK(tok->IdToToken(tok->cls_id()) == "<s>");
  CHECK(tok->IdToToken(tok->sep_id()) == "</s>");
  CHECK(tok->IdToToken(tok->mask_id()) == "<mask>");
  hl::Encoding enc;
  const std::string a = "Hello the world", b = "it's";
  REQUIRE(tok->Encode(a, b, true, 512, &enc).ok());
  REQUIRE(enc.tokens.size() >= 7);
  CHECK(enc.tokens[0].text == "<s>");
  // "Ġthe": the span leaves out the space (trim_offsets).
  bool found = false;
  for (const hl::Token& t : enc.tokens) {
    if (t.text == "\xC4\xA0the") {
      found = true;
      CHECK(a.substr(t.begin, t.end - t.begin) == "the");
    }
  }
  CHECK(found);
  // <s> A </s></s> B </s>: the second </s> opens segment 1.
  size_t k = 0;
  while (k < enc.tokens.size() && enc.tokens[k].segment == 0) ++k;
  REQUIRE(k >= 2);
  CHECK(enc.tokens[k - 1].text == "</s>");
  CHECK(enc.tokens[k].text == "</s>");
  CHECK(enc.tokens.back().text == "</s>");
  // <mask> with lstrip: "a <mask>" tokenizes like "a<mask>", the mask spans exactly its text.
  CHECK(EncodeIds(*tok, "a <mask>") == EncodeIds(*tok, "a<mask>"));
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize("a  <mask>", &t).ok());
  REQUIRE(t.size() == 2);
  CHECK(t[1].begin == 3);
  CHECK(t[1].end == 9);

  // add_prefix_space: "hello" tokenizes as " hello", and the inserted space has no span.
  hl::TokenizerOptions o = tok->options();
  o.add_prefix_space = true;
  std::vector<std::string> vocab;
  for (size_t i = 0; i < tok->vocab_size(); ++i) vocab.push_back(tok->IdToToken(static_cast<int32_t>(i)));
  std::unique_ptr<hl::Tokenizer> prefixed;
  REQUIRE(hl::Tokenizer::Create(vocab, tok->merges(), o, &prefixed).ok());
  CHECK(EncodeIds(*prefixed, "hello") == EncodeIds(*tok, " hello"));
  REQUIRE(prefixed->Tokenize("hello", &t).ok());
  REQUIRE(!t.empty());
  CHECK(t[0].begin == 0);
}

TEST_CASE("BPE tokenizer: invalid UTF-8 and random bytes never crash", "[tokenizer]") {
  auto tok = BpeTokenizer();
  // Each invalid byte reads as U+FFFD (EF BF BD), spanning that one byte.
  CHECK(EncodeIds(*tok, "a\xFF" "b") == EncodeIds(*tok, "a\xEF\xBF\xBD" "b"));
  std::vector<hl::Token> t;
  REQUIRE(tok->Tokenize("a\xFF", &t).ok());
  REQUIRE(!t.empty());
  CHECK(t.back().end == 2);
  std::mt19937 rng(99);
  for (int n = 0; n < 300; ++n) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? "< >/sma'\n"[rng() % 9] : rng() % 256);
    hl::Encoding enc;
    REQUIRE(tok->Encode(s, s, true, 1 + 6 + rng() % 40, &enc).ok());
    for (const hl::Token& x : enc.tokens) {
      CHECK(x.id >= 0);
      CHECK(x.end <= static_cast<int32_t>(s.size()));
    }
  }
}

// The time is printed, not asserted.
TEST_CASE("BPE tokenizer: 1 MB of text, and chunking changes nothing", "[tokenizer]") {
  auto tok = BpeTokenizer();
  std::string text;
  std::mt19937 rng(5);
  const char* words[] = {"the", "model", "attends", "to", "it's", "12,345", "café", "中文", "😀", "\n\n", "  ", "<mask>", "x!"};
  while (text.size() < (1u << 20)) {
    text += words[rng() % 13];
    text += rng() % 5 ? " " : "";
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<hl::Token> all;
  REQUIRE(tok->Tokenize(text, &all).ok());
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("BPE tokenizer: %zu bytes -> %zu tokens in %.3f s\n", text.size(), all.size(), sec);
  // The same text cut at every 1000th word boundary, tokenized piecewise, gives the same tokens where the cut is
  // before " " after a letter (where chunks are cut).
  size_t cut = text.find(" m", 300000);
  REQUIRE(cut != std::string::npos);
  std::vector<hl::Token> left, right;
  REQUIRE(tok->Tokenize(std::string_view(text).substr(0, cut), &left).ok());
  REQUIRE(tok->Tokenize(std::string_view(text).substr(cut), &right).ok());
  CHECK(left.size() + right.size() == all.size());
}

TEST_CASE("BPE tokenizer: header round trip and validation", "[tokenizer]") {
  auto tok = BpeTokenizer();
  std::vector<std::string> vocab;
  for (size_t i = 0; i < tok->vocab_size(); ++i) vocab.push_back(tok->IdToToken(static_cast<int32_t>(i)));
  const nlohmann::json h = hl::TokenizerToHeader(tok->options(), vocab, tok->merges());
  CHECK(h.at("kind") == "bpe");
  hl::TokenizerOptions o;
  std::vector<std::string> v2;
  hl::BpeMerges m2;
  REQUIRE(hl::TokenizerFromHeader(h, &o, &v2, &m2).ok());
  std::unique_ptr<hl::Tokenizer> back;
  REQUIRE(hl::Tokenizer::Create(v2, m2, o, &back).ok());
  for (const char* s : {"Paris is the <mask> of France.", "  it's 2024!\n", "中文 😀"})
    CHECK(EncodeIds(*back, s) == EncodeIds(*tok, s));

  // A merge whose part is not in the vocabulary, a missing byte character, merges on WordPiece: clear errors.
  hl::BpeMerges bad = tok->merges();
  bad.emplace_back("zzq", "x");
  std::unique_ptr<hl::Tokenizer> t;
  hl::Status s = hl::Tokenizer::Create(vocab, bad, tok->options(), &t);
  CHECK(s.code() == hl::Code::kBadModel);
  CHECK(s.message().find("zzq") != std::string::npos);
  std::vector<std::string> no_a = vocab;
  for (auto& w : no_a)
    if (w == "a") w = "a-removed";
  s = hl::Tokenizer::Create(no_a, {}, tok->options(), &t);
  CHECK(s.code() == hl::Code::kBadModel);
  CHECK(s.message().find("byte 97") != std::string::npos);
  hl::TokenizerOptions wp;
  s = hl::Tokenizer::Create(vocab, tok->merges(), wp, &t);
  CHECK(s.code() == hl::Code::kInvalidArgument);
  // Pairs need room for <s> A </s></s> B </s>.
  hl::Encoding enc;
  CHECK(tok->Encode("a", "b", true, 5, &enc).code() == hl::Code::kInvalidArgument);
  CHECK(tok->Encode("a", "b", true, 6, &enc).ok());

  // A BPE tokenizer.json with a normalizer, or without ByteLevel: Unsupported, not misread.
  const BpeFiles f = ReadBpeFiles();
  nlohmann::json j = nlohmann::json::parse(f.tokenizer_json);
  j["normalizer"] = {{"type", "Lowercase"}};
  hl::TokenizerOptions o3;
  std::vector<std::string> v3;
  hl::BpeMerges m3;
  std::string how;
  CHECK(hl::TokenizerFromHuggingFaceFiles("", "", "", j.dump(), "", &o3, &v3, &m3, &how).code() == hl::Code::kUnsupported);
  CHECK(hl::TokenizerFromHuggingFaceFiles("", f.vocab_json, "", "", "", &o3, &v3, &m3, &how).code() == hl::Code::kBadModel);
  CHECK(hl::TokenizerFromHuggingFaceFiles("", "", "", "", "", &o3, &v3, &m3, &how).code() == hl::Code::kBadModel);
}
