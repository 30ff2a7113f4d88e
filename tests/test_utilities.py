"""The utilities (tf.print, devices, name_scope, TensorSpec, tf.debugging) and the bad-input
errors and numerical stability of the math ops. Expected texts are TF 2.21's own output."""

import sys

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.errors import InvalidArgumentError

# (arguments to tf.print, what TF 2.21 printed)
PRINTS = [
    ((tf.constant([1, 2, 3]),), {}, "[1 2 3]"),
    ((tf.constant([1.0, 2.5, 3.0]),), {}, "[1 2.5 3]"),
    ((tf.constant(1.5),), {}, "1.5"),
    ((tf.constant(7),), {}, "7"),
    (("x:", tf.constant([1, 2]), 3, "end"), {}, "x: [1 2] 3 end"),
    ((tf.reshape(tf.range(6), [2, 3]),), {}, "[[0 1 2]\n [3 4 5]]"),
    ((tf.reshape(tf.range(8), [2, 2, 2]),), {}, "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"),
    ((tf.range(10),), {}, "[0 1 2 ... 7 8 9]"),
    ((tf.range(10),), {"summarize": 2}, "[0 1 ... 8 9]"),
    ((tf.range(10),), {"summarize": -1}, "[0 1 2 3 4 5 6 7 8 9]"),
    ((tf.reshape(tf.range(20), [4, 5]),), {"summarize": 1}, "[[0 ... 4]\n ...\n [15 ... 19]]"),
    (("a", "b"), {"sep": "--", "end": "!\n"}, "a--b!\n"),
    ((tf.constant([True, False]),), {}, "[1 0]"),
    ((tf.constant(["ab", "c"]),), {}, '["ab" "c"]'),
    ((tf.constant("hi"),), {}, "hi"),
    (([1, tf.constant(2)],), {}, "[1, 2]"),
    (({"a": tf.constant([1, 2])},), {}, "{'a': [1 2]}"),
    ((tf.constant([0.1, 1 / 3, 1e-8, 123456789.0]),), {}, "[0.1 0.333333343 1e-08 123456792]"),
    ((tf.constant([0.1, 1 / 3], dtype=tf.float64),), {}, "[0.1 0.33333333333333331]"),
    ((tf.constant([np.nan, np.inf, -np.inf]),), {}, "[nan inf -inf]"),
    ((tf.constant([]),), {}, "[]"),
    ((1.5, 2), {}, "1.5 2"),
    ((tf.Variable([1.0, 2.0]),), {}, "[1 2]"),
    ((np.array([1.0, 2.0]),), {}, "array([1., 2.])"),
    ((tf.constant([1.5], tf.float16),), {}, "[1.5]"),
    ((tf.constant([1 + 2j]),), {}, "[?]"),
    ((tf.constant([1e10, 1.0]),), {}, "[1e+10 1]"),
    ((tf.zeros([2, 0]),), {}, "[\n ...]"),
]


@pytest.mark.parametrize(("args", "kwargs", "expected"), PRINTS)
def test_print_formats_like_tf(args, kwargs, expected, capsys):
    assert tf.print(*args, **kwargs) is None
    captured = capsys.readouterr()
    assert captured.out == ""  # TF prints to stderr by default
    assert captured.err == expected + ("" if "end" in kwargs else "\n")


def test_print_output_stream(capsys, tmp_path):
    tf.print("to out", tf.constant([1, 2]), output_stream=sys.stdout)
    tf.print("to err", output_stream=sys.stderr)
    captured = capsys.readouterr()
    assert captured.out == "to out [1 2]\n" and captured.err == "to err\n"
    path = tmp_path / "log.txt"
    tf.print(tf.constant(3), output_stream=f"file://{path}")
    assert path.read_text() == "3\n"
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(1, output_stream="stdout")


