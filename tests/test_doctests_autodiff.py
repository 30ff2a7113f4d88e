"""The examples in the docstrings of the autodiff modules run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "tapeflow.tape",
    "tapeflow.jacobian",
    "tapeflow.forwardprop",
    "tapeflow.custom_gradient",
    "tapeflow.indexed_slices",
    "tapeflow.explain",
    "tapeflow.testing",
    "tapeflow.ops.clip",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
