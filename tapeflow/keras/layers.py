"""tf.keras.layers: Layer (build on first call, add_weight, weight tracking) and the common
layers.

A layer's weights are its own, in the order they were created (trainable ones first, as
Keras lists them), then its sublayers', in the order the attributes holding them were first
assigned. As in Keras 3, plain tf.Variables held in attributes are not tracked: weights are
made with `add_weight` or `keras.Variable`.
"""

from __future__ import annotations

import builtins
import collections
import functools
import inspect
import math
import textwrap
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras import variables as keras_variables
from tapeflow.keras.serialization import (
    deserialize_keras_object,
    keras_defaults,
    serialize_dtype,
    serialize_keras_object,
    supported_arguments,
)
from tapeflow.keras.variables import Variable, auto_name, name_scope, standardize_dtype
from tapeflow.module import Module
from tapeflow.op import variable_types
from tapeflow.ops import logic as _logic
from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops import reduce as _reduce
from tapeflow.ops.array import reshape
from tapeflow.ops.linalg import matmul
from tapeflow.ops.transcendental import exp
from tapeflow.tape import add
from tapeflow.tensor import _CONVERTERS, Tensor, constant, convert_to_tensor

__all__ = [
    "Layer",
    "InputLayer",
    "InputSpec",
    "Masking",
    "Dense",
    "Flatten",
    "Dropout",
    "SpatialDropout1D",
    "Lambda",
    "ReLU",
    "Activation",
    "Softmax",
    "BatchNormalization",
    "LayerNormalization",
]

# Arguments every layer takes besides its own (Keras 3's Layer accepts these as **kwargs).
_LAYER_KWARGS = frozenset({"input_shape", "input_dim", "batch_input_shape", "batch_size"})

# `training` of the enclosing layer calls: a Dropout inside `model(x, training=True)` sees it.
_training: list[bool | None] = []

# The batch size of the symbolic inputs being traced (a functional model's layer calls, a
# Sequential's build): layers built meanwhile record it, not the batch of one they run on, as
# their build shape (Keras's `build_config`).
_symbolic_batch: list[int | None] = []

# The layers being called, outermost first. A call with none open is Keras's "call context"
# entry: it clears the losses its layers added in earlier calls (Layer._clear_losses).
_calls: list[Layer] = []

# The layers holding losses from `add_loss`: while there are none, a call need not clear its
# sublayers' nor `losses` collect them (a model without such losses pays nothing for them).
_holding_losses: weakref.WeakSet[Layer] = weakref.WeakSet()


class KerasTensor:
    """A symbolic tensor: a shape (the batch size left open) and dtype. `tf.keras.Input` makes
    one; a layer called on KerasTensors returns KerasTensors and records the call as a `Node`,
    from which `tf.keras.Model(inputs, outputs)` builds a functional model."""

    def __init__(
        self,
        shape: tuple[int | None, ...],
        dtype: str,
        name: str | None = None,
        history: tuple[Node, int] | None = None,
    ) -> None:
        self.shape = shape
        self.dtype = dtype
        self.name = name or auto_name("keras_tensor")
        self._history = history  # the node that made it and its index among the outputs
        # the symbolic mask (a boolean KerasTensor) the layer that made it attached, as Keras's
        self._keras_mask: KerasTensor | None = None

    def __repr__(self) -> str:
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, "
            f"ragged=False, name={self.name}>"
        )


def _not_a_tensor(value: KerasTensor) -> Tensor:
    # Keras's message: a tf op cannot run on a placeholder
    raise ValueError(
        "A KerasTensor cannot be used as input to a TensorFlow function. A KerasTensor is a "
        "symbolic placeholder for a shape and dtype, used when constructing Keras Functional "
        "models or Keras Functions. You can only use it as input to a Keras layer or a Keras "
        "operation (from the namespaces `keras.layers` and `keras.ops`)."
    )


_CONVERTERS[KerasTensor] = _not_a_tensor


class Node:
    """One call of a layer on KerasTensors: its arguments (with the KerasTensors in place)
    and its outputs."""

    def __init__(self, layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.layer, self.args, self.kwargs = layer, args, kwargs
        self.inputs = [x for x in _leaves([args, kwargs]) if isinstance(x, KerasTensor)]
        self.outputs: list[KerasTensor] = []
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)

    def run(self, values: dict[int, Any], graph_masks: dict[int, Any] | None = None) -> Any:
        """Calls the layer with each KerasTensor argument replaced by `values[id(it)]`.

        With `graph_masks` (the masks the model's graph gives its KerasTensors, by id), the
        call sees masks as in a Keras 3 functional model, and the outputs' graph masks are
        added. Keras records a layer's symbolic `mask` in the graph when the layer takes one
        and was called on a single tensor (of its dtype, without keywords); such a layer is
        given that mask, even where the tensor lost it at run time (MultiHeadAttention takes
        its inputs' masks off). Other calls read the masks the tensors carry."""
        args, kwargs = _map(lambda k: values[id(k)], (self.args, self.kwargs))
        if "training" in kwargs and _training and _training[-1] is not None:
            # a `training` recorded in the graph yields to the model's, as in Keras
            kwargs["training"] = _training[-1]
        if graph_masks is None:
            return self.layer(*args, **kwargs)
        layer, spec = self.layer, _call_spec(type(self.layer))
        only = self.args[0] if len(self.args) == 1 and not self.kwargs else None
        if "mask" in spec.names and isinstance(only, KerasTensor) and only.dtype == layer.dtype:
            recorded = graph_masks.get(id(only))
            if recorded is not None:
                kwargs = {"mask": recorded}
        outputs = layer(*args, **kwargs)
        # the outputs' graph masks: what the layer makes of its inputs' graph masks
        masks = None
        names = spec.names | spec.variadic
        bound = spec.bind(self.args, {k: v for k, v in self.kwargs.items() if k in names})
        given = self.kwargs.get("mask")
        if given is not None:
            previous = _map(lambda k: values[id(k)], given)
        else:
            tensors = [
                v for k, v in bound.items() if k not in spec.variadic and _is_symbolic_argument(v)
            ]
            source = tensors[0] if "mask" in spec.names and len(tensors) == 1 else None
            previous = _graph_mask_of(
                next(iter(bound.values())) if source is None else source, graph_masks
            )
        if layer.supports_masking and (
            spec.computes_mask or any(m is not None for m in _leaves(previous))
        ):
            first = args[0] if args else next(iter(kwargs.values()))
            masks = layer.compute_mask(first, previous)
        flat = list(_leaves(masks))
        for i, k in enumerate(self.outputs):
            graph_masks[id(k)] = flat[i] if i < len(flat) else None
        return outputs


