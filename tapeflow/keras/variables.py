"""keras.Variable, Keras's object names (`dense`, `dense_1`, ...) and variable paths.

A Keras variable is a tf.Variable (so tapes watch it and ops read it) that also has Keras 3's
short `name` ("kernel"), its `path` ("sequential/dense/kernel": the layers whose scope it was
created in), a settable `trainable` and Keras's repr.
"""

from __future__ import annotations

import collections
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow import variables as _tf_variables

__all__ = ["Variable", "auto_name", "name_scope", "current_path"]

_uids: collections.defaultdict[str, int] = collections.defaultdict(int)

# How many variables were ever given a regularizer: while none, Layer.losses need not look.
regularized = [0]


def to_snake_case(name: str) -> str:
    """Keras's rule (it differs from tf.Module's: "MyMLP" -> "my_mlp")."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def auto_name(prefix: str) -> str:
    """`prefix` in snake case, then `prefix_1`, `prefix_2`, ...: one counter per prefix."""
    prefix = to_snake_case(prefix)
    count = _uids[prefix]
    _uids[prefix] += 1
    return f"{prefix}_{count}" if count else prefix


# The open scopes as (name, caller): a layer reopening its own scope (add_weight inside build
# inside __call__) adds no second level, as in Keras.
_scopes: list[tuple[str, Any]] = []


@contextlib.contextmanager
def name_scope(name: str, caller: Any = None) -> Iterator[None]:
    if caller is not None and _scopes and _scopes[-1][1] is caller:
        yield
        return
    _scopes.append((name, caller))
    try:
        yield
    finally:
        _scopes.pop()


def current_path() -> str:
    return "/".join(name for name, _ in _scopes)


class Variable(_tf_variables.Variable):
    """A Keras 3 variable: `initializer` is a value or a callable `(shape, dtype) -> value`.

    >>> import tapeflow as tf
    >>> tf.keras.Variable([1.0, 2.0], name="w")
    <Variable path=w, shape=(2,), dtype=float32, value=[1. 2.]>
    """

    __slots__ = ("_short_name", "_path", "_regularizer")

    def __init__(
        self,
        initializer: Any,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        name = name or auto_name("variable")
        if "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    "When creating a Variable from an initializer, the `shape` argument should "
                    f"be specified. Received: initializer={initializer} and shape={shape}"
                )
            value = initializer(tuple(shape), dtype=dtype or "float32")
        else:
            value = initializer
            if dtype is None and not hasattr(value, "dtype"):
                # Keras's default float dtype is float32 even for NumPy float64 or Python ints
                kind = np.asarray(value).dtype.kind
                dtype = "float32" if kind == "f" else None
        super().__init__(value, trainable=trainable, name=name, dtype=dtype)
        self._short_name = name
        self._regularizer: Any = None
        parent = current_path()
        self._path = f"{parent}/{name}" if parent else name

    @property
    def name(self) -> str:
        return self._short_name

    @property
    def path(self) -> str:
        return self._path

    @property
    def regularizer(self) -> Any:
        """The penalty on this variable in its layer's `losses` (`add_weight(regularizer=)`)."""
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value: Any) -> None:
        if value is not None:
            regularized[0] += 1
        self._regularizer = value

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    def __repr__(self) -> str:
        value = self._value
        # Keras formats np.array(value): a scalar prints as a Python number (float32 0.01 is
        # 0.009999999776482582), an array as NumPy's str
        text = np.asarray(value).item() if np.ndim(value) == 0 else value
        return (
            f"<Variable path={self._path}, shape={tuple(self.shape.as_list())}, "
            f"dtype={self.dtype.name}, value={text}>"
        )


def standardize_dtype(dtype: Any) -> str:
    return str(dtypes.as_dtype(dtype).name)
