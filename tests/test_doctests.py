"""The examples in every tapeflow module's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import tapeflow

# every module of the package, so a new one's examples run without editing a list
MODULES = [
    importlib.import_module(m.name) for m in pkgutil.walk_packages(tapeflow.__path__, "tapeflow.")
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module.__name__}"
    tapeflow.random.set_seed(None)
