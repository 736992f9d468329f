// Linear probes (wasm/src/analysis/probe.h) on synthetic word vectors: a planted property is recovered and noise is
// not, training is deterministic, control labels are fixed per word type, and bad input is refused.
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "analysis/probe.h"

namespace {

// rows × dim features: noise N(0, 1), plus (for planted) `signal` times a class centroid (a fixed random unit-ish vector
// per class); labels uniform over classes. Seeded: the same call gives the same data.
struct Synthetic {
  std::vector<float> x;
  std::vector<int32_t> y;
};
Synthetic MakeData(size_t rows, size_t dim, size_t classes, float signal, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centroid(classes * dim);
  std::mt19937 crng(12345);  // the same centroids in the training and held-out sets
  for (auto& c : centroid) c = normal(crng);
  Synthetic d;
  d.x.resize(rows * dim);
  d.y.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    d.y[r] = static_cast<int32_t>(rng() % classes);
    for (size_t k = 0; k < dim; ++k) d.x[r * dim + k] = normal(rng) + signal * centroid[d.y[r] * dim + k];
  }
  return d;
}

double HeldOutAccuracy(const hl::SoftmaxProbe& p, const Synthetic& test) {
  std::vector<int32_t> pred(test.y.size());
  hl::PredictSoftmaxProbe(pred.data(), p, test.x.data(), test.y.size());
  return hl::ProbeAccuracy(pred.data(), test.y.data(), test.y.size());
}

}  // namespace

TEST_CASE("probe: a property planted in the vectors is recovered on held-out rows; noise is not", "[analysis]") {
  const size_t dim = 32, classes = 5;
  hl::ProbeOptions o;
  o.epochs = 10;
  SECTION("planted") {
    const Synthetic train = MakeData(2000, dim, classes, 0.8f, 1), test = MakeData(500, dim, classes, 0.8f, 2);
    hl::SoftmaxProbe p;
    REQUIRE(hl::TrainSoftmaxProbe(&p, train.x.data(), train.y.data(), train.y.size(), dim, classes, o).ok());
    CHECK(HeldOutAccuracy(p, test) > 0.97);  // the classes' means are ~6.4 noise deviations apart
  }
  SECTION("noise: labels unrelated to the vectors") {
    const Synthetic train = MakeData(2000, dim, classes, 0.0f, 3), test = MakeData(500, dim, classes, 0.0f, 4);
    hl::SoftmaxProbe p;
    REQUIRE(hl::TrainSoftmaxProbe(&p, train.x.data(), train.y.data(), train.y.size(), dim, classes, o).ok());
    double majority = 0;
    hl::MajorityLabel(test.y.data(), test.y.size(), &majority);
    CHECK(HeldOutAccuracy(p, test) < majority + 0.06);  // chance is 0.2 with five uniform classes
  }
}

TEST_CASE("probe: training is deterministic given the seed; another seed shuffles differently", "[analysis]") {
  const size_t dim = 16, classes = 3;
  const Synthetic d = MakeData(500, dim, classes, 0.3f, 7);
  hl::ProbeOptions o;
  o.epochs = 3;
  hl::SoftmaxProbe a, b, c;
  REQUIRE(hl::TrainSoftmaxProbe(&a, d.x.data(), d.y.data(), d.y.size(), dim, classes, o).ok());
  REQUIRE(hl::TrainSoftmaxProbe(&b, d.x.data(), d.y.data(), d.y.size(), dim, classes, o).ok());
  CHECK(std::memcmp(a.weights.data(), b.weights.data(), a.weights.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(a.bias.data(), b.bias.data(), a.bias.size() * sizeof(float)) == 0);
  o.seed = 2;
  REQUIRE(hl::TrainSoftmaxProbe(&c, d.x.data(), d.y.data(), d.y.size(), dim, classes, o).ok());
  CHECK(std::memcmp(a.weights.data(), c.weights.data(), a.weights.size() * sizeof(float)) != 0);
}

TEST_CASE("probe: standardisation makes a feature's scale irrelevant; a constant feature is harmless", "[analysis]") {
  const size_t dim = 8, classes = 2;
  Synthetic d = MakeData(800, dim, classes, 1.5f, 9);
  Synthetic t = MakeData(200, dim, classes, 1.5f, 10);
  for (size_t r = 0; r < d.y.size(); ++r) { d.x[r * dim] *= 1000.0f; d.x[r * dim + 1] = 5.0f; }
  for (size_t r = 0; r < t.y.size(); ++r) { t.x[r * dim] *= 1000.0f; t.x[r * dim + 1] = 5.0f; }
  hl::SoftmaxProbe p;
  REQUIRE(hl::TrainSoftmaxProbe(&p, d.x.data(), d.y.data(), d.y.size(), dim, classes, {}).ok());
  CHECK(p.scale[1] == 1.0f);
  CHECK(std::fabs(p.scale[0] * 1000.0f - p.scale[2]) < 0.5f * p.scale[2]);
  CAPTURE(HeldOutAccuracy(p, t));
  CHECK(HeldOutAccuracy(p, t) > 0.95);
}

TEST_CASE("probe: bad input is refused with what is wrong", "[analysis]") {
  std::vector<float> x = {1, 2, 3, 4};
  std::vector<int32_t> y = {0, 1};
  hl::SoftmaxProbe p;
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 0, 2, 2, {}).message().find("at least one row") != std::string::npos);
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 2, 2, 1, {}).message().find("two classes") != std::string::npos);
  y[1] = 2;
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 2, 2, 2, {}).message().find("label 2 of row 1") != std::string::npos);
  y[1] = 1;
  x[3] = std::nanf("");
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 2, 2, 2, {}).message().find("not finite") != std::string::npos);
  x[3] = 4;
  hl::ProbeOptions o;
  o.epochs = 0;
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 2, 2, 2, o).code() == hl::Code::kInvalidArgument);
  o.epochs = 1;
  o.learning_rate = std::nanf("");
  CHECK(hl::TrainSoftmaxProbe(&p, x.data(), y.data(), 2, 2, 2, o).code() == hl::Code::kInvalidArgument);
}

