"""Checkpoint code run under real TF (fixtures/make_checkpoint_fixtures.py) and under tapeflow
(test_checkpoint.py): each case takes the module as `tf` and an empty directory, and returns
named results. Paths are given relative to the directory, as "<dir>/...", and the state file's
timestamps as "<time>", so that runs in different directories compare equal.
"""

import os
import re

import numpy as np

X = np.linspace(-1.5, 2.0, 12, dtype=np.float32).reshape(4, 3)
Y = np.float32([[0.5], [-1.0], [0.25], [1.5]])


def _rel(directory, value):
    """`value` with `directory` replaced by "<dir>" and timestamps by "<time>"."""
    if isinstance(value, (list, tuple)):
        return [_rel(directory, v) for v in value]
    if value is None:
        return None
    text = str(value).replace(directory, "<dir>")
    return re.sub(r"timestamp(s?): [0-9.e+]+", r"timestamp\1: <time>", text)


def _files(directory):
    return sorted(os.listdir(directory))


def _state(directory):
    with open(os.path.join(directory, "checkpoint")) as f:
        return _rel(directory, f.read())


def _error(directory, fn):
    try:
        fn()
    except Exception as e:  # the type and text are what is compared
        # without the name of the graph function TF ran the op in, a detail of TF's runtime
        text = re.sub(r"^\{\{function_node [^}]*\}\} ", "", str(e))
        return [type(e).__name__, _rel(directory, text)]
    return None


def _module_class(tf):
    class Net(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([1.0, 2.0], name="w")
            self.sub = tf.Module()
            self.sub.v = tf.Variable(3.0, name="v")
            self.layers = [tf.Variable(4.0, name="l0"), {"a": tf.Variable(5.0, name="la")}]

    return Net


def module_round_trip(tf, d):
    net = _module_class(tf)()
    step = tf.Variable(7, name="step")
    ckpt = tf.train.Checkpoint(net=net, step=step)
    first = ckpt.save(os.path.join(d, "ck"))
    state_1 = _state(d)
    net.w.assign([0.0, 0.0])
    second = ckpt.save(os.path.join(d, "ck"))
    written = ckpt.write(os.path.join(d, "wr"))
    listing = _files(d)
    state_2 = _state(d)
    net.w.assign([9.0, 9.0])
    net.layers[1]["a"].assign(0.0)
    step.assign(0)
    status = ckpt.restore(first)
    restored = [net.w, net.sub.v, net.layers[0], net.layers[1]["a"], step, ckpt.save_counter]
    fresh = _module_class(tf)()
    fresh_step = tf.Variable(0, name="step")
    fresh_status = tf.train.Checkpoint(net=fresh, step=fresh_step).restore(second)
    return {
        "paths": _rel(d, [first, second, written]),
        "files": listing,
        "state_1": state_1,
        "state_2": state_2,
        "latest": _rel(d, tf.train.latest_checkpoint(d)),
        "list_variables": [[k, list(s)] for k, s in tf.train.list_variables(first)],
        "load_variable": tf.train.load_variable(first, "net/w/.ATTRIBUTES/VARIABLE_VALUE"),
        "restored": [v.numpy() for v in restored],
        "consumed": status.assert_consumed() is status,
        "matched": status.assert_existing_objects_matched() is status,
        "partial": status.expect_partial() is status,
        "fresh": [fresh.w.numpy(), fresh.layers[1]["a"].numpy(), fresh_step.numpy()],
        "fresh_consumed": fresh_status.assert_consumed() is fresh_status,
        "nested": _nested(tf, d),
    }


def _nested(tf, d):
    inner = tf.train.Checkpoint(a=tf.Variable(3.0))
    outer = tf.train.Checkpoint(inner=inner, b=tf.Variable(4.0))
    path = outer.save(os.path.join(d, "nested", "ck"))
    inner.a.assign(0.0)
    outer.restore(path).assert_consumed()
    return [[k for k, _ in tf.train.list_variables(path)], inner.a.numpy()]


def status_errors(tf, d):
    net = _module_class(tf)()
    path = tf.train.Checkpoint(net=net, step=tf.Variable(7, name="step")).save(
        os.path.join(d, "ck")
    )
    extra = tf.train.Checkpoint(
        net=_module_class(tf)(), step=tf.Variable(0, name="step"), extra=tf.Variable(1.0)
    ).restore(path)
    missing = tf.train.Checkpoint(net=_module_class(tf)()).restore(path)
    unrelated = tf.train.Checkpoint(zz=tf.Variable(1.0, name="zz")).restore(path)
    nothing = tf.train.Checkpoint(step=tf.Variable(0)).restore(None)
    written = tf.train.Checkpoint(step=tf.Variable(1.0, name="step")).write(os.path.join(d, "w"))
    restored_written = tf.train.Checkpoint(step=tf.Variable(2.0)).restore(written)
    read_written = tf.train.Checkpoint(step=tf.Variable(2.0)).read(written)
    return {
        "extra_consumed": _error(d, extra.assert_consumed),
        "extra_matched": _error(d, extra.assert_existing_objects_matched),
        "missing_consumed": _error(d, missing.assert_consumed),
        "missing_matched": _error(d, missing.assert_existing_objects_matched),
        "unrelated_consumed": _error(d, unrelated.assert_consumed),
        "none_status": type(nothing).__name__,
        "none_consumed": _error(d, nothing.assert_consumed),
        "none_matched": _error(d, nothing.assert_existing_objects_matched),
        "none_partial": nothing.expect_partial() is nothing,
        "written_restore_consumed": _error(d, restored_written.assert_consumed),
        "written_read_consumed": _error(d, read_written.assert_consumed),
        "no_such_path": _error(
            d, lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).restore(os.path.join(d, "ck"))
        ),
        "read_no_such_path": _error(
            d, lambda: tf.train.Checkpoint(v=tf.Variable(1.0)).read(os.path.join(d, "nothere"))
        ),
        "shape": _error(
            d,
            lambda: tf.train.Checkpoint(step=tf.Variable([1, 2], name="step")).restore(path),
        ),
        "dtype": _error(
            d, lambda: tf.train.Checkpoint(step=tf.Variable(1.0, name="step")).restore(path)
        ),
        "not_trackable": _error(d, lambda: tf.train.Checkpoint(a=1)),
        "latest_of_empty_dir": tf.train.latest_checkpoint(os.path.join(d, "empty")),
    }


