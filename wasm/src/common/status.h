// Status: the error type every engine function returns; no exception crosses the C API.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "headlight.h"

namespace hl {

// One enumerator per HL_STATUS_* code of headlight.h, named after it (tests/js/contract.test.mjs checks the names).
enum class Code : int32_t {
  kOk = HL_STATUS_OK,
  kInvalidArgument = HL_STATUS_INVALID_ARGUMENT,  // unusable input (empty text, bad handle, bad option)
  kBadModel = HL_STATUS_BAD_MODEL,                // model/checkpoint file malformed, truncated or inconsistent
  kOutOfMemory = HL_STATUS_OUT_OF_MEMORY,         // an allocation failed
  kUnsupported = HL_STATUS_UNSUPPORTED,           // valid but not handled (e.g. unknown activation)
  kInternal = HL_STATUS_INTERNAL,                 // a bug or a library failure (XNNPACK status)
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
