"""headlight.show: the page's head, model, neuron and matrix views in a notebook, offline. The data goes into a snapshot
(web/page/snapshot.js's format, version 3) inlined with the <headlight-attention> bundle into one HTML document
(viewer.html, written by tools/python_viewer.mjs), shown in an <iframe srcdoc>: no CDN, no server, no request."""
import base64
import gzip
import html
import json
import os
import pathlib
import re
import warnings

import numpy as np

SNAPSHOT_VERSION = 3
_TEMPLATE = pathlib.Path(__file__).resolve().parent / "viewer.html"
_VIEWS = ("head", "model", "neuron", "matrix")
_MARKER = re.compile(r'"@@HEADLIGHT_(SNAPSHOT)@@"|@@HEADLIGHT_(TITLE|TABS|VIEW|HEIGHT)@@')
_SPECIALS = {"[CLS]": ("[CLS]", "[SEP]"), "<s>": ("<s>", "</s>")}  # a first token that names the model's specials


def _array(x, name):
    """A NumPy array of a NumPy array, a PyTorch tensor (detached, on the CPU) or nested lists."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    a = np.asarray(x, dtype=np.float32)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return a


def _stack(layers, name, batch):
    """transformers' output_attentions (a tuple of [batch, heads, n, n] per layer), an array [L, A, n, n] or
    [L, batch, A, n, n] → [L, A, n, n]; the same for queries / keys with D in place of the last n."""
    if isinstance(layers, (tuple, list)) and len(layers) and not np.isscalar(layers[0]):
        parts = [_array(t, f"{name}[{l}]") for l, t in enumerate(layers)]
        parts = [p[batch] if p.ndim == 4 else p for p in parts]
        if any(p.ndim != 3 for p in parts):
            raise ValueError(f"each layer of {name} must be [batch, heads, n, {'n' if name == 'attentions' else 'D'}] "
                             f"or [heads, n, ...], got shapes {sorted({p.shape for p in parts})}")
        try:
            return np.stack(parts)
        except ValueError:
            raise ValueError(f"the layers of {name} differ in shape: {sorted({p.shape for p in parts})}") from None
    a = _array(layers, name)
    if a.ndim == 5:
        a = a[:, batch]
    if a.ndim != 4:
        raise ValueError(f"{name} must be a tuple of per-layer [batch, heads, n, ...] tensors or an array "
                         f"[layers, heads, n, ...], got shape {a.shape}")
    return a


def _tokens(tokens, n, cls, sep, segments, words):
    texts = [str(t) for t in tokens]
    if len(texts) != n:
        raise ValueError(f"{len(texts)} tokens for attention over {n} positions")
    segments = [0] * n if segments is None else [int(s) for s in segments]
    if len(segments) != n or any(s not in (0, 1) for s in segments):
        raise ValueError("segments must give 0 or 1 for each token")
    if words is None:  # a '##' piece continues the word before it; the special tokens belong to none
        words, w = [], -1
        for t in texts:
            if t in (cls, sep) and t is not None:
                words.append(-1)
                continue
            if not (t.startswith("##") and w >= 0):
                w += 1
            words.append(w)
    words = [int(x) for x in words]
    if len(words) != n or any(not -1 <= x < n for x in words):
        raise ValueError("words must give each token a word index in [-1, n)")
    return [{"text": t, "segment": s, "word": x} for t, s, x in zip(texts, segments, words)]


def _blob(raw):
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


QK_AUTO_BYTES = 8 << 20  # qk=None keeps queries and keys up to this many bytes of half floats (bert-base: 128 tokens)


def snapshot(tokens, attentions, queries=None, keys=None, *, batch=0, model="model", cls=None, sep=None,
             segments=None, words=None, text=None, qk=None):
    """The snapshot (a dict, web/page/snapshot.js's format) of tokens and attentions (see show)."""
    att = _stack(attentions, "attentions", batch)
    L, A, n, n2 = att.shape
    if n != n2:
        raise ValueError(f"attention must be square in its last two axes, got {n} x {n2}")
    if att.min() < 0 or att.max() > 1 + 1e-6:
        raise ValueError(f"attention weights must lie in [0, 1]; these span [{att.min():g}, {att.max():g}]")
    if cls is None and sep is None and len(tokens) and str(tokens[0]) in _SPECIALS:
        cls, sep = _SPECIALS[str(tokens[0])]
    # snapshot.js's rule: round(255·w) (halves up, as Math.round), but a weight above 0 stays at least 1
    w = att.astype(np.float64) * 255
    q = np.where(att > 0, np.clip(np.floor(w + 0.5), 1, 255), 0).astype(np.uint8)
    snap = {"format": "headlight-snapshot", "version": SNAPSHOT_VERSION,
            "model": {"name": str(model), "cls": cls, "sep": sep},
            "text": {"a": "" if text is None else str(text), "b": ""}, "view": {},
            "n": n, "layers": L, "heads_per_layer": A, "tokens": _tokens(tokens, n, cls, sep, segments, words),
            "attention": {"quantization": "u8: w = q / 255", "encoding": "gzip+base64", "data": _blob(q.tobytes())}}
    if (queries is None) != (keys is None):
        raise ValueError("give queries and keys together (the neuron view needs both), or neither")
    if queries is not None and qk is not False:
        qs, ks = _stack(queries, "queries", batch), _stack(keys, "keys", batch)
        if qs.shape != ks.shape or qs.shape[:3] != (L, A, n):
            raise ValueError(f"queries {qs.shape} and keys {ks.shape} must both be [{L}, {A}, {n}, D]")
        for name, v in (("queries", qs), ("keys", ks)):
            if np.abs(v).max() > 65504:
                raise ValueError(f"{name} exceed what a half float holds (±65504)")
        size = 2 * 2 * qs.size
        if qk is None and size > QK_AUTO_BYTES:
            warnings.warn(f"show(): queries and keys left out: they would add {size / 2**20:.0f} MB of half floats to "
                          f"the output (the neuron view needs them: pass qk=True to keep them, qk=False to silence "
                          f"this)", stacklevel=3)
            return snap
        snap["head_size"] = int(qs.shape[3])
        for name, v in (("queries", qs), ("keys", ks)):
            snap[name] = {"dtype": "f16", "encoding": "gzip+base64", "data": _blob(v.astype("<f2").tobytes())}
    return snap


def _template():
    if not _TEMPLATE.is_file():
        raise FileNotFoundError(f"{_TEMPLATE} is missing: in the repository, run `npm run build:viewer` (or "
                                "`pip install ./python`, which writes it)")
    return _TEMPLATE.read_text(encoding="utf-8")


class Viewer:
    """One drawing: shown by Jupyter (_repr_html_, an <iframe srcdoc>), or saved as a standalone file (save_html)."""

    def __init__(self, snap, view="head", height=None, title=None):
        if view not in _VIEWS:
            raise ValueError(f"view={view!r}: one of {', '.join(_VIEWS)}")
        if view == "neuron" and "queries" not in snap:
            raise ValueError("the neuron view needs queries and keys")
        # By default the head view's rows (22 px a token) and its controls, between 360 and 900 px; longer texts scroll.
        height = min(900, max(360, 22 * snap["n"] + 230)) if height is None else int(height)
        self.snapshot, self.view, self.height = snap, view, height
        self.title = title or f"{snap['model']['name']} · {snap['n']} tokens"

    def html(self):
        """The standalone HTML document: the bundle, the snapshot and the tabs of the views the data allows."""
        tabs = ",".join(v for v in _VIEWS if v != "neuron" or "queries" in self.snapshot)
        data = json.dumps(self.snapshot, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
        values = {"SNAPSHOT": data, "TITLE": html.escape(self.title), "TABS": tabs, "VIEW": self.view,
                  "HEIGHT": str(self.height)}
        # One pass: a title or token that spells a marker stays text.
        return _MARKER.sub(lambda m: values[m.group(1) or m.group(2)], _template())

    def _repr_html_(self):
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {self.height + 140}px; border: 0" title="{html.escape(self.title)}" '
                f'loading="lazy"></iframe>')

    def save_html(self, path):
        """Writes the standalone HTML file (opens from disk, no network); returns its path."""
        path = pathlib.Path(os.fspath(path))
        path.write_text(self.html(), encoding="utf-8")
        return path


def show(tokens, attentions=None, queries=None, keys=None, *, view="head", height=None, title=None, batch=0,
         model=None, cls=None, sep=None, segments=None, words=None, qk=None):
    """Draws attention in a notebook. Either a Headlight run — show(model.run(text)) — or any model's attention:
    show(tokens, attentions[, queries, keys]) with attentions as transformers returns them (output_attentions=True: a
    tuple of [batch, heads, n, n] per layer, PyTorch tensors or NumPy arrays; `batch` picks the example) or one array
    [layers, heads, n, n]. cls/sep: the special tokens' texts (found for BERT's [CLS] and RoBERTa's <s>; None: the
    model has none), segments (0/1 per token) and words (a word index per token, -1 for none; default: '##' pieces
    join the word before them). view: the tab shown first; height: the drawing's, in pixels (default from the
    number of tokens). qk: keep the queries and keys (True), leave them out (False), or None: keep them up to 8 MB of
    half floats (bert-base: 128 tokens), else leave them out with a warning. Returns a Viewer (Jupyter draws it;
    .save_html(path))."""
    from .model import Run
    if isinstance(tokens, Run):
        run = tokens
        snap = snapshot([t["text"] for t in run.tokens], run.attention, run.queries, run.keys, model=model or "headlight",
                        cls=cls, sep=sep, segments=[t["segment"] for t in run.tokens],
                        words=[t["word"] for t in run.tokens], qk=qk)
    else:
        if attentions is None:
            raise ValueError("show(tokens, attentions): the attentions are missing")
        snap = snapshot(tokens, attentions, queries, keys, batch=batch, model=model or "model", cls=cls, sep=sep,
                        segments=segments, words=words, qk=qk)
    return Viewer(snap, view=view, height=height, title=title)
