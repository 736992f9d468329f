#!/usr/bin/python3
# Generates the tokenizer's Unicode tables (hl_unicode_tables.{h,cpp}) from the Unicode Character Database.
"""Build-time generator for wasm/src/tokenizer (stdlib only).

Usage: /usr/bin/python3 tools/gen_unicode_tables.py --ucd /usr/share/unicode --out DIR

Reads (Debian package `unicode-data`, Unicode 15.0):
  UnicodeData.txt            general category, canonical combining class, canonical decomposition,
                             simple lowercase mapping
  SpecialCasing.txt          unconditional full lowercase mappings and the Final_Sigma mapping
  DerivedCoreProperties.txt  Cased, Case_Ignorable (context of Final_Sigma)

Writes DIR/hl_unicode_tables.h and DIR/hl_unicode_tables.cpp:
  * a two-stage lookup table cp -> uint16 (flag bits | canonical combining class << 8)
  * a second two-stage table cp -> uint8 major class (letter \\p{L}, number \\p{N}, other) for the
    byte-level BPE pre-tokenizer's regex
  * sorted lowercase mappings (full, incl. unconditional SpecialCasing) and the Final_Sigma mapping
  * sorted full (recursively expanded) canonical decompositions (Hangul syllables are algorithmic
    and are not listed)
"""
import argparse
import os
import sys

MAX_CP = 0x110000

# Flag bits of the property table (kept equal to the constants written into the header).
F_CONTROL = 1 << 0         # gc Cc, Cf, Co, Cs (BertNormalizer.is_control, minus \t \n \r done in code)
F_MN = 1 << 1              # gc Mn (removed by accent stripping)
F_PUNCT = 1 << 2           # gc P* (\p{P})
F_JS_SPACE = 1 << 3        # ECMAScript \s: WhiteSpace + LineTerminator
F_CASED = 1 << 4           # Cased
F_CASE_IGNORABLE = 1 << 5  # Case_Ignorable
F_HAS_LOWER = 1 << 6       # full lowercase mapping differs from the code point itself
F_HAS_DECOMP = 1 << 7      # has a canonical decomposition listed in the decomposition table

# ECMA-262 defines \s as WhiteSpace (U+0009, U+000B, U+000C, U+0020, U+00A0, U+FEFF and every Zs)
# plus LineTerminator (U+000A, U+000D, U+2028, U+2029). These few code points come from the
# ECMAScript specification, not from a Unicode property; Zs comes from UnicodeData.txt.
ECMASCRIPT_SPACE_EXTRA = [0x09, 0x0B, 0x0C, 0x20, 0xA0, 0xFEFF, 0x0A, 0x0D, 0x2028, 0x2029]

# Values of the major-class table (\p{L}: gc L*, \p{N}: gc N*; everything else, unassigned included, is other).
CLASS_OTHER = 0
CLASS_LETTER = 1
CLASS_NUMBER = 2


def parse_unicode_data(path):
    """Returns dict cp -> (gc, ccc, decomposition field, simple lowercase) for every assigned code point."""
    data = {}
    range_start = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            fields = line.split(";")
            cp = int(fields[0], 16)
            name, gc, ccc, decomp, lower = fields[1], fields[2], int(fields[3]), fields[5], fields[13]
            rec = (gc, ccc, decomp, int(lower, 16) if lower else None)
            if name.endswith(", First>"):
                range_start = cp
                continue
            if name.endswith(", Last>"):
                for c in range(range_start, cp + 1):
                    data[c] = rec
                range_start = None
                continue
            data[cp] = rec
    return data


def parse_property_file(path, wanted):
    """Returns dict property -> set of code points, for the properties in `wanted`."""
    out = {w: set() for w in wanted}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            rng, prop = [x.strip() for x in line.split(";")[:2]]
            if prop not in out:
                continue
            if ".." in rng:
                a, b = [int(x, 16) for x in rng.split("..")]
            else:
                a = b = int(rng, 16)
            out[prop].update(range(a, b + 1))
    return out


