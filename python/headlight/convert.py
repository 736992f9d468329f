"""A Hugging Face checkpoint folder → a Headlight model file, by the engine's streaming converter (hl_convert_*)."""
import ctypes
import json
import os
import pathlib

from . import _lib
from .errors import InvalidArgumentError
from .model import _LIB, check

_CHUNK = 8 << 20  # bytes fed per hl_convert_feed


def _read(folder, name):
    path = folder / name
    return path.read_bytes() if path.is_file() else None


def convert(folder, int8=True):
    """The .hlm bytes of the checkpoint in `folder` (config.json, model.safetensors or model.safetensors.index.json and
    its shards, and vocab.txt and/or tokenizer.json with tokenizer_config.json); int8=False keeps f32 weights.
    Raises InvalidArgumentError for a folder that is not a checkpoint, BadModelError for a malformed one."""
    folder = pathlib.Path(os.fspath(folder))
    if not folder.is_dir():
        raise InvalidArgumentError(1, f"{folder} is not a folder (a Hugging Face checkpoint folder is expected)")
    config = _read(folder, "config.json")
    if config is None:
        raise InvalidArgumentError(1, f"{folder} has no config.json: not a Hugging Face checkpoint folder")
    texts = [config] + [_read(folder, n) for n in ("vocab.txt", "tokenizer_config.json", "tokenizer.json",
                                                    "model.safetensors.index.json")]
    index = texts[-1]
    if index is not None:
        try:
            names = sorted(set(json.loads(index)["weight_map"].values()))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise InvalidArgumentError(1, f"{folder}/model.safetensors.index.json has no usable weight_map ({e})")
    elif (folder / "model.safetensors").is_file():
        names = ["model.safetensors"]
    else:
        raise InvalidArgumentError(1, f"{folder} has neither model.safetensors nor model.safetensors.index.json "
                                      "(pytorch_model.bin is not read: save the model with safe_serialization=True)")
    args = []
    for t in texts:
        args += [t, 0 if t is None else len(t)]
    conversion = ctypes.c_int32()
    check(_LIB.hl_convert_begin(*args, 1 if int8 else 0, ctypes.byref(conversion)))
    try:
        for name in names:
            path = folder / name
            if not path.is_file():  # the engine has checked at begin that each name is a plain *.safetensors
                raise InvalidArgumentError(1, f"{folder}: the index names {name!r}, which is not a file in the folder")
            size, fed = path.stat().st_size, 0
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(_CHUNK)
                    fed += len(chunk)
                    check(_LIB.hl_convert_feed(conversion.value, chunk, len(chunk), 1 if fed >= size else 0))
                    if fed >= size:
                        break
        out, length = ctypes.c_void_p(), ctypes.c_size_t()
        check(_LIB.hl_convert_finish(conversion.value, ctypes.byref(out), ctypes.byref(length)))
        conversion = None  # finished: the engine has ended it
    finally:
        if conversion is not None:
            _LIB.hl_convert_free(conversion.value)  # a failed feed has already ended it: unknown handle, ignored
    try:
        return ctypes.string_at(out, length.value)
    finally:
        _LIB.hl_free(out)
