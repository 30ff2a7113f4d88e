"""Clipping by norm: clip_by_norm, clip_by_global_norm, global_norm (TF's clip_ops).

Written as TF writes them, in differentiable ops, so their gradients are TF's: in particular
clip_by_norm at the zero vector has the identity as its gradient (no nan: the norm is taken
through a `where` that avoids sqrt'(0)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tapeflow.indexed_slices import IndexedSlices
from tapeflow.ops.logic import greater
from tapeflow.ops.math import (
    add,
    cast,
    identity,
    maximum,
    minimum,
    multiply,
    realdiv,
    reciprocal,
    sqrt,
    subtract,
    where,
)
from tapeflow.ops.reduce import reduce_sum
from tapeflow.tape import ones_like_np
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["clip_by_norm", "clip_by_global_norm", "global_norm"]


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Tensor:
    """Rescales `t` so that its L2 norm over `axes` is at most `clip_norm`.

    >>> import tapeflow as tf
    >>> tf.clip_by_norm([3.0, 4.0], 1.0).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    values = t if isinstance(t, Tensor) else convert_to_tensor(t)
    l2sum = reduce_sum(multiply(values, values), axis=axes, keepdims=True)
    positive = greater(l2sum, 0)
    # sqrt only where the sum is positive, so the gradient at the zero vector is finite
    l2norm = where(positive, sqrt(where(positive, l2sum, ones_like_np(l2sum))), l2sum)
    clip = convert_to_tensor(clip_norm, dtype_hint=values.dtype)
    return identity(realdiv(multiply(values, clip), maximum(l2norm, clip)))


def global_norm(t_list: Any, name: str | None = None) -> Tensor:
    """sqrt(sum of squares of every element of every tensor); None entries are skipped.

    >>> import tapeflow as tf
    >>> float(tf.linalg.global_norm([tf.constant([3.0]), None, tf.constant([4.0])]))
    5.0
    """
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    # TF measures an IndexedSlices by its values: a duplicated row counts twice
    values = [convert_to_tensor(_dense_part(v)) for v in t_list if v is not None]
    if not values:  # TF: the norm of nothing is 0
        return convert_to_tensor(0.0)
    total = reduce_sum(multiply(values[0], values[0]))
    for v in values[1:]:
        total = add(total, reduce_sum(multiply(v, v)))
    return sqrt(total)


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Any], Tensor]:
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); None entries stay None.
    Returns (the clipped list, the global norm). An infinite or nan norm gives nan tensors.

    >>> import tapeflow as tf
    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3.0, 4.0]), None], 1.0)
    >>> clipped[0].numpy().tolist(), clipped[1], float(norm)
    ([0.6000000238418579, 0.800000011920929], None, 5.0)
    """
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"`t_list` should be a sequence of tensors. Received {type(t_list)}.")
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    clip = convert_to_tensor(clip_norm, dtype_hint=norm.dtype)
    scale = multiply(clip, minimum(reciprocal(norm), reciprocal(clip)))
    scale = add(scale, subtract(norm, norm))  # nan when the norm is inf or nan (TF)
    clipped = [None if v is None else _scaled(v, scale) for v in t_list]
    return clipped, norm


def _dense_part(t: Any) -> Any:
    return t.values if isinstance(t, IndexedSlices) else t


def _scaled(v: Any, scale: Tensor) -> Any:
    if isinstance(v, IndexedSlices):  # stays sparse, as in TF
        return IndexedSlices(
            multiply(v.values, cast(scale, v.values.dtype)), v.indices, v.dense_shape
        )
    return identity(multiply(v, cast(scale, convert_to_tensor(v).dtype)))
