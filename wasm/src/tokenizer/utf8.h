// UTF-8 decoding (each invalid byte becomes U+FFFD, never fails) and encoding for the tokenizer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hl {
namespace utf8 {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point starting at s[i] (i < s.size()) into *cp and returns the number of bytes
// it occupies (1..4). A byte that does not start a well-formed sequence (Unicode Table 3-7: no
// overlongs, no surrogates, nothing above U+10FFFF, no truncated sequence) decodes as U+FFFD and
// consumes exactly that one byte.
inline size_t Decode(std::string_view s, size_t i, char32_t* cp) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  const unsigned b0 = p[i];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  auto cont = [&](size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (cont(1)) {
      *cp = ((b0 & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
      return 2;
    }
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (cont(1) && cont(2)) {
      const unsigned b1 = p[i + 1];
      const bool ok = (b0 == 0xE0) ? b1 >= 0xA0 : (b0 == 0xED) ? b1 <= 0x9F : true;
      if (ok) {
        *cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
        return 3;
      }
    }
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (cont(1) && cont(2) && cont(3)) {
      const unsigned b1 = p[i + 1];
      const bool ok = (b0 == 0xF0) ? b1 >= 0x90 : (b0 == 0xF4) ? b1 <= 0x8F : true;
      if (ok) {
        *cp = ((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) | (p[i + 3] & 0x3Fu);
        return 4;
      }
    }
  }
  *cp = kReplacement;
  return 1;
}

// Appends the UTF-8 encoding of cp (a Unicode scalar value or U+FFFD) to *out.
inline void Append(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// True if s is entirely well-formed UTF-8 (and contains no U+FFFD produced by an invalid byte).
bool IsValid(std::string_view s);

}  // namespace utf8
}  // namespace hl
