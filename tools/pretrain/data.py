# Pretraining data: the corpus tokenised once into a cached .npz, BERT-style NSP pairs and dynamic MLM masking.
"""
Token cache: each corpus file (one sentence per line, a blank line between documents) is tokenised with the
project's BasicTokenizer + WordPiece (wordpiece.py) into
    ids        uint16/int32 [T]   every sentence's WordPiece ids, concatenated
    sent_start int64 [S + 1]      sentence s is ids[sent_start[s]:sent_start[s + 1]]
    doc_start  int64 [D + 1]      document d is sentences doc_start[d] .. doc_start[d + 1] - 1
and saved as <cache>/pretrain/tokens/<split>-<sha256 of text and vocab, 16 hex>.npz; a later run with the same
text and vocabulary loads it in well under a second.

Pairs ("[CLS] A [SEP] B [SEP]", token types 0 for [CLS] A [SEP], 1 for B [SEP]) follow BERT's
create_pretraining_data.py, drawn independently per example so that a batch is a pure function of (seed, step):
  * target length = seq_len - 3, or with probability short_seq_prob a random length in [2, seq_len - 3];
  * the anchor is a random sentence, chosen in proportion to its length, of a document with at least two
    sentences; from there whole sentences are gathered until the target length is reached (at least two);
    A = the first a_end of them (a_end uniform in [1, k - 1]);
  * label 0 (IsNext, probability 1/2): B = the rest of the gathered sentences;
    label 1 (NotNext): B = sentences from a random position of another document, filled to the remaining length;
  * the pair is cut to seq_len - 3 by removing tokens from the longer side, front or back at random.
Single-sentence documents (WordNet glosses, fortunes, ...) can therefore only appear as a random B. With
BERT's own rule they would always give NotNext pairs, which lets NSP cheat on the style of A.

Masking (dynamic: new positions every time a pair is drawn): round(rate * number of real tokens) positions (at
least 1), never [CLS]/[SEP]/[PAD]; 80% become [MASK], 10% a random token (not a special), 10% stay.
"""
import hashlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wordpiece  # noqa: E402

PAD, UNK, CLS, SEP, MASK = 0, 1, 2, 3, 4
N_SPECIAL = 5


def cache_root():
    return os.environ.get("HEADLIGHT_CACHE") or os.path.expanduser("~/.cache/headlight")


def portable_path(path):
    """A path as written into committed records: under the cache it reads $HEADLIGHT_CACHE/..., never this machine's."""
    root, full = os.path.abspath(cache_root()), os.path.abspath(path)
    return "$HEADLIGHT_CACHE" + full[len(root):] if full == root or full.startswith(root + os.sep) else path


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    if vocab[:N_SPECIAL] != wordpiece.SPECIALS:
        raise ValueError(f"{path}: expected {wordpiece.SPECIALS} first, got {vocab[:N_SPECIAL]}")
    return vocab


