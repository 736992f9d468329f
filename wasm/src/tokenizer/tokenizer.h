// Public tokenizer API: BERT WordPiece and RoBERTa byte-level BPE, as Hugging Face tokenizers run in transformers.js.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hl {

namespace tokenizer_internal {
class VocabIndex;
class WordPiece;
class Bpe;
}  // namespace tokenizer_internal

// The model behind Encode: BERT's WordPiece (BertNormalizer + BertPreTokenizer + WordPiece, [CLS] A [SEP] B [SEP]) or
// GPT-2/RoBERTa's byte-level BPE (no normalizer, ByteLevel pre-tokenizer, BPE merges, <s> A </s></s> B </s>).
enum class TokenizerKind : int32_t { kWordPiece = 0, kByteLevelBpe = 1 };

// A token of tokenizer.json's "added_tokens" and the flags that change how it is split out of text.
struct AddedTokenFlags {
  std::string content;
  bool lstrip = false;  // whitespace before it is removed from the text section before it (roberta-base: <mask>)
  bool rstrip = false;  // whitespace after it is removed from the section after it
};

struct TokenizerOptions {
  TokenizerKind kind = TokenizerKind::kWordPiece;
  // WordPiece only: BertNormalizer flags, continuing_subword_prefix, max_input_chars_per_word.
  bool lowercase = true;
  int strip_accents = -1;  // -1: as HF's None (strip iff lowercase), 0: never, 1: always
  bool handle_chinese_chars = true;
  bool clean_text = true;
  std::string unk_token = "[UNK]", cls_token = "[CLS]", sep_token = "[SEP]", pad_token = "[PAD]",
              mask_token = "[MASK]";
  std::string continuing_subword_prefix = "##";
  int max_input_chars_per_word = 100;
  // Byte-level BPE only (tokenizer.json's ByteLevel pre-tokenizer / post-processor and BPE model).
  bool add_prefix_space = false;  // a section not starting with U+0020 gets one in front (it has no span)
  bool trim_offsets = true;       // spans leave out the spaces at a token's ends (a token of spaces only keeps them)
  bool ignore_merges = false;     // a word that is itself in the vocabulary is one token
  // Added tokens beyond / with flags for the five special tokens (each must be in the vocabulary). The special
  // tokens are always added tokens; by default without lstrip/rstrip.
  std::vector<AddedTokenFlags> added_tokens;
};

struct Token {
  int32_t id;
  int32_t segment;     // 0 for [CLS], A and A's [SEP]; 1 for B and B's [SEP] (BPE: 0 for <s> A </s>, 1 for </s> B </s>)
  int32_t begin, end;  // byte span [begin,end) in the original UTF-8 text of its segment; -1,-1 for inserted [CLS]/[SEP]
  std::string text;    // the vocabulary string (e.g. "##berries", "[UNK]", "Ġworld")
};

struct Encoding {
  std::vector<Token> tokens;              // [CLS] A [SEP] (B [SEP]); BPE: <s> A </s> (</s> B </s>)
  int32_t a_pieces = 0, b_pieces = 0;     // word pieces (BPE tokens) of A / B before truncation
  int32_t a_dropped = 0, b_dropped = 0;   // pieces removed by truncation (HF 'longest_first'), never silent
};

// Behaviour (checked against @huggingface/transformers 4.3 / @huggingface/tokenizers 0.2 by
// tests/fixtures/tokenizer):
//  * The five special tokens of the options are "added tokens" (special, normalized=false,
//    lstrip/rstrip=false): typed in the raw text they are split out first (leftmost, longest match,
//    case-sensitive) and map to their ids, with their byte spans. Each remaining section is
//    normalized on its own (BertNormalizer, see normalizer.h); a section whose normalized text equals
//    a special token exactly (e.g. "[MA\u200BSK]" with a cased vocabulary) becomes that token, as in
//    transformers.js. Otherwise it is split by BertPreTokenizer and WordPiece.
//  * Invalid UTF-8: each offending byte is read as U+FFFD (which clean_text removes).
//  * Spans: a piece's span covers the original characters its normalized characters came from; a
//    character that normalizes to several (e.g. a Hangul syllable to its jamo) may be shared by
//    consecutive pieces. An [UNK] spans its whole word.
//  * Thread safety: all const methods may be called concurrently.
//
// Byte-level BPE (checked against @huggingface/transformers' RobertaTokenizer on a byte-level BPE tokenizer.json in
// roberta-base's structure, tests/fixtures/tokenizer/bpe):
//  * Added tokens (the five special tokens and options.added_tokens) are split out of the raw text first (leftmost,
//    longest), as above; an added token with lstrip/rstrip removes the ECMAScript whitespace (String.prototype
//    .trimEnd/.trimStart) of the text section before/after it. single_word is not read (transformers.js ignores it).
//  * Each remaining section: a U+0020 in front if add_prefix_space and it does not start with one; split by the GPT-2
//    regex (bpe.h); each word's UTF-8 bytes become byte-level characters and are merged by rank.
//  * Invalid UTF-8: each offending byte is read as U+FFFD (its three bytes EF BF BD are what BPE sees).
//  * Spans: a token covers the original characters its bytes came from (a character whose bytes land in two tokens
//    is in both spans, as Hugging Face's character offsets are); with trim_offsets, minus the spaces at its ends.
//  * Token.segment follows RobertaProcessing's type ids (0 for <s> A </s>, 1 for </s> B </s>); the model clamps token
//    types to its type_vocab_size, so RoBERTa (1 type) sees 0 everywhere.
// The longest text A or B Encode takes, in bytes of UTF-8 (HL_MAX_TEXT_BYTES): a model sees at most its positions' worth
// of tokens, and tokenizing 100 MB would take seconds and gigabytes before the cut.
constexpr size_t kMaxTextBytes = size_t{1} << 20;

