"""Losses: l2_loss and the cross-entropies with logits (sigmoid, softmax, sparse softmax),
fused and stable: finite for logits of any magnitude.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _reshape, _transpose
from tapeflow.ops.math import (
    grad_times,
    multiply,
    negative,
    subtract,
)
from tapeflow.ops.nn import _floating, _log_softmax, _softmax, _tensor
from tapeflow.ops.reduce import _sum
from tapeflow.ops.transcendental import sigmoid
from tapeflow.tape import add, broadcast_to
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "l2_loss",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits",
]


@op("L2Loss")
def _l2_loss(t: Any) -> Any:
    return (np.sum(np.square(t)) / 2).astype(t.dtype)[()]


@_l2_loss.defvjp(batched=True)
def _l2_loss_vjp(grad: Tensor, out: Tensor, t: Tensor) -> tuple[Any]:
    # d(sum x^2 / 2) = x
    return (grad_times(grad, t),)


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2.

    >>> import tapeflow as tf
    >>> float(tf.nn.l2_loss([1.0, 2.0]))
    2.5
    """
    return _l2_loss(_floating(t, "L2Loss"))


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
    return grad_times(grad, subtract(sigmoid(x), z)), grad_times(grad, negative(x))


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
    # g * (softmax - labels), plus the softmax Jacobian applied to the backprop's cotangent;
    # the cotangents may carry a jacobian's leading axes: the class axis is their last
    g = _reshape(g_loss, shape=(*g_loss._value.shape, 1))
    p = _softmax(features, axis=-1)
    weighted = multiply(g_backprop, p)
    inner = _sum(weighted, axis=(weighted.ndim - 1,), keepdims=True)
    return add(multiply(g, backprop), multiply(subtract(g_backprop, inner), p))


@_softmax_ce.defvjp(batched=True)
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


@_sparse_softmax_ce.defvjp(batched=True)
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


_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half"}
