// Lookups into the generated lowercase and canonical-decomposition tables (see unicode.h).
#include "tokenizer/unicode.h"

#include <algorithm>

namespace hl {
namespace unicode {

namespace {
template <size_t N>
int FindSorted(const uint32_t (&table)[N], int count, char32_t cp) {
  const uint32_t* end = table + count;
  const uint32_t* it = std::lower_bound(table, end, static_cast<uint32_t>(cp));
  return (it != end && *it == cp) ? static_cast<int>(it - table) : -1;
}
}  // namespace

int Lowercase(char32_t cp, char32_t* out) {
  if (cp < 0x80) {
    out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    return 1;
  }
  if (!(Props(cp) & ut::kHasLower)) {
    out[0] = cp;
    return 1;
  }
  const int i = FindSorted(ut::kLowerFrom, ut::kLowerCount, cp);
  if (i < 0) {  // cannot happen with consistent tables
    out[0] = cp;
    return 1;
  }
  const int len = ut::kLowerLength[i];
  if (len == 1) {
    out[0] = ut::kLowerFirst[i];
    return 1;
  }
  for (int k = 0; k < len; ++k) out[k] = ut::kLowerPool[ut::kLowerFirst[i] + k];
  return len;
}

int Decompose(char32_t cp, char32_t* out) {
  // Hangul syllable decomposition (The Unicode Standard, section 3.12).
  constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr int kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = 19 * kNCount;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const int s = static_cast<int>(cp - kSBase);
    out[0] = kLBase + s / kNCount;
    out[1] = kVBase + (s % kNCount) / kTCount;
    const int t = s % kTCount;
    if (t == 0) return 2;
    out[2] = kTBase + t;
    return 3;
  }
  if (cp < 0xC0 || !(Props(cp) & ut::kHasDecomp)) {
    out[0] = cp;
    return 1;
  }
  const int i = FindSorted(ut::kDecompFrom, ut::kDecompCount, cp);
  if (i < 0) {
    out[0] = cp;
    return 1;
  }
  const int len = ut::kDecompLength[i];
  for (int k = 0; k < len; ++k) out[k] = ut::kDecompPool[ut::kDecompOffset[i] + k];
  return len;
}

}  // namespace unicode
}  // namespace hl
