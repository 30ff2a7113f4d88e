"""Keras compile/fit/evaluate/predict, metrics, callbacks and summary against what real TF 2.21
with Keras 3 gave for the same code (tests/keras_fit_cases.py; the fixture is made by
tests/fixtures/make_keras_fit_fixtures.py)."""

import contextlib
import doctest
import importlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from keras_fit_cases import (
    CASES,
    SAMPLE_WEIGHT,
    Y_INT,
    Y_REG,
    Y_TWO,
    X,
    _two_outputs,
    captured,
    masked,
)
from tf_values import compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "keras_fit_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}", rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("module", ["callbacks", "metrics", "models", "trainer"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"tapeflow.keras.{module}"))
    assert result.failed == 0


def test_progress_bar_text():
    # the exact bytes of one redraw and the final line, timing aside
    text = FIXTURE["cases"]["fit_sparse_verbose1"]["text"]
    assert text.startswith("Epoch 1/3\n\x1b[1m3/3\x1b[0m \x1b[32m" + "━" * 20 + "\x1b[0m\x1b[37m")
    assert "\x1b[1mTs\x1b[0m T/step - accuracy: " in text
    bar = tf.keras.callbacks.Progbar(target=40)
    with captured() as out:
        bar.update(1, [("loss", 0.5)])
        bar.update(40, [("loss", 0.00012)])
    first, final = out.getvalue().split("\r")[1:]
    first = first.rstrip("\b")  # the next redraw's backspaces
    assert first.startswith("\x1b[1m 1/40\x1b[0m \x1b[37m" + "━" * 20 + "\x1b[0m \x1b[1m")
    assert first.endswith(" - loss: 0.5000")
    assert masked(final) == (
        "\x1b[1m40/40\x1b[0m \x1b[32m" + "━" * 20 + "\x1b[0m\x1b[37m\x1b[0m "
        "\x1b[1mTs\x1b[0m T/step - loss: 1.2000e-04\n"
    )


def test_fit_shuffles_with_the_global_seed_and_keeps_the_last_partial_batch():
    def run(shuffle):
        tf.random.set_seed(3)
        model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
        model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
        seen = []
        model.fit(
            X,
            np.arange(50, dtype=np.float32),
            batch_size=16,
            epochs=2,
            shuffle=shuffle,
            verbose=0,
            callbacks=[
                tf.keras.callbacks.LambdaCallback(
                    on_train_batch_begin=lambda batch, logs: seen.append(batch)
                )
            ],
        )
        return model.get_weights(), seen

    (a, steps), (b, _), (c, _) = run(True), run(True), run(False)
    assert steps == [0, 1, 2, 3] * 2  # 16 + 16 + 16 + 2
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))


def test_iterable_without_length_counts_up_to_unknown_then_knows():
    def batches():
        for i in range(0, 50, 20):
            yield X[i : i + 20], Y_REG[i : i + 20]

    class Batches:
        def __iter__(self):
            return batches()

    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with captured() as out:
        history = model.fit(Batches(), epochs=2)
    assert "\r      1/Unknown \x1b[1m" in out.getvalue()  # Keras: no bar before the end is known
    lines = masked(out.getvalue()).split("\n")
    for line in lines[1], lines[3]:
        assert line.startswith("\x1b[1m3/3\x1b[0m \x1b[32m" + "━" * 20 + "\x1b[0m\x1b[37m\x1b[0m ")
    assert len(history.history["loss"]) == 2


