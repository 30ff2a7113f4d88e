"""Execution context: `tf.executing_eagerly`, `tf.device`, `tf.name_scope` and the devices of
`tf.config`. tapeflow runs on the one CPU (eagerly, or tracing a tf.function), so devices are
descriptions only and `tf.device` changes nothing (TF too places ops on the CPU when asked
for a missing GPU).
"""

from __future__ import annotations

import collections
import threading
from typing import Any

__all__ = [
    "executing_eagerly",
    "PhysicalDevice",
    "LogicalDevice",
    "list_physical_devices",
    "list_logical_devices",
    "device",
    "name_scope",
]

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])


def executing_eagerly() -> bool:
    """True, except while a tf.function is being traced (as in TF).

    >>> import tapeflow as tf
    >>> tf.executing_eagerly()
    True
    """
    from tapeflow import graph

    return graph.current() is None


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The machine's devices of `device_type` ("CPU", "GPU", ...; all if None): one CPU.

    >>> import tapeflow as tf
    >>> tf.config.list_physical_devices("GPU")
    []
    """
    cpu = PhysicalDevice(name="/physical_device:CPU:0", device_type="CPU")
    return [cpu] if device_type in (None, "CPU") else []


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The devices ops can be placed on: one CPU.

    >>> import tapeflow as tf
    >>> tf.config.list_logical_devices()
    [LogicalDevice(name='/device:CPU:0', device_type='CPU')]
    """
    cpu = LogicalDevice(name="/device:CPU:0", device_type="CPU")
    return [cpu] if device_type in (None, "CPU") else []


class device:
    """`with tf.device("/GPU:0"):` places ops on a device; in tapeflow, all run on the CPU.

    >>> import tapeflow as tf
    >>> with tf.device("/CPU:0"):
    ...     x = tf.constant(1.0)
    >>> x.device
    '/job:localhost/replica:0/task:0/device:CPU:0'
    """

    def __init__(self, device_name: Any) -> None:
        if callable(device_name):
            raise RuntimeError(
                "tf.device does not support functions when eager execution is enabled."
            )
        if device_name is not None and not isinstance(device_name, str):
            raise TypeError(f"tf.device expects a device name string, got {device_name!r}")
        self.device_name = device_name

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


class _ScopeStack(threading.local):
    def __init__(self) -> None:
        self.scopes: list[str] = []  # full scope names, innermost last


_scopes = _ScopeStack()


class name_scope:
    """A context manager that prefixes `name` to the names of ops created inside; entering it
    gives the full scope name ("outer/inner/"). A name ending in "/" is taken as a full scope
    name; an empty one returns to the top level.

    >>> import tapeflow as tf
    >>> with tf.name_scope("outer"):
    ...     with tf.name_scope("inner") as scope:
    ...         print(scope)
    outer/inner/
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise ValueError(f"name_scope expects a string name, got {name!r}")
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        stack = _scopes.scopes
        if not self._name or self._name.endswith("/"):
            scope = self._name
        else:
            scope = (stack[-1] if stack else "") + self._name + "/"
        stack.append(scope)
        return scope

    def __exit__(self, *exc: Any) -> None:
        _scopes.scopes.pop()
