"""`tf.data.Dataset`: lazy, re-iterable input pipelines, run eagerly in Python.

Each dataset is a recipe: iterating it starts a fresh chain of generators over its inputs, so
every `for` loop is a new epoch, as in TF, and nothing is materialised except where TF buffers
too (`shuffle`'s buffer, `cache`). Elements travel as flat tuples of NumPy values and become
Tensors in their structure only where user code sees them (see structure.py).

Batching avoids building elements one by one when it can: a dataset made of `from_tensor_slices`
or `range` followed only by `shuffle`, `take`, `skip`, `repeat` and `prefetch` is a stream of
*indices* into its source, so `batch` slices a contiguous block (a view) or gathers the shuffled
indices with one NumPy fancy index per component.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tapeflow import dtypes, graph, nest
from tapeflow.data import structure
from tapeflow.errors import InvalidArgumentError, OutOfRangeError
from tapeflow.ops import random as _random
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor
from tapeflow.tensor_spec import TensorSpec

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

Flat = tuple[Any, ...]
# (source, make_indices): a dataset that is a stream of indices into a random-access source
IndexPlan = tuple[Any, Callable[[], Iterator[int]]]


def _iterator_error(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{message} [Op:IteratorGetNext] name: ")


def _call(fn: Callable[..., Any], spec: Any, flat: Flat) -> Any:
    """Calls a user function on an element: a tuple's components as separate arguments (TF)."""
    element = structure.pack(spec, flat)
    return fn(*element) if type(element) is tuple else fn(element)


