// Head statistics, JS distances and MDS (wasm/src/analysis/) on hand-built matrices, and their C API on the tiny model.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/head_distance.h"
#include "analysis/head_map.h"
#include "analysis/head_stats.h"
#include "analysis/mds.h"
#include "headlight.h"
#include "test_util.h"

namespace {

using Strings = std::vector<std::string>;
using Ints = std::vector<int32_t>;

hl::TokenClasses Classes(const Strings& texts, const Ints& segments) {
  hl::TokenClasses t;
  hl::ClassifyTokens(&t, texts, segments, "[CLS]", "[SEP]");
  return t;
}

hl::HeadStats Stats(const std::vector<float>& att, const hl::TokenClasses& t) {
  hl::HeadStats s;
  hl::ComputeHeadStats(&s, att.data(), t, t.n);
  return s;
}

// Row-stochastic [n][n] with seeded random (peaked) rows.
std::vector<float> RandomAttention(std::mt19937& g, size_t n) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> a(n * n);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < n; ++j) s += a[i * n + j] = std::pow(u(g), 4.f);
    for (size_t j = 0; j < n; ++j) a[i * n + j] = static_cast<float>(a[i * n + j] / s);
  }
  return a;
}

// −Σ x ln x of a row smoothed as 0.9999·α + 1e-4/n, with std::log.
double EntropyDirect(const float* row, size_t n) {
  double h = 0;
  for (size_t j = 0; j < n; ++j) {
    const double x = 0.9999 * row[j] + 1e-4 / static_cast<double>(n);
    h -= x * std::log(x);
  }
  return h;
}

// JS with std::log, term by term: ½ Σ p ln(p/m) + ½ Σ q ln(q/m).
double JsDirect(const double* p, const double* q, size_t n) {
  double js = 0;
  for (size_t j = 0; j < n; ++j) {
    const double m = 0.5 * (p[j] + q[j]);
    js += 0.5 * p[j] * std::log(p[j] / m) + 0.5 * q[j] * std::log(q[j] / m);
  }
  return js;
}

std::vector<double> RandomDistribution(std::mt19937& g, size_t n) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> p(n);
  double s = 0;
  for (double& x : p) s += x = std::pow(u(g), 3.0) + 1e-9;
  for (double& x : p) x /= s;
  return p;
}

std::vector<double> PointDistances(const std::vector<double>& pts, size_t dim) {
  const size_t n = pts.size() / dim;
  std::vector<double> d(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t k = 0; k < dim; ++k) s += (pts[i * dim + k] - pts[j * dim + k]) * (pts[i * dim + k] - pts[j * dim + k]);
      d[i * n + j] = std::sqrt(s);
    }
  return d;
}

}  // namespace

TEST_CASE("head stats: a single token", "[analysis]") {
  const hl::TokenClasses t = Classes({"[CLS]"}, {0});
  const hl::HeadStats s = Stats({1.f}, t);
  CHECK(s.next == 0);
  CHECK(s.previous == 0);
  CHECK(s.self == 1);
  CHECK(s.cls == 1);
  CHECK(s.sep == 0);
  CHECK(s.delimiter == 1);
  const double x = 0.9999 * 1.0 + 1e-4 / 1.0;  // the smoothed weight, 1 up to rounding
  CHECK(s.entropy == Approx(-x * std::log(x)).margin(1e-15));
  CHECK(std::fabs(s.entropy) < 1e-15);
  CHECK(s.cls_entropy == s.entropy);
  CHECK(s.rows == 1);
  CHECK((std::isnan(s.identical) && s.identical_count == 0));
  CHECK((std::isnan(s.other_sentence) && s.other_sentence_count == 0));
  CHECK((std::isnan(s.subword) && s.subword_count == 0));
  const hl::HeadStats w = Stats({1.f}, Classes({"word"}, {0}));
  CHECK(w.cls == 0);
  CHECK(w.self == 1);
}

TEST_CASE("head stats: identity and uniform matrices", "[analysis]") {
  const Strings texts{"[CLS]", "a", ".", "b", ",", "[SEP]"};
  const hl::TokenClasses t = Classes(texts, {0, 0, 0, 0, 0, 0});
  const size_t n = texts.size();
  std::vector<float> identity(n * n, 0.f), uniform(n * n, 1.f / n);
  for (size_t i = 0; i < n; ++i) identity[i * n + i] = 1.f;

  const hl::HeadStats id = Stats(identity, t);
  CHECK(id.self == 1);
  CHECK(id.next == 0);
  CHECK(id.previous == 0);
  CHECK(id.cls == Approx(1.0 / 6).epsilon(1e-15));    // only [CLS]'s own row
  CHECK(id.sep == Approx(1.0 / 6).epsilon(1e-15));
  CHECK(id.punct == Approx(2.0 / 6).epsilon(1e-15));  // "." and ","
  const double hi = 0.9999 + 1e-4 / n, lo = 1e-4 / n;
  const double h_identity = -(hi * std::log(hi) + (n - 1) * lo * std::log(lo));
  CHECK(id.entropy == Approx(h_identity).epsilon(1e-12));
  CHECK(id.cls_entropy == Approx(h_identity).epsilon(1e-12));

  const hl::HeadStats u = Stats(uniform, t);
  const double w = static_cast<float>(1.0 / n);  // the float weight each cell holds
  CHECK(u.self == Approx(w).epsilon(1e-12));
  CHECK(u.next == Approx(w * (n - 1) / n).epsilon(1e-12));  // n−1 terms over n rows
  CHECK(u.previous == Approx(w * (n - 1) / n).epsilon(1e-12));
  CHECK(u.cls == Approx(w).epsilon(1e-12));
  CHECK(u.sep == Approx(w).epsilon(1e-12));
  CHECK(u.punct == Approx(2 * w).epsilon(1e-12));
  const double x = 0.9999 * w + 1e-4 / n;  // ≈ 1/n
  CHECK(u.entropy == Approx(-static_cast<double>(n) * x * std::log(x)).epsilon(1e-12));
  CHECK(u.entropy == Approx(std::log(static_cast<double>(n))).epsilon(1e-6));  // ln n up to float's 1/n
  std::vector<std::string> labels;
  std::string dominant;
  hl::HeadLabels(&labels, &dominant, u);
  CHECK(labels.empty());  // ln 6 < 3.8: not broad
  CHECK(dominant.empty());
}

