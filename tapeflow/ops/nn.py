"""Neural-network ops: activations (relu, softmax and its family, elu, gelu, ...), moments,
batch normalization, bias_add, embedding_lookup and dropout.

Losses are in `losses.py`, convolution in `conv.py`, pooling in `pooling.py`; `tf.nn` gathers
all four.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import FLOATS, op, require_dtype
from tapeflow.ops import math as _math
from tapeflow.ops.array import _reshape, concat, like_dtype
from tapeflow.ops.indexing import gather
from tapeflow.ops.logic import greater, greater_equal, less
from tapeflow.ops.math import (
    cast,
    grad_times,
    maximum,
    multiply,
    negative,
    realdiv,
    rsqrt,
    sqrt,
    square,
    subtract,
    where,
)
from tapeflow.ops.random import uniform
from tapeflow.ops.reduce import _mean, _sum, normalize_axis
from tapeflow.ops.transcendental import exp, sigmoid, tanh
from tapeflow.tape import _broadcast_to, add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "relu",
    "softmax",
    "log_softmax",
    "sigmoid",
    "softplus",
    "softsign",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "moments",
    "batch_normalization",
    "bias_add",
    "embedding_lookup",
    "dropout",
]


@op("Relu")
def relu(features: Any) -> Any:
    return np.maximum(features, 0)


@op("ReluGrad")
def _relu_grad(y: Any, dy: Any) -> Any:
    # as TF's kernel: dy * (y > 0) (a multiply by a mask is ~10x cheaper than np.where)
    return dy * (y > 0)


@relu.defvjp(batched=True)
def _relu_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # TF: the gradient at exactly 0 is 0
    return (_relu_grad(out, grad),)


@_relu_grad.defvjp(batched=True)
def _relu_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # ReluGrad is linear in dy and flat in y
    return None, _relu_grad(y, grad)


def _softmax_np(logits: Any, axis: int) -> Any:
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(shifted)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


@op("Softmax")
def _softmax(logits: Any, *, axis: int = -1) -> Any:
    return _softmax_np(logits, axis)


@_softmax.defvjp(batched=True)
def _softmax_vjp(grad: Tensor, out: Tensor, logits: Tensor, *, axis: int) -> tuple[Any]:
    # d softmax: s * (g - sum(g * s))
    ax = axis % out.ndim + grad.ndim - out.ndim  # after any batch axes of grad
    inner = _sum(grad_times(grad, out), axis=(ax,), keepdims=True)
    return (multiply(out, subtract(grad, inner)),)


def softmax(logits: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """exp(logits) / sum(exp(logits)) along `axis` (the last one by default), computed stably.

    >>> import tapeflow as tf
    >>> tf.nn.softmax([0.0, 0.0]).numpy().tolist()
    [0.5, 0.5]
    """
    x = convert_to_tensor(logits) if not hasattr(logits, "_value") else logits
    (ax,) = normalize_axis(-1 if axis is None else axis, np.ndim(x._value), "Softmax") or (-1,)
    return _softmax(x, axis=ax)


@op("LogSoftmax")
def _log_softmax(logits: Any, *, axis: int = -1) -> Any:
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@_log_softmax.defvjp(batched=True)
def _log_softmax_vjp(grad: Tensor, out: Tensor, logits: Tensor, *, axis: int) -> tuple[Any]:
    # d log_softmax: g - softmax * sum(g)
    from tapeflow.ops.transcendental import exp

    ax = axis % out.ndim + grad.ndim - out.ndim  # after any batch axes of grad
    total = _sum(grad, axis=(ax,), keepdims=True)
    return (subtract(grad, multiply(exp(out), total)),)


def log_softmax(logits: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """log(softmax(logits)), computed stably."""
    x = convert_to_tensor(logits) if not hasattr(logits, "_value") else logits
    (ax,) = normalize_axis(-1 if axis is None else axis, np.ndim(x._value), "LogSoftmax") or (-1,)
    return _log_softmax(x, axis=ax)


@op("Softplus")
def softplus(features: Any) -> Any:
    # log(1 + e^x) without overflow: x + log1p(e^-x) for large x, e^x for very negative x
    require_dtype(features, "Softplus", FLOATS)
    return np.logaddexp(np.zeros((), features.dtype), features)


@softplus.defvjp(batched=True)
def _softplus_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # d softplus x = sigmoid x (finite for any x)
    return (grad_times(grad, sigmoid(features)),)


@op("Softsign")
def softsign(features: Any) -> Any:
    require_dtype(features, "Softsign", FLOATS)
    return features / (1 + np.abs(features))


@softsign.defvjp(batched=True)
def _softsign_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # d x / (1 + |x|) = 1 / (1 + |x|)^2
    return (realdiv(grad, square(add(_math.abs(features), 1))),)


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x)


def _floating(x: Any, op_type: str) -> Tensor:
    t = _tensor(x)
    if t._value.dtype.kind != "f":
        raise InvalidArgumentError(
            f"Value for attr 'T' of {t.dtype.name} is not in the list of allowed values: half, "
            f"bfloat16, float, double [Op:{op_type}]"
        )
    return t


# ---------------------------------------------------------------------------------------------
# Activations


@op("Relu6")
def _relu6(features: Any) -> Any:
    return np.clip(features, 0, 6)


@op("Relu6Grad")
def _relu6_grad(gradients: Any, features: Any) -> Any:
    inside = (features > 0) & (features < 6)
    return np.where(inside, gradients, np.zeros((), gradients.dtype))[()]


@_relu6.defvjp(batched=True)
def _relu6_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # 1 strictly between 0 and 6; TF: 0 at both kinks
    return (_relu6_grad(grad, features),)


@_relu6_grad.defvjp(batched=True)
def _relu6_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, features: Tensor) -> tuple[Any, Any]:
    # linear in the upstream, flat in the features
    return _relu6_grad(grad, features), None


def relu6(features: Any, name: str | None = None) -> Tensor:
    """min(max(features, 0), 6).

    >>> import tapeflow as tf
    >>> tf.nn.relu6([-1.0, 3.0, 8.0]).numpy().tolist()
    [0.0, 3.0, 6.0]
    """
    return _relu6(features)


@op("LeakyRelu")
def _leaky_relu(features: Any, *, alpha: float = 0.2) -> Any:
    return np.where(features > 0, features, features * np.asarray(alpha, features.dtype))[()]


@op("LeakyReluGrad")
def _leaky_relu_grad(gradients: Any, features: Any, *, alpha: float = 0.2) -> Any:
    return np.where(features > 0, gradients, gradients * np.asarray(alpha, gradients.dtype))[()]


@_leaky_relu.defvjp(batched=True)
def _leaky_relu_vjp(grad: Tensor, out: Tensor, x: Tensor, *, alpha: float) -> tuple[Any]:
    # 1 for x > 0, alpha otherwise (TF: alpha at 0)
    return (_leaky_relu_grad(grad, x, alpha=alpha),)


@_leaky_relu_grad.defvjp(batched=True)
def _leaky_relu_grad_vjp(
    grad: Tensor, out: Tensor, g: Tensor, x: Tensor, *, alpha: float
) -> tuple[Any, Any]:
    # linear in the upstream, flat in the features
    return _leaky_relu_grad(grad, x, alpha=alpha), None


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """x for x > 0, alpha * x otherwise; integers are computed in float32, as in TF.

    >>> import tapeflow as tf
    >>> tf.nn.leaky_relu([-1.0, 2.0]).numpy().tolist()
    [-0.20000000298023224, 2.0]
    """
    x = _tensor(features)
    if x._value.dtype.kind in "iu":
        x = cast(x, dtypes.float32)
    return _leaky_relu(x, alpha=float(alpha))


@op("Elu")
def _elu(features: Any) -> Any:
    return np.where(features > 0, features, np.expm1(np.minimum(features, 0)))[()]


@op("EluGrad")
def _elu_grad(gradients: Any, outputs: Any) -> Any:
    return np.where(outputs < 0, gradients * (outputs + 1), gradients)[()]


@_elu.defvjp(batched=True)
def _elu_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d elu = 1 for x > 0, e^x = elu(x) + 1 below (TF: 1 at 0)
    return (_elu_grad(grad, out),)


@_elu_grad.defvjp(batched=True)
def _elu_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, y: Tensor) -> tuple[Any, Any]:
    # EluGrad = g (y + 1) where y < 0: d/dg is EluGrad again, d/dy = g there
    return _elu_grad(grad, y), where(less(y, 0), grad_times(grad, g), 0)


def elu(features: Any, name: str | None = None) -> Tensor:
    """x for x > 0, exp(x) - 1 otherwise.

    >>> import tapeflow as tf
    >>> tf.nn.elu([0.0, 2.0]).numpy().tolist()
    [0.0, 2.0]
    """
    return _elu(_floating(features, "Elu"))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@op("Selu")
def _selu(features: Any) -> Any:
    neg = _SELU_SCALE * _SELU_ALPHA * np.expm1(np.minimum(features, 0))
    return np.where(features > 0, _SELU_SCALE * features, neg).astype(features.dtype)[()]


@op("SeluGrad")
def _selu_grad(gradients: Any, outputs: Any) -> Any:
    below = gradients * (outputs + _SELU_SCALE * _SELU_ALPHA)
    return np.where(outputs < 0, below, gradients * _SELU_SCALE).astype(gradients.dtype)[()]


@_selu.defvjp(batched=True)
def _selu_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d selu = scale for x > 0, y + scale * alpha below (TF: scale at 0)
    return (_selu_grad(grad, out),)


@_selu_grad.defvjp(batched=True)
def _selu_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, y: Tensor) -> tuple[Any, Any]:
    # SeluGrad = g (y + scale alpha) where y < 0: d/dg is SeluGrad again, d/dy = g there
    return _selu_grad(grad, y), where(less(y, 0), grad_times(grad, g), 0)


def selu(features: Any, name: str | None = None) -> Tensor:
    """Scaled ELU: scale * x for x > 0, scale * alpha * (exp(x) - 1) otherwise.

    >>> import tapeflow as tf
    >>> round(float(tf.nn.selu(1.0)), 6)
    1.050701
    """
    return _selu(_floating(features, "Selu"))


_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; math.erf is exact and vectorizes


def _phi_cdf(x: Any) -> Any:
    erf = np.asarray(_erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)), dtype=np.float64)
    return 0.5 * (1.0 + erf)


@op("Gelu")
def _gelu(features: Any) -> Any:
    # tapeflow's fused op (TF composes erf): x * Phi(x)
    return (features * _phi_cdf(features)).astype(features.dtype)[()]


@op("GeluGrad")
def _gelu_grad(gradients: Any, features: Any) -> Any:
    x = np.asarray(features, dtype=np.float64)
    density = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return (gradients * (_phi_cdf(x) + x * density)).astype(gradients.dtype)[()]


@_gelu.defvjp(batched=True)
def _gelu_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d gelu = Phi(x) + x phi(x)
    return (_gelu_grad(grad, x),)


@_gelu_grad.defvjp(batched=True)
def _gelu_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, x: Tensor) -> tuple[Any, Any]:
    # d/dx (Phi + x phi) = phi (2 - x^2); linear in the upstream
    density = multiply(exp(multiply(square(x), -0.5)), 1.0 / math.sqrt(2.0 * math.pi))
    curvature = multiply(density, subtract(2.0, square(x)))
    return _gelu_grad(grad, x), grad_times(grad, multiply(g, curvature))


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Tensor:
    """Gaussian error linear unit: x * Phi(x) (the normal CDF), or with `approximate=True`
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    >>> import tapeflow as tf
    >>> round(float(tf.nn.gelu(1.0)), 6), round(float(tf.nn.gelu(1.0, approximate=True)), 6)
    (0.841345, 0.841192)
    """
    x = _tensor(features)
    if x._value.dtype.kind != "f":
        raise ValueError(
            f"`features.dtype` must be a floating point tensor.Received:features.dtype={x.dtype!r}"
        )
    if not approximate:
        return _gelu(x)
    inner = multiply(add(x, multiply(multiply(square(x), x), 0.044715)), 0.7978845608028654)
    return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))


def silu(features: Any, beta: Any = 1.0) -> Tensor:
    """x * sigmoid(beta * x) (also called swish).

    >>> import tapeflow as tf
    >>> round(float(tf.nn.silu(1.0)), 6)
    0.731059
    """
    x = _floating(features, "Silu")
    if isinstance(beta, (int, float)) and beta == 1.0:
        return multiply(x, sigmoid(x))
    return multiply(x, sigmoid(multiply(beta, x)))


swish = silu


# ---------------------------------------------------------------------------------------------
# Moments, normalization, bias_add


def moments(
    x: Any, axes: Any, shift: Any = None, keepdims: bool = False, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """Mean and variance of `x` over `axes`.

    >>> import tapeflow as tf
    >>> [t.numpy().tolist() for t in tf.nn.moments(tf.constant([[1.0, 2.0], [3.0, 5.0]]), [0])]
    [[2.0, 3.5], [1.0, 2.25]]
    """
    t = _tensor(x)
    axis = normalize_axis(axes, t.ndim, "Mean")
    y = cast(t, dtypes.float32) if t._value.dtype == np.float16 else t
    mean = _mean(y, axis=axis, keepdims=True)
    # Deliberate difference: TF stops the gradient through the mean here. First derivatives
    # agree (the deviations sum to zero), but TF's second derivatives of the variance are wrong.
    variance = _mean(square(subtract(y, mean)), axis=axis, keepdims=True)
    if not keepdims:
        mean = _reshape(mean, shape=_mean(y, axis=axis)._value.shape)
        variance = _reshape(variance, shape=mean._value.shape)
    if y is not t:
        mean, variance = cast(mean, t.dtype), cast(variance, t.dtype)
    return mean, variance


def batch_normalization(
    x: Any,
    mean: Any,
    variance: Any,
    offset: Any,
    scale: Any,
    variance_epsilon: Any,
    name: str | None = None,
) -> Tensor:
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset (scale and offset may be
    None).

    >>> import tapeflow as tf
    >>> tf.nn.batch_normalization(tf.constant([1.0, 3.0]), 2.0, 1.0, None, None, 0.0).numpy()
    array([-1.,  1.], dtype=float32)
    """
    xt = _tensor(x)
    inv = rsqrt(add(variance, variance_epsilon))
    if scale is not None:
        inv = multiply(inv, scale)
    shift = (
        negative(multiply(mean, inv)) if offset is None else subtract(offset, multiply(mean, inv))
    )
    # as TF: the statistics (Python floats become float32) are cast to x's dtype
    return add(multiply(xt, cast(inv, xt.dtype)), cast(shift, xt.dtype))


