"""tf.keras.layers' merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum and
Concatenate, each called on a list of tensors (of KerasTensors in a functional model)."""

from __future__ import annotations

from functools import reduce
from typing import Any

from tapeflow.keras.layers import Layer
from tapeflow.ops import math as _math
from tapeflow.ops.array import concat, expand_dims
from tapeflow.ops.constructors import ones_like, zeros_like
from tapeflow.ops.logic import logical_or
from tapeflow.ops.reduce import reduce_any
from tapeflow.tape import add

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


class _Merge(Layer):
    """Combines a list of at least two same-shaped tensors element by element."""

    _supports_masking = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # Keras 3: a step is kept where any input keeps it; an unmasked input drops the mask
        if mask is None or any(m is None for m in mask):
            return None
        return reduce(logical_or, mask)

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                "A merge layer should be called on a list of at least 2 inputs. "
                f"Received: inputs={inputs} (not a list of tensors)"
            )
        return self._merge(list(inputs))

    def _merge(self, inputs: list[Any]) -> Any:
        raise NotImplementedError


class Add(_Merge):
    """The sum of the inputs.

    >>> import tapeflow as tf
    >>> print(tf.keras.layers.Add()([tf.constant([1.0]), tf.constant([2.0])]))
    tf.Tensor([3.], shape=(1,), dtype=float32)
    """

    def _merge(self, inputs: list[Any]) -> Any:
        return reduce(add, inputs)


class Subtract(_Merge):
    """The first input less the second."""

    def _merge(self, inputs: list[Any]) -> Any:
        if len(inputs) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: inputs={inputs}"
            )
        return _math.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """The product of the inputs."""

    def _merge(self, inputs: list[Any]) -> Any:
        return reduce(_math.multiply, inputs)


class Average(_Merge):
    """The mean of the inputs."""

    def _merge(self, inputs: list[Any]) -> Any:
        return reduce(add, inputs) / len(inputs)


class Maximum(_Merge):
    """The element-wise maximum of the inputs."""

    def _merge(self, inputs: list[Any]) -> Any:
        return reduce(_math.maximum, inputs)


class Minimum(_Merge):
    """The element-wise minimum of the inputs."""

    def _merge(self, inputs: list[Any]) -> Any:
        return reduce(_math.minimum, inputs)


class Concatenate(_Merge):
    """The inputs joined along `axis` (the last by default)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def _merge(self, inputs: list[Any]) -> Any:
        dtypes = {t.dtype.name for t in inputs}
        if len(dtypes) > 1:  # Keras's ops.concatenate promotes: to the float (the layer's
            # dtype, floats having been cast to it), or the widest integer
            floats = [t.dtype for t in inputs if t.dtype.is_floating]
            target = floats[0] if floats else max((t.dtype for t in inputs), key=lambda d: d.size)
            inputs = [t if t.dtype == target else _math.cast(t, target) for t in inputs]
        return concat(inputs, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # Keras 3: the inputs' masks (all True for an unmasked input), widened to the inputs'
        # shapes, joined along `axis` and reduced with `any` over the last axis
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(ones_like(x, dtype="bool"))
            elif m.ndim < x.ndim:
                masks.append(logical_or(expand_dims(m, -1), zeros_like(x, dtype="bool")))
            else:
                masks.append(m)
        return reduce_any(concat(masks, axis=self.axis), axis=-1)
