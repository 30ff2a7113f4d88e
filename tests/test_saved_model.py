"""tf.saved_model: variables and the attribute tree are saved and restored; functions are not
(README, deliberate differences). What TF 2.21 does for the same module was checked by hand:
the attributes `w`, `sub.v`, `vs[0]` hold the values, `contains_saved_model` is True, and
`tf.train.Checkpoint(obj).restore(path + "/variables/variables")` reads the variables."""

import os

import numpy as np
import pytest

import tapeflow as tf


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([1.0, 2.0], name="w")
        self.sub = tf.Module()
        self.sub.v = tf.Variable(3.0, name="v", trainable=False)
        self.vs = [tf.Variable(4.0, name="l0"), {"k": tf.Variable([5, 6], name="k")}]

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def scale(self, x):
        return x * self.w


def test_variables_and_attributes_are_restored(tmp_path):
    net = Net()
    net.w.assign([7.0, 8.0])
    tf.saved_model.save(net, str(tmp_path))
    assert tf.saved_model.contains_saved_model(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["assets", "saved_model.json", "variables"]
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded.w.numpy().tolist() == [7.0, 8.0]
    assert float(loaded.sub.v.numpy()) == 3.0 and not loaded.sub.v.trainable
    assert float(loaded.vs[0].numpy()) == 4.0
    assert loaded.vs[1]["k"].numpy().tolist() == [5, 6] and loaded.vs[1]["k"].dtype == tf.int32
    assert [v.name for v in loaded.variables] == ["w:0", "v:0", "l0:0", "k:0"]
    assert [v.name for v in loaded.trainable_variables] == ["w:0", "l0:0", "k:0"]
    # the variables are a checkpoint: a fresh object of the class restores them, as in TF
    fresh = Net()
    tf.train.Checkpoint(fresh).restore(str(tmp_path / "variables" / "variables"))
    np.testing.assert_array_equal(fresh.scale(tf.constant([1.0, 1.0])).numpy(), [7.0, 8.0])


def test_functions_cannot_run_and_say_why(tmp_path):
    tf.saved_model.save(Net(), str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    with pytest.raises(NotImplementedError, match="cannot run the restored function `scale`"):
        loaded.scale(tf.constant([1.0, 1.0]))


def test_errors_are_tfs(tmp_path):
    with pytest.raises(ValueError, match="Expected an object of type `Trackable`"):
        tf.saved_model.save(5, str(tmp_path))
    with pytest.raises(OSError, match="SavedModel file does not exist at"):
        tf.saved_model.load(str(tmp_path / "nope"))
    assert not tf.saved_model.contains_saved_model(str(tmp_path))


def test_a_keras_model_saves_its_weights(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    tf.saved_model.save(model, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    got = sorted(str(v.numpy().tolist()) for v in loaded.variables)
    assert got == sorted(str(v.numpy().tolist()) for v in model.weights)
