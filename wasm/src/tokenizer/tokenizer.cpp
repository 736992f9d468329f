// Tokenizer: added-token splitting, per-section WordPiece (BertNormalizer + BertPreTokenizer) or byte-level BPE, special tokens and truncation.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "tokenizer/bpe.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab_index.h"
#include "tokenizer/wordpiece.h"

namespace hl {

using tokenizer_internal::NChar;
using tokenizer_internal::Piece;
using tokenizer_internal::VocabIndex;
using tokenizer_internal::WordPiece;
using tokenizer_internal::WordRange;

namespace {
constexpr size_t kChunkBytes = 1 << 16;  // normalization unit for long sections (see TokenizeInto)
}  // namespace

Tokenizer::~Tokenizer() = default;

Status Tokenizer::Create(std::vector<std::string> vocab, TokenizerOptions options, std::unique_ptr<Tokenizer>* out) {
  return Create(std::move(vocab), {}, std::move(options), out);
}

Status Tokenizer::Create(std::vector<std::string> vocab, std::vector<std::pair<std::string, std::string>> merges,
                         TokenizerOptions options, std::unique_ptr<Tokenizer>* out) {
  if (out == nullptr) return InvalidArgument("Tokenizer::Create: out is null");
  out->reset();
  const bool bpe = options.kind == TokenizerKind::kByteLevelBpe;
  if (!bpe && options.kind != TokenizerKind::kWordPiece) return InvalidArgument("Tokenizer::Create: unknown tokenizer kind");
  if (!bpe && !merges.empty()) return InvalidArgument("Tokenizer::Create: a WordPiece tokenizer has no merges");
  if (options.strip_accents < -1 || options.strip_accents > 1) {
    return InvalidArgument("Tokenizer::Create: strip_accents must be -1 (as lowercase), 0 or 1, got " +
                           std::to_string(options.strip_accents));
  }
  if (options.max_input_chars_per_word < 0) {
    return InvalidArgument("Tokenizer::Create: max_input_chars_per_word must be >= 0, got " +
                           std::to_string(options.max_input_chars_per_word));
  }
  if (!utf8::IsValid(options.continuing_subword_prefix)) {
    return InvalidArgument("Tokenizer::Create: continuing_subword_prefix is not valid UTF-8");
  }
  if (vocab.empty()) return BadModel("tokenizer vocabulary is empty");
  if (vocab.size() > static_cast<size_t>(INT32_MAX)) return BadModel("tokenizer vocabulary has more than 2^31-1 entries");
  for (size_t i = 0; i < vocab.size(); ++i) {
    if (!utf8::IsValid(vocab[i])) {
      return BadModel("tokenizer vocabulary entry " + std::to_string(i) + " is not valid UTF-8");
    }
  }

  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->options_ = std::move(options);
  t->vocab_ = std::move(vocab);
  t->index_ = std::make_unique<VocabIndex>();
  t->index_->Build(t->vocab_);
  HL_RETURN_IF_ERROR(t->SetUpAddedTokens());
  const TokenizerOptions& o = t->options_;
  t->strip_accents_ = o.strip_accents < 0 ? o.lowercase : o.strip_accents == 1;
  if (bpe) {
    t->merges_ = std::move(merges);
    t->bpe_ = std::make_unique<tokenizer_internal::Bpe>();
    HL_RETURN_IF_ERROR(t->bpe_->Build(t->index_.get(), t->merges_, o.ignore_merges));
  } else {
    t->wordpiece_ = std::make_unique<WordPiece>(t->index_.get(), o.continuing_subword_prefix, t->unk_id_,
                                                o.max_input_chars_per_word);
  }
  *out = std::move(t);
  return Status::Ok();
}

// The five special tokens (their ids), then options.added_tokens: each an added token, split out of text first.
Status Tokenizer::SetUpAddedTokens() {
  const TokenizerOptions& o = options_;
  const std::pair<const char*, const std::string*> specials[] = {
      {"pad_token", &o.pad_token}, {"unk_token", &o.unk_token}, {"cls_token", &o.cls_token},
      {"sep_token", &o.sep_token}, {"mask_token", &o.mask_token}};
  int32_t* ids[] = {&pad_id_, &unk_id_, &cls_id_, &sep_id_, &mask_id_};
  auto add = [&](const std::string& s, const char* what) -> Status {
    if (s.empty()) return InvalidArgument(std::string("Tokenizer::Create: ") + what + " is empty");
    if (!utf8::IsValid(s)) return InvalidArgument(std::string("Tokenizer::Create: ") + what + " is not valid UTF-8");
    const int32_t id = index_->Find(s);
    if (id < 0) return BadModel(std::string("tokenizer vocabulary has no ") + what + " \"" + s + "\"");
    const bool seen = std::any_of(added_.begin(), added_.end(), [&](const AddedToken& a) { return a.content == s; });
    if (!seen) added_.push_back(AddedToken{s, id});
    return Status::Ok();
  };
  for (size_t k = 0; k < 5; ++k) {
    HL_RETURN_IF_ERROR(add(*specials[k].second, specials[k].first));
    *ids[k] = index_->Find(*specials[k].second);
  }
  for (const AddedTokenFlags& f : o.added_tokens) {
    HL_RETURN_IF_ERROR(add(f.content, "added token"));
    for (AddedToken& a : added_) {
      if (a.content != f.content) continue;
      a.lstrip = f.lstrip;
      a.rstrip = f.rstrip;
    }
  }
  for (const AddedToken& a : added_) {
    for (size_t i = 0; i < a.content.size();) {
      char32_t cp;
      i += utf8::Decode(a.content, i, &cp);
      if (unicode::IsJsSpace(cp)) chunking_ok_ = false;
    }
  }
  return Status::Ok();
}

int32_t Tokenizer::TokenToId(std::string_view token) const { return index_->Find(token); }

const std::string& Tokenizer::IdToToken(int32_t id) const {
  static const std::string kEmpty;
  if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return kEmpty;
  return vocab_[id];
}

Status Tokenizer::Tokenize(std::string_view text, std::vector<Token>* out) const {
  if (out == nullptr) return InvalidArgument("Tokenizer::Tokenize: out is null");
  out->clear();
  return TokenizeInto(text, 0, out);
}

namespace {

// [s, e) without its leading / trailing ECMAScript whitespace (String.prototype.trimStart / trimEnd).
size_t TrimStart(std::string_view text, size_t s, size_t e) {
  while (s < e) {
    char32_t cp;
    const size_t len = utf8::Decode(text.substr(0, e), s, &cp);
    if (!unicode::IsJsSpace(cp)) break;
    s += len;
  }
  return s;
}
size_t TrimEnd(std::string_view text, size_t s, size_t e) {
  size_t last_end = s;  // end of the last non-space character
  for (size_t i = s; i < e;) {
    char32_t cp;
    i += utf8::Decode(text.substr(0, e), i, &cp);
    if (!unicode::IsJsSpace(cp)) last_end = i;
  }
  return last_end;
}

}  // namespace

Status Tokenizer::TokenizeInto(std::string_view text, int32_t segment, std::vector<Token>* out) const {
  if (text.size() > static_cast<size_t>(INT32_MAX) - 8) {
    return InvalidArgument("Tokenizer: text longer than 2^31 bytes");
  }
  // Split out added tokens typed in the raw text: leftmost, then longest match (DictionarySplitter).
  struct Section {
    size_t begin, end;
    const AddedToken* token;  // null for text
  };
  std::vector<Section> sections;
  bool first_byte[256] = {};
  for (const AddedToken& a : added_) first_byte[static_cast<unsigned char>(a.content[0])] = true;
  size_t section_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    if (first_byte[b]) {
      const AddedToken* best = nullptr;
      for (const AddedToken& a : added_) {
        if (a.content.size() <= text.size() - i && std::memcmp(text.data() + i, a.content.data(), a.content.size()) == 0 &&
            (best == nullptr || a.content.size() > best->content.size())) {
          best = &a;
        }
      }
      if (best != nullptr) {
        if (i > section_start) sections.push_back(Section{section_start, i, nullptr});
        sections.push_back(Section{i, i + best->content.size(), best});
        i += best->content.size();
        section_start = i;
        continue;
      }
    }
    if (b < 0x80) {
      ++i;
    } else {
      char32_t cp;
      i += utf8::Decode(text, i, &cp);
    }
  }
  if (section_start < text.size()) sections.push_back(Section{section_start, text.size(), nullptr});

