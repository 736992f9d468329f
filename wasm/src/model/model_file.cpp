// Reading (with full validation) and writing of Headlight model files; see model_file.h for the layout.
#include "model/model_file.h"

#include <algorithm>
#include <cstring>

#include "common/buffer.h"

namespace hl {

const uint8_t kModelMagic[8] = {0x89, 'H', 'L', 'B', 'E', 'R', 'T', '\n'};

namespace {

constexpr size_t kFixedHeader = 24;
constexpr uint64_t kMaxHeaderBytes = 1ull << 30;

uint64_t Align64(uint64_t x) { return (x + 63) & ~uint64_t(63); }

const char* DtypeName(TensorDtype d) { return d == TensorDtype::kF32 ? "f32" : "i8"; }

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

const TensorView* ModelFileView::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

// Four independent multiply-xor lanes over 8-byte words (any single changed word changes its
// lane, since x -> (h ^ x) * odd is a bijection), folded together at the end.
uint64_t Checksum64(const uint8_t* p, size_t n) {
  constexpr uint64_t kPrime = 0x100000001b3ull;
  uint64_t h[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) h[l] = (h[l] ^ load_u64le(p + i + 8 * l)) * kPrime;
  for (; i < n; ++i) h[0] = (h[0] ^ p[i]) * kPrime;
  uint64_t r = static_cast<uint64_t>(n);
  for (int l = 0; l < 4; ++l) {
    r ^= h[l] + 0x9e3779b97f4a7c15ull + (r << 6) + (r >> 2);
    r *= kPrime;
  }
  return r;
}

Status ParseModelFile(const uint8_t* data, size_t size, ModelFileView* out) {
  if (size < kFixedHeader + 8)
    return BadModel("model file is " + std::to_string(size) + " bytes: too short to be a Headlight model (truncated?)");
  if (std::memcmp(data, kModelMagic, 8) != 0) {
    if (size >= 8 && load_u64le(data) < size && data[8] == '{')
      return BadModel("this looks like a .safetensors file, not a Headlight model: convert it first "
                      "(tools/convert or \"open a model…\" with its config.json and vocab.txt)");
    return BadModel("not a Headlight model file (wrong magic bytes)");
  }
  const uint32_t version = load_u32le(data + 8);
  if (version < 1 || version > kModelFormatVersion)
    return BadModel("model file format version " + std::to_string(version) + " is not supported (this engine reads versions 1 to " +
                    std::to_string(kModelFormatVersion) + "): " +
                    (version > kModelFormatVersion ? "update Headlight, or re-convert the model with this one" : "re-convert the model"));
  const uint64_t header_len = load_u64le(data + 16);
  if (header_len == 0 || header_len > kMaxHeaderBytes || header_len > size - kFixedHeader)
    return BadModel("model header length " + std::to_string(header_len) + " does not fit in a file of " +
                    std::to_string(size) + " bytes (truncated?)");
  const char* hb = reinterpret_cast<const char*>(data + kFixedHeader);
  nlohmann::json h = nlohmann::json::parse(hb, hb + header_len, nullptr, /*allow_exceptions=*/false);
  if (h.is_discarded() || !h.is_object()) return BadModel("model header is not valid JSON (corrupted file?)");
  if (!h.contains("format") || h["format"] != "headlight-bert") return BadModel("model header: format is not \"headlight-bert\"");
  if (!h.contains("data_size") || !h["data_size"].is_number_unsigned()) return BadModel("model header: data_size missing");
  const uint64_t data_start = Align64(kFixedHeader + header_len);
  const uint64_t data_size = h["data_size"].get<uint64_t>();
  if (data_size > size || data_start + data_size + 8 != size) {
    const uint64_t expected = data_start + data_size + 8;
    return BadModel("model file is " + std::to_string(size) + " bytes but its header describes " + std::to_string(expected) +
                    (size < expected ? " (truncated download?)" : " (trailing bytes?)"));
  }
  const uint64_t stored = load_u64le(data + size - 8);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION  // fuzzing goes past it: a crafted file carries a valid checksum anyway
  if (stored != Checksum64(data, size - 8)) return BadModel("model file checksum mismatch: the file is corrupted");
#else
  (void)stored;
#endif

  ModelFileView v;
  v.version = version;
  if (!h.contains("config")) return BadModel("model header: config missing");
  HL_RETURN_IF_ERROR(ConfigFromHeader(h["config"], &v.config));
  if (!h.contains("tokenizer") || !h["tokenizer"].is_object()) return BadModel("model header: tokenizer missing");
  v.tokenizer = std::move(h["tokenizer"]);
  v.meta = h.contains("meta") && h["meta"].is_object() ? h["meta"] : nlohmann::json::object();
  if (!h.contains("tensors") || !h["tensors"].is_array()) return BadModel("model header: tensors missing");

  const uint8_t* base = data + data_start;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [begin, end) of every array, for the overlap check
  for (const auto& e : h["tensors"]) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) return BadModel("model header: a tensor has no name");
    const std::string name = e["name"].get<std::string>();
    const std::string where = "model tensor \"" + name + "\": ";
    if (!e.contains("dtype") || !e["dtype"].is_string()) return BadModel(where + "dtype missing");
    if (!e.contains("shape") || !e["shape"].is_array() || e["shape"].empty() || e["shape"].size() > 4)
      return BadModel(where + "shape must have 1 to 4 sizes");
    if (!e.contains("offset") || !e["offset"].is_number_unsigned()) return BadModel(where + "offset missing");
    TensorView t;
    const std::string dt = e["dtype"].get<std::string>();
    size_t width;
    if (dt == "f32") { t.dtype = TensorDtype::kF32; width = 4; }
    else if (dt == "i8") { t.dtype = TensorDtype::kI8; width = 1; }
    else return BadModel(where + "unknown dtype \"" + dt + "\"");
    uint64_t numel = 1;
    for (const auto& s : e["shape"]) {
      if (!s.is_number_unsigned() || s.get<uint64_t>() == 0 || s.get<uint64_t>() > (1ull << 32))
        return BadModel(where + "bad shape " + e["shape"].dump());
      numel *= s.get<uint64_t>();
      if (numel > data_size) return BadModel(where + "shape " + e["shape"].dump() + " is larger than the file");
      t.shape.push_back(static_cast<int64_t>(s.get<uint64_t>()));
    }
    if (e.contains("layout")) {
      if (version < 2 || !e["layout"].is_string() || e["layout"] != "panels_8c2") return BadModel(where + "unknown layout " + e["layout"].dump());
      if (t.dtype != TensorDtype::kI8 || t.shape.size() != 2) return BadModel(where + "only a 2-D i8 tensor can be stored in panels");
      t.layout = Int8Layout::kPanels8c2;
    }
    const uint64_t off = e["offset"].get<uint64_t>();
    // shape sizes are ≤ 2^32 and numel ≤ data_size, so the panels' byte count (numel plus padding) cannot wrap
    const uint64_t bytes = t.layout == Int8Layout::kPanels8c2 ? panels_8c2_bytes(t.shape[0], t.shape[1]) : numel * width;
    if (off % 64 != 0 || off > data_size || bytes > data_size - off)
      return BadModel(where + "data [" + std::to_string(off) + ", +" + std::to_string(bytes) + ") is misaligned or outside the data");
    ranges.emplace_back(off, off + bytes);
    if (t.dtype == TensorDtype::kF32) {
      t.f32 = reinterpret_cast<const float*>(base + off);
    } else {
      t.i8 = reinterpret_cast<const int8_t*>(base + off);
      if (!e.contains("scales_offset") || !e["scales_offset"].is_number_unsigned()) return BadModel(where + "scales_offset missing");
      const uint64_t so = e["scales_offset"].get<uint64_t>(), sbytes = 4 * static_cast<uint64_t>(t.shape[0]);
      if (so % 64 != 0 || so > data_size || sbytes > data_size - so)
        return BadModel(where + "scales are misaligned or outside the data");
      ranges.emplace_back(so, so + sbytes);
      t.scales = reinterpret_cast<const float*>(base + so);
    }
    if (!v.tensors.emplace(name, std::move(t)).second) return BadModel("model header: tensor \"" + name + "\" appears twice");
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) return BadModel("model header: tensor data ranges overlap (corrupted header)");
  *out = std::move(v);
  return Status::Ok();
}

