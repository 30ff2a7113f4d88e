"""Keras's text and structured-data preprocessing layers against what real TF 2.21 with
Keras 3.15 gave for the same code (tests/keras_text_cases.py; the fixture is made by
tests/fixtures/make_keras_text_fixtures.py). Vocabularies and integer outputs must be equal,
float outputs (tf-idf, a short fit) equal to float32 rounding."""

import json
from pathlib import Path

import pytest
from keras_text_cases import CASES
from tf_values import compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "keras_text_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}", rtol=1e-6, atol=1e-6)


def test_docstring_examples():
    import doctest

    from tapeflow.keras import text

    assert doctest.testmod(text).failed == 0