  // lstrip / rstrip: an added token eats the whitespace of the text next to it (transformers.js encode_text).
  for (size_t k = 0; k < sections.size(); ++k) {
    const AddedToken* a = sections[k].token;
    if (a == nullptr) continue;
    if (a->lstrip && k > 0 && sections[k - 1].token == nullptr)
      sections[k - 1].end = TrimEnd(text, sections[k - 1].begin, sections[k - 1].end);
    if (a->rstrip && k + 1 < sections.size() && sections[k + 1].token == nullptr)
      sections[k + 1].begin = TrimStart(text, sections[k + 1].begin, sections[k + 1].end);
  }
  for (const Section& sec : sections) {
    if (sec.token != nullptr) {
      out->push_back(Token{sec.token->id, segment, static_cast<int32_t>(sec.begin), static_cast<int32_t>(sec.end),
                           vocab_[sec.token->id]});
    } else if (sec.end > sec.begin) {
      if (bpe_) {
        BpeSection(text, sec.begin, sec.end, segment, out);
      } else {
        WordPieceSection(text, sec.begin, sec.end, segment, out);
      }
    }
  }
  return Status::Ok();
}

// One section of text between added tokens: BertNormalizer, BertPreTokenizer, WordPiece.
void Tokenizer::WordPieceSection(std::string_view text, size_t section_begin, size_t section_end, int32_t segment,
                                 std::vector<Token>* out) const {
  tokenizer_internal::NormalizerConfig ncfg;
  ncfg.clean_text = options_.clean_text;
  ncfg.handle_chinese_chars = options_.handle_chinese_chars;
  ncfg.lowercase = options_.lowercase;
  ncfg.strip_accents = strip_accents_;

  std::vector<NChar> chars, scratch;
  std::vector<WordRange> words;
  std::vector<Piece> pieces;
  WordPiece::Scratch wp_scratch;
  std::string normalized;
  size_t max_added_bytes = 0;
  for (const AddedToken& a : added_) max_added_bytes = std::max(max_added_bytes, a.content.size());

  auto emit = [&](int32_t id, uint32_t begin, uint32_t end) {
    out->push_back(Token{id, segment, static_cast<int32_t>(begin), static_cast<int32_t>(end), vocab_[id]});
  };
  // One unit of normalization: a whole section, or a chunk of a long one (see below).
  auto process_unit = [&](size_t s, size_t e, bool whole_section) {
    tokenizer_internal::DecodeUtf8(text.substr(s, e - s), static_cast<uint32_t>(s), &chars);
    tokenizer_internal::BertNormalize(ncfg, &chars, &scratch);
    if (chars.empty()) return;
    // transformers.js: a section whose normalized text is exactly an added token becomes it.
    if (whole_section && chars.size() <= max_added_bytes) {
      normalized.clear();
      for (const NChar& c : chars) utf8::Append(c.cp, &normalized);
      for (const AddedToken& a : added_) {
        if (a.content == normalized) {
          emit(a.id, static_cast<uint32_t>(s), static_cast<uint32_t>(e));
          return;
        }
      }
    }
    tokenizer_internal::SplitWords(chars, &words);
    for (const WordRange& w : words) {
      pieces.clear();
      wordpiece_->Tokenize(chars.data() + w.begin, w.end - w.begin, &wp_scratch, &pieces);
      for (const Piece& p : pieces) emit(p.id, p.begin, p.end);
    }
  };

  // A section of text between special tokens. Long sections are normalized in chunks that start
  // at an ASCII space/tab/newline/CR byte: such a character survives normalization as whitespace,
  // which no word, Final_Sigma context or canonical reordering crosses, so the result is the same
  // while working memory stays bounded. (A chunked section contains whitespace after
  // normalization, so it cannot equal an added token unless one contains whitespace; chunking is
  // off in that case.)
  auto process_section = [&](size_t s, size_t e) {
    bool chunked = false;
    while (chunking_ok_ && e - s > kChunkBytes) {
      size_t cut = s + kChunkBytes;
      while (cut < e && text[cut] != ' ' && text[cut] != '\t' && text[cut] != '\n' && text[cut] != '\r') ++cut;
      if (cut >= e) break;
      process_unit(s, cut, false);
      s = cut;
      chunked = true;
    }
    process_unit(s, e, !chunked);
  };

  process_section(section_begin, section_end);
}