TEST_CASE("probe: control labels are one per word type, whatever the case or order, drawn from the labels' distribution",
          "[analysis]") {
  std::vector<std::string> forms;
  std::vector<int32_t> labels;
  for (int k = 0; k < 3000; ++k) {
    forms.push_back("w" + std::to_string(k % 1000));
    labels.push_back(k % 10 < 7 ? 0 : (k % 10 < 9 ? 1 : 2));  // 70%, 20%, 10%
  }
  forms[5] = "W5";  // the same type as "w5" (rows 5, 1005, 2005)
  std::vector<int32_t> control;
  hl::ControlLabels(&control, forms, labels.data(), forms.size(), 3, 42);
  std::map<std::string, int32_t> of_type;
  std::vector<int> count(3, 0);
  for (size_t r = 0; r < forms.size(); ++r) {
    std::string t = forms[r];
    t[0] = 'w';
    auto [it, fresh] = of_type.emplace(t, control[r]);
    CHECK(it->second == control[r]);
    if (fresh) count[control[r]] += 1;
  }
  CHECK(of_type.size() == 1000);
  CHECK(count[0] > 600);  // ~700 of the 1000 types
  CHECK(count[1] > 130);  // ~200
  CHECK(count[2] > 50);   // ~100
  // reversed rows: each type keeps its label
  std::vector<std::string> rf(forms.rbegin(), forms.rend());
  std::vector<int32_t> rl(labels.rbegin(), labels.rend()), rc;
  hl::ControlLabels(&rc, rf, rl.data(), rf.size(), 3, 42);
  for (size_t r = 0; r < forms.size(); ++r) CHECK(rc[forms.size() - 1 - r] == control[r]);
  // another seed: other labels
  std::vector<int32_t> other;
  hl::ControlLabels(&other, forms, labels.data(), forms.size(), 3, 43);
  CHECK(other != control);
}

TEST_CASE("probe: the majority label and its share; accuracy", "[analysis]") {
  const std::vector<int32_t> y = {2, 1, 2, 1, 0};
  double f = 0;
  CHECK(hl::MajorityLabel(y.data(), y.size(), &f) == 1);  // 1 and 2 tie: the smaller
  CHECK(f == Approx(0.4));
  const std::vector<int32_t> pred = {2, 1, 0, 1, 0};
  CHECK(hl::ProbeAccuracy(pred.data(), y.data(), y.size()) == Approx(0.8));
  CHECK(hl::ProbeAccuracy(pred.data(), y.data(), 0) == 0.0);
}

TEST_CASE("probe: word vectors from token states, by first piece or by the mean of pieces", "[analysis]") {
  // tokens: [CLS] un ##believ ##able story [SEP]; words: 0 = unbelievable, 1 = story, 2 = a word the tokenizer dropped
  const std::vector<float> states = {9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9};  // [6][2]
  const std::vector<int32_t> token_word = {-1, 0, 0, 0, 1, -1};
  std::vector<float> out(3 * 2);
  std::vector<bool> has;
  hl::PoolWordVectors(out.data(), &has, states.data(), token_word.data(), 6, 2, 3, hl::WordPooling::kFirstPiece);
  CHECK(out == std::vector<float>{1, 2, 7, 8, 0, 0});
  CHECK(has == std::vector<bool>{true, true, false});
  hl::PoolWordVectors(out.data(), &has, states.data(), token_word.data(), 6, 2, 3, hl::WordPooling::kMeanOfPieces);
  CHECK(out == std::vector<float>{3, 4, 7, 8, 0, 0});
  CHECK(has == std::vector<bool>{true, true, false});
}

TEST_CASE("probe: the held-out split is by sentence id: fixed by the seed, independent of order, about the share asked",
          "[analysis]") {
  int held = 0;
  for (int k = 0; k < 2000; ++k) {
    const std::string id = "weblog-" + std::to_string(k);
    const bool h = hl::HeldOutSentence(id, 1, 20);
    CHECK(h == hl::HeldOutSentence(id, 1, 20));  // the same answer every time it is asked
    held += h;
  }
  CHECK(held > 330);  // ~400 of 2000
  CHECK(held < 470);
  int moved = 0;
  for (int k = 0; k < 2000; ++k) moved += hl::HeldOutSentence("weblog-" + std::to_string(k), 2, 20) != hl::HeldOutSentence("weblog-" + std::to_string(k), 1, 20);
  CHECK(moved > 400);  // another seed, another split
  CHECK_FALSE(hl::HeldOutSentence("weblog-1", 1, 0));
  CHECK(hl::HeldOutSentence("weblog-1", 1, 100));
}
