// Status: the error type every engine function returns; no exception crosses the C API.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

namespace hl {

// Kept equal to the HL_STATUS_* values of wasm/include/headlight.h.
enum class Code : int32_t {
  kOk = 0,
  kInvalidArgument = 1,  // caller passed something unusable (empty text, bad handle, bad option)
  kBadModel = 2,         // model/checkpoint file malformed, truncated or inconsistent
  kOutOfMemory = 3,      // an allocation failed
  kUnsupported = 4,      // valid but not handled (e.g. unknown activation)
  kInternal = 5,         // a bug or a library failure (XNNPACK status)
};

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status BadModel(std::string m) { return Status(Code::kBadModel, std::move(m)); }
inline Status OutOfMemory(std::string m) { return Status(Code::kOutOfMemory, std::move(m)); }
inline Status Unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

}  // namespace hl

#define HL_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::hl::Status hl_status_ = (expr);       \
    if (!hl_status_.ok()) return hl_status_; \
  } while (0)
