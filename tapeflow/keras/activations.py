"""tf.keras.activations, and `get` for `Dense(activation="relu")`.

`softmax` and `sigmoid` remember their input, as Keras does: a probability cross-entropy of
their output then computes from the logits (exact where the clipped probabilities are not).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops import transcendental as _tr
from tapeflow.tensor import Tensor, convert_to_tensor

__all__ = [
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "silu",
    "swish",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "exponential",
    "linear",
    "get",
    "serialize",
    "deserialize",
]

# id(output) -> (weak reference to output, logits); Tensors have slots, not Keras's attribute
_logits: dict[int, tuple[weakref.ref[Tensor], Tensor]] = {}


def _remember_logits(output: Tensor, logits: Tensor) -> Tensor:
    key = id(output)
    _logits[key] = (weakref.ref(output, lambda _: _logits.pop(key, None)), logits)
    return output


def logits_of(output: Any) -> Tensor | None:
    """The input of the `softmax`/`sigmoid` activation that produced `output`, if one did."""
    found = _logits.get(id(output))
    if found is None or found[0]() is not output:
        return None
    return found[1]


def relu(x: Any) -> Tensor:
    return _nn.relu(x)


def relu6(x: Any) -> Tensor:
    return _nn.relu6(x)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    return _nn.leaky_relu(x, alpha=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    y = _nn.elu(x)
    if alpha == 1.0:
        return y
    from tapeflow.ops.math import where

    t: Any = convert_to_tensor(x)
    scaled: Any = y
    return where(t > 0, y, scaled * alpha)


def selu(x: Any) -> Tensor:
    return _nn.selu(x)


def gelu(x: Any, approximate: bool = False) -> Tensor:
    return _nn.gelu(x, approximate=approximate)


def sigmoid(x: Any) -> Tensor:
    x = convert_to_tensor(x)
    return _remember_logits(_tr.sigmoid(x), x)


def tanh(x: Any) -> Tensor:
    return _tr.tanh(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    x = convert_to_tensor(x)
    return _remember_logits(_nn.softmax(x, axis=axis), x)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return _nn.log_softmax(x, axis=axis)


def softplus(x: Any) -> Tensor:
    return _nn.softplus(x)


def softsign(x: Any) -> Tensor:
    return _nn.softsign(x)


def silu(x: Any) -> Tensor:
    return _nn.silu(x)


swish = silu


def hard_sigmoid(x: Any) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between (Keras 3's definition)."""
    return _math.divide(_nn.relu6(_math.add(convert_to_tensor(x), 3.0)), 6.0)


def hard_silu(x: Any) -> Tensor:
    return _math.multiply(convert_to_tensor(x), hard_sigmoid(x))


hard_swish = hard_silu


def exponential(x: Any) -> Tensor:
    return _tr.exp(x)


def linear(x: Any) -> Any:
    return x


_BY_NAME: dict[str, Callable[..., Any]] = {f.__name__: f for f in (
    relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, tanh, softmax, log_softmax, softplus,
    softsign, silu, hard_sigmoid, hard_silu, exponential, linear,
)}  # fmt: skip
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu


def get(identifier: Any) -> Callable[..., Any]:
    """The activation function named `identifier`; None is `linear`; a callable is itself; a
    dict is a serialized (registered) function."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")


def serialize(activation: Callable[..., Any]) -> Any:
    """Keras's config value of an activation: its name for Keras's own (also `tf.nn.relu`),
    else the serialized function."""
    name = getattr(activation, "__name__", None)
    if name in _BY_NAME:
        return name
    from tapeflow.keras.serialization import serialize_keras_object

    return serialize_keras_object(activation)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The activation function `serialize` described."""
    from tapeflow.keras.serialization import deserialize_keras_object

    return get(deserialize_keras_object(config, custom_objects, module_objects=_BY_NAME))
