"""Whole models in `.keras` files (`model.save`, `tf.keras.models.load_model`), and weights
alone under Keras 3's `.weights.h5` file names (`save_weights` / `load_weights`).

A `.keras` file is a zip archive as Keras 3 writes it: `config.json` (the model's serialized
config, with its `build_config` and `compile_config`), `metadata.json`, and the weights. Keras
keeps the weights in `model.weights.h5`, an HDF5 file that would need h5py; tapeflow keeps
them in `model.weights.tapeflow.npz`, a NumPy archive. So tapeflow cannot read the weights of
Keras's `.keras` files (their config, yes: `model_from_json`), and Keras refuses tapeflow's
("Expected a model.weights.h5 or model.weights.npz file").

As Keras does, weights are matched by the model's structure: each layer is named by its class
in snake case, numbered among its siblings ("layers/dense", "layers/dense_1", ...), and holds
its own variables by position ("layers/dense/vars/0"); the optimizer's are
"optimizer/vars/0", ... (iterations, learning rate, then its slots). So weights load into a
fresh model of the same structure however its layers are named. A `.weights.h5` file written
by `save_weights` is the same `.npz` archive under Keras's name.
"""

from __future__ import annotations

import collections
import datetime
import io
import json
import os
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow.keras.layers import Layer
from tapeflow.keras.serialization import (
    custom_object_scope,
    deserialize_keras_object,
    get_registered_name,
    serialize_keras_object,
)
from tapeflow.keras.variables import to_snake_case

__all__ = [
    "save_weights",
    "load_weights",
    "save_model",
    "load_model",
    "clone_model",
    "model_from_json",
]

_SUFFIX = ".weights.h5"
_CONFIG = "config.json"
_METADATA = "metadata.json"
_WEIGHTS = "model.weights.tapeflow.npz"
_KERAS_VERSION = "3.15.1"  # the Keras whose file layout and configs tapeflow writes


def _layers(layer: Layer, path: str) -> Iterator[tuple[str, Layer]]:
    """`layer` and the layers inside it, each with its structural path."""
    yield path, layer
    counts: collections.Counter[str] = collections.Counter()
    for child in layer.layers:
        name = to_snake_case(type(child).__name__)
        counts[name] += 1
        numbered = name if counts[name] == 1 else f"{name}_{counts[name] - 1}"
        yield from _layers(child, f"{path}/layers/{numbered}".lstrip("/"))


def _saveables(model: Layer, with_optimizer: bool) -> Iterator[tuple[str, Any]]:
    """Each object with variables of its own (layers, the optimizer) and its path."""
    yield from _layers(model, "")
    optimizer = getattr(model, "optimizer", None)
    if with_optimizer and getattr(model, "compiled", False) and optimizer is not None:
        yield "optimizer", optimizer


def _weights(model: Layer, with_optimizer: bool) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for path, obj in _saveables(model, with_optimizer):
        store: dict[str, np.ndarray] = {}
        obj.save_own_variables(store)
        for key, value in store.items():
            arrays[f"{path}/vars/{key}".lstrip("/")] = value
    return arrays


def _load_weights(model: Layer, saved: dict[str, np.ndarray], with_optimizer: bool) -> None:
    """Loads each object's values; the objects that fail are reported together, as Keras."""
    failed: list[tuple[Any, str]] = []
    for path, obj in _saveables(model, with_optimizer):
        prefix = f"{path}/vars/".lstrip("/")
        store: dict[str, np.ndarray] = {}
        while f"{prefix}{len(store)}" in saved:
            store[str(len(store))] = saved[f"{prefix}{len(store)}"]
        try:
            obj.load_own_variables(store)
        except ValueError as e:
            failed.append((obj, str(e)))
    if failed:
        raise ValueError(
            f"A total of {len(failed)} objects could not be loaded. Example error message for "
            f"object {failed[0][0]!r}:\n\n{failed[0][1]}\n\nList of objects that could not be "
            f"loaded:\n{[obj for obj, _ in failed]}"
        )


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def _read_npz(data: Any) -> dict[str, np.ndarray]:
    with np.load(data, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


# -- weights only ---------------------------------------------------------------------------


def save_weights(model: Layer, filepath: str) -> None:
    filepath = os.fspath(filepath)
    if not filepath.endswith(_SUFFIX):
        raise ValueError(f"The filename must end in `{_SUFFIX}`. Received: filepath={filepath}")
    with open(filepath, "wb") as f:
        f.write(_npz(_weights(model, with_optimizer=False)))


def load_weights(model: Layer, filepath: str) -> None:
    filepath = os.fspath(filepath)
    if not filepath.endswith((_SUFFIX, ".keras", ".h5")):
        raise ValueError(
            f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
            "files, `.weights.h5` files, legacy H5 format files (`.h5` extension), or Orbax "
            "checkpoints."
        )
    if not filepath.endswith((_SUFFIX, ".keras")):
        raise ValueError(
            f"tapeflow loads weights from `{_SUFFIX}` and `.keras` files only: {filepath}"
        )
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(2, "No such file or directory", filepath)
    if filepath.endswith(".keras"):
        with zipfile.ZipFile(filepath) as archive:
            saved = _read_npz(io.BytesIO(_weights_member(archive, filepath)))
    else:
        saved = _read_npz(filepath)
    _load_weights(model, saved, with_optimizer=False)


# -- whole models ---------------------------------------------------------------------------


def save_model(
    model: Layer, filepath: str, overwrite: bool = True, zipped: Any = None, **kwargs: Any
) -> None:
    """Saves `model` to a `.keras` file (README: the weights are an `.npz`, not HDF5)."""
    filepath = os.fspath(filepath)
    kwargs.pop("include_optimizer", None)  # a `.keras` file always has the optimizer
    save_format = kwargs.pop("save_format", None)
    if save_format and not filepath.endswith((".h5", ".hdf5", ".keras")):
        raise ValueError(
            "The `save_format` argument is deprecated in Keras 3. Please remove this argument "
            "and pass a file path with either `.keras` or `.h5` extension."
            f"Received: save_format={save_format}"
        )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if filepath.endswith((".h5", ".hdf5")):
        raise ImportError(
            "`save_model()` using h5 format requires h5py. Could not import h5py. (tapeflow "
            "depends on NumPy only and writes no HDF5 files: save to a `.keras` file.)"
        )
    if zipped is False:
        raise NotImplementedError("tapeflow saves models as zipped `.keras` files only.")
    if not filepath.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for "
            "the native Keras format (recommended) or a `.h5` extension. Use "
            "`model.export(filepath)` if you want to export a SavedModel for use with "
            f"TFLite/TFServing/etc. Received: filepath={filepath}."
        )
    if not overwrite and os.path.exists(filepath):
        return  # Keras asks on the terminal; a script that says "don't overwrite" keeps the file
    if not model.built:
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any "
            "weights yet. Consider building the model first by calling it on some data.",
            UserWarning,
            stacklevel=3,
        )
    config = json.dumps(serialize_keras_object(model))
    metadata = {
        "keras_version": _KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    }
    weights = _npz(_weights(model, with_optimizer=True))
    directory = os.path.dirname(filepath)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(filepath, "w") as archive:
        archive.writestr(_METADATA, json.dumps(metadata))
        archive.writestr(_CONFIG, config)
        archive.writestr(_WEIGHTS, weights)
        for name, data in _assets(model).items():
            archive.writestr(name, data)


