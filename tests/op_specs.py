"""One row per registered op: how to call it, what NumPy says it computes, how to check it.

`test_ops.py` draws input shapes with hypothesis (scalars, empty and broadcast dimensions
included), compares the forward with NumPy, and checks the gradient numerically with
`tapeflow.testing.check_gradients` (second order where the op is smooth). A registered op with
no row fails `test_every_registered_op_has_a_row`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tapeflow as tf
from bench.conv_reference import conv2d_numpy_reference, conv2d_numpy_reference_backward
from tapeflow.ops import array as A
from tapeflow.ops import conv, indexing, logic, pooling, slicing, transcendental
from tapeflow.ops import math as M
from tapeflow.ops import nn as N
from tapeflow.ops import reduce as R
from tapeflow.tape import ones_like_np, sum_to, zeros_like_np

Shapes = st.SearchStrategy[tuple[tuple[int, ...], ...]]


def unary(min_dims: int = 0, max_dims: int = 3, min_side: int = 0) -> Shapes:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3
    ).map(lambda s: (s,))


def broadcast(n: int = 2) -> Shapes:
    return hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3, max_side=3).map(
        lambda b: b.input_shapes
    )


def same(n: int, min_dims: int = 0, min_side: int = 0) -> Shapes:
    return hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=3).map(
        lambda s: (s,) * n
    )


def fixed(*shapes: tuple[int, ...]) -> Shapes:
    return st.just(shapes)


@st.composite
def _matmul_shapes(draw: Any) -> tuple[tuple[int, ...], ...]:
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=1, min_side=1, max_side=2))
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    return ((*batch, m, k), (k, n))


@dataclass(frozen=True)
class OpSpec:
    op: str  # the registered op type this row covers
    fn: Callable[..., Any]  # calls it (through the public API where there is one)
    numpy: Callable[..., Any] | None = None  # the same math in NumPy
    shapes: Shapes = field(default_factory=unary)
    domain: tuple[float, float] = (-2.0, 2.0)
    order: int = 2  # gradient order checked; 0: TF has no gradient, so tapeflow gives None
    dtype: Any = np.float64
    custom: Callable[[list[np.ndarray]], None] | None = None  # replaces the generic checks


def draw_arrays(spec: OpSpec, shapes: Any, rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs for a row: one array per shape, from the row's domain and dtype."""
    lo, hi = spec.domain
    if spec.dtype is np.bool_:
        return [rng.random(s) > 0.5 for s in shapes]
    if np.dtype(spec.dtype).kind == "i":
        return [rng.integers(-8, 8, s).astype(spec.dtype) for s in shapes]
    return [rng.uniform(lo, hi, s).astype(spec.dtype) for s in shapes]


def _var_read_check(arrays: list[np.ndarray]) -> None:
    v = tf.Variable(arrays[0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sin(v))
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), np.cos(arrays[0]), rtol=1e-12)


def _np_log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def _positive(lo: float = 0.5, hi: float = 2.0) -> tuple[float, float]:
    return (lo, hi)


