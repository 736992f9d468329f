#!/usr/bin/env bash
# Learns the WordPiece vocabulary from the built corpus and fills the per-source sizes into sources.tsv.
#
#   tools/pretrain/build_vocab.sh [VOCAB_SIZE]     # default 16000; run build_corpus.sh first
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="${HEADLIGHT_CACHE:-$HOME/.cache/headlight}/corpus"
python="${PYTHON:-/usr/bin/python3}"
cd "$here"
"$python" wordpiece.py --corpus "$corpus/train.txt" --heldout "$corpus/heldout.txt" \
  --vocab-size "${1:-16000}" --out "$corpus/vocab.txt"
"$python" corpus_stats.py --corpus "$corpus" --vocab "$corpus/vocab.txt" --update sources.tsv
echo "vocabulary: $corpus/vocab.txt ($(wc -l < "$corpus/vocab.txt") entries)"
