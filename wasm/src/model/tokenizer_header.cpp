// Serialisation of tokenizer settings into model headers, and their derivation from HF tokenizer files.
#include "model/tokenizer_header.h"

#include <algorithm>
#include <climits>

namespace hl {
namespace {

Status ReadBool(const nlohmann::json& j, const char* key, bool* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_boolean()) return BadModel(std::string("tokenizer: \"") + key + "\" must be true or false");
  *out = it->get<bool>();
  return Status::Ok();
}

Status ReadString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {  // AddedToken form
    *out = (*it)["content"].get<std::string>();
    return Status::Ok();
  }
  if (!it->is_string()) return BadModel(std::string("tokenizer: \"") + key + "\" must be a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

// HF's strip_accents: null = follow lowercase (-1), false = 0, true = 1.
Status ReadStripAccents(const nlohmann::json& j, const char* key, int* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) { *out = -1; return Status::Ok(); }
  if (it->is_boolean()) { *out = it->get<bool>() ? 1 : 0; return Status::Ok(); }
  if (it->is_number_integer() && it->get<int>() >= -1 && it->get<int>() <= 1) { *out = it->get<int>(); return Status::Ok(); }
  return BadModel(std::string("tokenizer: \"") + key + "\" must be null, true or false");
}

nlohmann::json ParseOptional(std::string_view text) {
  if (text.empty()) return nlohmann::json();
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace

nlohmann::json TokenizerToHeader(const TokenizerOptions& o, const std::vector<std::string>& vocab, const BpeMerges& merges) {
  if (o.kind == TokenizerKind::kByteLevelBpe) {
    nlohmann::json added = nlohmann::json::array();
    for (const AddedTokenFlags& a : o.added_tokens)
      added.push_back({{"content", a.content}, {"lstrip", a.lstrip}, {"rstrip", a.rstrip}});
    nlohmann::json m = nlohmann::json::array();
    for (const auto& mg : merges) m.push_back({mg.first, mg.second});
    return nlohmann::json{{"type", "bpe"},
                          {"kind", "bpe"},
                          {"unk_token", o.unk_token},
                          {"cls_token", o.cls_token},
                          {"sep_token", o.sep_token},
                          {"pad_token", o.pad_token},
                          {"mask_token", o.mask_token},
                          {"add_prefix_space", o.add_prefix_space},
                          {"trim_offsets", o.trim_offsets},
                          {"ignore_merges", o.ignore_merges},
                          {"added_tokens", added},
                          {"vocab", vocab},
                          {"merges", m}};
  }
  return nlohmann::json{{"type", "wordpiece"},
                        {"lowercase", o.lowercase},
                        {"strip_accents", o.strip_accents},
                        {"handle_chinese_chars", o.handle_chinese_chars},
                        {"clean_text", o.clean_text},
                        {"unk_token", o.unk_token},
                        {"cls_token", o.cls_token},
                        {"sep_token", o.sep_token},
                        {"pad_token", o.pad_token},
                        {"mask_token", o.mask_token},
                        {"continuing_subword_prefix", o.continuing_subword_prefix},
                        {"max_input_chars_per_word", o.max_input_chars_per_word},
                        {"vocab", vocab}};
}

namespace {

Status ReadSpecialTokens(const nlohmann::json& j, TokenizerOptions* t) {
  HL_RETURN_IF_ERROR(ReadString(j, "unk_token", &t->unk_token));
  HL_RETURN_IF_ERROR(ReadString(j, "cls_token", &t->cls_token));
  HL_RETURN_IF_ERROR(ReadString(j, "sep_token", &t->sep_token));
  HL_RETURN_IF_ERROR(ReadString(j, "pad_token", &t->pad_token));
  HL_RETURN_IF_ERROR(ReadString(j, "mask_token", &t->mask_token));
  return Status::Ok();
}

Status ReadHeaderVocab(const nlohmann::json& j, std::vector<std::string>* vocab) {
  auto v = j.find("vocab");
  if (v == j.end() || !v->is_array() || v->empty()) return BadModel("model header: tokenizer.vocab missing or empty");
  vocab->clear();
  vocab->reserve(v->size());
  for (const auto& w : *v) {
    if (!w.is_string()) return BadModel("model header: tokenizer.vocab holds a non-string");
    vocab->push_back(w.get<std::string>());
  }
  return Status::Ok();
}

// The byte-level BPE form of the header's tokenizer object.
Status BpeFromHeader(const nlohmann::json& j, TokenizerOptions* o, std::vector<std::string>* vocab, BpeMerges* merges) {
  TokenizerOptions t;
  t.kind = TokenizerKind::kByteLevelBpe;
  t.lowercase = false;
  HL_RETURN_IF_ERROR(ReadSpecialTokens(j, &t));
  HL_RETURN_IF_ERROR(ReadBool(j, "add_prefix_space", &t.add_prefix_space));
  HL_RETURN_IF_ERROR(ReadBool(j, "trim_offsets", &t.trim_offsets));
  HL_RETURN_IF_ERROR(ReadBool(j, "ignore_merges", &t.ignore_merges));
  if (auto a = j.find("added_tokens"); a != j.end()) {
    if (!a->is_array()) return BadModel("model header: tokenizer.added_tokens must be an array");
    for (const auto& e : *a) {
      if (!e.is_object() || !e.contains("content") || !e["content"].is_string())
        return BadModel("model header: tokenizer.added_tokens entries need a string \"content\"");
      AddedTokenFlags f;
      f.content = e["content"].get<std::string>();
      HL_RETURN_IF_ERROR(ReadBool(e, "lstrip", &f.lstrip));
      HL_RETURN_IF_ERROR(ReadBool(e, "rstrip", &f.rstrip));
      t.added_tokens.push_back(std::move(f));
    }
  }
  std::vector<std::string> words;
  HL_RETURN_IF_ERROR(ReadHeaderVocab(j, &words));
  auto m = j.find("merges");
  if (m == j.end() || !m->is_array()) return BadModel("model header: tokenizer.merges missing");
  BpeMerges pairs;
  pairs.reserve(m->size());
  for (const auto& e : *m) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
      return BadModel("model header: tokenizer.merges entries must be [left, right] string pairs");
    pairs.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
  }
  *o = std::move(t);
  *vocab = std::move(words);
  *merges = std::move(pairs);
  return Status::Ok();
}

}  // namespace

Status TokenizerFromHeader(const nlohmann::json& j, TokenizerOptions* o, std::vector<std::string>* vocab,
                           BpeMerges* merges) {
  if (!j.is_object()) return BadModel("model header: tokenizer is not an object");
  merges->clear();
  if (j.contains("kind")) {
    if (j["kind"] == "bpe") return BpeFromHeader(j, o, vocab, merges);
    if (j["kind"] != "wordpiece") return BadModel("model header: tokenizer.kind is neither \"wordpiece\" nor \"bpe\"");
  }
  if (!j.contains("type") || j["type"] != "wordpiece") return BadModel("model header: tokenizer.type is not \"wordpiece\"");
  TokenizerOptions t;
  HL_RETURN_IF_ERROR(ReadBool(j, "lowercase", &t.lowercase));
  HL_RETURN_IF_ERROR(ReadStripAccents(j, "strip_accents", &t.strip_accents));
  HL_RETURN_IF_ERROR(ReadBool(j, "handle_chinese_chars", &t.handle_chinese_chars));
  HL_RETURN_IF_ERROR(ReadBool(j, "clean_text", &t.clean_text));
  HL_RETURN_IF_ERROR(ReadSpecialTokens(j, &t));
  HL_RETURN_IF_ERROR(ReadString(j, "continuing_subword_prefix", &t.continuing_subword_prefix));
  auto mc = j.find("max_input_chars_per_word");
  if (mc != j.end()) {
    if (!mc->is_number_integer() || mc->get<int64_t>() < 1 || mc->get<int64_t>() > 1000000)
      return BadModel("model header: tokenizer.max_input_chars_per_word must be a positive integer");
    t.max_input_chars_per_word = mc->get<int>();
  }
  std::vector<std::string> words;
  HL_RETURN_IF_ERROR(ReadHeaderVocab(j, &words));
  *o = t;
  *vocab = std::move(words);
  return Status::Ok();
}

Status TokenizerOptionsFromHuggingFace(std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                       const std::vector<std::string>& vocab, TokenizerOptions* o, std::string* how) {
  TokenizerOptions t;
  const nlohmann::json tj = ParseOptional(tokenizer_json);
  const nlohmann::json tc = ParseOptional(tokenizer_config_json);
  if (!tokenizer_json.empty() && (tj.is_discarded() || !tj.is_object())) return BadModel("tokenizer.json is not valid JSON");
  if (!tokenizer_config_json.empty() && (tc.is_discarded() || !tc.is_object()))
    return BadModel("tokenizer_config.json is not valid JSON");
  if (tc.is_object()) {  // special-token names first; tokenizer.json's normalizer below overrides the flags
    HL_RETURN_IF_ERROR(ReadString(tc, "unk_token", &t.unk_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "cls_token", &t.cls_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "sep_token", &t.sep_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "pad_token", &t.pad_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "mask_token", &t.mask_token));
  }
  const bool has_normalizer = tj.is_object() && tj.contains("normalizer") && tj["normalizer"].is_object() &&
                              tj["normalizer"].value("type", "") == "BertNormalizer";
  if (tj.is_object() && tj.contains("normalizer") && !tj["normalizer"].is_null() && !has_normalizer)
    return Unsupported("tokenizer.json: normalizer is not a BertNormalizer; only BERT WordPiece tokenizers are supported");
  if (has_normalizer) {
    const nlohmann::json& n = tj["normalizer"];
    HL_RETURN_IF_ERROR(ReadBool(n, "lowercase", &t.lowercase));
    HL_RETURN_IF_ERROR(ReadStripAccents(n, "strip_accents", &t.strip_accents));
    HL_RETURN_IF_ERROR(ReadBool(n, "handle_chinese_chars", &t.handle_chinese_chars));
    HL_RETURN_IF_ERROR(ReadBool(n, "clean_text", &t.clean_text));
    if (tj.contains("model") && tj["model"].is_object()) {
      const nlohmann::json& m = tj["model"];
      if (m.contains("type") && m["type"] != "WordPiece") return Unsupported("tokenizer.json: model is not WordPiece");
      HL_RETURN_IF_ERROR(ReadString(m, "unk_token", &t.unk_token));
      HL_RETURN_IF_ERROR(ReadString(m, "continuing_subword_prefix", &t.continuing_subword_prefix));
      if (m.contains("max_input_chars_per_word") && m["max_input_chars_per_word"].is_number_integer())
        t.max_input_chars_per_word = m["max_input_chars_per_word"].get<int>();
    }
    *how = "tokenizer.json";
  } else if (tc.is_object()) {
    HL_RETURN_IF_ERROR(ReadBool(tc, "do_lower_case", &t.lowercase));
    HL_RETURN_IF_ERROR(ReadStripAccents(tc, "strip_accents", &t.strip_accents));
    HL_RETURN_IF_ERROR(ReadBool(tc, "tokenize_chinese_chars", &t.handle_chinese_chars));
    *how = "tokenizer_config.json";
  } else {
    const bool cased = std::find(vocab.begin(), vocab.end(), "The") != vocab.end() &&
                       std::find(vocab.begin(), vocab.end(), "the") != vocab.end();
    t.lowercase = !cased;
    *how = cased ? "inferred cased (vocab holds \"The\" and \"the\")" : "BertTokenizer default (lower-case)";
  }
  *o = t;
  return Status::Ok();
}

namespace {

// {"token": id, ...} (vocab.json, tokenizer.json's model.vocab) plus extra (id, token) entries → tokens by id.
// Ids must be distinct and cover 0..n-1.
Status VocabFromIds(const nlohmann::json& obj, const std::vector<std::pair<int64_t, std::string>>& extra, const char* what,
                    std::vector<std::string>* vocab) {
  if (!obj.is_object() || obj.empty()) return BadModel(std::string(what) + " is not a non-empty {\"token\": id} object");
  std::vector<std::pair<int64_t, std::string>> entries = extra;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!it.value().is_number_integer()) return BadModel(std::string(what) + ": the id of \"" + it.key() + "\" is not an integer");
    entries.emplace_back(it.value().get<int64_t>(), it.key());
  }
  std::sort(entries.begin(), entries.end());
  vocab->clear();
  for (const auto& e : entries) {
    if (e.first < 0 || e.first >= INT32_MAX) return BadModel(std::string(what) + ": id " + std::to_string(e.first) + " is out of range");
    if (e.first < static_cast<int64_t>(vocab->size())) {
      if ((*vocab)[e.first] != e.second)
        return BadModel(std::string(what) + ": id " + std::to_string(e.first) + " is both \"" + (*vocab)[e.first] +
                        "\" and \"" + e.second + "\"");
      continue;
    }
    if (e.first != static_cast<int64_t>(vocab->size()))
      return BadModel(std::string(what) + ": no token has id " + std::to_string(vocab->size()) + " (ids must be 0..n-1)");
    vocab->push_back(e.second);
  }
  return Status::Ok();
}

