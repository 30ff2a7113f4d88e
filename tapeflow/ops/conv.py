"""Convolution (NHWC): conv1d, conv2d, conv2d_transpose, and the window geometry pooling shares.

Convolution works on strided views of the (padded) input: conv2d is one im2col copy and one
matmul; its input and filter gradients are the ops Conv2DBackpropInput and
Conv2DBackpropFilter (a matmul and a col2im scatter over the kernel positions), whose own
gradients are conv2d and each other, so every order works.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.ops.array import _reshape, _transpose, concat, like_dtype, split
from tapeflow.ops.nn import _tensor
from tapeflow.tensor import Tensor

__all__ = [
    "conv1d",
    "conv2d",
    "conv2d_transpose",
]


# ---------------------------------------------------------------------------------------------
# Window geometry (NHWC), shared with pooling: padding, output sizes, strided window views


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


# ---------------------------------------------------------------------------------------------
# Conv2D and its gradient ops: im2col + one matmul, col2im scatters
#
# Each of the three is bilinear and, like matmul, broadcasts extra leading axes of either
# operand in front of its result, so a jacobian's batch of cotangents (or of filters, in a
# jacobian of a gradient) takes one call: leading rows merge into N where examples stay apart
# (im2col, col2im) and a batched matmul carries them elsewhere. Their rules are then batched
# as written; the engine sums broadcast axes back.


def _merge_lead(x: np.ndarray) -> np.ndarray:
    """NHWC `x` with any extra leading axes merged into N."""
    return x if x.ndim == 4 else x.reshape((math.prod(x.shape[:-3]), *x.shape[-3:]))


def _split_lead(merged: np.ndarray, like: np.ndarray) -> np.ndarray:
    """The result of an op on `_merge_lead(like)` with like's leading axes split out again."""
    return merged.reshape(like.shape[:-3] + merged.shape[1:])


def _lead(a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    """The leading axes beyond 4-D of two operands, broadcast together (usually none)."""
    la, lb = a.shape[:-4], b.shape[:-4]
    return la if not lb else lb if not la else np.broadcast_shapes(la, lb)


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
    x = _merge_lead(input)
    g = _conv_geometry(x.shape, filter.shape[-4:], locals())
    kh, kw, c, o = filter.shape[-4:]
    oh, ow = g.out_hw
    n = input.shape[-4]
    cols = g.windows(g.pad(x)).reshape(g.n * oh * ow, kh * kw * c)  # im2col: one copy
    if filter.ndim > 4:  # a batch of filters: one batched matmul
        cols = cols.reshape(*input.shape[:-4], n * oh * ow, kh * kw * c)
    out = cols @ filter.reshape(*filter.shape[:-4], kh * kw * c, o)
    return out.reshape(*_lead(input, filter), n, oh, ow, o)


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
    lead = _lead(filter, out_backprop)
    rows = math.prod(lead) * input_sizes[0]  # every leading row is an example of its own
    g = _conv_geometry((rows, *input_sizes[1:]), filter.shape[-4:], locals())
    kh, kw, c, o = filter.shape[-4:]
    oh, ow = g.out_hw
    if filter.ndim == 4:
        dy = out_backprop.reshape(-1, o)
    else:  # a batch of filters: one batched matmul
        dy = out_backprop.reshape(*out_backprop.shape[:-4], out_backprop.shape[-4] * oh * ow, o)
    cols = dy @ np.swapaxes(filter.reshape(*filter.shape[:-4], kh * kw * c, o), -1, -2)
    x = g.scatter(cols.reshape(rows, oh, ow, kh, kw, c), filter.dtype)
    return np.ascontiguousarray(x).reshape(*lead, *input_sizes)


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
    x = _merge_lead(input)
    g = _conv_geometry(x.shape, filter_sizes, locals())
    kh, kw, c, o = filter_sizes
    oh, ow = g.out_hw
    m = input.shape[-4] * oh * ow  # the sum over examples and positions: leading axes stay
    cols = g.windows(g.pad(x)).reshape(*input.shape[:-4], m, kh * kw * c)
    out = np.swapaxes(cols, -1, -2) @ out_backprop.reshape(*out_backprop.shape[:-4], m, o)
    return out.reshape(*out.shape[:-2], *filter_sizes)


@_conv2d.defvjp(batched=True)
def _conv2d_vjp(
    grad: Tensor, out: Tensor, x: Tensor, w: Tensor, needs: tuple[bool, bool], **attrs: Any
) -> tuple[Any, Any]:
    # dx: the transposed convolution of the upstream; dw: input windows times the upstream
    x_sizes, w_sizes = x._value.shape[-4:], w._value.shape[-4:]
    gx = _conv2d_backprop_input(w, grad, input_sizes=x_sizes, **attrs) if needs[0] else None
    gw = _conv2d_backprop_filter(x, grad, filter_sizes=w_sizes, **attrs) if needs[1] else None
    return gx, gw


@_conv2d_backprop_input.defvjp(batched=True)
def _conv2d_backprop_input_vjp(
    grad: Tensor, out: Tensor, w: Tensor, dy: Tensor, *, input_sizes: Any, **attrs: Any
) -> tuple[Any, Any]:
    # bilinear in (filter, upstream): each factor's gradient is the other two conv ops
    return (
        _conv2d_backprop_filter(grad, dy, filter_sizes=w._value.shape[-4:], **attrs),
        _conv2d(grad, w, **attrs),
    )


@_conv2d_backprop_filter.defvjp(batched=True)
def _conv2d_backprop_filter_vjp(
    grad: Tensor, out: Tensor, x: Tensor, dy: Tensor, *, filter_sizes: Any, **attrs: Any
) -> tuple[Any, Any]:
    # bilinear in (input, upstream), as above
    return (
        _conv2d_backprop_input(grad, dy, input_sizes=x._value.shape[-4:], **attrs),
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
