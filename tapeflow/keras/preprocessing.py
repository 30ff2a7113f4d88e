"""Preprocessing tutorials reach for: the Normalization and Rescaling layers, and the
`tf.keras.utils` helpers `to_categorical`, `pad_sequences` and `set_random_seed` (also as
`tf.keras.preprocessing.sequence.pad_sequences`), as Keras 3 defines them.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from tapeflow.keras.layers import Layer
from tapeflow.ops import math as _math
from tapeflow.ops import random as _random
from tapeflow.ops.array import reshape
from tapeflow.tape import add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["Normalization", "Rescaling"]

_EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by


class Normalization(Layer):
    """`(x - mean) / sqrt(variance)` per feature along `axis`, with the statistics given or
    learnt by `adapt(data)` (population variance, as Keras); `invert=True` undoes it.

    >>> import tapeflow as tf
    >>> norm = tf.keras.layers.Normalization()
    >>> norm.adapt([[1.0], [3.0]])
    >>> print(norm(tf.constant([[1.0], [3.0]])))
    tf.Tensor(
    [[-1.]
     [ 1.]], shape=(2, 1), dtype=float32)
    """

    def __init__(
        self,
        axis: Any = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.invert = invert
        self._given = None if mean is None else (mean, variance)
        self._stats: tuple[Tensor, Tensor] | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        self._keep = tuple(a % ndim for a in self.axis)
        self._broadcast = [input_shape[a] if a in self._keep else 1 for a in range(ndim)]
        feature_shape = self._feature_shape = tuple(input_shape[a] for a in self._keep)
        if self._given is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=feature_shape, initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                name="variance", shape=feature_shape, initializer="ones", trainable=False
            )
            self.count = self.add_weight(
                name="count", shape=(), initializer="zeros", dtype="int64", trainable=False
            )
        self.built = True
        self._finalize()

    def adapt(self, data: Any) -> None:
        """Learns the mean and variance of `data` (an array, a tensor or a batched dataset)."""
        if hasattr(data, "as_numpy_iterator"):
            batches = [np.asarray(b) for b in data.as_numpy_iterator()]
            values = np.concatenate(batches, axis=0)
        else:
            values = np.asarray(convert_to_tensor(data)._value)
        values = values.astype(np.float64)
        if not self.built:
            self.build(values.shape)  # Keras's build_config: the data's shape
        reduce_axes = tuple(a for a in range(values.ndim) if a not in self._keep)
        self.adapt_mean.assign(values.mean(axis=reduce_axes).astype(np.float32))
        self.adapt_variance.assign(values.var(axis=reduce_axes).astype(np.float32))
        self.count.assign(int(np.prod([values.shape[a] for a in reduce_axes])))
        self._finalize()

    def _finalize(self) -> None:
        """The statistics shaped to broadcast against an input, as `mean`/`variance` show."""
        mean: Any
        variance: Any
        if self._given is not None:  # numbers or per-feature values, as given
            mean, variance = (
                np.broadcast_to(np.asarray(v, np.float32), self._feature_shape) for v in self._given
            )
        else:
            mean, variance = self.adapt_mean, self.adapt_variance
        self._stats = (
            reshape(convert_to_tensor(mean), self._broadcast),
            reshape(convert_to_tensor(variance), self._broadcast),
        )

    @property
    def mean(self) -> Tensor:
        return self._statistics()[0]

    @property
    def variance(self) -> Tensor:
        return self._statistics()[1]

    def _statistics(self) -> tuple[Tensor, Tensor]:
        if self._stats is None:
            raise AttributeError("The layer has no statistics before it is built or adapted.")
        return self._stats

    def call(self, inputs: Any) -> Any:
        x = convert_to_tensor(inputs)
        if x.dtype.name != "float32":
            x = _math.cast(x, "float32")
        mean, variance = self._statistics()
        std = _math.maximum(_math.sqrt(variance), _EPSILON)
        if self.invert:
            return add(mean, _math.multiply(x, std))
        return _math.divide(_math.subtract(x, mean), std)

    def get_config(self) -> dict[str, Any]:
        mean, variance = (None, None) if self._given is None else self._given
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": None if mean is None else np.asarray(mean).tolist(),
            "variance": None if variance is None else np.asarray(variance).tolist(),
        }

    def load_own_variables(self, store: dict[str, Any]) -> None:
        super().load_own_variables(store)
        if self.built:
            self._finalize()  # the statistics are computed from the loaded values


class Rescaling(Layer):
    """`inputs * scale + offset` (images from [0, 255] to [0, 1]: `Rescaling(1 / 255)`)."""

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = convert_to_tensor(inputs)
        if not x.dtype.is_floating:
            x = _math.cast(x, "float32")
        return add(_math.multiply(x, self.scale), self.offset)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot rows (float64 NumPy, as Keras) for integer class labels; a trailing axis of
    size 1 is dropped first."""
    labels = np.array(x, dtype="int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    return np.eye(n)[labels.reshape(-1)].reshape((*labels.shape, n))


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: str = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """The sequences as one array, each padded (or cut) to `maxlen` at the front ("pre") or
    the back ("post")."""
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in ("pre", "post"):
            raise ValueError(f'{name.capitalize()} type "{side}" not understood')
    rows = [list(s) for s in sequences]
    length = max((len(r) for r in rows), default=0) if maxlen is None else int(maxlen)
    out = np.full((len(rows), length), value, dtype=dtype)
    for i, row in enumerate(rows):
        kept = row[-length:] if truncating == "pre" else row[:length]
        if not length or not kept:
            continue
        if padding == "pre":
            out[i, length - len(kept) :] = kept
        else:
            out[i, : len(kept)] = kept
    return out


def set_random_seed(seed: int) -> None:
    """Seeds Python's, NumPy's and tapeflow's random numbers, as Keras seeds its backends'."""
    random.seed(seed)
    np.random.seed(seed)
    _random.set_seed(seed)
