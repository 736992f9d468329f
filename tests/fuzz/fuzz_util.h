// Shared by the libFuzzer targets: models loaded once per process through the C API, and one input cut into parts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "headlight.h"

namespace hlfuzz {

// A file of the repository or of the test fixtures, whole; aborts (a harness error, not a finding) when unreadable.
inline std::vector<uint8_t> ReadOrDie(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "fuzz: cannot read %s (run `bash tests/fixtures/make_fixtures.sh` for build/fixtures)\n", path.c_str());
    std::abort();
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

// A model file loaded through the C API, once; aborts if it does not load (the harness's own input).
inline int32_t LoadOrDie(const std::string& path) {
  const std::vector<uint8_t> bytes = ReadOrDie(path);
  void* p = hl_alloc(bytes.size());
  if (!p) std::abort();
  std::memcpy(p, bytes.data(), bytes.size());
  int32_t model = 0;
  if (hl_model_load(p, bytes.size(), 1, &model) != HL_STATUS_OK) {
    std::fprintf(stderr, "fuzz: %s does not load: %s\n", path.c_str(), hl_last_error());
    std::abort();
  }
  return model;
}

// A Hugging Face fixture folder converted through the C API (int8), loaded; `tokenizer_config` replaces the folder's
// tokenizer_config.json when not empty (e.g. a cased WordPiece from an uncased fixture). Aborts on failure.
inline int32_t ConvertOrDie(const std::string& dir, const std::string& tokenizer_config = "") {
  auto text = [&](const char* name, bool required) {
    const std::string path = dir + "/" + name;
    if (!required && !std::filesystem::exists(path)) return std::string();
    const std::vector<uint8_t> b = ReadOrDie(path);  // aborts with the path
    return std::string(b.begin(), b.end());
  };
  const std::string config = text("config.json", true), vocab = text("vocab.txt", false),
                    tok_config = tokenizer_config.empty() ? text("tokenizer_config.json", false) : tokenizer_config,
                    tok_json = text("tokenizer.json", false);
  auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.data(); };
  int32_t conv = 0;
  if (hl_convert_begin(config.data(), config.size(), opt(vocab), vocab.size(), opt(tok_config), tok_config.size(),
                       opt(tok_json), tok_json.size(), nullptr, 0, 1, &conv) != HL_STATUS_OK) {
    std::fprintf(stderr, "fuzz: converting %s: %s\n", dir.c_str(), hl_last_error());
    std::abort();
  }
  const std::vector<uint8_t> weights = ReadOrDie(dir + "/model.safetensors");
  void* out = nullptr;
  size_t out_length = 0;
  int32_t model = 0;
  if (hl_convert_feed(conv, weights.data(), weights.size(), 1) != HL_STATUS_OK ||
      hl_convert_finish(conv, &out, &out_length) != HL_STATUS_OK || hl_model_load(out, out_length, 1, &model) != HL_STATUS_OK) {
    std::fprintf(stderr, "fuzz: converting %s: %s\n", dir.c_str(), hl_last_error());
    std::abort();
  }
  return model;
}

inline std::string Source(const char* rel) { return std::string(HL_SOURCE_DIR) + "/" + rel; }
inline std::string Fixture(const char* rel) { return std::string(HL_FIXTURES_DIR) + "/" + rel; }

// The input cut at each occurrence of kSeparator into at most `count` parts (missing ones empty; the last takes the
// rest). The seeds and the dictionaries use the same separator, so mutations keep the parts apart or merge them.
constexpr char kSeparator[] = "\n#HL#\n";
inline std::vector<std::string> Parts(const uint8_t* data, size_t size, size_t count) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (parts.size() + 1 < count) {
    const size_t next = in.find(kSeparator, pos);
    if (next == std::string::npos) break;
    parts.push_back(in.substr(pos, next - pos));
    pos = next + sizeof kSeparator - 1;
  }
  parts.push_back(in.substr(pos));
  parts.resize(count);
  return parts;
}

}  // namespace hlfuzz
