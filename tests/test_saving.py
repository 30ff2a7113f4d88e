"""Keras configs, `.keras` files, `clone_model` and `model_from_json` against what TF 2.21 with
Keras 3.15 gave for the same code (tests/saving_cases.py; the fixture is made by
tests/fixtures/make_saving_fixtures.py), plus round trips of every layer and the deliberate
differences."""

import doctest
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from saving_cases import CASES, CONFIGS, SEQ, X, Y, _fill, _layers
from tf_values import compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "saving_tf.json").read_text())
OURS = CONFIGS(tf)


def test_every_config_and_case_has_tf_values():
    assert set(FIXTURE["configs"]) == set(OURS)
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(FIXTURE["configs"]))
def test_config_is_keras_config(name):
    # exactly Keras's JSON, the order of the keys included
    assert json.dumps(OURS[name], indent=1) == json.dumps(FIXTURE["configs"][name], indent=1)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = CASES[name](tf, str(tmp_path))
    want = FIXTURE["cases"][name]
    assert list(got) == list(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}", rtol=1e-5, atol=1e-6)


def test_resumed_training_equals_uninterrupted_training(tmp_path):
    got = CASES["sequential_save_load_and_resume"](tf, str(tmp_path))
    assert got["resumed"] == got["continued"]  # bit for bit, not only close to TF's
    sub = CASES["custom_objects"](tf, str(tmp_path))
    assert sub["sub_resumed"] == sub["sub_continued"]
    # several outputs, loss weights, (weighted) metrics per output, regularizers, add_loss
    for name in [
        "multi_output_regularized_save_load_and_resume",
        "subclassed_multi_output_save_load",
    ]:
        got = CASES[name](tf, str(tmp_path / name))
        assert got["resumed"] == got["continued"]


@pytest.mark.parametrize("module", ["serialization", "saving", "models", "layers"])
def test_docstring_examples(module):
    import importlib

    result = doctest.testmod(importlib.import_module(f"tapeflow.keras.{module}"))
    assert result.failed == 0


# -- every layer: config round trip, and through a saved model ------------------------------


@pytest.mark.parametrize("index", range(len(_layers(tf))))
def test_every_layer_from_its_config_has_the_same_config(index):
    layer = _layers(tf)[index]
    config = layer.get_config()
    again = type(layer).from_config(json.loads(json.dumps(config)))
    assert type(again) is type(layer)
    assert json.dumps(again.get_config()) == json.dumps(config)


def _inputs_for(layer):
    """An input each layer takes, and a model around it."""
    name = type(layer).__name__
    if name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
        return [X[:, :2], X[:, 1:] * 2.0]
    if name in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"):
        return np.linspace(0, 1, 2 * 6 * 6 * 2, dtype=np.float32).reshape(2, 6, 6, 2)
    if name == "GlobalMaxPooling2D":
        return np.linspace(0, 1, 2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
    if name in ("UpSampling2D", "ZeroPadding2D", "Cropping2D"):
        return np.linspace(0, 1, 2 * 4 * 5 * 2, dtype=np.float32).reshape(2, 4, 5, 2)
    if name in ("Attention", "AdditiveAttention", "MultiHeadAttention"):
        return [SEQ, SEQ[:, :3] * 2.0]
    if name in ("SimpleRNN", "LSTM", "GRU", "Bidirectional", "LayerNormalization"):
        return SEQ
    if name in (
        "Masking",
        "SpatialDropout1D",
        "Conv1D",
        "MaxPooling1D",
        "AveragePooling1D",
        "Permute",
        "TimeDistributed",
    ):
        return SEQ
    if name == "EinsumDense":
        return SEQ if layer.equation.startswith("abc,") else X
    if name in ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "Reshape"):
        return SEQ[:, :4]
    if name == "Softmax" and layer.axis == [1, 2]:
        return SEQ
    if name == "Embedding":
        return np.int32([[1, 2, 0, 9], [3, 3, 4, 0]])
    if name == "Normalization" and layer.name == "norm_given":
        return X[:, :2]
    return X


