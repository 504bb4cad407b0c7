"""Every demo notebook runs top to bottom in a real kernel, so a broken demo fails CI."""

import os
from pathlib import Path

import nbclient
import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "demos").glob("*.ipynb"))


def test_there_are_demo_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_without_error(path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO)}},  # the kernel's working directory
    )
    # this checkout's package, also when it is not installed into the kernel's Python
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    client.execute(env={**os.environ, "PYTHONPATH": pythonpath})