def _graph_mask_of(value: Any, graph_masks: dict[int, Any]) -> Any:
    """The graph masks of `value`'s KerasTensors, in its structure (None elsewhere)."""
    if isinstance(value, KerasTensor):
        return graph_masks.get(id(value))
    if isinstance(value, dict):
        return {k: _graph_mask_of(v, graph_masks) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_graph_mask_of(v, graph_masks) for v in value)
    return None


def _is_symbolic_argument(value: Any) -> bool:
    """Keras's tensor argument, in a recorded call: a KerasTensor or a structure of them."""
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple, dict)) and len(value) > 0:
        return all(v is None or isinstance(v, KerasTensor) for v in _leaves(value))
    return False


def _map(fn: Any, value: Any) -> Any:
    """`value` with `fn` applied to its KerasTensors, through lists, tuples and dicts."""
    if isinstance(value, KerasTensor):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, v) for v in value)
    return value


class InputSpec:
    """What a built layer accepts: `ndim`, `min_ndim`, and fixed sizes of some `axes`."""

    def __init__(
        self,
        ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
    ) -> None:
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}

    def check(self, layer_name: str, shape: tuple[int | None, ...]) -> None:
        start = f"Input 0 with name 'None' of layer '{layer_name}' is incompatible with the layer: "
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(
                f"{start}expected ndim={self.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(
                f"{start}expected min_ndim={self.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {shape}"
            )
        for axis, size in self.axes.items():
            if shape[axis] != size:
                raise ValueError(
                    f"{start}expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {shape}"
                )


def _to_input(x: Any, dtype: str) -> Any:
    """Keras's input conversion: arrays become tensors and floats take the layer's dtype (a
    converted tensor keeps its Keras mask)."""
    if isinstance(x, (list, tuple)) and not isinstance(x, Tensor):
        return type(x)(_to_input(v, dtype) for v in x)
    if isinstance(x, (Tensor, np.ndarray)) or type(x) in variable_types:
        t = convert_to_tensor(x)
        if t.dtype.is_floating and t.dtype.name != dtype:
            cast = _math.cast(t, dtype)
            set_keras_mask(cast, get_keras_mask(x))
            return cast
        return t
    return x


# -- Keras masks ------------------------------------------------------------------------------
#
# Keras 3 keeps a tensor's mask in its `_keras_mask` attribute. tapeflow's Tensor has slots, so
# the masks live here, keyed by the tensor's id and dropped when the tensor is collected; the
# `_keras_mask` property below reads and writes this table.

_masks: dict[int, tuple[Any, Any]] = {}


def get_keras_mask(x: Any) -> Any:
    """The Keras mask attached to `x` (a boolean tensor), or None."""
    entry = _masks.get(id(x))
    return entry[1] if entry is not None and entry[0]() is x else None


def set_keras_mask(x: Any, mask: Any) -> None:
    """Attaches `mask` to the tensor `x` (None removes it), as Keras's `set_keras_mask`."""
    key = id(x)
    if mask is None:
        _masks.pop(key, None)
        return
    if not isinstance(x, Tensor):
        return

    def forget(ref: Any, key: int = key) -> None:
        entry = _masks.get(key)
        if entry is not None and entry[0] is ref:
            del _masks[key]

    _masks[key] = (weakref.ref(x, forget), mask)


def _keras_mask(self: Tensor) -> Any:
    mask = get_keras_mask(self)
    if mask is None:  # as a TF tensor without one
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '_keras_mask'")
    return mask


# `tensor._keras_mask`, which Keras's masking guide prints
Tensor._keras_mask = property(_keras_mask, set_keras_mask)  # type: ignore[attr-defined]


def _mask_of(value: Any) -> Any:
    """The masks of `value`'s tensors, in its structure (None where a tensor has none)."""
    if isinstance(value, dict):
        return {k: _mask_of(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_of(v) for v in value)
    return get_keras_mask(value)


def _is_tensor_argument(value: Any) -> bool:
    """Keras's test for a call argument that is a tensor or a structure of tensors."""
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple, dict)) and len(value) > 0:
        leaves = list(_leaves(value))
        return all(v is None or isinstance(v, Tensor) for v in leaves)
    return False


