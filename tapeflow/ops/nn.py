"""Neural-network ops: activations, softmax, losses, normalization, dropout, convolution and
pooling.

Convolution and pooling work on strided views of the (padded) input: conv2d is one im2col copy
and one matmul; its input and filter gradients are the ops Conv2DBackpropInput and
Conv2DBackpropFilter (a matmul and a col2im scatter over the kernel positions), whose own
gradients are conv2d and each other, so every order works.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError, UnimplementedError
from tapeflow.op import op
from tapeflow.ops import math as _math
from tapeflow.ops.array import _reshape, _transpose, concat, gather, like_dtype, split
from tapeflow.ops.math import (
    FLOATS,
    cast,
    exp,
    greater,
    less,
    maximum,
    multiply,
    negative,
    realdiv,
    require_dtype,
    rsqrt,
    sigmoid,
    sqrt,
    square,
    subtract,
    tanh,
    where,
)
from tapeflow.ops.random import generator
from tapeflow.ops.reduce import _mean, _sum, normalize_axis
from tapeflow.tape import add, broadcast_to
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

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
    "l2_loss",
    "moments",
    "batch_normalization",
    "bias_add",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
    "embedding_lookup",
    "dropout",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "max_pool2d",
    "avg_pool2d",
    "max_pool",
    "avg_pool",
]


@op("Relu")
def relu(features: Any) -> Any:
    return np.maximum(features, 0)


@op("ReluGrad")
def _relu_grad(y: Any, dy: Any) -> Any:
    return np.where(y > 0, dy, np.zeros((), dy.dtype))[()]


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
    inner = _sum(multiply(grad, out), axis=(ax,), keepdims=True)
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
    from tapeflow.ops.math import exp

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
    return (multiply(grad, sigmoid(features)),)


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
    return _elu_grad(grad, y), where(less(y, 0), multiply(grad, g), 0)


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
    return _selu_grad(grad, y), where(less(y, 0), multiply(grad, g), 0)


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
    return _gelu_grad(grad, x), multiply(grad, multiply(g, curvature))


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
# Losses, moments, normalization


@op("L2Loss")
def _l2_loss(t: Any) -> Any:
    return (np.sum(np.square(t)) / 2).astype(t.dtype)[()]


@_l2_loss.defvjp(batched=True)
def _l2_loss_vjp(grad: Tensor, out: Tensor, t: Tensor) -> tuple[Any]:
    # d(sum x^2 / 2) = x
    return (multiply(grad, t),)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2.

    >>> import tapeflow as tf
    >>> float(tf.nn.l2_loss([1.0, 2.0]))
    2.5
    """
    return _l2_loss(_floating(t, "L2Loss"))


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
def _bias_add_grad(out_backprop: Any, *, data_format: str = "NHWC") -> Any:
    axis = _channel_axis(out_backprop.ndim, data_format)
    others = tuple(i for i in builtins.range(out_backprop.ndim) if i != axis)
    return np.sum(out_backprop, axis=others)


@_bias_add.defvjp
def _bias_add_vjp(
    grad: Tensor, out: Tensor, value: Tensor, bias: Tensor, *, data_format: str
) -> tuple[Any, Any]:
    # the bias is broadcast over every axis but the channel one: sum the gradient over them
    return grad, _bias_add_grad(grad, data_format=data_format)


@_bias_add_grad.defvjp
def _bias_add_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, *, data_format: str) -> tuple[Any]:
    # summing is adjoint to broadcasting back along the channel axis
    shape = g._value.shape
    axis = _channel_axis(len(shape), data_format)
    column = _reshape(grad, shape=(-1,) + (1,) * (len(shape) - 1 - axis))
    return (broadcast_to(column, shape),)


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


# ---------------------------------------------------------------------------------------------
# Cross-entropies: fused and stable (finite for logits of any magnitude)


@op("SigmoidCrossEntropyWithLogits")
def _sigmoid_ce(logits: Any, labels: Any) -> Any:
    # tapeflow's fused op (TF composes the same formula): max(x, 0) - x z + log(1 + e^-|x|)
    x = logits
    return (np.maximum(x, 0) - x * labels + np.log1p(np.exp(-np.abs(x))))[()]


@_sigmoid_ce.defvjp(batched=True)
def _sigmoid_ce_vjp(grad: Tensor, out: Tensor, x: Tensor, z: Tensor) -> tuple[Any, Any]:
    # d/dx = sigmoid(x) - z, d/dz = -x
    return multiply(grad, subtract(sigmoid(x), z)), multiply(grad, negative(x))


