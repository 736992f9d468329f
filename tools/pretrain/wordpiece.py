# WordPiece vocabulary training (likelihood merges) and BERT's uncased tokenisation, in plain Python (stdlib only).
"""Train a lower-cased WordPiece vocabulary on a corpus and report how it tokenises held-out text.

  /usr/bin/python3 wordpiece.py --corpus train.txt --heldout heldout.txt --vocab-size 16000 --out vocab.txt

Training (Schuster & Nakajima 2012; the WordPiece variant of the Hugging Face course): pre-tokenise with BERT's
BasicTokenizer and count the words; split each word into characters, the first as is and the others with the
continuation prefix '##' ("cat" -> c ##a ##t); then repeatedly merge the adjacent pair (a, b) with the highest
score count(ab) / (count(a) * count(b)) into one new symbol, until the vocabulary has the requested size.
Pair counts are kept incrementally (only the words containing the merged pair are rewritten) and the best pair
comes from a heap with lazy deletion: whenever a pair's score may have changed (its count, or the count of one
of its symbols) a fresh entry is pushed, and popped entries whose score is no longer current are dropped.

vocab.txt: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 (a compact order, not bert-base-uncased's 0/100/101/102/103
with [unusedN] in between), then every character seen at least --min-char-count times as a word start, then
the same as '##' continuations (not for punctuation and CJK, which BasicTokenizer always splits off), then the
merged pieces in the order they were learned.
"""
import argparse
import collections
import heapq
import math
import time
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


