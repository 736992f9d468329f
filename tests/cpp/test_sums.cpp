// Accumulators split and added back (hl_distances_sums / _add_sums, hl_syntax_sums / _add_sums): a corpus's parts
// give the whole corpus's head map and syntactic-head table; malformed sums are refused and add nothing.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "headlight.h"
#include "test_util.h"

namespace {

const char* kTexts[] = {"The cat sat on the mat.", "It was warm, and the dog slept.", "Strawberries grew there.",
                        "She read the book twice; he did not.", "A b c d e f g."};

const std::string kTreebank = std::string(hltest::kTwoSentences) +
                              "# sent_id = c\n"
                              "1\tIt\tit\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
                              "2\tworked\twork\tVERB\tVBD\t_\t0\troot\t_\t_\n\n";

int32_t Run(int32_t model, const char* a, int32_t outputs) {
  int32_t result = 0;
  REQUIRE(hl_run(model, a, std::strlen(a), nullptr, 0, 0, 1, 0, outputs, &result) == HL_STATUS_OK);
  return result;
}

nlohmann::json Json(int32_t (*fn)(int32_t, const char**, size_t*), int32_t acc) {
  const char* js;
  size_t len;
  INFO(hl_last_error());
  REQUIRE(fn(acc, &js, &len) == HL_STATUS_OK);
  return nlohmann::json::parse(std::string(js, len));
}

// An accumulator over texts [begin, end) of kTexts.
int32_t DistancesOver(int32_t model, int32_t weighting, size_t begin, size_t end) {
  int32_t acc = 0;
  REQUIRE(hl_distances_new(model, weighting, &acc) == HL_STATUS_OK);
  for (size_t k = begin; k < end; ++k) {
    const int32_t r = Run(model, kTexts[k], weighting == HL_WEIGHTING_NORM ? HL_OUTPUT_VALUE_NORMS : 0);
    REQUIRE(hl_distances_add(acc, r) == HL_STATUS_OK);
    REQUIRE(hl_result_free(r) == HL_STATUS_OK);
  }
  return acc;
}

int32_t AddSums(int32_t (*add)(int32_t, const char*, size_t), int32_t acc, const std::string& sums) {
  return add(acc, sums.data(), sums.size());
}

// |a − b| ≤ tol·max(1, |b|) for every number of two JSON trees of the same shape (strings and bools equal).
void CheckClose(const nlohmann::json& a, const nlohmann::json& b, double tol, const std::string& where = "") {
  INFO(where);
  REQUIRE(a.type() == b.type());
  if (a.is_number()) {
    CHECK(std::fabs(a.get<double>() - b.get<double>()) <= tol * std::max(1.0, std::fabs(b.get<double>())));
  } else if (a.is_array() || a.is_object()) {
    REQUIRE(a.size() == b.size());
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string key = b.is_object() ? it.key() : std::to_string(std::distance(b.begin(), it));
      const nlohmann::json& other = b.is_object() ? a.at(it.key()) : a[std::distance(b.begin(), it)];
      CheckClose(other, *it, tol, where + "/" + key);
    }
  } else {
    CHECK(a == b);
  }
}

}  // namespace