def _assets(model: Layer) -> dict[str, bytes]:
    """Files of the layers that keep state outside variables (an adapted vocabulary), under
    `assets/<layer path>/`, as Keras 3 writes them (`save_assets`)."""
    files: dict[str, bytes] = {}
    for path, obj in _layers(model, ""):
        if hasattr(obj, "_asset_files"):
            for name, data in obj._asset_files().items():
                files[f"assets/{path}/{name}".replace("//", "/")] = data
    return files


def _load_assets(model: Layer, archive: zipfile.ZipFile) -> None:
    names = set(archive.namelist())
    for path, obj in _layers(model, ""):
        if hasattr(obj, "_load_asset_files"):
            prefix = f"assets/{path}/".replace("//", "/")
            obj._load_asset_files(
                {n[len(prefix) :]: archive.read(n) for n in names if n.startswith(prefix)}
            )


def _weights_member(archive: zipfile.ZipFile, filepath: str) -> bytes:
    names = archive.namelist()
    if _WEIGHTS in names:
        return archive.read(_WEIGHTS)
    if "model.weights.h5" in names:
        raise ImportError(
            f"{filepath} was written by Keras: its weights are HDF5 (model.weights.h5), which "
            "tapeflow cannot read (that needs h5py; tapeflow depends on NumPy only). Its "
            "architecture can be read: `tf.keras.models.model_from_json` of its config.json."
        )
    raise ValueError(f"Expected a {_WEIGHTS} file in {filepath}.")


def load_model(
    filepath: str,
    custom_objects: dict[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """The model `model.save` saved: architecture, weights and, with `compile=True`, the
    compile state (optimizer variables included), so that training continues as it would
    have. Custom classes are found in `custom_objects` or by their registration
    (`tf.keras.saving.register_keras_serializable`).
    """
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras") and zipfile.is_zipfile(filepath):
        with zipfile.ZipFile(filepath) as archive:
            config = json.loads(archive.read(_CONFIG))
            weights = _weights_member(archive, filepath)
            if not compile:
                config.pop("compile_config", None)
            model = deserialize_keras_object(config, custom_objects)
            _load_weights(model, _read_npz(io.BytesIO(weights)), with_optimizer=True)
            _load_assets(model, archive)
        return model
    if filepath.endswith((".h5", ".hdf5")):
        raise ImportError(
            "`load_model()` using h5 format requires h5py. Could not import h5py. (tapeflow "
            "depends on NumPy only and reads no HDF5 files: save to a `.keras` file.)"
        )
    if filepath.endswith(".keras"):
        raise ValueError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file."
        )
    raise ValueError(
        f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
        "files, legacy H5 format files (`.h5` extension). Note that the legacy SavedModel "
        "format is not supported by `load_model()` in Keras 3. In order to reload a TensorFlow "
        "SavedModel as an inference-only layer in Keras 3, use `keras.layers.TFSMLayer("
        f"{filepath}, call_endpoint='serving_default')` (note that your `call_endpoint` might "
        "have a different name)."
    )


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The model a `model.to_json()` string describes, with new weights."""
    return deserialize_keras_object(json.loads(json_string), custom_objects)


def clone_model(
    model: Layer,
    input_tensors: Any = None,
    clone_function: Any = None,
    call_function: Any = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new model of the same architecture (its config) with new weights, not compiled.

    >>> import tapeflow as tf
    >>> model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2)])
    >>> clone = tf.keras.models.clone_model(model)
    >>> [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    True
    """
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise NotImplementedError(
            "tapeflow's clone_model makes the model again from its config only "
            "(`input_tensors`, `clone_function` and `call_function` are not supported)."
        )
    config = serialize_keras_object(model)
    config.pop("compile_config", None)
    # the model's own classes, registered or not, make the clone
    classes: dict[str, Any] = {}
    for _, layer in _layers(model, ""):
        classes[get_registered_name(type(layer))] = type(layer)
        classes[type(layer).__name__] = type(layer)
    with custom_object_scope(classes):
        return deserialize_keras_object(config)
