// UTF-8 validation helper for the tokenizer (decoding/encoding are inline in utf8.h).
#include "tokenizer/utf8.h"

namespace hl {
namespace utf8 {

bool IsValid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = Decode(s, i, &cp);
    if (cp == kReplacement && len == 1) return false;  // a real U+FFFD is 3 bytes long
    i += len;
  }
  return true;
}

}  // namespace utf8
}  // namespace hl
