# Cleans the unpacked sources into train.txt / heldout.txt: one sentence a line, a blank line between documents.
import argparse
import hashlib
import json
import os
import re
import sys
import time

import extract
from textclean import is_prose, normalize, split_sentences

HELDOUT_PER_MILLE = 20      # ~2% of documents, chosen by a hash of "source/doc_id"
MAX_SENTENCE_WORDS = 200    # longer "sentences" are tables, code or run-ons: dropped
MIN_SENTENCE_CHARS = 2


def heldout(source, doc_id):
    h = hashlib.sha256(f"{source}/{doc_id}".encode()).digest()
    return int.from_bytes(h[:4], "big") % 1000 < HELDOUT_PER_MILLE


def paragraph_key(sentences):
    """Dedup key: the paragraph's letters and digits, lower-cased."""
    return hashlib.sha1(re.sub(r"\W+", "", " ".join(sentences).lower()).encode()).digest()[:12]


def clean_document(paragraphs, seen):
    """Normalised, filtered, sentence-split and deduplicated paragraphs of one document (a list of sentences)."""
    out = []
    for p in paragraphs:
        if isinstance(p, str):
            p = normalize(p)
            sentences = split_sentences(p) if is_prose(p) else []
        else:  # already split into sentences by the reader
            sentences = [normalize(s) for s in p]
        sentences = [s for s in sentences if len(s) >= MIN_SENTENCE_CHARS and len(s.split()) <= MAX_SENTENCE_WORDS]
        if not sentences:
            continue
        key = paragraph_key(sentences)
        if key in seen:
            continue
        seen.add(key)
        out.extend(sentences)
    return out


def main():
    ap = argparse.ArgumentParser(description="Clean the unpacked corpus sources into train.txt and heldout.txt.")
    ap.add_argument("--sources", required=True, help="sources.tsv")
    ap.add_argument("--src", required=True, help="folder with one unpacked folder per source name")
    ap.add_argument("--out", required=True, help="output folder for train.txt, heldout.txt, *.docs.tsv, stats.json")
    args = ap.parse_args()

    rows = [l.rstrip("\n").split("\t") for l in open(args.sources, encoding="utf-8")]
    header, rows = rows[0], [r for r in rows[1:] if r and not r[0].startswith("#")]
    col = {name: i for i, name in enumerate(header)}

    files = {split: open(os.path.join(args.out, f"{split}.txt.tmp"), "w", encoding="utf-8")
             for split in ("train", "heldout")}
    index = {split: open(os.path.join(args.out, f"{split}.docs.tsv.tmp"), "w", encoding="utf-8")
             for split in ("train", "heldout")}
    seen, stats = set(), {}
    for row in rows:
        name = row[col["name"]]
        t0 = time.time()
        st = stats[name] = {s: {"documents": 0, "sentences": 0, "words": 0} for s in ("train", "heldout")}
        for doc_id, paragraphs in extract.READERS[name](os.path.join(args.src, name)):
            sentences = clean_document(paragraphs, seen)
            if not sentences:
                continue
            split = "heldout" if heldout(name, doc_id) else "train"
            files[split].write("\n".join(sentences) + "\n\n")
            words = sum(len(s.split()) for s in sentences)
            index[split].write(f"{name}\t{doc_id}\t{len(sentences)}\t{words}\n")
            st[split]["documents"] += 1
            st[split]["sentences"] += len(sentences)
            st[split]["words"] += words
        print(f"{name:14s} {st['train']['documents']:7d} docs {st['train']['sentences']:9d} sentences "
              f"{st['train']['words']:10d} words (held out: {st['heldout']['documents']} docs, "
              f"{st['heldout']['words']} words)  {time.time() - t0:5.1f}s", flush=True)
    for f in list(files.values()) + list(index.values()):
        f.close()
        os.replace(f.name, f.name[:-4])
    total = {s: {k: sum(v[s][k] for v in stats.values()) for k in ("documents", "sentences", "words")}
             for s in ("train", "heldout")}
    stats["total"] = total
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    for s in ("train", "heldout"):
        print(f"{'TOTAL ' + s:14s} {total[s]['documents']:7d} docs {total[s]['sentences']:9d} sentences "
              f"{total[s]['words']:10d} words")


if __name__ == "__main__":
    sys.exit(main())
