// BertNormalizer (transformers.js semantics) over code points that remember their source byte spans.
#include "tokenizer/normalizer.h"

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace hl {
namespace tokenizer_internal {

namespace ut = unicode_tables;

void DecodeUtf8(std::string_view text, uint32_t base, std::vector<NChar>* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const size_t len = utf8::Decode(text, i, &cp);
    out->push_back(NChar{cp, base + static_cast<uint32_t>(i), base + static_cast<uint32_t>(i + len)});
    i += len;
  }
}

namespace {

void CleanText(std::vector<NChar>* chars) {
  size_t w = 0;
  for (size_t r = 0; r < chars->size(); ++r) {
    NChar c = (*chars)[r];
    if (c.cp == 0 || c.cp == 0xFFFD) continue;
    if (c.cp != '\t' && c.cp != '\n' && c.cp != '\r' && (unicode::Props(c.cp) & ut::kControl)) continue;
    if (unicode::IsJsSpace(c.cp)) c.cp = ' ';
    (*chars)[w++] = c;
  }
  chars->resize(w);
}

void SpaceChineseChars(std::vector<NChar>* chars, std::vector<NChar>* scratch) {
  bool any = false;
  for (const NChar& c : *chars) {
    // transformers.js looks at UTF-16 code units: supplementary ideographs never match.
    if (c.cp <= 0xFFFF && unicode::IsBertChineseChar(c.cp)) {
      any = true;
      break;
    }
  }
  if (!any) return;
  scratch->clear();
  scratch->reserve(chars->size() + 16);
  for (const NChar& c : *chars) {
    if (c.cp <= 0xFFFF && unicode::IsBertChineseChar(c.cp)) {
      scratch->push_back(NChar{' ', c.begin, c.begin});
      scratch->push_back(c);
      scratch->push_back(NChar{' ', c.end, c.end});
    } else {
      scratch->push_back(c);
    }
  }
  chars->swap(*scratch);
}

// ICU's isFollowedByCasedLetter(): skip case-ignorable characters (checked first), then report
// whether the next one is cased. dir = +1 (after i) or -1 (before i).
bool CasedLetterInDirection(const std::vector<NChar>& chars, size_t i, int dir) {
  for (ptrdiff_t k = static_cast<ptrdiff_t>(i) + dir; k >= 0 && k < static_cast<ptrdiff_t>(chars.size()); k += dir) {
    const uint16_t p = unicode::Props(chars[k].cp);
    if (p & ut::kCaseIgnorable) continue;
    return (p & ut::kCased) != 0;
  }
  return false;
}

void Lowercase(std::vector<NChar>* chars, std::vector<NChar>* scratch) {
  bool ascii = true;
  for (const NChar& c : *chars) {
    if (c.cp >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (NChar& c : *chars) {
      if (c.cp >= 'A' && c.cp <= 'Z') c.cp += 32;
    }
    return;
  }
  scratch->clear();
  scratch->reserve(chars->size() + 8);
  char32_t buf[ut::kMaxLowerLength > 2 ? ut::kMaxLowerLength : 2];
  for (size_t i = 0; i < chars->size(); ++i) {
    const NChar& c = (*chars)[i];
    if (c.cp == ut::kFinalSigmaFrom && !CasedLetterInDirection(*chars, i, +1) &&
        CasedLetterInDirection(*chars, i, -1)) {
      scratch->push_back(NChar{ut::kFinalSigmaTo, c.begin, c.end});
      continue;
    }
    const int n = unicode::Lowercase(c.cp, buf);
    for (int k = 0; k < n; ++k) scratch->push_back(NChar{buf[k], c.begin, c.end});
  }
  chars->swap(*scratch);
}

void NfdStripMn(std::vector<NChar>* chars, std::vector<NChar>* scratch) {
  scratch->clear();
  scratch->reserve(chars->size() + 8);
  char32_t buf[unicode::kMaxDecomposition];
  // Canonical ordering: insertion sort (stable) of each appended non-starter behind the
  // non-starters of higher combining class that precede it.
  std::vector<NChar>& out = *scratch;
  for (const NChar& c : *chars) {
    const int n = (c.cp < 0xC0) ? (buf[0] = c.cp, 1) : unicode::Decompose(c.cp, buf);
    for (int k = 0; k < n; ++k) {
      const NChar d{buf[k], c.begin, c.end};
      const int ccc = unicode::Ccc(unicode::Props(d.cp));
      size_t pos = out.size();
      if (ccc != 0) {
        while (pos > 0 && unicode::Ccc(unicode::Props(out[pos - 1].cp)) > ccc) --pos;
      }
      out.insert(out.begin() + pos, d);
    }
  }
  size_t w = 0;
  for (size_t r = 0; r < out.size(); ++r) {
    if (out[r].cp >= 0x300 && (unicode::Props(out[r].cp) & ut::kMn)) continue;
    out[w++] = out[r];
  }
  out.resize(w);
  chars->swap(out);
}

}  // namespace

void BertNormalize(const NormalizerConfig& config, std::vector<NChar>* chars, std::vector<NChar>* scratch) {
  if (config.clean_text) CleanText(chars);
  if (config.handle_chinese_chars) SpaceChineseChars(chars, scratch);
  if (config.lowercase) Lowercase(chars, scratch);
  if (config.strip_accents) NfdStripMn(chars, scratch);
}

std::string NormalizeForTest(const NormalizerConfig& config, std::string_view text) {
  std::vector<NChar> chars, scratch;
  DecodeUtf8(text, 0, &chars);
  BertNormalize(config, &chars, &scratch);
  std::string out;
  for (const NChar& c : chars) utf8::Append(c.cp, &out);
  return out;
}

}  // namespace tokenizer_internal
}  // namespace hl