class _CallSpec:
    """What `Layer.__call__` needs of a layer class's `call`, `build` and `compute_mask`."""

    def __init__(self, cls: type) -> None:
        sig = inspect.signature(cls.call)  # type: ignore[attr-defined]
        params = list(sig.parameters.values())[1:]  # without self
        self.signature = sig.replace(parameters=params)
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        self.variadic = {p.name for p in params if p.kind in variadic}
        self.names = {p.name for p in params} - self.variadic
        build = list(inspect.signature(cls.build).parameters)[1:]  # type: ignore[attr-defined]
        # a build taking several shapes (MultiHeadAttention's query_shape, value_shape, ...)
        self.build_shapes = build if len(build) > 1 else None
        self.computes_mask = cls.compute_mask is not Layer.compute_mask  # type: ignore[attr-defined]

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments by name, as `call` would receive them (TypeError if they do not fit)."""
        return dict(self.signature.bind(*args, **kwargs).arguments)


_call_specs: dict[type, _CallSpec] = {}


def _call_spec(cls: type) -> _CallSpec:
    spec = _call_specs.get(cls)
    if spec is None:
        spec = _call_specs[cls] = _CallSpec(cls)
    return spec


_accepts_cache: dict[tuple[type, str], bool] = {}


def _accepts(cls: type, argument: str) -> bool:
    key = (cls, argument)
    if key not in _accepts_cache:
        params = inspect.signature(cls.call).parameters  # type: ignore[attr-defined]
        _accepts_cache[key] = argument in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values()
        )
    return _accepts_cache[key]


class Layer(Module):
    """The base of every layer: subclass it, make weights in `build`, compute in `call`.

    >>> import tapeflow as tf
    >>> class Scale(tf.keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale(name="scale")
    >>> print(layer(tf.constant([[1.0, 2.0]])))
    tf.Tensor([[1. 2.]], shape=(1, 2), dtype=float32)
    >>> [v.path for v in layer.trainable_variables]
    ['scale/w']
    """

    _TF_MODULE_IGNORED_PROPERTIES = Module._TF_MODULE_IGNORED_PROPERTIES | {
        "_own_trainable",
        "_own_non_trainable",
        "_inbound_nodes",
        "_auto_config",
        "_build_input_shape",
        "_compile_arguments",  # a model's (its optimizer is tracked as `optimizer`)
        "_losses",
    }
    # Keras: a layer supports masking when it defines `compute_mask` or says so
    _supports_masking: bool | None = None

    # Whether Keras's `call` of this layer takes a `mask` that tapeflow's does not: a
    # functional config records `mask: None` with each call of it on one tensor, as Keras
    # does (a `call` of tapeflow's with a `mask` parameter says so itself)
    _keras_call_mask = False
    # Whether Keras's `call` of this layer defaults `training` to False (Dropout, the
    # recurrent layers): a functional config records `training: False` with each call of it
    # on one tensor, as Keras does
    _keras_call_training = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = super().__new__(cls)
        if cls.get_config is Layer.get_config:
            # as Keras: a subclass without get_config is configured by the arguments it was
            # made with, when they are plain values
            instance.__dict__["_auto_config"] = _auto_config(cls, args, kwargs)
        return instance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _recording_build(cls.__dict__["build"])  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        super().__init__(name=name or auto_name(type(self).__name__))
        self._own_trainable: list[Variable] = []
        self._own_non_trainable: list[Variable] = []
        self._trainable = bool(trainable)
        self.built = False
        self.dtype = "float32" if dtype is None else standardize_dtype(dtype)
        self.input_spec: InputSpec | None = None
        self._inbound_nodes: list[Node] = []
        self._losses: list[Tensor] = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        shape: Any = kwargs.get("input_shape") or (
            (kwargs["input_dim"],) if kwargs.get("input_dim") else None
        )
        self._input_shape_arg = None
        if shape is not None or kwargs.get("batch_input_shape") is not None:
            warnings.warn(
                "Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
                "Sequential models, prefer using an `Input(shape)` object as the first layer "
                "in the model instead.",
                UserWarning,
                stacklevel=2,
            )
            self._input_shape_arg = kwargs.get("batch_input_shape") or (
                (kwargs.get("batch_size"), *shape)
            )

    # -- weights ----------------------------------------------------------------------------

    def __setattr__(self, key: str, value: Any) -> None:
        if isinstance(value, Variable) and "_own_trainable" in vars(self):
            self._track(value)
        super().__setattr__(key, value)

    def _track(self, variable: Variable) -> None:
        if any(v is variable for v in self._own_trainable + self._own_non_trainable):
            return
        (self._own_trainable if variable.trainable else self._own_non_trainable).append(variable)

    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
        regularizer: Any = None,
    ) -> Variable:
        """A new weight of this layer, its path under the layer's name; a `regularizer`'s
        penalty on it is in `layer.losses` while it is trainable."""
        dtype = self.dtype if dtype is None else standardize_dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if "float" in dtype else "zeros"
        with name_scope(self.name, caller=self):
            variable = Variable(
                initializers.get(initializer),
                shape=() if shape is None else tuple(shape),
                dtype=dtype,
                trainable=trainable,
                name=name,
            )
        variable.regularizer = regularizers.get(regularizer)
        self._track(variable)
        return variable

    @property
    def layers(self) -> list[Layer]:
        """The layers this one holds directly, in the order they were assigned."""
        return list(self._sublayers())

    def _sublayers(self) -> Iterator[Layer]:
        seen: set[int] = set()
        for value in vars(self).values():
            for leaf in _leaves(value):
                if isinstance(leaf, Layer) and leaf is not self and id(leaf) not in seen:
                    seen.add(id(leaf))
                    yield leaf

    def _collect(self, attribute: str) -> list[Variable]:
        found: list[Variable] = []
        seen: set[int] = set()
        for layer in [self, *self._sublayers()]:
            own = (
                layer._own_trainable + layer._own_non_trainable
                if layer is self
                else getattr(layer, attribute)
            )
            for v in own:
                if id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    @property
    def weights(self) -> list[Variable]:
        return self._collect("weights")

    @property
    def variables(self) -> list[Variable]:  # type: ignore[override]
        return self._collect("variables")

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if v.trainable] if self._trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if not v.trainable] if self._trainable else self.weights

    @property
    def trainable_variables(self) -> list[Variable]:  # type: ignore[override]
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:  # type: ignore[override]
        return self.non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        # as Keras: freezing a layer freezes its weights and its sublayers
        self._trainable = bool(value)
        for v in self._own_trainable:
            v.trainable = self._trainable
        for layer in self._sublayers():
            layer.trainable = self._trainable

    def get_weights(self) -> list[np.ndarray]:
        return [np.asarray(v.numpy()) for v in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list "
                f"of length {len(weights)}, but the layer was expecting {len(own)} weights."
            )
        for v, w in zip(own, weights):
            v.assign(np.asarray(w, dtype=v.dtype._np))

    # -- configuration and saving -------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The arguments that make this layer again, under Keras 3's names: a layer adds its
        own to `super().get_config()`. A subclass that does not define it is configured by the
        arguments it was made with, when they are plain values (as in Keras).

        >>> import tapeflow as tf
        >>> tf.keras.layers.Dropout(0.5, name="drop").get_config()["rate"]
        0.5
        """
        config: dict[str, Any] = {"name": self.name}
        if type(self).get_config is Layer.get_config:
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise NotImplementedError(_NO_AUTO_CONFIG.format(name=type(self).__name__))
            config.update(auto)
        config["trainable"] = self.trainable
        config["dtype"] = serialize_dtype(self.dtype)
        # Keras names the activity regularizer only when there is one (after the dtype); an
        # auto-config's default None is not kept
        config.pop("activity_regularizer", None)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """The layer `get_config` describes (new weights: `set_weights` or a saved model fills
        them)."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):  # a DTypePolicy
            config["dtype"] = config["dtype"]["config"]["name"]
        try:
            return cls(**supported_arguments(cls, config))
        except TypeError as e:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                f"Exception encountered: {e}"
            ) from e

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the layer was built with (Keras's `build_config`), if built; the
        shapes by name for a build that takes several (`shapes_dict`)."""
        shape = self.__dict__.get("_build_input_shape")
        if not self.built or shape is None:
            return None
        return {"shapes_dict": shape} if isinstance(shape, dict) else {"input_shape": shape}

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Builds the layer (makes its weights) for `config["input_shape"]` (or the shapes of
        `config["shapes_dict"]`). A layer whose weights are made by its sublayers' calls (no
        `build` of its own: a subclassed model, Bidirectional) is called once on zeros of that
        shape."""
        if "shapes_dict" in config:
            if not (self.built and self.weights):
                shapes = {k: _as_shape(v) for k, v in config["shapes_dict"].items()}
                with name_scope(self.name, caller=self):
                    self.build(**shapes)
                self.built = True
            return
        shape = _as_shape(config.get("input_shape"))
        if shape is None or (self.built and self.weights):
            return
        if _original(type(self).build) is _original(Layer.build):
            self.__dict__["_pending_build_shape"] = shape
            _symbolic_batch.append((shape[0] if isinstance(shape, list) else shape)[0])
            try:
                self(_zeros(shape, self.dtype))
            finally:
                _symbolic_batch.pop()
            self._clear_losses()  # the zeros' activity losses are not a call's
            return
        with name_scope(self.name, caller=self):
            self.build(shape)
        self.built = True

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Puts the layer's own variables (not its sublayers') in `store` as "0", "1", ..."""
        for i, v in enumerate(self._own_trainable + self._own_non_trainable):
            store[str(i)] = np.asarray(v.numpy())

    def load_own_variables(self, store: dict[str, Any]) -> None:
        """Assigns the values `save_own_variables` stored to the layer's own variables."""
        own = self._own_trainable + self._own_non_trainable
        if len(store) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expected {len(own)} variables, but received "
                f"{len(store)} variables during loading. Expected: {[v.name for v in own]}"
            )
        for i, v in enumerate(own):
            value = np.asarray(store[str(i)])
            if value.shape != tuple(v.shape.as_list()):
                raise ValueError(
                    "The shape of the target variable and the shape of the target value in "
                    "`variable.assign(value)` must match. "
                    f"variable.shape={tuple(v.shape.as_list())}, Received: "
                    f"value.shape={value.shape}. Target variable: {v!r}"
                )
            v.assign(value.astype(v.dtype._np, copy=False), read_value=False)

    # -- losses -----------------------------------------------------------------------------

    def add_loss(self, loss: Any) -> None:
        """Adds a loss (a tensor, or a list of them) to `self.losses`; call it from `call`.
        Each new outermost call clears the losses added before, as in Keras 3.

        >>> import tapeflow as tf
        >>> class Penalised(tf.keras.layers.Layer):
        ...     def call(self, x):
        ...         self.add_loss(0.5 * tf.reduce_sum(x))
        ...         return x
        >>> layer = Penalised()
        >>> _ = layer(tf.ones([2, 2]))
        >>> layer.losses
        [<tf.Tensor: shape=(), dtype=float32, numpy=2.0>]
        """
        losses = list(_leaves(loss))
        for x in losses:
            if not (isinstance(x, Tensor) or type(x) in variable_types):
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    f"tensor input. Received invalid value: {x}"
                )
        self._losses.extend(losses)
        if losses:
            _holding_losses.add(self)

    @property
    def losses(self) -> list[Tensor]:
        """The losses added by this layer and its sublayers in the last call (`add_loss`,
        activity regularizers), then the penalties of the trainable weights' regularizers,
        computed now from their values."""
        losses = list(self._losses)
        if _holding_losses:
            for layer in self._flatten_layers():
                losses.extend(layer._losses)
        if keras_variables.regularized[0]:
            for v in self.trainable_weights:
                if getattr(v, "regularizer", None) is not None:
                    losses.append(v.regularizer(v))
        return losses

    def _flatten_layers(self) -> list[Layer]:
        """Every sublayer, at any depth, once, in Keras's order (its _flatten_layers)."""
        layers: list[Layer] = []
        seen: set[int] = set()
        queue = collections.deque(self._sublayers())
        while queue:
            layer = queue.popleft()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            queue.extendleft(layer._sublayers())
        return layers

    def _clear_losses(self) -> None:
        if not _holding_losses:
            return
        self._losses.clear()
        _holding_losses.discard(self)
        for layer in self._sublayers():
            layer._clear_losses()

    # -- calling ----------------------------------------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Makes the layer's weights for inputs of `input_shape`; the default makes none."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs, given the inputs and their mask; by default the mask of
        the first input, passed through (Keras 3)."""
        return mask

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes masks on (through `compute_mask`); if not, a masked input
        warns that the mask is lost, as in Keras."""
        value = self._supports_masking
        return _call_spec(type(self)).computes_mask if value is None else value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self._supports_masking = bool(value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            raise ValueError(f"Layer '{self.name}' was called without an input.")
        if any(isinstance(x, KerasTensor) for x in _leaves([args, kwargs])):
            return self._symbolic_call(args, kwargs)
        args = tuple(_to_input(a, self.dtype) for a in args)
        training = kwargs.pop("training", None)
        if kwargs:
            kwargs = {k: _to_input(v, self.dtype) for k, v in kwargs.items()}
        if training is None and _training:
            training = _training[-1]
        if _accepts(type(self), "training") and training is not None:
            kwargs["training"] = training
        spec = _call_spec(type(self))
        masked = bool(_masks) or kwargs.get("mask") is not None
        bound: dict[str, Any] = {}
        if masked or not args or (spec.build_shapes and not self.built):
            bound = spec.bind(args, kwargs)
        first = args[0] if args else next(iter(bound.values()))
        previous_mask = self._populate_masks(spec, bound, kwargs, first) if masked else None
        shape = tuple(first.shape.as_list()) if isinstance(first, Tensor) else None
        entry = not _calls
        _calls.append(self)
        try:
            with name_scope(self.name, caller=self):
                self._check_input(shape)
                if not self.built:
                    if spec.build_shapes:
                        shapes = {f"{k}_shape": _shapes(v) for k, v in bound.items()}
                        self.build(**{k: shapes[k] for k in spec.build_shapes if k in shapes})
                    else:
                        self.build(shape if shape is not None else _shapes(first))
                    self.built = True
                    self._check_input(shape)  # build may have fixed sizes (Dense: the last axis)
                if entry:
                    self._clear_losses()
                _training.append(training)
                try:
                    outputs = self.call(*args, **kwargs)
                finally:
                    _training.pop()
            if self.activity_regularizer is not None:
                self._add_activity_losses(outputs)
            if not (masked or spec.computes_mask):  # no mask in or out: the common case
                return outputs
            if self.supports_masking:
                self._set_mask_metadata(first, outputs, previous_mask)
            elif any(m is not None for m in _leaves(previous_mask)):
                warnings.warn(
                    f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input "
                    "with a mask attached to it. However, this layer does not support masking "
                    "and will therefore destroy the mask information. Downstream layers will "
                    "not see the mask.",
                    UserWarning,
                    stacklevel=2,
                )
            return outputs
        finally:
            _calls.pop()

    def _add_activity_losses(self, outputs: Any) -> None:
        # Keras 3: the penalty of each output, divided by its batch size so that the weighting
        # against the weights' penalties does not change with the batch size
        for output in _leaves(outputs):
            if isinstance(output, Tensor):
                loss = convert_to_tensor(self.activity_regularizer(output))
                if output.shape.rank:
                    batch = _math.cast(output.shape[0], loss.dtype)
                    loss = _math.divide_no_nan(loss, batch)
                self.add_loss(loss)

    def _populate_masks(
        self, spec: _CallSpec, bound: dict[str, Any], kwargs: dict[str, Any], first: Any
    ) -> Any:
        """Keras's mask arguments: with one tensor argument, its masks become `mask`; with
        several, each one's masks become `<name>_mask` where `call` takes that. Returns the
        mask passed on to `compute_mask` (`mask`, else the first argument's)."""

        def unset(name: str) -> bool:
            return bound.get(name) is None and (name not in bound or name in kwargs)

        tensors = {
            k: v for k, v in bound.items() if k not in spec.variadic and _is_tensor_argument(v)
        }
        if len(tensors) == 1:
            if "mask" in spec.names and unset("mask"):
                kwargs["mask"] = _mask_of(next(iter(tensors.values())))
        else:
            for name, value in tensors.items():
                if f"{name}_mask" in spec.names and unset(f"{name}_mask"):
                    kwargs[f"{name}_mask"] = _mask_of(value)
        given = kwargs.get("mask")
        return given if given is not None else _mask_of(first)

    def _set_mask_metadata(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Attaches `compute_mask`'s masks to the outputs that have none yet."""
        flat = list(_leaves(outputs))
        if all(get_keras_mask(t) is not None for t in flat):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, mask in zip(flat, _leaves(masks)):
            if mask is not None and get_keras_mask(t) is None:
                set_keras_mask(t, mask)

    def _symbolic_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Keras traces the layer on the KerasTensors; running it once on a batch of one zero
        # input builds it the same way and gives the output shapes and dtypes. A dimension
        # left open besides the batch (a sequence's length) has one size in that run and
        # another in a second one, which tells the output dimensions that follow it: they
        # stay open, as in Keras
        keras_tensors = [k for k in _leaves([args, kwargs]) if isinstance(k, KerasTensor)]
        batch = keras_tensors[0].shape[0]

        def run(size: int) -> tuple[Any, list[tuple[list[Any], Any]]]:
            def zeros(k: KerasTensor) -> Tensor:
                z = constant(_stand_in_values(_stand_in(k.shape, size), k.dtype))
                if k._keras_mask is not None:  # a masked input: an all-True mask of its shape
                    set_keras_mask(z, constant(np.ones(_stand_in(k._keras_mask.shape, size), bool)))
                return z

            # (a layer that takes its inputs' masks off when it runs, MultiHeadAttention,
            # leaves them on the KerasTensors: Keras traces it with compute_output_spec)
            outputs = self(*_map(zeros, args), **_map(zeros, kwargs))
            shapes = []
            for t in _leaves(outputs):
                mask = get_keras_mask(t)
                shapes.append((t.shape.as_list(), None if mask is None else mask.shape.as_list()))
            return outputs, shapes

        if not self.built:  # Keras's build_config: the symbolic shapes
            spec = _call_spec(type(self))
            if spec.build_shapes:
                bound = spec.bind(args, kwargs)
                given = {f"{k}_shape": _shapes(v) for k, v in bound.items()}
                pending = {k: given[k] for k in spec.build_shapes if k in given}
            else:
                pending = _shapes(args[0] if args else next(iter(kwargs.values())))
            self.__dict__["_pending_build_shape"] = pending
        _symbolic_batch.append(batch)
        try:
            outputs, shapes = run(_OPEN_SIZES[0])
            if any(d is None for k in keras_tensors for d in k.shape[1:]):
                try:
                    _, again = run(_OPEN_SIZES[1])
                except Exception:  # a model that only runs at one length: keep the first shapes
                    again = shapes
                if len(again) == len(shapes):
                    shapes = [
                        (_open_dims(a, c), _open_dims(b, d))
                        for (a, b), (c, d) in zip(shapes, again)
                    ]
        finally:
            _symbolic_batch.pop()
        self._clear_losses()  # the stand-in runs' losses are not a call's (Keras: symbolic)
        node = Node(self, args, kwargs)
        described = iter(shapes)

        def symbolic(t: Any) -> Any:
            if isinstance(t, dict):
                return {k: symbolic(v) for k, v in t.items()}
            if isinstance(t, (list, tuple)):
                return type(t)(symbolic(v) for v in t)
            shape, mask_shape = next(described)
            k = KerasTensor((batch, *shape[1:]), t.dtype.name)
            if mask_shape is not None:
                k._keras_mask = KerasTensor((batch, *mask_shape[1:]), "bool", "mask")
            k._history = (node, len(node.outputs))
            node.outputs.append(k)
            return k

        return symbolic(outputs)

    def _check_input(self, shape: tuple[int | None, ...] | None) -> None:
        if shape is not None and self.input_spec is not None:
            self.input_spec.check(self.name, shape)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputLayer(Layer):
    """The layer `tf.keras.Input` makes: its one node has no inputs and outputs the model's
    input KerasTensor."""

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        name: str | None = None,
        batch_shape: Any = None,
    ) -> None:
        super().__init__(name=name or auto_name("input_layer"), dtype=dtype)
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument.")
        if batch_shape is not None:
            batch_size, shape = batch_shape[0], batch_shape[1:]
        dims = tuple(None if d is None else int(d) for d in shape)
        self.built = True
        node = Node(self, (), {})
        self.output = KerasTensor((batch_size, *dims), self.dtype, name, (node, 0))
        node.outputs.append(self.output)

    @property
    def batch_shape(self) -> tuple[int | None, ...]:
        return self.output.shape

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": False,
        }


