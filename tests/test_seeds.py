"""Acceptance: every code cell of the seed documents prints what real TensorFlow printed.

The expected outputs were recorded from TF 2.21 by tests/fixtures/make_seed_outputs.py.
"""

import json
from pathlib import Path

import pytest

from examples import notebook

EXPECTED = json.loads((Path(__file__).parent / "fixtures" / "seed_outputs_tf.json").read_text())


def _expected(seed: str, index: int, stdout: str) -> str:
    if seed == "tf_basics_autodiff_notebook" and stdout == "'2.21.0'\n":
        # tf.__version__: tapeflow names the TF version it follows plus its own (README)
        import tapeflow

        return repr(tapeflow.__version__) + "\n"
    return stdout


@pytest.mark.parametrize("seed", sorted(notebook.SEEDS))
def test_seed_cells_print_what_tensorflow_prints(seed):
    expected = EXPECTED["seeds"][seed]
    results = notebook.run(seed)
    assert len(results) == len(expected)
    for i, (got, want) in enumerate(zip(results, expected)):
        assert got.error == want["error"], f"cell {i}:\n{got.source}"
        assert got.stdout == _expected(seed, i, want["stdout"]), f"cell {i}:\n{got.source}"


def test_r2_tutorial_without_watch_fails_like_tensorflow():
    # The r2 text omits t.watch(x) for constants: the gradient is None and the cell fails.
    results = notebook.run("autodiff_tutorial_r2")
    assert results[1].error == "TypeError: 'NoneType' object is not subscriptable"
    assert results[2].error == "AttributeError: 'NoneType' object has no attribute 'numpy'"


def test_cells_are_extracted_verbatim():
    cells = notebook.cells("autodiff_tutorial_r2_alpha")
    assert cells[2].startswith("x = tf.ones((2, 2))\n\nwith tf.GradientTape() as t:\n  t.watch(x)")
    assert len(notebook.cells("tf_basics_autodiff_notebook")) == 12
