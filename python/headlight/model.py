"""A loaded Headlight model and its runs: the engine's results copied into NumPy arrays and plain dicts."""
import ctypes
import json
import os
from dataclasses import dataclass, field

import numpy as np

from . import _lib
from .errors import InvalidArgumentError, OutOfMemoryError, error_for

_LIB = _lib.load()


def version():
    """The engine's API version (hl_version)."""
    return _LIB.hl_version()


def live_handles():
    """The engine's handles made and not yet freed (hl_live_handles): {"models", "results", "steps", "distances",
    "syntax", "treebanks", "conversions", "total"}."""
    return json_at(_LIB.hl_live_handles)


def check(status):
    if status != 0:
        raise error_for(status, (_LIB.hl_last_error() or b"").decode("utf-8", "replace"))


def text_at(call):
    """call(pointer out, length out) → status; the UTF-8 text it points at, as str."""
    p, n = ctypes.c_void_p(), ctypes.c_size_t()
    check(call(ctypes.byref(p), ctypes.byref(n)))
    return ctypes.string_at(p, n.value).decode("utf-8")


def json_at(call):
    """call(pointer out, length out) → status; the UTF-8 JSON it points at, parsed."""
    return json.loads(text_at(call))


@dataclass
class Run:
    """One run of text A (and B): the summary's fields, and the tensors as float32 arrays.

    tokens: [{text, id, segment, word, begin, end}]; attention [L][A][n][n]; queries, keys [L][A][n][D]; hidden [n][H];
    with norms=True also value_norms [L][A][n], norm_summed [L][n][n], norm_attention [L][A][n][n] (rows renormalised).
    stats: hl_result_stats' per-head statistics (a dict) when asked for."""
    n: int
    layers: int
    heads_per_layer: int
    tokens: list
    truncation: dict
    mlm: list
    timings_ms: dict
    attention: np.ndarray
    queries: np.ndarray
    keys: np.ndarray
    hidden: np.ndarray
    value_norms: np.ndarray = None
    norm_summed: np.ndarray = None
    norm_attention: np.ndarray = None
    stats: dict = None
    summary: dict = field(default=None, repr=False)


class EngineHandle:
    """An engine object's handle, freed by close() (or at the end of a `with` block, or when collected): the model,
    the analyses' accumulators. Subclasses set _free (the hl_*_free function) and _handle."""
    _free = None
    _handle = 0

    def close(self):
        if self._handle:
            type(self)._free(self._handle)
            self._handle = 0

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def handle(self):
        """The engine's handle; raises once closed."""
        if not self._handle:
            raise InvalidArgumentError(1, f"this {type(self).__name__} has been closed")
        return self._handle


class Model(EngineHandle):
    """A model loaded into the native engine. `source`: a Headlight model file (.hlm) as a path or its bytes, or a
    Hugging Face checkpoint folder (converted on loading, int8 unless int8=False: see headlight.convert)."""

    _free = staticmethod(lambda h: _LIB.hl_model_free(h))

    def __init__(self, source, threads=1, int8=True):
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        elif os.path.isdir(os.fspath(source)):
            from .convert import convert
            data = convert(source, int8=int8)
        else:
            with open(os.fspath(source), "rb") as f:
                data = f.read()
        p = _LIB.hl_alloc(max(len(data), 1))
        if not p:
            raise OutOfMemoryError(3, f"could not allocate {len(data)} bytes for the model")
        ctypes.memmove(p, data, len(data))
        handle = ctypes.c_int32()
        check(_LIB.hl_model_load(p, len(data), int(threads), ctypes.byref(handle)))  # owns p, loaded or not
        self._handle = handle.value
        self.info = json_at(lambda out, length: _LIB.hl_model_info(self._handle, out, length))

    def run(self, a, b=None, top_k=5, max_tokens=0, norms=False, stats=None):
        """Runs text A (and B). stats: None, 'attention' or 'norm' (the weighting of the per-head statistics; 'norm'
        needs norms=True). Returns a Run."""
        if stats not in (None, "attention", "norm"):
            raise InvalidArgumentError(1, f"stats={stats!r}: None, 'attention' or 'norm'")
        return self.with_result(lambda result: self._read(result, norms, stats), a, b, top_k, max_tokens, norms)

    def with_result(self, use, a, b=None, top_k=1, max_tokens=0, norms=False):
        """use(result handle) on a run of text A (and B), freed afterwards; returns what `use` returns."""
        ea, eb = str(a).encode("utf-8"), b"" if b is None else str(b).encode("utf-8")
        outputs = _lib.OUTPUT["VALUE_NORMS"] if norms else 0
        result = ctypes.c_int32()
        check(_LIB.hl_run(self.handle, ea, len(ea), eb, len(eb), 0 if b is None else 1, int(top_k), int(max_tokens),
                           outputs, ctypes.byref(result)))
        try:
            return use(result.value)
        finally:
            _LIB.hl_result_free(result.value)

    def _read(self, result, norms, stats):
        summary = json_at(lambda out, length: _LIB.hl_result_get(result, _lib.FIELD["SUMMARY_JSON"], out, length))
        L, A, n = summary["layers"], summary["heads_per_layer"], summary["n"]
        D, H = summary["head_size"], summary["hidden_size"]

        def tensor(name, shape):
            p, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
            check(_LIB.hl_result_get(result, _lib.FIELD[name], ctypes.byref(p), ctypes.byref(nbytes)))
            flat = np.frombuffer(ctypes.string_at(p, nbytes.value), dtype="<f4")
            return flat.reshape(shape).copy()

        run = Run(n=n, layers=L, heads_per_layer=A, tokens=summary["tokens"], truncation=summary["truncation"],
                  mlm=summary["mlm"], timings_ms=summary["timings_ms"], attention=tensor("ATTENTION", (L, A, n, n)),
                  queries=tensor("QUERIES", (L, A, n, D)), keys=tensor("KEYS", (L, A, n, D)),
                  hidden=tensor("HIDDEN", (n, H)), summary=summary)
        if norms:
            run.value_norms = tensor("VALUE_NORMS", (L, A, n))
            run.norm_summed = tensor("NORM_SUMMED", (L, n, n))
            run.norm_attention = tensor("NORM_ATTENTION", (L, A, n, n))
        if stats:
            weighting = _lib.WEIGHTING[stats.upper()]
            run.stats = json_at(lambda out, length: _LIB.hl_result_stats(result, weighting, out, length))
        return run
