# Puts the engine (libheadlight.so) and the notebook viewer (viewer.html) into the package when it is built from the
# repository's python/ folder, building them first where they are missing (tools/build.sh native, tools/python_viewer.mjs).
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
PARTS = {  # file in the package ← (where the repository builds it, the command that builds it)
    "libheadlight.so": (REPO / "build" / "native" / "libheadlight.so", ["bash", "tools/build.sh", "native"]),
    "viewer.html": (HERE / "headlight" / "viewer.html", ["node", "tools/python_viewer.mjs"]),
}


class BuildWithEngine(build_py):
    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "headlight"
        for name, (built, command) in PARTS.items():
            if not built.is_file():
                if not (REPO / "tools" / "build.sh").is_file():
                    raise SystemExit(f"headlight: {name} is missing and {REPO} is not the Headlight repository")
                print(f"headlight: building {name}: {' '.join(command)}")
                if subprocess.run(command, cwd=REPO).returncode != 0 or not built.is_file():
                    raise SystemExit(f"headlight: `{' '.join(command)}` did not build {built} (run `bash tools/setup.sh` "
                                     "in the repository first: it installs the compilers and packages)")
            shutil.copy2(built, target / name)


class BinaryDistribution(Distribution):
    def has_ext_modules(self):  # the wheel carries a native library: tagged for this platform, not "any"
        return True


setup(cmdclass={"build_py": BuildWithEngine}, distclass=BinaryDistribution)
