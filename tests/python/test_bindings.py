# The Python package (python/headlight) over libheadlight.so: its constants against headlight.h, a run against the wasm
# engine's on the same model and text, the norms and statistics, and errors for bad files, handles and options.
"""Run: /usr/bin/python3 -m pytest tests/python   (needs build/native/libheadlight.so and build/wasm-st)."""
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import headlight  # noqa: E402
from headlight import _lib, errors  # noqa: E402

MODEL = ROOT / "models" / "headlight-mini" / "headlight-mini.hlm"
HEADER = (ROOT / "wasm" / "include" / "headlight.h").read_text()


def defines(prefix):
    return {m[1]: int(m[2]) for m in re.finditer(rf"^#define {prefix}([A-Z0-9_]+) (\d+)\b", HEADER, re.M)}


def test_constants_are_the_headers():
    assert _lib.FIELD == defines("HL_FIELD_")
    assert _lib.OUTPUT == defines("HL_OUTPUT_")
    assert _lib.WEIGHTING == defines("HL_WEIGHTING_")
    statuses = defines("HL_STATUS_")
    for name, code in statuses.items():
        cls = errors.BY_STATUS[code]
        want = None if name == "OK" else "".join(w.capitalize() for w in name.split("_")) + "Error"
        assert (cls.__name__ if cls else None) == want, name
    assert len(errors.BY_STATUS) == len(statuses)


@pytest.fixture(scope="module")
def model():
    with headlight.Model(MODEL) as m:
        yield m


def wasm_run(a, b, tmp_path):
    """The wasm engine's attention for the same model and text (tests/python/wasm_run.mjs)."""
    out = tmp_path / "wasm.json"
    subprocess.run(["node", str(ROOT / "tests" / "python" / "wasm_run.mjs"), str(MODEL), a, b or "", str(out)], check=True)
    return json.loads(out.read_text())


def test_a_run_equals_the_wasm_engines(model, tmp_path):
    a, b = "The cat sat on the mat.", "It was tired, so it slept."
    r = model.run(a, b)
    L, A = model.info["config"]["num_layers"], model.info["config"]["num_heads"]
    assert r.attention.shape == (L, A, r.n, r.n) and r.attention.dtype == np.float32
    assert r.queries.shape[:3] == (L, A, r.n)
    np.testing.assert_allclose(r.attention.sum(axis=-1), 1.0, atol=1e-5)
    w = wasm_run(a, b, tmp_path)
    assert [t["text"] for t in r.tokens] == [t["text"] for t in w["tokens"]]
    assert [t["id"] for t in r.tokens] == [t["id"] for t in w["tokens"]]
    # The int8 GEMMs agree bit for bit ([linear] tests); the native build's exp, erf and layer norm are the plain
    # kernels, the wasm build's the SIMD ones, rounded differently. At 1e-6 this failed: "Mismatched elements: 2 / 5184
    # (0.0386%), Max absolute difference: 1.1324883e-06".
    np.testing.assert_allclose(r.attention.ravel(), np.array(w["attention"], dtype=np.float32), rtol=0, atol=2e-6)


def test_norms_and_statistics(model):
    r = model.run("I went to the store.", norms=True, stats="norm")
    L, A, n = r.layers, r.heads_per_layer, r.n
    assert r.value_norms.shape == (L, A, n) and r.norm_summed.shape == (L, n, n)
    np.testing.assert_allclose(r.norm_attention.sum(axis=-1), 1.0, atol=1e-5)
    assert len(r.stats["per_head"]) == L * A
    plain = model.run("I went to the store.", stats="attention")
    assert plain.value_norms is None
    assert plain.stats["per_head"][0]["cls"] != r.stats["per_head"][0]["cls"]
    np.testing.assert_array_equal(plain.attention, r.attention)


def test_errors_carry_the_engines_message(model, tmp_path):
    bad = tmp_path / "bad.hlm"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(headlight.BadModelError, match="too short to be a Headlight model"):
        headlight.Model(bad)
    with pytest.raises(headlight.BadModelError):
        headlight.Model(MODEL.read_bytes()[:1000])
    with pytest.raises(FileNotFoundError):
        headlight.Model(tmp_path / "missing.hlm")
    with pytest.raises(headlight.InvalidArgumentError, match="HL_OUTPUT_VALUE_NORMS"):
        model.run("text", stats="norm")
    with pytest.raises(headlight.InvalidArgumentError):
        model.run("text", stats="size")
    r = model.run("\udcff lone surrogate, \u202e bidi, <b>html</b>".encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
    assert r.n > 3
    closed = headlight.Model(MODEL)
    closed.close()
    with pytest.raises(headlight.InvalidArgumentError, match="closed"):
        closed.run("text")
    assert headlight.version() >= 1


def test_every_handle_is_freed_and_huge_text_is_refused(tmp_path):
    before = headlight.live_handles()
    m = headlight.Model(MODEL)
    for i in range(50):
        m.run(f"run {i} of a text", b="and its pair", norms=True, stats="norm")
    during = headlight.live_handles()
    assert during["models"] == before["models"] + 1 and during["results"] == before["results"]
    with pytest.raises(headlight.InvalidArgumentError, match=r"text A is 100000000 bytes of UTF-8; Headlight reads at most 1048576"):
        m.run("word " * 20_000_000)
    m.close()
    assert headlight.live_handles() == before
