# Hand-written reader/writer for the safetensors format (the `safetensors` pip package is not available here).
"""
File layout (https://github.com/huggingface/safetensors, "Format" section):

    [8 bytes]  N = header length, unsigned 64-bit little-endian
    [N bytes]  UTF-8 JSON object:
                 { "<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]},
                   ...,
                   "__metadata__": {"<str>": "<str>", ...} }      (optional, string -> string only)
               The official writer pads the JSON with spaces so that the data starts at an 8-byte boundary.
    [rest]     byte buffer; each tensor is row-major, little-endian, at [begin, end) relative to the buffer
               start. The buffer is fully covered by the tensors: no holes, no overlaps.

API (numpy is the common currency; torch is optional):
    read_header(path)                 -> (entries: {name: {"dtype", "shape", "data_offsets"}}, metadata, data_start)
    load(path, names=None, mmap=True) -> {name: np.ndarray}   (BF16 becomes float32 unless bf16="raw" -> uint16)
    load_torch(path, names=None)      -> {name: torch.Tensor}  (BF16 stays torch.bfloat16)
    save(path, tensors, metadata=None)  tensors: {name: np.ndarray | torch.Tensor}, written in the given order
    SafetensorsWriter(path, specs, metadata)  streaming writer: declare (name, dtype, shape) up front, then
                                       .write(name, array) one tensor at a time, in the declared order.
"""
import json
import os
import struct

import numpy as np

# safetensors dtype tag -> (numpy dtype, bytes per element). BF16 has no numpy dtype: it travels as uint16.
_DTYPES = {
    "F64": (np.dtype("<f8"), 8),
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),
    "I64": (np.dtype("<i8"), 8),
    "I32": (np.dtype("<i4"), 4),
    "I16": (np.dtype("<i2"), 2),
    "I8": (np.dtype("i1"), 1),
    "U64": (np.dtype("<u8"), 8),
    "U32": (np.dtype("<u4"), 4),
    "U16": (np.dtype("<u2"), 2),
    "U8": (np.dtype("u1"), 1),
    "BOOL": (np.dtype("?"), 1),
}

_NUMPY_TO_TAG = {
    np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
    np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("int16"): "I16", np.dtype("int8"): "I8",
    np.dtype("uint64"): "U64", np.dtype("uint32"): "U32", np.dtype("uint16"): "U16", np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}

_MAX_HEADER = 100 * 1024 * 1024  # the reference implementation refuses headers above 100 MB


