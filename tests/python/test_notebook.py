# The example notebook (python/examples/attention.ipynb) executed by `jupyter nbconvert --execute --to html`, then its
# export opened in Chromium with every request blocked: each headlight.show() output draws every tab — as many lines as
# its data has non-zero weights, L·A thumbnails, n·n cells, q/k where given — and no request leaves the page.
"""Run: /usr/bin/python3 -m pytest tests/python/test_notebook.py   (needs jupyter-nbconvert, python3-ipykernel)."""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "python" / "examples" / "attention.ipynb"


def test_the_notebook_runs_and_its_export_draws_offline(tmp_path):
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--execute", str(NOTEBOOK), "--output-dir",
                    str(tmp_path), "--ExecutePreprocessor.timeout=300"], check=True, capture_output=True, timeout=600)
    export = tmp_path / "attention.html"
    out = tmp_path / "views.json"
    subprocess.run(["node", str(ROOT / "tests" / "python" / "views_check.mjs"), str(export), str(out)], check=True,
                   timeout=300)
    report = json.loads(out.read_text())
    # No viewer asks for anything; the export's own template asks for nbconvert's require.js and MathJax (Debian's
    # nbconvert points them at /usr/share/javascript; blocked here, and nothing needs them).
    assert [r for r in report["requests"] if r["frame"] != "page"] == [], "a viewer made a request"
    assert {pathlib.Path(r["url"].split("?")[0]).name for r in report["requests"]} <= {"require.min.js", "MathJax.js"}
    assert report["errors"] == []
    views = report["views"]
    # The built-in model's run, the converted checkpoint's (model view first), the PyTorch reference's, the causal one.
    assert [v["state"]["view"] for v in views] == ["head", "model", "head", "head"]
    assert [(v["layers"], v["heads"]) for v in views] == [(4, 4), (4, 4), (4, 4), (2, 3)]
    assert [v["hasQk"] for v in views] == [True, True, True, False]
    assert views[0]["tokens"][:4] == ["[CLS]", "the", "cat", "sat"]
    assert views[1]["tokens"] == views[2]["tokens"]  # the PyTorch model ran on the converted model's tokens
    assert views[3]["tokens"] == "Attention in a decoder only looks back".split()
    for v in views:
        assert v["status"] == "ready", v["message"]
        assert v["tabs"] == (["head", "model", "neuron", "matrix"] if v["hasQk"] else ["head", "model", "matrix"])
        head = v["drawn"]["head"]
        assert len(head["lines"]) == head["nonzero"] > 0, "one line per non-zero weight of the shown heads"
        assert v["drawn"]["model"]["canvases"] == 1
        assert v["drawn"]["model"]["label"].startswith(f"{v['layers']} layers × {v['heads']} heads")
        assert len(v["drawn"]["matrix"]["values"]) == v["n"] ** 2
        if v["hasQk"]:
            assert len(v["drawn"]["neuron"]["softmax"]) == v["n"]
    assert all(j <= i for _, i, j, _ in views[3]["drawn"]["head"]["lines"]), "the causal attention looks back only"
