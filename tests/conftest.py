"""Shared fixtures. The PyTorch cross-checks get torch only through ``torch``."""

import os

import pytest


@pytest.fixture(scope="session")
def torch():
    """The torch module, for cross-checks in float64 (each test asks for the dtype).

    Skipped where torch is not installed, except in CI (``CI`` set), where a
    cross-check that silently skips would be a check that never runs.
    """
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(
                "torch is required in CI for the PyTorch cross-checks: pip install torch==2.13.0"
            )
        pytest.skip("torch is not installed; the PyTorch cross-checks are skipped")
    return torch
