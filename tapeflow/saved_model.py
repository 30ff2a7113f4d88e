"""tf.saved_model: save and load the variables of a tf.Module (or Keras layer), not its code.

A TF SavedModel holds the traced graphs of an object's `tf.function`s, so that it runs
without the Python code that made it. tapeflow traces nothing (its `tf.function` runs the
Python function), and storing Python code would mean pickling it; so `save` writes what is
honest to restore: the variables, as a tapeflow checkpoint in TF's place for them
(`variables/variables.index` and `.data-00000-of-00001`, which `tf.train.Checkpoint.restore`
also reads), and `saved_model.json`, the object's attribute tree (modules, lists, dicts,
variables with their names and `trainable` flags, and the names of its tf.functions).

`load` rebuilds that tree: the variables restored, reachable as attributes as in TF
(`loaded.w`, `loaded.sub.v`, `loaded.layers[0]`) and through `.variables` and
`.trainable_variables`; calling a saved function raises NotImplementedError naming the
difference. To run the code, make the object from its class and restore the variables:
`tf.train.Checkpoint(obj).restore(path + "/variables/variables")`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tapeflow import checkpoint as _checkpoint
from tapeflow.function import Function
from tapeflow.variables import Variable

__all__ = ["save", "load", "contains_saved_model"]

_MANIFEST = "saved_model.json"
_FORMAT = "tapeflow-saved-model"


def _functions(obj: Any) -> list[str]:
    """The names of the tf.functions of `obj`'s class (TF saves their traces)."""
    return sorted(
        name
        for cls in type(obj).__mro__
        for name, value in vars(cls).items()
        if isinstance(value, Function)
    )


def save(obj: Any, export_dir: str, signatures: Any = None, options: Any = None) -> None:
    """Saves the variables of `obj` and its attribute tree to the directory `export_dir`.

    >>> import tempfile, tapeflow as tf
    >>> module = tf.Module()
    >>> module.w = tf.Variable([1.0, 2.0], name="w")
    >>> path = tempfile.mkdtemp()
    >>> tf.saved_model.save(module, path)
    >>> tf.saved_model.load(path).w.numpy().tolist()
    [1.0, 2.0]
    """
    if not _checkpoint._is_object(obj):
        raise ValueError(
            "Expected an object of type `Trackable`, such as `tf.Module` or a subclass of the "
            f"`Trackable` class, for export. Got {obj} with type {type(obj)}."
        )
    export_dir = os.fspath(export_dir)
    os.makedirs(os.path.join(export_dir, "assets"), exist_ok=True)
    _checkpoint._write(obj, os.path.join(export_dir, "variables", "variables"))
    objects, _, children = _checkpoint._walk(obj)
    nodes = []
    for node_obj, edges in zip(objects, children):
        if _checkpoint._is_variable(node_obj):
            kind: dict[str, Any] = {"kind": "variable", "trainable": bool(node_obj.trainable)}
        elif isinstance(node_obj, dict):
            kind = {"kind": "dict"}
        elif isinstance(node_obj, (list, tuple)):
            kind = {"kind": "list"}
        else:
            kind = {"kind": "object", "functions": _functions(node_obj)}
        nodes.append({**kind, "children": edges})
    with open(os.path.join(export_dir, _MANIFEST), "w") as f:
        json.dump({"format": _FORMAT, "nodes": nodes}, f)


def contains_saved_model(export_dir: str) -> bool:
    """Whether `export_dir` holds a SavedModel that tapeflow wrote."""
    return os.path.isfile(os.path.join(os.fspath(export_dir), _MANIFEST))


class _RestoredFunction:
    """A tf.function of the saved object: its code was not saved, so it cannot run."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"tapeflow cannot run the restored function `{self.name}`: TF's SavedModel stores "
            "traced graphs, and tapeflow traces nothing and stores no Python code. Make the "
            "object from its class and restore its variables with "
            "`tf.train.Checkpoint(obj).restore(export_dir + '/variables/variables')`."
        )

    def __repr__(self) -> str:
        return f"<tapeflow RestoredFunction {self.name} (not callable: no code was saved)>"


class _UserObject:
    """A loaded object: its saved attributes (variables, sub-objects, functions)."""

    @property
    def variables(self) -> tuple[Any, ...]:
        """Every variable of this object and the objects it holds, each once."""
        return tuple(_variables(self, set()))

    @property
    def trainable_variables(self) -> tuple[Any, ...]:
        return tuple(v for v in self.variables if v.trainable)


def _variables(value: Any, seen: set[int]) -> Any:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Variable):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _variables(item, seen)
    elif isinstance(value, list):
        for item in value:
            yield from _variables(item, seen)
    elif isinstance(value, _UserObject):
        for item in vars(value).values():
            yield from _variables(item, seen)


def load(export_dir: str, tags: Any = None, options: Any = None) -> Any:
    """The object tree `save` wrote, its variables restored; its functions cannot run."""
    export_dir = os.fspath(export_dir)
    if not contains_saved_model(export_dir):
        raise OSError(
            f"SavedModel file does not exist at: {export_dir}/{{saved_model.pbtxt|saved_model.pb}}"
            " (tapeflow reads the SavedModels it wrote: saved_model.json)"
        )
    with open(os.path.join(export_dir, _MANIFEST)) as f:
        nodes = json.load(f)["nodes"]
    reader = _checkpoint._Reader(os.path.join(export_dir, "variables", "variables"))
    made: dict[int, Any] = {}

    def make(n: int) -> Any:
        if n in made:
            return made[n]
        node = nodes[n]
        if node["kind"] == "variable":
            made[n] = Variable(
                reader.value(n),
                trainable=node["trainable"],
                name=reader.nodes[n]["full_name"].rsplit("/", 1)[-1],
            )
            return made[n]
        if node["kind"] == "list":
            items: list[Any] = []
            made[n] = items
            items.extend(make(child) for _, child in node["children"])
            return items
        if node["kind"] == "dict":
            mapping: dict[str, Any] = {}
            made[n] = mapping
            mapping.update({name: make(child) for name, child in node["children"]})
            return mapping
        made[n] = obj = _UserObject()
        for name, child in node["children"]:
            setattr(obj, name, make(child))
        for name in node.get("functions", ()):
            setattr(obj, name, _RestoredFunction(name))
        return obj

    return make(0)
