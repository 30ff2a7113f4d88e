"""tf.keras.losses: the loss classes (mean over the batch, TF's default reduction) and the
per-sample functions behind them, computed as Keras 3 computes them on TensorFlow.

Probabilities are clipped to [1e-7, 1 - 1e-7] (Keras's epsilon) before their logarithm; a
probability made by the `softmax`/`sigmoid` activation is taken back to its logits first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tapeflow.keras import activations
from tapeflow.ops import losses as _losses
from tapeflow.ops import math as _math
from tapeflow.ops import reduce as _reduce
from tapeflow.ops.array import expand_dims, squeeze
from tapeflow.ops.transcendental import log
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mse",  # tf.keras exports the squared and absolute errors under these short names only
    "mae",
    "MSE",
    "MAE",
    "get",
    "serialize",
    "deserialize",
]

EPSILON = 1e-7  # keras.backend.epsilon()
_REDUCTIONS = (None, "none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight")


def _same_rank(x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    """Keras's squeeze_or_expand_to_same_rank: labels (n,) against predictions (n, 1)."""
    r1, r2 = x1.shape.rank or 0, x2.shape.rank or 0
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1:
            x2 = expand_dims(x2, -1)
        else:
            x1 = squeeze(x1, axis=-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1:
            x1 = expand_dims(x1, -1)
        else:
            x2 = squeeze(x2, axis=-1)
    return x1, x2


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    y_pred = convert_to_tensor(y_pred)
    y_true = _math.cast(convert_to_tensor(y_true), y_pred.dtype)
    return _same_rank(y_true, y_pred)


def _check_same_shape(target: Tensor, output: Tensor) -> None:
    if target.shape.rank != output.shape.rank:
        raise ValueError(
            "Arguments `target` and `output` must have the same rank (ndim). Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if target.shape.as_list() != output.shape.as_list():
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean((y_true - y_pred)**2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _reduce.reduce_mean(_math.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """mean(|y_true - y_pred|) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _reduce.reduce_mean(_math.abs(y_true - y_pred), axis=-1)


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """-(y log p + (1 - y) log(1 - p)), averaged over `axis`."""
    y_pred = convert_to_tensor(y_pred)
    logits = activations.logits_of(y_pred)
    y_true = _math.cast(convert_to_tensor(y_true), y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_same_shape(y_true, y_pred)
    if logits is not None:
        y_pred, from_logits = logits, True
    if from_logits:
        per_entry = _losses.sigmoid_cross_entropy_with_logits(labels=y_true, logits=y_pred)
    else:
        p = _math.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
        per_entry = -(y_true * log(p) + (1 - y_true) * log(1 - p))
    return _reduce.reduce_mean(per_entry, axis=axis)


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """-sum(y log p) over `axis`, for one-hot (or soft) labels y."""
    y_pred = convert_to_tensor(y_pred)
    logits = activations.logits_of(y_pred)
    y_true = _math.cast(convert_to_tensor(y_true), y_pred.dtype)
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if (y_true.shape.rank or 0) < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={y_true.shape}, output.shape={y_pred.shape}"
        )
    _check_same_shape(y_true, y_pred)
    if logits is not None:
        y_pred, from_logits = logits, True
    if from_logits:
        return _losses.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    p = y_pred / _reduce.reduce_sum(y_pred, axis, keepdims=True)
    p = _math.clip_by_value(p, EPSILON, 1.0 - EPSILON)
    return _math.negative(_reduce.reduce_sum(y_true * log(p), axis))


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, axis: int = -1
) -> Tensor:
    """-log p[label], for integer class labels."""
    y_pred = convert_to_tensor(y_pred)
    rank = y_pred.shape.rank or 0
    if axis not in (-1, rank - 1):
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    logits = activations.logits_of(y_pred)
    if logits is not None:
        y_pred, from_logits = logits, True
    labels = _math.cast(convert_to_tensor(y_true), "int64")
    if labels.shape.rank == rank and labels.shape[-1] == 1:
        labels = squeeze(labels, axis=-1)
    if labels.shape.as_list() != y_pred.shape.as_list()[:-1]:
        raise ValueError(
            "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
            f"target.shape={labels.shape}, output.shape={y_pred.shape}"
            if labels.shape.rank != rank - 1
            else "Arguments `target` and `output` must have the same shape up until the last "
            f"dimension: target.shape={labels.shape}, output.shape={y_pred.shape}"
        )
    if not from_logits:
        y_pred = log(_math.clip_by_value(y_pred, EPSILON, 1 - EPSILON))
    return _losses.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class Loss:
    """A loss: `loss(y_true, y_pred, sample_weight=None)` reduces the per-sample values."""

    def __init__(
        self, name: str | None = None, reduction: str | None = "sum_over_batch_size"
    ) -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"Invalid value for argument `reduction`. Expected one of {_REDUCTIONS}. "
                f"Received: reduction={reduction}"
            )
        self.name = name
        self.reduction = reduction

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        raise NotImplementedError  # each loss defines it

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        from tapeflow.keras.serialization import supported_arguments

        return cls(**supported_arguments(cls, config))

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = convert_to_tensor(y_pred)
        if y_pred.dtype.is_floating and y_pred.dtype.name != "float32":
            y_pred = _math.cast(y_pred, "float32")  # Keras computes losses in float32
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            weight = _math.cast(convert_to_tensor(sample_weight), values.dtype)
            weight, values = _same_rank(weight, values)
            values = _math.multiply(values, weight)
        return self._reduce(values)

    def _reduce(self, values: Tensor) -> Tensor:
        if self.reduction in (None, "none") or values.shape.as_list() in ([], [0]):
            return values
        total = _reduce.reduce_sum(values)
        if self.reduction == "sum":
            return total
        return _math.divide_no_nan(total, float(values.shape.num_elements() or 0))


class _Wrapper(Loss):
    fn: Callable[..., Tensor]
    default_name: str

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name or self.default_name, reduction)
        self._kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return type(self).fn(y_true, y_pred, **self._kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **self._kwargs}


class LossFunctionWrapper(Loss):
    """A per-sample loss function made a `Loss` (what `compile(loss=fn)` uses)."""

    def __init__(
        self,
        fn: Callable[..., Tensor],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name or getattr(fn, "__name__", None), reduction)
        self.fn, self._kwargs = fn, kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return self.fn(y_true, y_pred, **self._kwargs)


class MeanSquaredError(_Wrapper):
    """mean((y_true - y_pred)**2): over the last axis, then over the batch.

    >>> import tapeflow as tf
    >>> print(tf.keras.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    tf.Tensor(0.5, shape=(), dtype=float32)
    """

    fn = staticmethod(mean_squared_error)
    default_name = "mean_squared_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None
    ) -> None:
        super().__init__(reduction, name)


class MeanAbsoluteError(_Wrapper):
    fn = staticmethod(mean_absolute_error)
    default_name = "mean_absolute_error"

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str | None = None
    ) -> None:
        super().__init__(reduction, name)


class BinaryCrossentropy(_Wrapper):
    fn = staticmethod(binary_crossentropy)
    default_name = "binary_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(
            reduction, name, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        self.from_logits = from_logits


class CategoricalCrossentropy(_Wrapper):
    fn = staticmethod(categorical_crossentropy)
    default_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(
            reduction, name, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(_Wrapper):
    """-log p[label] for integer labels, averaged over the batch.

    >>> import tapeflow as tf
    >>> loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    >>> print(loss([1], [[0.0, 0.0]]))
    tf.Tensor(0.6931472, shape=(), dtype=float32)
    """

    fn = staticmethod(sparse_categorical_crossentropy)
    default_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits: bool = False,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
    ) -> None:
        super().__init__(reduction, name, from_logits=from_logits)
        self.from_logits = from_logits

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ignore_class": None}


_BY_NAME: dict[str, Any] = {
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    **{
        c.__name__: c
        for c in (
            MeanSquaredError,
            MeanAbsoluteError,
            BinaryCrossentropy,
            CategoricalCrossentropy,
            SparseCategoricalCrossentropy,
        )
    },
}


def get(identifier: Any) -> Any:
    """A loss by name: a function for "mse", an instance for "MeanSquaredError"; or from its
    serialized config."""
    if identifier is None or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    found = _BY_NAME.get(identifier) if isinstance(identifier, str) else None
    if found is None:
        raise ValueError(f"Could not interpret loss identifier: {identifier}")
    return found() if isinstance(found, type) else found


def serialize(loss: Any) -> Any:
    """Keras's config value of a loss: a name stays a name."""
    from tapeflow.keras.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The loss (object or function) `serialize` described."""
    from tapeflow.keras.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME)