def _np_elementwise(fn: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    return np.vectorize(fn, otypes=[np.float64])


def _unique_check(arrays: list[np.ndarray]) -> None:
    x = np.array([1.0, 2.0, 1.0, 3.0, 2.0])
    y, idx = tf.unique(x)
    assert y.numpy().tolist() == [1.0, 2.0, 3.0] and idx.numpy().tolist() == [0, 1, 0, 2, 1]
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.unique(t).y
    try:
        tape.gradient(y, t)
    except LookupError as e:  # TF registers no gradient for Unique
        assert str(e) == "gradient registry has no entry for: Unique"
    else:
        raise AssertionError("the gradient of unique must raise LookupError")


def _adjust_contrast_check(arrays: list[np.ndarray]) -> None:
    x = np.arange(12.0, dtype=np.float32).reshape(2, 3, 2)
    mean = x.mean(axis=(0, 1))
    out = tf.image.adjust_contrast(x, 1.5)
    np.testing.assert_array_equal(out.numpy(), (x - mean) * 1.5 + mean)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.image.adjust_contrast(t, 2.0)
    try:
        tape.gradient(y, t)
    except LookupError as e:  # TF registers no gradient for AdjustContrastv2
        assert str(e) == "gradient registry has no entry for: AdjustContrastv2"
    else:
        raise AssertionError("the gradient of adjust_contrast must raise LookupError")


def _sorted_desc(k: int) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: -np.sort(-x, axis=-1)[..., :k]


SPECS: list[OpSpec] = [
    # -- arithmetic ---------------------------------------------------------------------------
    OpSpec("AddV2", tf.add, np.add, broadcast()),
    OpSpec("Sub", tf.subtract, np.subtract, broadcast()),
    OpSpec("Mul", tf.multiply, np.multiply, broadcast()),
    OpSpec("RealDiv", tf.divide, np.divide, broadcast(), domain=_positive()),
    OpSpec("Pow", tf.pow, np.power, broadcast(), domain=_positive()),
    OpSpec(
        "ScaledPow",
        lambda x: M._scaled_pow(x, c=3.5, scale=1.5),  # the VJP of x ** 3.5
        lambda x: 1.5 * x**2.5,
        domain=_positive(),
    ),
    OpSpec("FloorDiv", M.floordiv, np.floor_divide, broadcast(), _positive(), order=0),
    OpSpec("FloorMod", M.floormod, np.mod, broadcast(), domain=_positive(), order=1),
    OpSpec("Floor", tf.floor, np.floor, order=0),
    OpSpec("Neg", tf.negative, np.negative),
    OpSpec("Square", tf.square, np.square),
    OpSpec("Sqrt", tf.sqrt, np.sqrt, domain=_positive()),
    OpSpec("Rsqrt", M.rsqrt, lambda x: 1 / np.sqrt(x), domain=_positive()),
    OpSpec("Reciprocal", tf.reciprocal, np.reciprocal, domain=_positive()),
    OpSpec("Exp", tf.exp, np.exp),
    OpSpec("Log", tf.math.log, np.log, domain=_positive()),
    OpSpec("Sin", tf.sin, np.sin),
    OpSpec("Cos", tf.cos, np.cos),
    OpSpec(
        "SinDerivative",  # the VJP of cos (k=2) and its own derivatives
        lambda x: transcendental._sin_derivative(x, k=3),
        lambda x: -np.cos(x),
    ),
    OpSpec("Tan", tf.tan, np.tan, domain=(-1.0, 1.0)),
    OpSpec("Tanh", tf.tanh, np.tanh),
    OpSpec("Sigmoid", tf.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    OpSpec("Abs", tf.abs, np.abs),
    OpSpec("Sign", tf.sign, np.sign, order=1),
    OpSpec("Maximum", tf.maximum, np.maximum, broadcast()),
    OpSpec("Minimum", tf.minimum, np.minimum, broadcast()),
    OpSpec(
        "SelectV2",
        lambda x, y: tf.where(x > y, x, y),
        lambda x, y: np.where(x > y, x, y),
        broadcast(),
    ),
    OpSpec("Where", tf.where, np.argwhere, order=0),
    # fused gradient kernels, called directly: (y, dy)
    OpSpec("TanhGrad", transcendental.tanh_grad, lambda y, dy: dy * (1 - y * y), same(2)),
    OpSpec("SigmoidGrad", transcendental.sigmoid_grad, lambda y, dy: dy * y * (1 - y), same(2)),
    OpSpec("SqrtGrad", M.sqrt_grad, lambda y, dy: dy * 0.5 / y, same(2), domain=_positive()),
    OpSpec("RsqrtGrad", M.rsqrt_grad, lambda y, dy: -0.5 * dy * y**3, same(2)),
    OpSpec("ReciprocalGrad", M.reciprocal_grad, lambda y, dy: -dy * y * y, same(2)),
    OpSpec("ReluGrad", N._relu_grad, lambda y, dy: np.where(y > 0, dy, 0), same(2)),
    # -- casts, identity, complex ---------------------------------------------------------
    OpSpec("Cast", lambda x: tf.math.real(tf.cast(x, tf.complex128)), lambda x: x),
    OpSpec("Real", lambda x: tf.math.real(tf.cast(x, tf.complex128) * (1 + 2j)), lambda x: x),
    OpSpec("Imag", lambda x: tf.math.imag(tf.cast(x, tf.complex128) * (1 + 2j)), lambda x: 2 * x),
    OpSpec("Conj", lambda x: tf.math.imag(M._conj(tf.cast(x, tf.complex128) * 1j)), lambda x: -x),
    OpSpec("Identity", tf.identity, lambda x: x),
    OpSpec("StopGradient", tf.stop_gradient, lambda x: x, order=0),
    OpSpec("ReadVariableOp", tf.identity, custom=_var_read_check),
    OpSpec("OnesLike", ones_like_np, np.ones_like, order=0),
    OpSpec("ZerosLike", zeros_like_np, np.zeros_like, order=0),
    # -- comparisons and logic (no gradient) --------------------------------------------------
    OpSpec("Equal", tf.equal, np.equal, broadcast(), order=0),
    OpSpec("NotEqual", tf.not_equal, np.not_equal, broadcast(), order=0),
    OpSpec("Less", tf.less, np.less, broadcast(), order=0),
    OpSpec("LessEqual", tf.less_equal, np.less_equal, broadcast(), order=0),
    OpSpec("Greater", tf.greater, np.greater, broadcast(), order=0),
    OpSpec("GreaterEqual", tf.greater_equal, np.greater_equal, broadcast(), order=0),
    OpSpec("LogicalAnd", tf.logical_and, np.logical_and, broadcast(), order=0, dtype=np.bool_),
    OpSpec("LogicalOr", tf.logical_or, np.logical_or, broadcast(), order=0, dtype=np.bool_),
    OpSpec("LogicalXor", logic.logical_xor, np.logical_xor, broadcast(), order=0, dtype=np.bool_),
    OpSpec("LogicalNot", tf.logical_not, np.logical_not, order=0, dtype=np.bool_),
    OpSpec("BitwiseAnd", logic.bitwise_and, np.bitwise_and, broadcast(), order=0, dtype=np.int32),
    OpSpec("BitwiseOr", logic.bitwise_or, np.bitwise_or, broadcast(), order=0, dtype=np.int32),
    OpSpec("BitwiseXor", logic.bitwise_xor, np.bitwise_xor, broadcast(), order=0, dtype=np.int32),
    OpSpec("Invert", logic.invert, np.invert, order=0, dtype=np.int32),
    # -- reductions -------------------------------------------------------------------------
    OpSpec("Sum", lambda x: tf.reduce_sum(x, axis=-1), lambda x: np.sum(x, -1), unary(min_dims=1)),
    OpSpec(
        "Mean",
        lambda x: tf.reduce_mean(x, axis=0, keepdims=True),
        lambda x: np.mean(x, 0, keepdims=True),
        unary(min_dims=1, min_side=1),
    ),
    OpSpec(
        "Max",
        lambda x: tf.reduce_max(x, axis=-1),
        lambda x: np.max(x, -1),
        unary(min_dims=1, min_side=1),
    ),
    OpSpec("Min", tf.reduce_min, np.min, unary(min_side=1)),
    OpSpec(
        "Prod",
        lambda x: tf.reduce_prod(x, axis=0),
        lambda x: np.prod(x, 0),
        unary(min_dims=1),
        domain=_positive(),
    ),
    OpSpec(
        "Cumsum",
        lambda x: R.cumsum(x, axis=-1, exclusive=True),
        lambda x: np.cumsum(x, -1) - x,
        unary(min_dims=1),
    ),
    OpSpec(
        "Cumprod",
        lambda x: R.cumprod(x, axis=0, reverse=True),
        lambda x: np.flip(np.cumprod(np.flip(x, 0), 0), 0),
        unary(min_dims=1),
        domain=_positive(),
    ),
    OpSpec(
        "SumTo",
        lambda x: sum_to(x, shape=(1,) * (x.ndim - 1) + (x.shape[-1],)),
        lambda x: np.sum(x, tuple(range(x.ndim - 1)), keepdims=True),
        unary(min_dims=1),
    ),
    # -- shapes ---------------------------------------------------------------------------
    OpSpec("Reshape", lambda x: tf.reshape(x, [-1]), lambda x: x.reshape(-1)),
    OpSpec("Transpose", tf.transpose, np.transpose),
    OpSpec(
        "BroadcastTo",
        lambda x: tf.broadcast_to(x, (2, *x.shape)),
        lambda x: np.broadcast_to(x, (2, *x.shape)),
    ),
    OpSpec(
        "ConcatV2",
        lambda x, y: tf.concat([x, y], axis=0),
        lambda x, y: np.concatenate([x, y]),
        same(2, min_dims=1),
    ),
    OpSpec(
        "SplitV", lambda x: tf.split(x, [1, 2], axis=0), lambda x: np.split(x, [1]), fixed((3, 2))
    ),
    OpSpec(
        "Pack", lambda x, y: tf.stack([x, y], axis=-1), lambda x, y: np.stack([x, y], -1), same(2)
    ),
    OpSpec(
        "Unpack",
        lambda x: tf.unstack(x, axis=1),
        lambda x: list(np.moveaxis(x, 1, 0)),
        fixed((2, 3, 2)),
    ),
    OpSpec("Tile", lambda x: tf.tile(x, [2] * x.ndim), lambda x: np.tile(x, [2] * x.ndim)),
    OpSpec(
        "StridedSlice",
        lambda x: x[..., ::-2, None],
        lambda x: x[..., ::-2, None],
        unary(min_dims=1),
    ),
    OpSpec(
        "StridedSliceGrad",
        lambda dy: slicing._strided_slice_grad(
            dy, shape=(4, *dy.shape[1:]), key=slicing.strided_slice_key(slice(None, None, 2))
        ),
        lambda dy: np.stack([dy[0], 0 * dy[0], dy[1], 0 * dy[1]]),
        fixed((2, 3)),
    ),
    OpSpec(
        "GatherV2",
        lambda x: [
            tf.gather(x, [2, 0, 2], axis=1),
            tf.gather(x, [[1, 0, 1], [2, 2, 0]], axis=1, batch_dims=1),
        ],
        lambda x: [x[:, [2, 0, 2]], np.stack([x[0][[1, 0, 1]], x[1][[2, 2, 0]]])],
        fixed((2, 3, 2)),
    ),
    OpSpec(
        "UnsortedSegmentSum",
        lambda x: indexing.unsorted_segment_sum(x, [0, 2, 0], 3),
        lambda x: np.stack([x[0] + x[2], 0 * x[0], x[1]]),
        fixed((3, 2)),
    ),
    # -- linear algebra and nn ------------------------------------------------------------
    OpSpec("MatMul", tf.matmul, np.matmul, _matmul_shapes()),
    OpSpec("Relu", tf.nn.relu, lambda x: np.maximum(x, 0)),
    OpSpec(
        "Softmax",
        tf.nn.softmax,
        lambda x: np.exp(_np_log_softmax(x)),
        unary(min_dims=1, min_side=1),
    ),
    OpSpec("LogSoftmax", tf.nn.log_softmax, _np_log_softmax, unary(min_dims=1, min_side=1)),
    OpSpec("Softplus", tf.nn.softplus, lambda x: np.logaddexp(0, x)),
    OpSpec("Softsign", tf.nn.softsign, lambda x: x / (1 + np.abs(x))),
    # -- more elementwise math ------------------------------------------------------------
    OpSpec("Ceil", tf.math.ceil, np.ceil, order=0),
    OpSpec("Round", tf.round, np.round, order=0),
    OpSpec("Expm1", tf.math.expm1, np.expm1),
    OpSpec("Log1p", tf.math.log1p, np.log1p, domain=(-0.5, 2.0)),
    OpSpec("Asin", tf.asin, np.arcsin, domain=(-0.9, 0.9)),
    OpSpec("Acos", tf.acos, np.arccos, domain=(-0.9, 0.9)),
    OpSpec("Atan", tf.atan, np.arctan),
    OpSpec("Atan2", tf.atan2, np.arctan2, broadcast(), domain=_positive()),
    OpSpec("Sinh", tf.sinh, np.sinh),
    OpSpec("Cosh", tf.cosh, np.cosh),
    OpSpec("Asinh", tf.asinh, np.arcsinh),
    OpSpec("Acosh", tf.acosh, np.arccosh, domain=(1.2, 3.0)),
    OpSpec("Atanh", tf.atanh, np.arctanh, domain=(-0.9, 0.9)),
    OpSpec("IsNan", tf.math.is_nan, np.isnan, order=0),
    OpSpec("IsInf", tf.math.is_inf, np.isinf, order=0),
    OpSpec("IsFinite", tf.math.is_finite, np.isfinite, order=0),
    OpSpec("SquaredDifference", tf.math.squared_difference, lambda x, y: (x - y) ** 2, broadcast()),
    OpSpec("DivNoNan", tf.math.divide_no_nan, np.divide, broadcast(), domain=_positive()),
    OpSpec("MulNoNan", tf.math.multiply_no_nan, np.multiply, broadcast()),
    OpSpec("Xlogy", tf.math.xlogy, lambda x, y: x * np.log(y), broadcast(), domain=_positive()),
    OpSpec("Xdivy", tf.math.xdivy, np.divide, broadcast(), domain=_positive()),
    OpSpec("AddN", lambda x, y: tf.add_n([x, y, x]), lambda x, y: 2 * x + y, same(2)),
    # -- special functions (their NumPy references are the C library's, element by element;
    # digamma and polygamma are checked against TF's values in test_kinks_math.py)
    OpSpec("Erf", tf.math.erf, _np_elementwise(math.erf)),
    OpSpec("Erfc", tf.math.erfc, _np_elementwise(math.erfc)),
    OpSpec("Lgamma", tf.math.lgamma, _np_elementwise(math.lgamma), domain=_positive(0.5, 3.0)),
    OpSpec("Digamma", tf.math.digamma, domain=_positive(0.5, 3.0)),
    OpSpec("Polygamma", lambda x: tf.math.polygamma(1.0, x), domain=_positive(0.5, 3.0)),
    # -- more reductions ------------------------------------------------------------------
    OpSpec(
        "EuclideanNorm",
        lambda x: tf.math.reduce_euclidean_norm(x, axis=-1),
        lambda x: np.sqrt(np.sum(x * x, -1)),
        unary(min_dims=1, min_side=1),
    ),
    OpSpec(
        "Any",
        lambda x: tf.reduce_any(x, axis=-1),
        lambda x: np.any(x, -1),
        unary(min_dims=1),
        order=0,
        dtype=np.bool_,
    ),
    OpSpec("All", tf.reduce_all, np.all, order=0, dtype=np.bool_),
    OpSpec(
        "ArgMax",
        lambda x: tf.math.argmax(x, axis=-1),
        lambda x: np.argmax(x, -1),
        unary(min_dims=1, min_side=1),
        order=0,
    ),
    OpSpec("ArgMin", tf.math.argmin, lambda x: np.argmin(x, 0), unary(1, min_side=1), order=0),
    OpSpec(
        "TopKV2",
        lambda x: tf.math.top_k(x, k=2).values,
        _sorted_desc(2),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3).map(lambda s: (s,)),
    ),
    OpSpec("Unique", tf.unique, custom=_unique_check),
    OpSpec("AdjustContrastv2", tf.image.adjust_contrast, order=0, custom=_adjust_contrast_check),
    OpSpec(
        "UniqueWithCounts",
        lambda x: tf.unique_with_counts(tf.reshape(tf.round(x), [-1])).count,
        lambda x: np.unique(np.round(x).reshape(-1), return_counts=True)[1][
            np.argsort(np.unique(np.round(x).reshape(-1), return_index=True)[1])
        ],
        order=0,
    ),
    OpSpec(
        "SegmentSum",
        lambda x: tf.math.segment_sum(x, [0, 0, 2]),
        lambda x: np.stack([x[0] + x[1], 0 * x[0], x[2]]),
        fixed((3, 2)),
    ),
    OpSpec(
        "DenseBincount",
        lambda x: tf.math.bincount(tf.cast(x, tf.int32)),
        lambda x: np.bincount(x.astype(np.int64).reshape(-1)),
        domain=(0.0, 4.0),
        order=0,
    ),
    OpSpec("CheckNumerics", lambda x: tf.debugging.check_numerics(x, "checked"), lambda x: x),
]


# ---------------------------------------------------------------------------------------------
# Array ops: padding, slicing, scatter/gather by index tuples, diagonals, search


def _np_mirror_fold(g: np.ndarray, pads: list[tuple[int, int]], mode: str) -> np.ndarray:
    """The adjoint of np.pad(mode) by brute force: add each padded entry to its source."""
    shape = tuple(d - b - a for d, (b, a) in zip(g.shape, pads))
    sources = np.pad(np.arange(int(np.prod(shape))).reshape(shape), pads, mode=mode.lower())
    out = np.zeros(int(np.prod(shape)))
    np.add.at(out, sources.reshape(-1), g.reshape(-1))
    return out.reshape(shape)


def _np_scatter(shape: tuple[int, ...], rows: list[int], updates: np.ndarray) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, rows, updates)
    return out


