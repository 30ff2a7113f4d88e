"""tf.keras.regularizers: penalties on weights (`kernel_regularizer=`, ...) and on a layer's
outputs (`activity_regularizer=`), computed as Keras 3 computes them.

A layer lists them in `layer.losses` (recomputed from the weights at each access) and `fit`
adds them to the loss it minimises and reports (Keras 3's `compute_loss`).

>>> import tapeflow as tf
>>> print(tf.keras.regularizers.L2(0.1)(tf.constant([1.0, -2.0])))
tf.Tensor(0.5, shape=(), dtype=float32)
>>> tf.keras.regularizers.get("l1").get_config()
{'l1': 0.009999999776482582}
"""

from __future__ import annotations

import math
from typing import Any

from tapeflow.keras.variables import to_snake_case
from tapeflow.ops import math as _math
from tapeflow.ops import reduce as _reduce
from tapeflow.ops.array import transpose
from tapeflow.ops.constructors import eye
from tapeflow.ops.linalg import matmul
from tapeflow.tape import add
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "OrthogonalRegularizer",
    "l1",
    "l2",
    "l1_l2",
    "orthogonal_regularizer",
    "get",
    "serialize",
    "deserialize",
]


def _factor(value: Any, name: str) -> float:
    """Keras's validate_float_arg: a finite, non-negative number."""
    if not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


class Regularizer:
    """The base class: `regularizer(x)` is the penalty on the tensor x (a scalar)."""

    def __call__(self, x: Any) -> Any:
        return 0.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{self} does not implement get_config()")


class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x**2)`; both factors default to 0 (`l1_l2` is this class)."""

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        x = convert_to_tensor(x)
        penalty = convert_to_tensor(0.0, dtype=x.dtype)
        if self.l1 != 0.0:
            l1 = _math.multiply(_math.cast(self.l1, x.dtype), _reduce.reduce_sum(_math.abs(x)))
            penalty = add(penalty, l1)
        if self.l2 != 0.0:
            l2 = _math.multiply(_math.cast(self.l2, x.dtype), _reduce.reduce_sum(_math.square(x)))
            penalty = add(penalty, l2)
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """`l1 * sum(|x|)`. Keras keeps the factor as a float32 tensor, so `get_config` gives
    its float32 value (0.01 -> 0.009999999776482582)."""

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = convert_to_tensor(_factor(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x: Any) -> Tensor:
        x = convert_to_tensor(x)
        return _math.multiply(_math.cast(self.l1, x.dtype), _reduce.reduce_sum(_math.abs(x)))

    def get_config(self) -> dict[str, Any]:
        return {"l1": float(self.l1.numpy())}


class L2(Regularizer):
    """`l2 * sum(x**2)`.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.Dense(2, kernel_initializer="ones", kernel_regularizer="l2")
    >>> _ = layer(tf.ones([1, 3]))
    >>> [round(float(loss), 4) for loss in layer.losses]
    [0.06]
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        x = convert_to_tensor(x)
        return _math.multiply(_math.cast(self.l2, x.dtype), _reduce.reduce_sum(_math.square(x)))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """`factor` times the mean absolute cosine between distinct rows (`mode="rows"`) or
    columns of a matrix: a penalty for them not being orthogonal."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = convert_to_tensor(_factor(factor, "factor"))
        if mode not in {"rows", "columns"}:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}'
            )
        self.mode = mode

    def __call__(self, inputs: Any) -> Tensor:
        x = convert_to_tensor(inputs)
        if x.shape.rank != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        # Keras's normalize: x * min(rsqrt(sum(x**2)), 1 / epsilon)
        inv_norm = _math.rsqrt(_reduce.reduce_sum(_math.square(x), axis=axis, keepdims=True))
        x = _math.multiply(x, _math.minimum(inv_norm, 1.0 / 1e-7))
        if self.mode == "rows":
            product, size = matmul(x, transpose(x)), x.shape[0]
        else:
            product, size = matmul(transpose(x), x), x.shape[1]
        off_diagonal = _math.multiply(product, _math.subtract(1.0, eye(size, dtype=x.dtype)))
        pairs = size * (size - 1.0) / 2.0
        total = _reduce.reduce_sum(_math.abs(off_diagonal))
        return _math.truediv(_math.multiply(_math.multiply(self.factor, 0.5), total), pairs)

    def get_config(self) -> dict[str, Any]:
        return {"factor": float(self.factor.numpy()), "mode": self.mode}


# Keras 3 exports the lower-case names as the classes themselves: l1_l2() is L1L2(0, 0)
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
# by class name and its snake case, as Keras looks them up ("l1l2", not "l1_l2")
_BY_NAME: dict[str, type] = {
    **{c.__name__: c for c in _CLASSES},
    **{to_snake_case(c.__name__): c for c in _CLASSES},
}


def serialize(regularizer: Any) -> Any:
    """Keras 3's config of a regularizer (a dict naming its class, or a registered function),
    for `deserialize`: what a layer's config holds.

    >>> import tapeflow as tf
    >>> tf.keras.regularizers.serialize(tf.keras.regularizers.L2(0.5))
    {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.5}, \
'registered_name': None}
    """
    from tapeflow.keras.serialization import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The regularizer a `serialize` config (or a name: "l2") describes; a custom one is found
    by its registration or in `custom_objects`, as Keras finds it."""
    from tapeflow.keras.serialization import deserialize_keras_object

    found = deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME)
    # a name gives an instance with the default factors, as Keras makes it
    return found() if isinstance(found, type) else found


def get(identifier: Any) -> Any:
    """A regularizer from a name ("l1", "l2", "L1L2", ...: default factors), a config dict,
    or itself (any callable); None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _BY_NAME.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if isinstance(obj, type) else obj
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
