"""Shared fixtures. The PyTorch cross-checks get torch only through ``torch``."""

import os

import pytest


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
