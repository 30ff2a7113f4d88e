"""Elements of a dataset: nested structures (tuples, namedtuples, dicts) of NumPy values.

A dataset moves each element through its pipeline as a flat tuple of NumPy values (scalars for
0-d numbers, as Tensor holds them) and only packs it into its structure of Tensors at the edges:
where a user function is called and where the user iterates. tf.data's rule that a Python list
is one tensor, not a structure, is applied here: structures are tuples and dicts only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.tensor import TensorShape, _wrap, constant, convert_to_tensor
from tapeflow.tensor_spec import TensorSpec


def normalize(value: Any) -> Any:
    """`value` with tuples and dicts kept as structure and every other leaf made a Tensor."""
    if isinstance(value, Mapping):
        return type(value)((k, normalize(v)) for k, v in value.items())  # type: ignore[call-arg]
    if isinstance(value, tuple):
        items = [normalize(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if value is None:
        raise ValueError("Invalid `element`. `element` should not be empty.")
    if isinstance(value, (list, int, float, bool, str, bytes)):
        return constant(value)  # tf.constant's errors ("Can't convert non-rectangular ...")
    return convert_to_tensor(value)  # no copy: a dataset that keeps it copies it once


def normalize_fn_output(value: Any) -> Any:
    # TF: a list returned by a dataset function is read as a tuple, not stacked into one tensor
    return normalize(tuple(value) if isinstance(value, list) else value)


def flatten(structure: Any) -> list[Any]:
    return nest.flatten(structure)


def pack(spec: Any, flat: Any) -> Any:
    """The element of structure `spec` whose leaves are the NumPy values `flat`, as Tensors."""
    if isinstance(spec, TensorSpec):
        return _wrap(flat[0])
    return nest.pack_sequence_as(spec, [_wrap(v) for v in flat])


def spec_of(structure: Any) -> Any:
    """The TensorSpec structure of a structure of Tensors."""
    return nest.map_structure(lambda t: TensorSpec(t.shape, t.dtype), structure)


def map_specs(fn: Any, spec: Any) -> Any:
    if isinstance(spec, TensorSpec):
        return fn(spec)
    return nest.pack_sequence_as(spec, [fn(s) for s in flatten(spec)])


def same_structure(a: Any, b: Any) -> bool:
    if isinstance(a, TensorSpec) or isinstance(b, TensorSpec):
        return isinstance(a, TensorSpec) and isinstance(b, TensorSpec)
    if isinstance(a, Mapping) != isinstance(b, Mapping) or len(a) != len(b):
        return False
    if isinstance(a, Mapping):
        return sorted(a) == sorted(b) and all(same_structure(a[k], b[k]) for k in a)
    return all(same_structure(x, y) for x, y in zip(a, b))


def most_specific_compatible_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """The shape both `a` and `b` fit: unknown rank if the ranks differ, None where dims do."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a, b)])


def probe_values(spec: Any, fill: int) -> list[Any]:
    """Stand-in values for an element of `spec`, the way TF traces a function with placeholders.

    Unknown dimensions become `fill` and values are `fill - 1`; calling a function on two probes
    (fill 1 and 2) shows which output dimensions depend on the input's unknown ones or values.
    """
    out = []
    for s in flatten(spec):
        dims = [fill if d is None else d for d in s.shape] if s.shape.rank is not None else []
        if s.dtype.name == "string":
            out.append(np.full(dims, b"" if fill == 1 else b"1", dtype=object))
        else:
            arr = np.full(dims, fill - 1, dtype=s.dtype.as_numpy_dtype)
            out.append(arr[()] if arr.ndim == 0 else arr)
    return out


def merge_probe_specs(first: Any, second: Any) -> Any:
    """The spec of a function's output, from its outputs on two probes: dims that differ -> None."""
    if not same_structure(first, second):
        return first
    merged = [
        TensorSpec(most_specific_compatible_shape(a.shape, b.shape), a.dtype)
        for a, b in zip(flatten(first), flatten(second))
    ]
    return merged[0] if isinstance(first, TensorSpec) else nest.pack_sequence_as(first, merged)
