"""Nested structures of tensors (`tf.nest`): lists, tuples, namedtuples and dicts.

Dicts flatten in sorted-key order, as TF's nest does, so a structure and its flat list always
line up the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tapeflow.tensor import Tensor

__all__ = ["flatten", "pack_sequence_as", "map_structure", "is_nested"]


_PLAIN = (list, tuple, dict)


def is_nested(structure: Any) -> bool:
    t = type(structure)
    if t in _PLAIN:
        return True
    if t is Tensor:  # the usual leaf, found without the slower abstract-class check
        return False
    return isinstance(structure, (list, tuple, Mapping))


def _children(structure: Any) -> list[Any]:
    if isinstance(structure, Mapping):
        return [structure[k] for k in sorted(structure)]
    return list(structure)


def _iter_flat(structure: Any) -> Iterator[Any]:
    if is_nested(structure):
        for child in _children(structure):
            yield from _iter_flat(child)
    else:
        yield structure


def flatten(structure: Any, expand_composites: bool = False) -> list[Any]:
    """All leaves of `structure`, depth first; a leaf alone gives a one-element list."""
    if not is_nested(structure):
        return [structure]
    return list(_iter_flat(structure))


def _rebuild(structure: Any, leaves: Iterator[Any]) -> Any:
    if not is_nested(structure):
        return next(leaves)
    if isinstance(structure, Mapping):
        packed = {k: _rebuild(structure[k], leaves) for k in sorted(structure)}
        return type(structure)((k, packed[k]) for k in structure)  # type: ignore[call-arg]
    children = [_rebuild(child, leaves) for child in structure]
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*children)  # namedtuple
    return type(structure)(children)


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """Puts the leaves of `flat_sequence` back into the shape of `structure`."""
    flat = list(flat_sequence)
    if not is_nested(structure) and len(flat) == 1:
        return flat[0]
    n = len(flatten(structure))
    if n != len(flat):
        raise ValueError(
            f"Could not pack sequence. Structure had {n} atoms, but flat_sequence had "
            f"{len(flat)} items."
        )
    return _rebuild(structure, iter(flat))


def map_structure(func: Callable[..., Any], *structures: Any, **kwargs: Any) -> Any:
    """Applies `func` to corresponding leaves of structures that share one shape."""
    flats = [flatten(s) for s in structures]
    if any(len(f) != len(flats[0]) for f in flats):
        raise ValueError("The two structures don't have the same number of elements.")
    return pack_sequence_as(structures[0], [func(*leaves) for leaves in zip(*flats)])