class Tokenizer:
    """BERT uncased tokenisation with the project's vocabulary: text -> ids."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}
        self.wp = wordpiece.WordPiece(vocab)
        self.token_cache = {}

    def encode_token(self, token):
        """One white-space token -> ids (the corpus is normalised, so tokens can be encoded independently)."""
        ids = self.token_cache.get(token)
        if ids is None:
            ids = [self.index[p] for w in wordpiece.basic_tokenize(token) for p in self.wp.word(w)]
            self.token_cache[token] = ids
        return ids

    def encode(self, text):
        return [i for tok in text.split() for i in self.encode_token(tok)]


def _digest(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()[:16]


class Corpus:
    """Tokenised sentences and document boundaries of one split."""

    def __init__(self, ids, sent_start, doc_start):
        self.ids, self.sent_start, self.doc_start = ids, sent_start, doc_start
        self.sent_len = np.diff(sent_start)
        self.doc_nsent = np.diff(doc_start)
        self.sent_doc = np.repeat(np.arange(len(self.doc_nsent)), self.doc_nsent)
        # sampling a sentence in proportion to its length = sampling a token uniformly
        self.cum_all = np.cumsum(self.sent_len)
        multi = np.repeat(self.doc_nsent >= 2, self.doc_nsent)
        self.multi_sents = np.nonzero(multi)[0]
        self.cum_multi = np.cumsum(self.sent_len[self.multi_sents])

    @property
    def n_tokens(self):
        return int(len(self.ids))

    def summary(self):
        single = self.doc_nsent == 1
        return {"tokens": self.n_tokens, "sentences": int(len(self.sent_len)), "documents": int(len(self.doc_nsent)),
                "tokens_in_single_sentence_docs": int(self.sent_len[np.repeat(single, self.doc_nsent)].sum())}

    def sentence(self, s):
        return self.ids[self.sent_start[s]:self.sent_start[s + 1]]

    def random_sentence(self, rng, multi_only):
        if multi_only:
            return int(self.multi_sents[np.searchsorted(self.cum_multi, rng.integers(self.cum_multi[-1]), "right")])
        return int(np.searchsorted(self.cum_all, rng.integers(self.cum_all[-1]), "right"))

    def doc_end(self, s):
        """One past the last sentence of s's document."""
        return int(self.doc_start[self.sent_doc[s] + 1])


def tokenize_file(path, tok):
    ids, sent_start, doc_start = [], [0], [0]
    n_sent = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                if doc_start[-1] != n_sent:
                    doc_start.append(n_sent)
                continue
            for t in line.split():
                ids.extend(tok.encode_token(t))
            if len(ids) == sent_start[-1]:
                continue  # nothing left after tokenisation
            sent_start.append(len(ids))
            n_sent += 1
    if doc_start[-1] != n_sent:
        doc_start.append(n_sent)
    dtype = np.uint16 if len(tok.vocab) <= 65535 else np.int32
    return np.asarray(ids, dtype=dtype), np.asarray(sent_start, np.int64), np.asarray(doc_start, np.int64)


def load_corpus(text_path, vocab_path, tok=None, log=print):
    """The tokenised split, from the cache or built (and cached) now."""
    key = _digest([text_path, vocab_path])
    split = os.path.splitext(os.path.basename(text_path))[0]
    cdir = os.path.join(cache_root(), "pretrain", "tokens")
    cpath = os.path.join(cdir, f"{split}-{key}.npz")
    t0 = time.time()
    if os.path.exists(cpath):
        z = np.load(cpath)
        c = Corpus(z["ids"], z["sent_start"], z["doc_start"])
        log(f"tokens: {cpath} loaded in {time.time() - t0:.2f}s ({c.n_tokens:,} tokens)")
        return c
    tok = tok or Tokenizer(load_vocab(vocab_path))
    ids, ss, ds = tokenize_file(text_path, tok)
    os.makedirs(cdir, exist_ok=True)
    tmp = cpath + f".tmp{os.getpid()}.npz"
    np.savez(tmp, ids=ids, sent_start=ss, doc_start=ds)
    os.replace(tmp, cpath)
    log(f"tokens: tokenised {text_path} in {time.time() - t0:.1f}s: {len(ids):,} tokens, "
        f"{len(ss) - 1:,} sentences, {len(ds) - 1:,} documents -> {cpath}")
    return Corpus(ids, ss, ds)


# ------------------------------------------------------------------------------------------------ pairs

def _truncate_pair(a, b, max_tokens, rng):
    """BERT's truncate_seq_pair: drop tokens from the longer segment, from the front or the back at random."""
    a0, a1, b0, b1 = 0, len(a), 0, len(b)
    while (a1 - a0) + (b1 - b0) > max_tokens:
        front = rng.random() < 0.5
        if a1 - a0 > b1 - b0:
            a0, a1 = (a0 + 1, a1) if front else (a0, a1 - 1)
        else:
            b0, b1 = (b0 + 1, b1) if front else (b0, b1 - 1)
    return a[a0:a1], b[b0:b1]