def _channel_axis(ndim: int, data_format: str) -> int:
    return 1 if data_format.startswith("NC") else ndim - 1


@op("BiasAdd")
def _bias_add(value: Any, bias: Any, *, data_format: str = "NHWC") -> Any:
    axis = _channel_axis(value.ndim, data_format)
    return value + bias.reshape((-1,) + (1,) * (value.ndim - 1 - axis))


@op("BiasAddGrad", same_dtype=())
def _bias_add_grad(out_backprop: Any, *, data_format: str = "NHWC", batch: int = 0) -> Any:
    # `batch` leading axes (a jacobian's rows) are kept, not summed
    axis = batch + _channel_axis(out_backprop.ndim - batch, data_format)
    others = tuple(i for i in builtins.range(batch, out_backprop.ndim) if i != axis)
    return np.sum(out_backprop, axis=others)


@_bias_add.defvjp(batched=True)
def _bias_add_vjp(
    grad: Tensor, out: Tensor, value: Tensor, bias: Tensor, *, data_format: str
) -> tuple[Any, Any]:
    # the bias is broadcast over every axis but the channel one: sum the gradient over them
    lead = grad.ndim - out.ndim
    return grad, _bias_add_grad(grad, data_format=data_format, batch=lead)


@_bias_add_grad.defvjp(batched=True)
def _bias_add_grad_vjp(
    grad: Tensor, out: Tensor, g: Tensor, *, data_format: str, batch: int
) -> tuple[Any]:
    # summing is adjoint to broadcasting back along the channel axis; every axis of grad but
    # the channel one (its own batch axes and the cotangent's) is a leading one to keep
    shape = g._value.shape[batch:]
    axis = _channel_axis(len(shape), data_format)
    column = _reshape(grad, shape=grad._value.shape + (1,) * (len(shape) - 1 - axis))
    return (_broadcast_to(column, shape=shape, batch=grad.ndim - 1),)


