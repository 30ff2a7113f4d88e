"""Neural-network ops: activations and softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.op import op
from tapeflow.ops import math as _math
from tapeflow.ops.math import (
    FLOATS,
    add,
    multiply,
    realdiv,
    require_dtype,
    sigmoid,
    square,
    subtract,
)
from tapeflow.ops.reduce import _sum, normalize_axis
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["relu", "softmax", "log_softmax", "sigmoid", "softplus", "softsign"]


@op("Relu")
def relu(features: Any) -> Any:
    return np.maximum(features, 0)


@op("ReluGrad")
def _relu_grad(y: Any, dy: Any) -> Any:
    return np.where(y > 0, dy, np.zeros((), dy.dtype))[()]


@relu.defvjp
def _relu_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # TF: the gradient at exactly 0 is 0
    return (_relu_grad(out, grad),)


@_relu_grad.defvjp
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


@_softmax.defvjp
def _softmax_vjp(grad: Tensor, out: Tensor, logits: Tensor, *, axis: int) -> tuple[Any]:
    # d softmax: s * (g - sum(g * s))
    inner = _sum(multiply(grad, out), axis=(axis % out.ndim,), keepdims=True)
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


@_log_softmax.defvjp
def _log_softmax_vjp(grad: Tensor, out: Tensor, logits: Tensor, *, axis: int) -> tuple[Any]:
    # d log_softmax: g - softmax * sum(g)
    from tapeflow.ops.math import exp

    total = _sum(grad, axis=(axis % out.ndim,), keepdims=True)
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


@softplus.defvjp
def _softplus_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # d softplus x = sigmoid x (finite for any x)
    return (multiply(grad, sigmoid(features)),)


@op("Softsign")
def softsign(features: Any) -> Any:
    require_dtype(features, "Softsign", FLOATS)
    return features / (1 + np.abs(features))


@softsign.defvjp
def _softsign_vjp(grad: Tensor, out: Tensor, features: Tensor) -> tuple[Any]:
    # d x / (1 + |x|) = 1 / (1 + |x|)^2
    return (realdiv(grad, square(add(_math.abs(features), 1))),)