def test_context_and_devices():
    assert tf.executing_eagerly() is True
    devices = tf.config.list_physical_devices()
    assert repr(devices) == "[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]"
    assert tf.config.list_physical_devices("GPU") == []
    logical = tf.config.list_logical_devices("CPU")
    assert repr(logical) == "[LogicalDevice(name='/device:CPU:0', device_type='CPU')]"
    assert (logical[0].name, logical[0].device_type) == ("/device:CPU:0", "CPU")
    with tf.device("/GPU:0") as d:
        x = tf.constant(1.0) * 2
    assert d is None and x.device.endswith("device:CPU:0") and float(x) == 2.0
    with pytest.raises(RuntimeError):
        tf.device(lambda op: "/CPU:0")


def test_name_scope_nests():
    with tf.name_scope("outer") as outer:
        with tf.name_scope("inner") as inner:
            pass
        with tf.name_scope("again") as again:
            pass
    assert (outer, inner, again) == ("outer/", "outer/inner/", "outer/again/")
    assert tf.name_scope("abc").name == "abc"
    with tf.name_scope("a"), tf.name_scope("b/") as absolute:
        pass
    assert absolute == "b/"


def test_tensor_spec():
    spec = tf.TensorSpec([2, None])
    assert repr(spec) == "TensorSpec(shape=(2, None), dtype=tf.float32, name=None)"
    named = tf.TensorSpec(shape=(), dtype=tf.int32, name="x")
    assert repr(named) == "TensorSpec(shape=(), dtype=tf.int32, name='x')"
    assert str(tf.TensorSpec(None)) == "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    assert spec.shape == tf.TensorShape([2, None]) and spec.dtype == tf.float32
    assert spec.name is None and spec == tf.TensorSpec([2, None]) and spec != named
    assert spec.is_compatible_with(tf.zeros([2, 7]))
    assert not spec.is_compatible_with(tf.zeros([3, 7]))
    assert not tf.TensorSpec([2]).is_compatible_with(tf.constant([1, 2]))
    assert tf.TensorSpec.from_tensor(tf.constant([1.0, 2.0])) == tf.TensorSpec([2])
    assert len({spec, tf.TensorSpec([2, None])}) == 1


def test_assert_equal_message_is_tfs():
    assert tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2])) is None
    assert tf.debugging.assert_equal(tf.constant([1, 1]), 1) is None
    with pytest.raises(InvalidArgumentError) as e:
        tf.assert_equal(tf.constant([1.0, 2.0]), tf.constant([1.0, 3.0]), message="hello")
    assert str(e.value) == (
        "hello\nCondition x == y did not hold.\nIndices of first 1 different values:\n[[1]]\n"
        "Corresponding x values:\n[2.]\nCorresponding y values:\n[3.]\n"
        "First 2 elements of x:\n[1. 2.]\nFirst 2 elements of y:\n[1. 3.]"
    )
    with pytest.raises(InvalidArgumentError, match=r"Incompatible shapes: \[2\] vs. \[3\]"):
        tf.debugging.assert_equal(tf.constant([1, 2]), tf.constant([1, 2, 3]))


def test_assert_near_message_is_tfs():
    assert tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.000001])) is None
    with pytest.raises(InvalidArgumentError) as e:
        tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1]))
    assert str(e.value) == (
        "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: b''\n"
        "b'x and y not equal to tolerance rtol = tf.Tensor(1.1920929e-06, shape=(), "
        "dtype=float32), atol = tf.Tensor(1.1920929e-06, shape=(), dtype=float32)'\n"
        "b'x (shape=(2,) dtype=float32) = '\n1.0, 2.0\n"
        "b'y (shape=(2,) dtype=float32) = '\n1.0, 2.1"
    )


