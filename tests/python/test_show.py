# headlight.show(): snapshots of any model's attention (PyTorch tensors as transformers returns them, NumPy arrays, a
# Headlight run) that decode to the data, refused data said plainly, and the drawing in Chromium (network blocked) equal
# to the data: lines, thumbnails, q/k and cells.
"""Run: /usr/bin/python3 -m pytest tests/python/test_show.py   (needs build/native, the fixtures, python/headlight/viewer.html)."""
import base64
import gzip
import html
import json
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tools" / "reference"))
import bert_ref  # noqa: E402
import headlight  # noqa: E402

CHECKPOINT = ROOT / "build" / "fixtures" / "tiny-mlm"
MODEL = ROOT / "models" / "headlight-mini" / "headlight-mini.hlm"


def blob(field, dtype):
    return np.frombuffer(gzip.decompress(base64.b64decode(field["data"])), dtype=dtype)


def decoded(snap):
    """The snapshot's attention [L][A][n][n] as the viewer reads it (q / 255), and its q/k (or None)."""
    L, A, n = snap["layers"], snap["heads_per_layer"], snap["n"]
    att = blob(snap["attention"], np.uint8).reshape(L, A, n, n) / 255
    if "queries" not in snap:
        return att, None, None
    D = snap["head_size"]
    return att, *(blob(snap[k], "<f2").astype(np.float32).reshape(L, A, n, D) for k in ("queries", "keys"))


@pytest.fixture(scope="module")
def pytorch():
    """The reference BERT's output on the engine's tokens of one text: tokens, and attentions, queries and keys as
    transformers returns attentions (a tuple of [batch, heads, n, n] tensors per layer)."""
    with headlight.Model(CHECKPOINT) as m:
        tokens = m.run("The strawberries grew in the garden.", "They were sweet.").tokens
    out = bert_ref.load(str(CHECKPOINT))(torch.tensor([[t["id"] for t in tokens]]),
                                         torch.tensor([[t["segment"] for t in tokens]]))
    L = out["attentions"].shape[1]
    per_layer = lambda name: tuple(out[name][:, l] for l in range(L))  # noqa: E731
    return [t["text"] for t in tokens], per_layer("attentions"), per_layer("queries"), per_layer("keys"), out


def causal(n=7, L=2, A=3):
    """A hand-made decoder attention: row i over j ≤ i only, with exact zeros inside the triangle too."""
    i, j = np.indices((n, n))
    att = np.zeros((L, A, n, n))
    att[:, 0] = np.where(j <= i, 1.0, 0.0)                    # even over what came before
    att[:, 1] = np.where(j == np.maximum(i - 1, 0), 1.0, 0.0)  # the previous token
    att[0, 2] = np.where(j <= i, np.exp(-(i - j)), 0.0)
    att[1, 2] = np.where((j == 0) | (j == i), 1.0, 0.0)
    return att / att.sum(-1, keepdims=True)


def check_attention(snap, want):
    got, _, _ = decoded(snap)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    assert np.all((got == 0) == (want == 0)), "a zero weight must stay zero and a non-zero one non-zero"
    assert np.max(np.abs(got - want)) <= 1 / 255  # round(255 w) / 255: within 1/510, or 1/255 for w < 1/510 kept at 1


def test_pytorch_attentions_as_transformers_returns_them(pytorch):
    tokens, attentions, queries, keys, out = pytorch
    v = headlight.show(tokens, attentions, queries, keys, model="reference")
    s = v.snapshot
    assert (s["n"], s["layers"], s["heads_per_layer"]) == (len(tokens), 2, 2)
    assert s["model"] == {"name": "reference", "cls": "[CLS]", "sep": "[SEP]"}  # found from the first token
    assert s["tokens"][0] == {"text": "[CLS]", "segment": 0, "word": -1}
    check_attention(s, out["attentions"][0].numpy())
    _, q, k = decoded(s)
    for got, want in ((q, out["queries"][0].numpy()), (k, out["keys"][0].numpy())):
        assert np.all(np.abs(got - want) <= np.maximum(np.abs(want) * 2.0 ** -11, 2.0 ** -25))  # f16 rounding
    # The same data as NumPy, and as one array [L][A][n][n]: the same snapshot.
    same = headlight.show(tokens, [a.numpy() for a in attentions], [q.numpy() for q in queries],
                          [k.numpy() for k in keys], model="reference").snapshot
    assert same == s
    assert headlight.show(tokens, out["attentions"][0].numpy()).snapshot["attention"] == s["attention"]


def test_a_headlight_run_and_a_causal_attention():
    with headlight.Model(MODEL) as m:
        run = m.run("The cat sat on the mat.")
    s = headlight.show(run, model="mini").snapshot
    check_attention(s, run.attention)
    assert [t["word"] for t in s["tokens"]] == [t["word"] for t in run.tokens]
    assert s["head_size"] == run.queries.shape[-1]
    words = "Attention in a decoder only looks back".split()
    c = headlight.show(words, causal(), model="causal").snapshot
    check_attention(c, causal())
    assert c["model"]["cls"] is None and c["model"]["sep"] is None and "queries" not in c
    assert [t["word"] for t in c["tokens"]] == list(range(7))


