"""tf.keras.optimizers: SGD, Adam, RMSprop, Adagrad.

Each update is Keras 3's arithmetic, op for op in float32, so variables match TF's to float32
rounding step after step. `apply_gradients` skips `None` gradients with Keras's warning.
`minimize` is tf.keras 2's (Keras 3 dropped it): tutorials written for it still run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tapeflow.keras.serialization import keras_defaults, supported_arguments
from tapeflow.keras.variables import Variable, auto_name, name_scope
from tapeflow.module import restore_deferred
from tapeflow.ops import math as _math
from tapeflow.tape import GradientTape
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "Adagrad", "get"]


class Optimizer:
    """Holds the learning rate, the step count and, per variable, the optimizer's slots."""

    _TF_TRACKABLE = True  # a checkpoint saves its attributes, as a tf.Module's

    def __init__(self, learning_rate: float, name: str | None = None) -> None:
        self.name = name or auto_name(type(self).__name__)
        with name_scope(self.name, caller=self):
            self._iterations = Variable(0, name="iteration", dtype="int64", trainable=False)
            self._learning_rate = Variable(
                float(learning_rate), name="learning_rate", dtype="float32", trainable=False
            )
        self._variables: list[Variable] = [self._iterations, self._learning_rate]
        self._index: dict[int, int] = {}  # id(model variable) -> its position at build
        self.built = False

    @property
    def iterations(self) -> Variable:
        return self._iterations

    @property
    def learning_rate(self) -> Variable:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._learning_rate.assign(value)

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def build(self, var_list: list[Any]) -> None:
        """Makes the slots for `var_list` (called by the first apply_gradients)."""
        self._index = {id(v): i for i, v in enumerate(var_list)}
        self.built = True

    def add_variable_from_reference(
        self, reference: Any, name: str, initializer: float = 0.0
    ) -> Variable:
        """A slot shaped like `reference`, named after its path ("dense_kernel_momentum")."""
        path = getattr(reference, "path", None)
        prefix = (
            path.replace("/", "_") if path else reference.name.replace("/", "_").replace(":", "_")
        )
        with name_scope(self.name, caller=self):
            slot = Variable(
                np.full(reference.shape.as_list(), initializer, reference.dtype._np),
                name=f"{prefix}_{name}",
                trainable=False,
            )
        self._variables.append(slot)
        restore_deferred(self)  # a checkpoint restored before this slot existed has its value
        return slot

    def _slot_index(self, variable: Any) -> int:
        index = self._index.get(id(variable))
        if index is None:
            raise KeyError(
                f"The optimizer cannot recognize variable {variable.name}. This usually means "
                "you are trying to call the optimizer to update different parts of the model "
                "separately. Please call `optimizer.build(variables)` with the full list of "
                "trainable variables before the training loop or use legacy optimizer "
                "`tf.keras.optimizers.legacy.SGD."
            )
        return index

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> Variable:
        """Updates each variable with its gradient; returns `iterations`."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        var_list = [v for _, v in pairs]
        if not self.built:
            self.build(var_list)
        for v in var_list:
            self._slot_index(v)
        missing = [getattr(v, "path", v.name) for g, v in pairs if g is None]
        kept = [(g, v) for g, v in pairs if g is not None]
        if not kept:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                UserWarning,
                stacklevel=2,
            )
        lr = self._learning_rate.value()
        for grad, v in kept:
            # an IndexedSlices gradient (from gather) is applied densely
            dense = convert_to_tensor(grad)
            self.update_step(_math.cast(dense, v.dtype), v, _math.cast(lr, v.dtype))
        self._iterations.assign_add(1, read_value=False)
        return self._iterations

    def apply(self, grads: list[Any], trainable_variables: list[Any]) -> None:
        self.apply_gradients(zip(grads, trainable_variables))

    def minimize(
        self,
        loss: Callable[[], Any] | Tensor,
        var_list: Any,
        tape: GradientTape | None = None,
    ) -> Variable:
        """Computes the gradient of `loss` (a callable, or a tensor recorded by `tape`) with
        respect to `var_list` and applies it."""
        if callable(loss):
            with GradientTape() as recorded:
                value = loss()
        elif tape is None:
            raise ValueError("`tape` is required when a `Tensor` loss is passed.")
        else:
            recorded, value = tape, loss
        variables = list(var_list() if callable(var_list) else var_list)
        grads = recorded.gradient(value, variables)
        return self.apply_gradients(zip(grads, variables))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        raise NotImplementedError  # each optimizer defines it

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments under Keras's names; an optimizer adds its own."""
        return {
            "name": self.name,
            "learning_rate": float(self._learning_rate.numpy()),
            **keras_defaults(
                "weight_decay",
                "clipnorm",
                "global_clipnorm",
                "clipvalue",
                "use_ema",
                "ema_momentum",
                "ema_overwrite_frequency",
                "loss_scale_factor",
                "gradient_accumulation_steps",
            ),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**supported_arguments(cls, config))

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Puts `variables` (iterations, learning rate, then the slots) in `store`."""
        for i, v in enumerate(self._variables):
            store[str(i)] = np.asarray(v.numpy())

    def load_own_variables(self, store: dict[str, Any]) -> None:
        """Assigns the stored values; with another number of variables, warns and skips them,
        as Keras does (an optimizer saved before its first step)."""
        if len(store) != len(self._variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store)} variables. "
            )
            warnings.warn(message, UserWarning, stacklevel=2)
            return
        for i, v in enumerate(self._variables):
            v.assign(np.asarray(store[str(i)]).astype(v.dtype._np, copy=False), read_value=False)

    def __repr__(self) -> str:
        return f"<keras.src.optimizers.{type(self).__name__.lower()}.{type(self).__name__} " + (
            f"object at {id(self):#x}>"
        )


class SGD(Optimizer):
    """Gradient descent, with (Nesterov) momentum if `momentum > 0`.

    >>> import tapeflow as tf
    >>> w = tf.Variable(1.0)
    >>> opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(tf.constant(2.0), w)])
    >>> print(w.numpy(), opt.iterations.numpy())
    0.8 1
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str | None = None,
    ) -> None:
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        super().__init__(learning_rate, name)
        self.momentum, self.nesterov = momentum, nesterov
        self.momentums: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def build(self, var_list: list[Any]) -> None:
        super().build(var_list)
        if self.momentum != 0:
            self.momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if self.momentum == 0:
            variable.assign_sub(gradient * learning_rate, read_value=False)
            return
        m = self.momentums[self._slot_index(variable)]
        momentum = self.momentum
        # m <- momentum m - lr g; then w += m, or w += momentum m - lr g (Nesterov)
        m.assign(m * momentum - gradient * learning_rate, read_value=False)
        if self.nesterov:
            variable.assign_add(m * momentum - gradient * learning_rate, read_value=False)
        else:
            variable.assign_add(m, read_value=False)


