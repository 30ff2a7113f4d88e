"""Clipping a list of gradients by their global norm (IndexedSlices stay sparse)."""

from __future__ import annotations

from typing import Any

from tapeflow.indexed_slices import IndexedSlices
from tapeflow.ops.array import stack
from tapeflow.ops.math import identity, minimum, multiply, reciprocal, sqrt, subtract
from tapeflow.ops.reduce import reduce_sum
from tapeflow.tape import add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["global_norm", "clip_by_global_norm"]


def _dense_part(t: Any) -> Tensor:
    # TF measures an IndexedSlices by its values: a duplicated row counts twice
    return convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t)


def global_norm(t_list: Any, name: str | None = None) -> Tensor:
    """sqrt(sum of squares of every element of every tensor); None entries are skipped.

    >>> import tapeflow as tf
    >>> float(tf.linalg.global_norm([tf.constant([3.0]), None, tf.constant([[4.0]])]))
    5.0
    """
    values = [_dense_part(t) for t in t_list if t is not None]
    squares = [reduce_sum(multiply(v, v)) for v in values]
    return sqrt(reduce_sum(stack(squares)))


def clip_by_global_norm(
    t_list: Any, clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[Any], Tensor]:
    """Scales every tensor by clip_norm / max(global_norm, clip_norm); returns the tensors and
    the global norm (NaN or inf norms give NaN tensors, as in TF).

    >>> import tapeflow as tf
    >>> clipped, norm = tf.clip_by_global_norm([tf.constant([3.0, 4.0])], 1.0)
    >>> float(norm), clipped[0].numpy().tolist()
    (5.0, [0.6000000238418579, 0.800000011920929])
    """
    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    clip = convert_to_tensor(clip_norm, dtype=norm.dtype)
    scale = multiply(clip, minimum(reciprocal(norm), reciprocal(clip)))
    scale = add(scale, subtract(norm, norm))  # NaN and inf norms poison the scale, as in TF
    clipped: list[Any] = []
    for t in t_list:
        if t is None:
            clipped.append(None)
        elif isinstance(t, IndexedSlices):
            clipped.append(IndexedSlices(multiply(t.values, scale), t.indices, t.dense_shape))
        else:
            clipped.append(identity(multiply(t, scale)))
    return clipped, norm
