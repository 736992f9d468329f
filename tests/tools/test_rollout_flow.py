# hl-analyze --rollout against NumPy (rollout) and a plain Edmonds–Karp maximum flow (attention flow), on the attention
# of a random-weight model that hl-analyze --attention writes out.
"""Run: /usr/bin/python3 -m unittest discover -s tests/tools -v   (needs build/native/hl-convert, hl-analyze and the
fixtures of tests/fixtures/make_fixtures.sh)."""
import collections
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
NATIVE = os.path.join(ROOT, "build", "native")
FIXTURE = os.path.join(ROOT, "build", "fixtures", "tiny-mlm")


def rollout(att):
    """att [L][A][n][n] -> R_L [n][n] with Â_l = rownorm(mean_h A + I), R = Â_L ... Â_1."""
    n = att.shape[-1]
    r = np.eye(n)
    for layer in att.astype(np.float64):
        a = layer.mean(axis=0) + np.eye(n)
        a /= a.sum(axis=1, keepdims=True)
        r = a @ r
    return r


def max_flow(cap, source, sink):
    """Edmonds–Karp on a dense capacity matrix (shortest augmenting paths by BFS)."""
    flow = np.zeros_like(cap)
    total = 0.0
    while True:
        parent = [-1] * len(cap)
        parent[source] = source
        queue = collections.deque([source])
        while queue and parent[sink] < 0:
            u = queue.popleft()
            for v in np.nonzero(cap[u] - flow[u] > 1e-12)[0]:
                if parent[v] < 0:
                    parent[v] = u
                    queue.append(v)
        if parent[sink] < 0:
            return total
        push, v = np.inf, sink
        while v != source:
            push = min(push, cap[parent[v], v] - flow[parent[v], v])
            v = parent[v]
        v = sink
        while v != source:
            flow[parent[v], v] += push
            flow[v, parent[v]] -= push
            v = parent[v]
        total += push


def flow_matrix(att):
    """F[i][j]: max flow from input token j to output token i through the layers' Â (edge j@l-1 -> i@l)."""
    L, _, n, _ = att.shape
    cap = np.zeros(((L + 1) * n, (L + 1) * n))
    for l, layer in enumerate(att.astype(np.float64), start=1):
        a = layer.mean(axis=0) + np.eye(n)
        a /= a.sum(axis=1, keepdims=True)
        cap[(l - 1) * n:l * n, l * n:(l + 1) * n] = a.T
    return np.array([[max_flow(cap, j, L * n + i) for j in range(n)] for i in range(n)])


class RolloutFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(FIXTURE):
            raise RuntimeError(f"missing {FIXTURE}: run bash tools/test.sh (it makes it)")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "tiny.hlm")
        subprocess.run([os.path.join(NATIVE, "hl-convert"), FIXTURE, cls.model], check=True, capture_output=True)
        texts = ["The cat sat on the mat.\tIt was warm.", "a b", "x", " ".join(["word"] * 60)]
        cls.pairs = os.path.join(cls.tmp.name, "pairs.tsv")
        with open(cls.pairs, "w") as f:
            f.write("\n".join(texts) + "\n")
        cls.out = os.path.join(cls.tmp.name, "out")
        subprocess.run([os.path.join(NATIVE, "hl-analyze"), cls.model, cls.pairs, "--out", cls.out, "--rollout",
                        "--attention"], check=True, capture_output=True)
        with open(os.path.join(cls.out, "stats.json")) as f:
            cls.stats = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def attention(self, k):
        t = self.stats["texts"][k]
        L, A, n = self.stats["layers"], self.stats["heads_per_layer"], t["n"]
        return np.fromfile(os.path.join(self.out, "attention", f"text-{k}.f32"), dtype="<f4").reshape(L, A, n, n)

    def test_rollout_equals_numpy(self):
        for k, t in enumerate(self.stats["texts"]):
            got = np.array(t["rollout"])
            np.testing.assert_allclose(got, rollout(self.attention(k)), rtol=0, atol=1e-12)
            np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)

    def test_flow_equals_plain_max_flow(self):
        checked = 0
        for k, t in enumerate(self.stats["texts"]):
            if t["flow"] is None:
                continue
            # Float capacities: Dinic and Edmonds–Karp push along different paths; the maxima agree to rounding.
            np.testing.assert_allclose(np.array(t["flow"]), flow_matrix(self.attention(k)), rtol=0, atol=1e-9)
            checked += 1
        self.assertEqual(checked, 3)

    def test_flow_refused_past_its_limit(self):
        t = self.stats["texts"][3]
        self.assertGreater(t["n"], 48)
        self.assertIsNone(t["flow"])
        self.assertIn("at most 48 tokens", t["flow_refused"])
        self.assertEqual(len(t["rollout"]), t["n"])


if __name__ == "__main__":
    unittest.main()