class Tokenizer {
 public:
  // Validates options and vocabulary (every special token must be in it; when a string occurs
  // twice, the later id wins for TokenToId, as in Hugging Face). BadModel/InvalidArgument otherwise.
  static Status Create(std::vector<std::string> vocab, TokenizerOptions options, std::unique_ptr<Tokenizer>* out);
  // Either kind: merges ("left", "right") in rank order are required for kByteLevelBpe and must be empty for
  // kWordPiece. BPE also needs the 256 byte characters and every merge's parts and result in the vocabulary.
  static Status Create(std::vector<std::string> vocab, std::vector<std::pair<std::string, std::string>> merges,
                       TokenizerOptions options, std::unique_ptr<Tokenizer>* out);
  ~Tokenizer();

  // Word pieces of text (special tokens typed in it included), no [CLS]/[SEP]; all segment 0.
  // InvalidArgument if text is 2 GiB or longer (spans are int32).
  Status Tokenize(std::string_view text, std::vector<Token>* out) const;

  // [CLS] A [SEP] or, if has_b, [CLS] A [SEP] B [SEP], truncated to at most max_tokens tokens with
  // Hugging Face's 'longest_first' strategy as the Rust `tokenizers` crate implements it (pieces
  // are removed from the ends of A/B, never the special tokens; counts reported in a_dropped /
  // b_dropped). Requires max_tokens >= 3, and >= 5 when has_b (InvalidArgument otherwise).
  // b is ignored unless has_b. As in transformers.js (`text_pair || null`), an empty B is treated
  // as no B at all: the result is [CLS] A [SEP], all segment 0 (a B of only whitespace is a B
  // with zero pieces: [CLS] A [SEP] [SEP]).
  // Note: transformers.js' own `truncation: true` simply cuts the post-processed sequence at
  // max_length (dropping the final [SEP] and possibly all of B); this API deliberately does not.
  // InvalidArgument, before any work, for a text longer than kMaxTextBytes.
  Status Encode(std::string_view a, std::string_view b, bool has_b, size_t max_tokens, Encoding* out) const;

  int32_t TokenToId(std::string_view token) const;  // -1 if absent
  const std::string& IdToToken(int32_t id) const;   // empty string if id is out of range
  size_t vocab_size() const { return vocab_.size(); }
  const TokenizerOptions& options() const { return options_; }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }  // BPE only

  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t pad_id() const { return pad_id_; }
  int32_t mask_id() const { return mask_id_; }

 private:
  Tokenizer() = default;
  Status TokenizeInto(std::string_view text, int32_t segment, std::vector<Token>* out) const;
  Status SetUpAddedTokens();
  // Tokens of text[begin, end), a section between added tokens, appended to *out.
  void WordPieceSection(std::string_view text, size_t begin, size_t end, int32_t segment, std::vector<Token>* out) const;
  void BpeSection(std::string_view text, size_t begin, size_t end, int32_t segment, std::vector<Token>* out) const;

  struct AddedToken {
    std::string content;
    int32_t id;
    bool lstrip = false, rstrip = false;
  };

  TokenizerOptions options_;
  std::vector<std::string> vocab_;
  std::unique_ptr<tokenizer_internal::VocabIndex> index_;
  std::unique_ptr<tokenizer_internal::WordPiece> wordpiece_;
  std::vector<std::pair<std::string, std::string>> merges_;
  std::unique_ptr<tokenizer_internal::Bpe> bpe_;
  std::vector<AddedToken> added_;  // distinct added-token strings (the special tokens first)
  bool strip_accents_ = true;
  bool chunking_ok_ = true;  // no special token contains whitespace
  int32_t unk_id_ = -1, cls_id_ = -1, sep_id_ = -1, pad_id_ = -1, mask_id_ = -1;
};

// Reads a vocab.txt (one token per line, '\n' or '\r\n'; a final newline ends the last line, any
// other empty line is a token, keeping ids equal to line numbers); BadModel on error (empty file,
// invalid UTF-8).
Status ReadVocabTxt(std::string_view contents, std::vector<std::string>* vocab);

}  // namespace hl
