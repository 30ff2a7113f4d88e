"""Keras 3's object serialization, the part of `.keras` files that is JSON.

`serialize_keras_object` turns a layer, model, initializer, optimizer, loss, metric or
function into the dict Keras writes in `config.json`: `{"module", "class_name", "config",
"registered_name"}`, with `"build_config"` (the input shape a layer was built with) and a
model's `"compile_config"`; `deserialize_keras_object` makes the object again, from tapeflow's
own classes, `custom_objects`, a `custom_object_scope` or the classes registered with
`register_keras_serializable` (looked up in that order, as Keras does).

Each class says what it is made of in one method, `get_config()` (the arguments of its
constructor under Keras's names), and is remade by `from_config(config)`, `cls(**config)` by
default. Keras's configs also name arguments tapeflow does not implement (constraints,
`data_format`, ...): `from_config` drops them when they hold Keras's default and raises
NotImplementedError otherwise (`supported_arguments`), so configs that Keras wrote load when
they use nothing tapeflow lacks. Regularizers are implemented (tapeflow/keras/regularizers.py):
a config holds them serialized, and the layer made from it has them again.
"""

from __future__ import annotations

import contextlib
import inspect
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.tensor import Tensor

__all__ = [
    "register_keras_serializable",
    "get_registered_name",
    "get_registered_object",
    "get_custom_objects",
    "custom_object_scope",
    "CustomObjectScope",
    "serialize_keras_object",
    "deserialize_keras_object",
]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_scopes: list[dict[str, Any]] = []  # the open custom_object_scopes' objects, innermost last

# Arguments in Keras 3.15's configs that tapeflow's classes do not take, with Keras's default:
# `from_config` drops one holding its default and refuses any other value.
UNSUPPORTED_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(
        [
            "kernel_constraint",
            "bias_constraint",
            "recurrent_constraint",
            "beta_constraint",
            "gamma_constraint",
            "embeddings_constraint",
            "quantization_config",
            "renorm_clipping",
            "ignore_class",  # SparseCategoricalCrossentropy
            "input_axes",  # initializers (VarianceScaling's and its presets take them)
            "output_axes",
            "weight_decay",  # optimizers
            "clipnorm",
            "global_clipnorm",
            "clipvalue",
            "ema_overwrite_frequency",
            "loss_scale_factor",
            "gradient_accumulation_steps",
            "seed",  # for a class of tapeflow's that takes none (the seeded ones take it)
            "lora_rank",
            "lora_alpha",
            "sliding_window",  # MultiHeadAttention
        ]
    ),
    **dict.fromkeys(
        [
            "synchronized",
            "renorm",
            "rms_scaling",
            "stateful",
            "unroll",
            "sparse",
            "ragged",
            "optional",
            "use_ema",
            "use_gate",  # MultiHeadAttention
        ],
        False,
    ),
    "data_format": "channels_last",
    "groups": 1,
    "threshold": 0.0,
    "renorm_momentum": 0.99,
    "ema_momentum": 0.99,
    "autocast": True,
}


def keras_defaults(*names: str) -> dict[str, Any]:
    """Keras's config entries for arguments tapeflow does not take, at their defaults (so a
    config has Keras's keys)."""
    return {name: UNSUPPORTED_DEFAULTS[name] for name in names}


# -- registration ---------------------------------------------------------------------------


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Registers a class or function under `"package>name"` (name: its own by default), so
    that `load_model` finds it without `custom_objects`.

    >>> import tapeflow as tf
    >>> @tf.keras.saving.register_keras_serializable(package="Docs")
    ... class Twice(tf.keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> tf.keras.saving.get_registered_name(Twice)
    'Docs>Twice'
    """

    def decorator(arg: Any) -> Any:
        registered_name = f"{package}>{name if name is not None else arg.__name__}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """The name `obj` is registered under, or its own name."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, module_objects: Any = None
) -> Any:
    """The class or function registered (or given) under `name`, or None."""
    for scope in reversed(_scopes):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The global dict of registered objects (adding to it registers an object)."""
    return _GLOBAL_CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*args: dict[str, Any] | None) -> Iterator[None]:
    """Within it, deserialization also finds the objects of the given dicts."""
    objects: dict[str, Any] = {}
    for arg in args:
        objects.update(arg or {})
    _scopes.append(objects)
    try:
        yield
    finally:
        _scopes.pop()


CustomObjectScope = custom_object_scope


# -- serialization --------------------------------------------------------------------------


def serialize_dtype(dtype: Any) -> dict[str, Any]:
    """A layer's dtype as Keras 3 writes it: its DTypePolicy."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": str(dtypes.as_dtype(dtype).name)},
        "registered_name": None,
    }


def _public_modules() -> dict[str, Any]:
    """Keras's module names for tapeflow's namespaces of serializable objects."""
    from tapeflow import keras
    from tapeflow.keras import models

    return {
        "keras.layers": keras.layers,
        "keras.initializers": keras.initializers,
        "keras.regularizers": keras.regularizers,
        "keras.optimizers": keras.optimizers,
        "keras.losses": keras.losses,
        "keras.metrics": keras.metrics,
        "keras": {"Sequential": models.Sequential, "Model": models.Model},
        "keras.models": {"Sequential": models.Sequential, "Model": models.Model},
        "keras.src.models.functional": {"Functional": models.Functional},
    }


def _members(namespace: Any) -> dict[str, Any]:
    return namespace if isinstance(namespace, dict) else vars(namespace)


def _public_module(cls: type) -> str | None:
    """The Keras module a tapeflow class is public in ("keras.layers"), or None."""
    if not cls.__module__.startswith("tapeflow."):
        return None
    for module, namespace in _public_modules().items():
        if _members(namespace).get(cls.__name__) is cls:
            return module
    return None