# ---- BERT's BasicTokenizer (do_lower_case=True), as in google-research/bert tokenization.py ----
def _is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_control(c):
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def _is_punctuation(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(c).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    """Clean, space out CJK characters, split on white space, lower-case, strip accents (NFD, drop Mn),
    split off punctuation."""
    chars = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        if _is_whitespace(c):
            chars.append(" ")
        elif _is_cjk(cp):
            chars.extend((" ", c, " "))
        else:
            chars.append(c)
    out = []
    for token in "".join(chars).split():
        token = "".join(c for c in unicodedata.normalize("NFD", token.lower()) if unicodedata.category(c) != "Mn")
        word = ""
        for c in token:
            if _is_punctuation(c):
                if word:
                    out.append(word)
                out.append(c)
                word = ""
            else:
                word += c
        if word:
            out.append(word)
    return out


def count_words(path):
    """Counter of BasicTokenizer words in a file. Each distinct white-space token is pre-tokenised once
    (equivalent to tokenising whole lines, since the cleaning never joins or splits across white space)."""
    raw = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            raw.update(line.split())
    words = collections.Counter()
    for token, n in raw.items():
        for w in basic_tokenize(token):
            words[w] += n
    return words


# ---- WordPiece tokenisation (greedy longest match first, as BERT's WordpieceTokenizer) ----
class WordPiece:
    def __init__(self, vocab, max_chars=100):
        self.vocab, self.max_chars, self.cache = set(vocab), max_chars, {}

    def word(self, w):
        if w in self.cache:
            return self.cache[w]
        pieces, start = [], 0
        if len(w) > self.max_chars:
            pieces = ["[UNK]"]
        while start < len(w) and pieces != ["[UNK]"]:
            end = len(w)
            while end > start:
                piece = w[start:end] if start == 0 else "##" + w[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            pieces = pieces + [piece] if end > start else ["[UNK]"]
            start = end
        self.cache[w] = pieces
        return pieces

    def tokenize(self, text):
        return [p for w in basic_tokenize(text) for p in self.word(w)]


# ---- training ----
def _xlogx(x):
    return x * math.log(x) if x > 0 else 0.0


def train(word_counts, vocab_size, kind="likelihood", min_char_count=20, min_pair_count=2, log_every=2000):
    """Returns the vocabulary (a list of strings) learned from a Counter of words. kind: the merge score,
    "pmi" = count(ab) / (count(a) count(b)), or "likelihood" = the gain in unigram log-likelihood."""
    chars = collections.Counter()
    for w, n in word_counts.items():
        for c in w:
            chars[c] += n
    alphabet = sorted(c for c, n in chars.items() if n >= min_char_count)
    # symbol id -> string; punctuation and CJK characters are always words of their own: no '##' form
    names = alphabet + ["##" + c for c in alphabet if not (_is_punctuation(c) or _is_cjk(ord(c)))]
    ids = {s: i for i, s in enumerate(names)}
    # words made only of alphabet characters, as lists of symbol ids (others would be [UNK] anyway)
    words, freq = [], []
    for w, n in sorted(word_counts.items()):
        if len(w) > 1 and all(c in ids for c in w):
            words.append([ids[w[0]]] + [ids["##" + c] for c in w[1:]])
            freq.append(n)
    sym_count = [0] * len(names)
    pair_count, pair_words, partners = {}, collections.defaultdict(set), collections.defaultdict(set)
    for i, (w, n) in enumerate(zip(words, freq)):
        for s in w:
            sym_count[s] += n
        for p in zip(w, w[1:]):
            pair_count[p] = pair_count.get(p, 0) + n
            pair_words[p].add(i)
    for a, b in pair_count:
        partners[a].add((a, b))
        partners[b].add((a, b))

    total = [sum(sym_count)]  # N, the number of symbols in the corpus (shrinks with every merge)

    def score(p):
        k, ca, cb = pair_count[p], sym_count[p[0]], sym_count[p[1]]
        if kind == "pmi":
            return k / (ca * cb)
        # gain in corpus log-likelihood under a unigram model of the symbols when k pairs a b become ab
        n = total[0]
        rest = _xlogx(ca - 2 * k if ca - 2 * k > 0 else 0) if p[0] == p[1] else _xlogx(ca - k) + _xlogx(cb - k) - _xlogx(cb)
        return _xlogx(k) + rest - _xlogx(ca) + _xlogx(n) - _xlogx(n - k)

    heap = [(-score(p), p) for p, n in pair_count.items() if n >= min_pair_count]
    heapq.heapify(heap)
    target = vocab_size - len(SPECIALS)
    t0 = time.time()
    while len(names) < target and heap:
        neg, p = heapq.heappop(heap)
        if pair_count.get(p, 0) < min_pair_count:
            continue  # the pair is gone
        current = score(p)
        if current != -neg:  # stale: a fresher entry is queued, or (likelihood) N shrank since: queue it again
            if current < -neg:
                heapq.heappush(heap, (-current, p))
            continue
        a, b = p
        c = len(names)
        names.append(names[a] + names[b][2:])
        sym_count.append(0)
        changed = set()
        for i in pair_words.pop(p):
            old, n = words[i], freq[i]
            new, j, merges = [], 0, 0
            while j < len(old):
                if j + 1 < len(old) and old[j] == a and old[j + 1] == b:
                    new.append(c)
                    j += 2
                    merges += 1
                else:
                    new.append(old[j])
                    j += 1
            for q in zip(old, old[1:]):
                pair_count[q] -= n
                changed.add(q)
            for q in zip(new, new[1:]):
                pair_count[q] = pair_count.get(q, 0) + n
                changed.add(q)
            old_pairs, new_pairs = set(zip(old, old[1:])), set(zip(new, new[1:]))
            for q in old_pairs - new_pairs:
                if q != p:
                    pair_words[q].discard(i)
            for q in new_pairs - old_pairs:
                pair_words[q].add(i)
            sym_count[a] -= merges * n
            sym_count[b] -= merges * n
            sym_count[c] += merges * n
            total[0] -= merges * n
            words[i] = new
        for q in changed:
            if pair_count[q] == 0:
                del pair_count[q]
                pair_words.pop(q, None)
                partners[q[0]].discard(q)
                partners[q[1]].discard(q)
            else:
                partners[q[0]].add(q)
                partners[q[1]].add(q)
        for q in changed | partners[a] | partners[b]:
            if pair_count.get(q, 0) >= min_pair_count:
                heapq.heappush(heap, (-score(q), q))
        if len(heap) > 4 * len(pair_count) + 1_000_000:  # drop stale entries now and then
            heap = [(-score(q), q) for q, m in pair_count.items() if m >= min_pair_count]
            heapq.heapify(heap)
        if log_every and len(names) % log_every == 0:
            print(f"  {len(names) + len(SPECIALS):6d} entries, {time.time() - t0:6.1f}s, "
                  f"last merge {names[a]!r} + {names[b]!r}", flush=True)
    return SPECIALS + names


def report(vocab, path, examples=("strawberries", "unbelievable", "attention", "headlight", "tokenization")):
    """Coverage (words without [UNK]) and pieces per word on a text file, and example splits."""
    wp = WordPiece(vocab)
    counts = count_words(path)
    total = sum(counts.values())
    pieces = unk = 0
    for w, n in counts.items():
        ps = wp.word(w)
        pieces += n * len(ps)
        unk += n * (ps == ["[UNK]"])
    print(f"{path}: {total} words, {pieces} word pieces, {pieces / total:.3f} pieces/word, "
          f"coverage {100 * (1 - unk / total):.3f}% of words without [UNK]")
    for e in examples:
        print(f"  {e!r:18s} -> {' '.join(wp.tokenize(e))}")
    return total, pieces, unk


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="training text (train.txt)")
    ap.add_argument("--heldout", help="held-out text to report coverage and pieces per word on")
    ap.add_argument("--vocab-size", type=int, default=16000)
    ap.add_argument("--score", choices=("likelihood", "pmi"), default="likelihood", help="merge score (see above)")
    ap.add_argument("--min-char-count", type=int, default=20, help="characters seen fewer times become [UNK]")
    ap.add_argument("--min-pair-count", type=int, default=2, help="pairs seen fewer times are never merged")
    ap.add_argument("--out", required=True, help="vocab.txt to write")
    args = ap.parse_args()

    t0 = time.time()
    counts = count_words(args.corpus)
    t1 = time.time()
    print(f"counted {sum(counts.values())} words ({len(counts)} distinct) in {t1 - t0:.1f}s", flush=True)
    vocab = train(counts, args.vocab_size, args.score, args.min_char_count, args.min_pair_count)
    t2 = time.time()
    print(f"trained {len(vocab)} entries in {t2 - t1:.1f}s", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    if args.heldout:
        report(vocab, args.heldout)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