TEST_CASE("head stats: a pure next-token head, and previous across the pair boundary", "[analysis]") {
  const Strings texts{"[CLS]", "a", "b", "[SEP]", "a", "c", "[SEP]"};
  const Ints seg{0, 0, 0, 0, 1, 1, 1};
  const hl::TokenClasses t = Classes(texts, seg);
  const size_t n = texts.size();
  std::vector<float> next(n * n, 0.f), prev(n * n, 0.f), one(n * n, 0.f);
  for (size_t i = 0; i < n; ++i) {
    next[i * n + std::min(i + 1, n - 1)] = 1.f;  // the last row has no next token: it looks at itself
    prev[i * n + (i ? i - 1 : 0)] = 1.f;
    one[i * n + (i == 4 ? 3 : i)] = 1.f;  // only the first token of B looks back, at A's [SEP]
  }
  const hl::HeadStats s = Stats(next, t);
  CHECK(s.next == Approx(6.0 / 7).epsilon(1e-15));
  CHECK(s.self == Approx(1.0 / 7).epsilon(1e-15));
  CHECK(s.previous == 0);
  CHECK(s.sep == Approx(3.0 / 7).epsilon(1e-15));  // rows 2 and 5 (next is a [SEP]) and 6 (itself)
  std::vector<std::string> labels;
  std::string dominant;
  hl::HeadLabels(&labels, &dominant, s);
  CHECK(labels == std::vector<std::string>{"next"});
  CHECK(dominant == "next");

  const hl::HeadStats p = Stats(prev, t);
  CHECK(p.previous == Approx(6.0 / 7).epsilon(1e-15));  // row 4 ("a" of B) counts: its previous is A's [SEP]
  CHECK(p.self == Approx(1.0 / 7).epsilon(1e-15));
  const hl::HeadStats o = Stats(one, t);
  CHECK(o.previous == Approx(1.0 / 7).epsilon(1e-15));
  CHECK(o.sep == Approx(3.0 / 7).epsilon(1e-15));  // row 4 → 3, rows 3 and 6 → themselves
}

TEST_CASE("head stats: Vig's patterns on [CLS] a b [SEP] a c [SEP]", "[analysis]") {
  const Strings texts{"[CLS]", "a", "b", "[SEP]", "a", "c", "[SEP]"};
  const hl::TokenClasses t = Classes(texts, {0, 0, 0, 0, 1, 1, 1});
  std::mt19937 g(11);
  const std::vector<float> att = RandomAttention(g, 7);
  auto A = [&](int i, int j) { return static_cast<double>(att[i * 7 + j]); };
  const hl::HeadStats s = Stats(att, t);
  CHECK(s.identical_count == 0);  // the two a's are in different sentences; [SEP]s are special
  CHECK(std::isnan(s.identical));
  CHECK(s.other_sentence_count == 2);
  CHECK(s.other_sentence == Approx((A(1, 4) + A(4, 1)) / 2).epsilon(1e-12));
  CHECK(s.subword_count == 0);
  CHECK(std::isnan(s.subword));
  double cls = 0, sep = 0;
  for (int i = 0; i < 7; ++i) {
    cls += A(i, 0);
    sep += A(i, 3) + A(i, 6);
  }
  CHECK(s.cls == Approx(cls / 7).epsilon(1e-12));
  CHECK(s.sep == Approx(sep / 7).epsilon(1e-12));
  CHECK(s.delimiter == Approx((cls + sep) / 7).epsilon(1e-12));
}

