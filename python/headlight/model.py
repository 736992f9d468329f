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


def _check(status):
    if status != 0:
        raise error_for(status, (_LIB.hl_last_error() or b"").decode("utf-8", "replace"))


def _json_at(call):
    """call(pointer out, length out) → status; the UTF-8 JSON it points at, parsed."""
    p, n = ctypes.c_void_p(), ctypes.c_size_t()
    _check(call(ctypes.byref(p), ctypes.byref(n)))
    return json.loads(ctypes.string_at(p, n.value).decode("utf-8"))


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


class Model:
    """A Headlight model file (.hlm) loaded into the native engine. `source`: a path or the file's bytes."""

    def __init__(self, source, threads=1):
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            with open(os.fspath(source), "rb") as f:
                data = f.read()
        p = _LIB.hl_alloc(max(len(data), 1))
        if not p:
            raise OutOfMemoryError(3, f"could not allocate {len(data)} bytes for the model")
        ctypes.memmove(p, data, len(data))
        handle = ctypes.c_int32()
        _check(_LIB.hl_model_load(p, len(data), int(threads), ctypes.byref(handle)))  # owns p, loaded or not
        self._handle = handle.value
        self.info = _json_at(lambda out, length: _LIB.hl_model_info(self._handle, out, length))

    def close(self):
        """Frees the model (also when the object is collected)."""
        if getattr(self, "_handle", 0):
            _LIB.hl_model_free(self._handle)
            self._handle = 0

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, a, b=None, top_k=5, max_tokens=0, norms=False, stats=None):
        """Runs text A (and B). stats: None, 'attention' or 'norm' (the weighting of the per-head statistics; 'norm'
        needs norms=True). Returns a Run."""
        if not self._handle:
            raise InvalidArgumentError(1, "this model has been closed")
        if stats not in (None, "attention", "norm"):
            raise InvalidArgumentError(1, f"stats={stats!r}: None, 'attention' or 'norm'")
        ea, eb = str(a).encode("utf-8"), b"" if b is None else str(b).encode("utf-8")
        outputs = _lib.OUTPUT["VALUE_NORMS"] if norms else 0
        result = ctypes.c_int32()
        _check(_LIB.hl_run(self._handle, ea, len(ea), eb, len(eb), 0 if b is None else 1, int(top_k), int(max_tokens),
                           outputs, ctypes.byref(result)))
        try:
            return self._read(result.value, norms, stats)
        finally:
            _LIB.hl_result_free(result.value)

    def _read(self, result, norms, stats):
        summary = _json_at(lambda out, length: _LIB.hl_result_get(result, _lib.FIELD["SUMMARY_JSON"], out, length))
        L, A, n = summary["layers"], summary["heads_per_layer"], summary["n"]
        D, H = summary["head_size"], summary["hidden_size"]

        def tensor(name, shape):
            p, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
            _check(_LIB.hl_result_get(result, _lib.FIELD[name], ctypes.byref(p), ctypes.byref(nbytes)))
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
            run.stats = _json_at(lambda out, length: _LIB.hl_result_stats(result, weighting, out, length))
        return run