# The sizes of open dimensions (besides the batch) in the runs that stand in for Keras's
# symbolic tracing: long enough for the usual valid convolutions and strided poolings, and
# different after them
_OPEN_SIZES = (32, 64)


def _stand_in_values(shape: list[int], dtype: Any) -> np.ndarray:
    """A stand-in input of `shape`: zeros, or empty strings for a string input."""
    if str(dtype) in ("string", "str", "object"):
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, dtype)


def _stand_in(shape: tuple[int | None, ...], size: int) -> list[int]:
    """A concrete shape for a symbolic one: batch 1, other open dimensions `size`."""
    return [(1 if i == 0 else size) if d is None else d for i, d in enumerate(shape)]


def _open_dims(first: Any, second: Any) -> Any:
    """A shape seen in two stand-in runs, with the dimensions that changed left open."""
    if first is None or second is None or len(first) != len(second):
        return first
    return [None if a != b else a for a, b in zip(first, second)]


def _shapes(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_shapes(v) for v in x]
    return tuple(x.shape) if hasattr(x, "shape") else None


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


_NO_AUTO_CONFIG = textwrap.dedent(
    """
    Object {name} was created by passing non-serializable argument values in `__init__()`,
    and therefore the object must override `get_config()` in order to be serializable.
    Please implement `get_config()`.

    Example:

    class CustomLayer(keras.layers.Layer):
        def __init__(self, arg1, arg2, **kwargs):
            super().__init__(**kwargs)
            self.arg1 = arg1
            self.arg2 = arg2

        def get_config(self):
            config = super().get_config()
            config.update({{
                "arg1": self.arg1,
                "arg2": self.arg2,
            }})
            return config"""
)