def serialize_keras_object(obj: Any) -> Any:
    """The JSON-ready form of `obj` that Keras 3 writes (`deserialize_keras_object` undoes it).

    >>> import tapeflow as tf
    >>> tf.keras.saving.serialize_keras_object(tf.keras.initializers.Constant(0.5))
    {'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 0.5}, \
'registered_name': None}
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (np.ndarray, Tensor)):
        arr = np.asarray(obj)
        return {
            "class_name": "__numpy__" if isinstance(obj, np.ndarray) else "__tensor__",
            "config": {"value": arr.tolist(), "dtype": arr.dtype.name},
        }
    if isinstance(obj, dtypes.DType):
        return obj.name
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        raise ValueError(
            "tapeflow cannot serialize a `lambda` (Keras stores its bytecode, which only "
            "`safe_mode=False` loads): give the function a name and register it with "
            "`@tf.keras.saving.register_keras_serializable()`."
        )
    if callable(obj) and not hasattr(obj, "get_config"):
        # a function: Keras 3.15 writes the class of functions (builtins.function) and the
        # function's registered name, or its own (`deserialize_keras_object` looks it up)
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _GLOBAL_CUSTOM_NAMES.get(obj, obj.__name__),
            "registered_name": "function",
        }
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj} of type {type(obj)}. To be serializable, a class "
            "must implement the `get_config()` method."
        )
    cls = type(obj)
    inner = obj.get_config()
    if not isinstance(inner, dict):
        raise TypeError(
            f"The `get_config()` method of {obj} should return a dict. It returned: {inner}"
        )
    module = _public_module(cls)
    config: dict[str, Any] = {
        "module": module or (None if cls.__module__ == "__main__" else cls.__module__),
        "class_name": cls.__name__,
        "config": serialize_keras_object(inner),
        "registered_name": None if module else get_registered_name(cls),
    }
    if module == "keras.src.models.functional":
        config["registered_name"] = "Functional"  # as Keras writes it
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            config["build_config"] = serialize_keras_object(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = serialize_keras_object(compile_config)
    return config


# -- deserialization ------------------------------------------------------------------------


def _not_found(kind: str, name: str, config: Any) -> TypeError:
    return TypeError(
        f"Could not locate {kind} '{name}'. Make sure custom classes and functions are "
        "decorated with `@keras.saving.register_keras_serializable()`. If they are already "
        "decorated, make sure they are all imported so that the decorator is run before trying "
        f"to load them. Full object config: {config}"
    )


def _find_class(config: dict[str, Any], custom_objects: dict[str, Any] | None) -> Any:
    class_name = config["class_name"]
    for name in (config.get("registered_name"), class_name):
        if name:
            found = get_registered_object(name, custom_objects)
            if found is not None:
                return found
    modules = _public_modules()
    module = config.get("module")
    namespaces = [modules[module]] if module in modules else list(modules.values())
    for namespace in namespaces:
        found = _members(namespace).get(class_name)
        if inspect.isclass(found):
            return found
    raise _not_found("class", class_name, config)


def deserialize_keras_object(
    config: Any, custom_objects: dict[str, Any] | None = None, module_objects: Any = None
) -> Any:
    """The object `serialize_keras_object` wrote `config` for; names (strings) are looked up
    in `module_objects` (the caller's namespace: activations, losses, ...)."""
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        return config if found is None else found
    if isinstance(config, (list, tuple)):
        items = [deserialize_keras_object(x, custom_objects) for x in config]
        return tuple(items) if isinstance(config, tuple) else items
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")
    if "class_name" not in config or "config" not in config:
        return {
            key: deserialize_keras_object(value, custom_objects)
            for key, value in config.items()
            if key != "shared_object_id"  # Keras's marker of shared objects
        }
    class_name, inner = config["class_name"], config["config"]
    if class_name in ("__numpy__", "__tensor__"):
        value = np.asarray(inner["value"], dtype=inner["dtype"])
        return value if class_name == "__numpy__" else _tensor(value)
    if class_name == "__lambda__":
        raise ValueError(
            "Requested the deserialization of a `lambda` object. tapeflow does not load Python "
            "bytecode: give the function a name and register it with "
            "`@tf.keras.saving.register_keras_serializable()`."
        )
    if class_name == "DTypePolicy":
        return inner["name"]
    if class_name == "function":
        found = get_registered_object(inner, custom_objects, module_objects)
        if found is None:
            raise _not_found("function", inner, config)
        return found
    cls = _find_class(config, custom_objects)
    with custom_object_scope(custom_objects):
        inner = {k: v for k, v in inner.items() if k != "shared_object_id"}
        obj = cls.from_config(inner)
        build_config = config.get("build_config")
        if build_config and hasattr(obj, "build_from_config"):
            obj.build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(obj, "compile_from_config"):
            obj.compile_from_config(compile_config)
    return obj


def _tensor(value: np.ndarray) -> Tensor:
    from tapeflow.tensor import constant

    return constant(value)


def supported_arguments(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """`config` without the arguments tapeflow's `cls` lacks that hold Keras's default;
    NotImplementedError for one that holds another value."""
    params = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    kept = {}
    for key, value in config.items():
        if key in UNSUPPORTED_DEFAULTS and key not in params:
            if value != UNSUPPORTED_DEFAULTS[key]:
                raise NotImplementedError(
                    f"tapeflow's {cls.__name__} does not support `{key}` (received "
                    f"{key}={value!r}; only {UNSUPPORTED_DEFAULTS[key]!r} loads)."
                )
            continue
        kept[key] = value
    return kept
