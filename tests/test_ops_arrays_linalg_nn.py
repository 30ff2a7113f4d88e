"""Behaviour of the array, linalg and nn functions beyond the op table: argument handling, the
composite functions (which have no row of their own), TF's errors, and numerical stability.
Expected values were taken from TF 2.21."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.errors import InvalidArgumentError, UnimplementedError
from tapeflow.testing import check_gradients

# -- array --------------------------------------------------------------------------------


def test_pad_modes_and_errors():
    x = [[1, 2], [3, 4]]
    assert tf.pad(x, [[1, 1], [2, 2]], "SYMMETRIC").numpy().tolist() == [
        [2, 1, 1, 2, 2, 1],
        [2, 1, 1, 2, 2, 1],
        [4, 3, 3, 4, 4, 3],
        [4, 3, 3, 4, 4, 3],
    ]
    assert tf.pad([1.0], [[1, 0]], constant_values=7).numpy().tolist() == [7.0, 1.0]
    with pytest.raises(InvalidArgumentError, match="less than the dimension size"):
        tf.pad(x, [[1, 1], [2, 2]], "REFLECT")
    with pytest.raises(InvalidArgumentError, match="no greater than the dimension size"):
        tf.pad(x, [[1, 1], [3, 3]], "SYMMETRIC")
    with pytest.raises(ValueError, match='"CONSTANT", "REFLECT", or "SYMMETRIC"'):
        tf.pad(x, [[1, 1], [1, 1]], "WRAP")
    with pytest.raises(InvalidArgumentError, match="rank of inputs"):
        tf.pad(x, [[1, 1]])
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.pad(x, [[-1, 1], [0, 0]])


def test_slice_and_strided_slice():
    a = tf.reshape(tf.range(24), [2, 3, 4])
    assert tf.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [-1, 2]).numpy().tolist() == [[2, 3], [5, 6]]
    with pytest.raises(InvalidArgumentError, match=r"Expected size\[0\] in \[0, 2\], but got 3"):
        tf.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [3, 2])
    assert tf.strided_slice(a, [0, 1], [2, 3], [1, 1]).numpy().tolist() == [
        [[4, 5, 6, 7], [8, 9, 10, 11]],
        [[16, 17, 18, 19], [20, 21, 22, 23]],
    ]
    assert tf.strided_slice(a, [1, 0, 0], [2, 3, 4], [1, 1, 1], shrink_axis_mask=1).shape == (3, 4)
    assert tf.strided_slice(a, [0, 0], [0, 2], [1, 1], ellipsis_mask=1).shape == (2, 3, 2)
    spec = {"new_axis_mask": 2, "begin_mask": 1, "end_mask": 1}
    assert tf.strided_slice(a, [0, 0, 1], [0, 0, 3], [1, 1, 1], **spec).shape == (2, 1, 2, 4)
    assert tf.strided_slice(a, [-1], [0], [-1]).shape == (1, 3, 4)
    with pytest.raises(InvalidArgumentError, match="must be non-zero"):
        tf.strided_slice(a, [0], [2], [0])
    with pytest.raises(InvalidArgumentError):
        tf.strided_slice(a, [5], [6], [1], shrink_axis_mask=1)


def test_reverse_roll_repeat():
    x = [[1, 2, 3], [4, 5, 6]]
    assert tf.roll(x, shift=[1, -1], axis=[0, 1]).numpy().tolist() == [[5, 6, 4], [2, 3, 1]]
    assert tf.roll(x, shift=[1, 1], axis=[1, 1]).numpy().tolist() == [[2, 3, 1], [5, 6, 4]]
    assert tf.reverse(x, [-1]).numpy().tolist() == [[3, 2, 1], [6, 5, 4]]
    with pytest.raises(InvalidArgumentError, match="out of valid range"):
        tf.reverse(x, [2])
    assert tf.repeat([[1, 2], [3, 4]], 2).numpy().tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0).numpy().tolist() == [[1, 2], [3, 4], [3, 4]]
    with pytest.raises(ValueError, match="Dimensions 2 and 3 are not compatible"):
        tf.repeat([[1, 2], [3, 4]], [1, 2, 3], axis=0)
    check_gradients(lambda t: tf.repeat(t, [2, 1], axis=1), [[1.0, 2.0], [3.0, 4.0]])


def test_gather_batch_dims_and_gather_nd():
    p = [[1, 2], [3, 4]]
    assert tf.gather(p, [[1], [0]], batch_dims=1).numpy().tolist() == [[2], [3]]
    assert tf.gather(p, [[1], [0]], batch_dims=-1).numpy().tolist() == [[2], [3]]
    with pytest.raises(InvalidArgumentError):
        tf.gather(p, [[1], [0]], batch_dims=2)
    with pytest.raises(InvalidArgumentError):
        tf.gather([[1, 2]], [[0], [1]], batch_dims=1)  # batch dimensions differ
    assert tf.gather_nd(p, [[1], [0]], batch_dims=1).numpy().tolist() == [2, 3]
    with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = \[2, 0\] does not index"):
        tf.gather_nd(p, [[2, 0]])
    assert tf.gather_nd(p, np.zeros((2, 0), np.int32)).numpy().tolist() == [p, p]


def test_scatter_errors():
    with pytest.raises(InvalidArgumentError, match="must match"):
        tf.scatter_nd([[1]], [1.0, 2.0], [3])
    with pytest.raises(InvalidArgumentError, match=r"indices\[0\] = \[3\] does not index"):
        tf.scatter_nd([[3]], [1.0], [3])
    with pytest.raises(InvalidArgumentError, match=r"\[Op:TensorScatterUpdate\]"):
        tf.tensor_scatter_nd_update([1.0, 2.0, 3.0], [[5]], [1.0])


def test_boolean_mask():
    assert tf.boolean_mask([[1, 2, 3]], [True, False, True], axis=1).numpy().tolist() == [[1, 3]]
    m = tf.boolean_mask(
        tf.reshape(tf.range(6), [2, 3]), [[True, False, True], [False, True, False]]
    )
    assert m.numpy().tolist() == [0, 2, 4]
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
        tf.boolean_mask([1, 2, 3], [True, False])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask([1, 2, 3], True)


def test_one_hot():
    assert tf.one_hot([0, 2, -1, 5], 3).numpy().tolist() == [
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
    ]
    t = tf.one_hot([0, 2], 3, axis=0, on_value=5, off_value=-1)
    assert t.dtype == tf.int32 and t.numpy().tolist() == [[5, -1], [-1, -1], [-1, 5]]
    assert tf.one_hot([0, 2], 3, dtype=tf.int64).dtype == tf.int64
    with pytest.raises(TypeError, match="of on_value does not match"):
        tf.one_hot([0, 2], 3, on_value=5.0, off_value=-1)


def test_meshgrid_sequence_mask_searchsorted():
    x, y = tf.meshgrid([1, 2], [3, 4, 5])
    assert x.numpy().tolist() == [[1, 2]] * 3 and y.numpy().tolist() == [[3, 3], [4, 4], [5, 5]]
    x, y = tf.meshgrid([1, 2], [3, 4, 5], indexing="ij")
    assert x.shape == (2, 3) and y.numpy().tolist() == [[3, 4, 5]] * 2
    with pytest.raises(ValueError, match="must be either 'xy' or 'ij'"):
        tf.meshgrid([1], indexing="xx")
    assert tf.sequence_mask([[1, 3], [2, 0]]).numpy().tolist() == [
        [[True, False, False], [True, True, True]],
        [[True, True, False], [False, False, False]],
    ]
    assert tf.sequence_mask([1, 2], 3, dtype=tf.float32).numpy().tolist() == [
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
    ]
    assert tf.searchsorted([1, 2, 3], [2, 5], side="right").numpy().tolist() == [2, 3]
    assert tf.searchsorted([1, 2, 3], [2, 5]).numpy().tolist() == [1, 3]
    assert tf.searchsorted([1.0, 2.0], [1.5], out_type=tf.int64).dtype == tf.int64
    with pytest.raises(ValueError, match="must be either 'right' or 'left'"):
        tf.searchsorted([1, 2, 3], [2], side="middle")


def test_diag_and_band_part():
    assert tf.linalg.diag([1.0, 2.0], k=1).numpy().tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert tf.linalg.diag([1.0, 2.0], k=1, num_rows=4).shape == (4, 3)
    assert tf.linalg.diag([1.0, 2.0], k=-1, num_cols=4).shape == (3, 4)
    assert tf.linalg.diag([1.0, 2.0], k=1, padding_value=9).numpy().tolist() == [
        [9, 1, 9],
        [9, 9, 2],
        [9, 9, 9],
    ]
    with pytest.raises(InvalidArgumentError, match="rows is too small"):
        tf.linalg.diag([1.0, 2.0, 3.0], num_rows=2)
    with pytest.raises(InvalidArgumentError, match="not consistent"):
        tf.linalg.diag([1.0, 2.0, 3.0], num_rows=4, num_cols=5)
    m = tf.reshape(tf.range(12.0), [3, 4])
    assert tf.linalg.diag_part(m, k=-1).numpy().tolist() == [4.0, 9.0]
    assert tf.linalg.diag_part(m, k=2).numpy().tolist() == [2.0, 7.0]
    with pytest.raises(InvalidArgumentError, match="out of bound"):
        tf.linalg.diag_part(m, k=4)
    with pytest.raises(InvalidArgumentError, match="num_lower must be negative or less"):
        tf.linalg.band_part(tf.ones([3, 4]), 5, 1)


def test_constructors_follow_tf():
    assert tf.zeros([2], tf.string).numpy().tolist() == [b"", b""]
    with pytest.raises(TypeError, match="Cannot convert 1"):
        tf.ones([2], tf.string)
    with pytest.raises(InvalidArgumentError, match="Dimension -1 must be >= 0"):
        tf.zeros([-1])
    assert tf.fill([2], [1]).numpy().tolist() == [1, 1]
    assert tf.shape(1.0, out_type=tf.int64).dtype == tf.int64
    assert tf.size([[1, 2]], out_type=tf.float32).numpy() == 2.0
    assert tf.zeros_like(["a"]).numpy().tolist() == [b""]


# -- linalg -------------------------------------------------------------------------------


def test_tensordot_and_matvec():
    x = tf.reshape(tf.range(6.0), [2, 3])
    assert tf.tensordot(x, x, [[0], [0]]).numpy().tolist() == [
        [9.0, 12.0, 15.0],
        [12.0, 17.0, 22.0],
        [15.0, 22.0, 29.0],
    ]
    assert tf.tensordot(tf.ones([2, 3]), tf.ones([3, 4]), 0).shape == (2, 3, 3, 4)
    with pytest.raises(ValueError, match="Different number of contraction axes"):
        tf.tensordot(x, x, [[0, 1], [1]])
    with pytest.raises(ValueError, match="must not be larger"):
        tf.tensordot(x, x, 3)
    assert tf.linalg.matvec(x, [1.0, 1.0], transpose_a=True).numpy().tolist() == [3.0, 5.0, 7.0]


def test_einsum_forms_and_errors():
    x = tf.reshape(tf.range(6.0), [2, 3])
    assert tf.einsum("ba", x).shape == (3, 2)  # implicit output: sorted letters
    assert tf.einsum("Ba", x).shape == (2, 3)  # uppercase sorts first, as in TF
    assert tf.einsum("ij,kj", x, x).numpy().tolist() == [[5.0, 14.0], [14.0, 50.0]]
    assert tf.einsum("i...->...", x).numpy().tolist() == [3.0, 5.0, 7.0]
    assert tf.einsum("...j,...j->...", x[:1], x).numpy().tolist() == [5.0, 14.0]
    with pytest.raises(InvalidArgumentError, match="broadcasting dimension"):
        tf.einsum("...i->i", x)
    with pytest.raises(ValueError, match="label k not present"):
        tf.einsum("ij->ijk", x)
    with pytest.raises(ValueError, match="appearing more than once"):
        tf.einsum("ij->ii", x)
    with pytest.raises(ValueError, match="Got 2 inputs"):
        tf.einsum("ij", x, x)
    with pytest.raises(InvalidArgumentError, match="Expected dimension 1 at axis 0"):
        tf.einsum("ij,ij->ij", x[:1], x)


def test_einsum_gradients_to_third_order():
    a = np.random.default_rng(0).standard_normal((3, 3))
    check_gradients(lambda t: tf.einsum("ij,jk,ki->", t, t, t), a, order=2)
    with tf.GradientTape() as t3:
        x = tf.constant(a)
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.einsum("ii,ij,jk->", x, x, x)
            g1 = tf.reduce_sum(t1.gradient(y, x))
        g2 = tf.reduce_sum(t2.gradient(g1, x))
    g3 = t3.gradient(g2, x)
    # y = T(X, X, X) with T(A, B, C) = sum A_ii B_ij C_jk is cubic, so the third derivative
    # along (ones, ones, e_ab) is 2 (T(E, E, e) + T(E, e, E) + T(e, E, E)), whatever X is
    ones = np.ones((3, 3))
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = 1.0
            t = [
                np.einsum("ii,ij,jk->", *m)
                for m in ((ones, ones, e), (ones, e, ones), (e, ones, ones))
            ]
            want[i, j] = 2 * sum(t)
    np.testing.assert_allclose(g3.numpy(), want)


def test_decomposition_results_and_errors():
    sign, logdet = tf.linalg.slogdet([[1.0, 2.0], [3.0, 4.0]])
    assert float(sign) == -1.0 and abs(float(logdet) - np.log(2.0)) < 1e-6
    assert "LogMatrixDeterminant(sign=" in repr(tf.linalg.slogdet([[1.0]]))
    q, r = tf.linalg.qr([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert q.shape == (3, 2) and r.shape == (2, 2)
    assert tf.linalg.qr(tf.ones([3, 2]), full_matrices=True).q.shape == (3, 3)
    s, u, v = tf.linalg.svd([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose((u * s) @ tf.transpose(v), [[1, 2], [3, 4], [5, 6]], atol=1e-5)
    with pytest.raises(InvalidArgumentError, match="not invertible"):
        tf.linalg.inv([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(InvalidArgumentError, match="must be square"):
        tf.linalg.det([[1.0, 2.0, 3.0], [2.0, 4.0, 3.0]])
    with pytest.raises(InvalidArgumentError, match="must have rank >= 2"):
        tf.linalg.inv([1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="same rank"):
        tf.linalg.solve([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="same outer dimensions"):
        tf.linalg.solve(tf.ones([2, 2, 2]), tf.ones([1, 2, 1]))
    assert tf.linalg.triangular_solve(
        [[0.0, 0.0], [1.0, 1.0]], [[1.0], [2.0]]
    ).numpy().tolist() == [
        [np.inf],
        [-np.inf],
    ]
    assert np.isnan(tf.linalg.cholesky([[1.0, 2.0], [2.0, 1.0]]).numpy()).all()
    with pytest.raises(TypeError, match="should be a sequence"):
        tf.linalg.global_norm(tf.constant([3.0, 4.0]))
    assert float(tf.linalg.global_norm([])) == 0.0


def test_qr_gradient_full_matrices_tall_is_not_implemented():
    x = tf.ones([3, 2]) + tf.eye(3, 2)
    with tf.GradientTape() as tape:
        tape.watch(x)
        _, r = tf.linalg.qr(x, full_matrices=True)
    with pytest.raises(NotImplementedError, match="QrGrad not implemented"):
        tape.gradient(r, x)


# -- nn -----------------------------------------------------------------------------------


def test_cross_entropies_are_stable_at_huge_logits():
    big = tf.constant([[1e4, -1e4, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(big)
        dense = tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0, 0.0]], big)
        sparse = tf.nn.sparse_softmax_cross_entropy_with_logits([1], big)
        sig = tf.nn.sigmoid_cross_entropy_with_logits([[1.0, 0.0, 1.0]], big)
    assert dense.numpy().tolist() == [20000.0] and sparse.numpy().tolist() == [20000.0]
    assert sig.numpy().tolist() == [[0.0, 0.0, 0.6931471824645996]]
    for loss in (dense, sparse, sig):
        g = tape.gradient(loss, big).numpy()
        assert np.isfinite(g).all()
    np.testing.assert_allclose(tape.gradient(dense, big).numpy(), [[1.0, -1.0, 0.0]])


def test_cross_entropy_errors():
    x = tf.ones([3, 4])
    with pytest.raises(InvalidArgumentError, match="must be broadcastable"):
        tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], x)
    with pytest.raises(InvalidArgumentError, match="outside the valid range of \\[0, 4\\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([5, 0, 1], x)
    with pytest.raises(ValueError, match=r"labels\.shape\.rank"):
        tf.nn.sparse_softmax_cross_entropy_with_logits([[1]], tf.ones([1, 3]))
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits([1.0, 0.0], [1.0, 2.0, 3.0])


def test_softmax_cross_entropy_second_order_reaches_the_labels():
    # Deliberate difference: TF drops d(softmax - labels)/d labels in the second derivative
    logits = tf.constant([[1.0, 2.0, 3.0]])
    labels = tf.constant([[0.2, 0.3, 0.5]])
    with tf.GradientTape() as outer:
        outer.watch(labels)
        with tf.GradientTape() as inner:
            inner.watch(logits)
            loss = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
        g = inner.gradient(loss, logits)
        s = tf.reduce_sum(g * tf.constant([[1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(outer.gradient(s, labels).numpy(), [[-1.0, 0.0, 0.0]])


def test_moments_second_derivative_is_exact():
    # Deliberate difference: TF's stop_gradient on the mean makes this [2/3, 2/3, 2/3]
    x = tf.constant([1.0, 2.0, 4.0], tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            _, variance = tf.nn.moments(x, [0])
        g = inner.gradient(variance, x)
    np.testing.assert_allclose(g.numpy(), [-8 / 9, -2 / 9, 10 / 9])
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [0.0, 0.0, 0.0], atol=1e-12)


def test_activations_follow_tf_dtypes():
    assert tf.nn.leaky_relu([1, -2]).numpy().tolist() == [1.0, pytest.approx(-0.4)]
    assert tf.nn.relu6([1, -2, 7]).numpy().tolist() == [1, 0, 6]
    with pytest.raises(InvalidArgumentError, match="int32 is not in the list"):
        tf.nn.elu([1, -2])
    with pytest.raises(ValueError, match="must be a floating point tensor"):
        tf.nn.gelu([1, 2])
    assert tf.nn.swish is tf.nn.silu


def test_bias_add_and_batch_normalization():
    x = tf.ones([2, 3, 4])
    assert tf.nn.bias_add(x, [1.0, 2.0, 3.0], data_format="NCHW").numpy()[0, :, 0].tolist() == [
        2.0,
        3.0,
        4.0,
    ]
    with pytest.raises(InvalidArgumentError, match="as many biases as the last dimension"):
        tf.nn.bias_add(tf.ones([3, 4]), [1.0, 2.0, 3.0])
    with pytest.raises(InvalidArgumentError, match="Biases must be 1D: \\[1,4\\]"):
        tf.nn.bias_add(tf.ones([3, 4]), [[1.0, 2.0, 3.0, 4.0]])
    y = tf.nn.batch_normalization(tf.constant([1.0, 3.0]), 2.0, 4.0, 1.0, 2.0, 0.0)
    assert y.numpy().tolist() == [0.0, 2.0]


def test_embedding_lookup_shards_and_max_norm():
    x = tf.reshape(tf.range(-3.0, 9.0), [3, 4])
    rows = tf.nn.embedding_lookup([x[:2], x[2:]], [0, 1, 2])  # TF 2's "div" strategy
    np.testing.assert_array_equal(rows.numpy(), x.numpy())
    clipped = tf.nn.embedding_lookup(x, [[2, 0]], max_norm=5.0).numpy()
    np.testing.assert_allclose(np.linalg.norm(clipped, axis=-1), [[5.0, np.sqrt(14.0)]], rtol=1e-6)


def test_conv_shapes_and_padding():
    x = tf.random.normal([1, 5, 5, 2], seed=1)
    w = tf.random.normal([3, 3, 2, 4], seed=2)
    assert tf.nn.conv2d(x, w, 2, "SAME").shape == (1, 3, 3, 4)
    assert tf.nn.conv2d(x, w, [1, 2, 2, 1], [[0, 0], [1, 2], [0, 1], [0, 0]]).shape == (1, 3, 2, 4)
    assert tf.nn.conv2d(x, w, 1, "VALID", dilations=2).shape == (1, 1, 1, 4)
    assert tf.nn.conv2d(x, w, 2, "SAME", dilations=2).shape == (1, 3, 3, 4)
    assert tf.nn.conv2d(x, tf.ones([3, 3, 1, 4]), 1, "SAME").shape == (1, 5, 5, 4)  # 2 groups
    nchw = tf.nn.conv2d(tf.transpose(x, [0, 3, 1, 2]), w, 1, "SAME", data_format="NCHW")
    np.testing.assert_allclose(
        tf.transpose(nchw, [0, 2, 3, 1]).numpy(), tf.nn.conv2d(x, w, 1, "SAME").numpy(), rtol=1e-5
    )
    assert tf.nn.conv1d(tf.ones([1, 5, 2]), tf.ones([3, 2, 4]), 1, "SAME").shape == (1, 5, 4)
    y = tf.nn.conv2d_transpose(tf.ones([1, 3, 3, 4]), w, [1, 6, 6, 2], 2, "SAME")
    assert y.shape == (1, 6, 6, 2)
    with pytest.raises(InvalidArgumentError, match="evenly divisible by filter depth: 2 vs 3"):
        tf.nn.conv2d(x, tf.ones([3, 3, 3, 4]), 1, "SAME")
    with pytest.raises(InvalidArgumentError, match="'padding' of \"FULL\""):
        tf.nn.conv2d(x, w, 1, "FULL")
    with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
        tf.nn.conv2d(x, w, [1, 2, 2], "SAME")
    with pytest.raises(InvalidArgumentError, match="Size of out_backprop doesn't match"):
        tf.nn.conv2d_transpose(tf.ones([1, 3, 3, 4]), w, [1, 7, 7, 2], 2, "SAME")


def test_conv2d_matches_a_direct_sum():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    out = tf.nn.conv2d(x, w, [2, 1], "VALID", dilations=[1, 2]).numpy()
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            patch = x[:, 2 * i : 2 * i + 3, j : j + 3 : 2]
            np.testing.assert_allclose(
                out[:, i, j], np.einsum("nhwc,hwco->no", patch, w), rtol=1e-10
            )


def test_pooling_shapes_and_errors():
    x = tf.reshape(tf.range(12.0), [1, 3, 4, 1])
    assert tf.nn.max_pool2d(x, 2, 1, "SAME").numpy().reshape(-1).tolist() == [
        5.0, 6.0, 7.0, 7.0, 9.0, 10.0, 11.0, 11.0, 9.0, 10.0, 11.0, 11.0,
    ]  # fmt: skip
    assert tf.nn.avg_pool2d(x, [2, 3], [1, 2], "SAME").shape == (1, 3, 2, 1)
    assert tf.nn.max_pool(tf.reshape(x, [1, 12, 1]), 3, 2, "VALID").shape == (1, 5, 1)
    assert tf.nn.avg_pool(tf.reshape(x, [1, 12, 1]), 3, 2, "SAME").shape == (1, 6, 1)
    assert tf.nn.avg_pool2d(x, 2, 2, "VALID", data_format="NCHW").shape == (1, 3, 2, 1)
    with pytest.raises(UnimplementedError, match="batch dimension"):
        tf.nn.max_pool2d(x, [2, 2, 1, 1], [1, 1, 2, 1], "VALID")
    with pytest.raises(InvalidArgumentError, match="int64 is not in the list"):
        tf.nn.avg_pool2d(np.arange(4).reshape(1, 2, 2, 1), 2, 1, "VALID")
    # Deliberate difference: TF computes a NumPy integer array's max pool in float32
    pooled = tf.nn.max_pool2d(np.arange(4).reshape(1, 2, 2, 1), 2, 1, "VALID")
    assert pooled.dtype == tf.int64 and pooled.numpy().reshape(-1).tolist() == [3]
