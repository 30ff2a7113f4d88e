"""Higher-order functions over tensors (map_fn, scan, foldl/foldr, vectorized_map) and calls
into Python (py_function, numpy_function), as TF 2 runs them eagerly.

Eager TF runs these as loops over the first axis; so does tapeflow, and every op the loop body
runs is recorded like any other, so gradients flow through them (and through py_function,
whose function runs on tensors while the tapes record). numpy_function hands NumPy arrays to
Python: nothing is recorded, and its results have no gradient, as in TF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import dtypes, nest
from tapeflow.op import state
from tapeflow.ops.array import stack, unstack
from tapeflow.ops.math import cast
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["map_fn", "vectorized_map", "scan", "foldl", "foldr", "py_function", "numpy_function"]


def _rows(elems: Any) -> tuple[list[Any], int]:
    """The flat tensors of `elems` unstacked along axis 0, and their common length."""
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if any(t.ndim == 0 for t in flat):
        raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    n = flat[0].shape[0]
    if any(t.shape[0] != n for t in flat):
        raise ValueError(
            "All elements of elems must have the same size along axis 0, got "
            f"{[t.shape[0] for t in flat]}."
        )
    return [unstack(t, num=n) for t in flat], n


def _stack_results(results: list[Any], like: Any, dtype_of: Callable[[Any], Any]) -> Any:
    """The per-row results stacked into one tensor per leaf, in `like`'s structure."""
    if not results:  # TF's empty result: a (0,) tensor per leaf
        return nest.map_structure(
            lambda leaf: convert_to_tensor(np.zeros((0,), dtype_of(leaf).as_numpy_dtype)), like
        )
    flat = [nest.flatten(r) for r in results]
    stacked = [stack([row[i] for row in flat]) for i in range(len(flat[0]))]
    return nest.pack_sequence_as(results[0], stacked)


def map_fn(
    fn: Callable[..., Any],
    elems: Any,
    dtype: Any = None,
    parallel_iterations: Any = None,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    name: str | None = None,
    fn_output_signature: Any = None,
) -> Any:
    """`fn` applied to each row of `elems` (a tensor or a structure of them), stacked.

    >>> import tapeflow as tf
    >>> tf.map_fn(lambda t: t * t, tf.constant([1.0, 2.0, 3.0])).numpy()
    array([1., 4., 9.], dtype=float32)
    """
    signature = fn_output_signature if fn_output_signature is not None else dtype
    rows, n = _rows(elems)
    results = []
    for i in range(n):
        out = fn(nest.pack_sequence_as(elems, [r[i] for r in rows]))
        if signature is not None:  # the declared dtypes: TF casts nothing, it checks
            out = nest.map_structure(_as, out, signature)
        results.append(nest.map_structure(convert_to_tensor, out))

    def dtype_of(leaf: Any) -> Any:
        return dtypes.as_dtype(getattr(leaf, "dtype", leaf))

    return _stack_results(results, elems if signature is None else signature, dtype_of)


def _as(t: Any, spec: Any) -> Tensor:
    dtype = dtypes.as_dtype(getattr(spec, "dtype", spec))
    tensor = convert_to_tensor(t, dtype=dtype)
    if tensor.dtype != dtype:
        raise TypeError(
            f"fn returned a {tensor.dtype.name} tensor where fn_output_signature says {dtype.name}."
        )
    return tensor


def vectorized_map(fn: Callable[..., Any], elems: Any, fallback_to_while_loop: bool = True) -> Any:
    """map_fn's result (TF vectorises it with pfor; eagerly the values are the same)."""
    return map_fn(fn, elems)