// One merge "left right" (exactly one space), as merges.txt lines and tokenizer.json's older string form hold them.
Status SplitMerge(std::string_view line, const std::string& where, BpeMerges* merges) {
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string_view::npos)
    return BadModel(where + ": a merge must be two tokens separated by one space, got \"" + std::string(line) + "\"");
  merges->emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
  return Status::Ok();
}

Status ReadMergesTxt(std::string_view text, BpeMerges* merges) {
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    pos = nl + 1;
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    HL_RETURN_IF_ERROR(SplitMerge(line, "merges.txt line " + std::to_string(line_no), merges));
  }
  if (merges->empty()) return BadModel("merges.txt holds no merges");
  return Status::Ok();
}

// The five special tokens of RobertaTokenizer (its defaults; <mask> takes the space before it, lstrip).
void RobertaDefaults(TokenizerOptions* t) {
  t->kind = TokenizerKind::kByteLevelBpe;
  t->lowercase = false;
  t->cls_token = "<s>";
  t->sep_token = "</s>";
  t->pad_token = "<pad>";
  t->unk_token = "<unk>";
  t->mask_token = "<mask>";
  t->add_prefix_space = false;
  t->trim_offsets = true;
}

Status AddedTokenFromJson(const nlohmann::json& e, const char* where, AddedTokenFlags* f) {
  if (!e.is_object() || !e.contains("content") || !e["content"].is_string())
    return BadModel(std::string(where) + ": an added token has no string \"content\"");
  f->content = e["content"].get<std::string>();
  HL_RETURN_IF_ERROR(ReadBool(e, "lstrip", &f->lstrip));
  HL_RETURN_IF_ERROR(ReadBool(e, "rstrip", &f->rstrip));
  return Status::Ok();
}

