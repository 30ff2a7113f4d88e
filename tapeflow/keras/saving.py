"""Model.save_weights / load_weights under Keras 3's `.weights.h5` file names.

As Keras does, weights are matched by the model's structure: each layer is named by its class
in snake case, numbered among its siblings ("layers/dense", "layers/dense_1", ...), and holds
its own variables by position; so weights load into a fresh model of the same structure however
its layers are named. The file is not HDF5 (that would need h5py) but an `.npz` archive: tapeflow
cannot read Keras's `.weights.h5` files, nor Keras tapeflow's.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow.keras.layers import Layer
from tapeflow.keras.variables import to_snake_case

__all__ = ["save_weights", "load_weights"]

_SUFFIX = ".weights.h5"


def _layers(layer: Layer, path: str) -> Iterator[tuple[str, Layer]]:
    """`layer` and the layers inside it, each with its structural path."""
    yield path, layer
    counts: collections.Counter[str] = collections.Counter()
    for child in layer.layers:
        name = to_snake_case(type(child).__name__)
        counts[name] += 1
        numbered = name if counts[name] == 1 else f"{name}_{counts[name] - 1}"
        yield from _layers(child, f"{path}/layers/{numbered}".lstrip("/"))


def _own_variables(layer: Layer) -> list[Any]:
    return layer._own_trainable + layer._own_non_trainable


def save_weights(model: Layer, filepath: str) -> None:
    filepath = os.fspath(filepath)
    if not filepath.endswith(_SUFFIX):
        raise ValueError(f"The filename must end in `{_SUFFIX}`. Received: filepath={filepath}")
    arrays = {}
    for path, layer in _layers(model, ""):
        for i, v in enumerate(_own_variables(layer)):
            arrays[f"{path}/vars/{i}".lstrip("/")] = np.asarray(v.numpy())
    with open(filepath, "wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


def load_weights(model: Layer, filepath: str) -> None:
    filepath = os.fspath(filepath)
    if not filepath.endswith((_SUFFIX, ".keras", ".h5")):
        raise ValueError(
            f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
            "files, `.weights.h5` files, legacy H5 format files (`.h5` extension), or Orbax "
            "checkpoints."
        )
    if not filepath.endswith(_SUFFIX):
        raise ValueError(f"tapeflow loads weights from `{_SUFFIX}` files only: {filepath}")
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(2, "No such file or directory", filepath)
    with np.load(filepath) as data:
        saved = {key: data[key] for key in data.files}
    failed: list[tuple[Layer, str]] = []
    for path, layer in _layers(model, ""):
        own = _own_variables(layer)
        prefix = f"{path}/vars/".lstrip("/")
        values: list[np.ndarray] = []
        while f"{prefix}{len(values)}" in saved:
            values.append(saved[f"{prefix}{len(values)}"])
        if len(values) != len(own):
            failed.append(
                (
                    layer,
                    f"Layer '{layer.name}' expected {len(own)} variables, but received "
                    f"{len(values)} variables during loading. Expected: {[v.name for v in own]}",
                )
            )
            continue
        for v, value in zip(own, values):
            if value.shape != tuple(v.shape.as_list()):
                failed.append(
                    (
                        layer,
                        "The shape of the target variable and the shape of the target value in "
                        "`variable.assign(value)` must match. "
                        f"variable.shape={tuple(v.shape.as_list())}, Received: "
                        f"value.shape={value.shape}. Target variable: {v!r}",
                    )
                )
                break
            v.assign(value.astype(v.dtype._np, copy=False), read_value=False)
    if failed:
        raise ValueError(
            f"A total of {len(failed)} objects could not be loaded. Example error message for "
            f"object {failed[0][0]!r}:\n\n{failed[0][1]}\n\nList of objects that could not be "
            f"loaded:\n{[layer for layer, _ in failed]}"
        )
