"""tf.cond and tf.while_loop, as TF 2 runs them eagerly: plain Python control flow.

Eager TF evaluates the predicate and calls one branch, or loops while `cond` holds; the ops
inside are recorded like any others, so gradients flow through the path actually taken.
(Inside a traced tf.function they become graph control flow; tapeflow has no tracing yet.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tapeflow import nest
from tapeflow.tensor import convert_to_tensor

__all__ = ["cond", "while_loop"]


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    name: str | None = None,
) -> Any:
    """`true_fn()` if `pred` else `false_fn()`.

    >>> import tapeflow as tf
    >>> x = tf.constant(2.0)
    >>> float(tf.cond(x > 1.0, lambda: x * x, lambda: x))
    4.0
    """
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): 'true_fn' and 'false_fn' arguments are both required.")
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("cond(): 'true_fn' and 'false_fn' must be callable.")
    return true_fn() if bool(pred) else false_fn()


def _as_tensors(structure: Any) -> Any:
    return nest.map_structure(
        lambda v: v if hasattr(v, "_value") else convert_to_tensor(v), structure
    )


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    maximum_iterations: Any = None,
    name: str | None = None,
) -> Any:
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`; returns the last values.

    >>> import tapeflow as tf
    >>> i, a = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [0, 1.0])
    >>> int(i), float(a)
    (3, 8.0)
    """
    if not loop_vars:
        raise ValueError("'loop_vars' must be provided.")
    if not callable(cond) or not callable(body):
        raise TypeError("while_loop(): 'cond' and 'body' must be callable.")
    values = _as_tensors(loop_vars)
    packed = isinstance(values, (list, tuple))
    limit = None if maximum_iterations is None else int(maximum_iterations)
    steps = 0
    while (limit is None or steps < limit) and bool(cond(*values) if packed else cond(values)):
        result = body(*values) if packed else body(values)
        if packed and not isinstance(result, (list, tuple)):
            result = [result]  # one loop variable returned bare: TF users write it both ways
        values = _as_tensors(result)
        steps += 1
    return values
