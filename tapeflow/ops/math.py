"""Elementwise arithmetic: add, subtract, multiply, divide, pow, square, sqrt, abs, maximum,
where, ...; casts, identity and complex parts; safe and fused binary ops (divide_no_nan, xlogy).
Transcendental functions are in `transcendental.py`; comparisons, logic, rounding and
classification (no gradients) in `logic.py`.

Each op's forward is NumPy; its VJP sits right under it and is written in tapeflow ops, so a
tape recording during a backward pass records the gradient computation too (higher order).
The engine sums every input gradient back to the input's shape, so rules ignore broadcasting.
Where TF fuses a gradient into one kernel (TanhGrad, SqrtGrad, ...) so do we: one op instead of
three in the backward pass, and the kernel's special cases (a zero upstream gives zero) hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.op import FLOATS_COMPLEX, is_tracked, op, require_dtype
from tapeflow.ops.logic import _floor, greater, greater_equal, less_equal, not_equal
from tapeflow.tape import add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "truediv",
    "realdiv",
    "floordiv",
    "floormod",
    "pow",
    "negative",
    "square",
    "sqrt",
    "rsqrt",
    "reciprocal",
    "abs",
    "sign",
    "maximum",
    "minimum",
    "where",
    "clip_by_value",
    "cast",
    "conj",
    "real",
    "imag",
    "identity",
    "stop_gradient",
    "squared_difference",
    "divide_no_nan",
    "xlogy",
    "xdivy",
    "add_n",
    "mod",
    "polyval",
    "multiply_no_nan",
]


_REAL_SCALARS = frozenset({np.float16, np.float32, np.float64})


def _is_complex(t: Any) -> bool:
    v = t._value
    return type(v) not in _REAL_SCALARS and v.dtype.kind == "c"


def conj_if_complex(t: Tensor) -> Tensor:
    """conj(t) for complex tensors, t itself otherwise (TF's VJPs use conjugates)."""
    v = t._value
    if type(v) in _REAL_SCALARS or v.dtype.kind != "c":
        return t
    return _conj(t)


# ---------------------------------------------------------------------------------------------
# Arithmetic


@op("Sub")
def subtract(x: Any, y: Any) -> Any:
    return x - y


@subtract.defvjp(batched=True)
def _subtract_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, needs: tuple[bool, bool]
) -> tuple[Any, Any]:
    return grad, negative(grad) if needs[1] else None


def _constant_view(a: Any) -> Any:
    """The one value of a broadcast view that repeats a single number, else None.

    Gradients of sums arrive as such views (broadcast_to of the upstream gradient); multiplying
    by the number itself is a plain scalar loop, and by 1 no work at all.
    """
    if type(a) is np.ndarray and a.base is not None and a.size and not any(a.strides):
        return a.reshape(-1)[0]
    return None


def _times_view(a: Any, b: Any) -> Any:
    """a * b when `a` is a view of one number c: b itself (c == 1) or b * c; else None."""
    c = _constant_view(a)
    if (
        c is not None
        and isinstance(b, (np.ndarray, np.generic))  # a Python number is no result
        and np.shape(b) == a.shape
        and np.result_type(b, c) == a.dtype
    ):
        return b if c == 1 else b * c  # b is immutable: returning it is safe
    return None


@op("Mul")
def multiply(x: Any, y: Any) -> Any:
    if type(x) is np.ndarray and x.base is not None:  # a view: maybe of one number
        out = _times_view(x, y)
        if out is not None:
            return out
    if type(y) is np.ndarray and y.base is not None:
        out = _times_view(y, x)
        if out is not None:
            return out
    return x * y


@multiply.defvjp(batched=True)
def _multiply_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, needs: tuple[bool, bool]
) -> tuple[Any, Any]:
    # d(xy)/dx = y, d(xy)/dy = x
    return (
        grad_times(grad, conj_if_complex(y)) if needs[0] else None,
        grad_times(grad, conj_if_complex(x)) if needs[1] else None,
    )


