"""tf.train: Checkpoint, CheckpointManager, latest_checkpoint, list_variables, load_variable.

As in TF, a checkpoint is an object graph: the root (the Checkpoint) and every variable,
tf.Module, Keras layer or optimizer reachable from it through attributes, lists and dicts, each
edge named by its attribute name, list index or dict key. Values are matched by these names
from the root, so a checkpoint restores into a freshly built object of the same structure, and
an object reached by two paths is saved once (under the first path, breadth first).

The files have TF's names (`prefix.index`, `prefix.data-00000-of-00001`, the `checkpoint` state
file, which is TF's text) but not TF's TensorBundle format: the index is JSON (the object
graph) and the data an `.npz` archive. tapeflow cannot read TF's checkpoints, nor TF tapeflow's.
"""

from __future__ import annotations

import glob
import json
import os
import time
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import errors
from tapeflow.module import Module, deferred_restorations
from tapeflow.op import variable_types
from tapeflow.variables import Variable

__all__ = [
    "Checkpoint",
    "CheckpointManager",
    "latest_checkpoint",
    "list_variables",
    "load_variable",
]

_FORMAT = "tapeflow-checkpoint"
_DATA_SUFFIX = ".data-00000-of-00001"
_STATE_FILE = "checkpoint"
_ATTRIBUTE = ".ATTRIBUTES/VARIABLE_VALUE"


# -- the object graph ----------------------------------------------------------------------


def _is_variable(x: Any) -> bool:
    return type(x) in variable_types


def _is_object(x: Any) -> bool:
    """An object whose attributes are dependencies (Keras optimizers mark themselves)."""
    return isinstance(x, (Module, Checkpoint)) or getattr(type(x), "_TF_TRACKABLE", False)