TEST_CASE("head stats: identical, other-sentence and subword with word pieces", "[analysis]") {
  //                0        1      2       3      4      5    6        7      8      9       10     11     12   13
  const Strings texts{"[CLS]", "the", "play", "##ed", "the", ",", "[SEP]", "##ed", "the", "play", "##s", "##et", ".", "[SEP]"};
  const Ints seg{0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
  const hl::TokenClasses t = Classes(texts, seg);
  // "##ed" right after [SEP] starts a word of its own; "play ##s ##et" is one word of three pieces
  CHECK(t.word == Ints{-1, 0, 1, 1, 2, 3, -1, 4, 5, 6, 6, 6, 7, -1});
  // a piece never continues a word of the other segment, even with no [SEP] between (token lists with specials hidden)
  CHECK(Classes({"a", "##b", "##c"}, {0, 1, 1}).word == Ints{0, 1, 1});
  const size_t n = texts.size();
  std::mt19937 g(12);
  const std::vector<float> att = RandomAttention(g, n);
  auto A = [&](int i, int j) { return static_cast<double>(att[i * n + j]); };
  const hl::HeadStats s = Stats(att, t);
  CHECK(s.identical_count == 2);  // the two "the" of A
  CHECK(s.identical == Approx((A(1, 4) + A(4, 1)) / 2).epsilon(1e-12));
  CHECK(s.other_sentence_count == 7);
  const double other = A(1, 8) + A(4, 8) + (A(8, 1) + A(8, 4)) + A(2, 9) + A(9, 2) + A(3, 7) + A(7, 3);
  CHECK(s.other_sentence == Approx(other / 7).epsilon(1e-12));
  CHECK(s.subword_count == 5);
  const double sub = A(2, 3) + A(3, 2) + (A(9, 10) + A(9, 11)) + (A(10, 9) + A(10, 11)) + (A(11, 9) + A(11, 10));
  CHECK(s.subword == Approx(sub / 5).epsilon(1e-12));
  double punct = 0, entropy = 0;
  for (size_t i = 0; i < n; ++i) {
    punct += A(i, 5) + A(i, 12);
    entropy += EntropyDirect(att.data() + i * n, n);
  }
  CHECK(s.punct == Approx(punct / n).epsilon(1e-12));
  CHECK(s.entropy == Approx(entropy / n).epsilon(1e-12));
  CHECK(s.cls_entropy == Approx(EntropyDirect(att.data(), n)).epsilon(1e-12));
}

TEST_CASE("head stats: rows of zeros (padding) give numbers, not NaN", "[analysis]") {
  const Strings texts{"[CLS]", "a", "b", "[SEP]", "[PAD]", "[PAD]"};
  const hl::TokenClasses t = Classes(texts, {0, 0, 0, 0, 0, 0});
  const size_t n = texts.size();
  std::mt19937 g(13);
  std::vector<float> att = RandomAttention(g, n);
  for (size_t i = 4; i < n; ++i)
    for (size_t j = 0; j < n; ++j) att[i * n + j] = 0.f;
  std::fill(att.begin(), att.begin() + n, 0.f);  // row 0 too: cls_entropy of a zero row
  const hl::HeadStats s = Stats(att, t);
  for (double v : {s.next, s.previous, s.self, s.cls, s.sep, s.punct, s.delimiter, s.entropy, s.cls_entropy})
    CHECK(std::isfinite(v));
  const double z = 1e-4 / n, zero_row = -static_cast<double>(n) * z * std::log(z);
  CHECK(s.cls_entropy == Approx(zero_row).epsilon(1e-12));
  double entropy = 0;
  for (size_t i = 0; i < n; ++i) entropy += EntropyDirect(att.data() + i * n, n);
  CHECK(s.entropy == Approx(entropy / n).epsilon(1e-12));
  hl::DistanceSums d;
  hl::InitDistanceSums(&d, 2);
  std::vector<float> two(att);
  two.insert(two.end(), att.begin(), att.end());
  two[n * n + 4 * n + 1] = 1.f;  // head 1's padding row 4 attends somewhere
  hl::AddHeadDistances(&d, two.data(), 2, n);
  CHECK(std::isfinite(d.sum[1]));
  CHECK(d.sum[1] > 0);
}

TEST_CASE("head stats: token-weighted sums over texts", "[analysis]") {
  std::mt19937 g(14);
  const Strings t1{"[CLS]", "x", "x", "[SEP]"}, t2{"[CLS]", "x", "y", "##z", "x", ".", "[SEP]", "y", "[SEP]"};
  const hl::TokenClasses c1 = Classes(t1, {0, 0, 0, 0}), c2 = Classes(t2, {0, 0, 0, 0, 0, 0, 0, 1, 1});
  const std::vector<float> a1 = RandomAttention(g, 4), a2 = RandomAttention(g, 9);
  const hl::HeadStats s1 = Stats(a1, c1), s2 = Stats(a2, c2);
  hl::HeadSums sums;
  hl::AddHeadSums(&sums, a1.data(), c1, 4);
  hl::AddHeadSums(&sums, a2.data(), c2, 9);
  hl::HeadStats all;
  hl::HeadStatsFromSums(&all, sums);
  CHECK(all.rows == 13);
  CHECK(all.next == Approx((4 * s1.next + 9 * s2.next) / 13).epsilon(1e-12));
  CHECK(all.punct == Approx((4 * s1.punct + 9 * s2.punct) / 13).epsilon(1e-12));
  CHECK(all.entropy == Approx((4 * s1.entropy + 9 * s2.entropy) / 13).epsilon(1e-12));
  CHECK(all.cls_entropy == Approx((s1.cls_entropy + s2.cls_entropy) / 2).epsilon(1e-12));  // per text
  REQUIRE(s1.identical_count == 2);
  REQUIRE(s2.identical_count == 2);
  CHECK(all.identical_count == 4);
  CHECK(all.identical == Approx((2 * s1.identical + 2 * s2.identical) / 4).epsilon(1e-12));
  CHECK(all.other_sentence_count == s2.other_sentence_count);
  CHECK(all.subword_count == 2);
  hl::HeadSums first, second;
  hl::AddHeadSums(&first, a1.data(), c1, 4);
  hl::AddHeadSums(&second, a2.data(), c2, 9);
  hl::MergeHeadSums(&first, second);
  hl::HeadStats merged;
  hl::HeadStatsFromSums(&merged, first);
  CHECK(merged.rows == all.rows);
  CHECK(merged.entropy == Approx(all.entropy).epsilon(1e-14));
  CHECK(merged.cls_entropy == Approx(all.cls_entropy).epsilon(1e-14));
  CHECK(merged.identical == Approx(all.identical).epsilon(1e-14));
  CHECK(merged.subword_count == all.subword_count);
  std::vector<hl::HeadSums> many;
  std::vector<float> heads(a2);
  heads.insert(heads.end(), a2.begin(), a2.end());
  hl::AddAllHeadSums(&many, heads.data(), c2, 2, 9);
  REQUIRE(many.size() == 2);
  hl::HeadStats h1;
  hl::HeadStatsFromSums(&h1, many[1]);
  CHECK(h1.subword == s2.subword);
}

TEST_CASE("pattern examples: the row that shows each of Vig's patterns", "[analysis]") {
  // [CLS] a straw ##berries [SEP] a b [SEP]: sentence A = tokens 0..4, B = 5..7.
  const Strings texts{"[CLS]", "a", "straw", "##berries", "[SEP]", "a", "b", "[SEP]"};
  const hl::TokenClasses t = Classes(texts, {0, 0, 0, 0, 0, 1, 1, 1});
  const size_t n = texts.size();
  std::vector<float> att(n * n, 1.f / n);
  auto set_row = [&](size_t i, std::vector<float> row) { std::copy(row.begin(), row.end(), att.begin() + i * n); };
  set_row(2, {0, 0, 0.1f, 0.9f, 0, 0, 0, 0});     // "straw" → its partner ##berries (and the next token)
  set_row(5, {0, 0.7f, 0, 0, 0, 0.1f, 0.2f, 0});  // B's "a" → A's "a"
  set_row(6, {0.1f, 0, 0, 0, 0, 0, 0.1f, 0.8f});  // "b" → [SEP]
  hl::PatternExamples e;
  hl::FindPatternExamples(&e, att.data(), t, n);
  CHECK(e.subword.row == 2);
  CHECK(e.subword.score == Approx(0.9f).epsilon(1e-7));
  CHECK(e.other_sentence.row == 5);
  CHECK(e.delimiter.row == 6);
  CHECK(e.delimiter.score == Approx(0.9).epsilon(1e-6));
  CHECK(e.next.row == 2);
  CHECK(e.previous.row == 1);  // rows 2, 5, 6 give nothing to i-1: the first uniform row wins the tie
  CHECK(e.identical.row == -1);  // "a" occurs once per sentence
  // one text's statistics carry them; sums over texts do not
  CHECK(Stats(att, t).examples.subword.row == 2);
  hl::HeadSums sums;
  hl::AddHeadSums(&sums, att.data(), t, n);
  hl::HeadStats over;
  hl::HeadStatsFromSums(&over, sums);
  CHECK(over.examples.next.row == -1);
}

TEST_CASE("word indices: pieces join their word, specials and other segments do not", "[analysis]") {
  Ints word;
  hl::WordIndices(&word, {"[CLS]", "straw", "##berries", "[SEP]", "##x", "y", "##z", "[SEP]"}, {0, 0, 0, 0, 1, 1, 1, 1},
                  "[CLS]", "[SEP]");
  CHECK(word == Ints{-1, 0, 0, -1, 1, 2, 2, -1});
  hl::WordIndices(&word, {"<s>", "a", "##b", "</s>"}, {}, "<s>", "</s>");  // no segments given: all in segment 0
  CHECK(word == Ints{-1, 0, 0, -1});
}

TEST_CASE("head map: the accumulator equals its parts (distances, token-weighted sums, MDS)", "[analysis]") {
  std::mt19937 g(21);
  const size_t L = 2, A = 2, H = L * A;
  const Strings t1{"[CLS]", "x", "##y", "x", "[SEP]"}, t2{"[CLS]", "a", "b", "[SEP]", "a", "[SEP]"};
  const hl::TokenClasses c1 = Classes(t1, {0, 0, 0, 0, 0}), c2 = Classes(t2, {0, 0, 0, 0, 1, 1});
  auto heads = [&](size_t n) {
    std::vector<float> all;
    for (size_t h = 0; h < H; ++h) {
      const std::vector<float> a = RandomAttention(g, n);
      all.insert(all.end(), a.begin(), a.end());
    }
    return all;
  };
  const std::vector<float> a1 = heads(5), a2 = heads(6);
  hl::HeadMap map(L, A);
  hl::MdsResult mds;
  CHECK(map.Place(&mds).code() == hl::Code::kInvalidArgument);  // no texts yet
  std::vector<hl::HeadStats> per_text;
  map.Add(a1.data(), c1, 5, &per_text);
  map.Add(a2.data(), c2, 6);
  REQUIRE(per_text.size() == H);
  std::vector<hl::HeadStats> one;
  hl::ComputeAllHeadStats(&one, a1.data(), c1, H, 5);
  CHECK(per_text[3].entropy == one[3].entropy);
  CHECK(per_text[3].examples.subword.row == one[3].examples.subword.row);
  hl::DistanceSums d;
  hl::InitDistanceSums(&d, H);
  hl::AddHeadDistances(&d, a1.data(), H, 5);
  hl::AddHeadDistances(&d, a2.data(), H, 6);
  std::vector<hl::HeadSums> sums;
  hl::AddAllHeadSums(&sums, a1.data(), c1, H, 5);
  hl::AddAllHeadSums(&sums, a2.data(), c2, H, 6);
  REQUIRE(map.Place(&mds).ok());
  const nlohmann::json j = map.Json(mds);
  CHECK(j["texts"] == 2);
  CHECK(j["total_heads"] == H);
  CHECK(j["distance"].get<std::vector<double>>() == d.sum);
  hl::MdsResult want;
  REQUIRE(hl::Mds2d(&want, d.sum.data(), H));
  CHECK(mds.points == want.points);
  const nlohmann::json& agg = j["aggregate"];
  CHECK(agg["n"] == 11);
  CHECK(agg["uniform_entropy"].get<double>() == Approx((5 * std::log(5.0) + 6 * std::log(6.0)) / 11).epsilon(1e-15));
  for (size_t h = 0; h < H; ++h) {
    hl::HeadStats w;
    hl::HeadStatsFromSums(&w, sums[h]);
    // the map sums each text first, then merges: the last bits differ from summing rows straight in
    CHECK(agg["per_head"][h]["entropy"].get<double>() == Approx(w.entropy).epsilon(1e-14));
    CHECK(agg["per_head"][h]["examples"].is_null());
  }
}

TEST_CASE("head labels: Clark's thresholds and the dominant behaviour", "[analysis]") {
  std::vector<std::string> labels;
  std::string dominant;
  hl::HeadStats s;
  s.entropy = 4.0;    // 4.0/3.8 = 1.05
  s.previous = 0.9;   // 1.8
  s.cls = 0.7;        // 1.17
  s.next = 0.5;       // not above
  s.sep = 0.6;        // not above
  s.punct = 0.61;     // 1.02
  hl::HeadLabels(&labels, &dominant, s);
  CHECK(labels == std::vector<std::string>{"broad", "previous", "[CLS]", "punctuation"});
  CHECK(dominant == "previous");
  s.entropy = 7.6;  // 2.0
  hl::HeadLabels(&labels, &dominant, s);
  CHECK(dominant == "broad");
  hl::HeadLabels(&labels, &dominant, hl::HeadStats());
  CHECK(labels.empty());
  CHECK(dominant.empty());
}

TEST_CASE("JS divergence: LogPositive, symmetry, bounds, the direct formula", "[analysis]") {
  std::mt19937_64 g64(15);
  std::uniform_real_distribution<double> ex(-40.0, 40.0);
  for (int k = 0; k < 100000; ++k) {
    const double x = std::exp(ex(g64));
    INFO(x);
    REQUIRE(hl::LogPositive(x) == Approx(std::log(x)).epsilon(1e-15).margin(1e-300));
  }
  CHECK(hl::LogPositive(1.0) == 0.0);
  CHECK(hl::LogPositive(2.0) == std::log(2.0));

  std::mt19937 g(16);
  for (size_t n : {1, 2, 3, 17, 255, 256, 257, 600}) {
    const std::vector<double> p = RandomDistribution(g, n), q = RandomDistribution(g, n);
    const double pq = hl::JsDivergence(p.data(), q.data(), n), qp = hl::JsDivergence(q.data(), p.data(), n);
    INFO("n = " << n);
    CHECK(pq == qp);
    CHECK(hl::JsDivergence(p.data(), p.data(), n) == 0);
    CHECK(pq >= 0);
    CHECK(pq <= std::log(2.0));
    CHECK(pq == Approx(JsDirect(p.data(), q.data(), n)).margin(1e-12));
    if (n > 1) CHECK(pq > 0);
  }
  const double eps = 1e-12;
  const std::vector<double> a{1 - eps, eps}, b{eps, 1 - eps};
  const double far = hl::JsDivergence(a.data(), b.data(), 2);
  CHECK(far <= std::log(2.0));
  CHECK(far == Approx(std::log(2.0)).epsilon(1e-9));
}

TEST_CASE("head distances: the accumulator equals a brute-force double loop", "[analysis]") {
  std::mt19937 g(17);
  const size_t H = 5;
  hl::DistanceSums d;
  hl::InitDistanceSums(&d, H);
  std::vector<double> brute(H * H, 0.0);  // [H][H]
  int64_t rows = 0;
  for (size_t n : {1, 7, 300}) {
    std::vector<float> att;  // [H][n][n]
    for (size_t h = 0; h < H; ++h) {
      const std::vector<float> a = RandomAttention(g, n);
      att.insert(att.end(), a.begin(), a.end());
    }
    if (n == 7) std::copy(att.begin(), att.begin() + n * n, att.begin() + 3 * n * n);  // heads 0 and 3 agree here
    hl::AddHeadDistances(&d, att.data(), H, n);
    rows += static_cast<int64_t>(n);
    std::vector<double> p(n), q(n);
    for (size_t i = 0; i < n; ++i)
      for (size_t h1 = 0; h1 < H; ++h1)
        for (size_t h2 = 0; h2 < H; ++h2) {
          for (size_t j = 0; j < n; ++j) {
            p[j] = 0.999 * att[(h1 * n + i) * n + j] + 0.001 / n;
            q[j] = 0.999 * att[(h2 * n + i) * n + j] + 0.001 / n;
          }
          brute[h1 * H + h2] += JsDirect(p.data(), q.data(), n);
        }
  }
  CHECK(d.texts == 3);
  CHECK(d.rows == rows);
  for (size_t h1 = 0; h1 < H; ++h1)
    for (size_t h2 = 0; h2 < H; ++h2) {
      INFO(h1 << " " << h2);
      CHECK(d.sum[h1 * H + h2] == d.sum[h2 * H + h1]);
      if (h1 == h2) CHECK(d.sum[h1 * H + h2] == 0);
      else CHECK(d.sum[h1 * H + h2] > 0);
      CHECK(d.sum[h1 * H + h2] == Approx(brute[h1 * H + h2]).epsilon(1e-11).margin(1e-12));
    }
}

TEST_CASE("MDS: symmetric eigen-decomposition", "[analysis]") {
  std::mt19937 g(18);
  std::normal_distribution<double> nd;
  for (size_t n : {1, 2, 3, 10, 41}) {
    std::vector<double> a(n * n);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j <= i; ++j) a[i * n + j] = a[j * n + i] = nd(g);
    if (n == 10) a.assign(n * n, 1.0);  // rank one, eigenvalue n and n−1 zeros
    std::vector<double> values, v;
    REQUIRE(hl::SymmetricEigen(&values, &v, a.data(), n));
    INFO("n = " << n);
    for (size_t k = 1; k < n; ++k) CHECK(values[k - 1] >= values[k]);
    double err = 0, ortho = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        double r = 0, o = 0;
        for (size_t k = 0; k < n; ++k) {
          r += v[i * n + k] * values[k] * v[j * n + k];
          o += v[k * n + i] * v[k * n + j];
        }
        err = std::max(err, std::fabs(r - a[i * n + j]));
        ortho = std::max(ortho, std::fabs(o - (i == j ? 1.0 : 0.0)));
      }
    CHECK(err < 1e-10);
    CHECK(ortho < 1e-12);
    if (n == 10) CHECK(values[0] == Approx(10.0).epsilon(1e-12));
  }
}

