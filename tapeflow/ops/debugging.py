"""`tf.debugging`: check_numerics (an op, with TF's gradient) and the eager assertions
assert_equal, assert_near and assert_shapes, which raise TF's errors with TF's messages."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import FLOATS, op, require_dtype, variable_types
from tapeflow.ops.logic import equal
from tapeflow.ops.reduce import reduce_all
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["check_numerics", "assert_equal", "assert_near", "assert_shapes"]


@op("CheckNumerics")
def _check_numerics(tensor: Any, *, message: str = "") -> Any:
    require_dtype(tensor, "CheckNumerics", FLOATS)
    nan, inf = bool(np.isnan(tensor).any()), bool(np.isinf(tensor).any())
    if nan or inf:
        what = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
        raise InvalidArgumentError(
            f"{message} : Tensor had {what} values [Op:CheckNumerics] name: "
        )
    return tensor


@_check_numerics.defvjp(batched=True)
def _check_numerics_vjp(grad: Tensor, out: Tensor, tensor: Tensor, *, message: str) -> tuple[Any]:
    # identity, with the gradient checked too (TF); elementwise, so batched as it stands
    return (
        _check_numerics(
            grad,
            message="Not a number (NaN) or infinity (Inf) values detected in gradient. " + message,
        ),
    )


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Tensor:
    """Returns `tensor` unchanged, or raises InvalidArgumentError if it has a NaN or an inf.

    >>> import tapeflow as tf
    >>> tf.debugging.check_numerics(tf.constant([1.0, 2.0]), "ok").numpy().tolist()
    [1.0, 2.0]
    """
    return _check_numerics(tensor, message=str(message))


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) or type(x) in variable_types else convert_to_tensor(x)


def _pretty(item: Any, summarize: int) -> str:
    """TF's _pretty_print for one line of an assertion message."""
    if isinstance(item, Tensor):
        arr = item.numpy()
        if np.isscalar(arr):
            return str(arr)
        flat = arr.reshape((-1,))
        items = [str(v) for v in flat[:summarize]]
        if len(items) < flat.size:
            items.append("...")
        return str(items)
    return str(item)


def assert_equal(
    x: Any,
    y: Any,
    message: str | None = None,
    summarize: int | None = None,
    name: str | None = None,
) -> None:
    """Raises InvalidArgumentError unless x == y everywhere (broadcasting); returns None.

    >>> import tapeflow as tf
    >>> tf.debugging.assert_equal(tf.constant([1, 2]), [1, 2])
    """
    xt = _tensor(x)
    same = equal(xt, y)  # TF's errors for shapes that do not broadcast and mixed dtypes
    if bool(reduce_all(same)):
        return None
    yt = _tensor(y)
    n = 3 if summarize is None else (10**9 if summarize < 0 else int(summarize))
    data: list[Any] = ["Condition x == y did not hold."]
    xv, yv = np.asarray(xt._value), np.asarray(yt._value)
    if n > 0:
        if xv.shape == yv.shape and xv.shape:
            mask = ~np.asarray(same._value)
            indices = np.argwhere(mask)
            k = min(n, indices.shape[0])
            data += [
                f"Indices of first {k} different values:",
                indices[:k],
                "Corresponding x values:",
                xv[mask].reshape(-1)[:k],
                "Corresponding y values:",
                yv[mask].reshape(-1)[:k],
            ]
        fx, fy = xv.reshape(-1), yv.reshape(-1)
        kx, ky = min(fx.size, n), min(fy.size, n)
        data += [f"First {kx} elements of x:", fx[:kx], f"First {ky} elements of y:", fy[:ky]]
    if message is not None:
        data = [message, *data]
    raise InvalidArgumentError("\n".join(_pretty(d, n) for d in data))


def _summarize_eager(value: Any, summarize: int) -> str:
    arr = np.asarray(value)
    if arr.ndim:
        flat = arr.reshape(-1)
        items = [str(v) for v in flat[:summarize]]
        if len(items) < flat.size:
            items.append("...")
        return ", ".join(items)
    return str(arr[()]) if summarize else ""


