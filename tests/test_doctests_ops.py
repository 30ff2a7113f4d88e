"""The examples in the docstrings of the op modules run and print what they say."""

import doctest

import pytest

from tapeflow.ops import (
    array,
    constructors,
    control_flow,
    conv,
    indexing,
    linalg,
    losses,
    matrix,
    matrix_functions,
    nn,
    pooling,
    random,
    slicing,
)


@pytest.mark.parametrize(
    "module",
    [
        array,
        constructors,
        control_flow,
        indexing,
        slicing,
        matrix,
        matrix_functions,
        linalg,
        nn,
        losses,
        conv,
        pooling,
        random,
    ],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module.__name__}"
    random.set_seed(None)
