# headlight.convert: Hugging Face checkpoint folders converted by the engine's streaming converter (hl_convert_*), equal
# to hl-convert's files, and errors that say what is wrong with a folder.
"""Run: /usr/bin/python3 -m pytest tests/python/test_convert.py   (needs build/native and the fixtures of build/fixtures)."""
import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import headlight  # noqa: E402

FIXTURES = ROOT / "build" / "fixtures"
TEXT = ("The strawberries grew in the garden.", "They were sweet.")


@pytest.mark.parametrize("name", ["tiny-mlm", "tiny-roberta", "tiny-distilbert"])
@pytest.mark.parametrize("int8", [True, False])
def test_a_conversion_runs_as_hl_converts(name, int8, tmp_path):
    folder = FIXTURES / name
    out = tmp_path / "cli.hlm"
    subprocess.run([str(ROOT / "build" / "native" / "hl-convert"), str(folder), str(out)] + ([] if int8 else ["--f32"]),
                   check=True, stdout=subprocess.DEVNULL)
    data = headlight.convert(folder, int8=int8)
    with headlight.Model(data) as py, headlight.Model(out) as cli, headlight.Model(folder, int8=int8) as direct:
        assert py.info["config"] == cli.info["config"]
        want = cli.run(*TEXT)
        for m in (py, direct):
            got = m.run(*TEXT)
            assert [t["text"] for t in got.tokens] == [t["text"] for t in want.tokens]
            np.testing.assert_array_equal(got.attention, want.attention)
            np.testing.assert_array_equal(got.hidden, want.hidden)


def copy(name, tmp_path):
    dst = tmp_path / name
    shutil.copytree(FIXTURES / name, dst)
    return dst


def test_folders_that_are_not_checkpoints(tmp_path):
    with pytest.raises(headlight.InvalidArgumentError, match="is not a folder"):
        headlight.convert(tmp_path / "nothing")
    with pytest.raises(headlight.InvalidArgumentError, match="has no config.json"):
        headlight.convert(tmp_path)
    folder = copy("tiny-mlm", tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(headlight.InvalidArgumentError, match="neither model.safetensors nor"):
        headlight.convert(folder)


def test_malformed_checkpoints_raise_the_engines_message(tmp_path):
    folder = copy("tiny-mlm", tmp_path)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # cut in the middle of the tensors
    with pytest.raises(headlight.BadModelError) as e:
        headlight.convert(folder)
    assert "safetensors" in str(e.value)
    (folder / "config.json").write_text("{ not json")
    with pytest.raises(headlight.HeadlightError, match="config"):
        headlight.convert(folder)


def test_an_index_naming_files_outside_the_folder_or_missing(tmp_path):
    folder = copy("tiny-mlm", tmp_path)
    (folder / "model.safetensors").rename(folder / "model-00001-of-00001.safetensors")
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"x": "../../etc/passwd"}}))
    with pytest.raises(headlight.BadModelError, match="not a plain file name"):
        headlight.convert(folder)
    raw = (folder / "model-00001-of-00001.safetensors").read_bytes()
    names = [k for k in json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")]) if k != "__metadata__"]
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {k: "model-2.safetensors" for k in names}}))
    with pytest.raises(headlight.InvalidArgumentError, match="not a file in the folder"):
        headlight.convert(folder)
    (folder / "model.safetensors.index.json").write_text("[]")
    with pytest.raises(headlight.InvalidArgumentError, match="no usable weight_map"):
        headlight.convert(folder)