TEST_CASE("Head-map sums: the parts of a corpus added up give the whole corpus's map", "[api][sums]") {
  int32_t model = -1;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", true), &model) == HL_STATUS_OK);
  for (const int32_t weighting : {HL_WEIGHTING_ATTENTION, HL_WEIGHTING_NORM}) {
    INFO("weighting " << weighting);
    const int32_t whole = DistancesOver(model, weighting, 0, 5);
    const int32_t part1 = DistancesOver(model, weighting, 0, 2), part2 = DistancesOver(model, weighting, 2, 5);
    int32_t merged = 0;
    REQUIRE(hl_distances_new(model, weighting, &merged) == HL_STATUS_OK);
    const std::string sums2 = Json(hl_distances_sums, part2).dump(), sums1 = Json(hl_distances_sums, part1).dump();
    REQUIRE(AddSums(hl_distances_add_sums, merged, sums2) == HL_STATUS_OK);  // any order
    REQUIRE(AddSums(hl_distances_add_sums, merged, sums1) == HL_STATUS_OK);
    const nlohmann::json want = Json(hl_distances_mds, whole), got = Json(hl_distances_mds, merged);
    CHECK(got["texts"] == 5);
    CHECK(got["rows"] == want["rows"]);
    CheckClose(got["distance"], want["distance"], 1e-12, "distance");
    CheckClose(got["aggregate"], want["aggregate"], 1e-12, "aggregate");
    CheckClose(got["points"], want["points"], 1e-9, "points");
    // Sums read back exactly: one accumulator's sums added into an empty one give the same sums, digit for digit.
    int32_t copy = 0;
    REQUIRE(hl_distances_new(model, weighting, &copy) == HL_STATUS_OK);
    const std::string whole_sums = Json(hl_distances_sums, whole).dump();
    REQUIRE(AddSums(hl_distances_add_sums, copy, whole_sums) == HL_STATUS_OK);
    CHECK(Json(hl_distances_sums, copy).dump() == whole_sums);
    for (int32_t acc : {whole, part1, part2, merged, copy}) REQUIRE(hl_distances_free(acc) == HL_STATUS_OK);
  }
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("Head-map sums: malformed or mismatched sums are refused and add nothing", "[api][sums]") {
  int32_t model = -1;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", true), &model) == HL_STATUS_OK);
  const int32_t acc = DistancesOver(model, HL_WEIGHTING_ATTENTION, 0, 2);
  const int32_t other = DistancesOver(model, HL_WEIGHTING_ATTENTION, 2, 3);
  const nlohmann::json good = Json(hl_distances_sums, other);
  const std::string before = Json(hl_distances_sums, acc).dump();
  auto bad = [&](const std::string& text, const std::string& message) {
    INFO(text.substr(0, 200));
    CHECK(AddSums(hl_distances_add_sums, acc, text) == HL_STATUS_INVALID_ARGUMENT);
    CHECK(std::string(hl_last_error()).find(message) != std::string::npos);
    CHECK(Json(hl_distances_sums, acc).dump() == before);
  };
  auto with = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[key] = value;
    return j.dump();
  };
  bad("", "not JSON");
  bad(good.dump().substr(0, good.dump().size() / 2), "not JSON");
  bad("[1, 2]", "not a JSON object");
  bad(with("format", "headlight-syntax-sums"), "\"format\" must be \"headlight-head-map-sums\"");
  bad(with("layers", 3), "3 layers x 2 heads, this one has 2 x 2");
  bad(with("weighting", "norm"), "\"attention\" weighting");
  bad(with("texts", -1), "\"texts\" must be a whole number >= 0");
  bad(with("texts", 1.5), "\"texts\" must be a whole number >= 0");
  bad(with("n_log_n", "7"), "\"n_log_n\" must be a finite number");
  nlohmann::json d = good;
  d["distance"].erase(d["distance"].begin());
  bad(d.dump(), "\"distance\" must be an array of 16 finite numbers");
  d = good;
  d["distance"][5] = nullptr;  // how a NaN would print
  bad(d.dump(), "\"distance\"[5] is not finite numbers");
  d = good;
  d["heads"]["subword_count"][3] = -2;
  bad(d.dump(), "\"subword_count\"[3] is not whole numbers >= 0");
  d = good;
  d["heads"].erase("entropy");
  bad(d.dump(), "\"entropy\" must be an array of 4 finite numbers");
  CHECK(hl_distances_add_sums(acc, nullptr, 3) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(hl_distances_add_sums(12345, "{}", 2) == HL_STATUS_INVALID_ARGUMENT);
  REQUIRE(AddSums(hl_distances_add_sums, acc, good.dump()) == HL_STATUS_OK);
  CHECK(Json(hl_distances_mds, acc)["texts"] == 3);
  for (int32_t a : {acc, other}) REQUIRE(hl_distances_free(a) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}

TEST_CASE("Syntax sums: a treebank's parts added in order give the whole table, examples included", "[api][sums]") {
  int32_t model = -1, tb = 0;
  REQUIRE(hltest::LoadThroughApi(hltest::ConvertFixture("tiny-mlm", true), &model) == HL_STATUS_OK);
  REQUIRE(hl_treebank_load(kTreebank.data(), kTreebank.size(), &tb) == HL_STATUS_OK);
  auto over = [&](int32_t begin, int32_t end) {
    int32_t acc = 0;
    REQUIRE(hl_syntax_new(model, tb, &acc) == HL_STATUS_OK);
    for (int32_t k = begin; k < end; ++k) {
      const nlohmann::json s = [&] {
        const char* js;
        size_t len;
        REQUIRE(hl_treebank_json(tb, k, &js, &len) == HL_STATUS_OK);
        return nlohmann::json::parse(std::string(js, len));
      }();
      const int32_t r = Run(model, s["text"].get<std::string>().c_str(), 0);
      REQUIRE(hl_syntax_add(acc, k, r) == HL_STATUS_OK);
      REQUIRE(hl_result_free(r) == HL_STATUS_OK);
    }
    return acc;
  };
  const int32_t whole = over(0, 3), part1 = over(0, 1), part2 = over(1, 3);
  int32_t merged = 0;
  REQUIRE(hl_syntax_new(model, tb, &merged) == HL_STATUS_OK);
  for (int32_t part : {part1, part2})
    REQUIRE(AddSums(hl_syntax_add_sums, merged, Json(hl_syntax_sums, part).dump()) == HL_STATUS_OK);
  CHECK(Json(hl_syntax_json, merged) == Json(hl_syntax_json, whole));
  CHECK(Json(hl_syntax_json, merged)["sentences"] == 3);

  const std::string before = Json(hl_syntax_sums, merged).dump();
  nlohmann::json bad = Json(hl_syntax_sums, part2);
  bad["relations"]["nsubj"]["dependent_to_head"].push_back(0);
  CHECK(AddSums(hl_syntax_add_sums, merged, bad.dump()) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(std::string(hl_last_error()).find("\"dependent_to_head\" must be an array of 4") != std::string::npos);
  bad = Json(hl_syntax_sums, part2);
  bad["relations"].erase("all");
  CHECK(AddSums(hl_syntax_add_sums, merged, bad.dump()) == HL_STATUS_INVALID_ARGUMENT);
  bad = Json(hl_syntax_sums, part2);
  bad["unaligned_examples"] = {{{"sentence", 1}}};
  CHECK(AddSums(hl_syntax_add_sums, merged, bad.dump()) == HL_STATUS_INVALID_ARGUMENT);
  CHECK(AddSums(hl_syntax_add_sums, merged, R"({"format": "headlight-head-map-sums", "layers": 2, "heads_per_layer": 2})") ==
        HL_STATUS_INVALID_ARGUMENT);
  CHECK(Json(hl_syntax_sums, merged).dump() == before);
  for (int32_t acc : {whole, part1, part2, merged}) REQUIRE(hl_syntax_free(acc) == HL_STATUS_OK);
  REQUIRE(hl_treebank_free(tb) == HL_STATUS_OK);
  REQUIRE(hl_model_free(model) == HL_STATUS_OK);
}