def test_check_numerics():
    x = tf.constant([1.0, 2.0])
    assert tf.debugging.check_numerics(x, "ok").numpy().tolist() == [1.0, 2.0]
    for value, what in [
        ([1.0, np.nan], "NaN"),
        ([np.inf, 1.0], "Inf"),
        ([np.inf, np.nan], "Inf and NaN"),
    ]:
        with pytest.raises(InvalidArgumentError) as e:
            tf.debugging.check_numerics(tf.constant(value), "my msg")
        assert str(e.value) == f"my msg : Tensor had {what} values [Op:CheckNumerics] name: "
    with pytest.raises(InvalidArgumentError, match="Value for attr 'T' of int32"):
        tf.debugging.check_numerics(tf.constant([1, 2]), "ints")
    with tf.GradientTape() as tape:  # the gradient is checked too
        tape.watch(x)
        y = tf.debugging.check_numerics(x, "fwd") * np.inf
    with pytest.raises(InvalidArgumentError, match=r"detected in gradient\. fwd : Tensor had Inf"):
        tape.gradient(y, x)


def test_assert_shapes_messages_are_tfs():
    x, y = tf.zeros([2, 3]), tf.zeros([3])
    assert tf.debugging.assert_shapes([(x, ("N", "D")), (y, ("D",))]) is None
    assert tf.debugging.assert_shapes([(x, (..., 3)), (tf.constant(1.0), [])]) is None
    with pytest.raises(ValueError) as e:
        tf.debugging.assert_shapes([(x, ("N", "D")), (y, ("N",))])
    assert str(e.value) == (
        "Specified by tensor shape=(2, 3) dtype=float32 dimension 0.  Tensor shape=(3,) "
        "dtype=float32 dimension 0 must have size 2.  Received size 3, shape (3,)"
    )
    with pytest.raises(ValueError) as e:
        tf.debugging.assert_shapes([(x, (2, 4))])
    assert str(e.value) == (
        "Specified explicitly.  Tensor shape=(2, 3) dtype=float32 dimension 1 must have size "
        "4.  Received size 3, shape (2, 3)"
    )
    with pytest.raises(ValueError, match=r"must have rank 1\.  Received rank 2"):
        tf.debugging.assert_shapes([(x, ("N",))])


BAD_INPUTS = [
    (lambda: tf.math.erf(tf.constant([1, 2])), InvalidArgumentError, "attr 'T' of int32"),
    (lambda: tf.math.ceil(tf.constant([1, 2])), InvalidArgumentError, r"\[Op:Ceil\]"),
    (lambda: tf.math.softplus(tf.constant([1])), InvalidArgumentError, r"\[Op:Softplus\]"),
    (lambda: tf.math.top_k([1.0, 2.0], k=3), InvalidArgumentError, "Had 2, needed 3"),
    (lambda: tf.math.top_k(tf.constant(1.0)), InvalidArgumentError, "must be >= 1-D"),
    (lambda: tf.sort([3, 1], direction="UP"), ValueError, "ASCENDING, DESCENDING"),
    (lambda: tf.math.argmax([[1.0]], axis=3), InvalidArgumentError, r"range \[-2, 2\)"),
    (lambda: tf.math.argmax([1.0], output_type=tf.float32), InvalidArgumentError, "output_type"),
    (lambda: tf.math.argmax(tf.zeros([0])), InvalidArgumentError, "empty"),
    (lambda: tf.norm([1.0], ord="fro"), ValueError, "supported vector norm, got fro"),
    (lambda: tf.norm([[1.0]], ord=3, axis=[0, 1]), ValueError, "supported matrix norm"),
    (lambda: tf.norm([[1.0]], axis=[0, 1, 1]), ValueError, "tuple of 2 unique integers"),
    (lambda: tf.norm(tf.constant([3, 4])), InvalidArgumentError, r"\[Op:Sqrt\]"),
    (lambda: tf.math.polyval(tf.constant([1.0]), 2.0), ValueError, "must be list type"),
    (lambda: tf.add_n([]), ValueError, "at least one Tensor"),
    (lambda: tf.add_n([tf.ones([2]), tf.ones([3])]), InvalidArgumentError, "same size and shape"),
    (lambda: tf.clip_by_global_norm(tf.ones([2]), 1.0), TypeError, "should be a sequence"),
    (lambda: tf.math.reduce_variance(tf.constant([1, 2])), TypeError, "real or complex"),
    (lambda: tf.math.l2_normalize(tf.constant([3, 4])), TypeError, "Cannot convert 1e-12"),
    (lambda: tf.unique([[1, 1]]), InvalidArgumentError, "unique expects a 1D vector"),
    (lambda: tf.math.bincount([1, -1]), InvalidArgumentError, "must be non-negative"),
    (lambda: tf.math.segment_sum([1.0, 2.0], [1, 0]), InvalidArgumentError, "not increasing"),
    (lambda: tf.math.unsorted_segment_sum([1.0], [5], 2), InvalidArgumentError, "out of range"),
    (lambda: tf.reduce_any(tf.constant([1.0])), InvalidArgumentError, "expected to be a bool"),
    (lambda: tf.math.xlogy(tf.constant([1]), 2), InvalidArgumentError, r"\[Op:Xlogy\]"),
    (lambda: tf.math.divide_no_nan(1.0, tf.constant(2.0, tf.float64)), TypeError, "same dtype"),
]


