# The repository stands on its own: no tracked file reads a folder beside the checkout or a path of one machine.
"""A user's clone has nothing beside it, so code, scripts and data must not refer to `../shared` (the material beside
the developers' checkout) or to an absolute path of the machine that wrote them (/work/..., /root/..., /home/...).
System paths that the setup script installs (/usr/..., /etc/...) are fine. Prose that explains the rule (README.md,
docs/) may name it."""
import os
import re
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BESIDE = ".." + "/shared"   # split so that this file does not match itself
MACHINE_PATH = re.compile(r"(?<![\w.~$-])/(?:work|root|home|Users|mnt|srv|media|opt)/[\w.-]")
EXPLAINS_THE_RULE = re.compile(r"^(README\.md|docs/.*\.md|tests/tools/test_repo_portable\.py)$")


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if out.returncode != 0:
        raise AssertionError(f"git ls-files failed in {ROOT}: {out.stderr.decode(errors='replace').strip()} "
                             "(this test reads the list of tracked files: run it in a git checkout)")
    return [p for p in out.stdout.decode().split("\0") if p]


def offending_lines(text):
    for no, line in enumerate(text.splitlines(), 1):
        if BESIDE in line or MACHINE_PATH.search(line):
            yield no, line.strip()[:160]


class RepoPortable(unittest.TestCase):
    maxDiff = None

    def test_no_file_refers_beside_the_checkout_or_to_a_machine_path(self):
        found = []
        for rel in tracked_files():
            if EXPLAINS_THE_RULE.match(rel):
                continue
            path = os.path.join(ROOT, rel)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if b"\0" in data:
                continue   # binary (models, pictures)
            text = data.decode("utf-8", errors="replace")
            found += [f"{rel}:{no}: {line}" for no, line in offending_lines(text)]
        self.assertEqual(found, [], "tracked files refer to a folder beside the checkout or to an absolute path of "
                         "one machine; commit what they need and use paths relative to the repository:\n  "
                         + "\n  ".join(found))

    def test_the_check_itself_catches_both_kinds(self):
        self.assertTrue(list(offending_lines('REF = path.resolve(REPO, "' + BESIDE + '/reference")')))
        self.assertTrue(list(offending_lines('SHARED = "/work/shared/reference/bert-base-uncased"')))
        self.assertTrue(list(offending_lines(' "model": "/root/.cache/headlight/ship/mini16k/hf",')))
        self.assertFalse(list(offending_lines('PY=/usr/bin/python3; UCD=/usr/share/unicode')))
        self.assertFalse(list(offending_lines('"model": "$HEADLIGHT_CACHE/ship/mini16k/hf"')))


if __name__ == "__main__":
    unittest.main()
