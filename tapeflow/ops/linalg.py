"""Linear algebra: matmul (batched, with transpose and adjoint flags)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.math import conj
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["matmul"]


def _t(x: Any, flag: bool) -> Any:
    return np.swapaxes(x, -1, -2) if flag else x


@op("MatMul")
def _matmul(a: Any, b: Any, *, transpose_a: bool = False, transpose_b: bool = False) -> Any:
    return np.matmul(_t(a, transpose_a), _t(b, transpose_b))


@_matmul.defvjp(batched=True)
def _matmul_vjp(
    grad: Tensor,
    out: Tensor,
    a: Tensor,
    b: Tensor,
    *,
    transpose_a: bool,
    transpose_b: bool,
    needs: tuple[bool, bool],
) -> tuple[Any, Any]:
    # C = op(A) op(B): dA = G op(B)^T (transposed back if A was), dB = op(A)^T G (likewise)
    ga = gb = None
    if needs[0]:
        if transpose_a:
            ga = _matmul(b, grad, transpose_a=transpose_b, transpose_b=True)
        else:
            ga = _matmul(grad, b, transpose_b=not transpose_b)
    if needs[1]:
        if transpose_b:
            gb = _matmul(grad, a, transpose_a=True, transpose_b=transpose_a)
        else:
            gb = _matmul(a, grad, transpose_a=not transpose_a)
    return ga, gb


def matmul(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    adjoint_a: bool = False,
    adjoint_b: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    output_type: Any = None,
    grad_a: bool = False,
    grad_b: bool = False,
    name: str | None = None,
) -> Tensor:
    """Matrix product of the last two axes, broadcasting any leading (batch) axes.

    >>> import tapeflow as tf
    >>> tf.matmul([[1.0, 2.0]], [[3.0], [4.0]]).numpy().tolist()
    [[11.0]]
    """
    a = a if hasattr(a, "_value") else convert_to_tensor(a)
    b = b if hasattr(b, "_value") else convert_to_tensor(b)
    if np.ndim(a._value) < 2 or np.ndim(b._value) < 2:
        raise InvalidArgumentError(
            f"In[0] and In[1] must be at least rank 2 for matmul, got shapes "
            f"{list(np.shape(a._value))} and {list(np.shape(b._value))} [Op:MatMul]"
        )
    if adjoint_a:
        a, transpose_a = conj(a), not transpose_a
    if adjoint_b:
        b, transpose_b = conj(b), not transpose_b
    ka = np.shape(a._value)[-2 if transpose_a else -1]
    kb = np.shape(b._value)[-1 if transpose_b else -2]
    if ka != kb:
        raise InvalidArgumentError(
            f"Matrix size-incompatible: In[0]: {list(np.shape(a._value))}, In[1]: "
            f"{list(np.shape(b._value))} [Op:MatMul]"
        )
    return _matmul(a, b, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b))
