# Readers for each corpus source: each yields (doc_id, paragraphs); a paragraph is a string or a list of sentences.
import email
import email.policy
import gzip
import html.parser
import os
import re

from textclean import detokenize


def _files(root, pattern, exclude=None):
    """Sorted relative paths under root whose path matches the regex pattern (and not exclude)."""
    found = []
    for d, _, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root)
            if re.search(pattern, rel) and not (exclude and re.search(exclude, rel)):
                found.append(rel)
    return sorted(found)


def _blocks(text):
    """Paragraphs of a plain-text file: runs of non-blank lines joined by spaces."""
    return [" ".join(b.split()) for b in re.split(r"\n\s*\n", text) if b.strip()]


def brown(root):
    """Brown corpus: word/TAG tokens, one sentence per line; each file (text sample) is a document."""
    for rel in _files(root, r"(^|/)c[a-r]\d\d$"):
        sentences = []
        for line in open(os.path.join(root, rel), encoding="latin-1"):
            words = [t.rsplit("/", 1)[0] for t in line.split()]
            if words:
                sentences.append(detokenize(words))
        yield rel.rsplit("/", 1)[-1], [sentences]


_STAGE = re.compile(r"\s*(\[(applause|laughter|missing text)[^\]]*\]|\((applause|laughter)[^)]*\))", re.I)


def sotu(root):
    """State of the Union addresses: one speech per .txt file, a single line each, stage directions removed."""
    for rel in _files(root, r"data/.*\.txt$"):
        text = _STAGE.sub("", open(os.path.join(root, rel), encoding="utf-8").read())
        yield os.path.basename(rel)[:-4], _blocks(text)


_QUOTE_INTRO = re.compile(r"(wrote|writes|said)\s*:\s*$", re.I)


def _mail_body(msg):
    texts = []
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.is_attachment():
            try:
                texts.append(part.get_content())
            except (LookupError, UnicodeError, AssertionError):
                texts.append(part.get_payload(decode=True).decode("latin-1"))
    return "\n\n".join(texts)


def spam_assassin_ham(root):
    """SpamAssassin ham (easy-ham-1/2): text/plain bodies without quotes, signatures or list footers."""
    for rel in _files(root, r"data/easy-ham-\d/.*\.txt$"):
        msg = email.message_from_bytes(open(os.path.join(root, rel), "rb").read(), policy=email.policy.default)
        lines = []
        for line in _mail_body(msg).splitlines():
            if line.rstrip() == "--" or line.startswith("_____") or line.startswith("-----Original Message"):
                break  # signature, mailing-list footer or a forwarded message follows
            if re.match(r"\s*\w{0,4}[>|]", line) or _QUOTE_INTRO.search(line):
                continue
            lines.append(line)
        yield rel.split("/", 1)[1][:-4], _blocks("\n".join(lines))


def _dictd_entries(root, name):
    """(headword, text) for each entry of a dictd database usr/share/dictd/NAME.{index,dict.dz}."""
    b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    num = lambda s: sum(b64.index(c) * 64 ** i for i, c in enumerate(reversed(s)))
    base = os.path.join(root, "usr/share/dictd", name)
    data = gzip.open(base + ".dict.dz").read()
    for line in open(base + ".index", encoding="utf-8"):
        head, off, size = line.rstrip("\n").split("\t")[:3]
        if not head.startswith("00-database"):
            yield head, data[num(off):num(off) + num(size)].decode("utf-8", "replace")


def devil(root):
    """The Devil's Dictionary: each entry a document; _italics_ marks and verse attributions dropped."""
    for head, text in _dictd_entries(root, "devil"):
        lines = [l for l in text.replace("_", "").splitlines() if not re.match(r"\s{20,}\S", l)]
        yield head, _blocks("\n".join(lines))