def sigmoid_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Elementwise -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)), computed stably.

    >>> import tapeflow as tf
    >>> tf.nn.sigmoid_cross_entropy_with_logits([1.0], [1e4]).numpy().tolist()
    [0.0]
    """
    if labels is None or logits is None:
        raise ValueError(
            "Both `labels` and `logits` must be provided for sigmoid_cross_entropy_with_logits"
            f"Received: labels={labels} and logits={logits}"
        )
    x = _tensor(logits)
    z = convert_to_tensor(labels, dtype_hint=x.dtype) if not hasattr(labels, "_value") else labels
    if x._value.shape != z._value.shape:
        raise ValueError(
            "`logits` and `labels` must have the same shape, received "
            f"({x._value.shape} vs {z._value.shape})."
        )
    return _sigmoid_ce(x, z)


def _log_softmax_np(x: Any) -> Any:
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


@op("SoftmaxCrossEntropyWithLogits")
def _softmax_ce(features: Any, labels: Any) -> Any:
    log_p = _log_softmax_np(features)
    loss = -np.sum(np.where(labels == 0, 0, labels * log_p), axis=-1)
    return loss[()], (np.exp(log_p) - labels)[()]


def _softmax_ce_logits_grad(
    g_loss: Tensor, backprop: Tensor, g_backprop: Tensor, features: Tensor
) -> Tensor:
    # g * (softmax - labels), plus the softmax Jacobian applied to the backprop's cotangent
    g = _reshape(g_loss, shape=(*g_loss._value.shape, 1))
    p = _softmax(features, axis=-1)
    inner = _sum(multiply(g_backprop, p), axis=(p.ndim - 1,), keepdims=True)
    return add(multiply(g, backprop), multiply(subtract(g_backprop, inner), p))


@_softmax_ce.defvjp
def _softmax_ce_vjp(grads: Any, outs: Any, features: Tensor, labels: Tensor) -> tuple[Any, Any]:
    # fused, as TF: d/dx = g (softmax - z); d/dz = -g log_softmax(x) (and -1 on the backprop
    # output: TF drops that term, we keep it so second order through the labels is right)
    g_loss, g_bp = grads
    dx = _softmax_ce_logits_grad(g_loss, outs[1], g_bp, features)
    g = _reshape(g_loss, shape=(*g_loss._value.shape, 1))
    dz = subtract(negative(multiply(g, _log_softmax(features, axis=-1))), g_bp)
    return dx, dz


def softmax_cross_entropy_with_logits(
    labels: Any, logits: Any, axis: int = -1, name: str | None = None
) -> Tensor:
    """-sum(labels * log_softmax(logits)) along `axis`, computed stably. Each row of `labels`
    must be a probability distribution: as in TF, the logits' gradient is softmax - labels.
    The labels get a gradient too.

    >>> import tapeflow as tf
    >>> tf.nn.softmax_cross_entropy_with_logits([[0.0, 1.0]], [[1e4, -1e4]]).numpy().tolist()
    [20000.0]
    """
    x = _tensor(logits)
    z = convert_to_tensor(labels, dtype_hint=x.dtype) if not hasattr(labels, "_value") else labels
    if x.ndim == 0:
        raise InvalidArgumentError("logits must have rank >= 1 [Op:SoftmaxCrossEntropyWithLogits]")
    try:
        shape = np.broadcast_shapes(x._value.shape, z._value.shape)
    except ValueError:
        shape = None
    if shape is None or len(shape) != x.ndim or shape[-1] != x._value.shape[-1]:
        raise InvalidArgumentError(
            f"logits and labels must be broadcastable: logits_size={list(x._value.shape)} "
            f"labels_size={list(z._value.shape)} [Op:SoftmaxCrossEntropyWithLogits]".replace(
                ", ", ","
            )
        )
    if x._value.shape != shape:
        x = broadcast_to(x, shape)
    if z._value.shape != shape:
        z = broadcast_to(z, shape)
    ax = int(axis) % x.ndim
    if ax != x.ndim - 1:
        perm = (*[i for i in builtins.range(x.ndim) if i != ax], ax)
        x, z = _transpose(x, perm=perm), _transpose(z, perm=perm)
    loss, _ = _softmax_ce(x, z)
    return loss


@op("SparseSoftmaxCrossEntropyWithLogits", same_dtype=())
def _sparse_softmax_ce(features: Any, labels: Any) -> Any:
    n = features.shape[-1]
    lab = np.asarray(labels)
    if lab.size and (lab.min() < 0 or lab.max() >= n):
        bad = lab[(lab < 0) | (lab >= n)].reshape(-1)[0]
        raise InvalidArgumentError(
            f"Received a label value of {bad} which is outside the valid range of [0, {n}).  "
            f"Label values: {' '.join(str(v) for v in lab.reshape(-1))} "
            "[Op:SparseSoftmaxCrossEntropyWithLogits]"
        )
    log_p = _log_softmax_np(features)
    loss = -np.take_along_axis(log_p, lab[..., None].astype(np.int64), axis=-1)[..., 0]
    backprop = np.exp(log_p)
    np.put_along_axis(
        backprop,
        lab[..., None].astype(np.int64),
        np.take_along_axis(backprop, lab[..., None].astype(np.int64), axis=-1) - 1,
        axis=-1,
    )
    return loss[()], backprop


@_sparse_softmax_ce.defvjp
def _sparse_softmax_ce_vjp(
    grads: Any, outs: Any, features: Tensor, labels: Tensor
) -> tuple[Any, Any]:
    # fused, as TF: d/dx = g (softmax - onehot(labels)); labels are indices (no gradient)
    g_loss, g_bp = grads
    return _softmax_ce_logits_grad(g_loss, outs[1], g_bp, features), None


def sparse_softmax_cross_entropy_with_logits(
    labels: Any, logits: Any, name: str | None = None
) -> Tensor:
    """-log_softmax(logits)[label] per row, computed stably; `labels` are class indices.

    >>> import tapeflow as tf
    >>> tf.nn.sparse_softmax_cross_entropy_with_logits([1], [[1e4, -1e4]]).numpy().tolist()
    [20000.0]
    """
    x = _tensor(logits)
    z = _tensor(labels)
    if z._value.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"Value for attr 'Tlabels' of {_TF_NAMES.get(z.dtype.name, z.dtype.name)} is not "
            "in the list of allowed values: int32, int64 [Op:SparseSoftmaxCrossEntropyWithLogits]"
        )
    if z.ndim != x.ndim - 1:
        raise ValueError(
            "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
            f"labels.shape={z._value.shape} of rank {z.ndim} and logits.shape="
            f"{x._value.shape} of rank {x.ndim}"
        )
    if z._value.shape != x._value.shape[:-1]:
        raise ValueError(
            "`labels.shape` must equal `logits.shape` except for the last dimension. Received: "
            f"labels.shape={z._value.shape} and logits.shape={x._value.shape}"
        )
    loss, _ = _sparse_softmax_ce(x, z)
    return loss


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
    keep = generator(seed).random(mask_shape) >= r
    mask = _wrap(keep.astype(t._value.dtype))
    return multiply(multiply(t, 1.0 / (1.0 - r)), mask)


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (NHWC): strided window views, im2col + one matmul, col2im scatters


def _out_size(n: int, k: int, s: int, d: int, padding: str, pad: tuple[int, int]) -> int:
    eff = (k - 1) * d + 1
    if padding == "SAME":
        return -(-n // s)
    if padding == "VALID":
        return builtins.max(0, (n - eff) // s + 1)
    return builtins.max(0, (n + pad[0] + pad[1] - eff) // s + 1)


def _pads(
    in_hw: tuple[int, ...],
    k_hw: tuple[int, ...],
    strides: tuple[int, ...],
    dilations: tuple[int, ...],
    padding: str,
    explicit: tuple[tuple[int, int], ...],
) -> tuple[tuple[int, int], ...]:
    """(before, after) padding of each spatial axis (TF's SAME puts the odd one after)."""
    if padding == "VALID":
        return ((0, 0),) * len(in_hw)
    if padding == "EXPLICIT":
        return explicit
    out = []
    for n, k, s, d in zip(in_hw, k_hw, strides, dilations):
        o = -(-n // s)
        total = builtins.max((o - 1) * s + (k - 1) * d + 1 - n, 0)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _windows(
    xp: np.ndarray,
    k_hw: tuple[int, int],
    strides: tuple[int, int],
    dil: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """A read-only (n, oh, ow, kh, kw, c) view of the windows of padded NHWC `xp`."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(
        xp,
        shape=(n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c),
        strides=(s0, s1 * strides[0], s2 * strides[1], s1 * dil[0], s2 * dil[1], s3),
        writeable=False,
    )


class _Geometry:
    """Everything a 2-D convolution or pooling needs to know about its shapes."""

    def __init__(
        self,
        in_shape: tuple[int, ...],
        k_hw: tuple[int, int],
        strides: tuple[int, ...],
        padding: str,
        explicit_paddings: tuple[int, ...] = (),
        dilations: tuple[int, ...] = (1, 1, 1, 1),
    ) -> None:
        self.n, h, w, self.c = in_shape
        self.in_hw = (h, w)
        self.k = k_hw
        self.s = (strides[1], strides[2])
        self.d = (dilations[1], dilations[2])
        explicit: tuple[tuple[int, int], ...] = ()
        if padding == "EXPLICIT":
            e = explicit_paddings
            explicit = ((e[2], e[3]), (e[4], e[5]))
        self.pads = _pads(self.in_hw, k_hw, self.s, self.d, padding, explicit)
        self.out_hw = tuple(
            _out_size(n, k, s, d, padding, p)
            for n, k, s, d, p in zip(self.in_hw, k_hw, self.s, self.d, self.pads)
        )

    @property
    def padded_hw(self) -> tuple[int, int]:
        (top, bottom), (left, right) = self.pads
        return self.in_hw[0] + top + bottom, self.in_hw[1] + left + right

    def pad(self, x: np.ndarray, value: Any = 0) -> np.ndarray:
        rows, cols = self.pads
        if not any(rows + cols):
            return x
        return np.pad(x, ((0, 0), rows, cols, (0, 0)), constant_values=value)

    def crop(self, xp: np.ndarray) -> np.ndarray:
        (top, _), (left, _) = self.pads
        h, w = self.in_hw
        return xp[:, top : top + h, left : left + w, :]

    def windows(self, xp: np.ndarray) -> np.ndarray:
        return _windows(xp, self.k, self.s, self.d, self.out_hw)  # type: ignore[arg-type]

    def scatter(self, cols: np.ndarray, dtype: Any) -> np.ndarray:
        """col2im: adds (n, oh, ow, kh, kw, c) window entries back into the padded input."""
        ph, pw = self.padded_hw
        out = np.zeros((self.n, ph, pw, cols.shape[-1]), dtype=dtype)
        oh, ow = self.out_hw
        (sh, sw), (dh, dw) = self.s, self.d
        for i in builtins.range(self.k[0]):  # one strided add per kernel position
            for j in builtins.range(self.k[1]):
                out[
                    :,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ] += cols[:, :, :, i, j]
        return self.crop(out)


def _conv_geometry(
    in_shape: tuple[int, ...], filter_shape: tuple[int, ...], attrs: dict[str, Any]
) -> _Geometry:
    return _Geometry(
        in_shape,
        (filter_shape[0], filter_shape[1]),
        attrs["strides"],
        attrs["padding"],
        attrs["explicit_paddings"],
        attrs["dilations"],
    )


@op("Conv2D")
def _conv2d(
    input: Any,
    filter: Any,
    *,
    strides: tuple[int, ...],
    padding: str,
    explicit_paddings: tuple[int, ...] = (),
    dilations: tuple[int, ...] = (1, 1, 1, 1),
) -> Any:
    g = _conv_geometry(input.shape, filter.shape, locals())
    kh, kw, c, o = filter.shape
    oh, ow = g.out_hw
    cols = g.windows(g.pad(input)).reshape(g.n * oh * ow, kh * kw * c)  # im2col: one copy
    return (cols @ filter.reshape(kh * kw * c, o)).reshape(g.n, oh, ow, o)


@op("Conv2DBackpropInput")
def _conv2d_backprop_input(
    filter: Any,
    out_backprop: Any,
    *,
    input_sizes: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    explicit_paddings: tuple[int, ...] = (),
    dilations: tuple[int, ...] = (1, 1, 1, 1),
) -> Any:
    g = _conv_geometry(input_sizes, filter.shape, locals())
    kh, kw, c, o = filter.shape
    oh, ow = g.out_hw
    cols = out_backprop.reshape(-1, o) @ filter.reshape(kh * kw * c, o).T
    return np.ascontiguousarray(g.scatter(cols.reshape(g.n, oh, ow, kh, kw, c), filter.dtype))


@op("Conv2DBackpropFilter")
def _conv2d_backprop_filter(
    input: Any,
    out_backprop: Any,
    *,
    filter_sizes: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
    explicit_paddings: tuple[int, ...] = (),
    dilations: tuple[int, ...] = (1, 1, 1, 1),
) -> Any:
    g = _conv_geometry(input.shape, filter_sizes, locals())
    kh, kw, c, o = filter_sizes
    oh, ow = g.out_hw
    cols = g.windows(g.pad(input)).reshape(g.n * oh * ow, kh * kw * c)
    return (cols.T @ out_backprop.reshape(-1, o)).reshape(filter_sizes)


@_conv2d.defvjp
def _conv2d_vjp(
    grad: Tensor, out: Tensor, x: Tensor, w: Tensor, needs: tuple[bool, bool], **attrs: Any
) -> tuple[Any, Any]:
    # dx: the transposed convolution of the upstream; dw: input windows times the upstream
    gx = _conv2d_backprop_input(w, grad, input_sizes=x._value.shape, **attrs) if needs[0] else None
    gw = (
        _conv2d_backprop_filter(x, grad, filter_sizes=w._value.shape, **attrs) if needs[1] else None
    )
    return gx, gw


@_conv2d_backprop_input.defvjp
def _conv2d_backprop_input_vjp(
    grad: Tensor, out: Tensor, w: Tensor, dy: Tensor, *, input_sizes: Any, **attrs: Any
) -> tuple[Any, Any]:
    # bilinear in (filter, upstream): each factor's gradient is the other two conv ops
    return (
        _conv2d_backprop_filter(grad, dy, filter_sizes=w._value.shape, **attrs),
        _conv2d(grad, w, **attrs),
    )


@_conv2d_backprop_filter.defvjp
def _conv2d_backprop_filter_vjp(
    grad: Tensor, out: Tensor, x: Tensor, dy: Tensor, *, filter_sizes: Any, **attrs: Any
) -> tuple[Any, Any]:
    # bilinear in (input, upstream), as above
    return (
        _conv2d_backprop_input(grad, dy, input_sizes=x._value.shape, **attrs),
        _conv2d(x, grad, **attrs),
    )


def _spatial(value: Any, name: str, n: int = 2) -> tuple[int, ...]:
    """TF's ksize/strides/dilations argument (int, or length 1, n or n + 2) as n + 2 ints."""
    v = getattr(value, "_value", value)
    vals = (
        [int(v)]
        if isinstance(v, (int, np.integer))
        else [int(a) for a in np.asarray(v).reshape(-1)]
    )
    if len(vals) == 1:
        vals = vals * n
    if len(vals) == n:
        return (1, *vals, 1)
    if len(vals) == n + 2:
        return tuple(vals)
    raise ValueError(
        f"{name} should be of length 1, {n} or {n + 2}. Received: {name}={vals} of length "
        f"{len(vals)}"
    )


def _padding(padding: Any, op_type: str) -> tuple[str, tuple[int, ...]]:
    if isinstance(padding, str):
        p = padding
        if p not in ("SAME", "VALID"):
            raise InvalidArgumentError(
                f"Value for attr 'padding' of \"{padding}\" is not in the list of allowed "
                f'values: "SAME", "VALID", "EXPLICIT" [Op:{op_type}]'
            )
        return p, ()
    pads = np.asarray(getattr(padding, "_value", padding)).astype(np.int64)
    if pads.shape != (4, 2):
        raise ValueError(
            f"When padding is a list, it must have 4 [before, after] pairs (one per axis of "
            f"NHWC), got shape {list(pads.shape)}"
        )
    if pads[0].any() or pads[3].any():
        raise ValueError("Explicit padding of the batch and channel dimensions must be 0.")
    if (pads < 0).any():
        raise ValueError(
            f"All elements of explicit padding must be nonnegative, got {pads.tolist()}"
        )
    return "EXPLICIT", tuple(int(v) for v in pads.reshape(-1))


def _nchw_to_nhwc(x: Tensor) -> Tensor:
    return _transpose(x, perm=(0, 2, 3, 1))


def _nhwc_to_nchw(x: Tensor) -> Tensor:
    return _transpose(x, perm=(0, 3, 1, 2))


def _check_conv_input(x: Tensor, w: Tensor, op_type: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"input must be 4-dimensional, received shape {list(x._value.shape)}")
    if w.ndim != 4:
        raise ValueError(f"filter must be 4-dimensional, received shape {list(w._value.shape)}")
    if x._value.dtype != w._value.dtype:
        raise InvalidArgumentError(
            f"cannot compute {op_type} as input #1(zero-based) was expected to be a "
            f"{x.dtype.name} tensor but is a {w.dtype.name} tensor [Op:{op_type}]"
        )
    if x._value.dtype.kind != "f":
        raise InvalidArgumentError(
            f"Value for attr 'T' of {x.dtype.name} is not in the list of allowed values: half, "
            f"bfloat16, float, double [Op:{op_type}]"
        )


def conv2d(
    input: Any,
    filters: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """2-D convolution (cross-correlation, as TF) of NHWC `input` with HWIO `filters`.

    `padding` is "SAME", "VALID" or explicit `[[0, 0], [top, bottom], [left, right], [0, 0]]`.
    Grouped convolution (input channels a multiple of the filter's) is supported; so is NCHW
    (by transposing).

    >>> import tapeflow as tf
    >>> tf.nn.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 2, 5]), 1, "SAME").shape
    TensorShape([1, 4, 4, 5])
    """
    x = _tensor(input)
    w = _tensor(like_dtype(filters, x))
    _check_conv_input(x, w, "Conv2D")
    nchw = data_format == "NCHW"
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    st = _spatial(strides, "strides")
    dl = _spatial(1 if dilations is None else dilations, "dilations")
    if nchw:  # TF's CPU kernels are NHWC-only; transposing gives the same numbers
        st, dl = (1, st[2], st[3], 1), (1, dl[2], dl[3], 1)
        x = _nchw_to_nhwc(x)
    if st[0] != 1 or st[3] != 1 or dl[0] != 1 or dl[3] != 1:
        raise InvalidArgumentError(
            "Current implementation does not yet support strides or dilations in the batch and "
            "depth dimensions. [Op:Conv2D]"
        )
    pad, explicit = _padding(padding, "Conv2D")
    c, fc = x._value.shape[3], w._value.shape[2]
    if fc == 0 or c % fc:
        raise InvalidArgumentError(
            f"input depth must be evenly divisible by filter depth: {c} vs {fc} [Op:Conv2D]"
        )
    attrs: dict[str, Any] = {
        "strides": st,
        "padding": pad,
        "explicit_paddings": explicit,
        "dilations": dl,
    }
    groups = c // fc
    if groups == 1:
        out = _conv2d(x, w, **attrs)
    else:  # grouped: one convolution per channel group
        xs = split(x, groups, axis=3)
        ws = split(w, groups, axis=3)
        out = concat([_conv2d(a, b, **attrs) for a, b in zip(xs, ws)], 3)
    return _nhwc_to_nchw(out) if nchw else out


def conv1d(
    input: Any,
    filters: Any,
    stride: Any,
    padding: Any,
    data_format: str = "NWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """1-D convolution of NWC `input` with WIO `filters` (a conv2d of height 1).

    >>> import tapeflow as tf
    >>> tf.nn.conv1d(tf.ones([1, 5, 2]), tf.ones([3, 2, 4]), 1, "SAME").shape
    TensorShape([1, 5, 4])
    """
    x = _tensor(input)
    w = _tensor(like_dtype(filters, x))
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(
            f"conv1d needs a 3-D input and filter, got shapes {list(x._value.shape)} and "
            f"{list(w._value.shape)}"
        )
    if data_format not in ("NWC", "NCW"):
        raise ValueError(f"data_format must be 'NWC' or 'NCW', got {data_format!r}")
    if data_format == "NCW":
        x = _transpose(x, perm=(0, 2, 1))
    n, width, c = x._value.shape
    s = _spatial(stride, "stride", 1)
    d = _spatial(1 if dilations is None else dilations, "dilations", 1)
    if not isinstance(padding, str):
        raise ValueError("conv1d takes padding 'SAME' or 'VALID'")
    x4 = _reshape(x, shape=(n, 1, width, c))
    w4 = _reshape(w, shape=(1, *w._value.shape))
    out = conv2d(x4, w4, (1, 1, s[1], 1), padding, dilations=(1, 1, d[1], 1))
    out = _reshape(out, shape=(n, *out._value.shape[2:]))
    return _transpose(out, perm=(0, 2, 1)) if data_format == "NCW" else out


def conv2d_transpose(
    input: Any,
    filters: Any,
    output_shape: Any,
    strides: Any,
    padding: Any = "SAME",
    data_format: str = "NHWC",
    dilations: Any = None,
    name: str | None = None,
) -> Tensor:
    """The transpose (gradient) of conv2d: maps `input` of conv2d's output shape to
    `output_shape`; `filters` are [height, width, output_channels, input_channels].

    >>> import tapeflow as tf
    >>> tf.nn.conv2d_transpose(tf.ones([1, 3, 3, 4]), tf.ones([3, 3, 2, 4]), [1, 6, 6, 2], 2).shape
    TensorShape([1, 6, 6, 2])
    """
    y = _tensor(input)
    w = _tensor(like_dtype(filters, y))
    _check_conv_input(y, w, "Conv2DBackpropInput")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    out_shape = tuple(
        int(d) for d in np.asarray(getattr(output_shape, "_value", output_shape)).reshape(-1)
    )
    st = _spatial(strides, "strides")
    dl = _spatial(1 if dilations is None else dilations, "dilations")
    if data_format == "NCHW":
        y = _nchw_to_nhwc(y)
        out_shape = (out_shape[0], out_shape[2], out_shape[3], out_shape[1])
        st, dl = (1, st[2], st[3], 1), (1, dl[2], dl[3], 1)
    pad, explicit = _padding(padding, "Conv2DBackpropInput")
    if (
        len(out_shape) != 4
        or out_shape[3] != w._value.shape[2]
        or y._value.shape[3] != w._value.shape[3]
    ):
        raise ValueError(
            f"output_shape {list(out_shape)} (channels {out_shape[-1]}) and input "
            f"{list(y._value.shape)} must match the filter's output and input channels "
            f"{list(w._value.shape[2:])}"
        )
    attrs: dict[str, Any] = {
        "strides": st,
        "padding": pad,
        "explicit_paddings": explicit,
        "dilations": dl,
    }
    g = _conv_geometry(out_shape, w._value.shape, attrs)
    for dim, (got, want) in enumerate(zip(y._value.shape[1:3], g.out_hw)):
        if got != want or y._value.shape[0] != out_shape[0]:
            raise InvalidArgumentError(
                f"Conv2DSlowBackpropInput: Size of out_backprop doesn't match computed: actual = "
                f"{got}, computed = {want} spatial_dim: {dim + 1} input: {out_shape[dim + 1]} "
                f"filter: {w._value.shape[dim]} output: {got} stride: {st[dim + 1]} dilation: "
                f"{dl[dim + 1]} [Op:Conv2DBackpropInput]"
            )
    out = _conv2d_backprop_input(w, y, input_sizes=out_shape, **attrs)
    return _nhwc_to_nchw(out) if data_format == "NCHW" else out


def _pool_geometry(shape: tuple[int, ...], attrs: dict[str, Any]) -> _Geometry:
    k = attrs["ksize"]
    return _Geometry(shape, (k[1], k[2]), attrs["strides"], attrs["padding"])


def _lowest(dtype: Any) -> Any:
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


@op("MaxPool")
def _max_pool(input: Any, *, ksize: tuple[int, ...], strides: tuple[int, ...], padding: str) -> Any:
    g = _pool_geometry(input.shape, locals())
    return g.windows(g.pad(input, _lowest(input.dtype))).max(axis=(3, 4))


def _argmax_positions(x: np.ndarray, g: _Geometry) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flat index into padded x of each window's first maximum (row-major, TF's tie rule)."""
    xp = g.pad(x, _lowest(x.dtype))
    n, oh, ow, kh, kw, c = g.windows(xp).shape
    flat = g.windows(xp).transpose(0, 1, 2, 5, 3, 4).reshape(n, oh, ow, c, kh * kw)
    ki, kj = np.divmod(np.argmax(flat, axis=-1), kw)  # (n, oh, ow, c)
    rows = np.arange(oh)[None, :, None, None] * g.s[0] + ki
    cols = np.arange(ow)[None, None, :, None] * g.s[1] + kj
    ph, pw = g.padded_hw
    batch = np.arange(n)[:, None, None, None]
    chan = np.arange(c)[None, None, None, :]
    return ((batch * ph + rows) * pw + cols) * c + chan, (n, ph, pw, c)


@op("MaxPoolGrad")
def _max_pool_grad(
    orig_input: Any,
    orig_output: Any,
    grad: Any,
    *,
    ksize: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
) -> Any:
    g = _pool_geometry(orig_input.shape, locals())
    where_, padded = _argmax_positions(orig_input, g)
    summed = np.bincount(
        where_.reshape(-1), weights=grad.reshape(-1), minlength=int(np.prod(padded))
    )
    return np.ascontiguousarray(g.crop(summed.reshape(padded))).astype(grad.dtype)


@op("MaxPoolGradGrad")
def _max_pool_grad_grad(
    orig_input: Any,
    orig_output: Any,
    grad: Any,
    *,
    ksize: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
) -> Any:
    g = _pool_geometry(orig_input.shape, locals())
    where_, padded = _argmax_positions(orig_input, g)
    return g.pad(grad).reshape(-1)[where_]


@_max_pool.defvjp
def _max_pool_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # each window's gradient goes to its first maximum (TF)
    return (_max_pool_grad(x, out, grad, **attrs),)


@_max_pool_grad.defvjp
def _max_pool_grad_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, g: Tensor, **attrs: Any
) -> Any:
    # MaxPoolGrad scatters g to the argmax positions: its adjoint gathers from there
    return None, None, _max_pool_grad_grad(x, y, grad, **attrs)


@_max_pool_grad_grad.defvjp
def _max_pool_grad_grad_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, g: Tensor, **attrs: Any
) -> Any:
    # gathering from the argmax positions: its adjoint scatters back there
    return None, None, _max_pool_grad(x, y, grad, **attrs)


def _window_counts(g: _Geometry, dtype: Any) -> np.ndarray:
    """How many real (unpadded) entries each window covers: the SAME average's divisor."""
    if not any(p for pair in g.pads for p in pair):
        return np.asarray(g.k[0] * g.k[1], dtype=dtype)
    ones = g.pad(np.ones((1, *g.in_hw, 1), dtype=dtype))
    return g.windows(ones).sum(axis=(3, 4))


@op("AvgPool")
def _avg_pool(value: Any, *, ksize: tuple[int, ...], strides: tuple[int, ...], padding: str) -> Any:
    g = _pool_geometry(value.shape, locals())
    return g.windows(g.pad(value)).sum(axis=(3, 4)) / _window_counts(g, value.dtype)


@op("AvgPoolGrad")
def _avg_pool_grad(
    grad: Any,
    *,
    orig_input_shape: tuple[int, ...],
    ksize: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
) -> Any:
    g = _pool_geometry(orig_input_shape, locals())
    share = grad / _window_counts(g, grad.dtype)
    cols = np.broadcast_to(share[:, :, :, None, None, :], (*share.shape[:3], *g.k, share.shape[3]))
    return np.ascontiguousarray(g.scatter(cols, grad.dtype))


@_avg_pool.defvjp
def _avg_pool_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # each window's gradient is shared equally among the entries it averaged
    return (_avg_pool_grad(grad, orig_input_shape=x._value.shape, **attrs),)


@_avg_pool_grad.defvjp
def _avg_pool_grad_vjp(
    grad: Tensor, out: Tensor, g: Tensor, *, orig_input_shape: Any, **attrs: Any
) -> Any:
    # AvgPoolGrad is AvgPool's adjoint, so its own adjoint is AvgPool
    return (_avg_pool(grad, **attrs),)


def _pool_args(
    x: Tensor, ksize: Any, strides: Any, padding: Any, data_format: str, op_type: str
) -> tuple[Tensor, dict[str, Any], bool]:
    if x.ndim != 4:
        raise ValueError(f"Input tensor must be of rank 4, got shape {list(x._value.shape)}")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    k = _spatial(ksize, "ksize")
    st = _spatial(strides, "strides")
    nchw = data_format == "NCHW"
    if nchw:
        k, st = (1, k[2], k[3], 1), (1, st[2], st[3], 1)
        x = _nchw_to_nhwc(x)
    if k[0] != 1 or st[0] != 1:
        raise UnimplementedError(
            f"Pooling is not yet supported on the batch dimension. [Op:{op_type}]"
        )
    if k[3] != 1 or st[3] != 1:
        raise UnimplementedError(
            f"Pooling over the depth dimension is not supported. [Op:{op_type}]"
        )
    if not isinstance(padding, str):
        raise ValueError(f"pooling takes padding 'SAME' or 'VALID', got {padding!r}")
    pad, _ = _padding(padding, op_type)
    return x, {"ksize": k, "strides": st, "padding": pad}, nchw


def max_pool2d(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """The maximum of each ksize window, moving by `strides` (ties: the first maximum gets the
    gradient, as in TF).

    >>> import tapeflow as tf
    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.nn.max_pool2d(x, 2, 2, "VALID").numpy().reshape(-1).tolist()
    [5.0, 7.0, 13.0, 15.0]
    """
    x, attrs, nchw = _pool_args(_tensor(input), ksize, strides, padding, data_format, "MaxPool")
    out = _max_pool(x, **attrs)
    return _nhwc_to_nchw(out) if nchw else out


def avg_pool2d(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """The mean of each ksize window, moving by `strides`; with SAME padding the mean is over
    the window's real entries only (TF).

    >>> import tapeflow as tf
    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> tf.nn.avg_pool2d(x, 2, 2, "VALID").numpy().reshape(-1).tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    x = _floating(input, "AvgPool")
    x, attrs, nchw = _pool_args(x, ksize, strides, padding, data_format, "AvgPool")
    out = _avg_pool(x, **attrs)
    return _nhwc_to_nchw(out) if nchw else out


def _pool_nd(
    fn: Any, input: Any, ksize: Any, strides: Any, padding: Any, data_format: Any
) -> Tensor:
    x = _tensor(input)
    if x.ndim == 4:
        return fn(x, ksize, strides, padding, data_format or "NHWC")
    if x.ndim == 3:  # 1-D pooling as 2-D pooling of height 1
        fmt = data_format or "NWC"
        if fmt not in ("NWC", "NCW"):
            raise ValueError(f"data_format must be 'NWC' or 'NCW', got {fmt!r}")
        if fmt == "NCW":
            x = _transpose(x, perm=(0, 2, 1))
        k, s = _spatial(ksize, "ksize", 1), _spatial(strides, "strides", 1)
        n, w, c = x._value.shape
        out = fn(_reshape(x, shape=(n, 1, w, c)), (1, 1, k[1], 1), (1, 1, s[1], 1), padding)
        out = _reshape(out, shape=(n, *out._value.shape[2:]))
        return _transpose(out, perm=(0, 2, 1)) if fmt == "NCW" else out
    raise NotImplementedError(f"tapeflow pools 1-D and 2-D inputs (rank 3 or 4), got rank {x.ndim}")


def max_pool(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: Any = None,
    name: str | None = None,
) -> Tensor:
    """Max pooling over 1-D (rank 3) or 2-D (rank 4) inputs.

    >>> import tapeflow as tf
    >>> tf.nn.max_pool(tf.constant([[[1.0], [3.0], [2.0], [0.0]]]), 2, 2, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _pool_nd(max_pool2d, input, ksize, strides, padding, data_format)


def avg_pool(
    input: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: Any = None,
    name: str | None = None,
) -> Tensor:
    """Average pooling over 1-D (rank 3) or 2-D (rank 4) inputs.

    >>> import tapeflow as tf
    >>> tf.nn.avg_pool(tf.constant([[[1.0], [3.0], [2.0], [0.0]]]), 2, 2, "VALID").shape
    TensorShape([1, 2, 1])
    """
    return _pool_nd(avg_pool2d, input, ksize, strides, padding, data_format)


def _dims(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)


_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half"}