// tokenizer.json with a BPE model: everything is in it (vocab, merges, added tokens, pre-/post-processor options).
Status BpeFromTokenizerJson(const nlohmann::json& tj, const nlohmann::json& tc, TokenizerOptions* o,
                            std::vector<std::string>* vocab, BpeMerges* merges) {
  TokenizerOptions t;
  RobertaDefaults(&t);
  if (tj.contains("normalizer") && !tj["normalizer"].is_null())
    return Unsupported("tokenizer.json: a BPE tokenizer with a normalizer is not supported (byte-level BPE as RoBERTa's has none)");
  const nlohmann::json pre = tj.value("pre_tokenizer", nlohmann::json());
  if (!pre.is_object() || pre.value("type", "") != "ByteLevel")
    return Unsupported("tokenizer.json: only byte-level BPE (pre_tokenizer ByteLevel, as RoBERTa and GPT-2) is supported");
  HL_RETURN_IF_ERROR(ReadBool(pre, "add_prefix_space", &t.add_prefix_space));
  if (pre.contains("use_regex") && pre["use_regex"] == false)
    return Unsupported("tokenizer.json: ByteLevel with use_regex false is not supported");
  const nlohmann::json post = tj.value("post_processor", nlohmann::json());
  if (!post.is_object() || post.value("type", "") != "RobertaProcessing")
    return Unsupported("tokenizer.json: a BPE tokenizer needs the RobertaProcessing post-processor (<s> A </s></s> B </s>)");
  if (!post.contains("cls") || !post["cls"].is_array() || post["cls"].empty() || !post["cls"][0].is_string() ||
      !post.contains("sep") || !post["sep"].is_array() || post["sep"].empty() || !post["sep"][0].is_string())
    return BadModel("tokenizer.json: RobertaProcessing needs \"cls\" and \"sep\" as [token, id]");
  t.cls_token = post["cls"][0].get<std::string>();
  t.sep_token = post["sep"][0].get<std::string>();
  HL_RETURN_IF_ERROR(ReadBool(post, "trim_offsets", &t.trim_offsets));

  const nlohmann::json& m = tj["model"];
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(key) && !m[key].is_null() && m[key] != "")
      return Unsupported(std::string("tokenizer.json: BPE with a ") + key + " is not supported");
  if (m.value("byte_fallback", false) == true) return Unsupported("tokenizer.json: BPE with byte_fallback is not supported");
  HL_RETURN_IF_ERROR(ReadBool(m, "ignore_merges", &t.ignore_merges));
  std::vector<std::pair<int64_t, std::string>> added_ids;
  if (tj.contains("added_tokens") && tj["added_tokens"].is_array()) {
    for (const auto& e : tj["added_tokens"]) {
      AddedTokenFlags f;
      HL_RETURN_IF_ERROR(AddedTokenFromJson(e, "tokenizer.json", &f));
      if (!e.contains("id") || !e["id"].is_number_integer()) return BadModel("tokenizer.json: added token \"" + f.content + "\" has no id");
      added_ids.emplace_back(e["id"].get<int64_t>(), f.content);
      t.added_tokens.push_back(std::move(f));
    }
  }
  HL_RETURN_IF_ERROR(VocabFromIds(m.value("vocab", nlohmann::json()), added_ids, "tokenizer.json model.vocab", vocab));
  if (!m.contains("merges") || !m["merges"].is_array()) return BadModel("tokenizer.json: BPE model has no merges");
  merges->clear();
  for (const auto& e : m["merges"]) {
    if (e.is_string()) {
      HL_RETURN_IF_ERROR(SplitMerge(e.get<std::string>(), "tokenizer.json model.merges", merges));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      merges->emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      return BadModel("tokenizer.json: model.merges entries must be \"left right\" or [left, right]");
    }
  }
  if (tc.is_object()) {  // the names of <pad>, <unk>, <mask> (cls/sep: the post-processor's)
    HL_RETURN_IF_ERROR(ReadString(tc, "pad_token", &t.pad_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "unk_token", &t.unk_token));
    HL_RETURN_IF_ERROR(ReadString(tc, "mask_token", &t.mask_token));
  }
  *o = std::move(t);
  return Status::Ok();
}

