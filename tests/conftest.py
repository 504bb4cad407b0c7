"""Shared fixtures. The PyTorch cross-checks get torch only through ``torch``;
the browser checks get a headless Chromium only through ``browser``."""

import contextlib
import io
import os
import shutil

import pytest

# flags for a headless browser in a container: no sandbox (root), no GPU, and no
# background traffic (updates, sync) that could stall or fail without a network
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    """Mark every test that asks for torch, so that ``-m torch`` runs just those."""
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()):
            item.add_marker("torch")


@pytest.fixture(scope="session")
def torch():
    """The torch module, for cross-checks in float64 (each test asks for the dtype).

    The cross-checks are opt-in: skipped where torch is not installed, except
    where MICROGRAD_XENT_REQUIRE_TORCH is set (CI sets it after installing the
    CPU build), since a cross-check that silently skips would never run.
    """
    try:
        import torch
    except ImportError:
        if os.environ.get("MICROGRAD_XENT_REQUIRE_TORCH"):
            pytest.fail("torch is required here for the PyTorch cross-checks")
        pytest.skip("torch is not installed: pip install torch==2.13.0 to run the cross-checks")
    return torch


@pytest.fixture(scope="session")
def browser():
    """A Playwright ``Browser``: the system's Chromium, headless.

    Skipped where Playwright's Python package or Chromium is missing, except in
    CI (``CI`` set), where a check that skips would never run. Open pages with
    ``browser.new_page(viewport={"width": 1280, "height": 800})``.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("Playwright is not installed", "pip install playwright")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _browser_missing("Chromium is not installed", "apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _browser_missing(reason: str, install: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI requires it for the browser checks: {install}")
    pytest.skip(f"{reason}; the browser checks are skipped ({install})")


@pytest.fixture(scope="session")
def tour(tmp_path_factory):
    """One run of ``micrograd-xent tour`` into a fresh folder: (folder, exit
    status, stdout, stderr), shared by the report's tests."""
    from micrograd_xent.cli import main

    out = tmp_path_factory.mktemp("tour") / "report"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["tour", "--out", str(out)])
    return out, status, stdout.getvalue(), stderr.getvalue()