def bias_add(
    value: Any, bias: Any, data_format: str | None = None, name: str | None = None
) -> Tensor:
    """Adds the 1-D `bias` along the channel axis: the last (`"N...C"`, the default) or axis 1
    (`"NC..."`).

    >>> import tapeflow as tf
    >>> tf.nn.bias_add([[1.0, 2.0]], [10.0, 20.0]).numpy().tolist()
    [[11.0, 22.0]]
    """
    v = _tensor(value)
    b = _tensor(like_dtype(bias, v))
    fmt = "NHWC" if data_format is None else str(data_format)
    if not (fmt.startswith("NC") or fmt.endswith("C")) or not fmt.startswith("N"):
        raise ValueError(f"data_format must be of the form `N...C` or `NC...`, got {fmt!r}")
    if v.ndim < 2:
        raise InvalidArgumentError(
            f"Input tensor must be at least 2D: [{_dims(v._value.shape)}] [Op:BiasAdd]"
        )
    if b.ndim != 1:
        raise InvalidArgumentError(f"Biases must be 1D: [{_dims(b._value.shape)}] [Op:BiasAdd]")
    fmt = "NCHW" if fmt.startswith("NC") else "NHWC"
    channels = v._value.shape[_channel_axis(v.ndim, fmt)]
    if b._value.shape[0] != channels:
        last = _channel_axis(v.ndim, fmt) == v.ndim - 1
        raise InvalidArgumentError(
            "Must provide as many biases as the "
            f"{'last' if last else 'channel'} dimension of the input tensor: "
            f"[{_dims(b._value.shape)}] vs. [{_dims(v._value.shape)}] [Op:BiasAdd]"
        )
    return _bias_add(v, b, data_format=fmt)