// vocab.json + merges.txt (the slow RobertaTokenizer's files): RobertaTokenizer's defaults, tokenizer_config.json's
// special tokens, add_prefix_space and added_tokens_decoder flags when given.
Status BpeFromVocabMerges(std::string_view vocab_json, std::string_view merges_txt, const nlohmann::json& tc,
                          TokenizerOptions* o, std::vector<std::string>* vocab, BpeMerges* merges) {
  if (vocab_json.empty() || merges_txt.empty())
    return BadModel("a byte-level BPE tokenizer needs both vocab.json and merges.txt (or a tokenizer.json)");
  const nlohmann::json vj = ParseOptional(vocab_json);
  if (vj.is_discarded()) return BadModel("vocab.json is not valid JSON");
  HL_RETURN_IF_ERROR(VocabFromIds(vj, {}, "vocab.json", vocab));
  merges->clear();
  HL_RETURN_IF_ERROR(ReadMergesTxt(merges_txt, merges));
  TokenizerOptions t;
  RobertaDefaults(&t);
  if (tc.is_object()) {
    HL_RETURN_IF_ERROR(ReadSpecialTokens(tc, &t));
    HL_RETURN_IF_ERROR(ReadBool(tc, "add_prefix_space", &t.add_prefix_space));
    HL_RETURN_IF_ERROR(ReadBool(tc, "trim_offsets", &t.trim_offsets));
  }
  t.added_tokens.push_back(AddedTokenFlags{t.mask_token, /*lstrip=*/true, /*rstrip=*/false});
  if (tc.is_object() && tc.contains("added_tokens_decoder") && tc["added_tokens_decoder"].is_object()) {
    t.added_tokens.clear();
    for (const auto& e : tc["added_tokens_decoder"]) {
      AddedTokenFlags f;
      HL_RETURN_IF_ERROR(AddedTokenFromJson(e, "tokenizer_config.json added_tokens_decoder", &f));
      t.added_tokens.push_back(std::move(f));
    }
  }
  *o = std::move(t);
  return Status::Ok();
}

}  // namespace

