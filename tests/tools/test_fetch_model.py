# tools/fetch-model against a local hub stand-in: plain and .bin checkpoints, interrupted transfers, bad checksums.
"""Run: /usr/bin/python3 -m unittest discover -s tests/tools -v   (needs build/native/hl-convert and the test
fixtures of tests/fixtures/make_fixtures.sh: build/fixtures/tiny-pretraining, a random-weight HF checkpoint)."""
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "fetch"))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import fetch_model  # noqa: E402
from hub_server import HubServer  # noqa: E402

FIXTURE = os.path.join(ROOT, "build", "fixtures", "tiny-pretraining")
HL_CONVERT = os.path.join(ROOT, "build", "native", "hl-convert")
REPO = "test-org/tiny-bert"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def legacy_bin(fixture_dir):
    """The checkpoint as an old pytorch_model.bin: 'bert.' prefix, LayerNorm gamma/beta, the tied decoder stored
    explicitly and the int64 position_ids buffer, as bert-base-uncased's file has them."""
    import torch
    import safetensors_io
    t = safetensors_io.load_torch(os.path.join(fixture_dir, "model.safetensors"))
    out = {}
    for name, x in t.items():
        if not name.startswith("cls."):
            name = "bert." + name
        name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        out[name] = x
    out["cls.predictions.decoder.weight"] = out["bert.embeddings.word_embeddings.weight"]
    out["bert.embeddings.position_ids"] = torch.arange(512).unsqueeze(0)
    buf = io.BytesIO()
    torch.save(out, buf)
    return buf.getvalue()


@unittest.skipUnless(os.path.exists(FIXTURE) and os.path.exists(HL_CONVERT),
                     "needs build/native/hl-convert and build/fixtures (tools/test.sh builds both)")
class FetchModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = {n: read(os.path.join(FIXTURE, n)) for n in
                     ("config.json", "vocab.txt", "model.safetensors", "tokenizer_config.json")}
        cls.bin = legacy_bin(FIXTURE)
        cls.tmp = tempfile.mkdtemp(prefix="hl-fetch-test-")
        cls.expected_hlm = os.path.join(cls.tmp, "direct.hlm")  # the converter run on the original folder
        subprocess.run([HL_CONVERT, FIXTURE, cls.expected_hlm, "--name", "tiny", "--source", f"{REPO}@main"],
                       check=True, capture_output=True)
        cls.config = json.loads(cls.files["config.json"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.tmp)
        self.log = []

    def entry(self, weights="model.safetensors", size=None, sha256=None, expected_config=None):
        files = [{"name": "config.json", "required": True}, {"name": "vocab.txt", "required": True},
                 {"name": "tokenizer_config.json", "required": False},
                 {"name": weights, "required": True, "weights": True, "size": size, "sha256": sha256}]
        cfg = expected_config if expected_config is not None else \
            {k: self.config[k] for k in ("hidden_size", "num_hidden_layers", "vocab_size")}
        return {"id": "tiny", "hub_id": REPO, "revision": "main", "files": files, "expected_config": cfg}

    def fetch(self, server, entry, dl="dl", **kw):
        out = os.path.join(self.dir, "out.hlm")
        with contextlib.redirect_stderr(io.StringIO()):
            r = fetch_model.fetch_model(entry, server.endpoint, os.path.join(self.dir, dl), out, backoff=0.01,
                                        log=self.log.append, **kw)
        return r, out

    def weight_requests(self, server, name):
        return [rng for path, rng in server.requests if path.startswith("/cdn/") and path.endswith(name)]

    def test_safetensors_with_catalog_checksum(self):
        w = self.files["model.safetensors"]
        with HubServer({REPO: self.files}) as hub:
            r, out = self.fetch(hub, self.entry(size=len(w), sha256=sha(w)))
        self.assertEqual(r["files"]["model.safetensors"]["verified"], "catalog")
        self.assertEqual(read(out), read(self.expected_hlm))

    def test_pytorch_bin_is_converted_like_safetensors(self):
        files = {k: v for k, v in self.files.items() if k != "model.safetensors"}
        files["pytorch_model.bin"] = self.bin
        with HubServer({REPO: files}) as hub:
            r, out = self.fetch(hub, self.entry("pytorch_model.bin", len(self.bin), sha(self.bin)))
        self.assertIn("not converted (not float tensors): bert.embeddings.position_ids", "\n".join(self.log))
        self.assertEqual(read(out), read(self.expected_hlm))

    def test_interrupted_transfer_resumes(self):
        w = self.files["model.safetensors"]
        with HubServer({REPO: self.files}) as hub:
            hub.cut_after["model.safetensors"] = 1_000_000
            r, out = self.fetch(hub, self.entry(size=len(w), sha256=sha(w)))
            ranges = self.weight_requests(hub, "model.safetensors")
        self.assertEqual(ranges, [None, "bytes=1000000-"])
        self.assertEqual(r["files"]["model.safetensors"]["resumed"], 1)
        self.assertEqual(read(out), read(self.expected_hlm))

    def test_partial_file_from_an_earlier_run_is_resumed(self):
        w = self.files["model.safetensors"]
        os.makedirs(os.path.join(self.dir, "dl"))
        with open(os.path.join(self.dir, "dl", "model.safetensors.part"), "wb") as f:
            f.write(w[:123457])
        with HubServer({REPO: self.files}) as hub:
            self.fetch(hub, self.entry(size=len(w), sha256=sha(w)))
            self.assertEqual(self.weight_requests(hub, "model.safetensors"), ["bytes=123457-"])

    def test_server_without_range_support_restarts(self):
        w = self.files["model.safetensors"]
        with HubServer({REPO: self.files}) as hub:
            hub.ignore_range = True
            hub.cut_after["model.safetensors"] = 500_000
            r, out = self.fetch(hub, self.entry(size=len(w), sha256=sha(w)))
        self.assertIn("starting again from 0", "\n".join(self.log))
        self.assertEqual(read(out), read(self.expected_hlm))

    def test_checksum_mismatch_deletes_and_stops(self):
        w = self.files["model.safetensors"]
        with HubServer({REPO: self.files}) as hub:
            with self.assertRaisesRegex(fetch_model.download.VerifyError, r"sha256 [0-9a-f]{64}, expected 0{64} "
                                                                          r"\(catalog\); the file was deleted"):
                self.fetch(hub, self.entry(size=len(w), sha256="0" * 64))
        dl = os.path.join(self.dir, "dl")
        self.assertFalse(os.path.exists(os.path.join(dl, "model.safetensors")))
        self.assertFalse(os.path.exists(os.path.join(dl, "model.safetensors.part")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.hlm")))

    def test_hub_header_checksum_is_used_without_catalog_checksum(self):
        with HubServer({REPO: self.files}) as hub:
            r, _ = self.fetch(hub, self.entry())
            self.assertEqual(r["files"]["model.safetensors"]["verified"], "hub header")
        with HubServer({REPO: self.files}) as hub:
            r, _ = self.fetch(hub, self.entry())  # a second run trusts what the first verified
            self.assertTrue(r["files"]["model.safetensors"]["cached"])
        with HubServer({REPO: self.files}) as hub:
            hub.linked_etag["model.safetensors"] = "f" * 64
            with self.assertRaisesRegex(fetch_model.download.VerifyError, r"expected f{64} \(hub header\)"):
                self.fetch(hub, self.entry(), dl="dl-other")

    def test_size_mismatch(self):
        w = self.files["model.safetensors"]
        with HubServer({REPO: self.files}) as hub:
            with self.assertRaisesRegex(fetch_model.download.VerifyError, f"{len(w):,} bytes, expected"):
                self.fetch(hub, self.entry(size=len(w) + 1))

    def test_missing_files_and_wrong_config(self):
        files = {k: v for k, v in self.files.items() if k != "tokenizer_config.json"}
        with HubServer({REPO: files}) as hub:
            self.fetch(hub, self.entry())  # an optional file may be missing
            self.assertIn("  tokenizer_config.json: not on the hub (optional, skipped)", self.log)
        del files["vocab.txt"]
        with HubServer({REPO: files}) as hub:
            with self.assertRaisesRegex(fetch_model.FetchError, r"vocab.txt does not exist \(404\)"):
                self.fetch(hub, self.entry(), dl="dl2")
        with HubServer({REPO: self.files}) as hub:
            with self.assertRaisesRegex(fetch_model.FetchError, r"hidden_size is \d+, expected 4096"):
                self.fetch(hub, self.entry(expected_config={"hidden_size": 4096}))

    def test_corrupt_bin_gets_a_clear_error(self):
        files = {k: v for k, v in self.files.items() if k != "model.safetensors"}
        files["pytorch_model.bin"] = self.bin[: len(self.bin) // 2]
        with HubServer({REPO: files}) as hub:
            with self.assertRaisesRegex(fetch_model.FetchError, "could not be read as a PyTorch state dict"):
                self.fetch(hub, self.entry("pytorch_model.bin"))

    def test_command_line(self):
        catalog = os.path.join(self.dir, "catalog.json")
        w = self.files["model.safetensors"]
        with open(catalog, "w") as f:
            json.dump({"endpoint": "http://127.0.0.1:9", "models": [self.entry(size=len(w), sha256=sha(w))]}, f)
        with HubServer({REPO: self.files}) as hub:
            out = os.path.join(self.dir, "cli.hlm")
            r = subprocess.run([os.path.join(ROOT, "tools", "fetch-model"), "tiny", "--catalog", catalog,
                                "--endpoint", hub.endpoint, "--download-dir", os.path.join(self.dir, "cli"),
                                "--out", out], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("[####################] 100.0%", r.stderr)
            self.assertTrue(os.path.exists(out))
            r = subprocess.run([os.path.join(ROOT, "tools", "fetch-model"), "no-such-model", "--catalog", catalog],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn("'no-such-model' is not in the catalog (tiny)", r.stderr)


if __name__ == "__main__":
    unittest.main()