def assert_near(
    x: Any,
    y: Any,
    rtol: Any = None,
    atol: Any = None,
    message: str | None = None,
    summarize: int | None = None,
    name: str | None = None,
) -> None:
    """Raises InvalidArgumentError unless |x - y| <= atol + rtol |y| everywhere; the default
    tolerances are 10 eps of the dtype.

    >>> import tapeflow as tf
    >>> tf.debugging.assert_near([1.0, 2.0], [1.0, 2.000001])
    """
    xt = _tensor(x)
    yt = convert_to_tensor(y, dtype=xt.dtype) if not isinstance(y, Tensor) else y
    np_dtype = xt._value.dtype
    eps = np.finfo(np_dtype).eps if np_dtype.kind in "fc" else 0
    rt = convert_to_tensor(10 * eps if rtol is None else rtol, dtype=xt.dtype)
    at = convert_to_tensor(10 * eps if atol is None else atol, dtype=xt.dtype)
    if yt._value.dtype != xt._value.dtype:
        from tapeflow.op import dtype_mismatch

        raise dtype_mismatch("Sub", 1, xt._value.dtype, yt._value.dtype)
    diff = np.abs(np.asarray(xt._value) - np.asarray(yt._value))
    bound = np.asarray(at._value) + np.asarray(rt._value) * np.abs(np.asarray(yt._value))
    if bool(np.all(diff <= bound)):
        return None
    n = 3 if summarize is None else (10**9 if summarize < 0 else int(summarize))
    prefix = f"{message}.  " if message else ""
    lines = [
        prefix.encode(),
        f"x and y not equal to tolerance rtol = {rt!s}, atol = {at!s}".encode(),
        f"x (shape={xt.shape} dtype={xt.dtype.name}) = ".encode(),
        xt._value,
        f"y (shape={yt.shape} dtype={yt.dtype.name}) = ".encode(),
        yt._value,
    ]
    data = [repr(v) if isinstance(v, bytes) else _summarize_eager(v, n) for v in lines]
    condition = convert_to_tensor(False)
    raise InvalidArgumentError(
        f"Expected '{condition!s}' to be true. Summarized data: " + "\n".join(data)
    )


def _describe(t: Tensor) -> str:
    return f"shape={t.shape} dtype={t.dtype.name}"


def assert_shapes(
    shapes: Any,
    data: Any = None,
    summarize: int | None = None,
    message: str | None = None,
    name: str | None = None,
) -> None:
    """Checks tensors' shapes against specs of ints, symbolic names shared between tensors and
    a leading `...`; raises ValueError on the first mismatch.

    >>> import tapeflow as tf
    >>> tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", "D")), (tf.zeros([3]), ("D",))])
    """
    pairs = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    prefix = f"{message}.  " if message else ""
    known: dict[str, tuple[int, str, int]] = {}  # symbol -> (size, specified by, dimension)
    for x, given in pairs:
        t = _tensor(x)
        shape = t._value.shape
        spec = list(given)
        open_rank = bool(spec) and spec[0] is Ellipsis
        if open_rank:
            spec = spec[1:]
        if (len(shape) < len(spec)) if open_rank else (len(shape) != len(spec)):
            what = f"at least {len(spec)}" if open_rank else f"{len(spec)}"
            raise ValueError(
                f"{prefix}Tensor {_describe(t)} must have rank {what}.  Received rank "
                f"{len(shape)}, shape {t.shape}"
            )
        offset = len(shape) - len(spec)
        for j, d in enumerate(spec):
            dim = offset + j
            actual = shape[dim]
            if isinstance(d, str):
                if d not in known:
                    known[d] = (actual, f"Specified by tensor {_describe(t)} dimension {dim}", dim)
                    continue
                want, source, _ = known[d]
            elif d is None:
                continue
            else:
                want, source = int(d), "Specified explicitly"
            if actual != want:
                raise ValueError(
                    f"{prefix}{source}.  Tensor {_describe(t)} dimension {dim} must have size "
                    f"{want}.  Received size {actual}, shape {t.shape}"
                )