def wordnet(root):
    """WordNet glosses: per headword, 'word: gloss.' then its example sentences; each synset gloss once."""
    seen = set()
    for head, text in _dictd_entries(root, "wn"):
        body = " ".join(text.split("\n", 1)[1].split()) if "\n" in text else ""
        body = re.sub(r"\[(syn|ant|also|see|pertainym|derivation)?:?[^\]]*\]", "", body)
        sentences = []
        for sense in re.split(r"(?:\b(?:n|v|adj|adv)\s+)?\b\d+:\s", body):
            parts = [p.strip() for p in sense.split(";") if p.strip()]
            gloss = [p for p in parts if not p.startswith('"')]
            if not gloss or gloss[0] in seen:
                continue
            seen.add(gloss[0])
            sentences.append(f"{head}: {'; '.join(gloss).replace('{', '').replace('}', '')}.")
            for ex in (p.strip('"') for p in parts if p.startswith('"')):
                ex = ex.strip().rstrip('"')
                if ex:
                    sentences.append(ex[0].upper() + ex[1:] + ("" if ex[-1] in ".!?" else "."))
        if sentences:
            yield head, [sentences]


def fortunes(root):
    """fortune(6) cookies (not ascii-art): each cookie a document, '-- author' attributions dropped."""
    for rel in _files(root, r"games/fortunes/[a-z-]+$", exclude=r"ascii-art$"):
        cookies = open(os.path.join(root, rel), encoding="utf-8", errors="replace").read().split("\n%\n")
        for i, cookie in enumerate(cookies):
            lines = [l for l in cookie.splitlines() if not re.match(r"\s*--\s*\S", l) and l.strip() != "%"]
            yield f"{os.path.basename(rel)}/{i}", _blocks("\n".join(lines))


def jargon(root):
    """The Jargon File: each ':entry:' of the lexicon a document, {cross-reference} braces removed."""
    text = gzip.open(os.path.join(root, "usr/share/doc/jargon-text/jargon.txt.gz")).read().decode("utf-8")
    entries = re.split(r"\n   :([^\n]+?):[^\n]*\n", text)
    for i in range(1, len(entries) - 1, 2):
        body = re.sub(r"[{}]", "", entries[i + 1])
        yield entries[i], [b for b in _blocks(body) if not (b.startswith("[") and b.endswith("]"))]


class _Paragraphs(html.parser.HTMLParser):
    """Collects the text of <p> elements, leaving out <pre> blocks and <sup> footnote marks."""
    def __init__(self):
        super().__init__()
        self.paragraphs, self.text, self.depth, self.skip = [], [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self._flush()
            self.depth += 1
        elif tag in ("pre", "sup", "script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self._flush()
            self.depth -= 1
        elif tag in ("pre", "sup", "script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.text.append(data)

    def _flush(self):
        text = " ".join("".join(self.text).split())
        if text:
            self.paragraphs.append(text)
        self.text = []


def html_docs(root, subdir, start, end, exclude=None, include=r"\.html$"):
    """<p> paragraphs of each HTML page under root/subdir between the markers start and end (navigation left out)."""
    top = os.path.join(root, subdir)
    for rel in _files(top, include, exclude=exclude):
        page = open(os.path.join(top, rel), encoding="utf-8", errors="replace").read()
        page = page[max(page.find(start), 0):]
        parser = _Paragraphs()
        parser.feed(page[:page.find(end)] if end in page else page)
        parser.close()
        yield rel, parser.paragraphs


READERS = {
    "brown": brown,
    "sotu": sotu,
    "spamassassin": spam_assassin_ham,
    "devil": devil,
    "wordnet": wordnet,
    "fortunes": fortunes,
    "jargon": jargon,
    "pythondoc": lambda root: html_docs(root, "usr/share/doc/python3.11/html", 'role="main"', 'class="sphinxsidebar"',
                                        exclude=r"^(_|genindex|search|py-modindex|whatsnew/changelog)"),
    "postgresdoc": lambda root: html_docs(root, "usr/share/doc/postgresql-doc-15/html", "<body", 'class="navfooter"',
                                          exclude=r"^(bookindex|release-)"),
    "djangodoc": lambda root: html_docs(root, "usr/share/doc/python-django-doc/html", 'id="yui-main"', 'id="sidebar"',
                                        exclude=r"^(_|genindex|search|py-modindex|releases/)"),
    "sqlitedoc": lambda root: html_docs(root, "usr/share/doc/sqlite3", 'id="searchmenu"', "</body>",
                                        exclude=r"^(releaselog/|changes|chronology|requirements|oldnews)"),
}
