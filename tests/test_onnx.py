"""ONNX export: models traced by tf.function, written as ONNX and run by onnxruntime, give
tapeflow's numbers; what cannot be exported says why."""

import numpy as np
import pytest

import tapeflow as tf

onnx_export = pytest.importorskip("tapeflow.onnx")
ort = pytest.importorskip("onnxruntime")


def _run(proto, *arrays):
    session = ort.InferenceSession(proto.SerializeToString())
    return session.run(None, {i.name: a for i, a in zip(session.get_inputs(), arrays)})


def test_a_keras_model_runs_in_onnxruntime_at_any_batch_size(tmp_path):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((4, 3)),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(8, activation="relu"),
            tf.keras.layers.Dense(3, activation="tanh"),
            tf.keras.layers.Softmax(),
        ]
    )
    path = tmp_path / "model.onnx"
    proto = onnx_export.from_keras(model, output_path=str(path))
    assert path.exists() and proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    for n in [1, 5, 7]:
        x = np.random.default_rng(n).normal(size=(n, 4, 3)).astype("float32")
        (got,) = _run(proto, x)
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_a_function_with_several_outputs_and_its_ops():
    @tf.function
    def f(x, y):
        return (
            tf.reduce_mean(tf.square(x - y), axis=1),
            tf.reduce_sum(tf.exp(x) / tf.sqrt(y), axis=[0, 1], keepdims=True),
            tf.transpose(tf.matmul(x, y, transpose_b=True)),
            tf.cast(tf.maximum(x, 0.5), tf.float64) * 2.0,
        )

    spec = [tf.TensorSpec([2, 3], tf.float32)] * 2
    proto = onnx_export.export(f, spec)
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 3), dtype=np.float32), rng.random((2, 3), dtype=np.float32) + 1
    got = _run(proto, a, b)
    want = [t.numpy() for t in f(a, b)]
    assert [g.dtype for g in got] == [w.dtype for w in want]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_what_cannot_be_exported_says_why():
    v = tf.Variable(1.0)

    @tf.function
    def branches(x):
        return x if float(tf.reduce_sum(x)) > 0 else -x

    @tf.function
    def writes(x):
        v.assign_add(1.0)
        return x

    spec = [tf.TensorSpec([2], tf.float32)]
    with pytest.raises(ValueError, match="runs eagerly"):
        onnx_export.export(branches, spec)
    with pytest.raises(ValueError, match="writes variables or prints"):
        onnx_export.export(writes, spec)
    with pytest.raises(NotImplementedError, match="Sin"):
        onnx_export.export(tf.sin, spec)


def test_a_small_cnn_runs_in_onnxruntime():
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((8, 8, 2)),
            tf.keras.layers.Conv2D(3, 3, padding="same", activation="relu"),
            tf.keras.layers.MaxPooling2D(),
            tf.keras.layers.Conv2D(4, 2, strides=2, padding="valid", dilation_rate=1),
            tf.keras.layers.AveragePooling2D(pool_size=3, strides=1, padding="same"),
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(2),
        ]
    )
    proto = onnx_export.from_keras(model)
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 2)).astype("float32")
    (got,) = _run(proto, x)
    np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_an_embedding_model_keeps_its_integer_input():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((6,), dtype="int32"),
            tf.keras.layers.Embedding(20, 4),
            tf.keras.layers.GlobalAveragePooling1D(),
            tf.keras.layers.Dense(2, activation="sigmoid"),
        ]
    )
    x = np.random.default_rng(0).integers(0, 20, (3, 6)).astype("int32")
    (got,) = _run(onnx_export.from_keras(model), x)
    np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-6)