class Adam(Optimizer):
    """Adam (Kingma and Ba), Keras's epsilon-hat form: the bias corrections sit in the step
    size `alpha`, and epsilon is added to _math.sqrt(v) uncorrected."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate, name)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self._momentums: list[Any] = []
        self._velocities: list[Any] = []
        self._velocity_hats: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }

    def build(self, var_list: list[Any]) -> None:
        super().build(var_list)
        for v in var_list:  # Keras interleaves them: kernel_momentum, kernel_velocity, ...
            self._momentums.append(self.add_variable_from_reference(v, "momentum"))
            self._velocities.append(self.add_variable_from_reference(v, "velocity"))
        if self.amsgrad:
            self._velocity_hats = [
                self.add_variable_from_reference(v, "velocity_hat") for v in var_list
            ]

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self._slot_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        step: Any = self._iterations.value()
        local_step = _math.cast(step + 1, variable.dtype)
        beta_1_power = _math.pow(_math.cast(self.beta_1, variable.dtype), local_step)
        beta_2_power = _math.pow(_math.cast(self.beta_2, variable.dtype), local_step)
        alpha = learning_rate * _math.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign_add((gradient - m) * (1 - self.beta_1), read_value=False)
        v.assign_add((_math.square(gradient) - v) * (1 - self.beta_2), read_value=False)
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            v_hat.assign(_math.maximum(v_hat, v), read_value=False)
            v = v_hat
        variable.assign_sub((m * alpha) / (_math.sqrt(v) + self.epsilon), read_value=False)


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of recent gradients."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate, name)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self._velocities: list[Any] = []
        self._momentums: list[Any] = []
        self._average_gradients: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }

    def build(self, var_list: list[Any]) -> None:
        super().build(var_list)
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]
        if self.momentum > 0:
            self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        if self.centered:
            self._average_gradients = [
                self.add_variable_from_reference(v, "average_gradient") for v in var_list
            ]

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self._slot_index(variable)
        velocity, rho = self._velocities[i], self.rho
        velocity.assign(rho * velocity + (1 - rho) * _math.square(gradient), read_value=False)
        if self.centered:
            average = self._average_gradients[i]
            average.assign(rho * average + (1 - rho) * gradient, read_value=False)
            denominator = velocity - _math.square(average) + self.epsilon
        else:
            denominator = velocity + self.epsilon
        increment = learning_rate * gradient / _math.sqrt(denominator)  # Keras: epsilon inside sqrt
        if self.momentum > 0:
            momentum = self._momentums[i]
            momentum.assign(self.momentum * momentum + increment, read_value=False)
            variable.assign_sub(momentum, read_value=False)
        else:
            variable.assign_sub(increment, read_value=False)


class Adagrad(Optimizer):
    """Scales each coordinate's step by the root of its accumulated squared gradients."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        name: str | None = None,
    ) -> None:
        super().__init__(learning_rate, name)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        self._accumulators: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }

    def build(self, var_list: list[Any]) -> None:
        super().build(var_list)
        self._accumulators = [
            self.add_variable_from_reference(v, "accumulator", self.initial_accumulator_value)
            for v in var_list
        ]

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        accumulator = self._accumulators[self._slot_index(variable)]
        accumulator.assign_add(_math.square(gradient), read_value=False)
        variable.assign_sub(
            learning_rate * gradient / _math.sqrt(accumulator + self.epsilon), read_value=False
        )


_BY_NAME: dict[str, Any] = {
    "sgd": SGD,
    "adam": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}


def get(identifier: Any) -> Optimizer:
    """An optimizer with default settings from its name ("adam"), or from its serialized
    config, or the optimizer itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        from tapeflow.keras.serialization import deserialize_keras_object

        found: Optimizer = deserialize_keras_object(identifier)
        return found
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
