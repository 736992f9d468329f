# Draws N held-out sentence pairs (consecutive sentences of a document) with ~15% of words as [MASK], as a TSV.
"""
  /usr/bin/python3 tools/pretrain/heldout_pairs.py --n 200 --out models/headlight-mini/heldout-pairs.tsv

Text lines: "A<TAB>B<TAB>the hidden words, in order". Pairs come from the corpus's heldout.txt (documents the training never saw); sentences
longer than --max-words words are skipped, so that pairs fit in 128 tokens. In each pair round(15%) of the
alphabetic words of A and B together (at least one) become [MASK], for comparing masked-LM predictions; the rest is unchanged.
"""
import argparse
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
from evaluate import read_docs  # noqa: E402

WORD = re.compile(r"(?<![\w'])[A-Za-z]+(?![\w'])")


def mask_words(text, rng, rate):
    """-> (text with words replaced by [MASK], the hidden words in text order)."""
    spans = [m.span() for m in WORD.finditer(text)]
    k = max(1, round(rate * len(spans))) if spans else 0
    hidden = []
    for s, e in sorted(rng.sample(spans, k), reverse=True):
        hidden.append(text[s:e])
        text = text[:s] + "[MASK]" + text[e:]
    return text, hidden[::-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--heldout", default=os.path.join(data.cache_root(), "corpus", "heldout.txt"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--max-words", type=int, default=40)
    ap.add_argument("--rate", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    docs = read_docs(args.heldout)
    ok = lambda s: 3 <= len(s.split()) <= args.max_words and "\t" not in s  # noqa: E731
    spots = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc) - 1) if ok(doc[i]) and ok(doc[i + 1])]
    picked = rng.sample(spots, args.n)
    with open(args.out, "w", encoding="utf-8") as f:
        for d, i in picked:
            text, hidden = mask_words(f"{docs[d][i]}\t{docs[d][i + 1]}", rng, args.rate)
            f.write(f"{text}\t{' '.join(hidden)}\n")
    print(f"wrote {args.n} pairs from {len(spots):,} candidates to {args.out}")


if __name__ == "__main__":
    main()
