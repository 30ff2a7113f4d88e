"""Keras masks against what real TF 2.21 with Keras 3 gave for the same code
(tests/keras_layers_cases.py; the fixture is made by
tests/fixtures/make_keras_layers_fixtures.py)."""

import json
from pathlib import Path

import pytest
from keras_layers_cases import CASES
from tf_values import compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "keras_layers_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}", rtol=1e-5, atol=1e-5)


def test_docstring_examples():
    import doctest

    from tapeflow.keras import conv_layers, layers

    for module in (conv_layers, layers):
        assert doctest.testmod(module).failed == 0


def test_masks_live_as_long_as_their_tensors():
    from tapeflow.keras import layers

    before = len(layers._masks)
    y = tf.keras.layers.Embedding(5, 2, mask_zero=True)(tf.constant([[1, 0]]))
    assert len(layers._masks) == before + 1
    del y
    assert len(layers._masks) == before
    x = tf.constant([[1.0, 2.0]])
    with pytest.raises(AttributeError, match="no attribute '_keras_mask'"):
        x._keras_mask
    x._keras_mask = tf.constant([[True, False]])  # settable, as on a TF tensor
    assert tf.keras.layers.Dense(3)(x)._keras_mask.numpy().tolist() == [[True, False]]
