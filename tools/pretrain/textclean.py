# Text cleaning for the pretraining corpus: normalisation, a prose filter and a rule-based sentence splitter.
import re
import unicodedata

# Titles and abbreviations that end in a period without ending a sentence (compared lower-cased).
ABBREVIATIONS = set("""
mr mrs ms dr prof rev st jr sr gen col lt sgt capt cmdr adm gov sen rep pres hon messrs mme mlle
co corp inc ltd bros dept univ assn est fig figs eq vol vols no nos pp ed eds ch sec art ca cf vs etc
e.g i.e a.m p.m u.s u.k u.n d.c n.y jan feb mar apr jun jul aug sep sept oct nov dec mt ft
""".split())

_SPACES = re.compile(r"\s+")
# A sentence ends at . ! or ? (possibly repeated, possibly followed by closing quotes or brackets)
# when whitespace and then an opening quote/bracket, an upper-case letter or a digit follow.
_BOUNDARY = re.compile(r"([.!?]+[\"'\u201d\u2019)\]]*)\s+(?=[\"'\u201c\u2018(\[]*[A-Z0-9])")
_WORDLIKE = re.compile(r"^[\"'\u201c\u2018(\[]*[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019-]*"
                       r"[.,;:!?\"'\u201d\u2019)\]]*$")


def normalize(text):
    """NFC, control characters dropped, every run of white space (any Unicode kind) made one space."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(c) in ("Zs", "Zl", "Zp") or c in "\t\n\r\f\v"
                   else c for c in text if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs"))
    return _SPACES.sub(" ", text).strip()


def is_prose(paragraph, min_words=3, min_wordlike=0.75):
    """True when a paragraph looks like running text: enough words, mostly made of letters."""
    words = paragraph.split()
    if len(words) < min_words:
        return False
    wordlike = sum(1 for w in words if _WORDLIKE.match(w))
    return wordlike >= min_wordlike * len(words)


def _ends_with_abbreviation(chunk):
    last = chunk.rsplit(" ", 1)[-1].lstrip("\"'(\u201c\u2018[")
    core = last.rstrip(".").lower()
    if not last.endswith(".") or last.endswith(".."):
        return False
    # single letters (initials: "J. F. Kennedy") and known abbreviations
    return (len(core) == 1 and core.isalpha()) or core in ABBREVIATIONS


def split_sentences(paragraph):
    """Split a normalised paragraph into sentences (see _BOUNDARY; abbreviations and initials do not end one)."""
    pieces = _BOUNDARY.split(paragraph)
    # re.split with one group gives [text, punct, text, punct, ..., text]
    sentences, current = [], ""
    for i in range(0, len(pieces), 2):
        current += pieces[i]
        if i + 1 < len(pieces):
            current += pieces[i + 1]
            if pieces[i + 1].startswith(".") and _ends_with_abbreviation(current):
                current += " "
                continue
            sentences.append(current.strip())
            current = ""
    if current.strip():
        sentences.append(current.strip())
    return sentences


_DETOK_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "%"}


def detokenize(tokens):
    """Join Penn/Brown-style tokens into text: no space before closing punctuation, `` and '' as quotes."""
    out, glue_next = [], False
    for tok in tokens:
        opening = tok in ("``", "(", "[", "{", "$")
        tok = '"' if tok in ("``", "''") else tok
        if out and not glue_next and tok not in _DETOK_NO_SPACE_BEFORE and not (tok == '"' and not opening):
            out.append(" ")
        out.append(tok)
        glue_next = opening
    return "".join(out)
