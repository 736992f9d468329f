"""Headlight from Python: load a model (or convert a Hugging Face checkpoint), run text, get tokens, attention and
statistics as NumPy arrays; analyse corpora (also on Dask); draw any model's attention in a notebook, offline.

The engine is the project's own C++ (libheadlight.so, the C API of wasm/include/headlight.h) called through ctypes:
nothing is computed twice in Python."""
from .errors import (BadModelError, HeadlightError, InternalError, InvalidArgumentError, OutOfMemoryError,
                     UnsupportedError)
from . import corpus
from .analysis import HeadMap, SyntaxTable, Treebank
from .convert import convert
from .model import Model, Run, live_handles, version
from .show import Viewer, show

__all__ = ["Model", "Run", "version", "live_handles", "convert", "show", "Viewer", "HeadMap", "SyntaxTable", "Treebank", "HeadlightError",
           "InvalidArgumentError", "BadModelError", "OutOfMemoryError", "UnsupportedError", "InternalError"]