@pytest.mark.parametrize("index", range(len(_layers(tf))))
def test_every_layer_through_save_and_load_model(index, tmp_path):
    layer = _layers(tf)[index]
    data = _inputs_for(layer)
    if isinstance(data, list):
        inputs = [tf.keras.Input(shape=d.shape[1:]) for d in data]
    else:
        inputs = tf.keras.Input(shape=data.shape[1:], dtype=str(data.dtype))
    if isinstance(layer, tf.keras.layers.Normalization) and layer.name == "normalization":
        layer.adapt(X)
    # MultiHeadAttention takes its query and value as two arguments
    output = (
        layer(*inputs) if isinstance(layer, tf.keras.layers.MultiHeadAttention) else layer(inputs)
    )
    model = tf.keras.Model(inputs, output)
    _fill(model)
    if isinstance(layer, tf.keras.layers.Normalization) and layer.name == "normalization":
        layer.adapt(X)  # _fill changed its statistics' variables
    path = tmp_path / "layer.keras"
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    assert type(loaded.layers[-1]) is type(layer)
    assert json.dumps(loaded.layers[-1].get_config()) == json.dumps(layer.get_config())
    for a, b in zip(model.weights, loaded.weights):
        assert a.path == b.path or b.path.endswith(a.path.split("/", 1)[-1])
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(tf.nest.flatten(model(data)), tf.nest.flatten(loaded(data))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_weights_refreshes_normalization_statistics(tmp_path):
    # the statistics are recomputed from loaded variables (they were stale before)
    norm = tf.keras.layers.Normalization()
    norm.adapt(X)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), norm])
    model.save_weights(str(tmp_path / "n.weights.h5"))
    fresh_norm = tf.keras.layers.Normalization()
    fresh = tf.keras.Sequential([tf.keras.Input(shape=(3,)), fresh_norm])
    fresh.load_weights(str(tmp_path / "n.weights.h5"))
    np.testing.assert_array_equal(fresh(X).numpy(), model(X).numpy())


def test_load_weights_reads_a_keras_file(tmp_path):
    model = _fill(tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)]))
    model.save(tmp_path / "m.keras")
    other = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    other.load_weights(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(other(X).numpy(), model(X).numpy())


def test_auto_config_of_a_subclass_without_get_config(tmp_path):
    @tf.keras.saving.register_keras_serializable(package="Tests")
    class Shift(tf.keras.layers.Layer):
        def __init__(self, amount=1.0, **kwargs):
            super().__init__(**kwargs)
            self.amount = amount

        def call(self, x):
            return x + self.amount

    assert Shift(2.5, name="s").get_config()["amount"] == 2.5
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), Shift(2.5)])
    model.save(tmp_path / "s.keras")
    np.testing.assert_array_equal(tf.keras.models.load_model(tmp_path / "s.keras")(X), X + 2.5)

    class Holder(tf.keras.layers.Layer):  # a non-plain argument: Keras's error
        def __init__(self, table, **kwargs):
            super().__init__(**kwargs)
            self.table = table

    with pytest.raises(NotImplementedError, match="must override `get_config"):
        Holder(np.ones(2)).get_config()


def test_registration_and_scopes():
    def plus_one(x):
        return x + 1.0

    layer = tf.keras.layers.Dense(2, activation=plus_one)
    config = layer.get_config()
    assert config["activation"]["config"] == "plus_one"
    with pytest.raises(TypeError, match="Could not locate function 'plus_one'"):
        tf.keras.layers.Dense.from_config(config)
    with tf.keras.saving.custom_object_scope({"plus_one": plus_one}):
        assert tf.keras.layers.Dense.from_config(config).activation is plus_one
    registered = tf.keras.saving.register_keras_serializable("Tests")(plus_one)
    assert tf.keras.saving.get_registered_object("Tests>plus_one") is registered
    # as Keras 3.15 writes a registered function: the class of functions, the registered name
    assert tf.keras.layers.Dense(2, activation=registered).get_config()["activation"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "Tests>plus_one",
        "registered_name": "function",
    }


