"""tf.keras.metrics: stateful metrics (`update_state`, `result`, `reset_state`), computed as
Keras 3 computes them: each batch adds its per-sample values to a float32 `total` and their
number to a float32 `count`; the result is `total / count` (0 before any update).

>>> import tapeflow as tf
>>> m = tf.keras.metrics.SparseCategoricalAccuracy()
>>> m.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])
>>> m.update_state([1], [[0.3, 0.7]])
>>> print(m.result())
tf.Tensor(0.6666667, shape=(), dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow.keras import initializers
from tapeflow.keras import losses as _losses
from tapeflow.keras.variables import Variable, auto_name, name_scope
from tapeflow.ops import math as _math
from tapeflow.ops import reduce as _reduce
from tapeflow.ops.array import squeeze
from tapeflow.ops.logic import equal, greater
from tapeflow.tape import broadcast_to
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "Metric",
    "Mean",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "get",
    "serialize",
    "deserialize",
]


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where `y_true == y_pred`, else 0.0."""
    y_pred = convert_to_tensor(y_pred)
    y_true = _math.cast(convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = _losses._same_rank(y_true, y_pred)
    return _math.cast(equal(y_true, y_pred), "float32")


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """1.0 where `y_pred > threshold` agrees with the 0/1 label `y_true`."""
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    y_true, y_pred = _losses._same_rank(y_true, y_pred)
    y_pred = _math.cast(greater(y_pred, _math.cast(threshold, y_pred.dtype)), y_true.dtype)
    return _math.cast(equal(y_true, y_pred), "float32")


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the largest entries of the one-hot `y_true` and of `y_pred` agree."""
    labels = _reduce.argmax(convert_to_tensor(y_true), axis=-1)
    return _math.cast(equal(labels, _reduce.argmax(convert_to_tensor(y_pred), axis=-1)), "float32")


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where the integer label `y_true` is the index of the largest entry of `y_pred`."""
    y_pred = convert_to_tensor(y_pred)
    y_true = _math.cast(convert_to_tensor(y_true), y_pred.dtype)
    if y_true.shape.rank == y_pred.shape.rank and y_true.shape[-1] == 1:
        y_true = squeeze(y_true, axis=-1)  # labels (n, 1) against predictions (n, k)
    predicted = _math.cast(_reduce.argmax(y_pred, axis=-1), y_true.dtype)
    return _math.cast(equal(y_true, predicted), "float32")


class Metric:
    """A value accumulated over batches: subclass it with `update_state` and `result`."""

    _direction = "up"  # which way is better, for EarlyStopping's mode="auto"

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or auto_name(type(self).__name__)
        self.dtype = "float32" if dtype is None else str(dtype)
        self._variables: list[Variable] = []

    def add_variable(
        self, shape: Any, initializer: Any, dtype: Any = None, name: str | None = None
    ) -> Variable:
        with name_scope(self.name, caller=self):
            variable = Variable(
                initializers.get(initializer),
                shape=shape,
                dtype=dtype or self.dtype,
                trainable=False,
                name=name,
            )
        self._variables.append(variable)
        return variable

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError  # each metric defines it

    def result(self) -> Any:
        raise NotImplementedError  # each metric defines it

    def reset_state(self) -> None:
        for v in self._variables:
            v.assign(np.zeros(v.shape.as_list(), v.dtype._np))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class _MeanOfValues(Metric):
    """Holds `total` and `count`; `_accumulate` adds a batch of values."""

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def _accumulate(self, values: Any, sample_weight: Any) -> None:
        # Keras's reduce_to_samplewise_values: values are averaged down to one per sample
        # (per weight), weighted, and the weights are what is counted
        values = _math.cast(convert_to_tensor(values), self.dtype)
        if sample_weight is not None:
            weight = _math.cast(convert_to_tensor(sample_weight), self.dtype)
            values, weight = _losses._same_rank(values, weight)
            rank, weight_rank = values.shape.rank or 0, weight.shape.rank or 0
            if rank > weight_rank:
                values = _reduce.reduce_mean(values, axis=list(range(weight_rank, rank)))
            weight = broadcast_to(weight, values.shape)  # counted once per value
            values = _math.multiply(values, weight)
            if weight_rank > 1:
                weight = _reduce.reduce_mean(weight, axis=list(range(1, weight_rank)))
        rank = values.shape.rank or 0
        if rank > 1:
            values = _reduce.reduce_mean(values, axis=list(range(1, rank)))
        self.total.assign_add(_reduce.reduce_sum(values))
        if sample_weight is not None:
            count: Any = _reduce.reduce_sum(weight)
        else:
            count = float(values.shape[0]) if rank >= 1 else 1.0
        self.count.assign_add(_math.cast(count, self.dtype))

    def result(self) -> Tensor:
        return _math.divide_no_nan(self.total.value(), self.count.value())


class Mean(_MeanOfValues):
    """The (weighted) mean of all values given to `update_state`.

    >>> import tapeflow as tf
    >>> m = tf.keras.metrics.Mean()
    >>> m.update_state([1.0, 2.0, 3.0])
    >>> print(m.result())
    tf.Tensor(2.0, shape=(), dtype=float32)
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._accumulate(values, sample_weight)


class MeanMetricWrapper(_MeanOfValues):
    """The mean of `fn(y_true, y_pred)` over all samples seen."""

    def __init__(
        self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = _math.cast(convert_to_tensor(y_true), self.dtype)
        y_pred = _math.cast(convert_to_tensor(y_pred), self.dtype)
        self._accumulate(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)


class Accuracy(MeanMetricWrapper):
    """How often `y_pred` equals `y_true`."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` matches the 0/1 label."""

    def __init__(
        self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5
    ) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._fn_kwargs}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` matches that of the one-hot `y_true`."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of `y_pred` is the integer label."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of `(y_true - y_pred)**2`."""

    _direction = "down"

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(_losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of `|y_true - y_pred|`."""

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(_losses.mean_absolute_error, name=name, dtype=dtype)


_BY_NAME: dict[str, Any] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    **{
        c.__name__: c
        for c in (
            Mean,
            Accuracy,
            BinaryAccuracy,
            CategoricalAccuracy,
            SparseCategoricalAccuracy,
            MeanSquaredError,
            MeanAbsoluteError,
        )
    },
}


def get(identifier: Any) -> Any:
    """A metric by name ("mae", "MeanAbsoluteError": a new instance) or from its serialized
    config, or the metric itself."""
    if isinstance(identifier, Metric) or (
        callable(identifier) and not isinstance(identifier, type)
    ):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    found = _BY_NAME.get(identifier) if isinstance(identifier, str) else None
    if found is None:
        raise ValueError(f"Could not interpret metric identifier: {identifier}")
    return found()


# the functions a serialized metric can name ({"class_name": "function", "config": name})
_FUNCTIONS: dict[str, Any] = {
    f.__name__: f
    for f in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        _losses.mean_squared_error,
        _losses.mean_absolute_error,
    )
}


def serialize(metric: Any) -> Any:
    """Keras's config value of a metric: a name stays a name."""
    from tapeflow.keras.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The metric (object or function) `serialize` described."""
    from tapeflow.keras.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, module_objects=_FUNCTIONS)
