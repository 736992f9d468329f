# Per-source corpus size in words and WordPiece tokens; with --update, writes them into sources.tsv.
"""  /usr/bin/python3 corpus_stats.py --corpus DIR --vocab DIR/vocab.txt [--update sources.tsv]

Counts train.txt and heldout.txt together, attributing each document to its source via *.docs.tsv.
words = white-space separated words of the cleaned text; pieces = WordPiece tokens with the given vocabulary
(punctuation marks count as pieces, [CLS]/[SEP] not)."""
import argparse
import collections
import os

from wordpiece import WordPiece, basic_tokenize


def source_counts(corpus_dir):
    """{source: Counter of white-space tokens} over train and held-out text."""
    raw = collections.defaultdict(collections.Counter)
    for split in ("train", "heldout"):
        with open(os.path.join(corpus_dir, f"{split}.txt"), encoding="utf-8") as text, \
                open(os.path.join(corpus_dir, f"{split}.docs.tsv"), encoding="utf-8") as index:
            for entry in index:
                source, _, sentences, _ = entry.rstrip("\n").split("\t")
                for _ in range(int(sentences)):
                    raw[source].update(next(text).split())
                assert next(text) == "\n", "train.txt and train.docs.tsv disagree"
    return raw


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="folder with train.txt, heldout.txt and their .docs.tsv")
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--update", help="sources.tsv whose words and pieces columns to fill in")
    args = ap.parse_args()

    wp = WordPiece(open(args.vocab, encoding="utf-8").read().splitlines())
    pieces_of = {}
    sizes = {}
    for source, tokens in source_counts(args.corpus).items():
        words = pieces = 0
        for tok, n in tokens.items():
            if tok not in pieces_of:
                pieces_of[tok] = sum(len(wp.word(w)) for w in basic_tokenize(tok))
            words += n
            pieces += n * pieces_of[tok]
        sizes[source] = (words, pieces)
        print(f"{source:14s} {words:10d} words {pieces:10d} pieces ({pieces / words:.2f} per word)")
    words, pieces = map(sum, zip(*sizes.values()))
    print(f"{'TOTAL':14s} {words:10d} words {pieces:10d} pieces ({pieces / words:.2f} per word)")

    if args.update:
        lines = open(args.update, encoding="utf-8").read().rstrip("\n").split("\n")
        header = lines[0].split("\t")
        w, p = header.index("words"), header.index("pieces")
        for i, line in enumerate(lines[1:], 1):
            row = line.split("\t")
            if row[0] in sizes:
                row[w], row[p] = map(str, sizes[row[0]])
                lines[i] = "\t".join(row)
        with open(args.update, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
