"""Linear algebra built on products: matmul, matvec, tensordot, einsum, and norms.

Batched over leading axes wherever TF is. The functions of matrices (inverses, solves and
decompositions) are in ops/matrix_functions.py; diagonals and bands in ops/matrix.py.
"""

from __future__ import annotations

import builtins
import string
from collections import Counter
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import FLOATS_COMPLEX, op, require_dtype
from tapeflow.ops import math as _math
from tapeflow.ops.array import _reshape, _transpose, broadcast_to, squeeze
from tapeflow.ops.math import conj, conj_if_complex, maximum, multiply, rsqrt, square
from tapeflow.ops.reduce import _euclidean_norm, normalize_axis, reduce_max, reduce_sum
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = [
    "matmul",
    "norm",
    "l2_normalize",
    "matvec",
    "tensordot",
    "einsum",
]


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
    # C = op(A) op(B): dA = G op(B)^H (transposed back if A was), dB = op(A)^H G (likewise);
    # as TF, the conjugates are taken first and the transposes are plain
    a, b = conj_if_complex(a), conj_if_complex(b)
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


# ---------------------------------------------------------------------------------------------
# Norms


_MATRIX_NORMS = ["euclidean", "fro", 1, 2, np.inf]  # as TF lists them in its error


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _is_named(ord: Any, *names: str) -> bool:
    return isinstance(ord, str) and ord in names


def norm(
    tensor: Any,
    ord: Any = "euclidean",
    axis: Any = None,
    keepdims: Any = None,
    name: str | None = None,
) -> Tensor:
    """The vector norm over `axis` (all elements if None), or a matrix norm over a pair of axes.

    `ord` is 'euclidean' (also 'fro' for matrices), 1, 2, np.inf, or any p > 0 for vectors.
    Deliberately, the gradient of the euclidean norm at the zero vector is 0 (TF: nan).

    >>> import tapeflow as tf
    >>> float(tf.norm([3.0, -4.0])), float(tf.norm([3.0, -4.0], ord=1))
    (5.0, 7.0)
    >>> float(tf.linalg.norm([[1.0, -2.0], [3.0, 4.0]], ord=1, axis=[0, 1]))
    6.0
    """
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        axis = tuple(axis)
        if not all(isinstance(a, (int, np.integer)) for a in axis) or axis[0] == axis[1]:
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        if not (_is_named(ord, "euclidean", "fro") or (_is_number(ord) and ord in (1, 2, np.inf))):
            raise ValueError(f"'ord' must be a supported matrix norm in {_MATRIX_NORMS}, got {ord}")
    else:
        if not (axis is None or isinstance(axis, (int, np.integer))):
            raise ValueError(
                f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}"
            )
        if not (_is_named(ord, "euclidean") or (_is_number(ord) and ord > 0)):
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    x = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    keep = bool(keepdims)
    axes = normalize_axis(axis, x.ndim, "Sum")
    if is_matrix and _is_number(ord) and ord == 2:
        result = _matrix_two_norm(x, axes)  # type: ignore[arg-type]
    elif _is_named(ord, "euclidean", "fro") or (_is_number(ord) and ord == 2):
        require_dtype(x._value, "Sqrt", FLOATS_COMPLEX)
        result = _euclidean_norm(x, axis=axes, keepdims=True)
    else:
        result = _math.abs(x)
        if ord == 1:
            if is_matrix:  # the largest column sum
                result = reduce_sum(result, axis=axis[0], keepdims=True)
                result = reduce_max(result, axis=axis[1], keepdims=True)
            else:
                result = reduce_sum(result, axis=axes, keepdims=True)
        elif ord == np.inf:
            if is_matrix:  # the largest row sum
                result = reduce_sum(result, axis=axis[1], keepdims=True)
                result = reduce_max(result, axis=axis[0], keepdims=True)
            else:
                result = reduce_max(result, axis=axes, keepdims=True)
        else:  # a general p-norm, p > 0
            summed = reduce_sum(_math.pow(result, ord), axis=axes, keepdims=True)
            result = _math.pow(summed, 1.0 / ord)
    if not keep:
        result = squeeze(result, axes)
    return result


def _matrix_two_norm(x: Tensor, axes: tuple[int, int]) -> Tensor:
    """The largest singular value over the two axes, kept as size-1 dims."""
    ndim = x.ndim
    rest = [i for i in range(ndim) if i not in axes]
    from tapeflow.ops.array import reshape, transpose
    from tapeflow.ops.matrix_functions import _svd  # it needs matmul from here

    moved = transpose(x, rest + list(axes))
    largest = reduce_max(_svd(moved, compute_uv=False), axis=-1)
    kept = [1 if i in axes else x._value.shape[i] for i in range(ndim)]
    return reshape(largest, kept)


