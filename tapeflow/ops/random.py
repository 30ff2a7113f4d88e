"""Random numbers with TF's seeding rules.

`tf.random.set_seed(s)` makes every later sequence of random ops repeat from run to run. An op
seed picks its own stream (also reproducible without a global seed, as TF's default global seed
makes it). The values differ from TF's (TF uses Philox); the reproducibility rules are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.tensor import Tensor, _wrap

__all__ = ["set_seed", "normal", "uniform", "get_global_seed"]

_DEFAULT_GLOBAL_SEED = 87654321  # TF's DEFAULT_GRAPH_SEED, used when only an op seed is given
_state: dict[str, Any] = {"seed": None, "streams": {}}


def set_seed(seed: int | None) -> None:
    """Sets the global seed; random ops after it repeat the same sequence on every run."""
    _state["seed"] = None if seed is None else int(seed)
    _state["streams"] = {}


def get_global_seed() -> int | None:
    return _state["seed"]


def generator(seed: int | None) -> np.random.Generator:
    """The NumPy generator for an op with op seed `seed`, created on first use."""
    global_seed = _state["seed"]
    if seed is None:
        key: Any = ("global",)
        init = global_seed  # None: fresh entropy, as TF without any seed
    else:
        g = _DEFAULT_GLOBAL_SEED if global_seed is None else global_seed
        key = (g, int(seed))
        init = [g, int(seed)]
    streams = _state["streams"]
    gen = streams.get(key)
    if gen is None:
        gen = streams[key] = np.random.default_rng(init)
    return gen


def _shape(shape: Any) -> tuple[int, ...]:
    if hasattr(shape, "_value"):
        shape = shape._value
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


def _affine(rnd: np.ndarray, scale: Any, shift: Any, dtype: Any) -> Tensor:
    """rnd * scale + shift, through ops when scale or shift is a tensor (so it is recorded)."""
    if hasattr(scale, "_value") or hasattr(shift, "_value"):
        from tapeflow.ops.math import multiply
        from tapeflow.tape import add

        return add(multiply(_wrap(rnd.astype(dtype)), scale), shift)
    return _wrap((rnd * scale + shift).astype(dtype)[()])


def normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from a normal distribution.

    >>> import tapeflow as tf
    >>> tf.random.set_seed(0); a = tf.random.normal([2])
    >>> tf.random.set_seed(0); b = tf.random.normal([2])
    >>> bool(tf.reduce_all(a == b))
    True
    """
    np_dtype = dtypes.as_dtype(dtype)._np
    rnd = generator(seed).standard_normal(_shape(shape))
    return _affine(rnd, stddev, mean, np_dtype)


def uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples uniformly from [minval, maxval) (integers need an explicit maxval)."""
    dt = dtypes.as_dtype(dtype)
    gen = generator(seed)
    shp = _shape(shape)
    if dt.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
        return _wrap(gen.integers(int(minval), int(maxval), shp).astype(dt._np)[()])
    hi = 1 if maxval is None else maxval
    if hasattr(minval, "_value") or hasattr(hi, "_value"):
        from tapeflow.ops.math import subtract

        return _affine(gen.random(shp), subtract(hi, minval), minval, dt._np)
    return _affine(gen.random(shp), hi - minval, minval, dt._np)
