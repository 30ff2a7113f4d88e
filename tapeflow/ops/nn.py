"""Neural-network ops: activations and softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.op import op
from tapeflow.ops.math import multiply, sigmoid, subtract
from tapeflow.ops.reduce import _sum, normalize_axis
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["relu", "softmax", "log_softmax", "sigmoid"]


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