_PLAIN = (str, int, float, bool, type(None))


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return isinstance(value, _PLAIN)


def _auto_config(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The constructor's arguments by name, defaults included (not `name`), if all are plain
    values, else None (Keras's auto-config)."""
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    params = list(signature.parameters.values())
    arguments.pop(params[0].name)
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            arguments.update(arguments.pop(p.name, {}))
        elif p.kind is p.VAR_POSITIONAL and arguments.pop(p.name, ()):
            return None
        elif p.kind is p.POSITIONAL_ONLY and p is not params[0]:
            return None
    arguments.pop("name", None)
    return arguments if _is_plain(arguments) else None


def _recording_build(build: Callable[..., Any]) -> Callable[..., Any]:
    """`build` that first records the input shape (Keras's build_config): the symbolic shape
    a caller left pending, or the shape given with the traced batch size. A build taking
    several shapes (MultiHeadAttention's `query_shape`, `value_shape`, ...) records them by
    name, as Keras's `shapes_dict`."""

    @functools.wraps(build)
    def wrapper(self: Layer, *args: Any, **kwargs: Any) -> Any:
        state = self.__dict__
        pending = state.pop("_pending_build_shape", None)
        if state.get("_build_input_shape") is None:
            given = dict(zip(list(inspect.signature(build).parameters)[1:], args), **kwargs)
            if len(given) > 1:
                shape: Any = {k: _shapes_of(v) for k, v in given.items()}
            else:
                shape = _shapes_of(next(iter(given.values()), None))
            if pending is not None:
                shape = pending
            elif _symbolic_batch and shape:
                shape = _with_batch(shape, _symbolic_batch[-1])
            state["_build_input_shape"] = shape
        return build(self, *args, **kwargs)

    wrapper.__dict__["_original"] = build
    return wrapper


def _original(method: Any) -> Any:
    return getattr(method, "_original", method)


def _shapes_of(shape: Any) -> Any:
    """A shape (or a list of shapes) as tuples."""
    if shape is None:
        return None
    if isinstance(shape, (list, tuple)) and any(isinstance(d, (list, tuple)) for d in shape):
        return [_shapes_of(s) for s in shape]
    return tuple(None if d is None else int(d) for d in shape)


def _with_batch(shape: Any, batch: int | None) -> Any:
    if isinstance(shape, dict):
        return {k: _with_batch(s, batch) for k, s in shape.items()}
    if isinstance(shape, list):
        return [_with_batch(s, batch) for s in shape]
    return (batch, *shape[1:]) if shape else shape


def _as_shape(shape: Any) -> Any:
    """A shape read from JSON (lists) as a tuple, or a list of shapes as a list of tuples."""
    return _shapes_of(shape)


def _zeros(shape: Any, dtype: str) -> Any:
    """Zeros of `shape` (or of each shape of a list), unknown dimensions taken as 1."""
    if isinstance(shape, list):
        return [_zeros(s, dtype) for s in shape]
    return constant(np.zeros([1 if d is None else d for d in shape], dtype))


class Masking(Layer):
    """Masks the steps (axis 1) whose features all equal `mask_value`: their outputs are 0
    and the mask it attaches skips them in the layers after it (LSTM, pooling, attention).

    >>> import tapeflow as tf
    >>> x = tf.constant([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
    >>> print(tf.keras.layers.Masking()(x)._keras_mask)
    tf.Tensor([[ True False  True]], shape=(1, 3), dtype=bool)
    """

    _supports_masking = True

    def __init__(self, mask_value: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.built = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return _reduce.reduce_any(_logic.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = _reduce.reduce_any(_logic.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = _math.where(keep, inputs, 0.0)
        set_keras_mask(outputs, reshape(keep, keep.shape.as_list()[:-1]))
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}


class Dense(Layer):
    """`activation(inputs @ kernel + bias)` over the last axis of the inputs.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
    >>> print(layer(tf.constant([[1.0, 2.0, 3.0]])))
    tf.Tensor([[7. 7.]], shape=(1, 2), dtype=float32)
    >>> layer.kernel.shape, layer.bias.shape
    (TensorShape([3, 2]), TensorShape([2]))
    """

    _supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        self._kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    @property
    def kernel(self) -> Variable:
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._kernel

    def call(self, inputs: Any) -> Any:
        x = matmul(inputs, self._kernel)
        if self.bias is not None:
            x = add(x, self.bias)
        return self.activation(x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            **keras_defaults("kernel_constraint", "bias_constraint", "quantization_config"),
        }


class Flatten(Layer):
    """Reshapes `(batch, d1, d2, ...)` to `(batch, d1 * d2 * ...)`."""

    def call(self, inputs: Any) -> Any:
        shape = inputs.shape.as_list()
        return reshape(inputs, [shape[0], math.prod(shape[1:])])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **keras_defaults("data_format")}


class Dropout(Layer):
    """When called with `training=True`, zeros each input with probability `rate` and scales
    the rest by `1 / (1 - rate)`; otherwise the identity."""

    _supports_masking = True
    _keras_call_training = True

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between "
                f"0 and 1. Received: rate={rate}"
            )
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed
        self.built = True

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if training and self.rate > 0:
            return _nn.dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels: with `training=True`, each (example, channel) is
    zeroed at every step at once, with probability `rate`."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if training and self.rate > 0:
            batch, _, channels = inputs.shape.as_list()
            return _nn.dropout(inputs, self.rate, noise_shape=[batch, 1, channels], seed=self.seed)
        return inputs

    def get_config(self) -> dict[str, Any]:
        # Keras's spatial dropouts write these four, the dtype as its name
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class Lambda(Layer):
    """Wraps a function of the inputs as a layer: `Lambda(lambda x: x * 2)`. The function
    gets `mask=` and `training=` when it takes them, and `arguments` as keywords; `mask` (a
    mask, or a function of the inputs and their mask) gives the outputs' mask.

    >>> import tapeflow as tf
    >>> print(tf.keras.layers.Lambda(lambda x: x * 2)(tf.constant([1.0, 2.0])))
    tf.Tensor([2. 4.], shape=(2,), dtype=float32)
    """

    def __init__(
        self,
        function: Any,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError("unsupported callable")
        self.function, self.arguments = function, dict(arguments or {})
        self.mask, self._output_shape = mask, output_shape
        self.supports_masking = mask is not None
        names = inspect.getfullargspec(function).args
        self._takes_training, self._takes_mask = "training" in names, "mask" in names

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self) -> dict[str, Any]:
        """Keras's: the function (and a callable `output_shape` or `mask`) serialized by name,
        so it must be registered (`register_keras_serializable`) or given as a custom object
        to load. A Python `lambda`, whose bytecode Keras stores, raises ValueError."""
        config: dict[str, Any] = {"function": serialize_keras_object(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (
                serialize_keras_object(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = serialize_keras_object(self.mask)
        config["arguments"] = serialize_keras_object(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        for key in ("function", "mask", "output_shape", "arguments"):
            value = config.get(key)
            if isinstance(value, dict):
                config[key] = deserialize_keras_object(value)
        return super().from_config(config)


class ReLU(Layer):
    """`min(max(x, 0), max_value)`, with slope `negative_slope` below 0."""

    _supports_masking = True

    def __init__(
        self, max_value: float | None = None, negative_slope: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.max_value, self.negative_slope = max_value, negative_slope
        self.built = True

    def call(self, inputs: Any) -> Any:
        if self.negative_slope:
            x = _nn.leaky_relu(inputs, alpha=self.negative_slope)
        else:
            x = _nn.relu(inputs)
        if self.max_value is not None:
            x = _math.minimum(x, self.max_value)
        return x

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            **keras_defaults("threshold"),
        }


class Activation(Layer):
    """Applies an activation, given by name (`"relu"`) or as a function."""

    _supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Softmax(Layer):
    """softmax over `axis` (the last by default, or a list of axes); a `mask` gives masked
    entries probability 0."""

    _supports_masking = True

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        x = convert_to_tensor(inputs)
        if mask is not None:  # Keras 3: -1e9 where the mask is False, and 0 there after
            mask = convert_to_tensor(mask)
            shapes = f"inputs.shape={tuple(x.shape)}, mask.shape={tuple(mask.shape)}"
            if mask.ndim > x.ndim:
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs` and must not have more "
                    f"dimensions. Received: {shapes}"
                )
            if any(m not in (1, i) for m, i in zip(mask.shape[::-1], x.shape[::-1])):
                raise ValueError(
                    "The `mask` must be broadcastable to `inputs`. Each mask dimension must "
                    f"be 1 or match the corresponding input dimension. Received: {shapes}"
                )
            if mask.dtype.name != "bool":
                mask = _logic.greater(mask, 0.5)
            x = _math.where(mask, x, -3e4 if x.dtype.name == "float16" else -1e9)
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        if len(axes) > 1:  # Keras: exp(x - logsumexp(x))
            y = exp(_math.subtract(x, _reduce.reduce_logsumexp(x, axes, keepdims=True)))
        else:
            y = _nn.softmax(x, axis=axes[0])
        if mask is not None:
            y = _math.where(mask, y, 0.0)
        return y

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def _add_gamma_beta(layer: Any, shape: tuple[int, ...]) -> None:
    """A normalization layer's `gamma` (if `scale`) and `beta` (if `center`) of `shape`."""
    if layer.scale:
        layer.gamma = layer.add_weight(
            shape=shape,
            name="gamma",
            initializer=layer.gamma_initializer,
            regularizer=layer.gamma_regularizer,
        )
    if layer.center:
        layer.beta = layer.add_weight(
            shape=shape,
            name="beta",
            initializer=layer.beta_initializer,
            regularizer=layer.beta_regularizer,
        )


class BatchNormalization(Layer):
    """Normalises over the batch (and every axis but `axis`) when called with `training=True`,
    updating `moving_mean`/`moving_variance` with `momentum`; uses those otherwise (Keras 3).

    >>> import tapeflow as tf
    >>> bn = tf.keras.layers.BatchNormalization()
    >>> y = bn(tf.constant([[1.0], [3.0]]), training=True)
    >>> print(y)
    tf.Tensor(
    [[-0.9995004]
     [ 0.9995005]], shape=(2, 1), dtype=float32)
    >>> round(float(bn.moving_mean[0]), 4)
    0.02
    """

    _keras_call_mask = True
    _supports_masking = True

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._axis_argument = axis  # `axis` becomes non-negative at build; the config keeps it
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma: Variable | None = None
        self.beta: Variable | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}. "
                f"Received: axis={self.axis}"
            )
        self.axis %= ndim
        shape = (input_shape[self.axis],)
        _add_gamma_beta(self, shape)
        self.moving_mean = self.add_weight(
            shape=shape,
            name="moving_mean",
            initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
        )
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: input_shape[self.axis]})
        self._reduction_axes = [a for a in builtins.range(ndim) if a != self.axis]
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = convert_to_tensor(inputs)
        mean: Any
        variance: Any
        if training and self.trainable:
            mean, variance = _nn.moments(x, self._reduction_axes)
            m, mul = self.momentum, _math.multiply
            self.moving_mean.assign(add(mul(self.moving_mean, m), mul(mean, 1.0 - m)))
            self.moving_variance.assign(add(mul(self.moving_variance, m), mul(variance, 1.0 - m)))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean, variance, beta, gamma = self._along_axis(x, mean, variance, self.beta, self.gamma)
        return _nn.batch_normalization(x, mean, variance, beta, gamma, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self._axis_argument,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            **keras_defaults(
                "beta_constraint",
                "gamma_constraint",
                "synchronized",
                "renorm",
                "renorm_clipping",
                "renorm_momentum",
            ),
        }

    def _along_axis(self, x: Any, *stats: Any) -> list[Any]:
        """The per-channel statistics shaped to broadcast against x along `axis`."""
        if self.axis == x.ndim - 1:
            return list(stats)
        shape = [1] * x.ndim
        shape[self.axis] = -1
        return [None if s is None else reshape(s, shape) for s in stats]


class LayerNormalization(Layer):
    """Normalises each example over `axis` (the last by default), then scales by `gamma` and
    shifts by `beta` (Keras 3's arithmetic: `x * inv + (beta - mean * inv)`)."""

    _supports_masking = True

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, (int, list, tuple)):
            raise TypeError(
                "Expected an int or a list/tuple of ints for the argument 'axis', but received: "
                f"{axis}"
            )
        self.axis: Any = list(axis) if isinstance(axis, (list, tuple)) else axis
        self._axis_argument = self.axis  # made non-negative at build; the config keeps it
        self.epsilon, self.center, self.scale = float(epsilon), center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma: Variable | None = None
        self.beta: Variable | None = None

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self.axis = sorted(a % ndim for a in axes)
        shape = tuple(input_shape[a] for a in self.axis)
        _add_gamma_beta(self, shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = convert_to_tensor(inputs)
        mean, variance = _nn.moments(x, self.axis, keepdims=True)
        inv = _math.rsqrt(add(variance, self.epsilon))
        if self.gamma is not None:
            inv = _math.multiply(inv, self._broadcast(x, self.gamma))
        res = _math.negative(_math.multiply(mean, inv))
        if self.beta is not None:
            res = add(res, self._broadcast(x, self.beta))
        return add(_math.multiply(x, inv), res)

    def get_config(self) -> dict[str, Any]:
        axis = self._axis_argument
        return {
            **super().get_config(),
            # Keras makes an int axis a list when the layer builds
            "axis": [axis] if self.built and isinstance(axis, int) else axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **keras_defaults("rms_scaling"),
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            **keras_defaults("beta_constraint", "gamma_constraint"),
        }

    def _broadcast(self, x: Any, v: Any) -> Any:
        if self.axis == [x.ndim - 1]:
            return v
        shape = [1] * x.ndim
        for a in self.axis:
            shape[a] = x.shape[a]
        return reshape(v, shape)


Layer.build = _recording_build(Layer.build)  # type: ignore[method-assign]
