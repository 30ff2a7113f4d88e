"""tf.keras.Model (subclassing), tf.keras.Sequential and tf.keras.Input; training
(`compile`, `fit`, `evaluate`, `predict`) is in trainer.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.keras.layers import Layer
from tapeflow.keras.trainer import Trainer
from tapeflow.keras.variables import auto_name, name_scope, standardize_dtype
from tapeflow.tensor import constant

__all__ = ["Model", "Sequential", "Input", "KerasTensor"]


class KerasTensor:
    """What `tf.keras.Input` returns: a shape and dtype with the batch size left open. Here it
    only gives a Sequential model its input shape."""

    def __init__(self, shape: tuple[int | None, ...], dtype: str, name: str | None) -> None:
        self.shape = shape
        self.dtype = dtype
        self.name = name or auto_name("keras_tensor")

    def __repr__(self) -> str:
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, "
            f"ragged=False, name={self.name}>"
        )


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    name: str | None = None,
) -> KerasTensor:
    """The input of a model: `shape` excludes the batch dimension."""
    if shape is None:
        raise ValueError("You must pass a `shape` argument.")
    dims = tuple(None if d is None else int(d) for d in shape)
    return KerasTensor((batch_size, *dims), standardize_dtype(dtype or "float32"), name)


class Model(Trainer, Layer):
    """Subclass it: make layers in `__init__`, use them in `call`; its weights are theirs.

    >>> import tapeflow as tf
    >>> class TwoLayers(tf.keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tf.keras.layers.Dense(4, activation="relu")
    ...         self.out = tf.keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> model = TwoLayers()
    >>> model(tf.ones([2, 3])).shape
    TensorShape([2, 1])
    >>> [v.shape.as_list() for v in model.trainable_variables]
    [[3, 4], [4], [4, 1], [1]]
    """


class Sequential(Model):
    """A stack of layers, each called on the previous one's output.

    With an input shape (`tf.keras.Input(shape=...)` first, or `input_shape=` on the first
    layer) it is built, weights and all, as soon as it is made.

    >>> import tapeflow as tf
    >>> model = tf.keras.Sequential(
    ...     [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2, name="out")], name="model"
    ... )
    >>> [v.path for v in model.weights]
    ['model/out/kernel', 'model/out/bias']
    """

    def __init__(
        self,
        layers: list[Any] | None = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        super().__init__(trainable=trainable, name=name)
        self._layers: list[Layer] = []
        self._input: KerasTensor | None = None
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._build_if_shaped()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or, first, a `tf.keras.Input`)."""
        if isinstance(layer, KerasTensor):
            if self._layers or self._input is not None:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._input.shape if self._input else None}. You cannot add a "
                    "different Input layer to it."
                )
            self._input = layer
        elif isinstance(layer, Layer):
            if not self._layers and self._input is None and layer._input_shape_arg:
                self._input = KerasTensor(tuple(layer._input_shape_arg), "float32", None)
            self._layers.append(layer)
        else:
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer} (of type {type(layer)})"
            )
        if rebuild:
            self._build_if_shaped()

    def pop(self) -> Layer:
        if not self._layers:
            raise IndexError("There are no layers in the model.")
        return self._layers.pop()

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        if self._input is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._input.shape

    def _build_if_shaped(self) -> None:
        if self._input is not None and self._layers:
            self.build(self._input.shape)

    def build(self, input_shape: Any) -> None:
        # Keras traces the layers on a symbolic input; running them once on a batch of one
        # zero input gives each layer its input shape the same way.
        shape = tuple(1 if d is None else d for d in input_shape)
        with name_scope(self.name, caller=self):
            self.call(constant(np.zeros(shape, np.float32)))
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x
