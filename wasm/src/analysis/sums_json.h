// Accumulators' sums as JSON and back (HeadMap, SyntaxTable): partial results of a corpus split over processes or
// machines, added up where they meet. Every value read back is checked: the text crossed a network.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace hl {

// j[key] as a whole number in [0, 2^53] (exact in a double, as JSON readers elsewhere hold it).
Status ReadCount(const nlohmann::json& j, const char* key, int64_t* out);
// j[key] as a finite number.
Status ReadSum(const nlohmann::json& j, const char* key, double* out);
// j[key] as an array of exactly `size` whole numbers ≥ 0 (counts) or finite numbers (sums).
Status ReadCounts(const nlohmann::json& j, const char* key, size_t size, std::vector<int64_t>* out);
Status ReadSums(const nlohmann::json& j, const char* key, size_t size, std::vector<double>* out);
// j is an object whose "format" is `format` and whose "layers" and "heads_per_layer" are the given ones.
Status CheckSumsHeader(const nlohmann::json& j, const char* format, size_t layers, size_t heads_per_layer);

}  // namespace hl