def embedding_lookup(
    params: Any, ids: Any, max_norm: Any = None, name: str | None = None
) -> Tensor:
    """The rows of `params` at `ids` (a gather). `params` may be a list of shards holding
    contiguous runs of ids (TF 2's "div" strategy); with `max_norm`, rows with a larger L2 norm
    are scaled down to it.

    >>> import tapeflow as tf
    >>> tf.nn.embedding_lookup(tf.constant([[1.0], [2.0], [3.0]]), [2, 0]).numpy().tolist()
    [[3.0], [1.0]]
    """
    idx = convert_to_tensor(ids)
    if isinstance(params, (list, tuple)):
        shards = [_tensor(p) for p in params]
        if not shards:
            raise ValueError("Need at least one param")
        # TF 2's "div" strategy: ids are split into contiguous runs, shard after shard
        table = shards[0] if len(shards) == 1 else concat(shards, 0)
    else:
        table = _tensor(params)
    rows = gather(table, idx)
    if max_norm is None:
        return rows
    axes = tuple(builtins.range(idx.ndim, rows.ndim))
    norm = _sum(square(rows), axis=axes, keepdims=True)
    clipped = multiply(rows, realdiv(max_norm, sqrt(maximum(norm, 1e-30))))
    return where(greater(norm, float(max_norm) ** 2), clipped, rows)