def scan(
    fn: Callable[[Any, Any], Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    infer_shape: bool = True,
    reverse: bool = False,
    name: str | None = None,
) -> Any:
    """Every accumulator of `acc = fn(acc, row)` over the rows of `elems`, stacked.

    Without an initializer the first row is the first accumulator (and the first result).

    >>> import tapeflow as tf
    >>> tf.scan(lambda a, t: a + t, tf.constant([1.0, 2.0, 3.0])).numpy()
    array([1., 3., 6.], dtype=float32)
    """
    rows, n = _rows(elems)
    order = list(range(n - 1, -1, -1) if reverse else range(n))
    results = []
    if initializer is None:
        first = order.pop(0)
        acc = nest.pack_sequence_as(elems, [r[first] for r in rows])
        results.append(acc)
    else:
        acc = nest.map_structure(convert_to_tensor, initializer)
    for i in order:
        row = nest.pack_sequence_as(elems, [r[i] for r in rows])
        acc = nest.map_structure(convert_to_tensor, fn(acc, row))
        results.append(acc)
    if reverse:
        results.reverse()
    like = elems if initializer is None else initializer
    return _stack_results(results, like, lambda leaf: convert_to_tensor(leaf).dtype)


def _fold(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any, reverse: bool) -> Any:
    rows, n = _rows(elems)
    order = list(range(n - 1, -1, -1) if reverse else range(n))
    if initializer is None:
        if n == 0:
            raise ValueError("elems must not be empty when no initializer is given")
        acc = nest.pack_sequence_as(elems, [r[order.pop(0)] for r in rows])
    else:
        acc = nest.map_structure(convert_to_tensor, initializer)
    for i in order:
        acc = fn(acc, nest.pack_sequence_as(elems, [r[i] for r in rows]))
    return nest.map_structure(convert_to_tensor, acc)


def foldl(
    fn: Callable[[Any, Any], Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """The last accumulator of `acc = fn(acc, row)` over the rows of `elems`, first to last."""
    return _fold(fn, elems, initializer, reverse=False)


def foldr(
    fn: Callable[[Any, Any], Any],
    elems: Any,
    initializer: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
) -> Any:
    """The last accumulator of `acc = fn(acc, row)` over the rows of `elems`, last to first."""
    return _fold(fn, elems, initializer, reverse=True)


def _outputs(value: Any, tout: Any, convert: Callable[[Any, Any], Tensor]) -> Any:
    """func's result as tensors of the declared types: a list for a list Tout, else one."""
    if isinstance(tout, (list, tuple)):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if value is None:
            values = []
        if len(values) != len(tout):
            raise ValueError(f"func returned {len(values)} values; Tout has {len(tout)} types.")
        return [convert(v, t) for v, t in zip(values, tout)]
    return convert(value, tout)


def py_function(
    func: Callable[..., Any], inp: Any = None, Tout: Any = None, name: str | None = None
) -> Any:
    """`func(*inp)` on tensors, run now; its ops are recorded, so gradients flow through it.

    >>> import tapeflow as tf
    >>> float(tf.py_function(lambda a: a * 2, [tf.constant(1.5)], tf.float32))
    3.0
    """
    args = [convert_to_tensor(a) for a in (inp or [])]

    def convert(v: Any, t: Any) -> Tensor:
        tensor = convert_to_tensor(v, dtype_hint=dtypes.as_dtype(t))
        return tensor if tensor.dtype == dtypes.as_dtype(t) else cast(tensor, t)

    return _outputs(func(*args), Tout, convert)


def numpy_function(
    func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True, name: str | None = None
) -> Any:
    """`func(*arrays)` on NumPy values; the results become tensors of `Tout`, with no gradient.

    >>> import tapeflow as tf
    >>> tf.numpy_function(lambda a: a + 1, [tf.constant([1, 2])], tf.int32).numpy()
    array([2, 3], dtype=int32)
    """
    arrays = [np.asarray(convert_to_tensor(a)._value) for a in inp]
    saved = state.recorders
    state.recorders = []  # func may call tapeflow ops: nothing it does is on the path
    try:
        value = func(*arrays)
    finally:
        state.recorders = saved

    def convert(v: Any, t: Any) -> Tensor:
        dtype = dtypes.as_dtype(t)
        if dtype == dtypes.string and isinstance(v, str):
            v = v.encode()
        return convert_to_tensor(np.asarray(v).astype(dtype.as_numpy_dtype))

    return _outputs(value, Tout, convert)