def _np_diag(d: np.ndarray, k: int) -> np.ndarray:
    n = d.shape[-1] + abs(k)
    out = np.zeros((*d.shape[:-1], n, n))
    i = np.arange(d.shape[-1])
    out[..., i + max(-k, 0), i + max(k, 0)] = d
    return out


def _sorted_search(side: str) -> Callable[..., Any]:
    def fn(s: Any, v: Any) -> Any:
        return tf.searchsorted(tf.constant(np.sort(s.numpy(), -1)), v, side=side)

    return fn


def _np_search(side: str) -> Callable[..., Any]:
    def fn(s: np.ndarray, v: np.ndarray) -> np.ndarray:
        s = np.sort(s, -1)
        return np.stack([np.searchsorted(a, b, side=side) for a, b in zip(s, v)]).astype(np.int32)

    return fn


SPECS += [
    OpSpec(
        "PadV2",
        lambda x: tf.pad(x, [[1, 2]] * x.ndim, constant_values=0.5),
        lambda x: np.pad(x, [(1, 2)] * x.ndim, constant_values=0.5),
        unary(min_dims=1),
    ),
    OpSpec(
        "MirrorPad",
        lambda x: [
            tf.pad(x, [[1, 1]] * x.ndim, "REFLECT"),
            tf.pad(x, [[2, 0]] * x.ndim, "SYMMETRIC"),
        ],
        lambda x: [
            np.pad(x, [(1, 1)] * x.ndim, "reflect"),
            np.pad(x, [(2, 0)] * x.ndim, "symmetric"),
        ],
        unary(min_dims=1, min_side=2),
    ),
    OpSpec(
        "MirrorPadGrad",
        lambda g: [
            A._mirror_pad_grad(g, paddings=((2, 1), (0, 2)), mode="SYMMETRIC"),
            A._mirror_pad_grad(g, paddings=((1, 2), (1, 1)), mode="REFLECT"),
        ],
        lambda g: [
            _np_mirror_fold(g, [(2, 1), (0, 2)], "SYMMETRIC"),
            _np_mirror_fold(g, [(1, 2), (1, 1)], "REFLECT"),
        ],
        fixed((6, 5)),
    ),
    OpSpec("Slice", lambda x: tf.slice(x, [1, 0], [2, -1]), lambda x: x[1:3], fixed((3, 4))),
    OpSpec(
        "ReverseV2",
        lambda x: tf.reverse(x, [0, -1]),
        lambda x: x[::-1, ..., ::-1],
        unary(min_dims=2),
    ),
    OpSpec(
        "Roll",
        lambda x: tf.roll(x, [1, -2, 1], [0, 1, 0]),
        lambda x: np.roll(x, [2, -2], [0, 1]),
        unary(min_dims=2),
    ),
    OpSpec(
        "GatherNd",
        lambda x: tf.gather_nd(x, [[0, 1], [2, 3], [0, 1]]),
        lambda x: x[[0, 2, 0], [1, 3, 1]],
        fixed((3, 4, 2)),
    ),
    OpSpec(
        "ScatterNd",
        lambda u: tf.scatter_nd([[1], [1], [3]], u, [4, 2]),
        lambda u: _np_scatter((4, 2), [1, 1, 3], u),
        fixed((3, 2)),
    ),
    OpSpec(
        "TensorScatterUpdate",
        lambda t, u: tf.tensor_scatter_nd_update(t, [[0], [2]], u),
        lambda t, u: np.stack([u[0], t[1], u[1], t[3]]),
        fixed((4, 2), (2, 2)),
    ),
    OpSpec(
        "TensorScatterAdd",
        lambda t, u: tf.tensor_scatter_nd_add(t, [[1], [1]], u),
        lambda t, u: t + _np_scatter(t.shape, [1, 1], u),
        fixed((4, 2), (2, 2)),
    ),
    OpSpec(
        "OneHot",
        lambda x: tf.one_hot([0, 2, 5], 3, on_value=x, off_value=-x),
        lambda x: np.where(np.eye(3)[[0, 2, 1]] * [[1], [1], [0]] == 1, x, -x),
        fixed(()),
        order=0,
    ),
    OpSpec(
        "LowerBound", _sorted_search("left"), _np_search("left"), fixed((2, 4), (2, 3)), order=0
    ),
    OpSpec(
        "UpperBound", _sorted_search("right"), _np_search("right"), fixed((2, 4), (2, 3)), order=0
    ),
    OpSpec(
        "MatrixDiagV3",
        lambda x: tf.linalg.diag(x, k=-1),
        lambda x: _np_diag(x, -1),
        unary(min_dims=1),
    ),
    OpSpec(
        "MatrixDiagPartV3",
        lambda x: tf.linalg.diag_part(x, k=1),
        lambda x: np.diagonal(x, offset=1, axis1=-2, axis2=-1),
        unary(min_dims=2, min_side=2),
    ),
    OpSpec(
        "MatrixBandPart",
        lambda x: tf.linalg.band_part(x, 1, 0),
        lambda x: np.tril(np.triu(x, -1)),
        unary(min_dims=2, min_side=1),
    ),
]


