// Unicode character properties used by the tokenizer, backed by the generated hl_unicode_tables.
#pragma once
#include <cstdint>

#include "hl_unicode_tables.h"

namespace hl {
namespace unicode {

namespace ut = unicode_tables;

// Property word of cp: flag bits (ut::kControl, ...) | canonical combining class << ut::kCccShift.
inline uint16_t Props(char32_t cp) {
  if (cp >= 0x110000) return 0;
  return ut::kStage2[(static_cast<uint32_t>(ut::kStage1[cp >> ut::kStageShift]) << ut::kStageShift) |
                     (cp & ut::kStageMask)];
}
inline int Ccc(uint16_t props) { return props >> ut::kCccShift; }

// ECMAScript \s (RegExp, String.prototype.trim): WhiteSpace + LineTerminator.
inline bool IsJsSpace(char32_t cp) {
  if (cp < 0x80) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  return (Props(cp) & ut::kJsSpace) != 0;
}

// Major general category for the byte-level BPE regex: ut::kClassLetter (\p{L}), ut::kClassNumber (\p{N}) or
// ut::kClassOther (everything else, unassigned code points included).
inline uint8_t MajorClass(char32_t cp) {
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return ut::kClassLetter;
    return (cp >= '0' && cp <= '9') ? ut::kClassNumber : ut::kClassOther;
  }
  if (cp >= 0x110000) return ut::kClassOther;
  return ut::kClassStage2[(static_cast<uint32_t>(ut::kClassStage1[cp >> ut::kClassShift]) << ut::kClassShift) |
                          (cp & ut::kClassMask)];
}

// Punctuation as transformers.js' BertPreTokenizer sees it: \p{P} or ASCII 21-2F, 3A-40, 5B-60, 7B-7E.
inline bool IsBertPunct(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
  }
  return (Props(cp) & ut::kPunct) != 0;
}

// The code point ranges that BERT treats as "Chinese characters" (CJK Unified Ideographs,
// extension A..F, compatibility ideographs + supplement). These are BERT's definition (Google's
// tokenization.py, copied by every implementation), not a Unicode property.
inline bool IsBertChineseChar(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Writes the context-free full lowercase mapping of cp (root locale) to out[0..n) and returns n
// (1..ut::kMaxLowerLength). Final_Sigma is handled by the caller.
int Lowercase(char32_t cp, char32_t* out);

// Writes the full canonical decomposition of cp (Hangul syllables included) to out and returns its
// length (1 when cp does not decompose). out must hold kMaxDecomposition code points.
constexpr int kMaxDecomposition = ut::kMaxDecompLength > 3 ? ut::kMaxDecompLength : 3;
int Decompose(char32_t cp, char32_t* out);

}  // namespace unicode
}  // namespace hl
