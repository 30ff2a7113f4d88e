"""Diagonals and bands of matrices: tf.linalg.diag, diag_part and band_part (TF's MatrixDiag,
MatrixDiagPart and MatrixBandPart ops).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _tensor, _value
from tapeflow.tensor import Tensor

__all__ = [
    "diag",
    "diag_part",
    "band_part",
]


# ---------------------------------------------------------------------------------------------
# Diagonals and bands of matrices (tf.linalg.diag, diag_part, band_part)


def _diag_coords(rows: int, cols: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = builtins.max(0, builtins.min(rows - builtins.max(-k, 0), cols - builtins.max(k, 0)))
    i = np.arange(n) + builtins.max(-k, 0)
    return i, i + k


@op("MatrixDiagV3", same_dtype=())
def _matrix_diag(
    diagonal: Any, *, k: int = 0, num_rows: int = -1, num_cols: int = -1, padding_value: Any = 0
) -> Any:
    d = np.asarray(diagonal)
    out = np.full((*d.shape[:-1], num_rows, num_cols), padding_value, dtype=d.dtype)
    r, c = _diag_coords(num_rows, num_cols, k)
    out[..., r, c] = d
    return out


@_matrix_diag.defvjp(batched=True)
def _matrix_diag_vjp(grad: Tensor, out: Tensor, d: Tensor, **attrs: Any) -> tuple[Any]:
    # the adjoint of placing a vector on a diagonal is reading that diagonal
    return (_matrix_diag_part(grad, k=attrs["k"]),)


@op("MatrixDiagPartV3", same_dtype=())
def _matrix_diag_part(input: Any, *, k: int = 0) -> Any:
    x = np.asarray(input)
    r, c = _diag_coords(x.shape[-2], x.shape[-1], k)
    return x[..., r, c]


@_matrix_diag_part.defvjp(batched=True)
def _matrix_diag_part_vjp(grad: Tensor, out: Tensor, x: Tensor, *, k: int) -> tuple[Any]:
    # reading a diagonal is adjoint to writing it into zeros
    rows, cols = x._value.shape[-2:]
    return (_matrix_diag(grad, k=k, num_rows=rows, num_cols=cols, padding_value=0),)


def _single_k(k: Any) -> int:
    ks = np.asarray(_value(k)).reshape(-1).tolist()
    if len(ks) == 2 and ks[0] == ks[1]:
        ks = ks[:1]
    if len(ks) != 1:
        raise NotImplementedError(
            f"tapeflow supports one diagonal (an integer k), got k={ks}; bands of several "
            "diagonals are not implemented"
        )
    return int(ks[0])


def diag(
    diagonal: Any,
    name: str = "diag",
    k: Any = 0,
    num_rows: int = -1,
    num_cols: int = -1,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """Matrices with `diagonal` (last axis) on diagonal `k` (0 main, >0 above, <0 below) and
    `padding_value` elsewhere; `num_rows`/`num_cols` default to the smallest fitting size.

    >>> import tapeflow as tf
    >>> tf.linalg.diag([1, 2]).numpy().tolist()
    [[1, 0], [0, 2]]
    """
    d = _tensor(diagonal)
    if d.ndim < 1:
        raise InvalidArgumentError("diagonal must be at least 1-dim [Op:MatrixDiagV3]")
    kk = _single_k(k)
    n = d._value.shape[-1]
    min_rows, min_cols = n + builtins.max(-kk, 0), n + builtins.max(kk, 0)
    rows, cols = int(num_rows), int(num_cols)
    if rows == -1 and cols == -1:
        rows = cols = builtins.max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows:
        raise InvalidArgumentError("The number of rows is too small. [Op:MatrixDiagV3]")
    if cols < min_cols:
        raise InvalidArgumentError("The number of columns is too small. [Op:MatrixDiagV3]")
    if len(_diag_coords(rows, cols, kk)[0]) != n:
        raise InvalidArgumentError(
            "The number of rows or columns is not consistent with the specified d_lower, "
            f"d_upper, and diagonal (a diagonal of length {n} at k = {kk} does not fit "
            f"exactly in {rows}x{cols}). [Op:MatrixDiagV3]"
        )
    pad_value = np.asarray(_value(padding_value)).astype(d._value.dtype).item()
    return _matrix_diag(d, k=kk, num_rows=rows, num_cols=cols, padding_value=pad_value)


def diag_part(
    input: Any,
    name: str = "diag_part",
    k: Any = 0,
    padding_value: Any = 0,
    align: str = "RIGHT_LEFT",
) -> Tensor:
    """Diagonal `k` of each matrix in the last two axes.

    >>> import tapeflow as tf
    >>> tf.linalg.diag_part([[1, 2], [3, 4]]).numpy().tolist()
    [1, 4]
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"input must be at least 2-dim, received shape: {x.shape}")
    kk = _single_k(k)
    rows, cols = x._value.shape[-2:]
    if not -rows < kk < cols and rows and cols:
        raise InvalidArgumentError(
            f"lower_diag_index is out of bound: {kk}. It must be between {-rows} and {cols} "
            "[Op:MatrixDiagPartV3]"
        )
    return _matrix_diag_part(x, k=kk)


@op("MatrixBandPart", same_dtype=())
def _band_part(input: Any, *, num_lower: int, num_upper: int) -> Any:
    x = np.asarray(input)
    i = np.arange(x.shape[-2])[:, None]
    j = np.arange(x.shape[-1])[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return np.where(keep, x, np.zeros((), x.dtype))


@_band_part.defvjp(batched=True)
def _band_part_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # masking is self-adjoint
    return (_band_part(grad, **attrs),)


def band_part(input: Any, num_lower: Any, num_upper: Any, name: str | None = None) -> Tensor:
    """Keeps `num_lower` subdiagonals and `num_upper` superdiagonals (-1: all) of each matrix,
    zeroing the rest.

    >>> import tapeflow as tf
    >>> tf.linalg.band_part(tf.ones([3, 3]), 1, 0).numpy().tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]
    """
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"input must be at least 2-dim, received shape: {x.shape}")
    lo, up = int(_value(num_lower)), int(_value(num_upper))
    rows, cols = x._value.shape[-2:]
    if lo > rows:
        raise InvalidArgumentError(
            f"num_lower must be negative or less or equal to number of rows ({rows}) got: {lo} "
            "[Op:MatrixBandPart]"
        )
    if up > cols:
        raise InvalidArgumentError(
            f"num_upper must be negative or less or equal to number of columns ({cols}) got: "
            f"{up} [Op:MatrixBandPart]"
        )
    return _band_part(x, num_lower=lo, num_upper=up)
