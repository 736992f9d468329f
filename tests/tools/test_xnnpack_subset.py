# The XNNPACK subset lists (third_party/xnnpack-subset/) cover every XNNPACK function the engine calls.
"""tools/deps/build_xnnpack.sh compiles only the XNNPACK objects that a probe calling the engine's XNNPACK functions
linked in (tools/deps/xnnpack_subset.sh). A new call in the engine would fail its link with an undefined symbol; this
test says why, and what to run, before any build."""
import os
import re
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUBSET_DIR = os.path.join(ROOT, "third_party", "xnnpack-subset")
FAMILIES = ("native", "wasm", "wasm-relaxed")
CALL = re.compile(r"\b(xnn_[a-z0-9_]+)\(")


def engine_calls():
    calls = set()
    for dirpath, _, files in os.walk(os.path.join(ROOT, "wasm", "src")):
        for name in files:
            if name.endswith((".cpp", ".h", ".c")):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    calls |= set(CALL.findall(f.read()))
    return calls


def listed_functions(text):
    for line in text.splitlines():
        if line.startswith("# functions:"):
            return set(line.split(":", 1)[1].split())
    return set()


class XnnpackSubset(unittest.TestCase):
    def test_every_engine_call_was_probed(self):
        calls = engine_calls()
        self.assertIn("xnn_create_fully_connected_nc_f32", calls, "the scan of wasm/src found no XNNPACK calls")
        for family in FAMILIES:
            path = os.path.join(SUBSET_DIR, family + ".txt")
            self.assertTrue(os.path.isfile(path), f"{path} is missing: bash tools/deps/xnnpack_subset.sh {family}")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            objects = [l for l in text.splitlines() if l and not l.startswith("#")]
            self.assertGreater(len(objects), 10, f"{path} lists only {len(objects)} objects")
            missing = sorted(calls - listed_functions(text))
            self.assertEqual(missing, [], f"the engine calls XNNPACK functions that {path} was not made for: run "
                             f"bash tools/deps/xnnpack_subset.sh {family}")

    def test_the_check_sees_a_new_call(self):
        self.assertEqual(CALL.findall("xnn_create_softmax_nc_f32(flags, &op);"), ["xnn_create_softmax_nc_f32"])
        self.assertEqual(listed_functions("# functions: xnn_a xnn_b\nx.o\n"), {"xnn_a", "xnn_b"})


if __name__ == "__main__":
    unittest.main()
