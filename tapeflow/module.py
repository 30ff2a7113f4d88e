"""tf.Module: a named container that finds the variables and modules its attributes hold.

As TF does, the search walks the module's attributes in sorted-name order, through lists,
tuples and dicts (dicts in sorted-key order); a module's own variables come first, then those
of its submodules, depth first; each object appears once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from tapeflow.context import name_scope
from tapeflow.op import variable_types

__all__ = ["Module"]

# Checkpoint restorations waiting for an object to gain an attribute that the checkpoint has a
# value for (tapeflow/checkpoint.py registers them): id(object) -> callbacks taking the object.
deferred_restorations: dict[int, list[Callable[[Any], None]]] = {}


def restore_deferred(obj: Any) -> None:
    """Runs the restorations waiting on `obj` (after it gained attributes or variables)."""
    for callback in list(deferred_restorations.get(id(obj), ())):
        callback(obj)


_CAMEL = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def _snake_case(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _is_variable(x: Any) -> bool:
    return type(x) in variable_types


class Module:
    """Base class for models and layers: `variables`, `trainable_variables`, `submodules`.

    >>> import tapeflow as tf
    >>> class Dense(tf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = tf.Variable(tf.ones([2, 1]), name="w")
    ...         self.b = tf.Variable(tf.zeros([1]), name="b")
    >>> d = Dense()
    >>> d.name, [v.name for v in d.trainable_variables]
    ('dense', ['b:0', 'w:0'])
    """

    # Attributes that are the module's machinery, not its state.
    _TF_MODULE_IGNORED_PROPERTIES = frozenset({"_name", "_name_scope"})

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = _snake_case(type(self).__name__)
        elif not name.isidentifier():
            raise ValueError(
                f"'{name}' is not a valid module name. Module names must be valid Python "
                "identifiers (e.g. a valid class name)."
            )
        self._name = name
        with name_scope(name) as scope:  # the full scope name, under any enclosing scope
            self._name_scope = name_scope(scope)

    def __setattr__(self, key: str, value: Any) -> None:
        object.__setattr__(self, key, value)
        if deferred_restorations and id(self) in deferred_restorations:
            restore_deferred(self)  # TF's deferred restoration: a variable made after restore

    @property
    def name(self) -> str:
        return self._name

    @property
    def name_scope(self) -> name_scope:
        return self._name_scope

    @property
    def variables(self) -> tuple[Any, ...]:
        """Every variable of this module and its submodules."""
        return tuple(self._flatten(_is_variable))

    @property
    def trainable_variables(self) -> tuple[Any, ...]:
        return tuple(self._flatten(lambda x: _is_variable(x) and x.trainable))

    @property
    def non_trainable_variables(self) -> tuple[Any, ...]:
        return tuple(self._flatten(lambda x: _is_variable(x) and not x.trainable))

    @property
    def submodules(self) -> tuple[Module, ...]:
        """Every module held by this one, at any depth."""
        return tuple(self._flatten(lambda x: isinstance(x, Module)))

    def _flatten(self, predicate: Callable[[Any], bool]) -> Iterator[Any]:
        seen: set[int] = set()
        modules: list[Module] = [self]
        while modules:  # a module's own leaves, then its submodules', depth first
            module = modules.pop(0)
            found: list[Module] = []
            state = vars(module)
            for key in sorted(state):
                if key in module._TF_MODULE_IGNORED_PROPERTIES:
                    continue
                for leaf in _leaves(state[key]):
                    if id(leaf) in seen:
                        continue
                    if predicate(leaf):
                        seen.add(id(leaf))
                        yield leaf
                    if isinstance(leaf, Module):
                        seen.add(id(leaf))
                        found.append(leaf)
            modules[:0] = found

    @classmethod
    def with_name_scope(cls, method: Callable[..., Any]) -> Callable[..., Any]:
        """Decorates a method to run inside the module's name scope."""

        def wrapped(self: Module, *args: Any, **kwargs: Any) -> Any:
            with self.name_scope:
                return method(self, *args, **kwargs)

        wrapped.__name__ = method.__name__
        wrapped.__doc__ = method.__doc__
        return wrapped

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} object at {id(self):#x}>"


def _leaves(value: Any) -> Iterator[Any]:
    """Variables, modules and other leaves inside lists, tuples and dicts (not in modules)."""
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _leaves(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