Status ModelFileLayout::Plan(const BertConfig& config, const nlohmann::json& tokenizer, const nlohmann::json& meta,
                             const std::vector<TensorSpec>& tensors, ModelFileLayout* out) {
  ModelFileLayout l;
  nlohmann::json table = nlohmann::json::array();
  uint64_t cursor = 0;
  for (const TensorSpec& t : tensors) {
    Slot s{t, cursor, 0, 0};
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d <= 0 || d > (int64_t(1) << 32)) return InvalidArgument("model file: tensor \"" + t.name + "\" has a bad shape");
      numel *= static_cast<uint64_t>(d);
    }
    s.bytes = numel * (t.dtype == TensorDtype::kF32 ? 4 : 1);
    nlohmann::json e{{"name", t.name}, {"dtype", DtypeName(t.dtype)}, {"shape", t.shape}, {"offset", cursor}};
    if (t.layout == Int8Layout::kPanels8c2) {
      if (t.dtype != TensorDtype::kI8 || t.shape.size() != 2)
        return InvalidArgument("model file: tensor \"" + t.name + "\" cannot be stored in panels (2-D i8 only)");
      s.bytes = panels_8c2_bytes(t.shape[0], t.shape[1]);
      e["layout"] = "panels_8c2";
      l.version_ = 2;
    }
    cursor = Align64(cursor + s.bytes);
    if (t.dtype == TensorDtype::kI8) {
      s.scales_offset = e["scales_offset"] = cursor;
      cursor = Align64(cursor + 4 * static_cast<uint64_t>(t.shape[0]));
    }
    table.push_back(std::move(e));
    l.slots_.push_back(std::move(s));
  }
  const nlohmann::json header{{"format", "headlight-bert"}, {"config", ConfigToHeader(config)}, {"tokenizer", tokenizer},
                              {"meta", meta},               {"data_size", cursor},               {"tensors", table}};
  l.header_ = header.dump();
  l.data_size_ = cursor;
  l.data_start_ = Align64(kFixedHeader + l.header_.size());
  *out = std::move(l);
  return Status::Ok();
}

const ModelFileLayout::Slot* ModelFileLayout::find(const std::string& name) const {
  for (const Slot& s : slots_)
    if (s.spec.name == name) return &s;
  return nullptr;
}

void ModelFileLayout::Seal(uint8_t* file) const {
  std::memcpy(file, kModelMagic, 8);
  store_u32le(file + 8, version_);
  store_u32le(file + 12, 0);
  store_u64le(file + 16, header_.size());
  std::memcpy(file + kFixedHeader, header_.data(), header_.size());
  std::memset(file + kFixedHeader + header_.size(), 0, data_start_ - kFixedHeader - header_.size());
  const uint64_t n = file_size() - 8;
  store_u64le(file + n, Checksum64(file, n));
}

}  // namespace hl
