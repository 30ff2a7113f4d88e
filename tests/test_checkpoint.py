"""tf.train checkpoints and Keras weight files against what real TF 2.21 with Keras 3 gave for
the same code (tests/checkpoint_cases.py; the fixture is made by
tests/fixtures/make_checkpoint_fixtures.py), plus the deliberate differences."""

import doctest
import json
from pathlib import Path

import numpy as np
import pytest
from checkpoint_cases import CASES, X
from tf_values import compare

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = json.loads((FIXTURES / "checkpoint_tf.json").read_text())


def test_every_case_has_tf_values():
    assert set(FIXTURE["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_tf(name, tmp_path):
    got = CASES[name](tf, str(tmp_path))
    want = FIXTURE["cases"][name]
    assert set(got) == set(want)
    for key in want:
        compare(got[key], want[key], f"{name}.{key}")


def test_docstring_examples():
    assert doctest.testmod(tf.checkpoint).failed == 0


# -- deliberate differences (README) -------------------------------------------------------


def test_tapeflow_cannot_read_tf_checkpoints_nor_tf_tapeflows():
    with pytest.raises(tf.errors.DataLossError, match="not a tapeflow checkpoint"):
        tf.train.Checkpoint(v=tf.Variable([0.0, 0.0])).restore(str(FIXTURES / "checkpoint_tf/ckpt"))
    with pytest.raises(tf.errors.DataLossError):
        tf.train.list_variables(str(FIXTURES / "checkpoint_tf/ckpt"))
    # the files tapeflow wrote are readable by tapeflow, and TF refused them
    v = tf.Variable([0.0, 0.0])
    tf.train.Checkpoint(v=v).restore(str(FIXTURES / "checkpoint_tapeflow/ckpt-1"))
    assert v.numpy().tolist() == [1.0, 2.0]
    assert FIXTURE["tf_reads_tapeflow"] == ["OpError", "not an sstable (bad magic number)"]


def test_weights_h5_files_are_not_hdf5(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    path = tmp_path / "m.weights.h5"
    model.save_weights(str(path))
    assert path.read_bytes()[:4] == b"PK\x03\x04"  # an .npz (zip) archive, not HDF5
    with pytest.raises(ValueError, match=r"tapeflow loads weights from `\.weights\.h5` and"):
        model.load_weights(str(tmp_path / "m.h5"))  # a legacy HDF5 file


def test_subclassed_model_built_after_restore_gets_the_saved_values(tmp_path):
    # TF 2.21/Keras 3 leaves such a model's weights at their initial values (and its status
    # then fails assert_consumed); tapeflow restores them when the layers build, as TF does
    # for a layer on its own
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = tf.keras.layers.Dense(3)
            self.out = tf.keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net(X)
    path = tf.train.Checkpoint(model=net).save(str(tmp_path / "ck"))
    fresh = Net()
    status = tf.train.Checkpoint(model=fresh).restore(path)
    fresh(X)
    status.assert_consumed()
    for a, b in zip(net.weights, fresh.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_newer_restore_replaces_values_still_waiting(tmp_path):
    saved = tf.keras.layers.Dense(1, kernel_initializer="ones")
    saved(X)
    first = tf.train.Checkpoint(layer=saved).save(str(tmp_path / "ck"))
    saved.kernel.assign(saved.kernel * 3.0)
    second = tf.train.Checkpoint(layer=saved).save(str(tmp_path / "ck"))
    layer = tf.keras.layers.Dense(1)
    ckpt = tf.train.Checkpoint(layer=layer)
    ckpt.restore(first)
    ckpt.restore(second)
    layer(X)
    assert layer.kernel.numpy().tolist() == [[3.0]] * 3


def test_layers_held_in_a_list_are_saved(tmp_path):
    # Keras 3 under TF 2.21 writes no values for them (checked with the oracle); tapeflow
    # saves them like any other attribute's (README, deliberate differences)
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [tf.keras.layers.Dense(2), tf.keras.layers.Dense(1)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    net = Net()
    net(X)
    path = tf.train.Checkpoint(model=net).save(str(tmp_path / "ck"))
    names = [n for n, _ in tf.train.list_variables(path)]
    assert sum(n.startswith("model/blocks/") for n in names) == 4
    fresh = Net()
    fresh(X)
    tf.train.Checkpoint(model=fresh).restore(path).assert_consumed()
    for a, b in zip(net.weights, fresh.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