def l2_normalize(
    x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None, dim: Any = None
) -> Tensor:
    """x / sqrt(max(sum(x^2), epsilon)) over `axis` (all elements if None).

    >>> import tapeflow as tf
    >>> tf.math.l2_normalize([3.0, 4.0]).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if dim is not None:
        axis = dim
    if t._value.dtype.kind != "f":
        raise TypeError(f"Cannot convert {epsilon!r} to EagerTensor of dtype {t.dtype.name}")
    square_sum = reduce_sum(square(t), axis=axis, keepdims=True)
    return multiply(t, rsqrt(maximum(square_sum, epsilon)))


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x)


# ---------------------------------------------------------------------------------------------
# Products built on matmul: matvec, tensordot


def matvec(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    adjoint_a: bool = False,
    a_is_sparse: bool = False,
    b_is_sparse: bool = False,
    name: str | None = None,
) -> Tensor:
    """Matrix-vector product of the last two axes of `a` with the last axis of `b` (batched).

    >>> import tapeflow as tf
    >>> tf.linalg.matvec([[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy().tolist()
    [3.0, 7.0]
    """
    bt = _tensor(b)
    column = _reshape(bt, shape=(*bt._value.shape, 1))
    out = matmul(a, column, transpose_a=transpose_a, adjoint_a=adjoint_a)
    return _reshape(out, shape=out._value.shape[:-1])


def _tensordot_axes(axes: Any, a_ndim: int, b_ndim: int) -> tuple[list[int], list[int]]:
    value = getattr(axes, "_value", axes)
    if isinstance(value, (int, np.integer)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        n = int(value)
        if n < 0:
            raise ValueError(f"`axes` must be at least 0. Received: {n}.")
        if n > builtins.min(a_ndim, b_ndim):
            raise ValueError(
                "`axes` must not be larger than the number of dimensions of tensor. Received "
                f"{n}, vs tensor dimensions {builtins.min(a_ndim, b_ndim)}."
            )
        return list(range(a_ndim - n, a_ndim)), list(range(n))
    if not isinstance(value, (list, tuple)):
        value = np.asarray(value).tolist()
    if len(value) != 2:
        raise ValueError(f"`axes` must be an integer or have length 2. Received {axes!r}")
    a_axes = [int(x) for x in np.asarray(getattr(value[0], "_value", value[0])).reshape(-1)]
    b_axes = [int(x) for x in np.asarray(getattr(value[1], "_value", value[1])).reshape(-1)]
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"Different number of contraction axes `a` and `b`, {len(a_axes)} != {len(b_axes)}."
        )
    return [x % a_ndim for x in a_axes], [x % b_ndim for x in b_axes]


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Tensor:
    """Sums the products of `a` and `b` over the given axes: `axes = n` pairs the last n axes
    of `a` with the first n of `b`; `axes = [a_axes, b_axes]` names them. One matmul.

    >>> import tapeflow as tf
    >>> tf.tensordot(tf.ones([2, 3]), tf.ones([3, 4]), 1).shape
    TensorShape([2, 4])
    """
    at, bt = _tensor(a), _tensor(b)
    a_shape, b_shape = at._value.shape, bt._value.shape
    a_axes, b_axes = _tensordot_axes(axes, len(a_shape), len(b_shape))
    a_free = [i for i in range(len(a_shape)) if i not in a_axes]
    b_free = [i for i in range(len(b_shape)) if i not in b_axes]
    k = int(np.prod([a_shape[i] for i in a_axes]))
    a2 = _reshape(
        _transpose(at, perm=(*a_free, *a_axes)),
        shape=(int(np.prod([a_shape[i] for i in a_free])), k),
    )
    b2 = _reshape(
        _transpose(bt, perm=(*b_axes, *b_free)),
        shape=(int(np.prod([b_shape[i] for i in b_axes])), -1),
    )
    out = matmul(a2, b2)
    return _reshape(
        out, shape=tuple(a_shape[i] for i in a_free) + tuple(b_shape[i] for i in b_free)
    )


# ---------------------------------------------------------------------------------------------
# einsum


def _normalize_einsum(equation: str, shapes: list[tuple[int, ...]]) -> str:
    """The equation with `...` spelt out as letters and the output made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    for t in [*terms, out]:
        plain = t.replace("...", "", 1)
        if set(plain) - set(string.ascii_letters) or "->" in out:
            raise ValueError(f"Subscripts have incorrect format: {equation}")
    if len(terms) != len(shapes):
        raise ValueError(
            f'Got {len(shapes)} inputs for equation "{equation}", expecting {len(terms)}'
        )
    ranks = [len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t]
    rank = builtins.max(ranks, default=0)
    free = [c for c in string.ascii_letters if c not in eq]
    ell = "".join(free[:rank])
    spelt = []
    for term, s in zip(terms, shapes):
        t = term
        if "..." in t:
            r = len(s) - (len(t) - 3)
            if r < 0:
                raise ValueError(f"Input of shape {list(s)} has too few axes for {term!r}")
            t = t.replace("...", ell[rank - r :])
        if len(t) != len(s):
            raise ValueError(
                f"Input of shape {list(s)} has {len(s)} axes but its subscripts {term!r} "
                f"name {len(t)}"
            )
        spelt.append(t)
    if not arrow:  # implicit output: the broadcast axes, then the letters used once, sorted
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif "..." in out:
        out = out.replace("...", ell)
    elif rank:
        raise InvalidArgumentError(
            f"Output contains {rank} broadcasting dimension(s) but no ellipsis (...) was found "
            "in the output subscripts. [Op:Einsum]"
        )
    letters = set("".join(spelt))
    for c in out:
        if c not in letters:
            raise ValueError(
                f"Output subscripts contain the label {c} not present in the input subscripts."
            )
    if len(set(out)) != len(out):
        raise ValueError(f"Output subscripts contain a label appearing more than once: {equation}")
    return ",".join(spelt) + "->" + out


def _check_einsum_sizes(equation: str, shapes: list[tuple[int, ...]], ellipsis: str) -> None:
    """Each letter names one size; only `...` axes broadcast (size 1 against any), as in TF."""
    sizes: dict[str, int] = {}
    for t, s in zip(equation.split("->", maxsplit=1)[0].split(","), shapes):
        for axis, (c, d) in enumerate(zip(t, s)):
            known = sizes.get(c)
            if known is None or (c in ellipsis and known == 1):
                sizes[c] = d
            elif d != known and not (c in ellipsis and d == 1):
                raise InvalidArgumentError(
                    f"Expected dimension {known} at axis {axis} of the input shaped [{_dims(s)}] "
                    f"but got dimension {d} [Op:Einsum]"
                )


@op("Einsum")
def _einsum(*inputs: Any, equation: str) -> Any:
    # BLAS contraction orders pay off for big operands or more than two
    big = len(inputs) > 2 or builtins.max((np.size(x) for x in inputs), default=0) > 4096
    return np.asarray(np.einsum(equation, *inputs, optimize=big))[()]


@_einsum.defvjp(batched=True)
def _einsum_vjp(grad: Tensor, out: Tensor, *inputs: Tensor, equation: str) -> tuple[Any, ...]:
    # d/dX_i: the einsum of the upstream with the other operands, written to X_i's subscripts;
    # a repeated letter (a diagonal) is written through an identity matrix, a letter that only
    # X_i has (summed out within X_i) is broadcast back. A jacobian's batch axes get letters
    # of their own, in front of the upstream's and of every result's.
    lhs, out_subs = equation.split("->")
    terms = lhs.split(",")
    lead = grad._value.shape[: grad._value.ndim - np.ndim(out._value)]
    batch = ""
    if lead:
        batch = "".join(c for c in string.ascii_letters if c not in equation)[: len(lead)]
    grads: list[Any] = []
    for i, (term, x) in enumerate(zip(terms, inputs)):
        shape = x._value.shape
        target: list[str] = []
        eyes: list[tuple[str, Tensor]] = []
        fresh = iter(c for c in string.ascii_letters if c not in equation and c not in batch)
        for c, d in zip(term, shape):
            if c in target:
                new = next(fresh)
                eyes.append((c + new, _wrap(np.eye(d, dtype=x._value.dtype))))
                target.append(new)
            else:
                target.append(c)
        sources = [batch + out_subs]
        sources += [t for j, t in enumerate(terms) if j != i] + [e for e, _ in eyes]
        available = set("".join(sources))
        kept = "".join(c for c in target if c in available)
        others = [conj_if_complex(t) for j, t in enumerate(inputs) if j != i]
        operands = [grad, *others, *(m for _, m in eyes)]
        g = _einsum(*operands, equation=",".join(sources) + "->" + batch + kept)
        if len(kept) < len(target):  # letters summed within X_i alone: broadcast back
            g_shape = dict(zip(kept, g._value.shape[len(lead) :]))
            g = _reshape(g, shape=lead + tuple(g_shape.get(c, 1) for c in target))
            g = broadcast_to(g, lead + tuple(g_shape.get(c, d) for c, d in zip(target, shape)))
        grads.append(g)
    return tuple(grads)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Einstein summation: `"ij,jk->ik"` is a matmul, `"ii->"` a trace, `"...ij->...ji"` a
    batched transpose. Repeated letters take diagonals; `...` broadcasts.

    >>> import tapeflow as tf
    >>> tf.einsum("ij,j->i", [[1.0, 2.0], [3.0, 4.0]], [1.0, 1.0]).numpy().tolist()
    [3.0, 7.0]
    """
    kwargs.pop("name", None)
    kwargs.pop("optimize", None)
    if kwargs:
        raise TypeError(f"Invalid keyword arguments for einsum: {', '.join(sorted(kwargs))}")
    tensors = [_tensor(x) for x in inputs]
    shapes = [x._value.shape for x in tensors]
    normalized = _normalize_einsum(str(equation), shapes)
    ellipsis = "".join(set(normalized) - set(str(equation)) - {",", "-", ">"})
    _check_einsum_sizes(normalized, shapes, ellipsis)
    return _einsum(*tensors, equation=normalized)


def _dims(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)
