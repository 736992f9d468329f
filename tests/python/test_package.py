# `pip install ./python` as a user runs it (offline here: --no-build-isolation --no-index): the wheel carries
# libheadlight.so and the notebook viewer, and the installed package works from outside the repository.
"""Run: /usr/bin/python3 -m pytest tests/python/test_package.py   (needs python3-venv, build/native/libheadlight.so)."""
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = """
import json, pathlib, headlight, headlight._lib as lib
m = headlight.Model(pathlib.Path(%r))
run = m.run("The cat sat on the mat.")
print(json.dumps({"file": headlight.__file__, "n": run.n, "html": len(headlight.show(run).html()),
                  "libs": sorted(p.name for p in pathlib.Path(headlight.__file__).parent.glob("*.so")),
                  "viewer": (pathlib.Path(headlight.__file__).parent / "viewer.html").is_file()}))
"""


def test_pip_install_carries_the_engine_and_the_viewer(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--no-index", str(ROOT / "python")],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HEADLIGHT_LIB")}
    model = ROOT / "models" / "headlight-mini" / "headlight-mini.hlm"
    out = subprocess.run([str(venv / "bin" / "python"), "-c", SCRIPT % str(model)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["file"].startswith(str(venv)), "the installed package, not the repository's"
    assert got["libs"] == ["libheadlight.so"] and got["viewer"]
    assert got["n"] == 9 and got["html"] > 100_000
    cli = subprocess.run([str(venv / "bin" / "python"), "-m", "headlight", "analyze", str(model),
                          str(ROOT / "web" / "data" / "sample_pairs.tsv"), "--out", str(tmp_path / "out")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert "60 texts" in cli.stdout
    assert json.loads((tmp_path / "out" / "stats.json").read_text())["head_map"]["texts"] == 60