Status TokenizerFromHuggingFaceFiles(std::string_view vocab_txt, std::string_view vocab_json, std::string_view merges_txt,
                                     std::string_view tokenizer_json, std::string_view tokenizer_config_json,
                                     TokenizerOptions* o, std::vector<std::string>* vocab, BpeMerges* merges,
                                     std::string* how) {
  const nlohmann::json tj = ParseOptional(tokenizer_json);
  const nlohmann::json tc = ParseOptional(tokenizer_config_json);
  if (!tokenizer_json.empty() && (tj.is_discarded() || !tj.is_object())) return BadModel("tokenizer.json is not valid JSON");
  if (!tokenizer_config_json.empty() && (tc.is_discarded() || !tc.is_object()))
    return BadModel("tokenizer_config.json is not valid JSON");
  merges->clear();
  // A BPE model says "type": "BPE"; files from tokenizers before 0.9 have no type but merges.
  const bool bpe_json = tj.is_object() && tj.contains("model") && tj["model"].is_object() &&
                        (tj["model"].value("type", "") == "BPE" || (!tj["model"].contains("type") && tj["model"].contains("merges")));
  if (bpe_json) {
    HL_RETURN_IF_ERROR(BpeFromTokenizerJson(tj, tc, o, vocab, merges));
    *how = "tokenizer.json (byte-level BPE)";
    return Status::Ok();
  }
  if (!vocab_json.empty() || !merges_txt.empty()) {
    HL_RETURN_IF_ERROR(BpeFromVocabMerges(vocab_json, merges_txt, tc, o, vocab, merges));
    *how = "vocab.json + merges.txt (byte-level BPE)";
    return Status::Ok();
  }
  if (vocab_txt.empty())
    return BadModel("no tokenizer vocabulary: a checkpoint needs vocab.txt (BERT WordPiece), or tokenizer.json with a BPE "
                    "model or vocab.json + merges.txt (RoBERTa byte-level BPE)");
  HL_RETURN_IF_ERROR(ReadVocabTxt(vocab_txt, vocab));
  return TokenizerOptionsFromHuggingFace(tokenizer_json, tokenizer_config_json, *vocab, o, how);
}

}  // namespace hl
