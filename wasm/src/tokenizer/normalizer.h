// BertNormalizer as transformers.js runs it (clean text, CJK spacing, lowercase, NFD + strip Mn), with byte spans.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hl {
namespace tokenizer_internal {

// One code point of (normalized) text and the byte span [begin, end) of the original character
// it came from. Spaces inserted around CJK characters have begin == end (an empty span).
struct NChar {
  char32_t cp;
  uint32_t begin, end;
};

struct NormalizerConfig {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  bool strip_accents = true;  // already resolved: HF's None means "same as lowercase"
};

// Decodes text[0..size) (invalid bytes -> U+FFFD, one per byte) into *out, spans offset by `base`.
void DecodeUtf8(std::string_view text, uint32_t base, std::vector<NChar>* out);

// Applies BertNormalizer.normalize() of @huggingface/tokenizers 0.2 to *chars in place:
//  1. clean_text: drop U+0000, U+FFFD and control characters (gc Cc/Cf/Co/Cs except \t \n \r);
//     map every JS \s character to U+0020.
//  2. handle_chinese_chars: surround each CJK ideograph with spaces. transformers.js tests UTF-16
//     code units, so only BMP ideographs (U+3400..4DBF, U+4E00..9FFF, U+F900..FAFF) are spaced;
//     supplementary-plane ideographs (U+20000..) are left as they are (unlike Python/Rust HF).
//  3. lowercase: String.prototype.toLowerCase() (ICU root locale: full mappings incl. U+0130 ->
//     "i̇", and Final_Sigma with ICU's rule that a character that is both cased and case-ignorable
//     counts as case-ignorable).
//  4. strip_accents: NFD (canonical decomposition + canonical ordering), then drop gc Mn.
// `scratch` is reused working memory.
void BertNormalize(const NormalizerConfig& config, std::vector<NChar>* chars, std::vector<NChar>* scratch);

// Convenience for tests: normalizes a UTF-8 string and returns the UTF-8 result.
std::string NormalizeForTest(const NormalizerConfig& config, std::string_view text);

}  // namespace tokenizer_internal
}  // namespace hl