TEST_CASE("MDS: 2-D configurations are recovered, 3-D ones leave stress", "[analysis]") {
  std::mt19937 g(19);
  std::uniform_real_distribution<double> u(-5.0, 5.0);
  std::vector<double> random12(24);
  for (double& x : random12) x = u(g);
  const std::vector<double> square{0, 0, 1, 0, 1, 1, 0, 1};
  for (const std::vector<double>& pts : {random12, square}) {
    const size_t n = pts.size() / 2;
    const std::vector<double> delta = PointDistances(pts, 2);
    hl::MdsResult m;
    REQUIRE(hl::Mds2d(&m, delta.data(), n));
    REQUIRE(m.points.size() == 2 * n);
    CHECK(m.stress < 1e-6);
    const std::vector<double> got = PointDistances(m.points, 2);
    for (size_t k = 0; k < n * n; ++k) CHECK(got[k] == Approx(delta[k]).margin(1e-6));
  }
  // 3-D: a regular tetrahedron plus random points cannot be flattened
  std::vector<double> pts3{1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1};
  for (int k = 0; k < 18; ++k) pts3.push_back(u(g));
  const size_t n = pts3.size() / 3;
  const std::vector<double> delta = PointDistances(pts3, 3);
  std::vector<double> start;
  REQUIRE(hl::ClassicalMds(&start, delta.data(), n));
  const double classical = hl::KruskalStress1(start.data(), delta.data(), n);
  hl::MdsResult m, again;
  REQUIRE(hl::Mds2d(&m, delta.data(), n));
  REQUIRE(hl::Mds2d(&again, delta.data(), n));
  CHECK(m.stress > 0.05);
  CHECK(m.stress <= classical);  // SMACOF only lowers stress
  CHECK(m.iterations > 1);
  CHECK(m.points == again.points);  // deterministic
  CHECK(m.stress == Approx(hl::KruskalStress1(m.points.data(), delta.data(), n)).epsilon(1e-15));
  // degenerate sizes
  hl::MdsResult one, two;
  const double d1 = 0, d2[4] = {0, 3, 3, 0};
  REQUIRE(hl::Mds2d(&one, &d1, 1));
  CHECK(one.points == std::vector<double>{0, 0});
  CHECK(one.stress == 0);
  REQUIRE(hl::Mds2d(&two, d2, 2));
  CHECK(std::hypot(two.points[0] - two.points[2], two.points[1] - two.points[3]) == Approx(3.0).epsilon(1e-12));
}