@pytest.mark.parametrize(("call", "error", "pattern"), BAD_INPUTS)
def test_bad_inputs_raise_tfs_error_types(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_stable_at_large_magnitudes():
    x = tf.constant([-1e4, -100.0, 0.0, 100.0, 1e4], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        sp = tf.math.softplus(x)
        lse = tf.reduce_logsumexp(x)
    np.testing.assert_allclose(sp.numpy(), [0.0, np.exp(-100.0), np.log(2), 100.0, 1e4], rtol=1e-15)
    np.testing.assert_allclose(tape.gradient(sp, x).numpy(), [0.0, np.exp(-100.0), 0.5, 1.0, 1.0])
    assert float(lse) == 1e4
    np.testing.assert_allclose(tape.gradient(lse, x).numpy(), [0, 0, 0, 0, 1.0], atol=1e-300)
    big = tf.constant([[1e4, 1e4], [-1e4, -1e4]])
    np.testing.assert_allclose(
        tf.reduce_logsumexp(big, axis=1).numpy(), [1e4 + np.log(2), -1e4 + np.log(2)], rtol=1e-7
    )


def test_gradients_tf_does_not_have():
    x = tf.constant([1.0, 2.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        counts = tf.math.bincount(tf.constant([0, 1, 1]), weights=x)
        rounded = tf.round(x)
        index = tf.math.argmax(x)
    with pytest.raises(LookupError, match="no entry for: DenseBincount"):
        tape.gradient(counts, x)
    assert tape.gradient(rounded, x) is None and tape.gradient(index, x) is None


def test_top_k_and_unique_are_namedtuples():
    result = tf.math.top_k([1.0, 5.0, 3.0], k=2)
    assert type(result).__name__ == "TopKV2" and result._fields == ("values", "indices")
    assert result.indices.dtype == tf.int32
    assert tf.math.top_k([1.0, 5.0], index_type=tf.int64).indices.dtype == tf.int64
    u = tf.unique([1, 1, 2], out_idx=tf.int64)
    assert type(u).__name__ == "Unique" and u._fields == ("y", "idx") and u.idx.dtype == tf.int64


def test_clip_by_global_norm_keeps_none_entries():
    clipped, norm = tf.clip_by_global_norm(
        [tf.constant([3.0, 4.0]), None, tf.constant([12.0])], 6.5
    )
    assert clipped[1] is None and float(norm) == 13.0
    assert clipped[0].numpy().tolist() == [1.5, 2.0] and clipped[2].numpy().tolist() == [6.0]
    inf_clipped, inf_norm = tf.clip_by_global_norm([tf.constant([np.inf, 4.0])], 1.0)
    assert np.isinf(float(inf_norm)) and np.isnan(inf_clipped[0].numpy()).all()
