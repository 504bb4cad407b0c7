"""The sdist holds what the tests and the README need, so the tests run from it."""

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "tour-output",
)
SHIPPED = ("tests", "demos", "docs", "benchmarks")


def shipped_source_files():
    """The files under tests/, demos/, docs/ and benchmarks/ of this tree, caches left out."""
    skip = {"__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
    return {
        path.relative_to(ROOT).as_posix()
        for folder in SHIPPED
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and not skip & set(path.parts) and path.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    """The sdist built from a copy of the source tree, as ``python -m build --sdist`` does."""
    pytest.importorskip("setuptools")
    tree = tmp_path_factory.mktemp("tree") / "src"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCE)
    out = tree.parent / "dist"
    build = "from setuptools import build_meta; print(build_meta.build_sdist(%r))" % str(out)
    done = subprocess.run(
        [sys.executable, "-c", build], cwd=tree, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    with tarfile.open(out / done.stdout.split()[-1]) as archive:
        names = archive.getnames()
        top = names[0].split("/")[0]
        pkg_info = archive.extractfile(f"{top}/PKG-INFO").read().decode()
    return {name.split("/", 1)[1] for name in names if "/" in name}, pkg_info


def test_the_sdist_holds_the_tests_demos_docs_and_benchmarks(sdist):
    files, _ = sdist
    wanted = shipped_source_files()
    assert {"tests/conftest.py", "tests/oracles.py"} <= wanted
    assert wanted - files == set()


def test_the_sdist_holds_every_image_the_readme_shows(sdist):
    files, _ = sdist
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = set(re.findall(r'src="([^"]+)"', readme)) | set(
        re.findall(r"!\[[^]]*\]\(([^)]+)\)", readme)
    )
    local = {image for image in images if "://" not in image}
    assert local and local <= files


def test_the_sdist_holds_the_package_with_py_typed(sdist):
    files, _ = sdist
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "micrograd_xent").rglob("*.py")}
    assert package | {"micrograd_xent/py.typed"} <= files


def test_the_version_is_written_once_and_the_metadata_reads_it(sdist):
    _, pkg_info = sdist
    init = (ROOT / "micrograd_xent" / "__init__.py").read_text(encoding="utf-8")
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', init, re.M)
    assert f"\nVersion: {version}\n" in pkg_info
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and not re.search(r'^version = "', pyproject, re.M)
