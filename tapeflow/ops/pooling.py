"""Pooling (NHWC): max_pool2d, avg_pool2d and their N-d forms max_pool and avg_pool, over the
strided window views of `tapeflow.ops.conv`, with gradient ops that are differentiable again.

The ops that take a cotangent (the gradient ops, and AvgPool, AvgPoolGrad's adjoint) accept
extra leading axes on it, a jacobian's batch of cotangents, and keep them in front: their
rules are batched as written.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapeflow.errors import UnimplementedError
from tapeflow.op import op
from tapeflow.ops.array import _reshape, _transpose
from tapeflow.ops.conv import (
    _Geometry,
    _merge_lead,
    _nchw_to_nhwc,
    _nhwc_to_nchw,
    _padding,
    _spatial,
    _split_lead,
)
from tapeflow.ops.nn import _floating, _tensor
from tapeflow.tensor import Tensor

__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "max_pool",
    "avg_pool",
]


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
    size = int(np.prod(padded))
    rows = math.prod(grad.shape[:-4])  # 1 unless grad carries leading (batch) axes
    if rows != 1:  # each leading row scatters into a padded input of its own
        where_ = where_ + (np.arange(rows) * size).reshape(-1, 1, 1, 1, 1)
    summed = np.bincount(where_.reshape(-1), weights=grad.reshape(-1), minlength=rows * size)
    merged = summed.reshape(rows * padded[0], *padded[1:])
    return _split_lead(np.ascontiguousarray(g.crop(merged)).astype(grad.dtype), grad)


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
    # gathered from each leading row of grad (if it has any) at once
    flat = g.pad(_merge_lead(grad)).reshape(*grad.shape[:-4], int(np.prod(padded)))
    return np.take(flat, where_, axis=-1)


@_max_pool.defvjp(batched=True)
def _max_pool_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # each window's gradient goes to its first maximum (TF)
    return (_max_pool_grad(x, out, grad, **attrs),)


@_max_pool_grad.defvjp(batched=True)
def _max_pool_grad_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, g: Tensor, **attrs: Any
) -> Any:
    # MaxPoolGrad scatters g to the argmax positions: its adjoint gathers from there
    return None, None, _max_pool_grad_grad(x, y, grad, **attrs)


@_max_pool_grad_grad.defvjp(batched=True)
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
    x = _merge_lead(value)
    g = _pool_geometry(x.shape, locals())
    return _split_lead(g.windows(g.pad(x)).sum(axis=(3, 4)) / _window_counts(g, x.dtype), value)


@op("AvgPoolGrad")
def _avg_pool_grad(
    grad: Any,
    *,
    orig_input_shape: tuple[int, ...],
    ksize: tuple[int, ...],
    strides: tuple[int, ...],
    padding: str,
) -> Any:
    dy = _merge_lead(grad)
    g = _pool_geometry((dy.shape[0], *orig_input_shape[1:]), locals())
    share = dy / _window_counts(g, grad.dtype)
    cols = np.broadcast_to(share[:, :, :, None, None, :], (*share.shape[:3], *g.k, share.shape[3]))
    return _split_lead(np.ascontiguousarray(g.scatter(cols, grad.dtype)), grad)


@_avg_pool.defvjp(batched=True)
def _avg_pool_vjp(grad: Tensor, out: Tensor, x: Tensor, **attrs: Any) -> tuple[Any]:
    # each window's gradient is shared equally among the entries it averaged
    return (_avg_pool_grad(grad, orig_input_shape=x._value.shape[-4:], **attrs),)


@_avg_pool_grad.defvjp(batched=True)
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
