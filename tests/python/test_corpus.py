# Corpus analysis from Python (headlight.corpus, python -m headlight analyze): the same head map as tools/analyze, and
# on a Dask LocalCluster of 2 worker processes the same result as in one process, also when a worker is killed midway.
"""Run: /usr/bin/python3 -m pytest tests/python/test_corpus.py   (needs build/native: libheadlight.so, hl-analyze)."""
import json
import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import headlight  # noqa: E402
from headlight import corpus  # noqa: E402

MODEL = ROOT / "models" / "headlight-mini" / "headlight-mini.hlm"
TREEBANK = ROOT / "web" / "data" / "ud-english-ewt" / "en_ewt-ud-dev.conllu"


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """A few hundred texts: the treebank's first 300 sentences as a .conllu, and as a TSV of 150 pairs plus 150 singles."""
    d = tmp_path_factory.mktemp("corpus")
    blocks = TREEBANK.read_text().split("\n\n")[:300]
    (d / "part.conllu").write_text("\n\n".join(blocks) + "\n\n")
    with headlight.Treebank(d / "part.conllu") as tb:
        sentences = [tb.sentence(k)["text"] for k in range(len(tb))]
    lines = [f"{sentences[k]}\t{sentences[k + 1]}" for k in range(0, 300, 2)] + sentences[:150]
    lines.insert(7, "   ")  # a blank line is skipped, as tools/analyze does
    (d / "texts.tsv").write_text("\n".join(lines) + "\n")
    return d


def close(got, want, tol, where=""):
    """Every number of two JSON trees within tol·max(1, |want|); everything else equal."""
    if isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for k in want:
            close(got[k], want[k], tol, f"{where}/{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for k, (g, w) in enumerate(zip(got, want)):
            close(g, w, tol, f"{where}/{k}")
    elif isinstance(want, float) or isinstance(got, float):
        assert abs(got - want) <= tol * max(1.0, abs(want)), f"{where}: {got} != {want}"
    else:
        assert got == want, where


def test_the_head_map_is_tools_analyzes(texts, tmp_path):
    subprocess.run([str(ROOT / "build" / "native" / "hl-analyze"), str(MODEL), str(texts / "texts.tsv"), "--out",
                    str(tmp_path / "cli")], check=True, stdout=subprocess.DEVNULL)
    cli = json.loads((tmp_path / "cli" / "stats.json").read_text())
    py = corpus.analyze(MODEL, texts / "texts.tsv", out=tmp_path / "py", per_text=True)
    assert py["texts"] == len(cli["texts"]) == 300
    assert [t["line"] for t in py["per_text"]] == [t["line"] for t in cli["texts"]]
    assert [t["stats"] for t in py["per_text"]] == [t["stats"] for t in cli["texts"]]
    # The same accumulator fed the same runs in the same order: equal to the last bit.
    assert py["head_map"] == cli["head_map"]
    assert (tmp_path / "py" / "heads.csv").read_text().count("\n") == 1 + 16


def test_a_treebank_gives_the_syntax_table_of_hl_analyze(texts, tmp_path):
    subprocess.run([str(ROOT / "build" / "native" / "hl-analyze"), str(MODEL), "--syntax", "--treebank",
                    str(texts / "part.conllu"), "--out", str(tmp_path / "cli")], check=True, stdout=subprocess.DEVNULL)
    py = corpus.analyze(MODEL, texts / "part.conllu", out=tmp_path / "py", partitions=3)
    cli = json.loads((tmp_path / "cli" / "syntax.json").read_text())
    assert py["syntax"] == {k: v for k, v in cli.items() if k in py["syntax"]}
    assert json.loads((tmp_path / "py" / "syntax.json").read_text()) == py["syntax"]
    assert py["syntax"]["sentences"] == 300


def check_equal(got, want):
    """The Dask result against the single-process one: statistics to 1e-9, distances to 1e-9 relative."""
    assert got["texts"] == want["texts"] and got["tokens"] == want["tokens"]
    g, w = got["head_map"], want["head_map"]
    assert g["texts"] == w["texts"] and g["rows"] == w["rows"]
    d_got, d_want = np.array(g["distance"]), np.array(w["distance"])
    assert np.max(np.abs(d_got - d_want)) <= 1e-9 * np.max(np.abs(d_want))
    close(g["aggregate"], w["aggregate"], 1e-9, "aggregate")
    if "syntax" in want:
        assert got["syntax"] == want["syntax"]  # counts: exact


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import Client, LocalCluster
    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(c)
    yield client
    client.close()
    c.close()


def test_dask_on_two_workers_equals_one_process(texts, cluster):
    for name in ("texts.tsv", "part.conllu"):
        want = corpus.analyze(MODEL, texts / name)
        got = corpus.analyze(MODEL, texts / name, client=cluster, partitions=7)
        assert got["workers"] == 2 and got["parts"] == 7
        check_equal(got, want)


def test_a_worker_killed_midway_is_retried_without_a_wrong_total(texts, cluster):
    want = corpus.analyze(MODEL, texts / "part.conllu")
    pids = cluster.run(os.getpid)
    killed = []

    def progress(done, total):
        if killed:
            return
        busy = [w for w, keys in cluster.processing().items() if keys and w in pids]
        if busy and done < total:
            os.kill(pids[busy[0]], signal.SIGKILL)  # the worker process dies with a part under way
            killed.append((busy[0], done, total))

    got = corpus.analyze(MODEL, texts / "part.conllu", client=cluster, partitions=24, progress=progress)
    assert killed, "no worker was busy when a part ended: nothing was killed"
    check_equal(got, want)
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarts it
    assert killed[0][0] not in cluster.scheduler_info()["workers"]


def test_the_command_line(texts, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    out = subprocess.run([sys.executable, "-m", "headlight", "analyze", str(MODEL), str(texts / "texts.tsv"), "--out",
                          str(tmp_path / "a"), "--dask", "local:2"], env=env, capture_output=True, text=True, check=True)
    assert "300 texts" in out.stdout and "2 Dask workers" in out.stdout
    got = json.loads((tmp_path / "a" / "stats.json").read_text())
    check_equal(got, corpus.analyze(MODEL, texts / "texts.tsv"))
    bad = subprocess.run([sys.executable, "-m", "headlight", "analyze", str(MODEL), str(texts / "missing.tsv"), "--out",
                          str(tmp_path / "b")], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "missing.tsv" in bad.stderr


def test_bad_corpora_say_what_is_wrong(tmp_path):
    (tmp_path / "empty.tsv").write_text("\n  \n")
    with pytest.raises(headlight.InvalidArgumentError, match="has no texts"):
        corpus.analyze(MODEL, tmp_path / "empty.tsv")
    (tmp_path / "bad.conllu").write_text("1\tx\n")
    with pytest.raises(headlight.InvalidArgumentError, match="treebank line 1"):
        corpus.analyze(MODEL, tmp_path / "bad.conllu")
    with pytest.raises(headlight.InvalidArgumentError, match="local:N needs"):
        (tmp_path / "one.tsv").write_text("One text.\n")
        corpus.analyze(MODEL, tmp_path / "one.tsv", dask="local:x")
