"""Keras's text and structured-data preprocessing layers against what real TF 2.21 with
Keras 3.15 gave for the same code (tests/keras_text_cases.py; the fixture is made by
tests/fixtures/make_keras_text_fixtures.py). Vocabularies and integer outputs must be equal,
float outputs (tf-idf, a short fit) equal to float32 rounding."""

import json
from pathlib import Path

import numpy as np
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


def _adapted_model(mode):
    length = 5 if mode == "int" else None
    layer = tf.keras.layers.TextVectorization(output_mode=mode, output_sequence_length=length)
    layer.adapt(["the cat sat", "the dog", "a dog barks, the end"])
    return tf.keras.Sequential([tf.keras.Input(shape=(1,), dtype="string"), layer])


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_saved_model_keeps_the_adapted_vocabulary(tmp_path, mode):
    import zipfile

    model = _adapted_model(mode)
    x = tf.constant([["the dog sat"], ["zebra the"]])
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:  # where Keras 3 writes it
        assert "assets/layers/text_vectorization/vocabulary.txt" in archive.namelist()
    loaded = tf.keras.models.load_model(path)
    assert loaded.layers[0].get_vocabulary() == model.layers[0].get_vocabulary()
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


def test_integer_lookup_from_its_vocabulary_file(tmp_path):
    layer = tf.keras.layers.IntegerLookup(name="ages")
    layer.adapt([3, 1, 3, 7])
    model = tf.keras.Sequential([tf.keras.Input(shape=(1,), dtype="int64"), layer])
    model.save(str(tmp_path / "i.keras"))
    loaded = tf.keras.models.load_model(str(tmp_path / "i.keras"))
    assert loaded.layers[0].get_vocabulary() == [-1, 3, 7, 1]


def test_keras_argument_errors():
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set"):
        tf.keras.layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)
    with pytest.raises(ValueError, match="If pad_to_max_tokens is True, must set `max_tokens`"):
        tf.keras.layers.TextVectorization(pad_to_max_tokens=True)