def test_errors():
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)` before calling `fit"):
        model.fit(X, Y_REG)
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(X[:1], Y_REG[:1], validation_split=0.5, verbose=0)
    with pytest.raises(ValueError, match="Could not interpret metric identifier: nope"):
        tf.keras.metrics.get("nope")
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        model.fit(X, Y_REG, verbose=0, callbacks=[tf.keras.callbacks.EarlyStopping("score")])
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss`"):
        model.fit(X, Y_REG, verbose=0, callbacks=[tf.keras.callbacks.EarlyStopping()])


def test_summary_is_plain_text_on_a_terminal_too():
    # a deliberate difference (README): Keras draws it with rich in bold and colour there
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    with contextlib.redirect_stdout(Terminal()) as out:
        model.summary()
    assert "\x1b" not in out.getvalue()
    assert (
        out.getvalue().startswith('Model: "') and " Total params: 8 (32.00 B)\n" in out.getvalue()
    )


def test_readme_fit_example_runs():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("## Keras\n") :]
    first, second = (block.split("```")[0] for block in section.split("```python\n")[1:3])
    with captured():
        exec(first + second, {})


# -- several outputs: what Keras 3.15 gets wrong or fails on (README: deliberate differences) --


def test_one_sample_weight_array_weights_every_output_of_a_y_given_by_output_name():
    # Keras 3.15 fails here with `KeyError: 0` (its data adapter shapes the weights like y)
    def run(y):
        model = _two_outputs(tf, "swn")
        model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss=["mae", "mse"])
        history = model.fit(
            X, y, sample_weight=SAMPLE_WEIGHT, batch_size=25, shuffle=False, verbose=0
        )
        return history.history

    by_name = run({"swn_value": Y_REG, "swn_label": Y_TWO})
    assert by_name == run([Y_REG, Y_TWO])
    unweighted = _two_outputs(tf, "swn")
    unweighted.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss=["mae", "mse"])
    plain = unweighted.fit(X, [Y_REG, Y_TWO], batch_size=25, shuffle=False, verbose=0)
    assert by_name["loss"] != plain.history["loss"]


def test_loss_weights_by_output_name_follow_the_names():
    # Keras 3.15 gives a list of losses the weights of a dict in its keys' sorted order
    inputs = tf.keras.Input(shape=(3,))
    zeta = tf.keras.layers.Dense(1, kernel_initializer="ones", name="zeta")(inputs)
    alpha = tf.keras.layers.Dense(1, kernel_initializer="zeros", name="alpha")(inputs)
    model = tf.keras.Model(inputs, [zeta, alpha])
    model.compile(optimizer="sgd", loss=["mse", "mse"], loss_weights={"zeta": 1.0, "alpha": 100.0})
    mse_zeta = np.mean((X.sum(axis=1, keepdims=True) - Y_REG) ** 2)
    mse_alpha = np.mean(Y_REG**2)
    loss = model.evaluate(X, [Y_REG, Y_REG], batch_size=50, verbose=0)[0]
    np.testing.assert_allclose(loss, mse_zeta + 100 * mse_alpha, rtol=1e-6)


def test_structures_that_do_not_match_the_outputs_are_explained():
    # Keras fails on these with a KeyError or TypeError about its internals, or not at all
    model = _two_outputs(tf, "bad")
    model.compile(optimizer="sgd", loss="mse")
    for y, given in [
        (Y_REG, "one array"),
        ([Y_REG], "['X']"),
        ({"bad_value": Y_REG, "nope": Y_TWO}, "{'bad_value': 'X', 'nope': 'X'}"),
    ]:
        with pytest.raises(ValueError) as e:
            model.fit(X, y, verbose=0)
        assert str(e.value) == (
            "`y` should have one array per output of the model, as a list in the order of its "
            "outputs or a dict by output name: the model has 2 outputs named ['bad_value', "
            f"'bad_label'], and `y` is {given}."
        )
    sequential = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
    sequential.compile(optimizer="sgd", loss={"dense": "mse"})
    with pytest.raises(ValueError, match="outputs have no names"):
        sequential.evaluate(X, Y_REG, verbose=0)
    inputs = tf.keras.Input(shape=(3,))
    single = tf.keras.Model(inputs, tf.keras.layers.Dense(1)(inputs))
    single.compile(optimizer="sgd", loss=["mse", "mae"])  # Keras quietly uses the first
    with pytest.raises(ValueError, match="A model with one output takes one loss"):
        single.evaluate(X, Y_REG, verbose=0)
    with pytest.raises(ValueError, match="The model has one output, but `y` holds 2 arrays"):
        single.compile(optimizer="sgd", loss="mse")
        single.evaluate(X, [Y_REG, Y_REG], verbose=0)
    model.compile(optimizer="sgd", loss=[["mse", "mae"], "mse"])
    with pytest.raises(NotImplementedError, match="one loss per output"):
        model.evaluate(X, [Y_REG, Y_TWO], verbose=0)


def test_multi_output_predict_and_train_on_batch_keep_the_structure():
    model = _two_outputs(tf, "keep", outputs="dict")
    model.compile(optimizer="sgd", loss={"value": "mse", "label": "mse"})
    assert list(model.predict_on_batch(X[:4])) == ["value", "label"]
    assert [a.shape for a in model.predict(X, batch_size=16, verbose=0).values()] == [
        (50, 1),
        (50, 2),
    ]
    logs = model.train_on_batch(X[:8], {"value": Y_REG[:8], "label": Y_TWO[:8]}, return_dict=True)
    assert list(logs) == ["label_loss", "loss", "value_loss"]
    np.testing.assert_allclose(logs["loss"], logs["label_loss"] + logs["value_loss"], rtol=1e-6)
    with pytest.raises(ValueError, match="before using the model in `train_on_batch"):
        _two_outputs(tf, "keep2").train_on_batch(X, [Y_REG, Y_INT])


def test_compute_loss_overrides_with_or_without_training():
    seen = []

    class Linear(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = tf.keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    class Old(Linear):  # written for Keras before 3.3: no `training`
        def compute_loss(self, x, y, y_pred, sample_weight=None):
            seen.append("old")
            return super().compute_loss(x, y, y_pred, sample_weight)

    class New(Linear):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            seen.append(training)
            return tf.reduce_mean(tf.abs(y_pred - y))

    for cls in (Old, New):
        model = cls()
        model.compile(optimizer="sgd", loss="mse")
        model.fit(X, Y_REG, batch_size=25, verbose=0)
        model.evaluate(X, Y_REG, batch_size=50, verbose=0)
    assert seen == ["old", "old", "old", True, True, False]