# ---------------------------------------------------------------------------------------------
# Linear algebra: inputs made well conditioned inside each row, so central differences
# are valid (diagonally dominant for inverses and solves, SPD for Cholesky, well separated
# singular values and eigenvalues for SVD and eigh)


def _dominant(x: Any) -> Any:
    n = x.shape[-1]
    return x + 2.0 * n * np.eye(n)


def _spd(x: Any) -> Any:
    n = x.shape[-1]
    return tf.matmul(x, x, transpose_b=True) + n * np.eye(n)


def _np_spd(x: np.ndarray) -> np.ndarray:
    return x @ np.swapaxes(x, -1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def _spread(x: Any) -> Any:
    """x plus a big, well-spread diagonal: distinct singular values / eigenvalues."""
    m, n = x.shape[-2:]
    return x + 10.0 * np.eye(m, n) * np.arange(1, n + 1)


def _signs(u: Any) -> Any:
    """Column signs making the first row of u non-negative (fixes SVD/eigh's sign freedom)."""
    return np.sign(np.asarray(u)[..., :1, :])


def _svd_row(x: Any) -> list[Any]:
    a = _spread(x)
    s, u, v = tf.linalg.svd(a)
    sign = tf.stop_gradient(tf.sign(u[..., :1, :]))
    return [tf.linalg.svd(a, compute_uv=False), s, u * sign, v * sign]


def _np_svd_row(x: np.ndarray) -> list[np.ndarray]:
    u, s, vh = np.linalg.svd(_spread(x), full_matrices=False)
    v = np.swapaxes(vh, -1, -2)
    return [s, s, u * _signs(u), v * _signs(u)]


def _eigh_row(x: Any) -> list[Any]:
    e, v = tf.linalg.eigh(_spread(x + tf.transpose(x, [0, 2, 1])))
    return [e, v * tf.stop_gradient(tf.sign(v[..., :1, :]))]


def _np_eigh_row(x: np.ndarray) -> list[np.ndarray]:
    e, v = np.linalg.eigh(_spread(x + np.swapaxes(x, -1, -2)))
    return [e, v * _signs(v)]


SPECS += [
    OpSpec(
        "Einsum",
        lambda a, b: [
            tf.einsum("bij,bjk->bik", a, b),
            tf.einsum("bii->b", a),
            tf.einsum("...ij,...ik", a, b),
            tf.einsum("bij,bjk,bkl->il", a, a, b),
        ],
        lambda a, b: [
            np.einsum("bij,bjk->bik", a, b),
            np.einsum("bii->b", a),
            np.einsum("...ij,...ik->...jk", a, b),
            np.einsum("bij,bjk,bkl->il", a, a, b),
        ],
        fixed((2, 3, 3), (2, 3, 2)),
    ),
    OpSpec(
        "MatrixInverse",
        lambda x: [tf.linalg.inv(_dominant(x)), tf.linalg.inv(_dominant(x), adjoint=True)],
        lambda x: [np.linalg.inv(_dominant(x)), np.linalg.inv(np.swapaxes(_dominant(x), -1, -2))],
        fixed((2, 3, 3)),
    ),
    OpSpec(
        "MatrixDeterminant",
        lambda x: tf.linalg.det(_dominant(x)),
        lambda x: np.linalg.det(_dominant(x)),
        fixed((2, 3, 3)),
    ),
    OpSpec(
        "LogMatrixDeterminant",
        lambda x: tf.linalg.slogdet(_dominant(x) - 4.0 * np.eye(3)),
        lambda x: tuple(np.linalg.slogdet(_dominant(x) - 4.0 * np.eye(3))),
        fixed((2, 3, 3)),
        domain=(-0.5, 0.5),  # negative determinants too: the sign is -1 there
    ),
    OpSpec(
        "MatrixSolve",
        lambda a, b: [
            tf.linalg.solve(_dominant(a), b),
            tf.linalg.solve(_dominant(a), b, adjoint=True),
        ],
        lambda a, b: [
            np.linalg.solve(_dominant(a), b),
            np.linalg.solve(np.swapaxes(_dominant(a), -1, -2), b),
        ],
        fixed((2, 3, 3), (2, 3, 2)),
    ),
    OpSpec(
        "MatrixTriangularSolve",
        lambda a, b: [
            tf.linalg.triangular_solve(_dominant(a), b),
            tf.linalg.triangular_solve(_dominant(a), b, lower=False, adjoint=True),
        ],
        lambda a, b: [
            np.linalg.solve(np.tril(_dominant(a)), b),
            np.linalg.solve(np.swapaxes(np.triu(_dominant(a)), -1, -2), b),
        ],
        fixed((2, 3, 3), (2, 3, 2)),
    ),
    OpSpec(
        "Cholesky",
        lambda x: tf.linalg.cholesky(_spd(x)),
        lambda x: np.linalg.cholesky(_np_spd(x)),
        fixed((2, 3, 3)),
    ),
    OpSpec(
        "Qr",
        lambda a, b: [*tf.linalg.qr(_spread(a)), *tf.linalg.qr(_spread(b))],
        lambda a, b: [*np.linalg.qr(_spread(a)), *np.linalg.qr(_spread(b))],
        fixed((2, 4, 3), (3, 4)),  # tall (batched) and wide
    ),
    OpSpec("Svd", _svd_row, _np_svd_row, fixed((2, 4, 3))),
    OpSpec("SelfAdjointEigV2", _eigh_row, _np_eigh_row, fixed((2, 3, 3))),
]


# ---------------------------------------------------------------------------------------------
# nn: activations and their fused gradient kernels, losses, bias, conv and pooling


def _np_pool(x: np.ndarray, k: int, s: int, same: bool, how: str) -> np.ndarray:
    """Naive NHWC pooling, one window at a time (SAME: windows clipped to the input)."""
    n, h, w, c = x.shape
    oh, ow = (-(-h // s), -(-w // s)) if same else ((h - k) // s + 1, (w - k) // s + 1)
    top = max((oh - 1) * s + k - h, 0) // 2 if same else 0
    left = max((ow - 1) * s + k - w, 0) // 2 if same else 0
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - top, j * s - left
            win = x[:, max(r0, 0) : r0 + k, max(c0, 0) : c0 + k]
            out[:, i, j] = win.max(axis=(1, 2)) if how == "max" else win.mean(axis=(1, 2))
    return out


def _np_max_pool_grad(x: np.ndarray, g: np.ndarray, k: int, s: int) -> np.ndarray:
    """VALID max pooling's gradient: each window's upstream to its first maximum."""
    out = np.zeros_like(x)
    n, oh, ow, c = g.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    win = x[b, i * s : i * s + k, j * s : j * s + k, ch]
                    r, q = np.unravel_index(np.argmax(win), win.shape)
                    out[b, i * s + r, j * s + q, ch] += g[b, i, j, ch]
    return out


def _np_max_pool_grad_grad(x: np.ndarray, g: np.ndarray, k: int, s: int) -> np.ndarray:
    """The upstream (shaped like x) read at each window's first maximum."""
    n, h, w, c = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, oh, ow, c))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    win = x[b, i * s : i * s + k, j * s : j * s + k, ch]
                    r, q = np.unravel_index(np.argmax(win), win.shape)
                    out[b, i, j, ch] = g[b, i * s + r, j * s + q, ch]
    return out


def _np_avg_pool_grad(g: np.ndarray, shape: tuple[int, ...], k: int, s: int) -> np.ndarray:
    """SAME average pooling's gradient, window by window."""
    h, w = shape[1:3]
    oh, ow = g.shape[1:3]
    top = max((oh - 1) * s + k - h, 0) // 2
    left = max((ow - 1) * s + k - w, 0) // 2
    out = np.zeros(shape)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - top, j * s - left
            rows = slice(max(r0, 0), r0 + k)
            cols = slice(max(c0, 0), c0 + k)
            count = out[:, rows, cols].shape[1] * out[:, rows, cols].shape[2]
            out[:, rows, cols] += g[:, i : i + 1, j : j + 1] / count
    return out


_CONV = {"strides": (1, 2, 1, 1), "padding": "SAME", "explicit_paddings": (), "dilations": (1,) * 4}
_POOL = {"ksize": (1, 2, 2, 1), "strides": (1, 2, 2, 1), "padding": "VALID"}


def _np_conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return conv2d_numpy_reference(x, w, (2, 1), "SAME")[0]


def _np_conv_backward(x: np.ndarray, w: np.ndarray, dy: np.ndarray) -> tuple[Any, Any]:
    return conv2d_numpy_reference_backward(dy, conv2d_numpy_reference(x, w, (2, 1), "SAME")[1])


def _softmax_rows(z: Any) -> Any:
    return tf.nn.softmax(z)  # a valid distribution per row, as the labels must be


def _np_softmax_ce(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    p = np.exp(_np_log_softmax(z))
    return -np.sum(p * _np_log_softmax(x), axis=-1)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _np_gelu(x: np.ndarray) -> np.ndarray:
    return x * 0.5 * (1 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2)))


