"""gather_nd / scatter_nd / tensor_scatter_nd_* with empty index tuples (indices.shape[-1] == 0)
and empty tensors: the values, and the errors with the messages, that TF 2.21 gives.

TF's GatherNd takes an empty tuple as "all of params", but its scatter kernels accept no empty
tuple: indices with no elements and updates with some are "for empty output shape", and with
no updates either the depth 0 has no kernel. So gather_nd's gradient (a ScatterNd) fails there.
"""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.errors import InvalidArgumentError

P = [[1.0, 2.0], [3.0, 4.0]]
EMPTY_SHAPE = r"Indices and updates specified for empty output shape \[Op:{}\]"
DEPTH_0 = r"Only indices.shape\[-1\] values between 1 and 5 .*Requested rank: 0 \[Op:{}\]"


def _idx(*shape):
    return tf.constant(np.zeros(shape, np.int32))


def _ones(*shape):
    return tf.constant(np.ones(shape, np.float32))


@pytest.mark.parametrize("shape", [(0,), (1, 0), (3, 0), (2, 3, 0), (0, 0)])
def test_gather_nd_with_empty_tuples_takes_all_of_params(shape):
    out = tf.gather_nd(tf.constant(P), _idx(*shape))
    assert out.shape == (*shape[:-1], 2, 2)
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(P, out.shape))


def _gather_nd_grad(p, idx, **kw):
    with tf.GradientTape() as t:
        t.watch(p)
        y = tf.gather_nd(p, idx, **kw)
        w = tf.constant(np.arange(int(np.prod(y.shape))).reshape(y.shape), p.dtype)
        z = tf.reduce_sum(y * w)
    return t.gradient(z, p)


@pytest.mark.parametrize("shape", [(0,), (1, 0), (3, 0), (2, 3, 0)])
def test_gather_nd_gradient_with_empty_tuples_fails_as_tf(shape):
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("ScatterNd")):
        _gather_nd_grad(tf.constant(P), _idx(*shape))


def test_gather_nd_gradient_with_no_empty_tuples_fails_as_tf():
    with pytest.raises(InvalidArgumentError, match=DEPTH_0.format("ScatterNd")):
        _gather_nd_grad(tf.constant(P), _idx(0, 0))


def test_gather_nd_jacobian_with_empty_tuples_fails_as_tf():
    p = tf.constant(P)
    with tf.GradientTape() as t:
        t.watch(p)
        y = tf.gather_nd(p, _idx(3, 0)) * tf.constant([[[1.0]], [[2.0]], [[3.0]]])
    with pytest.raises(InvalidArgumentError):
        t.jacobian(y, p)


def test_gather_nd_batch_dims_with_empty_tuples_and_its_gradient():
    # the batch coordinates become the index tuples: TF's gradient works here
    p = tf.constant(np.arange(12.0).reshape(2, 3, 2))
    idx = _idx(2, 4, 0)
    out = tf.gather_nd(p, idx, batch_dims=1)
    np.testing.assert_array_equal(out.numpy(), np.repeat(p.numpy()[:, None], 4, axis=1))
    want = [[[36, 40], [44, 48], [52, 56]], [[132, 136], [140, 144], [148, 152]]]
    np.testing.assert_array_equal(_gather_nd_grad(p, idx, batch_dims=1).numpy(), want)


def test_gather_nd_errors_as_tf():
    with pytest.raises(InvalidArgumentError, match=r"params must be at least a vector"):
        tf.gather_nd(tf.constant(5.0), _idx(3, 0))
    with pytest.raises(InvalidArgumentError, match=r"must be <= params rank; saw: 2 vs. 1"):
        tf.gather_nd(_ones(2), _idx(1, 2))
    empty = r"Requested more than 0 entries, but params is empty.  Params shape: \[{}\]"
    with pytest.raises(InvalidArgumentError, match=empty.format("0,2")):
        tf.gather_nd(_ones(0, 2), _idx(3, 0))
    with pytest.raises(InvalidArgumentError, match=empty.format("0,2")):
        tf.gather_nd(_ones(0, 2), _idx(0))
    with pytest.raises(InvalidArgumentError, match=empty.format("2,0")):  # index 0 is valid
        tf.gather_nd(_ones(2, 0), _idx(3, 1))
    assert tf.gather_nd(_ones(0, 2), _idx(0, 0)).shape == (0, 0, 2)  # nothing requested


@pytest.mark.parametrize("shape", [(0,), (1, 0), (3, 0), (2, 3, 0)])
def test_scatters_with_empty_tuples_and_updates_fail_as_tf(shape):
    idx, upd = _idx(*shape), _ones(*shape[:-1], 2, 2)
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("ScatterNd")):
        tf.scatter_nd(idx, upd, [2, 2])
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("TensorScatterUpdate")):
        tf.tensor_scatter_nd_update(tf.constant(P), idx, upd)
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("TensorScatterAdd")):
        tf.tensor_scatter_nd_add(tf.constant(P), idx, upd)


def test_scatters_with_no_empty_tuples():
    with pytest.raises(InvalidArgumentError, match=DEPTH_0.format("ScatterNd")):
        tf.scatter_nd(_idx(0, 0), _ones(0, 2), [2])
    with pytest.raises(InvalidArgumentError, match=DEPTH_0.format("TensorScatterUpdate")):
        tf.tensor_scatter_nd_update(tf.constant(P), _idx(0, 0), _ones(0, 2, 2))
    with pytest.raises(InvalidArgumentError, match=DEPTH_0.format("TensorScatterAdd")):
        tf.tensor_scatter_nd_add(tf.constant(P), _idx(0, 0), _ones(0, 2, 2))
    # an empty output is returned before the depth is looked at
    for idx in (_idx(3, 0), _idx(0, 0)):
        out = tf.scatter_nd(idx, _ones(*idx.shape[:-1], 0, 2), [0, 2])
        assert out.shape == (0, 2) and out.dtype == tf.float32
    assert tf.tensor_scatter_nd_add(_ones(0, 2), _idx(0, 0), _ones(0, 0, 2)).shape == (0, 2)


def test_scatter_nd_empty_output_errors_as_tf():
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("ScatterNd")):
        tf.scatter_nd(_idx(2, 1), _ones(2, 0), [4, 0])  # indices but no updates
    with pytest.raises(
        InvalidArgumentError,
        match=r"specified for empty output.  indices shape: \[2,1\] \[Op:ScatterNd\]",
    ):
        tf.scatter_nd(_idx(2, 1), _ones(2, 2), [0, 2])
    with pytest.raises(InvalidArgumentError, match=EMPTY_SHAPE.format("TensorScatterUpdate")):
        tf.tensor_scatter_nd_update(_ones(0, 2), _idx(2, 1), _ones(2, 2))
    with pytest.raises(InvalidArgumentError, match=r"Output must be at least 1-D, got shape: \[\]"):
        tf.scatter_nd(_idx(0, 0), _ones(0), tf.constant([], tf.int32))
    with pytest.raises(InvalidArgumentError, match=r"Output must be at least 1-D, got shape: \[\]"):
        tf.tensor_scatter_nd_update(tf.constant(1.0), _idx(0, 0), _ones(0))
    out = tf.scatter_nd(_idx(0, 1), _ones(0, 2), [3, 2])  # no indices and no updates is fine
    np.testing.assert_array_equal(out.numpy(), np.zeros((3, 2)))
    with pytest.raises(InvalidArgumentError, match=r"does not index into shape \[2,2\]"):
        tf.scatter_nd(tf.constant([[0, 5]]), _ones(1), [2, 2])