def test_keras_configs_with_unsupported_arguments():
    config = tf.keras.layers.Dense(2).get_config()
    config["kernel_constraint"] = {"class_name": "NonNeg", "config": {}}
    with pytest.raises(NotImplementedError, match="does not support `kernel_constraint`"):
        tf.keras.layers.Dense.from_config(config)
    with pytest.raises(ValueError, match="cannot serialize a `lambda`"):
        tf.keras.layers.Dense(2, activation=lambda x: x).get_config()


def test_custom_regularizers_are_saved_and_found_as_keras_finds_them(tmp_path):
    @tf.keras.saving.register_keras_serializable(package="Tests")
    class Sum(tf.keras.regularizers.Regularizer):
        def __init__(self, factor=1.0):
            self.factor = factor

        def __call__(self, x):
            return self.factor * tf.reduce_sum(x)

        def get_config(self):
            return {"factor": self.factor}

    def squares(x):
        return 0.5 * tf.reduce_sum(tf.square(x))

    dense = tf.keras.layers.Dense(2, kernel_regularizer=Sum(0.25), bias_regularizer=squares)
    model = _fill(tf.keras.Sequential([tf.keras.Input(shape=(3,)), dense]))
    assert dense.get_config()["kernel_regularizer"] == {
        "module": __name__,
        "class_name": "Sum",
        "config": {"factor": 0.25},
        "registered_name": "Tests>Sum",
    }
    model.save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match="Could not locate function 'squares'"):
        tf.keras.models.load_model(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras", custom_objects={"squares": squares})
    layer = loaded.layers[-1]
    assert type(layer.kernel_regularizer) is Sum and layer.bias_regularizer is squares
    assert [float(x) for x in loaded.losses] == [float(x) for x in model.losses]


def test_optimizer_saved_before_its_first_step_warns_and_keeps_its_values(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    skipped = r"Skipping variable loading for optimizer 'adam(_\d+)?', because it has 6"
    with pytest.warns(UserWarning, match=skipped):
        loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.numpy()) == 0


# -- deliberate differences (README) --------------------------------------------------------


def test_keras_files_hold_npz_weights_not_hdf5(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == [
            "metadata.json",
            "config.json",
            "model.weights.tapeflow.npz",
        ]
        assert archive.read("model.weights.tapeflow.npz")[:4] == b"PK\x03\x04"
    # a file Keras wrote: its HDF5 weights cannot be read, its config can
    keras_file = tmp_path / "keras.keras"
    with zipfile.ZipFile(keras_file, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", model.to_json())
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    with pytest.raises(ImportError, match=r"its weights are HDF5 \(model.weights.h5\)"):
        tf.keras.models.load_model(keras_file)


def test_h5_paths_raise_import_error(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    with pytest.raises(ImportError, match=r"requires h5py.*depends on NumPy only"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ImportError, match="requires h5py"):
        tf.keras.models.load_model(tmp_path / "m.h5")


def test_training_continues_from_the_saved_state(tmp_path):
    # the optimizer's state is restored: Adam's bias correction continues from its step count
    model = _fill(tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)]))
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=3, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.numpy()) == 3
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_model_checkpoint_saves_whole_models(tmp_path):
    model = _fill(tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)]))
    model.compile(optimizer="sgd", loss="mse")
    callback = tf.keras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"))
    model.fit(X, Y, epochs=2, shuffle=False, verbose=0, callbacks=[callback])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.keras", "m-2.keras"]
    last = tf.keras.models.load_model(tmp_path / "m-2.keras")
    np.testing.assert_array_equal(last.predict(X, verbose=0), model.predict(X, verbose=0))
    assert int(last.optimizer.iterations.numpy()) == 2