def _holds_trackables(x: Any) -> bool:
    if _is_variable(x) or _is_object(x):
        return True
    if isinstance(x, dict):
        return any(_holds_trackables(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_holds_trackables(v) for v in x)
    return False


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """The named dependencies of `obj`, in the order TF tracks them (attribute assignment)."""
    if isinstance(obj, Checkpoint):
        yield from obj._dependencies()
        return
    if isinstance(obj, dict):
        items: Any = ((str(k), v) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(obj))
    elif _is_object(obj):
        ignored = getattr(obj, "_TF_MODULE_IGNORED_PROPERTIES", ())
        items = ((k, v) for k, v in vars(obj).items() if k not in ignored)
    else:
        return
    for name, value in items:
        if _holds_trackables(value):
            yield name, value


def _escape(name: str) -> str:
    # TF's escaping, so that "/" separates path components only
    return name.replace(".", "..").replace("/", ".S")


def _walk(root: Any) -> tuple[list[Any], list[tuple[str, ...]], list[list[tuple[str, int]]]]:
    """Breadth first from `root`: the objects, each one's first path, each one's children."""
    objects: list[Any] = [root]
    paths: list[tuple[str, ...]] = [()]
    children: list[list[tuple[str, int]]] = []
    index = {id(root): 0}
    i = 0
    while i < len(objects):
        edges = []
        for name, child in _children(objects[i]):
            if id(child) not in index:
                index[id(child)] = len(objects)
                objects.append(child)
                paths.append((*paths[i], name))
            edges.append((name, index[id(child)]))
        children.append(edges)
        i += 1
    return objects, paths, children


def _full_name(v: Any) -> str:
    path = getattr(v, "path", None)  # a Keras variable's path; a tf.Variable's name
    return str(path) if path is not None else v.name.rsplit(":", 1)[0]


def _write(root: Any, file_prefix: str) -> None:
    objects, paths, children = _walk(root)
    nodes: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for i, (obj, path, edges) in enumerate(zip(objects, paths, children)):
        node: dict[str, Any] = {"children": edges}
        if _is_variable(obj):
            node["full_name"] = _full_name(obj)
            node["key"] = "/".join(_escape(n) for n in path) + "/" + _ATTRIBUTE
            arrays[str(i)] = np.asarray(obj._value)
        nodes.append(node)
    directory = os.path.dirname(file_prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(file_prefix + _DATA_SUFFIX, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]
    with open(file_prefix + ".index", "w") as f:
        json.dump({"format": _FORMAT, "nodes": nodes}, f)


class _Reader:
    """A checkpoint on disk: its object graph and its values."""

    def __init__(self, save_path: str) -> None:
        index = save_path + ".index"
        if not os.path.exists(index):
            raise errors.NotFoundError(
                None,
                None,
                "Unsuccessful TensorSliceReader constructor: Failed to find any matching files "
                f"for {save_path}",
            )
        try:
            with open(index) as f:
                graph = json.load(f)
            if graph.get("format") != _FORMAT:
                raise ValueError
        except (ValueError, UnicodeDecodeError, AttributeError):
            raise errors.DataLossError(
                None,
                None,
                f"Unable to open table file {index}: this is not a tapeflow checkpoint (tapeflow "
                "cannot read TensorFlow's checkpoint format).",
            ) from None
        self.nodes: list[dict[str, Any]] = graph["nodes"]
        with np.load(save_path + _DATA_SUFFIX) as data:  # read now: no file left open
            self.arrays = {key: data[key] for key in data.files}
        # each node's first path, breadth first: its name in error messages
        self.paths: list[tuple[str, ...] | None] = [None] * len(self.nodes)
        self.paths[0] = ()
        queue = [0]
        while queue:
            n = queue.pop(0)
            for name, child in self.nodes[n]["children"]:
                if self.paths[child] is None:
                    self.paths[child] = (*self.paths[n], name)  # type: ignore[misc]
                    queue.append(child)

    def value(self, node_id: int) -> np.ndarray:
        return self.arrays[str(node_id)]

    def pretty_name(self, node_id: int) -> str:
        return ".".join(("(root)", *(self.paths[node_id] or ())))

    def node_text(self, node_id: int) -> str:
        """The node as TF prints its protocol buffer in status errors."""
        node = self.nodes[node_id]
        lines = [
            f'children {{\n  node_id: {c}\n  local_name: "{n}"\n}}' for n, c in node["children"]
        ]
        if "key" in node:
            lines.append(
                f'attributes {{\n  name: "VARIABLE_VALUE"\n  full_name: "{node["full_name"]}"\n'
                f'  checkpoint_key: "{node["key"]}"\n}}\n'
                "has_checkpoint_values {\n  value: true\n}"
            )
        return "\n".join(lines) + "\n"


_TF_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _dtype_name(dtype: np.dtype) -> str:
    return _TF_DTYPE_NAMES.get(dtype.name, dtype.name)


class _Restoration:
    """Binds the nodes of a checkpoint to objects, restoring variables as they are bound.

    Nodes whose objects do not exist yet (a layer's weights before it is built, an optimizer's
    slots before its first step) wait on the nearest existing object that can gain them, and
    are restored when it does: TF's deferred restoration.
    """

    def __init__(self, reader: _Reader, root: Any) -> None:
        self.reader = reader
        self.root = root
        self.bound: dict[int, Any] = {}
        self.waiting: dict[int, tuple[Any, int]] = {}  # id(owner) -> (weakref, node id)
        self.bind(root, 0)

    def bind(self, obj: Any, node_id: int) -> None:
        seen: set[int] = set()
        queue = [(obj, node_id, obj, node_id)]
        while queue:
            obj, n, owner, owner_node = queue.pop(0)
            prior = self.bound.get(n)
            if n in seen or (prior is not None and prior is not obj):
                continue
            seen.add(n)
            node = self.reader.nodes[n]
            if prior is None:
                if "key" in node:
                    if not _is_variable(obj):
                        continue
                    self.restore_variable(obj, n)
                self.bound[n] = obj
            if _is_object(obj):
                owner, owner_node = obj, n
            current = dict(_children(obj))
            for name, child in node["children"]:
                if name in current:
                    queue.append((current[name], child, owner, owner_node))
                elif child not in self.bound:
                    self.wait(owner, owner_node)

    def restore_variable(self, v: Any, n: int) -> None:
        value = self.reader.value(n)
        if value.shape != np.shape(v._value):
            raise ValueError(
                f"Received incompatible tensor with shape {value.shape} when attempting to "
                f"restore variable with shape {np.shape(v._value)} and name {v.name}."
            )
        if value.dtype != np.asarray(v._value).dtype:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"tensor_name = {self.reader.nodes[n]['key']}; expected dtype "
                f"{_dtype_name(np.asarray(v._value).dtype)} does not equal original dtype "
                f"{_dtype_name(value.dtype)} [Op:RestoreV2]",
            )
        v.assign(value, read_value=False)

    def wait(self, owner: Any, owner_node: int) -> None:
        key = id(owner)
        if key in self.waiting:
            return
        self.waiting[key] = (weakref.ref(owner), owner_node)
        deferred_restorations.setdefault(key, []).append(self.resume)

    def resume(self, owner: Any) -> None:
        ref, node_id = self.waiting.get(id(owner), (None, 0))
        if ref is None or ref() is not owner:
            return
        self.stop_waiting(owner)
        self.bind(owner, node_id)  # waits again if some children are still missing

    def stop_waiting(self, owner: Any) -> None:
        del self.waiting[id(owner)]
        callbacks = deferred_restorations[id(owner)]
        callbacks.remove(self.resume)
        if not callbacks:
            del deferred_restorations[id(owner)]

    def cancel(self) -> None:
        for ref, _ in list(self.waiting.values()):
            owner = ref()
            if owner is not None:
                self.stop_waiting(owner)
        self.waiting.clear()


class CheckpointLoadStatus:
    """What `Checkpoint.restore` returns: checks of how the checkpoint matched the objects."""

    def __init__(self, restoration: _Restoration) -> None:
        self._restoration = restoration

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Raises AssertionError unless every value in the checkpoint was restored and every
        variable was restored from it."""
        self.assert_existing_objects_matched()
        r = self._restoration
        for n, node in enumerate(r.reader.nodes):
            if "key" in node and n not in r.bound:
                raise AssertionError(
                    f"Unresolved object in checkpoint {r.reader.pretty_name(n)}: "
                    f"{r.reader.node_text(n)}"
                )
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Raises AssertionError if a variable that exists now was not in the checkpoint."""
        r = self._restoration
        bound = {id(o) for o in r.bound.values()}
        objects = _walk(r.root)[0]
        unused = [o for o in objects if _is_variable(o) and id(o) not in bound]
        if unused:
            shown = min(10, len(unused))
            raise AssertionError(
                f"Found {len(unused)} Python objects that were not bound to checkpointed "
                f"values, likely due to changes in the Python program. Showing {shown} of "
                f"{len(unused)} unmatched objects: {unused[:shown]}"
            )
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Says that not all of the checkpoint is meant to be used (TF then logs no warning)."""
        return self


class InitializationOnlyStatus:
    """What `restore(None)` returns: nothing was restored."""

    def assert_consumed(self) -> InitializationOnlyStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def assert_existing_objects_matched(self) -> InitializationOnlyStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    def expect_partial(self) -> InitializationOnlyStatus:
        return self


class Checkpoint:
    """Saves and restores the variables of the objects passed as keyword arguments.

    >>> import tempfile, tapeflow as tf
    >>> prefix = tempfile.mkdtemp() + "/ckpt"
    >>> v = tf.Variable(1.0)
    >>> ckpt = tf.train.Checkpoint(step=v)
    >>> path = ckpt.save(prefix)
    >>> path.endswith("ckpt-1"), int(ckpt.save_counter)
    (True, 1)
    >>> _ = v.assign(5.0)
    >>> ckpt.restore(path).assert_consumed() is not None, float(v)
    (True, 1.0)
    """

    def __init__(self, root: Any = None, **kwargs: Any) -> None:
        for name, value in sorted(kwargs.items()):  # TF tracks them in sorted order
            if not _holds_trackables(value):
                raise ValueError(
                    f"`Checkpoint` was expecting {name} to be a trackable object (an object "
                    f"derived from `Trackable`), got {value}. If you believe this object should "
                    "be trackable (i.e. it is part of the TensorFlow Python API and manages "
                    "state), please open an issue."
                )
        if root is not None and not _holds_trackables(root):
            raise ValueError(
                f"`Checkpoint` was expecting root to be a trackable object (an object derived "
                f"from `Trackable`), got {root}. If you believe this object should be trackable "
                "(i.e. it is part of the TensorFlow Python API and manages state), please open "
                "an issue."
            )
        self._root = root
        self._kwargs: dict[str, Any] = {}
        self._save_counter: Variable | None = None
        self._restoration: _Restoration | None = None
        for name, value in sorted(kwargs.items()):
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or hasattr(type(self), name):  # save_counter cannot be set
            object.__setattr__(self, name, value)
        else:  # `ckpt.step`, as given or assigned later, is a dependency, as in TF
            self._kwargs[name] = value

    def __getattr__(self, name: str) -> Any:
        kwargs = self.__dict__.get("_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"'Checkpoint' object has no attribute '{name}'")

    def _dependencies(self) -> Iterator[tuple[str, Any]]:
        if self._root is not None:  # the root's dependencies are the checkpoint's
            yield from _children(self._root)
        yield from self._kwargs.items()
        if self._save_counter is not None:
            yield "save_counter", self._save_counter

    @property
    def save_counter(self) -> Variable:
        """How many times `save` ran (it numbers the files); made on first use."""
        if self._save_counter is None:
            self._save_counter = Variable(0, dtype="int64", name="save_counter", trainable=False)
        return self._save_counter

    def write(self, file_prefix: str, options: Any = None) -> str:
        """Writes `file_prefix.index` and `file_prefix.data-00000-of-00001`; returns the
        prefix. Unlike `save`, it neither numbers the files nor updates the state file."""
        file_prefix = os.fspath(file_prefix)
        _write(self, file_prefix)
        return file_prefix

    def save(self, file_prefix: str, options: Any = None) -> str:
        """Writes `file_prefix-N` (N counts the saves) and records it as the directory's
        latest checkpoint; returns that path."""
        counter = self.save_counter
        counter.assign_add(1, read_value=False)
        path = self.write(f"{os.fspath(file_prefix)}-{int(counter.numpy())}")
        _update_state(os.path.dirname(path), path, [path])
        return path

    def read(self, save_path: str, options: Any = None) -> CheckpointLoadStatus:
        """Restores from `save_path`, as `restore` does, without making `save_counter`."""
        reader = _Reader(os.fspath(save_path))
        if self._restoration is not None:
            self._restoration.cancel()  # a newer restore replaces the values still waiting
        self._restoration = _Restoration(reader, self)
        return CheckpointLoadStatus(self._restoration)

    def restore(
        self, save_path: str | None, options: Any = None
    ) -> CheckpointLoadStatus | InitializationOnlyStatus:
        """Restores the variables saved at `save_path` (a path `save` or `write` returned).

        Values for objects that do not exist yet are restored when they are made. With
        `save_path=None` (no checkpoint yet: `manager.latest_checkpoint` on a first run)
        nothing happens.
        """
        if save_path is None:
            return InitializationOnlyStatus()
        path = os.fspath(save_path)
        if not os.path.exists(path + ".index"):
            raise errors.NotFoundError(
                None,
                None,
                f"Error when restoring from checkpoint or SavedModel at {path}: Unsuccessful "
                f"TensorSliceReader constructor: Failed to find any matching files for {path}\n"
                "Please double-check that the path is correct. You may be missing the "
                "checkpoint suffix (e.g. the '-1' in 'path/to/ckpt-1').",
            )
        self.save_counter  # noqa: B018 - made now so that it is restored too, as in TF
        return self.read(path)


# -- the state file and CheckpointManager ---------------------------------------------------


def _relative(directory: str, path: str) -> str:
    return os.path.relpath(path, directory) if os.path.dirname(path) == directory else path


def _update_state(
    directory: str,
    latest: str,
    paths: list[str],
    timestamps: list[float] | None = None,
    last_preserved: float | None = None,
) -> None:
    """Writes the `checkpoint` state file as TF does (a text protocol buffer)."""
    lines = [f'model_checkpoint_path: "{_relative(directory, latest)}"']
    lines += [f'all_model_checkpoint_paths: "{_relative(directory, p)}"' for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in timestamps or ()]
    if last_preserved is not None:
        lines.append(f"last_preserved_timestamp: {last_preserved!r}")
    with open(os.path.join(directory or ".", _STATE_FILE), "w") as f:
        f.write("\n".join(lines) + "\n")


def _read_state(directory: str) -> dict[str, list[str]]:
    """The fields of `directory`'s state file (each a list of its values); {} if none."""
    try:
        with open(os.path.join(directory, _STATE_FILE)) as f:
            text = f.read()
    except OSError:
        return {}
    state: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if value:
            state.setdefault(key.strip(), []).append(value.strip().strip('"'))
    return state


def _absolute(directory: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(directory, path)


def latest_checkpoint(checkpoint_dir: str, latest_filename: str | None = None) -> str | None:
    """The path of the latest checkpoint saved in `checkpoint_dir`, or None.

    >>> import tempfile, tapeflow as tf
    >>> directory = tempfile.mkdtemp()
    >>> print(tf.train.latest_checkpoint(directory))
    None
    >>> path = tf.train.Checkpoint(v=tf.Variable(1.0)).save(directory + "/ckpt")
    >>> tf.train.latest_checkpoint(directory) == path
    True
    """
    directory = os.fspath(checkpoint_dir)
    latest = _read_state(directory).get("model_checkpoint_path")
    if not latest:
        return None
    path = _absolute(directory, latest[0])
    return path if os.path.exists(path + ".index") else None


def _delete(prefix: str) -> None:
    for name in [prefix + ".index", *glob.glob(glob.escape(prefix) + ".data-*")]:
        if os.path.exists(name):
            os.remove(name)


class CheckpointManager:
    """Saves numbered checkpoints in `directory`, keeping the latest `max_to_keep` of them.

    >>> import os, tempfile, tapeflow as tf
    >>> directory = tempfile.mkdtemp()
    >>> ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    >>> manager = tf.train.CheckpointManager(ckpt, directory, max_to_keep=2)
    >>> for _ in range(3):
    ...     _ = manager.save()
    >>> [os.path.basename(p) for p in manager.checkpoints]
    ['ckpt-2', 'ckpt-3']
    >>> sorted(os.listdir(directory))[:3]
    ['checkpoint', 'ckpt-2.data-00000-of-00001', 'ckpt-2.index']
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        directory: str,
        max_to_keep: int | None,
        keep_checkpoint_every_n_hours: float | None = None,
        checkpoint_name: str = "ckpt",
        step_counter: Any = None,
        checkpoint_interval: Any = None,
        init_fn: Any = None,
    ) -> None:
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(
                f"Expected a positive integer or `None` for `max_to_keep`, got {max_to_keep}."
            )
        if keep_checkpoint_every_n_hours is not None or checkpoint_interval is not None:
            raise NotImplementedError(
                "tapeflow's CheckpointManager keeps the latest `max_to_keep` checkpoints only."
            )
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._init_fn = init_fn
        state = _read_state(self._directory)
        # a manager over a directory used before carries on with its checkpoints
        self._checkpoints = [
            _absolute(self._directory, p) for p in state.get("all_model_checkpoint_paths", [])
        ]
        self._timestamps = [float(t) for t in state.get("all_model_checkpoint_timestamps", [])]
        if len(self._timestamps) != len(self._checkpoints):
            self._timestamps = [time.time()] * len(self._checkpoints)
        preserved = state.get("last_preserved_timestamp")
        self._last_preserved = float(preserved[0]) if preserved else time.time()
        latest = state.get("model_checkpoint_path")
        self._latest = _absolute(self._directory, latest[0]) if latest else None

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoint(self) -> Checkpoint:
        return self._checkpoint

    @property
    def checkpoints(self) -> list[str]:
        """The paths of the kept checkpoints, oldest first."""
        return list(self._checkpoints)

    @property
    def latest_checkpoint(self) -> str | None:
        return self._checkpoints[-1] if self._checkpoints else None

    def save(self, checkpoint_number: int | None = None, check_interval: bool = True) -> str:
        """Saves `checkpoint_name-N` (N: the checkpoint's save count, or `checkpoint_number`),
        deletes the oldest checkpoints beyond `max_to_keep` and updates the state file."""
        counter = self._checkpoint.save_counter
        counter.assign_add(1, read_value=False)
        number = int(counter.numpy()) if checkpoint_number is None else int(checkpoint_number)
        path = self._checkpoint.write(f"{self._prefix}-{number}")
        if path in self._checkpoints:
            i = self._checkpoints.index(path)
            del self._checkpoints[i], self._timestamps[i]
        self._checkpoints.append(path)
        self._timestamps.append(time.time())
        while self._max_to_keep is not None and len(self._checkpoints) > self._max_to_keep:
            _delete(self._checkpoints.pop(0))
            self._timestamps.pop(0)
        _update_state(
            self._directory, path, self._checkpoints, self._timestamps, self._last_preserved
        )
        return path

    def restore_or_initialize(self) -> str | None:
        """Restores the latest checkpoint and returns its path; with none, runs `init_fn`."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None


# -- reading values without objects --------------------------------------------------------


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """The (key, shape) of every value in a checkpoint (a path or a directory), sorted."""
    reader = _Reader(_checkpoint_path(ckpt_dir_or_file))
    found: list[tuple[str, list[int]]] = [("_CHECKPOINTABLE_OBJECT_GRAPH", [])]
    found += [
        (node["key"], list(reader.value(n).shape))
        for n, node in enumerate(reader.nodes)
        if "key" in node
    ]
    return sorted(found)


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    """The value saved under `name` (a key `list_variables` gives)."""
    reader = _Reader(_checkpoint_path(ckpt_dir_or_file))
    if not name.endswith(_ATTRIBUTE):
        name = f"{name}/{_ATTRIBUTE}"  # TF accepts the key without its attribute suffix
    for n, node in enumerate(reader.nodes):
        if node.get("key") == name:
            return reader.value(n)
    raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint")


def _checkpoint_path(ckpt_dir_or_file: str) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise ValueError(
                f"Couldn't find 'checkpoint' file or checkpoints in given directory {path}"
            )
        return latest
    return path