def grad_times(grad: Tensor, t: Any) -> Tensor:
    """`grad * t` in a VJP; t itself when grad is an all-ones view that no recorder tracks.

    The gradient of `reduce_sum(f(x))` reaches f's VJP as a broadcast view of the seed 1.
    Multiplying by it is the identity; skipping the op also spares an outer tape recording it
    and walking it again (a Hessian-vector product of two sums has four such ops). A tracked
    cotangent is multiplied as usual: its own gradient must flow through the product.
    """
    gv = grad._value
    if type(gv) is np.ndarray and gv.base is not None and type(t) is Tensor:
        tv = t._value
        if (
            _constant_view(gv) == 1
            and gv.shape == np.shape(tv)
            and gv.dtype == tv.dtype
            and not is_tracked(grad)
        ):
            return t
    return multiply(grad, t)


@op("RealDiv")
def realdiv(x: Any, y: Any) -> Any:
    return x / y


@realdiv.defvjp(batched=True)
def _realdiv_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, needs: tuple[bool, bool]
) -> tuple[Any, Any]:
    # d(x/y)/dx = 1/y, d(x/y)/dy = -x/y^2 (TF computes it as -x/y/y: 0/0 at 0 gives nan, kept)
    yc = conj_if_complex(y)
    gx = realdiv(grad, yc) if needs[0] else None
    gy = None
    if needs[1]:
        gy = grad_times(grad, realdiv(realdiv(negative(conj_if_complex(x)), yc), yc))
    return gx, gy