def test_bad_data_is_refused_with_what_is_wrong(pytorch):
    tokens, attentions, queries, keys, _ = pytorch
    att = causal()
    words = list("abcdefg")
    cases = [
        (lambda: headlight.show(words[:5], att), "5 tokens for attention over 7 positions"),
        (lambda: headlight.show(words, att[..., :6]), "square"),
        (lambda: headlight.show(words, att * np.nan), "NaN"),
        (lambda: headlight.show(words, att * 2), r"must lie in \[0, 1\]"),
        (lambda: headlight.show(words, att[0, 0]), "got shape"),
        (lambda: headlight.show(tokens, attentions, queries), "together"),
        (lambda: headlight.show(tokens, attentions, queries, keys[:1]), "must both be"),
        (lambda: headlight.show(tokens, attentions, view="grid"), "one of head, model, neuron, matrix"),
        (lambda: headlight.show(words, att, view="neuron"), "needs queries and keys"),
        (lambda: headlight.show(words), "attentions are missing"),
        (lambda: headlight.show(words, att, segments=[2] * 7), "segments"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


def test_text_that_spells_markup_or_markers_stays_text(tmp_path):
    words = ["</script>", "@@HEADLIGHT_TITLE@@", '"@@HEADLIGHT_SNAPSHOT@@"', "<b>&amp;", "x", "y", "z"]
    v = headlight.show(words, causal(), title="<i>@@HEADLIGHT_TABS@@</i>")
    page = v.html()
    assert page.count("</script>") == 2  # the snapshot's and the bundle's own ends: a token's is \u003c/script>
    snapshot = re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1)
    assert [t["text"] for t in json.loads(snapshot)["tokens"]] == words
    assert "<h1>&lt;i&gt;@@HEADLIGHT_TABS@@&lt;/i&gt;</h1>" in page
    frame = v._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in frame
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == page
    assert v.save_html(tmp_path / "v.html").read_text() == page


def views_in_chromium(viewers, tmp_path):
    """views_check.mjs's report of a page holding these viewers' iframes (as a notebook shows them)."""
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><meta charset=utf-8><title>notebook</title>" +
                    "".join(f"<div>{v._repr_html_()}</div>" for v in viewers))
    out = tmp_path / "views.json"
    subprocess.run(["node", str(ROOT / "tests" / "python" / "views_check.mjs"), str(page), str(out)], check=True,
                   timeout=300)
    return json.loads(out.read_text())


def check_drawing(view, att, q=None):
    """The drawn lines, thumbnails, q and cells of one viewer against the data [L][A][n][n] (and q [L][A][n][D])."""
    L, A, n, _ = att.shape
    assert view["status"] == "ready", view["message"]
    head = view["drawn"]["head"]
    layer, heads = head["state"]["layer"], head["state"]["selectedHeads"]
    want = {(h, i, j) for h in heads for i in range(n) for j in range(n) if att[layer, h, i, j] > 0}
    assert {(h, i, j) for h, i, j, _ in head["lines"]} == want and len(head["lines"]) == len(want)
    for h, i, j, w in head["lines"]:
        assert abs(w - att[layer, h, i, j]) <= 1 / 255 + 1e-7
    model = view["drawn"]["model"]
    assert model["canvases"] == 1 and model["label"].startswith(f"{L} layers × {A} heads")
    m = view["drawn"]["matrix"]
    ml, mh = m["state"]["layer"], m["state"]["head"]
    assert np.max(np.abs(np.array(m["values"]).reshape(n, n) - att[ml, mh])) <= 1 / 255 + 1e-7
    if q is not None:
        nv = view["drawn"]["neuron"]["state"]
        got = np.array(view["drawn"]["neuron"]["q"])
        want_q = q[nv["layer"], nv["head"], nv["token"]]
        assert np.all(np.abs(got - want_q) <= np.maximum(np.abs(want_q) * 2.0 ** -11, 2.0 ** -25))


def test_both_draw_what_the_data_holds_in_chromium_with_the_network_blocked(pytorch, tmp_path):
    tokens, attentions, queries, keys, out = pytorch
    reference = headlight.show(tokens, attentions, queries, keys, model="reference")
    decoder = headlight.show("Attention in a decoder only looks back".split(), causal(), model="causal", view="matrix")
    report = views_in_chromium([reference, decoder], tmp_path)
    assert report["requests"] == [] and report["errors"] == []  # not one, from the page or the viewers
    first, second = report["views"]
    assert first["tabs"] == ["head", "model", "neuron", "matrix"] and first["hasQk"]
    assert second["tabs"] == ["head", "model", "matrix"] and second["state"]["view"] == "matrix"
    check_drawing(first, out["attentions"][0].numpy(), out["queries"][0].numpy())
    check_drawing(second, causal())
    assert all(j <= i for _, i, j, _ in second["drawn"]["head"]["lines"]), "a decoder's line to a later token"


def test_queries_and_keys_past_8_mb_are_left_out_with_a_warning_unless_asked_for():
    L, A, n, D = 12, 12, 80, 64  # 2 · 2 bytes · L·A·n·D = 2.95 MB: kept
    att = np.full((L, A, n, n), 1 / n)
    q = np.ones((L, A, n, D), dtype=np.float32)
    assert "queries" in headlight.show(["x"] * n, att, q, q).snapshot
    n = 240  # 8.85 MB
    att, q = np.full((L, A, n, n), 1 / n), np.ones((L, A, n, D), dtype=np.float32)
    with pytest.warns(UserWarning, match="queries and keys left out: they would add 8 MB"):
        assert "queries" not in headlight.show(["x"] * n, att, q, q).snapshot
    assert headlight.show(["x"] * n, att, q, q, qk=True).snapshot["head_size"] == D
    assert "queries" not in headlight.show(["x"] * n, att, q, q, qk=False).snapshot