class Dataset:
    """A sequence of elements, each a tensor or a (nested) tuple or dict of tensors.

    >>> import tapeflow as tf
    >>> ds = tf.data.Dataset.from_tensor_slices([1, 2, 3, 4, 5]).map(lambda x: x * 2).batch(2)
    >>> [b.numpy().tolist() for b in ds]
    [[2, 4], [6, 8], [10]]
    """

    _tf_name = "Dataset"  # the class name TF's repr shows
    _spec: Any

    # -- what each kind of dataset defines

    def _iter_flat(self) -> Iterator[Flat]:
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def _index_plan(self) -> IndexPlan | None:
        return None

    # -- sources

    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> Dataset:
        """The slices of `tensors` along their first dimension, one element each."""
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> Dataset:
        """A dataset of one element, `tensors`."""
        return _TensorDataset(tensors)

    @staticmethod
    def range(*args: Any, output_type: Any = dtypes.int64, name: str | None = None) -> Dataset:
        """`range(stop)`, `range(start, stop[, step])` as a dataset of int64 scalars."""
        return _RangeDataset(*args, dtype=output_type)

    @staticmethod
    def from_generator(
        generator: Callable[..., Any],
        output_types: Any = None,
        output_shapes: Any = None,
        args: Any = None,
        output_signature: Any = None,
        name: str | None = None,
    ) -> Dataset:
        """The elements `generator(*args)` yields, checked against `output_signature`."""
        if output_signature is None:
            if output_types is None:
                raise TypeError(
                    "To specify the output signature you need to provide either the "
                    "`output_signature` argument or the `output_types` argument."
                )
            output_signature = _specs_from_types_and_shapes(output_types, output_shapes)
        return _GeneratorDataset(generator, tuple(args or ()), output_signature)

    @staticmethod
    def zip(*datasets: Any, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side, as a tuple (or dict) of their elements."""
        return _ZipDataset(datasets[0] if len(datasets) == 1 else datasets)

    # -- transformations

    def batch(
        self,
        batch_size: int,
        drop_remainder: bool = False,
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: str | None = None,
    ) -> Dataset:
        return _BatchDataset(self, int(batch_size), bool(drop_remainder))

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any = None,
        padding_values: Any = None,
        drop_remainder: bool = False,
        name: str | None = None,
    ) -> Dataset:
        return _PaddedBatchDataset(
            self, int(batch_size), padded_shapes, padding_values, bool(drop_remainder)
        )

    def unbatch(self, name: str | None = None) -> Dataset:
        return _UnbatchDataset(self)

    def shuffle(
        self,
        buffer_size: int,
        seed: int | None = None,
        reshuffle_each_iteration: bool = True,
        name: str | None = None,
    ) -> Dataset:
        return _ShuffleDataset(self, int(buffer_size), seed, bool(reshuffle_each_iteration))

    def map(
        self,
        map_func: Callable[..., Any],
        num_parallel_calls: Any = None,
        deterministic: Any = None,
        name: str | None = None,
    ) -> Dataset:
        """Applies `map_func` to each element (eagerly; a tuple's parts are its arguments)."""
        return _MapDataset(self, map_func, parallel=num_parallel_calls is not None)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        return _FilterDataset(self, predicate)

    def repeat(self, count: Any = None, name: str | None = None) -> Dataset:
        return _RepeatDataset(self, -1 if count is None else _int(count))

    def take(self, count: Any, name: str | None = None) -> Dataset:
        return _TakeDataset(self, _int(count))

    def skip(self, count: Any, name: str | None = None) -> Dataset:
        return _SkipDataset(self, _int(count))

    def prefetch(self, buffer_size: Any, name: str | None = None) -> Dataset:
        # nothing runs in the background in tapeflow: prefetching is a pass-through
        return _PrefetchDataset(self)

    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        if filename:
            raise NotImplementedError("tapeflow's Dataset.cache keeps elements in memory only")
        return _CacheDataset(self)

    def concatenate(self, dataset: Dataset, name: str | None = None) -> Dataset:
        return _ConcatenateDataset(self, dataset)

    def enumerate(self, start: int = 0, name: str | None = None) -> Dataset:
        return _ZipDataset((_RangeDataset(start, None), self))

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        return transformation_func(self)

    def reduce(self, initial_state: Any, reduce_func: Callable[..., Any], name: Any = None) -> Any:
        """Folds the elements into a state with `reduce_func(state, element)`, eagerly."""
        state = structure.normalize_fn_output(initial_state)
        for element in self:  # the element is one argument here, even a tuple (TF)
            state = structure.normalize_fn_output(reduce_func(state, element))
        return state

    # -- inspection and iteration

    @property
    def element_spec(self) -> Any:
        return self._spec

    def cardinality(self) -> Tensor:
        """The number of elements, or INFINITE_CARDINALITY (-1) or UNKNOWN_CARDINALITY (-2)."""
        return _wrap(np.int64(self._cardinality()))

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # as TF: a dataset is truthy even when its length is unknown or zero

    def __iter__(self) -> OwnedIterator:
        return OwnedIterator(self)

    def as_numpy_iterator(self) -> Iterator[Any]:
        """Iterates the elements as NumPy values (0-d ones as NumPy scalars, strings as bytes)."""
        spec = self._spec
        graph.not_replayable("iterating a tf.data.Dataset")
        for flat in self._iter_flat():
            values = [v.copy() if isinstance(v, np.ndarray) and v.ndim else v for v in flat]
            values = [v[()] if isinstance(v, np.ndarray) else v for v in values]
            yield values[0] if isinstance(spec, TensorSpec) else nest.pack_sequence_as(spec, values)

    def __repr__(self) -> str:
        return f"<{self._tf_name} element_spec={self._spec!r}>"


def _int(value: Any) -> int:
    if isinstance(value, Tensor):
        value = value._value
    if isinstance(value, (float, np.floating)):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype int64")
    return int(value)


class OwnedIterator:
    """An iterator over a dataset (`iter(ds)`): `next(it)` or `it.get_next()`."""

    def __init__(self, dataset: Dataset) -> None:
        # tapeflow's pipelines run in Python: a graph would repeat the first run's elements
        graph.not_replayable("iterating a tf.data.Dataset")
        self._spec = dataset._spec
        self._flat = dataset._iter_flat()

    @property
    def element_spec(self) -> Any:
        return self._spec

    def __iter__(self) -> OwnedIterator:
        return self

    def __next__(self) -> Any:
        return structure.pack(self._spec, next(self._flat))

    def get_next(self) -> Any:
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError("End of sequence [Op:IteratorGetNext] name: ") from None


def _snapshot(value: Any) -> Any:
    """A read-only copy of an array (as TF copies its input into a tensor); elements and
    batches are views of it, and tensors are immutable."""
    if not isinstance(value, np.ndarray):
        return value
    a = value.copy()
    a.flags.writeable = False
    return a


def _row(a: Any, i: int) -> Any:
    # a row of a 1-d string (object) array stays a 0-d array: a string scalar tensor holds one
    return a[i, ...] if a.dtype == object and a.ndim == 1 else a[i]


def _flatten_up_to(spec: Any, value: Any) -> list[Any] | None:
    """The parts of `value` that line up with the leaves of `spec`, or None if they don't."""
    if isinstance(spec, TensorSpec):
        return [value]
    if isinstance(spec, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(spec):
            return None
        pairs = [(spec[k], value[k]) for k in sorted(spec)]
    else:
        if not isinstance(value, (tuple, list)) or len(value) != len(spec):
            return None
        pairs = list(zip(spec, value))
    out: list[Any] = []
    for s, v in pairs:
        part = _flatten_up_to(s, v)
        if part is None:
            return None
        out.extend(part)
    return out


def _specs_from_types_and_shapes(types: Any, shapes: Any) -> Any:
    """The older `output_types`/`output_shapes` pair as one structure of TensorSpecs."""
    if not isinstance(types, (tuple, dict)):
        return TensorSpec(shapes, types)
    unknown = nest.map_structure(lambda t: TensorSpec(None, t), types)
    leaves = structure.flatten(unknown)
    flat_shapes = [None] * len(leaves) if shapes is None else _flatten_up_to(unknown, shapes)
    if flat_shapes is None:
        raise ValueError("`output_shapes` must have the same structure as `output_types`.")
    return nest.pack_sequence_as(
        unknown, [TensorSpec(sh, s.dtype) for s, sh in zip(leaves, flat_shapes)]
    )


# ---------------------------------------------------------------------------------------------
# Sources


class _TensorSliceDataset(Dataset):
    _tf_name = "_TensorSliceDataset"

    def __init__(self, tensors: Any) -> None:
        element = structure.normalize(tensors)
        arrays: list[np.ndarray] = []
        for t in structure.flatten(element):
            a = _snapshot(t._value)
            if a.ndim == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
            if arrays and a.shape[0] != arrays[0].shape[0]:
                raise ValueError(
                    f"Dimensions {arrays[0].shape[0]} and {a.shape[0]} are not compatible"
                )
            arrays.append(a)
        self._arrays = arrays
        self._n = arrays[0].shape[0]
        self._spec = structure.map_specs(
            lambda s: TensorSpec(s.shape[1:], s.dtype), structure.spec_of(element)
        )

    def _element(self, i: int) -> Flat:
        return tuple(_row(a, i) for a in self._arrays)

    def _gather(self, indices: list[int]) -> Flat:
        """The batch of elements `indices`: a view when they are one contiguous block."""
        first, last = indices[0], indices[-1]
        if last - first == len(indices) - 1 and np.all(np.diff(indices) == 1):
            return tuple(a[first : last + 1] for a in self._arrays)
        ix = np.asarray(indices)
        return tuple(a[ix] for a in self._arrays)

    def _iter_flat(self) -> Iterator[Flat]:
        return map(self._element, range(self._n))

    def _index_plan(self) -> IndexPlan:
        return self, lambda: iter(range(self._n))

    def _cardinality(self) -> int:
        return self._n


class _TensorDataset(Dataset):
    _tf_name = "_TensorDataset"

    def __init__(self, tensors: Any) -> None:
        element = structure.normalize(tensors)
        self._flat = tuple(_snapshot(t._value) for t in structure.flatten(element))
        self._spec = structure.spec_of(element)

    def _iter_flat(self) -> Iterator[Flat]:
        yield self._flat

    def _cardinality(self) -> int:
        return 1


class _RangeDataset(Dataset):
    _tf_name = "_RangeDataset"

    def __init__(self, *args: Any, dtype: Any = dtypes.int64) -> None:
        bounds = [0, *args] if len(args) == 1 else list(args)
        self._start: int = _int(bounds[0])
        self._stop = None if bounds[1] is None else _int(bounds[1])  # None: counting forever
        self._step: int = _int(bounds[2]) if len(bounds) > 2 else 1
        if self._step == 0:
            raise InvalidArgumentError("step must be a non-zero integer. [Op:RangeDataset] name: ")
        self._dtype = dtypes.as_dtype(dtype)
        self._np = self._dtype.as_numpy_dtype
        self._spec = TensorSpec([], self._dtype)

    def _element(self, i: int) -> Flat:
        return (self._np(self._start + i * self._step),)

    def _gather(self, indices: list[int]) -> Flat:
        return ((self._start + np.asarray(indices) * self._step).astype(self._np),)

    def _iter_flat(self) -> Iterator[Flat]:
        return map(self._element, self._indices())

    def _indices(self) -> Iterator[int]:
        if self._stop is None:
            return itertools.count()
        return iter(range(self._cardinality()))

    def _index_plan(self) -> IndexPlan:
        return self, self._indices

    def _cardinality(self) -> int:
        stop = self._stop
        if stop is None:
            return INFINITE_CARDINALITY
        return max(0, math.ceil((stop - self._start) / self._step))


class _GeneratorDataset(Dataset):
    _tf_name = "_FlatMapDataset"  # TF builds from_generator as a flat_map over a py_func

    def __init__(self, generator: Callable[..., Any], args: tuple[Any, ...], spec: Any) -> None:
        self._generator = generator
        self._args = args
        self._spec = spec

    def _iter_flat(self) -> Iterator[Flat]:
        spec = self._spec
        leaves = structure.flatten(spec)
        for value in self._generator(*self._args):
            parts = _flatten_up_to(spec, value)
            if parts is None:
                types = structure.map_specs(lambda s: _DTypeName(s.dtype), spec)
                raise _iterator_error(
                    "TypeError: `generator` yielded an element that did not match the expected "
                    f"structure. The expected structure was {types}, but the yielded element "
                    f"was {value!r}."
                )
            yield tuple(_generator_value(v, s) for v, s in zip(parts, leaves))


class _DTypeName:
    """Prints a dtype as TF's messages do (`tf.int32`)."""

    def __init__(self, dtype: dtypes.DType) -> None:
        self._name = dtype.name

    def __repr__(self) -> str:
        return f"tf.{self._name}"


def _generator_value(value: Any, spec: TensorSpec) -> Any:
    if spec.dtype == dtypes.string:
        arr = np.asarray(convert_to_tensor(value, dtypes.string)._value)
    else:
        arr = np.asarray(value).astype(spec.dtype.as_numpy_dtype)  # TF casts, 2.5 -> 2
    if not spec.shape.is_compatible_with(arr.shape):
        raise _iterator_error(
            f"TypeError: `generator` yielded an element of shape {TensorShape(arr.shape)} where "
            f"an element of shape {spec.shape} was expected."
        )
    return arr[()] if arr.ndim == 0 and arr.dtype != object else arr


class _ZipDataset(Dataset):
    _tf_name = "_ZipDataset"

    def __init__(self, datasets: Any) -> None:
        flat = nest.flatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(
                    "Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                    f"`tf.data.Dataset` objects. Python `list` is not supported and you should "
                    f"use `tuple` instead. Got {type(d).__name__}."
                )
        self._inputs: list[Dataset] = flat
        specs = [d._spec for d in flat]
        self._spec = (
            specs[0] if not nest.is_nested(datasets) else nest.pack_sequence_as(datasets, specs)
        )

    def _iter_flat(self) -> Iterator[Flat]:
        for parts in zip(*(d._iter_flat() for d in self._inputs)):
            yield sum(parts, ())

    def _cardinality(self) -> int:
        result = INFINITE_CARDINALITY
        for d in self._inputs:
            n = d._cardinality()
            if n == UNKNOWN_CARDINALITY:
                return UNKNOWN_CARDINALITY
            if n != INFINITE_CARDINALITY:
                result = n if result == INFINITE_CARDINALITY else min(result, n)
        return result


# ---------------------------------------------------------------------------------------------
# Transformations


class _UnaryDataset(Dataset):
    def __init__(self, input_dataset: Dataset) -> None:
        self._input = input_dataset
        self._spec = input_dataset._spec

    def _cardinality(self) -> int:
        return self._input._cardinality()


class _BatchDataset(_UnaryDataset):
    _tf_name = "_BatchDataset"

    def __init__(self, input_dataset: Dataset, batch_size: int, drop_remainder: bool) -> None:
        super().__init__(input_dataset)
        if batch_size <= 0:
            raise InvalidArgumentError(
                "Batch size must be greater than zero. [Op:BatchDatasetV2] name: "
            )
        self._size = batch_size
        self._drop = drop_remainder
        outer = TensorShape([batch_size if drop_remainder else None])
        self._spec = structure.map_specs(
            lambda s: TensorSpec(outer + s.shape, s.dtype), input_dataset._spec
        )

    def _chunks(self, it: Iterator[Any]) -> Iterator[list[Any]]:
        while True:
            chunk = list(itertools.islice(it, self._size))
            if not chunk or (self._drop and len(chunk) < self._size):
                return
            yield chunk

    def _iter_flat(self) -> Iterator[Flat]:
        plan = self._input._index_plan()
        if plan is not None:
            source, make_indices = plan
            return map(source._gather, self._chunks(make_indices()))
        return map(_stack, self._chunks(self._input._iter_flat()))

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _stack(chunk: list[Flat]) -> Flat:
    out = []
    for i, parts in enumerate(zip(*chunk)):
        first = np.shape(parts[0])
        for k, p in enumerate(parts):
            shape = np.shape(p)
            if shape != first:
                if math.prod(shape) != math.prod(first):
                    raise _iterator_error(
                        "Cannot add tensor to the batch: number of elements does not match. "
                        f"Shapes are: [tensor]: {_shape_text(first)}, [batch]: "
                        f"{_shape_text(shape)}"
                    )
                raise _iterator_error(
                    f"Cannot batch tensors with different shapes in component {i}. First "
                    f"element had shape {_shape_text(first)} and element {k} had shape "
                    f"{_shape_text(shape)}."
                )
        out.append(np.stack(parts))
    return tuple(out)


class _PaddedBatchDataset(_BatchDataset):
    _tf_name = "_PaddedBatchDataset"

    def __init__(
        self,
        input_dataset: Dataset,
        batch_size: int,
        padded_shapes: Any,
        padding_values: Any,
        drop_remainder: bool,
    ) -> None:
        super().__init__(input_dataset, batch_size, drop_remainder)
        specs = structure.flatten(input_dataset._spec)
        if padded_shapes is None:
            shapes = [s.shape for s in specs]
        else:
            parts = _flatten_up_to(input_dataset._spec, padded_shapes)
            if parts is None:
                raise ValueError("`padded_shapes` must have the structure of the elements")
            shapes = [TensorShape(p) for p in parts]
        if padding_values is None:
            values = [b"" if s.dtype == dtypes.string else 0 for s in specs]
        elif isinstance(input_dataset._spec, TensorSpec) or not nest.is_nested(padding_values):
            values = [padding_values] * len(specs)
        else:
            values = nest.flatten(padding_values)
        self._shapes = shapes
        self._values = [np.asarray(getattr(v, "_value", v)) for v in values]
        outer = TensorShape([batch_size if drop_remainder else None])
        batched = [TensorSpec(outer + sh, s.dtype) for sh, s in zip(shapes, specs)]
        spec = input_dataset._spec
        self._spec = (
            batched[0] if isinstance(spec, TensorSpec) else nest.pack_sequence_as(spec, batched)
        )

    def _iter_flat(self) -> Iterator[Flat]:
        return map(self._pad, self._chunks(self._input._iter_flat()))

    def _pad(self, chunk: list[Flat]) -> Flat:
        out = []
        for parts, shape, value in zip(zip(*chunk), self._shapes, self._values):
            arrays = [np.asarray(p) for p in parts]
            biggest = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else []
            target = [int(b) if d is None else d for d, b in zip(shape, biggest)]
            for a in arrays:
                if any(n > t for n, t in zip(a.shape, target)):
                    raise _iterator_error(
                        f"Attempted to pad to a smaller size than the input element. "
                        f"Padded shape: {_shape_text(tuple(target))}, element shape: "
                        f"{_shape_text(a.shape)}"
                    )
            batch = np.full([len(arrays), *target], value, dtype=arrays[0].dtype)
            for k, a in enumerate(arrays):
                batch[k][tuple(slice(0, n) for n in a.shape)] = a
            out.append(batch)
        return tuple(out)


class _UnbatchDataset(_UnaryDataset):
    _tf_name = "_UnbatchDataset"

    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        specs = structure.flatten(input_dataset._spec)
        if any(s.shape.rank == 0 for s in specs):
            raise ValueError("Cannot unbatch an input with scalar components.")
        known = {s.shape[0] for s in specs if s.shape.rank is not None} - {None}
        if len(known) > 1:
            a, b = sorted(known)[:2]
            raise ValueError(
                "`unbatch()` is only supported for datasets of elements whose components have a "
                f"matching leading dimension. Encountered both {a} and {b}."
            )
        self._rows = known.pop() if len(known) == 1 else None
        self._spec = structure.map_specs(
            lambda s: TensorSpec(s.shape[1:], s.dtype), input_dataset._spec
        )

    def _iter_flat(self) -> Iterator[Flat]:
        for flat in self._input._iter_flat():
            for i in range(len(flat[0])):
                yield tuple(_row(a, i) for a in flat)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._rows is None:
            return UNKNOWN_CARDINALITY
        return n if n < 0 else n * self._rows


def _shuffled(it: Iterator[Any], buffer_size: int, rng: np.random.Generator) -> Iterator[Any]:
    """TF's shuffle: fill a buffer, then emit a random slot of it and refill that slot."""
    buffer = list(itertools.islice(it, buffer_size))
    # uniform draws in blocks: one NumPy call per element would dominate the cost
    uniforms = (u for _ in itertools.count() for u in rng.random(1024).tolist())
    for item in it:
        j = int(next(uniforms) * len(buffer))
        yield buffer[j]
        buffer[j] = item
    rng.shuffle(buffer)  # the input is exhausted: what is left comes out in random order
    yield from buffer


class _ShuffleDataset(_UnaryDataset):
    _tf_name = "_ShuffleDataset"

    def __init__(
        self, input_dataset: Dataset, buffer_size: int, seed: int | None, reshuffle: bool
    ) -> None:
        super().__init__(input_dataset)
        if buffer_size <= 0 and buffer_size != UNKNOWN_CARDINALITY:
            raise InvalidArgumentError(
                "buffer_size must be greater than zero or UNKNOWN_CARDINALITY "
                "[Op:ShuffleDatasetV3] name: "
            )
        # UNKNOWN_CARDINALITY: a buffer as big as the dataset
        self._size = buffer_size if buffer_size > 0 else np.iinfo(np.int64).max
        # TF's seeding rules: an op seed or a global seed makes the orders repeatable
        global_seed = _random.get_global_seed()
        if seed is not None:
            g = _random._DEFAULT_GLOBAL_SEED if global_seed is None else global_seed
            self._seed: list[int] = [g, int(seed)]
        elif global_seed is not None:
            self._seed = [global_seed, int(_random.generator(None).integers(2**31))]
        else:
            self._seed = [int(np.random.SeedSequence().entropy)]  # type: ignore[arg-type]
        self._reshuffle = reshuffle
        self._epoch = 0

    def _rng(self) -> np.random.Generator:
        """The generator of the next epoch: a new order per epoch unless reshuffling is off."""
        epoch = self._epoch if self._reshuffle else 0
        self._epoch += 1
        return np.random.default_rng([*self._seed, epoch])

    def _iter_flat(self) -> Iterator[Flat]:
        return _shuffled(self._input._iter_flat(), self._size, self._rng())

    def _index_plan(self) -> IndexPlan | None:
        plan = self._input._index_plan()
        if plan is None:
            return None
        source, make_indices = plan
        return source, lambda: _shuffled(make_indices(), self._size, self._rng())


class _MapDataset(_UnaryDataset):
    _tf_name = "_MapDataset"

    def __init__(self, input_dataset: Dataset, fn: Callable[..., Any], parallel: bool) -> None:
        super().__init__(input_dataset)
        if parallel:
            self._tf_name = "_ParallelMapDataset"
        self._fn = fn
        # TF traces `fn` once to learn its output's structure, dtypes and static shapes; this
        # calls it on two stand-in elements instead (see structure.probe_values)
        specs = []
        for fill in (1, 2):
            probe = tuple(structure.probe_values(input_dataset._spec, fill))
            out = structure.normalize_fn_output(_call(fn, input_dataset._spec, probe))
            specs.append(structure.spec_of(out))
        self._spec = structure.merge_probe_specs(*specs)

    def _iter_flat(self) -> Iterator[Flat]:
        fn, spec = self._fn, self._input._spec
        for flat in self._input._iter_flat():
            out = structure.normalize_fn_output(_call(fn, spec, flat))
            yield tuple(t._value for t in structure.flatten(out))


class _FilterDataset(_UnaryDataset):
    _tf_name = "_FilterDataset"

    def __init__(self, input_dataset: Dataset, predicate: Callable[..., Any]) -> None:
        super().__init__(input_dataset)
        self._predicate = predicate
        # TF checks the predicate's output type when it traces it, before any element is read
        self._check(_call(predicate, self._spec, tuple(structure.probe_values(self._spec, 1))))

    @staticmethod
    def _check(result: Any) -> Any:
        out = structure.normalize_fn_output(result)
        if not isinstance(out, Tensor) or out.dtype != dtypes.bool or out.shape.rank != 0:
            raise ValueError(
                "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its "
                f"return type is {structure.spec_of(out)!r}."
            )
        return out._value

    def _iter_flat(self) -> Iterator[Flat]:
        predicate, spec = self._predicate, self._spec
        for flat in self._input._iter_flat():
            if self._check(_call(predicate, spec, flat)):
                yield flat

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY  # TF's, even for an infinite input


class _RepeatDataset(_UnaryDataset):
    _tf_name = "_RepeatDataset"

    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        self._count = count

    def _epochs(self, make: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        epoch = 0
        while self._count < 0 or epoch < self._count:
            empty = True
            for item in make():
                empty = False
                yield item
            if empty:  # as TF: repeating an empty dataset ends instead of spinning forever
                return
            epoch += 1

    def _iter_flat(self) -> Iterator[Flat]:
        return self._epochs(self._input._iter_flat)

    def _index_plan(self) -> IndexPlan | None:
        plan = self._input._index_plan()
        if plan is None:
            return None
        source, make_indices = plan
        return source, lambda: self._epochs(make_indices)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return 0 if n == 0 else INFINITE_CARDINALITY
        if self._count == 0 or n < 0:
            return 0 if self._count == 0 else n
        return n * self._count


class _TakeDataset(_UnaryDataset):
    _tf_name = "_TakeDataset"

    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        self._count = count

    def _limit(self, it: Iterator[Any]) -> Iterator[Any]:
        return it if self._count < 0 else itertools.islice(it, self._count)

    def _iter_flat(self) -> Iterator[Flat]:
        return self._limit(self._input._iter_flat())

    def _index_plan(self) -> IndexPlan | None:
        plan = self._input._index_plan()
        if plan is None:
            return None
        source, make_indices = plan
        return source, lambda: self._limit(make_indices())

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0 or n == UNKNOWN_CARDINALITY:
            return n
        return self._count if n == INFINITE_CARDINALITY else min(n, self._count)


class _SkipDataset(_UnaryDataset):
    _tf_name = "_SkipDataset"

    def __init__(self, input_dataset: Dataset, count: int) -> None:
        super().__init__(input_dataset)
        self._count = count

    def _skip(self, it: Iterator[Any]) -> Iterator[Any]:
        if self._count < 0:  # TF: a negative count skips everything
            for _ in it:
                pass
            return iter(())
        return itertools.islice(it, self._count, None)

    def _iter_flat(self) -> Iterator[Flat]:
        return self._skip(self._input._iter_flat())

    def _index_plan(self) -> IndexPlan | None:
        plan = self._input._index_plan()
        if plan is None:
            return None
        source, make_indices = plan
        return source, lambda: self._skip(make_indices())

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(0, n - self._count)


class _PrefetchDataset(_UnaryDataset):
    _tf_name = "_PrefetchDataset"

    def _iter_flat(self) -> Iterator[Flat]:
        return self._input._iter_flat()

    def _index_plan(self) -> IndexPlan | None:
        return self._input._index_plan()


class _CacheDataset(_UnaryDataset):
    _tf_name = "CacheDataset"

    def __init__(self, input_dataset: Dataset) -> None:
        super().__init__(input_dataset)
        self._cache: list[Flat] | None = None

    def _iter_flat(self) -> Iterator[Flat]:
        if self._cache is not None:
            yield from self._cache
            return
        seen = []
        for flat in self._input._iter_flat():
            seen.append(flat)
            yield flat
        self._cache = seen  # only a completed pass is kept, as TF discards a partial cache


class _ConcatenateDataset(Dataset):
    _tf_name = "_ConcatenateDataset"

    def __init__(self, first: Dataset, second: Dataset) -> None:
        a, b = first._spec, second._spec
        if not structure.same_structure(a, b) or any(
            x.dtype != y.dtype for x, y in zip(structure.flatten(a), structure.flatten(b))
        ):
            raise TypeError(f"Incompatible dataset elements:\n  {a!r} vs.   {b!r}")
        self._inputs = (first, second)
        merged = [
            TensorSpec(structure.most_specific_compatible_shape(x.shape, y.shape), x.dtype)
            for x, y in zip(structure.flatten(a), structure.flatten(b))
        ]
        self._spec = merged[0] if isinstance(a, TensorSpec) else nest.pack_sequence_as(a, merged)

    def _iter_flat(self) -> Iterator[Flat]:
        for d in self._inputs:
            yield from d._iter_flat()

    def _cardinality(self) -> int:
        n1, n2 = (d._cardinality() for d in self._inputs)
        if INFINITE_CARDINALITY in (n1, n2):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (n1, n2):
            return UNKNOWN_CARDINALITY
        return n1 + n2
