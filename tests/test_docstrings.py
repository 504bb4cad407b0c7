"""The examples in the docstrings are part of the documentation: they must run."""

import doctest

import pytest

from micrograd_xent import engine, losses, nn


@pytest.mark.parametrize("module", [engine, losses, nn], ids=lambda m: m.__name__)
def test_docstring_examples_give_the_output_they_show(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
