// Whole-file reading and writing for native tools and tests (wasm tests use NODERAWFS).
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/status.h"

namespace hl {

inline Status ReadFileAligned(const std::string& path, AlignedBuffer* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return InvalidArgument("cannot open " + path);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (size < 0 || !out->allocate(static_cast<size_t>(size))) { std::fclose(f); return OutOfMemory("cannot read " + path); }
  const size_t got = size ? std::fread(out->data(), 1, static_cast<size_t>(size), f) : 0;
  std::fclose(f);
  if (got != static_cast<size_t>(size)) return InvalidArgument("short read from " + path);
  return Status::Ok();
}

inline Status ReadFileString(const std::string& path, std::string* out) {
  AlignedBuffer b;
  HL_RETURN_IF_ERROR(ReadFileAligned(path, &b));
  out->assign(reinterpret_cast<const char*>(b.data()), b.size());
  return Status::Ok();
}

inline bool FileExists(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f) std::fclose(f);
  return f != nullptr;
}

inline Status WriteFile(const std::string& path, const void* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return InvalidArgument("cannot write " + path);
  const size_t put = std::fwrite(data, 1, size, f);
  const bool ok = std::fclose(f) == 0 && put == size;
  return ok ? Status::Ok() : InvalidArgument("write to " + path + " failed (disk full?)");
}

}  // namespace hl
