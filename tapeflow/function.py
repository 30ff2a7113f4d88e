"""tf.function, for now in TF's "run functions eagerly" mode.

TF code wraps its training steps in `@tf.function`; with `tf.config.run_functions_eagerly(True)`
TF itself then simply calls the Python function, and so does tapeflow, always, until tracing to
a graph arrives (the plan's next step). Results and gradients are those of eager execution,
which TF guarantees to be the same; what differs is only what a traced function would do once
per trace (a Python `print` runs on every call, as in TF's eager mode).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["function", "Function", "run_functions_eagerly", "functions_run_eagerly"]


class Function:
    """What `@tf.function` returns: calls the Python function (TF's eager-functions mode)."""

    def __init__(self, python_function: Callable[..., Any], input_signature: Any = None) -> None:
        self.python_function = python_function
        self.input_signature = input_signature
        functools.update_wrapper(self, python_function)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.python_function(*args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)  # a decorated method

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "tapeflow runs tf.function eagerly (as tf.config.run_functions_eagerly(True)); it "
            "builds no graphs, so there are no concrete functions yet."
        )


def function(
    func: Callable[..., Any] | None = None,
    input_signature: Any = None,
    autograph: bool = True,
    jit_compile: Any = None,
    reduce_retracing: bool = False,
    experimental_implements: Any = None,
    experimental_autograph_options: Any = None,
    experimental_attributes: Any = None,
    experimental_relax_shapes: Any = None,
    experimental_compile: Any = None,
    experimental_follow_type_hints: Any = None,
) -> Any:
    """Decorator: `@tf.function` or `@tf.function(input_signature=...)`; runs eagerly.

    >>> import tapeflow as tf
    >>> @tf.function
    ... def square(x):
    ...     return x * x
    >>> float(square(tf.constant(3.0)))
    9.0
    """
    if func is None:
        return lambda f: Function(f, input_signature)
    return Function(func, input_signature)


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Accepted for compatibility: tapeflow's tf.function always runs eagerly."""


def functions_run_eagerly() -> bool:
    return True