def parse_special_casing(path):
    """Returns (unconditional lowercase mappings cp -> [cps], Final_Sigma mappings cp -> cp)."""
    uncond = {}
    final_sigma = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            cp = int(fields[0], 16)
            lower = [int(x, 16) for x in fields[1].split()] if fields[1] else []
            condition = fields[4] if len(fields) > 4 else ""
            if condition == "":
                uncond[cp] = lower
            elif condition == "Final_Sigma":
                if len(lower) != 1:
                    sys.exit("gen_unicode_tables: Final_Sigma mapping to several code points is unsupported")
                final_sigma[cp] = lower[0]
            # Other conditions are language-specific (lt, tr, az): JS toLowerCase() uses the root locale.
    return uncond, final_sigma


def full_decomposition(cp, ud, memo):
    if cp in memo:
        return memo[cp]
    rec = ud.get(cp)
    if rec is None or not rec[2] or rec[2].startswith("<"):
        res = [cp]
    else:
        res = []
        for part in rec[2].split():
            res.extend(full_decomposition(int(part, 16), ud, memo))
    memo[cp] = res
    return res


def c_array(ctype, name, values, per_line=16, fmt="{}"):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("  " + ", ".join(fmt.format(v) for v in values[i:i + per_line]) + ",")
    body = "\n".join(lines) if lines else "  0,"
    return "const %s %s[%d] = {\n%s\n};\n" % (ctype, name, max(len(values), 1), body)