def make_pair(corpus, seq_len, rng, short_seq_prob=0.1):
    """One NSP example: (A ids, B ids, label) with len(A) + len(B) <= seq_len - 3; label 0 = IsNext."""
    max_tokens = seq_len - 3
    target = max_tokens
    if rng.random() < short_seq_prob:
        target = int(rng.integers(2, max_tokens + 1))
    s = corpus.random_sentence(rng, multi_only=True)
    end = corpus.doc_end(s)
    if s == end - 1:
        s -= 1
    chunk, length = [], 0
    while s < end and (length < target or len(chunk) < 2):
        chunk.append(s)
        length += int(corpus.sent_len[s])
        s += 1
    a_end = int(rng.integers(1, len(chunk)))
    a = np.concatenate([corpus.sentence(i) for i in chunk[:a_end]])
    label = int(rng.random() < 0.5)
    if label == 0:
        b = np.concatenate([corpus.sentence(i) for i in chunk[a_end:]])
    else:
        target_b = max(1, target - len(a))
        doc = corpus.sent_doc[chunk[0]]
        for _ in range(10):
            r = corpus.random_sentence(rng, multi_only=False)
            if corpus.sent_doc[r] != doc:
                break
        r_end, parts, blen = corpus.doc_end(r), [], 0
        while r < r_end and blen < target_b:
            parts.append(corpus.sentence(r))
            blen += len(parts[-1])
            r += 1
        b = np.concatenate(parts)
    a, b = _truncate_pair(a, b, max_tokens, rng)
    return a, b, label


def make_batch(corpus, batch, seq_len, rng, mask_rate, vocab_size, short_seq_prob=0.1, pad_multiple=8):
    """A masked batch as numpy arrays: ids, token types, attention mask [B, n] (n = longest pair rounded up to
    pad_multiple, at most seq_len), MLM labels [B, n] (-100 where not predicted), NSP labels [B]."""
    pairs = [make_pair(corpus, seq_len, rng, short_seq_prob) for _ in range(batch)]
    n = max(len(a) + len(b) + 3 for a, b, _ in pairs)
    n = min(seq_len, -(-n // pad_multiple) * pad_multiple)
    ids = np.zeros((batch, n), np.int64)
    tt = np.zeros((batch, n), np.int64)
    am = np.zeros((batch, n), np.int64)
    for i, (a, b, _) in enumerate(pairs):
        la, lb = len(a), len(b)
        ids[i, 0] = CLS
        ids[i, 1:1 + la] = a
        ids[i, 1 + la] = SEP
        ids[i, 2 + la:2 + la + lb] = b
        ids[i, 2 + la + lb] = SEP
        tt[i, 2 + la:3 + la + lb] = 1
        am[i, :3 + la + lb] = 1
    nsp = np.array([p[2] for p in pairs], np.int64)
    ids, labels = mask_tokens(ids, rng, mask_rate, vocab_size)
    return ids, tt, am, labels, nsp


def mask_tokens(ids, rng, rate, vocab_size):
    """Dynamic MLM masking of a padded batch; returns (masked ids, labels)."""
    cand = ids >= N_SPECIAL
    k = np.maximum(1, np.rint(cand.sum(1) * rate)).astype(np.int64)          # [B]
    scores = np.where(cand, rng.random(ids.shape), 2.0)
    order = np.argsort(scores, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(ids.shape[1])[None].repeat(len(ids), 0), axis=1)
    chosen = (rank < k[:, None]) & cand
    labels = np.where(chosen, ids, -100)
    r = rng.random(ids.shape)
    out = ids.copy()
    out[chosen & (r < 0.8)] = MASK
    rand = chosen & (r >= 0.8) & (r < 0.9)
    out[rand] = rng.integers(N_SPECIAL, vocab_size, size=int(rand.sum()))
    return out, labels


def batch_rng(seed, step, stream=0):
    """The data RNG of one training step: batches depend only on (seed, step), so --resume is exact."""
    return np.random.default_rng([seed, stream, step])