SPECS += [
    OpSpec("Relu6", tf.nn.relu6, lambda x: np.clip(x, 0, 6), domain=(-2.0, 8.0)),
    OpSpec(
        "Relu6Grad",
        N._relu6_grad,
        lambda g, x: np.where((x > 0) & (x < 6), g, 0),
        same(2),
        domain=(-2.0, 8.0),
    ),
    OpSpec(
        "LeakyRelu",
        lambda x: [tf.nn.leaky_relu(x), tf.nn.leaky_relu(x, alpha=0.5)],
        lambda x: [np.where(x > 0, x, 0.2 * x), np.where(x > 0, x, 0.5 * x)],
    ),
    OpSpec(
        "LeakyReluGrad",
        N._leaky_relu_grad,
        lambda g, x: np.where(x > 0, g, 0.2 * g),
        same(2),
    ),
    OpSpec("Elu", tf.nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    OpSpec(
        "EluGrad",
        N._elu_grad,
        lambda g, y: np.where(y < 0, g * (y + 1), g),
        same(2),
        domain=(-0.9, 2.0),
    ),
    OpSpec(
        "Selu",
        tf.nn.selu,
        lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
    ),
    OpSpec(
        "SeluGrad",
        N._selu_grad,
        lambda g, y: np.where(y < 0, g * (y + SELU_S * SELU_A), g * SELU_S),
        same(2),
        domain=(-1.5, 2.0),
    ),
    OpSpec("Gelu", tf.nn.gelu, _np_gelu),
    OpSpec(
        "GeluGrad",
        N._gelu_grad,
        lambda g, x: g * (_np_gelu(x) / x + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
        same(2),
        domain=(0.5, 2.0),  # the reference divides by x
    ),
    OpSpec("L2Loss", tf.nn.l2_loss, lambda x: np.sum(x * x) / 2),
    OpSpec(
        "BiasAdd",
        lambda v, b: [tf.nn.bias_add(v, b[0]), tf.nn.bias_add(v, b[1], data_format="NCHW")],
        lambda v, b: [v + b[0], v + b[1][:, None]],
        fixed((2, 3, 3), (2, 3)),
    ),
    OpSpec(
        "BiasAddGrad",
        lambda g: [N._bias_add_grad(g), N._bias_add_grad(g, data_format="NCHW")],
        lambda g: [g.sum(axis=(0, 1)), g.sum(axis=(0, 2))],
        fixed((2, 3, 4)),
    ),
    OpSpec(
        "SigmoidCrossEntropyWithLogits",
        lambda x, z: tf.nn.sigmoid_cross_entropy_with_logits(tf.sigmoid(z), x),
        lambda x, z: (
            -(
                (p := 1 / (1 + np.exp(-z))) * np.log(1 / (1 + np.exp(-x)))
                + (1 - p) * np.log(1 - 1 / (1 + np.exp(-x)))
            )
        ),
        same(2),
    ),
    OpSpec(
        "SoftmaxCrossEntropyWithLogits",
        lambda x, z: [
            tf.nn.softmax_cross_entropy_with_logits(_softmax_rows(z), x),
            tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(z, axis=0), x, axis=0),
        ],
        lambda x, z: [
            _np_softmax_ce(x, z),
            _np_softmax_ce(x.T, z.T),
        ],
        fixed((3, 4), (3, 4)),
    ),
    OpSpec(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits([[1, 0, 3], [2, 2, 0]], x),
        lambda x: (
            -np.take_along_axis(
                _np_log_softmax(x), np.array([[1, 0, 3], [2, 2, 0]])[..., None], -1
            )[..., 0]
        ),
        fixed((2, 3, 4)),
    ),
    OpSpec(
        "Conv2D",
        lambda x, w: tf.nn.conv2d(x, w, [2, 1], "SAME"),
        _np_conv,
        fixed((2, 5, 4, 2), (3, 2, 2, 3)),
    ),
    OpSpec(
        "Conv2DBackpropInput",
        lambda w, dy: conv._conv2d_backprop_input(w, dy, input_sizes=(2, 5, 4, 2), **_CONV),
        lambda w, dy: _np_conv_backward(np.zeros((2, 5, 4, 2)), w, dy)[0],
        fixed((3, 2, 2, 3), (2, 3, 4, 3)),
    ),
    OpSpec(
        "Conv2DBackpropFilter",
        lambda x, dy: conv._conv2d_backprop_filter(x, dy, filter_sizes=(3, 2, 2, 3), **_CONV),
        lambda x, dy: _np_conv_backward(x, np.zeros((3, 2, 2, 3)), dy)[1],
        fixed((2, 5, 4, 2), (2, 3, 4, 3)),
    ),
    OpSpec(
        "MaxPool",
        lambda x: [tf.nn.max_pool2d(x, 2, 2, "VALID"), tf.nn.max_pool2d(x, 3, 2, "SAME")],
        lambda x: [_np_pool(x, 2, 2, False, "max"), _np_pool(x, 3, 2, True, "max")],
        fixed((2, 5, 5, 2)),
    ),
    OpSpec(
        "MaxPoolGrad",
        lambda x, g: pooling._max_pool_grad(x, pooling._max_pool(x, **_POOL), g, **_POOL),
        lambda x, g: _np_max_pool_grad(x, g, 2, 2),
        fixed((1, 4, 5, 2), (1, 2, 2, 2)),
    ),
    OpSpec(
        "MaxPoolGradGrad",
        lambda x, g: pooling._max_pool_grad_grad(x, pooling._max_pool(x, **_POOL), g, **_POOL),
        lambda x, g: _np_max_pool_grad_grad(x, g, 2, 2),
        fixed((1, 4, 5, 2), (1, 4, 5, 2)),
    ),
    OpSpec(
        "AvgPool",
        lambda x: [tf.nn.avg_pool2d(x, 2, 2, "VALID"), tf.nn.avg_pool2d(x, 3, 2, "SAME")],
        lambda x: [_np_pool(x, 2, 2, False, "avg"), _np_pool(x, 3, 2, True, "avg")],
        fixed((2, 5, 5, 2)),
    ),
    OpSpec(
        "AvgPoolGrad",
        lambda g: pooling._avg_pool_grad(
            g,
            orig_input_shape=(2, 5, 5, 2),
            ksize=(1, 3, 3, 1),
            strides=(1, 2, 2, 1),
            padding="SAME",
        ),
        lambda g: _np_avg_pool_grad(g, (2, 5, 5, 2), 3, 2),
        fixed((2, 3, 3, 2)),
    ),
]


SPECS += [
    # random: the values are random, so only "runs, and has no gradient" is checked here;
    # tests/test_random.py checks it is a permutation and reproducible
    OpSpec("RandomShuffle", tf.random.shuffle, shapes=unary(min_dims=1), order=0),
    OpSpec("TruncatedNormal", lambda x: tf.random.truncated_normal(tf.shape(x)), order=0),
    OpSpec("RandomUniform", lambda x: tf.random.uniform(tf.shape(x), -1.0, 2.0), order=0),
    OpSpec("RandomUniformInt", lambda x: tf.random.uniform([3], 0, 5, tf.int32), order=0),
]


def _draws_check(arrays: list[np.ndarray]) -> None:
    """The draw ops' distributions, and their tensor-valued scales and bounds get gradients."""
    tf.random.set_seed(7)
    n = tf.random.normal([20000], mean=1.0, stddev=2.0, dtype=tf.float64).numpy()
    t = tf.random.truncated_normal([20000], stddev=2.0).numpy()
    u = tf.random.uniform([20000], -1.0, 3.0).numpy()
    i = tf.random.uniform([20000], 2, 5, tf.int32).numpy()
    full = tf.random.Generator.from_seed(1).uniform([1000], dtype=tf.int8, minval=None, maxval=None)
    assert n.dtype == np.float64 and abs(n.mean() - 1) < 0.1 and abs(n.std() - 2) < 0.1
    assert t.dtype == np.float32 and np.abs(t).max() <= 4.0 and abs(t.std() - 1.76) < 0.1
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.1
    assert i.dtype == np.int32 and set(np.unique(i)) == {2, 3, 4}
    assert full.numpy().min() < -100 and full.numpy().max() > 100  # int8's whole range
    scale, low = tf.constant(2.0), tf.constant(1.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([scale, low])
        x = tf.random.normal([5], stddev=scale, seed=3)
        y = tf.random.uniform([5], low, 4.0, seed=3)
        sx, sy = tf.reduce_sum(x), tf.reduce_sum(y)
    np.testing.assert_allclose(float(tape.gradient(sx, scale)), float(tf.reduce_sum(x / scale)))
    np.testing.assert_allclose(float(tape.gradient(sy, low)), float(tf.reduce_sum((4 - y) / 3)))


SPECS += [OpSpec("RandomStandardNormal", tf.random.normal, custom=_draws_check)]


def _shape_ops_check(arrays: list[np.ndarray]) -> None:
    """tf.shape/tf.size of a value-dependent shape are ops (so a traced graph computes them)."""

    @tf.function
    def shape_and_size(x):
        kept = tf.where(x > 0)
        return tf.shape(kept), tf.size(kept, out_type=tf.int64)

    for x, n in [([1.0, -2.0, 3.0], 2), ([5.0, 6.0, 7.0], 3)]:
        s, size = shape_and_size(tf.constant(x))
        assert s.numpy().tolist() == [n, 1] and size.dtype == tf.int64 and int(size) == n
    assert shape_and_size.eager_reason(tf.constant([1.0, 2.0, 3.0])) is None


SPECS += [
    OpSpec("Shape", tf.shape, custom=_shape_ops_check),
    OpSpec("Size", tf.size, custom=_shape_ops_check),
]