def build_two_stage(values, shift):
    block = 1 << shift
    blocks = {}
    block_list = []
    index = []
    for start in range(0, MAX_CP, block):
        chunk = tuple(values[start:start + block])
        idx = blocks.get(chunk)
        if idx is None:
            idx = len(block_list)
            blocks[chunk] = idx
            block_list.append(chunk)
        index.append(idx)
    return index, block_list


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ucd", default="/usr/share/unicode", help="directory of the Unicode Character Database")
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()

    ud = parse_unicode_data(os.path.join(args.ucd, "UnicodeData.txt"))
    props = parse_property_file(os.path.join(args.ucd, "DerivedCoreProperties.txt"), ["Cased", "Case_Ignorable"])
    uncond_lower, final_sigma = parse_special_casing(os.path.join(args.ucd, "SpecialCasing.txt"))

    version = "unknown"
    try:
        with open(os.path.join(args.ucd, "DerivedCoreProperties.txt"), encoding="utf-8") as f:
            first = f.readline().strip()  # e.g. "# DerivedCoreProperties-15.0.0.txt"
            version = first.split("-", 1)[1].rsplit(".txt", 1)[0]
    except (OSError, IndexError):
        pass

    # Full lowercase mapping: SpecialCasing unconditional entries override the simple mapping.
    lower_map = {}
    for cp, rec in ud.items():
        if rec[3] is not None and rec[3] != cp:
            lower_map[cp] = [rec[3]]
    for cp, low in uncond_lower.items():
        if low == [cp]:
            lower_map.pop(cp, None)
        else:
            lower_map[cp] = low

    # Canonical decompositions (Hangul syllables AC00..D7A3 are decomposed algorithmically in code).
    memo = {}
    decomp_map = {}
    for cp, rec in ud.items():
        if 0xAC00 <= cp <= 0xD7A3:
            continue
        d = full_decomposition(cp, ud, memo)
        if d != [cp]:
            decomp_map[cp] = d

    values = [0] * MAX_CP
    for cp, (gc, ccc, _, _) in ud.items():
        v = 0
        if gc in ("Cc", "Cf", "Co", "Cs"):
            v |= F_CONTROL
        if gc == "Mn":
            v |= F_MN
        if gc.startswith("P"):
            v |= F_PUNCT
        if gc == "Zs":
            v |= F_JS_SPACE
        v |= (ccc & 0xFF) << 8
        values[cp] = v
    for cp in ECMASCRIPT_SPACE_EXTRA:
        values[cp] |= F_JS_SPACE
    for cp in props["Cased"]:
        values[cp] |= F_CASED
    for cp in props["Case_Ignorable"]:
        values[cp] |= F_CASE_IGNORABLE
    for cp in lower_map:
        values[cp] |= F_HAS_LOWER
    for cp in decomp_map:
        values[cp] |= F_HAS_DECOMP

    classes = [CLASS_OTHER] * MAX_CP
    for cp, (gc, _, _, _) in ud.items():
        if gc.startswith("L"):
            classes[cp] = CLASS_LETTER
        elif gc.startswith("N"):
            classes[cp] = CLASS_NUMBER

    # Pick the block size giving the smallest two-stage table.
    def smallest_two_stage(vals, value_bytes):
        best = None
        for shift in range(4, 10):
            index, blocks = build_two_stage(vals, shift)
            size = len(index) * 2 + len(blocks) * (1 << shift) * value_bytes
            if best is None or size < best[0]:
                best = (size, shift, index, blocks)
        _, shift, index, blocks = best
        if len(blocks) > 0xFFFF:
            sys.exit("gen_unicode_tables: too many blocks")
        return shift, index, [v for b in blocks for v in b]

    shift, index, flat = smallest_two_stage(values, 2)
    cshift, cindex, cflat = smallest_two_stage(classes, 1)

    # Lowercase table: entries (cp, first, len); len == 1 -> first is the code point, else index into pool.
    lower_cps = sorted(lower_map)
    lower_pool = []
    lower_first = []
    lower_len = []
    for cp in lower_cps:
        m = lower_map[cp]
        if len(m) == 1:
            lower_first.append(m[0])
        else:
            lower_first.append(len(lower_pool))
            lower_pool.extend(m)
        lower_len.append(len(m))

    decomp_cps = sorted(decomp_map)
    decomp_pool = []
    decomp_off = []
    decomp_len = []
    for cp in decomp_cps:
        decomp_off.append(len(decomp_pool))
        decomp_len.append(len(decomp_map[cp]))
        decomp_pool.extend(decomp_map[cp])
    max_decomp = max(decomp_len)
    max_lower = max(lower_len)

    os.makedirs(args.out, exist_ok=True)
    header = """// Generated by tools/gen_unicode_tables.py from the Unicode Character Database %(version)s: do not edit.
#pragma once
#include <cstdint>

namespace hl {
namespace unicode_tables {

constexpr const char* kUnicodeVersion = "%(version)s";

constexpr uint16_t kControl = %(F_CONTROL)d;        // gc Cc, Cf, Co, Cs
constexpr uint16_t kMn = %(F_MN)d;                  // gc Mn
constexpr uint16_t kPunct = %(F_PUNCT)d;            // gc P*
constexpr uint16_t kJsSpace = %(F_JS_SPACE)d;       // ECMAScript \\s (WhiteSpace + LineTerminator)
constexpr uint16_t kCased = %(F_CASED)d;            // Cased
constexpr uint16_t kCaseIgnorable = %(F_CASE_IGNORABLE)d;   // Case_Ignorable
constexpr uint16_t kHasLower = %(F_HAS_LOWER)d;     // full lowercase mapping is not the identity
constexpr uint16_t kHasDecomp = %(F_HAS_DECOMP)d;   // listed in the canonical decomposition table
constexpr int kCccShift = 8;                  // value >> kCccShift: canonical combining class

constexpr int kStageShift = %(shift)d;
constexpr uint32_t kStageMask = %(mask)d;
extern const uint16_t kStage1[%(n1)d];   // (cp >> kStageShift) -> block
extern const uint16_t kStage2[%(n2)d];   // block * (1 << kStageShift) + (cp & kStageMask) -> value

// Major general-category class (\\p{L} / \\p{N} / other), the same two-stage layout.
constexpr uint8_t kClassOther = %(CLASS_OTHER)d;
constexpr uint8_t kClassLetter = %(CLASS_LETTER)d;
constexpr uint8_t kClassNumber = %(CLASS_NUMBER)d;
constexpr int kClassShift = %(cshift)d;
constexpr uint32_t kClassMask = %(cmask)d;
extern const uint16_t kClassStage1[%(cn1)d];
extern const uint8_t kClassStage2[%(cn2)d];

// Full lowercase mappings (root locale: UnicodeData simple mappings overridden by the unconditional
// SpecialCasing entries), sorted by code point.
constexpr int kLowerCount = %(nl)d;
constexpr int kMaxLowerLength = %(max_lower)d;
extern const uint32_t kLowerFrom[%(nl)d];
extern const uint32_t kLowerFirst[%(nl)d];   // the code point if kLowerLength == 1, else index into kLowerPool
extern const uint8_t kLowerLength[%(nl)d];
extern const uint32_t kLowerPool[%(nlp)d];
// SpecialCasing "Final_Sigma" mapping (GREEK CAPITAL LETTER SIGMA -> FINAL SIGMA).
constexpr uint32_t kFinalSigmaFrom = 0x%(fs_from)X;
constexpr uint32_t kFinalSigmaTo = 0x%(fs_to)X;

// Full canonical decompositions (recursively expanded), sorted by code point; Hangul excluded.
constexpr int kDecompCount = %(nd)d;
constexpr int kMaxDecompLength = %(max_decomp)d;
extern const uint32_t kDecompFrom[%(nd)d];
extern const uint16_t kDecompOffset[%(nd)d];
extern const uint8_t kDecompLength[%(nd)d];
extern const uint32_t kDecompPool[%(ndp)d];

}  // namespace unicode_tables
}  // namespace hl
"""
    if len(final_sigma) != 1:
        sys.exit("gen_unicode_tables: expected exactly one Final_Sigma mapping")
    (fs_from, fs_to), = final_sigma.items()
    if len(decomp_pool) > 0xFFFF:
        sys.exit("gen_unicode_tables: decomposition pool too large for uint16 offsets")
    subst = dict(version=version, F_CONTROL=F_CONTROL, F_MN=F_MN, F_PUNCT=F_PUNCT, F_JS_SPACE=F_JS_SPACE,
                 F_CASED=F_CASED, F_CASE_IGNORABLE=F_CASE_IGNORABLE, F_HAS_LOWER=F_HAS_LOWER,
                 F_HAS_DECOMP=F_HAS_DECOMP, shift=shift, mask=(1 << shift) - 1, n1=len(index), n2=len(flat),
                 nl=len(lower_cps), nlp=max(len(lower_pool), 1), max_lower=max_lower, fs_from=fs_from,
                 fs_to=fs_to, nd=len(decomp_cps), ndp=len(decomp_pool), max_decomp=max_decomp,
                 CLASS_OTHER=CLASS_OTHER, CLASS_LETTER=CLASS_LETTER, CLASS_NUMBER=CLASS_NUMBER, cshift=cshift,
                 cmask=(1 << cshift) - 1, cn1=len(cindex), cn2=len(cflat))
    src = ["// Generated by tools/gen_unicode_tables.py from the Unicode Character Database %s: do not edit.\n" % version,
           '#include "hl_unicode_tables.h"\n\nnamespace hl {\nnamespace unicode_tables {\n\n']
    src.append(c_array("uint16_t", "kStage1", index))
    src.append(c_array("uint16_t", "kStage2", flat, per_line=32))
    src.append(c_array("uint16_t", "kClassStage1", cindex))
    src.append(c_array("uint8_t", "kClassStage2", cflat, per_line=32))
    src.append(c_array("uint32_t", "kLowerFrom", lower_cps, fmt="0x{:X}"))
    src.append(c_array("uint32_t", "kLowerFirst", lower_first, fmt="0x{:X}"))
    src.append(c_array("uint8_t", "kLowerLength", lower_len, per_line=32))
    src.append(c_array("uint32_t", "kLowerPool", lower_pool, fmt="0x{:X}"))
    src.append(c_array("uint32_t", "kDecompFrom", decomp_cps, fmt="0x{:X}"))
    src.append(c_array("uint16_t", "kDecompOffset", decomp_off))
    src.append(c_array("uint8_t", "kDecompLength", decomp_len, per_line=32))
    src.append(c_array("uint32_t", "kDecompPool", decomp_pool, fmt="0x{:X}"))
    src.append("\n}  // namespace unicode_tables\n}  // namespace hl\n")

    def write_if_changed(path, text):
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == text:
                    return
        except OSError:
            pass
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    write_if_changed(os.path.join(args.out, "hl_unicode_tables.h"), header % subst)
    write_if_changed(os.path.join(args.out, "hl_unicode_tables.cpp"), "".join(src))


if __name__ == "__main__":
    main()