def _mlp(tf, name):
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(3,)),
            tf.keras.layers.Dense(4, activation="relu", name=f"{name}_h"),
            tf.keras.layers.Dense(1, name=f"{name}_o"),
        ],
        name=name,
    )
    for i, v in enumerate(model.trainable_variables):
        v.assign(np.cos(np.arange(np.prod(v.shape), dtype=np.float32) + i).reshape(v.shape))
    return model


def _train(tf, model, optimizer, steps):
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(X) - Y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))


def keras_resume_training(tf, d):
    model, opt = _mlp(tf, "net"), tf.keras.optimizers.Adam(0.05)
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model, optimizer=opt), d, max_to_keep=3
    )
    _train(tf, model, opt, 3)
    saved = manager.save()
    _train(tf, model, opt, 3)
    uninterrupted = [v.numpy() for v in model.variables]
    # a new program: the same structure built again, a fresh optimizer without slots yet
    model2, opt2 = _mlp(tf, "net"), tf.keras.optimizers.Adam(0.05)
    ckpt2 = tf.train.Checkpoint(model=model2, optimizer=opt2)
    status = ckpt2.restore(tf.train.CheckpointManager(ckpt2, d, max_to_keep=3).latest_checkpoint)
    before_slots = _error(d, status.assert_consumed)
    matched = status.assert_existing_objects_matched() is status
    _train(tf, model2, opt2, 3)  # the first step makes the slots, which take saved values
    return {
        "saved": _rel(d, saved),
        "iterations": opt2.iterations.numpy(),
        "weights": [v.numpy() for v in model2.variables],
        "same_as_uninterrupted": all(
            np.allclose(a, v.numpy(), rtol=1e-6, atol=1e-7)
            for a, v in zip(uninterrupted, model2.variables)
        ),
        "before_slots_error_type": before_slots and before_slots[0],
        "matched": matched,
        "consumed_after": status.assert_consumed() is status,
    }