// One section of text between added tokens: ByteLevel pre-tokenizer (GPT-2 regex over code points, bytes → byte-level
// characters) and BPE. Long sections are processed in chunks cut before a U+0020 that follows an ASCII letter or
// digit: no word of the pattern continues a letter or digit run with a space, so a word starts there and the words
// are the same, while working memory stays bounded.
void Tokenizer::BpeSection(std::string_view text, size_t s, size_t e, int32_t segment, std::vector<Token>* out) const {
  const auto ascii_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  std::vector<NChar> chars;
  std::vector<WordRange> words;
  std::vector<uint8_t> bytes;             // one word's UTF-8 bytes [m]
  std::vector<uint32_t> byte_begin, byte_end;  // [m] span of the original character each byte belongs to
  std::vector<tokenizer_internal::BpePiece> pieces;
  tokenizer_internal::Bpe::Scratch scratch;
  std::string encoded;
  const bool prefix_space = options_.add_prefix_space && text[s] != ' ';  // transformers.js: !text.startsWith(" ")
  for (bool first_chunk = true; s < e; first_chunk = false) {
    size_t cut = e;
    if (e - s > kChunkBytes) {
      cut = s + kChunkBytes;
      while (cut < e && !(text[cut] == ' ' && ascii_alnum(text[cut - 1]))) ++cut;
    }
    tokenizer_internal::DecodeUtf8(text.substr(s, cut - s), static_cast<uint32_t>(s), &chars);
    if (first_chunk && prefix_space) chars.insert(chars.begin(), NChar{' ', static_cast<uint32_t>(s), static_cast<uint32_t>(s)});
    words.clear();
    tokenizer_internal::SplitByteLevelWords(chars.data(), chars.size(), &words);
    for (const WordRange& w : words) {
      bytes.clear();
      byte_begin.clear();
      byte_end.clear();
      for (size_t k = w.begin; k < w.end; ++k) {
        encoded.clear();
        utf8::Append(chars[k].cp, &encoded);  // an invalid byte was read as U+FFFD: EF BF BD
        for (char c : encoded) {
          bytes.push_back(static_cast<uint8_t>(c));
          byte_begin.push_back(chars[k].begin);
          byte_end.push_back(chars[k].end);
        }
      }
      pieces.clear();
      bpe_->Tokenize(bytes.data(), bytes.size(), &scratch, &pieces);
      for (const tokenizer_internal::BpePiece& p : pieces) {
        size_t first = p.first, last = p.last;
        if (options_.trim_offsets) {  // leave the spaces at the token's ends out of its span
          size_t a = first, z = last + 1;
          while (a < z && bytes[a] == ' ') ++a;
          while (z > a && bytes[z - 1] == ' ') --z;
          if (a < z) {
            first = a;
            last = z - 1;
          }
        }
        out->push_back(Token{p.id, segment, static_cast<int32_t>(byte_begin[first]), static_cast<int32_t>(byte_end[last]),
                             vocab_[p.id]});
      }
    }
    s = cut;
  }
}