namespace {

int32_t LoadTiny() {
  int32_t model = -1;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", true), &model) == HL_STATUS_OK);
  return model;
}

int32_t Run(int32_t model, const std::string& a, const std::string& b) {
  int32_t result = 0;
  REQUIRE(hl_run(model, a.data(), a.size(), b.data(), b.size(), b.empty() ? 0 : 1, 1, 0, 0, &result) == HL_STATUS_OK);
  return result;
}

nlohmann::json Json(const char* p, size_t n) { return nlohmann::json::parse(std::string(p, n)); }

void CheckStat(const nlohmann::json& j, double want) {
  if (std::isnan(want)) CHECK(j.is_null());
  else CHECK(j.get<double>() == Approx(want).epsilon(1e-12).margin(1e-15));
}

}  // namespace

TEST_CASE("C API: hl_result_stats matches the C++ statistics", "[analysis]") {
  const int32_t model = LoadTiny();
  const int32_t result = Run(model, "The cat sat on the mat, and the cat slept.", "The strawberries were fresh.");
  const char* js;
  size_t len;
  REQUIRE(hl_result_stats(result, HL_WEIGHTING_ATTENTION, &js, &len) == HL_STATUS_OK);
  const nlohmann::json st = Json(js, len);
  const char* js2;
  REQUIRE(hl_result_stats(result, HL_WEIGHTING_ATTENTION, &js2, &len) == HL_STATUS_OK);
  CHECK(js2 == js);  // computed once, kept with the result

  const void* p;
  size_t bytes;
  REQUIRE(hl_result_get(result, HL_FIELD_SUMMARY_JSON, &p, &bytes) == HL_STATUS_OK);
  const nlohmann::json sum = Json(static_cast<const char*>(p), bytes);
  const int L = sum["layers"], A = sum["heads_per_layer"], n = sum["n"];
  REQUIRE(st["n"] == n);
  REQUIRE(st["per_head"].size() == static_cast<size_t>(L * A));
  CHECK(st["uniform_entropy"].get<double>() == Approx(std::log(n)).epsilon(1e-15));
  Strings texts;
  Ints segs;
  Ints words;
  for (const auto& t : sum["tokens"]) {
    texts.push_back(t["text"]);
    segs.push_back(t["segment"]);
    words.push_back(t["word"]);
  }
  REQUIRE(hl_result_get(result, HL_FIELD_ATTENTION, &p, &bytes) == HL_STATUS_OK);
  const float* att = static_cast<const float*>(p);
  const hl::TokenClasses tc = Classes(texts, segs);
  CHECK(words == tc.word);  // the summary's word grouping is the statistics'
  std::vector<hl::HeadStats> want;
  hl::ComputeAllHeadStats(&want, att, tc, static_cast<size_t>(L * A), static_cast<size_t>(n));
  bool some_identical = false, some_other = false;
  for (int h = 0; h < L * A; ++h) {
    const nlohmann::json& j = st["per_head"][h];
    const hl::HeadStats& w = want[h];
    INFO("head " << h);
    CHECK(j["layer"] == h / A);
    CHECK(j["head"] == h % A);
    CheckStat(j["next"], w.next);
    CheckStat(j["previous"], w.previous);
    CheckStat(j["self"], w.self);
    CheckStat(j["cls"], w.cls);
    CheckStat(j["sep"], w.sep);
    CheckStat(j["punct"], w.punct);
    CheckStat(j["delimiter"], w.delimiter);
    CheckStat(j["entropy"], w.entropy);
    CheckStat(j["cls_entropy"], w.cls_entropy);
    CheckStat(j["identical"], w.identical);
    CheckStat(j["other_sentence"], w.other_sentence);
    CheckStat(j["subword"], w.subword);
    CHECK(j["identical_count"] == w.identical_count);
    CHECK(j["other_sentence_count"] == w.other_sentence_count);
    CHECK(j["subword_count"] == w.subword_count);
    std::vector<std::string> labels;
    std::string dominant;
    hl::HeadLabels(&labels, &dominant, w);
    CHECK(j["labels"] == labels);
    CHECK(j["dominant"] == dominant);
    CHECK(j["examples"]["next"]["token"] == w.examples.next.row);
    REQUIRE(w.examples.subword.row >= 0);  // "straw ##berries"
    CHECK(j["examples"]["subword"]["token"] == w.examples.subword.row);
    CHECK(j["examples"]["subword"]["score"].get<double>() == w.examples.subword.score);
    some_identical |= w.identical_count > 0;
    some_other |= w.other_sentence_count > 0;
  }
  CHECK(some_identical);  // "the", "cat" repeat within A
  CHECK(some_other);      // "the" in both

  // a run from ids: token texts from the vocabulary, segments from the types
  const int32_t ids[] = {101, 1996, 4937, 102, 1996, 102}, types[] = {0, 0, 0, 0, 1, 1};
  int32_t r2 = 0;
  REQUIRE(hl_run_ids(model, ids, types, 6, 1, &r2) == HL_STATUS_OK);
  REQUIRE(hl_result_stats(r2, HL_WEIGHTING_ATTENTION, &js, &len) == HL_STATUS_OK);
  const nlohmann::json st2 = Json(js, len);
  CHECK(st2["per_head"][0]["other_sentence_count"] == 2);  // "the" (1996) in A and in B
  CHECK(st2["per_head"][0]["identical"].is_null());
  CHECK(st2["per_head"][0]["examples"]["identical"].is_null());

  REQUIRE(hl_result_free(result) == HL_STATUS_OK);
  REQUIRE(hl_result_free(r2) == HL_STATUS_OK);
  CHECK(hl_result_stats(result, HL_WEIGHTING_ATTENTION, &js, &len) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(hl_last_error()).find("unknown result handle") != std::string::npos);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("C API: head distances over three texts", "[analysis]") {
  const int32_t model = LoadTiny(), other = LoadTiny();
  int32_t acc = 0;
  REQUIRE(hl_distances_new(model, HL_WEIGHTING_ATTENTION, &acc) == HL_STATUS_OK);
  const char* js;
  size_t len;
  CHECK(hl_distances_mds(acc, &js, &len) == HL_STATUS_INVALID_ARGUMENT);  // nothing added yet
  CHECK(std::string(hl_last_error()).find("no results") != std::string::npos);

  const Strings as{"I went to the store.", "The cat sat on the mat.", "Attention is all you need, they said."};
  const Strings bs{"At the store, I bought fresh strawberries.", "", "Was it?"};
  hl::DistanceSums direct;
  int64_t rows = 0;
  size_t H = 0;
  for (size_t k = 0; k < as.size(); ++k) {
    const int32_t r = Run(model, as[k], bs[k]);
    const void* p;
    size_t bytes;
    REQUIRE(hl_result_get(r, HL_FIELD_SUMMARY_JSON, &p, &bytes) == HL_STATUS_OK);
    const nlohmann::json sum = Json(static_cast<const char*>(p), bytes);
    const size_t n = sum["n"];
    H = static_cast<size_t>(sum["layers"].get<int>() * sum["heads_per_layer"].get<int>());
    if (k == 0) hl::InitDistanceSums(&direct, H);
    REQUIRE(hl_result_get(r, HL_FIELD_ATTENTION, &p, &bytes) == HL_STATUS_OK);
    hl::AddHeadDistances(&direct, static_cast<const float*>(p), H, n);
    rows += static_cast<int64_t>(n);
    REQUIRE(hl_distances_add(acc, r) == HL_STATUS_OK);
    REQUIRE(hl_result_free(r) == HL_STATUS_OK);
  }
  const int32_t foreign = Run(other, "Another model.", "");
  CHECK(hl_distances_add(acc, foreign) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(hl_last_error()).find("another model") != std::string::npos);
  CHECK(hl_distances_add(acc, 987654) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_distances_add(987654, foreign) == HL_STATUS_INVALID_ARGUMENT);

  REQUIRE(hl_distances_mds(acc, &js, &len) == HL_STATUS_OK);
  const nlohmann::json m = Json(js, len);
  CHECK(m["texts"] == 3);
  CHECK(m["rows"] == rows);
  REQUIRE(m["total_heads"] == H);
  const std::vector<double> d = m["distance"];
  REQUIRE(d.size() == H * H);
  REQUIRE(m["points"].size() == H);
  for (size_t i = 0; i < H; ++i) {
    CHECK(d[i * H + i] == 0);
    for (size_t j = 0; j < H; ++j) {
      CHECK(d[i * H + j] == d[j * H + i]);
      CHECK(d[i * H + j] == Approx(direct.sum[i * H + j]).epsilon(1e-15));
      if (i != j) CHECK(d[i * H + j] > 0);
    }
  }
  hl::MdsResult want;
  REQUIRE(hl::Mds2d(&want, direct.sum.data(), H));
  CHECK(m["stress"].get<double>() == Approx(want.stress).epsilon(1e-12));
  CHECK(m["points"][1][0].get<double>() == Approx(want.points[2]).epsilon(1e-12));

  REQUIRE(hl_distances_free(acc) == HL_STATUS_OK);
  CHECK(hl_distances_free(acc) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_distances_mds(acc, &js, &len) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_distances_new(424242, HL_WEIGHTING_ATTENTION, &acc) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_distances_new(model, 9, &acc) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(hl_result_free(foreign) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
  REQUIRE(hl_model_free(other) == HL_STATUS_OK);
}

TEST_CASE("byte-level BPE tokens: words at whitespace, labels name <s> and </s>", "[analysis]") {
  // <s> Hello , Ġworld Ġun believ able </s> </s> Ġit Ċ s </s>
  const std::vector<std::string> texts = {"<s>",  "Hello", ",",   "\xC4\xA0world", "\xC4\xA0un", "believ", "able",
                                          "</s>", "</s>",  "\xC4\xA0it", "\xC4\x8A", "s",   "</s>"};
  const std::vector<int32_t> segments = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const hl::TokenConventions bpe{"<s>", "</s>", true};
  std::vector<int32_t> word;
  hl::WordIndices(&word, texts, segments, bpe);
  CHECK(word == std::vector<int32_t>{-1, 0, 0, 1, 2, 2, 2, -1, -1, 3, 4, 5, -1});
  hl::TokenClasses classes;
  hl::ClassifyTokens(&classes, texts, segments, bpe);
  CHECK(classes.is_cls[0] == 1);
  CHECK(classes.is_sep[7] == 1);
  CHECK(classes.is_sep[8] == 1);
  CHECK(classes.is_punct[2] == 1);
  hl::HeadStats s;
  s.cls = 0.9;
  s.sep = 0.7;
  std::vector<std::string> labels;
  std::string dominant;
  hl::HeadLabels(&labels, &dominant, s, bpe);
  CHECK(labels == std::vector<std::string>{"<s>", "</s>"});
  CHECK(dominant == "<s>");
  hl::HeadLabels(&labels, &dominant, s);
  CHECK(labels == std::vector<std::string>{"[CLS]", "[SEP]"});
}
