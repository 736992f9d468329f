// CoNLL-U parsing (checked line by line, every failure naming its line) and token-to-word alignment by byte spans.
#include "analysis/treebank.h"

#include <algorithm>

namespace hl {
namespace {

// The TAB-separated fields of a line.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (true) {
    const size_t tab = line.find('\t', pos);
    f.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
    if (tab == std::string_view::npos) return f;
    pos = tab + 1;
  }
}

// A decimal integer in [0, max]; false for anything else.
bool ParseIndex(std::string_view s, int64_t max, int64_t* out) {
  if (s.empty() || s.size() > 9) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

bool NoSpaceAfter(std::string_view misc) {
  size_t pos = 0;
  while (pos <= misc.size()) {
    const size_t bar = misc.find('|', pos);
    const std::string_view item = misc.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos);
    if (item == "SpaceAfter=No") return true;
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
  return false;
}

// One sentence being read: its words, and for each word whether a space follows it in the text.
struct Pending {
  TreebankSentence s;
  std::vector<bool> space_after;
  int64_t range_last = 0;  // last word of the multiword token being read (0: none)
  bool range_space = true;
  size_t first_line = 0;
};

Status LineError(size_t line, const std::string& what) {
  return InvalidArgument("treebank line " + std::to_string(line) + ": " + what);
}

// Checks heads, builds the text and spans; appends the sentence to out.
Status Finish(Pending* p, std::vector<TreebankSentence>* out) {
  TreebankSentence& s = p->s;
  if (s.words.empty()) return LineError(p->first_line, "a sentence without word lines");
  for (size_t i = 0; i < s.words.size(); ++i) {
    const int32_t h = s.words[i].head;
    if (h > static_cast<int32_t>(s.words.size()))
      return LineError(p->first_line, "sentence " + s.id + ": word " + std::to_string(i + 1) + " has head " +
                                          std::to_string(h) + ", past its " + std::to_string(s.words.size()) + " words");
    if (h == static_cast<int32_t>(i + 1))
      return LineError(p->first_line, "sentence " + s.id + ": word " + std::to_string(i + 1) + " is its own head");
  }
  for (size_t i = 0; i < s.words.size(); ++i) {
    TreebankWord& w = s.words[i];
    w.begin = static_cast<int32_t>(s.text.size());
    s.text += w.form;
    w.end = static_cast<int32_t>(s.text.size());
    if (i + 1 < s.words.size() && p->space_after[i]) s.text += ' ';
  }
  if (s.id.empty()) s.id = "line " + std::to_string(p->first_line);
  out->push_back(std::move(s));
  *p = Pending();
  return Status::Ok();
}

// One word line (fields already split) into the pending sentence.
Status AddWord(Pending* p, const std::vector<std::string_view>& f, size_t line) {
  int64_t id = 0, head = 0;
  if (!ParseIndex(f[0], kMaxTreebankWords, &id) || id != static_cast<int64_t>(p->s.words.size()) + 1)
    return LineError(line, "word ID \"" + std::string(f[0].substr(0, 20)) + "\" where " +
                               std::to_string(p->s.words.size() + 1) + " was due (at most " +
                               std::to_string(kMaxTreebankWords) + " words a sentence)");
  if (!ParseIndex(f[6], kMaxTreebankWords, &head)) return LineError(line, "HEAD is not a word index");
  if (f[1].empty()) return LineError(line, "empty FORM");
  if (f[7].empty() || f[7] == "_") return LineError(line, "no DEPREL");
  TreebankWord w;
  w.form = std::string(f[1]);
  w.upos = std::string(f[3]);
  w.deprel = std::string(f[7]);
  w.head = static_cast<int32_t>(head);
  p->s.words.push_back(std::move(w));
  bool space = !NoSpaceAfter(f[9]);
  if (p->range_last) {  // inside a multiword token: no space, and its own SpaceAfter after its last word
    space = id == p->range_last ? p->range_space : false;
    if (id == p->range_last) p->range_last = 0;
  }
  p->space_after.push_back(space);
  return Status::Ok();
}

}  // namespace

Status ParseConllu(std::string_view data, std::vector<TreebankSentence>* out) {
  out->clear();
  Pending p;
  size_t pos = 0, line_no = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxConlluLine) return LineError(line_no, "longer than " + std::to_string(kMaxConlluLine) + " bytes");
    if (p.first_line == 0) p.first_line = line_no;
    if (line.empty()) {
      if (!p.s.words.empty()) HL_RETURN_IF_ERROR(Finish(&p, out));
      else p = Pending();  // blank lines (or comments alone) between sentences
      continue;
    }
    if (line[0] == '#') {
      const std::string_view key = "# sent_id = ";
      if (line.substr(0, key.size()) == key) p.s.id = std::string(line.substr(key.size()));
      continue;
    }
    const std::vector<std::string_view> f = Fields(line);
    if (f.size() != 10) return LineError(line_no, std::to_string(f.size()) + " TAB-separated fields, not CoNLL-U's 10");
    const size_t dash = f[0].find('-'), dot = f[0].find('.');
    if (dot != std::string_view::npos) continue;  // an empty node (enhanced dependencies only)
    if (dash != std::string_view::npos) {
      int64_t first = 0, last = 0;
      if (!ParseIndex(f[0].substr(0, dash), kMaxTreebankWords, &first) ||
          !ParseIndex(f[0].substr(dash + 1), kMaxTreebankWords, &last) || last <= first ||
          first != static_cast<int64_t>(p.s.words.size()) + 1)
        return LineError(line_no, "multiword token range \"" + std::string(f[0].substr(0, 20)) + "\" is malformed");
      p.range_last = last;
      p.range_space = !NoSpaceAfter(f[9]);
      continue;
    }
    HL_RETURN_IF_ERROR(AddWord(&p, f, line_no));
  }
  if (!p.s.words.empty()) HL_RETURN_IF_ERROR(Finish(&p, out));
  if (out->empty()) return InvalidArgument("the treebank has no sentences (want CoNLL-U: word lines of 10 TAB-separated fields)");
  return Status::Ok();
}

void AlignTokensToWords(std::vector<int32_t>* token_word, const int32_t* begin, const int32_t* end, size_t n,
                        const std::vector<TreebankWord>& words) {
  token_word->assign(n, -1);
  for (size_t t = 0; t < n; ++t) {
    if (begin[t] < 0 || end[t] <= begin[t]) continue;
    int32_t best = -1, best_overlap = 0;
    for (size_t w = 0; w < words.size(); ++w) {
      const int32_t overlap = std::min(end[t], words[w].end) - std::max(begin[t], words[w].begin);
      if (overlap > best_overlap) {
        best_overlap = overlap;
        best = static_cast<int32_t>(w);
      }
    }
    (*token_word)[t] = best;
  }
}

void AlignTokensToWords(std::vector<int32_t>* token_word, const std::vector<Token>& tokens,
                        const std::vector<TreebankWord>& words) {
  std::vector<int32_t> begin, end;  // [n]
  for (const Token& t : tokens) {
    begin.push_back(t.begin);
    end.push_back(t.end);
  }
  AlignTokensToWords(token_word, begin.data(), end.data(), tokens.size(), words);
}

}  // namespace hl