def manager_rotation(tf, d):
    module = tf.Module()
    module.v = tf.Variable(0.0)
    ckpt = tf.train.Checkpoint(m=module)
    directory = os.path.join(d, "run")
    manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=2)
    before = [manager.latest_checkpoint, manager.checkpoints, os.path.exists(directory)]
    saved = []
    for _ in range(4):
        module.v.assign_add(1.0)
        saved.append(manager.save())
    after_four = [_files(directory), _state(directory), manager.checkpoints]
    numbered = manager.save(checkpoint_number=10)
    other = tf.train.CheckpointManager(ckpt, directory, max_to_keep=3, checkpoint_name="model")
    inherited = [other.checkpoints, other.latest_checkpoint]
    other_saved = other.save()
    unbounded = tf.train.CheckpointManager(ckpt, os.path.join(d, "all"), max_to_keep=None)
    for _ in range(3):
        unbounded.save()
    module.v.assign(0.0)
    ckpt.restore(saved[-1])
    return {
        "before": _rel(d, before),
        "saved": _rel(d, saved),
        "after_four": _rel(d, after_four),
        "numbered": _rel(d, numbered),
        "inherited": _rel(d, inherited),
        "other_saved": _rel(d, other_saved),
        "files": _files(directory),
        "state": _state(directory),
        "latest": _rel(d, tf.train.latest_checkpoint(directory)),
        "unbounded": [_files(os.path.join(d, "all")), _state(os.path.join(d, "all"))],
        "restored": module.v.numpy(),
        "save_counter": ckpt.save_counter.numpy(),
        "zero_to_keep": _error(d, lambda: tf.train.CheckpointManager(ckpt, d, max_to_keep=0)),
        "not_a_checkpoint": _error(
            d, lambda: tf.train.CheckpointManager(module, d, max_to_keep=1).save()
        ),
    }


def deferred_restoration(tf, d):
    layer = tf.keras.layers.Dense(2, kernel_initializer="ones", name="dense_saved")
    layer(X)
    layer.bias.assign([0.5, -0.5])
    path = tf.train.Checkpoint(layer=layer).save(os.path.join(d, "layer"))
    later = tf.keras.layers.Dense(2, name="dense_later")
    status = tf.train.Checkpoint(layer=later).restore(path)
    before = _error(d, status.assert_consumed)
    out = later(X)  # builds the layer: its new variables take the saved values
    module = tf.Module()
    module.v = tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(m=module).save(os.path.join(d, "module"))
    module2 = tf.Module()
    status2 = tf.train.Checkpoint(m=module2).restore(path)
    module2.v = tf.Variable([0.0, 0.0])  # assigned after the restore
    return {
        "before_build": before and before[0],
        "weights": [later.kernel.numpy(), later.bias.numpy()],
        "output": out,
        "consumed": status.assert_consumed() is status,
        "module_attribute": module2.v.numpy(),
        "module_consumed": status2.assert_consumed() is status2,
    }


def keras_weights_files(tf, d):
    model = _mlp(tf, "net")
    path = os.path.join(d, "model.weights.h5")
    model.save_weights(path)
    fresh = tf.keras.Sequential(
        [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(4), tf.keras.layers.Dense(1)]
    )
    fresh.load_weights(path)
    wider = tf.keras.Sequential([tf.keras.Input(shape=(4,)), tf.keras.layers.Dense(4)])
    deeper = _mlp(tf, "deeper")
    deeper.add(tf.keras.layers.Dense(2, name="extra"))
    unbuilt = tf.keras.Sequential([tf.keras.layers.Dense(4)])
    return {
        "files": _files(d),
        "loaded": [v.numpy() for v in fresh.weights],
        "same": all(
            np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, fresh.weights)
        ),
        "bad_names": [
            _error(d, lambda name=name: model.save_weights(os.path.join(d, name)))
            for name in ["w.ckpt", "w", "w.h5"]
        ],
        "load_other_format": _error(d, lambda: model.load_weights(os.path.join(d, "w.ckpt"))),
        "shape": _error(d, lambda: wider.load_weights(path))[0],
        "count": _error(d, lambda: deeper.load_weights(path)),
        "unbuilt": _error(d, lambda: unbuilt.load_weights(path)),
        "missing": _error(d, lambda: model.load_weights(os.path.join(d, "no.weights.h5")))[0],
    }


CASES = {
    f.__name__: f
    for f in [
        module_round_trip,
        status_errors,
        keras_resume_training,
        manager_rotation,
        deferred_restoration,
        keras_weights_files,
    ]
}
