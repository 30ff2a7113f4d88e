"""tf.keras against the values, names and reprs real TF 2.21 with Keras 3 gave for the same
code (tests/keras_cases.py; the fixture is made by tests/fixtures/make_keras_fixtures.py)."""

import doctest
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from keras_cases import CASES
from tf_values import compare

import tapeflow as tf

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "keras_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name):
    got = CASES[name](tf)
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}")


@pytest.mark.parametrize(
    "module",
    [
        "activations",
        "initializers",
        "layers",
        "losses",
        "models",
        "optimizers",
        "regularizers",
        "variables",
    ],
)
def test_docstring_examples(module):
    import importlib

    result = doctest.testmod(importlib.import_module(f"tapeflow.keras.{module}"))
    assert result.failed == 0


def test_training_loop_learns():
    history = CASES["training_loop"](tf)["history"]
    assert history[-1] < 0.2 * history[0]


# -- what TF's random streams make untestable against the fixture --------------------------


def test_seeded_initializers_repeat_and_keep_their_scale():
    for cls, limit in [
        (tf.keras.initializers.GlorotUniform, np.sqrt(6 / (300 + 200))),
        (tf.keras.initializers.HeUniform, np.sqrt(6 / 300)),
    ]:
        a = cls(seed=3)((300, 200)).numpy()
        assert np.array_equal(a, cls(seed=3)((300, 200)).numpy())  # Keras 3: same every call
        assert np.abs(a).max() <= limit and np.abs(a).max() > 0.99 * limit
        assert abs(a.std() - limit / np.sqrt(3)) < 0.01 * limit
    for cls, std in [
        (tf.keras.initializers.GlorotNormal, np.sqrt(2 / 500)),
        (tf.keras.initializers.HeNormal, np.sqrt(2 / 300)),
        (tf.keras.initializers.RandomNormal, 0.05),
    ]:
        a = cls(seed=1)((300, 200)).numpy()
        assert a.dtype == np.float32 and abs(a.std() - std) < 0.02 * std
    u = tf.keras.initializers.RandomUniform(-0.5, 0.5, seed=0)((1000,)).numpy()
    assert -0.5 <= u.min() and u.max() < 0.5
    assert tf.keras.initializers.get("ones")((2,)).numpy().tolist() == [1.0, 1.0]
    assert isinstance(tf.keras.initializers.get("HeNormal"), tf.keras.initializers.HeNormal)


def test_unseeded_initializers_follow_tf_random_set_seed():
    tf.random.set_seed(7)
    a = tf.keras.layers.Dense(3)
    a.build((None, 4))
    tf.random.set_seed(7)
    b = tf.keras.layers.Dense(3)
    b.build((None, 4))
    assert np.array_equal(a.kernel.numpy(), b.kernel.numpy())


def test_dropout_training_zeroes_and_scales():
    layer = tf.keras.layers.Dropout(0.25, seed=1)
    y = layer(tf.ones((200, 50)), training=True).numpy()
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    # `training` reaches a Dropout inside a model called with it
    model = tf.keras.Sequential([tf.keras.layers.Dropout(0.5)])
    assert (model(tf.ones((100,)), training=True).numpy() == 0).any()
    assert (model(tf.ones((100,))).numpy() == 1).all()


def test_gradients_through_a_softmax_output_use_its_logits():
    logits = tf.Variable([[30.0, 0.0, -30.0]])
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.CategoricalCrossentropy()(
            [[0.0, 0.0, 1.0]], tf.keras.activations.softmax(logits)
        )
    assert np.isclose(loss.numpy(), 60.0)  # not -log(1e-7): the clip is not reached
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), [[1.0, 0.0, -1.0]], atol=1e-6)


def test_minimize_and_optimizer_errors():
    x = tf.Variable(3.0)
    opt = tf.keras.optimizers.SGD(0.1)
    assert opt.minimize(lambda: x**2, [x]).numpy() == 1
    assert np.isclose(x.numpy(), 2.4)
    with tf.GradientTape() as tape:
        loss = x * x
    opt.minimize(loss, [x], tape=tape)
    assert np.isclose(x.numpy(), 1.92)
    other = tf.Variable(1.0)
    with pytest.raises(KeyError, match="cannot recognize variable"):
        opt.apply_gradients([(tf.constant(1.0), other)])
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['y:0'\]"):
        fresh = tf.keras.optimizers.Adam()
        fresh.apply_gradients([(tf.constant(1.0), x), (None, tf.Variable(1.0, name="y"))])
    assert isinstance(tf.keras.optimizers.get("rmsprop"), tf.keras.optimizers.RMSprop)
    with pytest.raises(ValueError, match="momentum"):
        tf.keras.optimizers.SGD(momentum=1.5)


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        tf.keras.layers.Dense(2, kernel_size=3)
    with pytest.raises(ValueError, match="Could not interpret activation"):
        tf.keras.layers.Dense(2, activation="nope")
    with pytest.raises(ValueError, match="rate"):
        tf.keras.layers.Dropout(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])


def test_deliberate_differences_listed_in_the_readme():
    # a layer is a tf.Module and a Keras variable a tf.Variable (TF: neither)
    dense = tf.keras.layers.Dense(2)
    dense(tf.ones((1, 3)))
    assert isinstance(dense, tf.Module)
    assert isinstance(dense.kernel, tf.Variable)
    # Dropout owns no seed-state variable
    model = tf.keras.Sequential([tf.keras.layers.Dropout(0.5, seed=1), tf.keras.layers.Dense(1)])
    model(tf.ones((2, 3)))
    assert [v.path for v in model.variables] == [
        f"{model.name}/{model.layers[1].name}/kernel",
        f"{model.name}/{model.layers[1].name}/bias",
    ]
    # a shape error inside Sequential is the layer's own, without Keras's wrapper
    with pytest.raises(ValueError) as e:
        model(tf.ones((2, 4)))
    assert str(e.value).startswith("Input 0 with name 'None' of layer")
    assert "Exception encountered" not in str(e.value)


def test_hard_sigmoid_and_hard_silu_follow_keras_3():
    # Keras 3: relu6(x + 3) / 6 (values checked with the oracle), and x times that
    x = np.linspace(-4, 4, 9, dtype=np.float32)
    expected = np.clip(x + 3, 0, 6) / 6
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.keras.activations.get("hard_sigmoid")(t)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), ((x > -3) & (x < 3)) / 6, rtol=1e-6)
    np.testing.assert_allclose(tf.keras.activations.hard_swish(t).numpy(), x * expected, rtol=1e-6)
    lstm = tf.keras.layers.LSTM(
        2,
        recurrent_activation="hard_sigmoid",
        kernel_initializer="ones",
        recurrent_initializer="ones",
    )
    np.testing.assert_allclose(
        lstm(tf.ones([1, 3, 2])).numpy(), [[0.9926102, 0.9926102]], rtol=1e-6
    )


def test_preprocessing_snippets_print_what_tf_prints():
    # Normalization, Rescaling, to_categorical, pad_sequences, set_random_seed: the programs in
    # tests/fixtures/preprocessing_snippets.py print what TF 2.21 with Keras 3 printed
    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    import snippets
    from preprocessing_snippets import SNIPPETS

    expected = snippets.expected("preprocessing")
    assert set(expected) == set(SNIPPETS)
    for name, code in SNIPPETS.items():
        assert snippets.run(code, tf) == expected[name], name
