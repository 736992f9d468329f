"""The engine's corpus analyses from Python: the head map (hl_distances_*), treebanks and the syntactic-head table
(hl_treebank_*, hl_syntax_*), each accumulated over runs, with its sums out and back in for work split over processes."""
import ctypes
import os

from . import _lib
from .errors import InvalidArgumentError
from .model import _LIB, EngineHandle, check, json_at, text_at


class _Accumulator(EngineHandle):
    """An accumulator whose sums go out as JSON text and come back in (hl_*_sums, hl_*_add_sums)."""
    _sums = _add_sums = None

    def sums(self):
        """The sums so far as JSON text: add_sums() them into another accumulator of the same model."""
        return text_at(lambda out, n: type(self)._sums(self.handle, out, n))

    def add_sums(self, sums):
        """Adds another accumulator's sums() (checked by the engine; nothing is added from malformed ones)."""
        data = sums.encode("utf-8") if isinstance(sums, str) else bytes(sums)
        check(type(self)._add_sums(self.handle, data, len(data)))


class HeadMap(_Accumulator):
    """Clark et al.'s head map of one model over texts: Jensen–Shannon distances between heads summed over every token
    row, the token-weighted per-head statistics, and (result()) the heads laid out by MDS. weighting: 'attention' or
    'norm' (Kobayashi et al.'s α·‖f(x)‖; each text is then run with the norms)."""
    _free = staticmethod(lambda h: _LIB.hl_distances_free(h))
    _sums = staticmethod(lambda *a: _LIB.hl_distances_sums(*a))
    _add_sums = staticmethod(lambda *a: _LIB.hl_distances_add_sums(*a))

    def __init__(self, model, weighting="attention"):
        if weighting not in ("attention", "norm"):
            raise InvalidArgumentError(1, f"weighting={weighting!r}: 'attention' or 'norm'")
        self._model, self.weighting = model, weighting
        handle = ctypes.c_int32()
        check(_LIB.hl_distances_new(model.handle, _lib.WEIGHTING[weighting.upper()], ctypes.byref(handle)))
        self._handle = handle.value

    def add(self, a, b=None, max_tokens=0, stats=False):
        """Runs text A (and B) and adds it. Returns the run's summary ({n, tokens, truncation, ...}; with stats=True also
        "stats": this text's per-head statistics in the map's weighting)."""
        def use(result):
            check(_LIB.hl_distances_add(self.handle, result))
            summary = json_at(lambda out, n: _LIB.hl_result_get(result, _lib.FIELD["SUMMARY_JSON"], out, n))
            if stats:
                weighting = _lib.WEIGHTING[self.weighting.upper()]
                summary["stats"] = json_at(lambda out, n: _LIB.hl_result_stats(result, weighting, out, n))
            return summary
        return self._model.with_result(use, a, b, 1, max_tokens, self.weighting == "norm")

    def result(self):
        """hl_distances_mds: {texts, rows, total_heads, layers, heads_per_layer, distance [H·H], points [[x, y]] (H),
        stress, iterations, aggregate (the per-head statistics over the texts)}."""
        return json_at(lambda out, n: _LIB.hl_distances_mds(self.handle, out, n))


class Treebank(EngineHandle):
    """A dependency treebank in CoNLL-U (text, bytes or a path), parsed and checked by the engine."""
    _free = staticmethod(lambda h: _LIB.hl_treebank_free(h))

    def __init__(self, source):
        if isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        elif isinstance(source, str) and "\n" in source:
            data = source.encode("utf-8")
        else:
            with open(os.fspath(source), "rb") as f:
                data = f.read()
        handle = ctypes.c_int32()
        check(_LIB.hl_treebank_load(data, len(data), ctypes.byref(handle)))
        self._handle = handle.value
        self._size = json_at(lambda out, n: _LIB.hl_treebank_json(self._handle, -1, out, n))

    def __len__(self):
        return self._size["sentences"]

    @property
    def words(self):
        return self._size["words"]

    def sentence(self, k):
        """{id, text, words: [{form, upos, deprel, head, begin, end}]} of sentence k."""
        return json_at(lambda out, n: _LIB.hl_treebank_json(self.handle, int(k), out, n))


class SyntaxTable(_Accumulator):
    """Clark et al.'s syntactic-head table of one model over sentences of a treebank (each run as text A alone); add
    parts' sums() in treebank order to get the whole table, examples included."""
    _free = staticmethod(lambda h: _LIB.hl_syntax_free(h))
    _sums = staticmethod(lambda *a: _LIB.hl_syntax_sums(*a))
    _add_sums = staticmethod(lambda *a: _LIB.hl_syntax_add_sums(*a))

    def __init__(self, model, treebank):
        self._model, self._treebank = model, treebank
        handle = ctypes.c_int32()
        check(_LIB.hl_syntax_new(model.handle, treebank.handle, ctypes.byref(handle)))
        self._handle = handle.value

    def add(self, k, text=None):
        """Runs sentence k's text (given, or read from the treebank) and adds it."""
        text = self._treebank.sentence(k)["text"] if text is None else text
        self._model.with_result(lambda result: check(_LIB.hl_syntax_add(self.handle, int(k), result)), text)

    def result(self):
        """hl_syntax_json: {sentences, words, arcs, relations: [{relation, clark, arcs, dependent_to_head,
        head_to_dependent: {accuracy [L·A], best, baseline}}], ...}."""
        return json_at(lambda out, n: _LIB.hl_syntax_json(self.handle, out, n))
