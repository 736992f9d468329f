// Safetensors parsing: 8-byte little-endian header length, JSON header, then raw tensor data.
#include "model/safetensors.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "common/buffer.h"

namespace hl {
namespace {

bool ParseDtype(const std::string& s, StDtype* d, size_t* width) {
  static const struct { const char* name; StDtype d; size_t w; } kTable[] = {
      {"F32", StDtype::kF32, 4}, {"F16", StDtype::kF16, 2}, {"BF16", StDtype::kBF16, 2}, {"F64", StDtype::kF64, 8},
      {"I64", StDtype::kI64, 8}, {"I32", StDtype::kI32, 4}, {"I16", StDtype::kI16, 2},  {"I8", StDtype::kI8, 1},
      {"U8", StDtype::kU8, 1},   {"BOOL", StDtype::kBool, 1}};
  for (const auto& e : kTable)
    if (s == e.name) { *d = e.d; *width = e.w; return true; }
  return false;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) { mant <<= 1; --exp; }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

const char* StDtypeName(StDtype d) {
  switch (d) {
    case StDtype::kF32: return "F32";
    case StDtype::kF16: return "F16";
    case StDtype::kBF16: return "BF16";
    case StDtype::kF64: return "F64";
    case StDtype::kI64: return "I64";
    case StDtype::kI32: return "I32";
    case StDtype::kI16: return "I16";
    case StDtype::kI8: return "I8";
    case StDtype::kU8: return "U8";
    case StDtype::kBool: return "BOOL";
  }
  return "?";
}

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Status SafetensorsFile::Parse(const uint8_t* data, size_t size, SafetensorsFile* out) {
  if (size < 8) return BadModel("model.safetensors: file is " + std::to_string(size) + " bytes, too short for a header");
  const uint64_t header_len = load_u64le(data);
  if (header_len > size - 8)
    return BadModel("model.safetensors: header length " + std::to_string(header_len) + " exceeds the file size " +
                    std::to_string(size) + " (truncated file?)");
  SafetensorsFile f;
  HL_RETURN_IF_ERROR(ParseHeader(data + 8, static_cast<size_t>(header_len), size - 8 - header_len, &f));
  for (auto& kv : f.tensors_) kv.second.data = data + 8 + header_len + kv.second.offset;
  *out = std::move(f);
  return Status::Ok();
}

Status SafetensorsFile::ParseHeader(const uint8_t* json, size_t length, uint64_t data_size, SafetensorsFile* out) {
  const char* hbegin = reinterpret_cast<const char*>(json);
  nlohmann::json header = nlohmann::json::parse(hbegin, hbegin + length, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return BadModel("model.safetensors: header is not valid JSON");
  SafetensorsFile f;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const std::string& name = it.key();
    const nlohmann::json& e = it.value();
    const std::string where = "model.safetensors: tensor \"" + name + "\": ";
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      return BadModel(where + "entry needs dtype, shape and data_offsets");
    const nlohmann::json& jd = e["dtype"];
    const nlohmann::json& js = e["shape"];
    const nlohmann::json& jo = e["data_offsets"];
    StTensor t;
    size_t width = 0;
    if (!jd.is_string() || !ParseDtype(jd.get<std::string>(), &t.dtype, &width))
      return BadModel(where + "unknown dtype " + jd.dump());
    if (!js.is_array() || js.size() > 8) return BadModel(where + "shape must be an array of at most 8 sizes");
    uint64_t numel = 1;
    for (const auto& s : js) {
      if (!s.is_number_unsigned() || s.get<uint64_t>() > (1ull << 40)) return BadModel(where + "bad shape " + js.dump());
      numel *= s.get<uint64_t>();
      if (numel > (1ull << 40)) return BadModel(where + "shape " + js.dump() + " is absurdly large");
      t.shape.push_back(static_cast<int64_t>(s.get<uint64_t>()));
    }
    if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() || !jo[1].is_number_unsigned())
      return BadModel(where + "data_offsets must be [begin, end]");
    const uint64_t b = jo[0].get<uint64_t>(), en = jo[1].get<uint64_t>();
    if (b > en || en > data_size)
      return BadModel(where + "data_offsets [" + std::to_string(b) + ", " + std::to_string(en) +
                      "] lie outside the data section of " + std::to_string(data_size) + " bytes (truncated file?)");
    if (en - b != numel * width)
      return BadModel(where + "holds " + std::to_string(en - b) + " bytes but dtype × shape needs " +
                      std::to_string(numel * width));
    t.offset = b;
    t.bytes = static_cast<size_t>(en - b);
    f.tensors_.emplace(name, std::move(t));
  }
  *out = std::move(f);
  return Status::Ok();
}

Status SafetensorsFile::ToF32(const StTensor& t, std::vector<float>* out) {
  out->resize(static_cast<size_t>(t.numel()));
  return ToF32(t, out->data());
}

Status SafetensorsFile::ToF32(const StTensor& t, float* o) {
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.dtype) {
    case StDtype::kF32: std::memcpy(o, t.data, n * 4); break;
    case StDtype::kF64:
      for (size_t i = 0; i < n; ++i) { double d; std::memcpy(&d, t.data + 8 * i, 8); o[i] = static_cast<float>(d); }
      break;
    case StDtype::kF16:
      for (size_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, t.data + 2 * i, 2); o[i] = HalfToFloat(h); }
      break;
    case StDtype::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h; std::memcpy(&h, t.data + 2 * i, 2);
        const uint32_t bits = static_cast<uint32_t>(h) << 16;
        std::memcpy(&o[i], &bits, 4);
      }
      break;
    default: return BadModel(std::string("tensor has dtype ") + StDtypeName(t.dtype) + ", expected a float type");
  }
  return Status::Ok();
}

}  // namespace hl