def dropout(
    x: Any,
    rate: Any,
    noise_shape: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Zeros each entry with probability `rate` and scales the others by 1 / (1 - rate).

    The mask comes from `tf.random`'s generator, so `tf.random.set_seed` (and `seed`) make it
    reproducible. `noise_shape` gives a mask shape that broadcasts against x (None entries are
    x's dimensions).

    >>> import tapeflow as tf
    >>> tf.random.set_seed(0)
    >>> y = tf.nn.dropout(tf.ones([1000]), 0.5)
    >>> sorted(set(y.numpy().tolist()))
    [0.0, 2.0]
    """
    t = _tensor(x)
    if t._value.dtype.kind != "f":
        raise ValueError(
            "`x.dtype` must be a floating point tensor as `x` will be scaled. Received: "
            f"x_dtype={t.dtype!r}"
        )
    r = float(getattr(rate, "_value", rate))
    if not 0 <= r < 1:
        raise ValueError(
            f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}"
        )
    if r == 0:
        return t
    shape = t._value.shape
    if noise_shape is None:
        mask_shape = shape
    else:
        dims = list(getattr(noise_shape, "_value", noise_shape))
        if hasattr(noise_shape, "as_list"):
            dims = noise_shape.as_list()
        mask_shape = tuple(
            shape[i] if d is None and i < len(shape) else int(d) for i, d in enumerate(dims)
        )
    # the mask is drawn by an op, so a traced function draws a new one at every run
    keep = greater_equal(uniform(mask_shape, dtype=dtypes.float64, seed=seed), r)
    return multiply(multiply(t, 1.0 / (1.0 - r)), cast(keep, t.dtype))


def _dims(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)


def log_sigmoid(x: Any, name: str | None = None) -> Tensor:
    """log(sigmoid(x)), computed as -softplus(-x) (no overflow for large |x|), as TF does.

    >>> import tapeflow as tf
    >>> round(float(tf.math.log_sigmoid(0.0)), 4)
    -0.6931
    """
    return negative(softplus(negative(convert_to_tensor(x))))
