#!/usr/bin/env bash
# Download the source tarballs listed in third_party/SOURCES.txt (XNNPACK, pthreadpool, cpuinfo,
# fxdiv) from Debian's archive into ${HEADLIGHT_CACHE:-$HOME/.cache/headlight}/src and check their
# sha256. Uses `apt-get source --download-only` through a private apt configuration kept in the
# cache dir (deb-src trixie + sid); the system's apt configuration is never touched.
# Idempotent: tarballs already present with the right checksum are not downloaded again.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SOURCES_TXT="$REPO/third_party/SOURCES.txt"
CACHE="${HEADLIGHT_CACHE:-$HOME/.cache/headlight}"
SRC="$CACHE/src"
APTDIR="$CACHE/apt"

die() { echo "fetch_sources: error: $*" >&2; exit 1; }

[ -f "$SOURCES_TXT" ] || die "$SOURCES_TXT not found"
mkdir -p "$SRC"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Read "package version filename sha256" lines.
PKGS=(); VERS=(); FILES=(); SHAS=()
while read -r pkg ver file sha _rest; do
  case "$pkg" in ''|'#'*) continue ;; esac
  [ -n "$sha" ] || die "malformed line in $SOURCES_TXT: $pkg $ver $file"
  PKGS+=("$pkg"); VERS+=("$ver"); FILES+=("$file"); SHAS+=("$sha")
done < "$SOURCES_TXT"

# One fetch at a time per cache dir (parallel variant builds share it).
if command -v flock >/dev/null; then
  exec 9>"$SRC/.lock"
  flock 9
fi

missing=()
for i in "${!PKGS[@]}"; do
  f="$SRC/${FILES[$i]}"
  if [ -f "$f" ] && [ "$(sha_of "$f")" = "${SHAS[$i]}" ]; then
    continue
  fi
  rm -f "$f"
  missing+=("$i")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "fetch_sources: all ${#PKGS[@]} tarballs present and verified in $SRC"
  exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (needed to download Debian source tarballs)"

# Private apt configuration.
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/sourceparts" "$APTDIR/dl"
cat > "$APTDIR/sources.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
APT_OPTS=(
  -o "Dir::Etc::sourcelist=$APTDIR/sources.sources"
  -o "Dir::Etc::sourceparts=$APTDIR/sourceparts"
  -o "Dir::State::Lists=$APTDIR/lists"
  -o "Dir::Cache=$APTDIR/cache"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Retries=3"
)

echo "fetch_sources: updating private apt source lists in $APTDIR"
apt-get "${APT_OPTS[@]}" -qq update || die "apt-get update (private config in $APTDIR) failed"

for i in "${missing[@]}"; do
  pkg="${PKGS[$i]}"; ver="${VERS[$i]}"; file="${FILES[$i]}"; sha="${SHAS[$i]}"
  # Find the Debian version (with revision) whose upstream part is $ver.
  # (awk reads to the end: a reader that exits early would fail the pipe under pipefail)
  full="$(apt-cache "${APT_OPTS[@]}" showsrc "$pkg" \
          | awk -v v="$ver" '/^Version: /{ u=$2; sub(/-[^-]*$/, "", u); sub(/^[0-9]+:/, "", u); if (u == v && !f) f = $2 } END { print f }')"
  [ -n "$full" ] || die "no source package $pkg with upstream version $ver in Debian trixie/sid (was it removed from the archive?)"
  echo "fetch_sources: downloading $pkg=$full"
  rm -rf "$APTDIR/dl"; mkdir -p "$APTDIR/dl"
  # apt exits non-zero because the .dsc / debian tarball are not all fetchable; the .orig.tar.xz
  # is what we need, and its checksum is verified below.
  ( cd "$APTDIR/dl" && apt-get "${APT_OPTS[@]}" -qq source --download-only "$pkg=$full" ) \
    > "$APTDIR/source-$pkg.log" 2>&1 \
    || echo "fetch_sources: (apt-get source exited non-zero for $pkg, as expected: .dsc is 404; checking the tarball)"
  if [ ! -f "$APTDIR/dl/$file" ]; then
    cat "$APTDIR/source-$pkg.log" >&2
    die "$file was not downloaded (apt-get source $pkg=$full)"
  fi
  got="$(sha_of "$APTDIR/dl/$file")"
  if [ "$got" != "$sha" ]; then
    die "checksum mismatch for $file:
  expected $sha (third_party/SOURCES.txt)
  got      $got
The file was not installed into $SRC."
  fi
  mv "$APTDIR/dl/$file" "$SRC/$file"
  echo "fetch_sources: $file OK"
done
rm -rf "$APTDIR/dl"
echo "fetch_sources: all ${#PKGS[@]} tarballs present and verified in $SRC"