def truediv(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y; integers are divided as floats (int8/int16 -> float32, int32/int64 -> float64).

    >>> import tapeflow as tf
    >>> tf.truediv(tf.constant([3, 4]), tf.constant(2)).numpy().tolist()
    [1.5, 2.0]
    """
    if not _has_value(x):  # a Python or NumPy left operand takes the right one's dtype
        x = convert_to_tensor(x, dtype_hint=y.dtype if _has_value(y) else None)
    kind = x._value.dtype
    if kind.kind in "iu":
        target = dtypes.float32 if kind.itemsize <= 2 else dtypes.float64
        y = convert_to_tensor(y, dtype=x.dtype) if not _has_value(y) else y
        if y._value.dtype != kind:
            from tapeflow.op import dtype_mismatch

            raise dtype_mismatch("RealDiv", 1, kind, y._value.dtype)
        return realdiv(cast(x, target), cast(y, target))
    return realdiv(x, y)


def _has_value(x: Any) -> bool:
    return hasattr(x, "_value")


divide = truediv


def _integer(x: Any, y: Any) -> bool:
    """Whether a binary op computes in integers (an operand may be a Python scalar)."""
    return bool(np.result_type(x, y).kind in "iu")


@op("FloorDiv", differentiable=False)
def floordiv(x: Any, y: Any) -> Any:
    if _integer(x, y) and np.any(np.asarray(y) == 0):
        from tapeflow.errors import InvalidArgumentError

        raise InvalidArgumentError("Integer division by zero [Op:FloorDiv]")
    return np.floor_divide(x, y)


@op("FloorMod")
def floormod(x: Any, y: Any) -> Any:
    if _integer(x, y) and np.any(np.asarray(y) == 0):
        from tapeflow.errors import InvalidArgumentError

        raise InvalidArgumentError("Integer division by zero [Op:FloorMod]")
    return np.mod(x, y)


@floormod.defvjp(batched=True)
def _floormod_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # x mod y = x - floor(x/y) * y
    return grad, grad_times(grad, negative(_floor(realdiv(x, y))))


def _power(x: Any, y: Any) -> Any:
    if type(x) is np.ndarray and x.dtype.kind == "f" and np.ndim(y) == 0 and float(y) in (3.0, 4.0):
        # NumPy special-cases x**2 but calls libm's pow for cubes and fourth powers, 40x slower
        # than multiplying; the product is within an ulp (TF's pow is not bit-exact either)
        sq = x * x
        return sq * x if y == 3 else sq * sq
    return x**y


@op("Pow")
def pow(x: Any, y: Any) -> Any:
    if _integer(x, y) and np.any(np.asarray(y) < 0):
        from tapeflow.errors import InvalidArgumentError

        raise InvalidArgumentError("Integers to negative integer powers are not allowed [Op:Pow]")
    return _power(x, y)


@pow.defvjp(batched=True)
def _pow_vjp(
    grad: Tensor, out: Tensor, x: Tensor, y: Tensor, needs: tuple[bool, bool]
) -> tuple[Any, Any]:
    # d(x^y)/dx = y x^(y-1); d(x^y)/dy = x^y log x, taken as 0 where x <= 0 (TF's choice)
    gx = None
    if needs[0]:
        c = y._value
        if not needs[1] and type(c) in _REAL_SCALARS:  # x ** 4: a constant exponent
            gx = grad_times(grad, _scaled_pow(x, c=float(c), scale=float(c)))
        else:  # TF's rule on the conjugates, for complex x and y
            xc, yc = conj_if_complex(x), conj_if_complex(y)
            gx = grad_times(grad, multiply(yc, pow(xc, subtract(yc, 1))))
    gy = None
    if needs[1]:
        from tapeflow.ops.transcendental import log

        xc = conj_if_complex(x)
        # log x where defined: x > 0 for real x (TF's choice), x != 0 for complex
        mask = not_equal(xc, 0) if _is_complex(x) else greater(xc, 0)
        safe_log = where(mask, log(where(mask, xc, 1)), 0)
        gy = grad_times(grad, multiply(conj_if_complex(out), safe_log))
    return gx, gy


@op("ScaledPow", same_dtype=())
def _scaled_pow(x: Any, *, c: float, scale: float) -> Any:
    """scale * x^(c-1): the derivative of x^c for a constant c, and its own derivatives.

    tapeflow's own op (TF builds y * pow(x, y - 1) from three). One op per derivative order
    keeps nested tapes short: each order is `grad * ScaledPow` with the constants folded.
    The constants are Python floats, so the result keeps x's dtype.
    """
    return _power(x, c - 1) * scale


@_scaled_pow.defvjp(batched=True)
def _scaled_pow_vjp(grad: Tensor, out: Tensor, x: Tensor, *, c: float, scale: float) -> tuple[Any]:
    return (grad_times(grad, _scaled_pow(x, c=c - 1, scale=scale * (c - 1))),)


@op("Neg")
def negative(x: Any) -> Any:
    return -x


@negative.defvjp(batched=True)
def _negative_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (negative(grad),)


@op("Square")
def square(x: Any) -> Any:
    return x * x


@square.defvjp(batched=True)
def _square_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(x^2) = 2x
    return (grad_times(grad, multiply(conj_if_complex(x), 2)),)


def _fused_grad(name: str, kernel: Any) -> Any:
    """A TF-style fused gradient kernel `Name(y, dy)` that is 0 wherever dy is 0."""

    def forward(y: Any, dy: Any) -> Any:
        out = kernel(y, dy)
        return np.where(dy == 0, np.zeros((), out.dtype), out)[()]

    forward.__name__ = name
    return op(name)(forward)


@op("Sqrt")
def sqrt(x: Any) -> Any:
    return np.sqrt(x)


sqrt_grad = _fused_grad("SqrtGrad", lambda y, dy: dy * 0.5 / y)


@sqrt.defvjp(batched=True)
def _sqrt_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(sqrt x) = 1 / (2 sqrt x); TF's kernel gives 0 where the upstream is 0
    return (sqrt_grad(conj_if_complex(out), grad),)


@sqrt_grad.defvjp(batched=True)
def _sqrt_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # SqrtGrad = dy / (2y): d/dy = -dy / (2 y^2) = -out / y
    return grad_times(grad, negative(realdiv(out, y))), sqrt_grad(y, grad)


@op("Rsqrt")
def rsqrt(x: Any) -> Any:
    return 1 / np.sqrt(x)


rsqrt_grad = _fused_grad("RsqrtGrad", lambda y, dy: dy * -0.5 * y * y * y)


@rsqrt.defvjp(batched=True)
def _rsqrt_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(x^-1/2) = -1/2 x^-3/2 = -1/2 y^3
    return (rsqrt_grad(conj_if_complex(out), grad),)


@rsqrt_grad.defvjp(batched=True)
def _rsqrt_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # RsqrtGrad = -1/2 dy y^3: d/dy = -3/2 dy y^2
    return grad_times(grad, multiply(dy, multiply(square(y), -1.5))), rsqrt_grad(y, grad)


@op("Reciprocal")
def reciprocal(x: Any) -> Any:
    return 1 / x


reciprocal_grad = _fused_grad("ReciprocalGrad", lambda y, dy: -dy * y * y)


@reciprocal.defvjp(batched=True)
def _reciprocal_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d(1/x) = -1/x^2 = -y^2
    return (reciprocal_grad(conj_if_complex(out), grad),)


@reciprocal_grad.defvjp(batched=True)
def _reciprocal_grad_vjp(grad: Tensor, out: Tensor, y: Tensor, dy: Tensor) -> tuple[Any, Any]:
    # ReciprocalGrad = -dy y^2: d/dy = -2 dy y
    return grad_times(grad, multiply(dy, multiply(y, -2))), reciprocal_grad(y, grad)


@op("Abs")
def abs(x: Any) -> Any:
    return np.abs(x)


@abs.defvjp(batched=True)
def _abs_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # d|x| = sign(x) (0 at 0, TF's convention); for complex, x/|x|
    if _is_complex(x):
        return (multiply(cast(grad, x.dtype), divide_no_nan_complex(x, cast(out, x.dtype))),)
    return (grad_times(grad, sign(x)),)


def divide_no_nan_complex(x: Tensor, y: Tensor) -> Tensor:
    return where(not_equal(y, 0), realdiv(x, where(not_equal(y, 0), y, 1)), 0)


@op("Sign")
def sign(x: Any) -> Any:
    return np.sign(x)


@sign.defvjp(batched=True)
def _sign_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    # TF registers sign's gradient as zeros (not None)
    return (grad_times(grad, 0),)


@op("Maximum")
def maximum(x: Any, y: Any) -> Any:
    return np.maximum(x, y)


@maximum.defvjp(batched=True)
def _maximum_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # the gradient goes to x where x >= y: a tie sends it all to the first argument (TF)
    mask = greater_equal(x, y)
    return where(mask, grad, 0), where(mask, 0, grad)


@op("Minimum")
def minimum(x: Any, y: Any) -> Any:
    return np.minimum(x, y)


@minimum.defvjp(batched=True)
def _minimum_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    mask = less_equal(x, y)
    return where(mask, grad, 0), where(mask, 0, grad)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None) -> Any:
    """Clamps `t` to [min, max]; at a bound the gradient is 1 (TF: min then max, ties to t).

    >>> import tapeflow as tf
    >>> tf.clip_by_value([-2.0, 0.5, 3.0], -1.0, 1.0).numpy().tolist()
    [-1.0, 0.5, 1.0]
    """
    return maximum(minimum(t, clip_value_max), clip_value_min)


@op("SelectV2", same_dtype=(1, 2))
def _select(condition: Any, x: Any, y: Any) -> Any:
    return np.where(condition, x, y)[()]


@_select.defvjp(batched=True)
def _select_vjp(grad: Tensor, out: Tensor, c: Tensor, x: Tensor, y: Tensor) -> tuple[Any, ...]:
    # each branch gets the gradient where it was selected (0 * inf elsewhere still gives nan
    # through the unselected branch's own rule: TF's "where NaN trap", kept)
    zeros = grad_times(grad, 0)
    return None, _select(c, grad, zeros), _select(c, zeros, grad)


@op("Where", differentiable=False, same_dtype=())
def _where_indices(condition: Any) -> Any:
    return np.argwhere(condition).astype(np.int64)


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Any:
    """Picks from x where `condition` holds, else from y (broadcasting); with only a condition,
    the int64 coordinates of its True elements.

    >>> import tapeflow as tf
    >>> tf.where([True, False], 1.0, 2.0).numpy().tolist()
    [1.0, 2.0]
    """
    if x is None and y is None:
        return _where_indices(condition)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    if not _has_value(condition):
        condition = convert_to_tensor(condition)
    if condition._value.dtype.kind != "b":
        from tapeflow.errors import InvalidArgumentError

        raise InvalidArgumentError(
            f"tf.where's condition must be a bool tensor, got {condition.dtype.name} [Op:SelectV2]"
        )
    return _select(condition, x, y)


# ---------------------------------------------------------------------------------------------
# Casts, identity, complex parts


@op("Cast", same_dtype=())
def _cast(x: Any, *, dtype: Any) -> Any:
    if dtype.kind in "iu" and x.dtype.kind in "fc":
        x = np.trunc(np.real(x))  # TF truncates toward zero; NaN/inf become undefined ints
    elif dtype.kind not in "c" and x.dtype.kind == "c":
        x = np.real(x)
    return np.asarray(x).astype(dtype)[()]


@_cast.defvjp(batched=True)
def _cast_vjp(grad: Tensor, out: Tensor, x: Tensor, *, dtype: Any) -> tuple[Any]:
    # float -> float is differentiable: the gradient comes back in the source dtype
    if x._value.dtype.kind not in "fc":
        return (None,)
    return (_cast(grad, dtype=x._value.dtype),)


def cast(x: Any, dtype: Any, name: str | None = None) -> Any:
    """Casts to `dtype`; float to int truncates toward zero, complex to real drops the imag.

    >>> import tapeflow as tf
    >>> tf.cast([1.7, -1.7], tf.int32).numpy().tolist()
    [1, -1]
    """
    target = dtypes.as_dtype(dtype)._np
    if _has_value(x) and x._value.dtype == target and type(x) is Tensor:
        return x
    return _cast(x, dtype=target)


@op("Identity", same_dtype=())
def identity(input: Any) -> Any:
    return input


@identity.defvjp(batched=True)
def _identity_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (grad,)


@op("StopGradient", differentiable=False, same_dtype=())
def stop_gradient(input: Any) -> Any:
    return input


@op("Conj", same_dtype=())
def _conj(x: Any) -> Any:
    return np.conj(x)


@_conj.defvjp(batched=True)
def _conj_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (_conj(grad),)


def conj(x: Any, name: str | None = None) -> Any:
    return _conj(x) if _is_complex(convert_to_tensor(x)) else identity(x)


@op("Real", same_dtype=())
def real(input: Any) -> Any:
    return np.real(input)[()]


@real.defvjp(batched=True)
def _real_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (_cast(grad, dtype=x._value.dtype) if _is_complex(x) else grad,)


@op("Imag", same_dtype=())
def imag(input: Any) -> Any:
    return np.imag(input)[()]


@imag.defvjp(batched=True)
def _imag_vjp(grad: Tensor, out: Tensor, x: Tensor) -> tuple[Any]:
    return (multiply(_cast(grad, dtype=x._value.dtype), 1j),)


# ---------------------------------------------------------------------------------------------
# Safe and fused binary ops


@op("SquaredDifference")
def squared_difference(x: Any, y: Any) -> Any:
    d = x - y
    return d * np.conj(d) if d.dtype.kind == "c" else d * d


@squared_difference.defvjp(batched=True)
def _squared_difference_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # d (x - y)^2 = 2 (x - y) (dx - dy)
    gx = grad_times(grad, multiply(conj_if_complex(subtract(x, y)), 2))
    return gx, negative(gx)


@op("DivNoNan")
def _div_no_nan(x: Any, y: Any) -> Any:
    safe = np.where(y == 0, np.ones((), y.dtype), y)
    return np.where(y == 0, np.zeros((), x.dtype), x / safe)[()]


@_div_no_nan.defvjp(batched=True)
def _div_no_nan_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # as x / y, but 0 wherever y is 0 (TF's rule: d/dy = (-x / y) / y, each safely)
    y = conj_if_complex(y)
    gy = grad_times(grad, _div_no_nan(_div_no_nan(negative(conj_if_complex(x)), y), y))
    return _div_no_nan(grad, y), gy


@op("MulNoNan")
def multiply_no_nan(x: Any, y: Any) -> Any:
    """x * y, but 0 wherever y is 0 (even when x is inf or nan).

    >>> import tapeflow as tf
    >>> tf.math.multiply_no_nan([float("inf"), 2.0], [0.0, 3.0]).numpy().tolist()
    [0.0, 6.0]
    """
    return np.where(y == 0, np.zeros((), np.result_type(x, y)), x * y)[()]


@multiply_no_nan.defvjp(batched=True)
def _multiply_no_nan_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # TF's rule: each factor's gradient is the other times the upstream, with no nan either
    return multiply_no_nan(grad, conj_if_complex(y)), multiply_no_nan(conj_if_complex(x), grad)


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, but 0 wherever y is 0 (even when x is 0 or inf); integers divide as floats.

    >>> import tapeflow as tf
    >>> tf.math.divide_no_nan([1.0, 1.0], [0.0, 2.0]).numpy().tolist()
    [0.0, 0.5]
    """
    x = x if _has_value(x) else convert_to_tensor(x)
    y = y if _has_value(y) else convert_to_tensor(y, dtype=x.dtype)
    if x._value.dtype != y._value.dtype:
        raise TypeError(f"`x` and `y` must have the same dtype, got {x.dtype!r} != {y.dtype!r}.")
    kind = x._value.dtype
    if kind.kind in "iu":  # TF's truediv table: small ints to float32, others to float64
        target = dtypes.float32 if kind.itemsize <= 2 else dtypes.float64
        return _div_no_nan(cast(x, target), cast(y, target))
    return _div_no_nan(x, y)


@op("Xlogy")
def xlogy(x: Any, y: Any) -> Any:
    require_dtype(x, "Xlogy", FLOATS_COMPLEX)
    return np.where(x == 0, np.zeros((), x.dtype), x * np.log(y))[()]


@xlogy.defvjp(batched=True)
def _xlogy_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # d/dx = log y where x != 0, else 0; d/dy = x / y, 0 where x == 0 (TF)
    nonzero = cast(not_equal(x, 0), x.dtype)
    return grad_times(grad, xlogy(nonzero, y)), grad_times(grad, xdivy(x, y))


@op("Xdivy")
def xdivy(x: Any, y: Any) -> Any:
    require_dtype(x, "Xdivy", FLOATS_COMPLEX)
    return np.where(x == 0, np.zeros((), x.dtype), x / y)[()]


@xdivy.defvjp(batched=True)
def _xdivy_vjp(grad: Tensor, out: Tensor, x: Tensor, y: Tensor) -> tuple[Any, Any]:
    # d/dx = 1 / y where x != 0, else 0; d/dy = -x / y^2, 0 where x == 0 (TF)
    nonzero = cast(not_equal(x, 0), x.dtype)
    return grad_times(grad, xdivy(nonzero, y)), grad_times(grad, xdivy(negative(x), square(y)))


@op("AddN")
def _add_n(*inputs: Any) -> Any:
    shape = np.shape(inputs[0])
    for i, v in enumerate(inputs[1:], 1):
        if np.shape(v) != shape:
            from tapeflow.errors import InvalidArgumentError

            raise InvalidArgumentError(
                "Inputs to operation AddN of type AddN must have the same size and shape.  "
                f"Input 0: {list(shape)} != input {i}: {list(np.shape(v))} [Op:AddN] name: "
            )
    total = np.array(inputs[0], copy=True)
    for v in inputs[1:]:
        total += v
    return total[()]


@_add_n.defvjp(batched=True)
def _add_n_vjp(grad: Tensor, out: Tensor, *inputs: Any) -> tuple[Any, ...]:
    # d(x1 + ... + xn) = dx1 + ... + dxn
    return (grad,) * len(inputs)


def add_n(inputs: Any, name: str | None = None) -> Tensor:
    """Adds a list of tensors of one shape and dtype, elementwise (no broadcasting).

    >>> import tapeflow as tf
    >>> tf.add_n([[1, 2], [3, 4], [5, 6]]).numpy().tolist()
    [9, 12]
    """
    if _has_value(inputs) or not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError(
            "Inputs must be an iterable of at least one Tensor/IndexedSlices with the same "
            "dtype and shape."
        )
    if len(inputs) == 1:
        return identity(inputs[0])
    return _add_n(*inputs)


mod = floormod


def polyval(coeffs: Any, x: Any, name: str | None = None) -> Tensor:
    """The polynomial coeffs[0] x^(n-1) + ... + coeffs[n-1] at x, by Horner's rule.

    >>> import tapeflow as tf
    >>> float(tf.math.polyval([1.0, 2.0, 3.0], 2.0))
    11.0
    """
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    x = x if _has_value(x) else convert_to_tensor(x)
    if not coeffs:
        from tapeflow.tape import zeros_like_np

        return zeros_like_np(x)
    p = coeffs[0] if _has_value(coeffs[0]) else convert_to_tensor(coeffs[0])
    for c in coeffs[1:]:
        p = add(c, multiply(p, x))
    return p