Status Tokenizer::Encode(std::string_view a, std::string_view b, bool has_b, size_t max_tokens, Encoding* out) const {
  if (out == nullptr) return InvalidArgument("Tokenizer::Encode: out is null");
  *out = Encoding();
  if (max_tokens < 3) {
    return InvalidArgument("Tokenizer::Encode: max_tokens must be at least 3 ([CLS] A [SEP]), got " +
                           std::to_string(max_tokens));
  }
  const bool bpe = bpe_ != nullptr;
  if (has_b && max_tokens < (bpe ? 6u : 5u)) {
    return InvalidArgument(std::string("Tokenizer::Encode: max_tokens must be at least ") +
                           (bpe ? "6 for a pair (<s> A </s></s> B </s>)" : "5 for a pair ([CLS] A [SEP] B [SEP])") +
                           ", got " + std::to_string(max_tokens));
  }
  for (const auto& [name, text] : {std::pair<const char*, std::string_view>{"A", a}, {"B", has_b ? b : std::string_view()}}) {
    if (text.size() > kMaxTextBytes)
      return InvalidArgument(std::string("text ") + name + " is " + std::to_string(text.size()) +
                             " bytes of UTF-8; Headlight reads at most " + std::to_string(kMaxTextBytes) +
                             " bytes (1 MiB) per text: shorten it (a model sees at most its maximum number of tokens anyway)");
  }
  const bool pair = has_b && !b.empty();  // transformers.js: `text_pair || null`
  std::vector<Token> ta, tb;
  HL_RETURN_IF_ERROR(TokenizeInto(a, 0, &ta));
  if (pair) HL_RETURN_IF_ERROR(TokenizeInto(b, 1, &tb));

  const size_t budget = max_tokens - (pair ? (bpe ? 4 : 3) : 2);  // room left by the special tokens
  size_t keep_a = ta.size(), keep_b = tb.size();
  if (keep_a + keep_b > budget) {
    if (!pair) {
      keep_a = budget;
    } else {
      // tokenizers (Rust) utils/truncation.rs, TruncationStrategy::LongestFirst.
      size_t n1 = ta.size(), n2 = tb.size();
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = (n1 > budget) ? n1 : std::max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swap) std::swap(n1, n2);
      keep_a = std::min(keep_a, n1);
      keep_b = std::min(keep_b, n2);
    }
  }
  out->a_pieces = static_cast<int32_t>(ta.size());
  out->b_pieces = static_cast<int32_t>(tb.size());
  out->a_dropped = static_cast<int32_t>(ta.size() - keep_a);
  out->b_dropped = static_cast<int32_t>(tb.size() - keep_b);

  std::vector<Token>& t = out->tokens;
  t.reserve(keep_a + keep_b + 4);
  t.push_back(Token{cls_id_, 0, -1, -1, vocab_[cls_id_]});
  for (size_t k = 0; k < keep_a; ++k) t.push_back(std::move(ta[k]));
  t.push_back(Token{sep_id_, 0, -1, -1, vocab_[sep_id_]});
  if (pair) {
    if (bpe) t.push_back(Token{sep_id_, 1, -1, -1, vocab_[sep_id_]});  // RobertaProcessing: </s></s> between A and B
    for (size_t k = 0; k < keep_b; ++k) t.push_back(std::move(tb[k]));
    t.push_back(Token{sep_id_, 1, -1, -1, vocab_[sep_id_]});
  }
  return Status::Ok();
}

Status ReadVocabTxt(std::string_view contents, std::vector<std::string>* vocab) {
  if (vocab == nullptr) return InvalidArgument("ReadVocabTxt: vocab is null");
  vocab->clear();
  if (contents.empty()) return BadModel("vocab.txt is empty");
  size_t pos = 0;
  size_t line = 1;
  while (pos < contents.size()) {
    size_t nl = contents.find('\n', pos);
    if (nl == std::string_view::npos) nl = contents.size();
    std::string_view tok = contents.substr(pos, nl - pos);
    if (!tok.empty() && tok.back() == '\r') tok.remove_suffix(1);
    if (!utf8::IsValid(tok)) {
      vocab->clear();
      return BadModel("vocab.txt line " + std::to_string(line) + " is not valid UTF-8");
    }
    vocab->emplace_back(tok);
    pos = nl + 1;
    ++line;
  }
  return Status::Ok();
}

}  // namespace hl
