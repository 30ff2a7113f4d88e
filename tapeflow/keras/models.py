"""tf.keras.Model (subclassing), tf.keras.Sequential and tf.keras.Input; training
(`compile`, `fit`, `evaluate`, `predict`) is in trainer.py."""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from tapeflow.keras import saving
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

    def save_weights(self, filepath: str) -> None:
        """Saves the weights to `filepath`, which must end in `.weights.h5` (Keras 3's rule;
        the file is tapeflow's own format, see tapeflow/keras/saving.py)."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Loads weights that `save_weights` saved from a model of the same structure."""
        saving.load_weights(self, filepath)

    def summary(
        self,
        line_length: int | None = None,
        positions: list[float] | None = None,
        print_fn: Any = None,
    ) -> None:
        """Prints Keras 3's table of the layers, their output shapes and parameter counts,
        then the totals, as Keras prints it when stdout is not a terminal (no colours).

        >>> import tapeflow as tf
        >>> model = tf.keras.Sequential(
        ...     [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2, name="out")], name="model"
        ... )
        >>> model.summary(line_length=50)
        Model: "model"
        ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
        ┃ Layer (type)        ┃ Output Shape   ┃ Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
        │ out (Dense)         │ (None, 2)      │       8 │
        └─────────────────────┴────────────────┴─────────┘
         Total params: 8 (32.00 B)
         Trainable params: 8 (32.00 B)
         Non-trainable params: 0 (0.00 B)
        """
        # Keras: 88 columns, or the terminal's width less 4 (76 when stdout is not a terminal)
        line_length = line_length or min(88, shutil.get_terminal_size().columns - 4)
        positions = positions or [0.45, 0.80, 1.0]
        widths, used = [], 0
        for pos in positions:
            widths.append(int(pos * line_length) - used)
            used += widths[-1]
        # rich's table, `line_length` wide: each cell has a space either side, and when the
        # columns with their padding and borders are too wide they shrink evenly
        cells = [w + 2 for w in widths]
        excess = sum(cells) + len(cells) + 1 - line_length
        if excess > 0:
            cells = _ratio_reduce(excess, cells)
        rows = []
        for layer in self.layers:
            shape = getattr(self, "_output_shapes", {}).get(id(layer))  # Sequential's
            count = sum(v.shape.num_elements() or 0 for v in layer.weights)
            rows.append(
                [
                    f"{layer.name} ({type(layer).__name__})",
                    "?" if shape is None else str(shape),
                    f"{count:,}" if layer.built else "0 (unbuilt)",
                ]
            )
        lines = [f'Model: "{self.name}"']
        lines += _table(["Layer (type)", "Output Shape", "Param #"], rows, cells)
        optimizer = self.optimizer if self.compiled else None
        groups = [
            ("Trainable", self.trainable_weights),
            ("Non-trainable", self.non_trainable_weights),
        ]
        if optimizer is not None and optimizer.built:
            groups.append(("Optimizer", optimizer.variables))
        counts = [(label, *_size(ws)) for label, ws in groups]
        total = (sum(c[1] for c in counts), sum(c[2] for c in counts))
        for label, n, nbytes in [("Total", *total), *counts]:
            lines.append(f" {label} params: {n:,} ({_memory(nbytes)})")
        text = "\n".join(lines)
        if print_fn is None:
            print(text)
        else:
            print_fn(text)


def _ratio_reduce(total: int, values: list[int]) -> list[int]:
    """rich's ratio_reduce with equal ratios: takes `total` off the values, evenly."""
    result, remaining, parts = [], total, len(values)
    for value in values:
        cut = min(value, round(remaining / parts))
        result.append(value - cut)
        remaining -= cut
        parts -= 1
    return result


def _table(header: list[str], rows: list[list[str]], cells: list[int]) -> list[str]:
    """rich's table with a rule between rows; the last column right-aligned, as Keras's
    summary sets it."""

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in cells) + right

    def row(values: list[str], bar: str) -> list[str]:
        # a cell too long for its column wraps at spaces onto more lines, as rich's do
        wrapped = [_wrap_cell(v, w - 2) for v, w in zip(values, cells)]
        out = []
        for k in range(max(len(c) for c in wrapped)):
            line = [c[k] if k < len(c) else "" for c in wrapped]
            aligned = [
                v.rjust(w - 2) if i == len(line) - 1 else v.ljust(w - 2)
                for i, (v, w) in enumerate(zip(line, cells))
            ]
            out.append(bar + bar.join(f" {v} " for v in aligned) + bar)
        return out

    lines = [rule("┏", "━", "┳", "┓"), *row(header, "┃"), rule("┡", "━", "╇", "┩")]
    for i, values in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += row(values, "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def _wrap_cell(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`: words kept whole where they fit, as rich wraps."""
    lines: list[str] = []
    for whole in text.split(" "):
        rest = whole
        while len(rest) > width:  # a word longer than the column is folded
            lines.append(rest[:width])
            rest = rest[width:]
        if lines and lines[-1] and len(lines[-1]) + 1 + len(rest) <= width:
            lines[-1] += " " + rest
        else:
            lines.append(rest)
    return [line for line in lines if line] or [""]


def _size(weights: list[Any]) -> tuple[int, int]:
    """The number of values in `weights` and their bytes."""
    sizes = [(v.shape.num_elements() or 0, v.dtype.size) for v in weights]
    return sum(n for n, _ in sizes), sum(n * b for n, b in sizes)


def _memory(nbytes: float) -> str:
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


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
        self._output_shapes: dict[int, tuple[int | None, ...]] = {}
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
        # zero input gives each layer its input shape the same way, and its output shape
        # for `summary` (with the batch size the model was built with: None or a number)
        shape = tuple(1 if d is None else d for d in input_shape)
        x = constant(np.zeros(shape, np.float32))
        with name_scope(self.name, caller=self):
            for layer in self._layers:
                x = layer(x)
                self._output_shapes[id(layer)] = (input_shape[0], *x.shape.as_list()[1:])
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x
