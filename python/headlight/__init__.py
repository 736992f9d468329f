"""Headlight from Python: load a Headlight model, run text, get tokens, attention and statistics as NumPy arrays.

The engine is the project's own C++ (libheadlight.so, the C API of wasm/include/headlight.h) called through ctypes:
nothing is computed twice in Python."""
from .errors import (BadModelError, HeadlightError, InternalError, InvalidArgumentError, OutOfMemoryError,
                     UnsupportedError)
from .analysis import HeadMap, SyntaxTable, Treebank
from .convert import convert
from .model import Model, Run, version

__all__ = ["Model", "Run", "version", "convert", "HeadMap", "SyntaxTable", "Treebank", "HeadlightError", "InvalidArgumentError", "BadModelError", "OutOfMemoryError",
           "UnsupportedError", "InternalError"]
