"""libheadlight.so through ctypes: where it is found, the C API's signatures and constants (wasm/include/headlight.h)."""
import ctypes
import os
import pathlib

# The constants of headlight.h that Python uses (tests/python/test_bindings.py checks them against the header).
FIELD = {"SUMMARY_JSON": 0, "TOKEN_IDS": 1, "ATTENTION": 2, "QUERIES": 3, "KEYS": 4, "HIDDEN": 5, "VALUE_NORMS": 6,
         "NORM_SUMMED": 7, "NORM_ATTENTION": 8, "LAYER_STATES": 9}
OUTPUT = {"VALUE_NORMS": 1, "LAYER_STATES": 2, "ALL": 3}
WEIGHTING = {"ATTENTION": 0, "NORM": 1}

_I32, _P, _SZ = ctypes.c_int32, ctypes.c_void_p, ctypes.c_size_t
_PI32, _PSZ, _PCHAR = ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_char_p)
_PP = ctypes.POINTER(ctypes.c_void_p)

# name → (return type, argument types)
_SIGNATURES = {
    "hl_version": (_I32, []),
    "hl_alloc": (_P, [_SZ]),
    "hl_free": (None, [_P]),
    "hl_model_load": (_I32, [_P, _SZ, _I32, _PI32]),
    "hl_model_info": (_I32, [_I32, _PP, _PSZ]),
    "hl_model_free": (_I32, [_I32]),
    "hl_run": (_I32, [_I32, ctypes.c_char_p, _SZ, ctypes.c_char_p, _SZ, _I32, _I32, _I32, _I32, _PI32]),
    "hl_result_get": (_I32, [_I32, _I32, _PP, _PSZ]),
    "hl_result_free": (_I32, [_I32]),
    "hl_result_stats": (_I32, [_I32, _I32, _PP, _PSZ]),
    "hl_distances_new": (_I32, [_I32, _I32, _PI32]),
    "hl_distances_add": (_I32, [_I32, _I32]),
    "hl_distances_mds": (_I32, [_I32, _PP, _PSZ]),
    "hl_distances_sums": (_I32, [_I32, _PP, _PSZ]),
    "hl_distances_add_sums": (_I32, [_I32, ctypes.c_char_p, _SZ]),
    "hl_distances_free": (_I32, [_I32]),
    "hl_treebank_load": (_I32, [ctypes.c_char_p, _SZ, _PI32]),
    "hl_treebank_json": (_I32, [_I32, _I32, _PP, _PSZ]),
    "hl_treebank_free": (_I32, [_I32]),
    "hl_syntax_new": (_I32, [_I32, _I32, _PI32]),
    "hl_syntax_add": (_I32, [_I32, _I32, _I32]),
    "hl_syntax_json": (_I32, [_I32, _PP, _PSZ]),
    "hl_syntax_sums": (_I32, [_I32, _PP, _PSZ]),
    "hl_syntax_add_sums": (_I32, [_I32, ctypes.c_char_p, _SZ]),
    "hl_syntax_free": (_I32, [_I32]),
    "hl_convert_begin": (_I32, [ctypes.c_char_p, _SZ, ctypes.c_char_p, _SZ, ctypes.c_char_p, _SZ, ctypes.c_char_p, _SZ,
                                ctypes.c_char_p, _SZ, _I32, _PI32]),
    "hl_convert_feed": (_I32, [_I32, ctypes.c_char_p, _SZ, _I32]),
    "hl_convert_finish": (_I32, [_I32, _PP, _PSZ]),
    "hl_convert_free": (_I32, [_I32]),
    "hl_live_handles": (_I32, [_PP, _PSZ]),
    "hl_last_error": (ctypes.c_char_p, []),
}


def _candidates():
    env = os.environ.get("HEADLIGHT_LIB")
    if env:
        yield pathlib.Path(env)
        return
    here = pathlib.Path(__file__).resolve().parent
    yield here / "libheadlight.so"                                   # installed beside the package
    yield here.parents[1] / "build" / "native" / "libheadlight.so"   # the repository's python/ folder


def load():
    """The library with its signatures set; ImportError saying how to build it when it is nowhere."""
    tried = []
    for path in _candidates():
        tried.append(str(path))
        if path.is_file():
            lib = ctypes.CDLL(str(path))
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.restype, fn.argtypes = restype, argtypes
            return lib
    raise ImportError("libheadlight.so not found (looked at " + ", ".join(tried) + "): build it with "
                      "`bash tools/build.sh native` in the repository, or set HEADLIGHT_LIB to its path")
