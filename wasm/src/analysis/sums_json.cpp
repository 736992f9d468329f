// Checked reading of accumulators' sums from JSON (see sums_json.h).
#include "analysis/sums_json.h"

#include <cmath>

namespace hl {

namespace {

constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool IsCount(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(kMaxExact);
  if (v.is_number_integer()) return v.get<int64_t>() >= 0;
  return false;
}

bool IsSum(const nlohmann::json& v) { return v.is_number() && std::isfinite(v.get<double>()); }

Status Missing(const char* key, const char* what) {
  return InvalidArgument(std::string("sums: \"") + key + "\" must be " + what);
}

template <typename T, typename Check>
Status ReadArray(const nlohmann::json& j, const char* key, size_t size, std::vector<T>* out, Check check,
                 const char* what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array() || it->size() != size)
    return InvalidArgument(std::string("sums: \"") + key + "\" must be an array of " + std::to_string(size) + " " + what);
  out->resize(size);
  for (size_t k = 0; k < size; ++k) {
    const nlohmann::json& v = (*it)[k];
    if (!check(v))
      return InvalidArgument(std::string("sums: \"") + key + "\"[" + std::to_string(k) + "] is not " + what);
    (*out)[k] = v.get<T>();
  }
  return Status::Ok();
}

}  // namespace

Status ReadCount(const nlohmann::json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !IsCount(*it)) return Missing(key, "a whole number >= 0");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadSum(const nlohmann::json& j, const char* key, double* out) {
  auto it = j.find(key);
  if (it == j.end() || !IsSum(*it)) return Missing(key, "a finite number");
  *out = it->get<double>();
  return Status::Ok();
}

Status ReadCounts(const nlohmann::json& j, const char* key, size_t size, std::vector<int64_t>* out) {
  return ReadArray(j, key, size, out, IsCount, "whole numbers >= 0");
}

Status ReadSums(const nlohmann::json& j, const char* key, size_t size, std::vector<double>* out) {
  return ReadArray(j, key, size, out, IsSum, "finite numbers");
}

Status CheckSumsHeader(const nlohmann::json& j, const char* format, size_t layers, size_t heads_per_layer) {
  if (!j.is_object()) return InvalidArgument("sums: not a JSON object");
  auto f = j.find("format");
  if (f == j.end() || !f->is_string() || *f != format)
    return InvalidArgument(std::string("sums: \"format\" must be \"") + format + "\"");
  int64_t L = 0, A = 0;
  HL_RETURN_IF_ERROR(ReadCount(j, "layers", &L));
  HL_RETURN_IF_ERROR(ReadCount(j, "heads_per_layer", &A));
  if (static_cast<size_t>(L) != layers || static_cast<size_t>(A) != heads_per_layer)
    return InvalidArgument("sums: they are of a model with " + std::to_string(L) + " layers x " + std::to_string(A) +
                           " heads, this one has " + std::to_string(layers) + " x " + std::to_string(heads_per_layer));
  return Status::Ok();
}

}  // namespace hl