def bf16_bits_to_f32(bits):
    """uint16 bit patterns of bfloat16 -> float32 (exact: bf16 is the top half of an f32)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(x):
    """float32 -> uint16 bfloat16 bit patterns, round-to-nearest-even (what torch's .bfloat16() does)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    nan = np.isnan(x)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(nan, np.uint16(0x7FC0), rounded)


# ----------------------------------------------------------------------------------------------- reading

def read_header(path):
    """Parse the header only. Returns (entries, metadata, data_start) with entries in file (offset) order."""
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", head)
        if n > _MAX_HEADER:
            raise ValueError(f"{path}: header length {n} is implausible")
        raw = f.read(n)
        if len(raw) != n:
            raise ValueError(f"{path}: truncated header")
    header = json.loads(raw.decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data_start = 8 + n
    file_size = os.path.getsize(path)

    # Validate: known dtype, size matches shape, buffer covered without holes or overlaps.
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    cursor = 0
    for name, e in entries:
        if e["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {e['dtype']}")
        begin, end = e["data_offsets"]
        count = int(np.prod(e["shape"], dtype=np.int64))
        if end - begin != count * _DTYPES[e["dtype"]][1]:
            raise ValueError(f"{path}: tensor {name!r} byte size does not match shape {e['shape']}")
        if begin != cursor:
            raise ValueError(f"{path}: tensor {name!r} leaves a hole or overlaps at byte {cursor}")
        cursor = end
    if data_start + cursor != file_size:
        raise ValueError(f"{path}: data buffer is {file_size - data_start} bytes, tensors cover {cursor}")
    return dict(entries), metadata, data_start


def load(path, names=None, mmap=True, bf16="f32"):
    """Read tensors as numpy arrays. mmap=True maps the file (cheap for big checkpoints; arrays are read-only).
    bf16="f32" widens BF16 to float32 exactly; bf16="raw" returns the uint16 bit patterns."""
    entries, _, data_start = read_header(path)
    wanted = list(entries) if names is None else list(names)
    missing = [n for n in wanted if n not in entries]
    if missing:
        raise KeyError(f"{path}: no tensor(s) {missing}")
    buf = (np.memmap(path, dtype=np.uint8, mode="r") if mmap
           else np.fromfile(path, dtype=np.uint8))
    out = {}
    for name in wanted:
        e = entries[name]
        np_dtype, _ = _DTYPES[e["dtype"]]
        begin, end = e["data_offsets"]
        arr = buf[data_start + begin:data_start + end].view(np_dtype).reshape(e["shape"])
        if e["dtype"] == "BF16" and bf16 == "f32":
            arr = bf16_bits_to_f32(arr)
        out[name] = arr
    return out


def load_torch(path, names=None):
    """Read tensors as (writable, owned) torch tensors; BF16 stays bfloat16. Unsigned types wider than
    8 bits have no torch 1.13 dtype and are widened to int64."""
    import torch
    entries, _, _ = read_header(path)
    raw = load(path, names=names, mmap=True, bf16="raw")
    out = {}
    for name, arr in raw.items():
        tag = entries[name]["dtype"]
        if tag == "BF16":
            out[name] = torch.from_numpy(np.array(arr).view(np.int16)).view(torch.bfloat16)
        elif tag in ("U16", "U32", "U64"):
            out[name] = torch.from_numpy(np.array(arr).astype(np.int64))
        else:
            out[name] = torch.from_numpy(np.array(arr))  # copy: detaches from the read-only map
    return out


def read_metadata(path):
    return read_header(path)[1]


# ----------------------------------------------------------------------------------------------- writing

def _as_numpy(x):
    """numpy array (little-endian, C order) and its safetensors tag, from numpy or torch input."""
    if type(x).__module__.startswith("torch"):
        import torch
        t = x.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(np.uint16), "BF16"
        x = t.numpy()
    a = np.asarray(x)
    if not a.flags.c_contiguous:
        a = a.copy(order="C")  # (np.ascontiguousarray would turn a 0-d scalar into shape [1])
    tag = _NUMPY_TO_TAG.get(np.dtype(a.dtype.type))  # byte-order-free lookup
    if tag is None:
        raise TypeError(f"unsupported dtype {a.dtype}")
    return a.astype(a.dtype.newbyteorder("<"), copy=False), tag


def _header_bytes(specs, metadata):
    """specs: list of (name, tag, shape). Returns the padded JSON header and the total data size."""
    header = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("__metadata__ must map str -> str")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, tag, shape in specs:
        if name == "__metadata__" or name in header:
            raise ValueError(f"duplicate or reserved tensor name {name!r}")
        size = int(np.prod(shape, dtype=np.int64)) * _DTYPES[tag][1]
        header[name] = {"dtype": tag, "shape": [int(d) for d in shape], "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((-(8 + len(raw))) % 8)  # data starts 8-byte aligned, like the official writer
    return raw, offset


class SafetensorsWriter:
    """Streaming writer: the header is fixed from the declared specs, tensors are then written one by one,
    so a 440 MB checkpoint never has to be held in memory twice.

        with SafetensorsWriter(path, [(name, "F32", shape), ...], {"format": "pt"}) as w:
            w.write(name, array)   # in declared order
    """

    def __init__(self, path, specs, metadata=None):
        self.specs = [(n, t, tuple(int(d) for d in s)) for n, t, s in specs]
        for _, tag, _ in self.specs:
            if tag not in _DTYPES:
                raise ValueError(f"unsupported dtype tag {tag}")
        raw, self.total = _header_bytes(self.specs, metadata)
        self.path = path
        self._tmp = path + ".partial"
        self._f = open(self._tmp, "wb")
        self._f.write(struct.pack("<Q", len(raw)))
        self._f.write(raw)
        self._next = 0

    def write(self, name, x):
        exp_name, exp_tag, exp_shape = self.specs[self._next]
        if name != exp_name:
            raise ValueError(f"expected tensor {exp_name!r} next, got {name!r}")
        a, tag = _as_numpy(x)
        if exp_tag == "BF16" and tag in ("F32", "F64", "F16"):
            a, tag = f32_to_bf16_bits(a.astype(np.float32)), "BF16"
        elif exp_tag != tag:
            a, tag = a.astype(_DTYPES[exp_tag][0]), exp_tag
        if tuple(a.shape) != exp_shape:
            raise ValueError(f"{name}: shape {a.shape} != declared {exp_shape}")
        self._f.write(a.tobytes() if a.ndim == 0 else (a.data if a.size else b""))
        self._next += 1

    def close(self):
        if self._f is None:
            return
        self._f.close()
        self._f = None
        if self._next != len(self.specs):
            os.remove(self._tmp)
            raise ValueError(f"only {self._next} of {len(self.specs)} declared tensors were written")
        os.replace(self._tmp, self.path)  # appears atomically, never half-written

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self._f is not None:
            self._f.close()
            self._f = None
            os.remove(self._tmp)
            return False
        self.close()
        return False


def save(path, tensors, metadata=None):
    """Write {name: array} in the dict's order (numpy or torch; torch.bfloat16 is stored as BF16)."""
    converted = [(name, *_as_numpy(x)) for name, x in tensors.items()]
    specs = [(name, tag, a.shape) for name, a, tag in converted]
    with SafetensorsWriter(path, specs, metadata) as w:
        for name, a, _ in converted:
            w.write(name, a)
