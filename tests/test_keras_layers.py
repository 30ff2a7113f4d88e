"""Keras masks, attention and sequence layers against what real TF 2.21 with Keras 3 gave for
the same code (tests/keras_layers_cases.py; the fixture is made by
tests/fixtures/make_keras_layers_fixtures.py), and what TF's random streams make untestable
against the fixture (dropout in training), tested by its statistics."""

import json
from pathlib import Path

import numpy as np
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

    from tapeflow.keras import attention, conv_layers, layers, recurrent

    for module in (attention, conv_layers, layers, recurrent):
        assert doctest.testmod(module).failed == 0


# -- what TF's random streams make untestable against the fixture --------------------------


def _identity_rnn(units, **kwargs):
    """A linear SimpleRNN whose steps show the dropout masks: the kernel is the identity and
    the recurrent kernel zero (or the other way round with `recurrent=True`)."""
    recurrent = kwargs.pop("recurrent", False)
    layer = tf.keras.layers.SimpleRNN(
        units, activation="linear", use_bias=False, return_sequences=True, **kwargs
    )
    layer.build((None, 3, units))
    eye, zero = np.eye(units, dtype=np.float32), np.zeros((units, units), np.float32)
    layer.set_weights([zero, eye] if recurrent else [eye, zero])
    return layer


def test_rnn_input_dropout_masks_inputs_once_per_call():
    tf.random.set_seed(1)
    layer = _identity_rnn(200, dropout=0.25)
    x = np.ones((100, 3, 200), np.float32) * 2.0
    y = layer(x, training=True).numpy()
    # the same mask at every step, zeros with probability 0.25, the rest scaled by 1 / 0.75
    assert (y[:, 0] == y[:, 1]).all() and (y[:, 1] == y[:, 2]).all()
    assert set(np.unique(y).tolist()) == {0.0, np.float32(2.0 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01
    # a new mask each call; none without training
    assert (layer(x, training=True).numpy() != y).any()
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_rnn_recurrent_dropout_masks_the_carried_output():
    tf.random.set_seed(2)
    layer = _identity_rnn(200, recurrent_dropout=0.5, recurrent=True)
    h0 = tf.ones((100, 200))
    y = layer(np.zeros((100, 3, 200), np.float32), initial_state=h0, training=True).numpy()
    mask = y[:, 0]  # h0 * mask
    assert set(np.unique(mask).tolist()) == {0.0, 2.0}
    assert abs((mask == 0).mean() - 0.5) < 0.01
    np.testing.assert_array_equal(y[:, 1], mask * mask)  # the same mask at the next step
    np.testing.assert_array_equal(y[:, 2], mask**3)


def test_lstm_and_gru_dropout_change_training_outputs_only():
    x = tf.constant(np.sin(np.arange(2 * 6 * 3, dtype=np.float32)).reshape(2, 6, 3))
    for make in (
        lambda: tf.keras.layers.LSTM(5, dropout=0.4, recurrent_dropout=0.3, seed=3),
        lambda: tf.keras.layers.GRU(5, dropout=0.4, seed=4),
        lambda: tf.keras.layers.GRU(5, recurrent_dropout=0.3, reset_after=False, seed=5),
    ):
        layer = make()
        inference = layer(x).numpy()
        np.testing.assert_array_equal(layer(x, training=False).numpy(), inference)
        with tf.GradientTape() as tape:
            trained = layer(x, training=True)
            loss = tf.reduce_sum(trained**2)
        assert not np.allclose(trained.numpy(), inference)
        grads = tape.gradient(loss, layer.trainable_variables)
        assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
        # `training` reaches the layer through a model, and Bidirectional passes it on
        model = tf.keras.Sequential([tf.keras.layers.Bidirectional(make())])
        model(x)
        assert not np.allclose(model(x, training=True).numpy(), model(x).numpy())


def test_attention_dropout_in_training():
    tf.random.set_seed(3)
    q = tf.constant(np.sin(np.arange(4 * 8 * 6, dtype=np.float32)).reshape(4, 8, 6))
    mha = tf.keras.layers.MultiHeadAttention(2, 3, dropout=0.5)
    out, scores = mha(q, q, return_attention_scores=True)
    out_t, scores_t = mha(q, q, return_attention_scores=True, training=True)
    # Keras returns the scores before their dropout: only the output changes
    np.testing.assert_allclose(scores_t.numpy(), scores.numpy())
    assert not np.allclose(out_t.numpy(), out.numpy())
    layer = tf.keras.layers.Attention(dropout=0.5)
    _, weights = layer([q, q], return_attention_scores=True, training=True)
    w = weights.numpy()
    assert abs((w == 0).mean() - 0.5) < 0.05  # Attention returns the dropped weights
    _, weights = layer([q, q], return_attention_scores=True)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0, rtol=1e-6)


def test_spatial_dropout_drops_whole_channels():
    tf.random.set_seed(4)
    y = tf.keras.layers.SpatialDropout1D(0.3)(tf.ones((200, 7, 50)), training=True).numpy()
    assert (y == y[:, :1]).all()  # the same for every step
    assert abs((y == 0).mean() - 0.3) < 0.02
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.7)}


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


def test_a_recurrent_mask_of_the_wrong_shape_says_so():
    # TF fails inside its loop with OutOfRangeError, InvalidArgumentError, ValueError or
    # IndexError depending on the shape; tapeflow names the shapes (README)
    layer = tf.keras.layers.LSTM(2, name="lstm_m")
    for shape in [(2, 3), (3, 4), (2,), (2, 4, 2)]:
        with pytest.raises(ValueError, match=r"must have the shape \(batch, steps\)"):
            layer(tf.ones((2, 4, 5)), mask=tf.ones(shape, bool))
    assert layer(tf.ones((2, 4, 5)), mask=tf.ones((2, 4, 1), bool)).shape == (2, 2)
