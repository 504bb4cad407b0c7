"""The examples in the docstrings and the README are documentation: they must run."""

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import micrograd_xent

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    importlib.import_module(info.name)
    for info in pkgutil.walk_packages(micrograd_xent.__path__, "micrograd_xent.")
    # cli has no examples; __main__ runs the command
    if info.name not in ("micrograd_xent.__main__", "micrograd_xent.cli")
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_give_the_output_they_show(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_the_readme_repl_session_gives_the_output_it_shows():
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False)
    assert result.attempted >= 10 and result.failed == 0


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(python3 -m venv .*)$", readme, flags=re.MULTILINE)
    assert len(commands) == 2  # the main job and the tests
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
