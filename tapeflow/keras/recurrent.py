"""Keras 3's recurrent layers: SimpleRNN, LSTM, GRU and the wrappers Bidirectional and
TimeDistributed.

Each layer holds its cell (`layer.cell`, named "lstm_cell" and so on) whose weights are
Keras 3's in name, shape and gate order (LSTM: i, f, c, o; GRU: z, r, h), so weights copied
with `set_weights` give Keras's outputs. The steps run as tapeflow ops in a Python loop, so a
GradientTape records them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers import InputSpec, Layer, _accepts, _call_spec
from tapeflow.keras.serialization import (
    deserialize_keras_object,
    keras_defaults,
    serialize_keras_object,
)
from tapeflow.ops import constructors as _constructors
from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops.array import concat, expand_dims, reshape, reverse, split, stack, unstack
from tapeflow.ops.constructors import zeros, zeros_like
from tapeflow.ops.linalg import matmul
from tapeflow.tape import add
from tapeflow.tensor import convert_to_tensor

__all__ = ["SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed"]


class _Cell(Layer):
    """One step of a recurrent layer. `gates` is how many blocks of `units` columns the
    kernels have; `project` is the part of a step that does not depend on the state, done
    for every step at once."""

    gates = 1

    def __init__(
        self,
        units: int,
        activation: Any,
        recurrent_activation: Any,
        use_bias: bool,
        kernel_initializer: Any,
        recurrent_initializer: Any,
        bias_initializer: Any,
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias: Any = None

    @property
    def state_size(self) -> list[int]:
        return [self.units]

    def build(self, input_shape: Any) -> None:
        width = self.gates * self.units
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=self._bias_shape(),
                initializer=self._bias_init(),
                regularizer=self.bias_regularizer,
            )
        self.built = True

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def project(self, inputs: Any, masks: list[Any] | None = None) -> Any:
        """inputs (batch, steps, features) @ kernel, as one matmul; with dropout, the inputs
        times the dropout mask of each step (one mask, or one per gate: Keras's
        implementation 1, which recurrent dropout selects)."""
        batch, steps, features = inputs.shape.as_list()

        def product(x: Any, mask: Any, kernel: Any) -> Any:
            if mask is not None:
                x = _math.multiply(x, expand_dims(mask, 1))
            return matmul(reshape(x, [batch * steps, features]), kernel)

        if masks is None or len(masks) == 1:
            x = product(inputs, masks[0] if masks else None, self.kernel)
        else:
            kernels = split(self.kernel, len(masks), axis=1)
            x = concat([product(inputs, m, k) for m, k in zip(masks, kernels)], axis=1)
        return reshape(x, [batch, steps, self.gates * self.units])

    def recurrent(self, h: Any, kernel: Any, masks: list[Any] | None) -> Any:
        """h @ kernel; with recurrent dropout, h times its mask (per gate if several)."""
        if masks is None:
            return matmul(h, kernel)
        if len(masks) == 1:
            return matmul(_math.multiply(h, masks[0]), kernel)
        kernels = split(kernel, len(masks), axis=1)
        return concat([matmul(_math.multiply(h, m), k) for m, k in zip(masks, kernels)], 1)

    def step(
        self, x: Any, states: list[Any], masks: list[Any] | None = None
    ) -> tuple[Any, list[Any]]:
        raise NotImplementedError  # each cell defines it


class SimpleRNNCell(_Cell):
    def project(self, inputs: Any, masks: list[Any] | None = None) -> Any:
        x = super().project(inputs, masks)
        return x if self.bias is None else add(x, self.bias)

    def step(
        self, x: Any, states: list[Any], masks: list[Any] | None = None
    ) -> tuple[Any, list[Any]]:
        h = self.activation(add(x, self.recurrent(states[0], self.recurrent_kernel, masks)))
        return h, [h]


class LSTMCell(_Cell):
    gates = 4

    def __init__(self, units: int, unit_forget_bias: bool, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self) -> list[int]:
        return [self.units, self.units]

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, units = self.bias_initializer, self.units

        def forget_ones(shape: Any, dtype: Any = None) -> Any:
            parts = [init((units,), dtype), np.ones(units), init((2 * units,), dtype)]
            return concat([convert_to_tensor(p, dtype=dtype) for p in parts], 0)

        return forget_ones

    def step(
        self, x: Any, states: list[Any], masks: list[Any] | None = None
    ) -> tuple[Any, list[Any]]:
        h, c = states
        # Keras's order of the sums: (x @ kernel + h @ recurrent_kernel) + bias
        z = add(x, self.recurrent(h, self.recurrent_kernel, masks))
        if self.bias is not None:
            z = add(z, self.bias)
        zi, zf, zc, zo = split(z, 4, axis=1)
        i, f, o = (self.recurrent_activation(g) for g in (zi, zf, zo))
        c = add(_math.multiply(f, c), _math.multiply(i, self.activation(zc)))
        h = _math.multiply(o, self.activation(c))
        return h, [h, c]


class GRUCell(_Cell):
    gates = 3

    def __init__(self, units: int, reset_after: bool, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def _bias_shape(self) -> tuple[int, ...]:
        # reset_after: separate input and recurrent biases, as rows 0 and 1
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def project(self, inputs: Any, masks: list[Any] | None = None) -> Any:
        x = super().project(inputs, masks)
        if self.bias is None:
            return x
        return add(x, unstack(self.bias)[0] if self.reset_after else self.bias)

    def step(
        self, x: Any, states: list[Any], masks: list[Any] | None = None
    ) -> tuple[Any, list[Any]]:
        (h,) = states
        u = self.units
        xz, xr, xh = split(x, 3, axis=1)
        if self.reset_after:
            inner = self.recurrent(h, self.recurrent_kernel, masks)
            if self.bias is not None:
                inner = add(inner, unstack(self.bias)[1])
            rz, rr, rh = split(inner, 3, axis=1)
        else:
            kernel_zr, kernel_h = split(self.recurrent_kernel, [2 * u, u], axis=1)
            rz, rr = split(self.recurrent(h, kernel_zr, masks and masks[:2]), 2, axis=1)
        z = self.recurrent_activation(add(xz, rz))
        r = self.recurrent_activation(add(xr, rr))
        if self.reset_after:
            rh = _math.multiply(r, rh)
        else:
            h_h = h if masks is None else _math.multiply(h, masks[-1])
            rh = matmul(_math.multiply(r, h_h), kernel_h)
        hh = self.activation(add(xh, rh))
        h = add(_math.multiply(z, h), _math.multiply(_math.subtract(1.0, z), hh))
        return h, [h]


class _RNN(Layer):
    """Runs `self.cell` over the steps of (batch, steps, features) inputs.

    A mask (batch, steps), passed or attached by `Embedding(mask_zero=True)` or `Masking`,
    skips steps as Keras 3 does: a masked step keeps the previous states and repeats the
    previous output (zeros before the first kept step; zeros at every masked step with
    `zero_output_for_mask`). With `training=True`, `dropout` and `recurrent_dropout` multiply
    the inputs and the carried output by masks drawn once per call (one per gate when
    `recurrent_dropout` is set, as Keras's implementation 1 does).
    """

    _supports_masking = True
    _keras_call_training = True

    def __init__(
        self,
        cell: _Cell,
        return_sequences: bool,
        return_state: bool,
        go_backwards: bool,
        dropout: float,
        recurrent_dropout: float,
        config: dict[str, Any],
        seed: int | None = None,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.cell = cell
        self.units = cell.units
        # Keras clips the rates to [0, 1]; only rates strictly between 0 and 1 drop anything
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.zero_output_for_mask = zero_output_for_mask
        # the constructor's arguments, for Bidirectional's copies
        self._config = {
            **config,
            "activity_regularizer": self.activity_regularizer,
            "dropout": dropout,
            "recurrent_dropout": recurrent_dropout,
            "seed": seed,
            "return_sequences": return_sequences,
            "return_state": return_state,
            "go_backwards": go_backwards,
            "zero_output_for_mask": zero_output_for_mask,
        }
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any) -> None:
        self.cell.build(input_shape)  # its add_weight nests its name: lstm/lstm_cell/kernel
        self.built = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.cell.state_size)
        return output_mask

    def _dropout_masks(self, inputs: Any, training: Any) -> tuple[Any, Any]:
        """The input and recurrent dropout masks of one call (None when not dropping)."""
        if not training:
            return None, None
        batch, features = inputs.shape[0], inputs.shape[2]
        count = self.cell.gates if self.recurrent_dropout > 0 else 1

        def draw(shape: list[int], rate: float) -> Any:
            if not 0 < rate < 1:
                return None
            ones = _constructors.ones(shape, dtype=inputs.dtype)
            return [_nn.dropout(ones, rate, seed=self.seed) for _ in range(count)]

        return draw([batch, features], self.dropout), draw(
            [batch, self.units], self.recurrent_dropout
        )

    def call(
        self, inputs: Any, initial_state: Any = None, mask: Any = None, training: Any = None
    ) -> Any:
        batch = inputs.shape[0]
        if initial_state is None:
            states = [zeros([batch, n], dtype=inputs.dtype) for n in self.cell.state_size]
        else:
            given = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            states = [_math.cast(convert_to_tensor(s), inputs.dtype) for s in given]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        input_masks, recurrent_masks = self._dropout_masks(inputs, training)
        steps = unstack(self.cell.project(inputs, input_masks), axis=1)
        keep = None
        if mask is not None:  # (batch, 1) per step, to broadcast over the units
            mask = _math.cast(convert_to_tensor(mask), "bool")
            shape = mask.shape.as_list()
            if shape[:2] != inputs.shape.as_list()[:2] or shape[2:] not in ([], [1]):
                # (TF fails inside its loop, with an error type that depends on the shape)
                raise ValueError(
                    f"The mask of layer '{self.name}' must have the shape (batch, steps) of its "
                    f"inputs, {tuple(inputs.shape.as_list()[:2])}. Received: mask.shape="
                    f"{tuple(shape)}"
                )
            keep = unstack(mask if len(shape) == 3 else expand_dims(mask, -1), axis=1)
        if self.go_backwards:
            steps = steps[::-1]
            keep = None if keep is None else keep[::-1]
        outputs: list[Any] = []
        for t, x in enumerate(steps):
            h, new_states = self.cell.step(x, states, recurrent_masks)
            if keep is not None:
                # Keras: a masked step repeats the previous output (zeros at first) and keeps
                # the states
                if self.zero_output_for_mask or not outputs:
                    previous = zeros_like(h)
                else:
                    previous = outputs[-1]
                h = _math.where(keep[t], h, previous)
                new_states = [_math.where(keep[t], n, o) for n, o in zip(new_states, states)]
            states = new_states
            outputs.append(h)
        # go_backwards: the outputs stay in the order they were computed, as in Keras
        output = stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return (output, *states) if self.return_state else output

    def get_config(self) -> dict[str, Any]:
        """Keras's keys, in its order: the RNN's, then the cell's (`_cell_config`)."""
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            **keras_defaults("stateful", "unroll"),
            "zero_output_for_mask": self.zero_output_for_mask,
            **self._cell_config(),
        }

    def _cell_config(self) -> dict[str, Any]:
        cell = self.cell
        config: dict[str, Any] = {
            "units": self.units,
            "activation": activations.serialize(cell.activation),
        }
        if not isinstance(cell, SimpleRNNCell):
            config["recurrent_activation"] = activations.serialize(cell.recurrent_activation)
        config.update(
            use_bias=cell.use_bias,
            kernel_initializer=initializers.serialize(cell.kernel_initializer),
            recurrent_initializer=initializers.serialize(cell.recurrent_initializer),
            bias_initializer=initializers.serialize(cell.bias_initializer),
        )
        if isinstance(cell, LSTMCell):
            config["unit_forget_bias"] = cell.unit_forget_bias
        config.update(
            kernel_regularizer=regularizers.serialize(cell.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(cell.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(cell.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            **keras_defaults("kernel_constraint", "recurrent_constraint", "bias_constraint"),
            dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout,
        )
        if isinstance(cell, GRUCell):
            config["reset_after"] = cell.reset_after
        if not isinstance(cell, SimpleRNNCell):  # (Keras's SimpleRNN does not write its seed)
            config["seed"] = self.seed
        return config


class SimpleRNN(_RNN):
    """A fully connected RNN: `h = activation(x @ kernel + h @ recurrent_kernel + bias)`.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.SimpleRNN(4, return_sequences=True)
    >>> layer(tf.ones([2, 5, 3])).shape
    TensorShape([2, 5, 4])
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        cell_args = dict(
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
        )
        cell = SimpleRNNCell(units, recurrent_activation=None, name="simple_rnn_cell", **cell_args)
        super().__init__(
            cell,
            return_sequences,
            return_state,
            go_backwards,
            dropout,
            recurrent_dropout,
            {"units": units, **cell_args},
            seed,
            **kwargs,
        )


class LSTM(_RNN):
    """Long short-term memory (Hochreiter 1997), Keras 3's: its states are `[h, c]`.

    >>> import tapeflow as tf
    >>> output, h, c = tf.keras.layers.LSTM(4, return_state=True)(tf.ones([2, 5, 3]))
    >>> output.shape, c.shape
    (TensorShape([2, 4]), TensorShape([2, 4]))
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        unit_forget_bias: bool = True,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        cell_args = dict(
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            unit_forget_bias=unit_forget_bias,
        )
        super().__init__(
            LSTMCell(units, name="lstm_cell", **cell_args),
            return_sequences,
            return_state,
            go_backwards,
            dropout,
            recurrent_dropout,
            {"units": units, **cell_args},
            seed,
            **kwargs,
        )


class GRU(_RNN):
    """Gated recurrent unit (Cho et al. 2014), Keras 3's: `reset_after=True` by default, with
    a (2, 3 * units) bias of input and recurrent rows.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.GRU(4)
    >>> layer(tf.ones([2, 5, 3])).shape, layer.cell.bias.shape
    (TensorShape([2, 4]), TensorShape([2, 12]))
    """

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        seed: int | None = None,
        reset_after: bool = True,
        **kwargs: Any,
    ) -> None:
        cell_args = dict(
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            reset_after=reset_after,
        )
        super().__init__(
            GRUCell(units, name="gru_cell", **cell_args),
            return_sequences,
            return_state,
            go_backwards,
            dropout,
            recurrent_dropout,
            {"units": units, **cell_args},
            seed,
            **kwargs,
        )


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Runs a copy of `layer` forwards (`forward_<name>`) and one backwards (`backward_<name>`)
    and merges their outputs by `merge_mode` (None: both, as a tuple).

    >>> import tapeflow as tf
    >>> bi = tf.keras.layers.Bidirectional(tf.keras.layers.GRU(4))
    >>> bi(tf.ones([2, 5, 3])).shape
    TensorShape([2, 8])
    """

    _supports_masking = True

    def __init__(
        self,
        layer: Any,
        merge_mode: str | None = "concat",
        backward_layer: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, _RNN):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a tapeflow recurrent layer. "
                f"Received: {layer}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        # copies made from the layer's arguments, as Keras makes them from its config
        name = layer.name.removeprefix("forward_").removeprefix("backward_")
        config = layer._config
        self.forward_layer = type(layer)(**config, name=f"forward_{name}")
        if backward_layer is None:
            backward_layer = type(layer)(
                **{**config, "go_backwards": not config["go_backwards"]}, name=f"backward_{name}"
            )
        self.backward_layer = backward_layer
        # Keras forces it: masked steps of returned sequences are zeros, so that the two
        # directions line up
        for sublayer in (self.forward_layer, self.backward_layer):
            sublayer.zero_output_for_mask = sublayer.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = InputSpec(ndim=3)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        if self.return_sequences:
            return (mask, mask) if self.merge_mode is None else mask
        return (None, None) if self.merge_mode is None else None

    def call(
        self, inputs: Any, initial_state: Any = None, mask: Any = None, training: Any = None
    ) -> Any:
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, initial_state=forward_state, mask=mask, training=training)
        y_rev = self.backward_layer(
            inputs, initial_state=backward_state, mask=mask, training=training
        )
        states: tuple[Any, ...] = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = reverse(y_rev, [1])
        output: Any
        if self.merge_mode == "concat":
            output = concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = add(y, y_rev)
        elif self.merge_mode == "ave":
            output = _math.truediv(add(y, y_rev), 2.0)
        elif self.merge_mode == "mul":
            output = _math.multiply(y, y_rev)
        else:
            output = (y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_keras_object(config[key])
        return super().from_config(config)


class TimeDistributed(Layer):
    """Applies `layer` to every step of (batch, steps, ...) inputs: the same weights at each
    step. As Keras, it runs the layer's `call` on each step, passing `training` and the step's
    mask where the layer takes them, and keeps the inputs' mask.

    >>> import tapeflow as tf
    >>> td = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2, name="d"), name="td")
    >>> td(tf.ones([4, 3, 5])).shape, [v.path for v in td.weights]
    (TensorShape([4, 3, 2]), ['td/d/kernel', 'td/d/bias'])
    """

    _supports_masking = True

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        if not self.layer.built:
            self.layer.build((input_shape[0], *input_shape[2:]))
            self.layer.built = True
        self.built = True

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if mask is not None:
            mask = convert_to_tensor(mask)
            if mask.ndim < 2:
                raise ValueError(
                    "The `mask` passed to the `TimeDistributed` layer must be at least 2D "
                    "(e.g., `(batch_size, timesteps)`), but it has "
                    f"{mask.ndim} dimension(s) with shape {tuple(mask.shape.as_list())}."
                )
            if mask.shape[:2] != inputs.shape[:2]:
                raise ValueError(
                    "The `mask` passed to the `TimeDistributed` layer has a shape "
                    f"{tuple(mask.shape.as_list())} that is incompatible with the input shape "
                    f"{tuple(inputs.shape.as_list())}. The first two dimensions of the mask "
                    "(batch size and timesteps) must match the input's first two dimensions. "
                    f"Expected mask shape prefix: ({inputs.shape[0]}, {inputs.shape[1]})."
                )
        kind = type(self.layer)
        takes_mask = "mask" in _call_spec(kind).names
        step_masks = unstack(mask, axis=1) if mask is not None and takes_mask else None
        outputs = []
        for i, x in enumerate(unstack(inputs, axis=1)):
            kwargs: dict[str, Any] = {}
            if step_masks is not None:
                kwargs["mask"] = step_masks[i]
            if _accepts(kind, "training"):
                kwargs["training"] = training
            outputs.append(self.layer.call(x, **kwargs))
        return stack(outputs, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        if isinstance(config.get("layer"), dict):
            config["layer"] = deserialize_keras_object(config["layer"])
        return super().from_config(config)
