"""tf.RaggedTensor and tf.ragged: tensors whose rows have different lengths, as TF 2.21 has them.

A RaggedTensor is `values` (a Tensor, or another RaggedTensor for more ragged dimensions) cut
into rows by `row_splits`: row i is `values[row_splits[i]:row_splits[i + 1]]`. Everything an op
does to the elements it does to `flat_values`, the innermost dense Tensor, and the row
partitions go along unchanged; so arithmetic records on tapes like any dense op, but ragged
reductions, indexing and `to_tensor` are computed in NumPy and carry no gradients.

Printing follows TF: `repr` and `str` are `<tf.RaggedTensor ...>` with the value formatted by
NumPy from `numpy()`'s nested object arrays, exactly as TF builds it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.ops import logic
from tapeflow.ops import math as m
from tapeflow.ops import reduce as dense_reduce
from tapeflow.ops.array import expand_dims
from tapeflow.ops.constructors import ones_like
from tapeflow.ops.debugging import assert_equal
from tapeflow.ops.indexing import gather, unsorted_segment_sum
from tapeflow.tape import add
from tapeflow.tensor import (
    DEVICE,
    Tensor,
    TensorShape,
    _wrap,
    convert_to_tensor,
    register_tensor_conversion_function,
)
from tapeflow.tensor import (
    constant as dense_constant,
)

__all__ = ["RaggedTensor", "constant", "map_flat_values"]


def kernel_error(op_type: str, message: str, name: str | None = None) -> InvalidArgumentError:
    """An InvalidArgumentError worded as TF's eager kernels word theirs, without the
    `{{function_node ...}}` prefix naming TF's graph node and device, as everywhere in tapeflow
    (`name` is added by the Python wrappers that pass one)."""
    text = f"{message} [Op:{op_type}]"
    return InvalidArgumentError(text if name is None else f"{text} name: {name}")


def _int_vector(value: Any, dtype: Any) -> Tensor:
    t = value if isinstance(value, Tensor) else dense_constant(value, dtype=dtype)
    return t if t.dtype == dtype else m.cast(t, dtype)


def _condition_failed(prefix: str, x: np.ndarray) -> InvalidArgumentError:
    """TF's message for a failed `assert_non_negative` on a row partition."""
    return InvalidArgumentError(
        f"{prefix}.  \nCondition x >= 0 did not hold element-wise:\n"
        f"x (shape={x.shape} dtype={dtypes.from_numpy(x.dtype).name}) = \n"
        f"{[str(v) for v in x.tolist()]}"
    )


def _check_nvals(splits: np.ndarray, nvals: int) -> None:
    if splits[-1] != nvals:
        raise InvalidArgumentError(
            "Arguments to _from_row_partition do not form a valid RaggedTensor\n"
            f"Condition x == y did not hold.\nFirst 1 elements of x:\n[{splits[-1]}]\n"
            f"First 1 elements of y:\n[{nvals}]"
        )


def _nvals(values: Any) -> int:
    return values.nrows_int() if isinstance(values, RaggedTensor) else int(values.shape[0])


def _values_of(values: Any) -> Any:
    return values if isinstance(values, RaggedTensor) else convert_to_tensor(values)


class RaggedTensor:
    """A tensor with rows of different lengths: `values` cut into rows at `row_splits`.

    >>> import tapeflow as tf
    >>> rt = tf.ragged.constant([[1, 2], [3]])
    >>> rt.shape, rt.row_lengths().numpy().tolist(), rt.to_list()
    (TensorShape([2, None]), [2, 1], [[1, 2], [3]])
    """

    __slots__ = ("_values", "_row_splits", "__weakref__")

    def __init__(self, values: Any, row_splits: Any, internal: bool = False) -> None:
        if not internal:
            raise ValueError(
                "RaggedTensor constructor is private; please use one of the factory methods "
                "instead (e.g., RaggedTensor.from_row_lengths())"
            )
        self._values = values
        self._row_splits = row_splits

    # -- factories --------------------------------------------------------------------------

    @classmethod
    def from_row_splits(
        cls, values: Any, row_splits: Any, name: str | None = None, validate: bool = True
    ) -> RaggedTensor:
        """Row i is `values[row_splits[i]:row_splits[i + 1]]`."""
        values = _values_of(values)
        splits = _int_vector(row_splits, dtypes.int64)
        if validate:
            s = np.asarray(splits._value)
            if s.size == 0 or s[0] != 0:
                first = "[]" if s.size == 0 else f"[{s[0]}]"
                raise InvalidArgumentError(
                    "Arguments to from_row_splits do not form a valid RaggedTensor:zero\n"
                    f"Condition x == y did not hold.\nFirst 1 elements of x:\n{first}\n"
                    "First 1 elements of y:\n[0]"
                )
            if np.any(np.diff(s) < 0):
                raise _condition_failed(
                    "Arguments to from_row_splits do not form a valid RaggedTensor:monotonic",
                    np.diff(s),
                )
            _check_nvals(s, _nvals(values))
        return cls(values, splits, internal=True)

    @classmethod
    def from_row_lengths(
        cls, values: Any, row_lengths: Any, name: str | None = None, validate: bool = True
    ) -> RaggedTensor:
        """Row i has the next `row_lengths[i]` values."""
        values = _values_of(values)
        lengths = _int_vector(row_lengths, dtypes.int64)
        n = np.asarray(lengths._value)
        if validate and np.any(n < 0):
            raise _condition_failed(
                "Arguments to from_row_lengths do not form a valid RowPartition", n
            )
        s = np.concatenate([[0], np.cumsum(n)]).astype(n.dtype)
        if validate:
            _check_nvals(s, _nvals(values))
        return cls(values, _wrap(s), internal=True)

    @classmethod
    def from_value_rowids(
        cls,
        values: Any,
        value_rowids: Any,
        nrows: Any = None,
        name: str | None = None,
        validate: bool = True,
    ) -> RaggedTensor:
        """Value j goes to row `value_rowids[j]` (sorted); `nrows` adds empty rows at the end."""
        values = _values_of(values)
        ids = np.asarray(_int_vector(value_rowids, dtypes.int64)._value)
        if validate and np.any(np.diff(ids) < 0):
            raise _condition_failed(
                "Arguments to from_value_rowids do not form a valid RowPartition", np.diff(ids)
            )
        n = (int(ids[-1]) + 1 if ids.size else 0) if nrows is None else int(nrows)
        counts = np.bincount(ids, minlength=n)[:n] if ids.size else np.zeros(n, np.int64)
        s = np.concatenate([[0], np.cumsum(counts)]).astype(ids.dtype)
        if validate:
            _check_nvals(s, _nvals(values))
        return cls(values, _wrap(s), internal=True)

    @classmethod
    def from_nested_row_splits(
        cls,
        flat_values: Any,
        nested_row_splits: Any,
        name: str | None = None,
        validate: bool = True,
    ) -> RaggedTensor:
        result = flat_values
        for splits in reversed(list(nested_row_splits)):
            result = cls.from_row_splits(result, splits, validate=validate)
        return result

    @classmethod
    def from_nested_row_lengths(
        cls,
        flat_values: Any,
        nested_row_lengths: Any,
        name: str | None = None,
        validate: bool = True,
    ) -> RaggedTensor:
        result = flat_values
        for lengths in reversed(list(nested_row_lengths)):
            result = cls.from_row_lengths(result, lengths, validate=validate)
        return result

    @classmethod
    def from_tensor(
        cls,
        tensor: Any,
        lengths: Any = None,
        padding: Any = None,
        ragged_rank: int = 1,
        name: str | None = None,
        row_splits_dtype: Any = dtypes.int64,
    ) -> RaggedTensor:
        """The rows of a dense tensor, each cut at `lengths[i]`, or before trailing `padding`."""
        tensor = convert_to_tensor(tensor)
        if tensor.ndim < 2:
            raise ValueError(
                "The rank of a RaggedTensor must be greater than 1, i.e., a list of scalars "
                f"won't have ragged dimensions. Received argument `tensor` with rank "
                f"{tensor.ndim}."
            )
        if lengths is not None and padding is not None:
            raise ValueError("Specify argument `lengths` or `padding`, but not both.")
        splits_dtype = dtypes.as_dtype(row_splits_dtype)
        arr = np.asarray(tensor._value)
        n, width = arr.shape[0], arr.shape[1]
        if ragged_rank > 1:
            if lengths is not None or padding is not None:
                raise ValueError("tapeflow: `lengths` and `padding` need ragged_rank=1.")
            inner = cls.from_tensor(
                _wrap(arr.reshape((n * width, *arr.shape[2:]))),
                ragged_rank=ragged_rank - 1,
                row_splits_dtype=splits_dtype,
            )
            splits = np.arange(0, n * width + 1, max(width, 1))[: n + 1]
            return cls(inner, _wrap(splits.astype(splits_dtype._np)), internal=True)
        if lengths is not None:
            row_lengths = np.minimum(np.asarray(convert_to_tensor(lengths)._value), width)
        elif padding is not None:
            pad = np.asarray(convert_to_tensor(padding, dtype=tensor.dtype)._value)
            is_pad = (arr == pad).reshape(n, width, -1).all(axis=2)
            # a row ends after its last entry that is not padding
            kept = ~is_pad
            row_lengths = np.where(kept.any(axis=1), width - np.argmax(kept[:, ::-1], axis=1), 0)
        else:
            row_lengths = np.full(n, width)
        keep = np.arange(width)[None, :] < row_lengths[:, None]
        splits = np.concatenate([[0], np.cumsum(row_lengths)]).astype(splits_dtype._np)
        return cls(_wrap(arr[keep]), _wrap(splits), internal=True)

    # -- structure --------------------------------------------------------------------------

    @property
    def values(self) -> Any:
        return self._values

    @property
    def flat_values(self) -> Tensor:
        values = self._values
        while isinstance(values, RaggedTensor):
            values = values._values
        return values

    @property
    def row_splits(self) -> Tensor:
        return self._row_splits

    @property
    def nested_row_splits(self) -> tuple[Tensor, ...]:
        out: list[Tensor] = []
        rt: Any = self
        while isinstance(rt, RaggedTensor):
            out.append(rt._row_splits)
            rt = rt._values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        values = self._values
        return 1 + values.ragged_rank if isinstance(values, RaggedTensor) else 1

    @property
    def dtype(self) -> Any:
        return self.flat_values.dtype

    @property
    def row_splits_dtype(self) -> Any:
        return self._row_splits.dtype

    @property
    def uniform_row_length(self) -> None:
        return None  # tapeflow keeps no uniform row lengths: every ragged dimension is None

    @property
    def shape(self) -> TensorShape:
        inner = self.flat_values.shape.as_list()[1:]
        return TensorShape([self.nrows_int()] + [None] * self.ragged_rank + inner)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def device(self) -> str:
        return DEVICE

    def _splits(self) -> np.ndarray:
        return np.asarray(self._row_splits._value)

    def nrows_int(self) -> int:
        return len(self._splits()) - 1

    def nrows(self, out_type: Any = None, name: str | None = None) -> Tensor:
        dtype = self.row_splits_dtype if out_type is None else dtypes.as_dtype(out_type)
        return _wrap(dtype._np.type(self.nrows_int()))

    def row_lengths(self, axis: int = 1, name: str | None = None) -> Any:
        if axis != 1:
            return self.with_values(self._values.row_lengths(axis - 1))
        return _wrap(np.diff(self._splits()))

    def row_starts(self, name: str | None = None) -> Tensor:
        return _wrap(self._splits()[:-1].copy())

    def row_limits(self, name: str | None = None) -> Tensor:
        return _wrap(self._splits()[1:].copy())

    def value_rowids(self, name: str | None = None) -> Tensor:
        s = self._splits()
        return _wrap(np.repeat(np.arange(len(s) - 1, dtype=s.dtype), np.diff(s)))

    def bounding_shape(
        self, axis: Any = None, name: str | None = None, out_type: Any = None
    ) -> Any:
        dims = list(self.to_tensor().shape)
        dtype = self.row_splits_dtype if out_type is None else dtypes.as_dtype(out_type)
        out = np.asarray(dims, dtype=dtype._np)
        return _wrap(out if axis is None else out[axis])

    def with_values(self, new_values: Any) -> RaggedTensor:
        return RaggedTensor(_values_of(new_values), self._row_splits, internal=True)

    def with_flat_values(self, new_values: Any) -> RaggedTensor:
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    # -- conversion -------------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """Rows as NumPy arrays in a 1-D object array (or one array if all rows are as long).

        TF's own construction, which its printing depends on.
        """
        values = self._values.numpy()
        splits = self._splits()
        rows = [values[splits[i] : splits[i + 1]] for i in range(len(splits) - 1)]
        if not rows:
            return np.zeros((0, 0, *values.shape[1:]), dtype=values.dtype)
        has_variable_length_rows = any(len(row) != len(rows[0]) for row in rows)
        return np.array(rows, dtype=np.object_ if has_variable_length_rows else None)

    def to_list(self) -> list[Any]:
        splits = self._splits().tolist()
        values = self._values.to_list() if isinstance(self._values, RaggedTensor) else None
        if values is None:
            values = self._values.numpy().tolist()
        return [values[splits[i] : splits[i + 1]] for i in range(len(splits) - 1)]

    def to_tensor(
        self, default_value: Any = None, name: str | None = None, shape: Any = None
    ) -> Tensor:
        """A dense tensor: rows padded with `default_value` (zero) to the longest, or to `shape`."""
        inner = self._values
        dense = np.asarray(
            inner.to_tensor(default_value)._value
            if isinstance(inner, RaggedTensor)
            else inner._value
        )
        splits = self._splits()
        lengths = np.diff(splits)
        nrows = len(lengths)
        width = int(lengths.max()) if nrows else 0
        out_shape = [nrows, width, *dense.shape[1:]]
        if shape is not None:
            for i, d in enumerate(TensorShape(shape).as_list()):
                if d is not None:
                    out_shape[i] = d
        fill: Any = b"" if dense.dtype == object else 0
        if default_value is not None:
            fill = np.asarray(convert_to_tensor(default_value, dtype=self.dtype)._value)
        out = np.empty(out_shape, dtype=dense.dtype)
        out[...] = fill
        rowids = np.repeat(np.arange(nrows), lengths)
        cols = np.arange(len(rowids)) - splits[:-1][rowids]
        inner_shape = tuple(min(a, b) for a, b in zip(out_shape[2:], dense.shape[1:]))
        keep = (rowids < out_shape[0]) & (cols < out_shape[1])
        inner_slices = tuple(slice(0, d) for d in inner_shape)
        source, target = (keep, *inner_slices), (rowids[keep], cols[keep], *inner_slices)
        out[target] = dense[source]
        return _wrap(out)

    # -- printing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        # TF's: NumPy's printing of numpy(), every nested array printed with ", " separators
        with np.printoptions(formatter={"all": _formatter}):
            value_text = _formatter(self.numpy())
        return f"<tf.RaggedTensor {value_text}>"

    def __bool__(self) -> bool:
        raise TypeError("RaggedTensor may not be used as a boolean.")

    def __hash__(self) -> int:
        raise TypeError("RaggedTensor is unhashable.")

    # -- indexing ---------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        """Rows by int or slice; later keys index inside the rows (never into a ragged axis)."""
        if not isinstance(key, tuple):
            key = (key,)
        if not key:
            return self
        first, rest = key[0], key[1:]
        if first is Ellipsis:
            if rest:
                raise ValueError("tapeflow: only a trailing `...` is supported on a RaggedTensor.")
            return self
        if isinstance(first, slice):
            rows = np.arange(self.nrows_int())[first]
            result = _take_rows(self, rows)
            if not rest:
                return result
            inner = result._values
            if rest[0] != slice(None) and not isinstance(inner, RaggedTensor):
                # a slice of the ragged axis: each row sliced alone
                return _slice_each_row(result, rest[0], rest[1:])
            if rest[0] != slice(None):
                raise ValueError("Cannot index into an inner ragged dimension.")
            inner_key = (slice(None), *rest[1:])
            return result.with_values(inner[inner_key])
        i = operator.index(first)
        n = self.nrows_int()
        if i >= n:
            raise IndexError(f"Row key {i} out of bounds")
        if i < -n:
            raise kernel_error(
                "StridedSlice",
                f"slice index {i + n} of dimension 0 out of bounds.",
                "strided_slice/",
            )
        i %= n
        s = self._splits()
        start, stop = int(s[i]), int(s[i + 1])
        row = (
            _take_rows(self._values, np.arange(start, stop))
            if isinstance(self._values, RaggedTensor)
            else self._values[start:stop]
        )
        return row[rest] if rest else row

    # -- arithmetic -------------------------------------------------------------------------

    def __neg__(self) -> RaggedTensor:
        return self.with_flat_values(m.negative(self.flat_values))

    def __abs__(self) -> RaggedTensor:
        return self.with_flat_values(m.abs(self.flat_values))

    def __invert__(self) -> RaggedTensor:
        flat: Any = self.flat_values  # Tensor's operators are attached at import
        return self.with_flat_values(~flat)


def _formatter(x: Any) -> str:
    """TF's ragged_tensor._formatter: arrays with ", " separators, anything else as str()."""
    if isinstance(x, np.ndarray):
        if x.size != 0:
            return np.array2string(x, separator=", ")
        return repr(x.tolist())  # [[], [], []] rather than NumPy's []
    return str(x)


def _take_rows(rt: RaggedTensor, rows: np.ndarray) -> RaggedTensor:
    """The RaggedTensor of rows `rows` of `rt`, in that order."""
    s = rt._splits()
    starts, lengths = s[rows], s[rows + 1] - s[rows]
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(s.dtype)
    index = np.arange(splits[-1], dtype=np.int64) + np.repeat(starts - splits[:-1], lengths)
    if isinstance(rt._values, RaggedTensor):
        values: Any = _take_rows(rt._values, index)
    else:
        values = gather(rt._values, index)
    return RaggedTensor(values, _wrap(splits), internal=True)


def _slice_each_row(rt: RaggedTensor, key: Any, rest: tuple[Any, ...]) -> RaggedTensor:
    if not isinstance(key, slice):
        raise ValueError("Cannot index into an inner ragged dimension.")
    s = rt._splits()
    index = [np.arange(s[i], s[i + 1])[key] for i in range(len(s) - 1)]
    lengths = np.array([len(ix) for ix in index], dtype=s.dtype)
    flat = np.concatenate(index) if index else np.zeros(0, np.int64)
    values: Any = gather(rt._values, flat.astype(np.int64))
    if rest:
        row_key = (slice(None), *rest)
        values = values[row_key]
    return RaggedTensor.from_row_lengths(values, lengths, validate=False)


def _ragged_args(args: Any) -> list[RaggedTensor]:
    return [a for a in args if isinstance(a, RaggedTensor)]


def _check_same_partitions(ragged: list[RaggedTensor]) -> None:
    first = ragged[0]
    for other in ragged[1:]:
        if other.ragged_rank != first.ragged_rank:
            raise ValueError("tapeflow: RaggedTensors of different ragged_rank do not combine.")
        for a, b in zip(first.nested_row_splits, other.nested_row_splits):
            if a.shape != b.shape:
                raise InvalidArgumentError(
                    "Inputs must have identical ragged splits. "
                    f"Input 0: {a.numpy().tolist()}, input 1: {b.numpy().tolist()}"
                )
            assert_equal(a, b)


def _binary(fn: Callable[[Any, Any], Any], x: Any, y: Any) -> RaggedTensor:
    """fn on the flat values of a RaggedTensor and another, or a dense value broadcast to rows."""
    ragged = _ragged_args((x, y))
    if len(ragged) == 2:
        _check_same_partitions(ragged)
        return x.with_flat_values(fn(x.flat_values, y.flat_values))
    rt = ragged[0]
    other = y if rt is x else x
    dense: Any = convert_to_tensor(other) if not isinstance(other, (int, float, bool)) else other
    flat = rt.flat_values
    if type(dense) is not Tensor or dense.ndim < flat.ndim:
        pass  # broadcasts against the uniform inner dimensions only
    elif rt.ragged_rank == 1 and dense.ndim == flat.ndim + 1 and dense.shape[1] == 1:
        # one value per row (shape [nrows or 1, 1, ...]): spread along each row
        column = dense[:, 0]  # type: ignore[index]  # __getitem__ comes from ops.operators
        rowids: Any = rt.value_rowids()
        dense = gather(column, rowids if dense.shape[0] != 1 else rowids * 0)
    else:
        raise ValueError(
            f"tapeflow: a RaggedTensor of shape {rt.shape} combines with a scalar, a tensor "
            f"of its uniform inner dimensions, or one value per row; got shape {dense.shape}."
        )
    out = fn(flat, dense) if rt is x else fn(dense, flat)
    return rt.with_flat_values(out)


def _install_operators() -> None:
    ops: dict[str, Any] = {
        "add": add,
        "sub": m.subtract,
        "mul": m.multiply,
        "truediv": m.truediv,
        "floordiv": m.floordiv,
        "mod": m.floormod,
        "pow": m.pow,
        "and": logic.logical_and,
        "or": logic.logical_or,
    }
    for name, fn in ops.items():
        setattr(RaggedTensor, f"__{name}__", lambda x, y, fn=fn: _binary(fn, x, y))
        setattr(RaggedTensor, f"__r{name}__", lambda x, y, fn=fn: _binary(fn, y, x))
    for name, fn in {
        "eq": logic.equal,
        "ne": logic.not_equal,
        "lt": logic.less,
        "le": logic.less_equal,
        "gt": logic.greater,
        "ge": logic.greater_equal,
    }.items():
        setattr(RaggedTensor, f"__{name}__", lambda x, y, fn=fn: _binary(fn, x, y))


_install_operators()


def _unconvertible(value: RaggedTensor) -> Tensor:
    # TF's words: its eager conversion calls len() on the RaggedTensor and reports that
    raise ValueError("TypeError: object of type 'RaggedTensor' has no len()\n")


register_tensor_conversion_function(RaggedTensor, _unconvertible)


# ---------------------------------------------------------------------------------------------
# tf.ragged


def map_flat_values(op: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`op` applied to the flat values of every RaggedTensor argument; the rows stay as they are.

    >>> import tapeflow as tf
    >>> tf.ragged.map_flat_values(tf.multiply, tf.ragged.constant([[1], [2, 3]]), 10).to_list()
    [[10], [20, 30]]
    """
    ragged = _ragged_args(list(args) + list(kwargs.values()))
    if not ragged:
        return op(*args, **kwargs)
    sizes = {int(r.flat_values.shape[0]) for r in ragged}
    if len(sizes) > 1:
        raise ValueError(
            "Input RaggedTensors' flat_values must all have the same outer-dimension size.  "
            f"Got sizes: {sizes}"
        )
    _check_same_partitions(ragged)

    def flat(a: Any) -> Any:
        return a.flat_values if isinstance(a, RaggedTensor) else a

    out = op(*[flat(a) for a in args], **{k: flat(v) for k, v in kwargs.items()})
    return ragged[0].with_flat_values(out)


def _find_scalar_and_max_depth(pylist: Any) -> tuple[int | None, int]:
    """The nesting depth of the scalars in `pylist` (None if none) and its deepest list."""
    if isinstance(pylist, (list, tuple)) or np.ndim(pylist) != 0:
        scalar_depth = None
        max_depth = 1
        for child in pylist:
            child_scalar_depth, child_max_depth = _find_scalar_and_max_depth(child)
            if child_scalar_depth is not None:
                if scalar_depth is not None and scalar_depth != child_scalar_depth + 1:
                    raise ValueError("all scalar values must have the same nesting depth")
                scalar_depth = child_scalar_depth + 1
            max_depth = max(max_depth, child_max_depth + 1)
        return scalar_depth, max_depth
    return 0, 0


def _is_list(item: Any) -> bool:
    return isinstance(item, (list, tuple)) or np.ndim(item) != 0


def _default_inner_shape(pylist: Any, ragged_rank: int) -> tuple[int, ...]:
    """The uniform shape of the values below `ragged_rank` ragged dimensions."""
    flat = list(pylist)
    for dim in range(ragged_rank):
        if not all(_is_list(v) for v in flat):
            raise ValueError(
                f"pylist has scalar values depth {dim + 1}, but ragged_rank={ragged_rank} "
                f"requires scalar value depth greater than {ragged_rank}"
            )
        flat = functools.reduce(operator.iadd, (list(v) for v in flat), [])

    def shape_of(item: Any) -> tuple[int, ...]:
        if not _is_list(item):
            return ()
        return (len(item), *shape_of(item[0])) if len(item) else (0,)

    def check(item: Any, shape: tuple[int, ...]) -> None:
        if _is_list(item) != bool(shape) or (shape and shape[0] != len(item)):
            raise ValueError("inner values have inconsistent shape")
        for child in item if shape else ():
            check(child, shape[1:])

    shape = shape_of(flat)
    check(flat, shape)
    return shape[1:]


def constant(
    pylist: Any,
    dtype: Any = None,
    ragged_rank: int | None = None,
    inner_shape: tuple[int, ...] | None = None,
    name: str | None = None,
    row_splits_dtype: Any = dtypes.int64,
) -> Any:
    """A RaggedTensor from nested lists whose rows may differ in length (TF's algorithm).

    Scalars must all be nested equally deep, K levels; the result has rank K and, by default,
    ragged_rank K - 1. Values are typed as `tf.constant` types them.

    >>> import tapeflow as tf
    >>> print(tf.ragged.constant([[1, 2], [3]]))
    <tf.RaggedTensor [[1, 2], [3]]>
    """
    if isinstance(pylist, RaggedTensor):
        raise TypeError("pylist may not be a RaggedTensor or RaggedTensorValue.")
    if not isinstance(pylist, (list, tuple)) and np.ndim(pylist) == 0:
        if ragged_rank is not None and ragged_rank != 0:
            raise ValueError(
                f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank}"
            )
        return dense_constant(pylist, dtype)
    if ragged_rank is not None and ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank!r}: must be nonnegative")
    scalar_depth, max_depth = _find_scalar_and_max_depth(pylist)
    if scalar_depth is not None:
        if max_depth > scalar_depth:
            raise ValueError(
                f"Invalid pylist={pylist!r}: empty list nesting is greater than scalar value "
                "nesting"
            )
        if ragged_rank is not None and max_depth < ragged_rank:
            raise ValueError(
                f"Invalid pylist={pylist}, max depth smaller than ragged_rank={ragged_rank}"
            )
    if inner_shape is not None and ragged_rank is not None:
        expected = ragged_rank + len(inner_shape) + 1
        if (scalar_depth is not None and expected != scalar_depth) or (
            scalar_depth is None and expected < max_depth
        ):
            raise ValueError(
                f"Invalid pylist={pylist!r}: incompatible with ragged_rank={ragged_rank} and "
                f"dim(inner_shape)={len(inner_shape)}"
            )
    if ragged_rank == 0 or (
        ragged_rank is None
        and (max_depth < 2 or (inner_shape is not None and max_depth - len(inner_shape) < 2))
    ):
        return dense_constant(pylist, dtype, shape=inner_shape)
    if inner_shape is None:
        inner_shape = () if ragged_rank is None else _default_inner_shape(pylist, ragged_rank)
    if ragged_rank is None:
        depth = max_depth if scalar_depth is None else scalar_depth - len(inner_shape)
        ragged_rank = max(1, depth - 1)
    nested_splits = []
    values = pylist
    for _ in range(ragged_rank):
        splits = [0]
        concatenated: list[Any] = []
        for row in values:
            splits.append(splits[-1] + len(row))
            concatenated.extend(row)
        nested_splits.append(splits)
        values = concatenated
    result: Any = dense_constant(values, dtype, shape=(len(values), *tuple(inner_shape)))
    splits_dtype = dtypes.as_dtype(row_splits_dtype)
    for splits in reversed(nested_splits):
        result = RaggedTensor(
            result, _wrap(np.asarray(splits, dtype=splits_dtype._np)), internal=True
        )
    return result


# ---------------------------------------------------------------------------------------------
# Reductions that also take RaggedTensors (TF dispatches these ops on ragged inputs)


def _lowest(dtype: np.dtype) -> Any:
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype: np.dtype) -> Any:
    return np.finfo(dtype).max if dtype.kind == "f" else np.iinfo(dtype).max


# name -> (dense reduction, NumPy ufunc for segments, identity for empty rows)
_REDUCERS: dict[str, tuple[Any, Any, Callable[[np.dtype], Any]]] = {
    "sum": (dense_reduce.reduce_sum, np.add, lambda d: 0),
    "prod": (dense_reduce.reduce_prod, np.multiply, lambda d: 1),
    "max": (dense_reduce.reduce_max, np.maximum, _lowest),
    "min": (dense_reduce.reduce_min, np.minimum, _highest),
}


def _reduce_axis(kind: str, rt: RaggedTensor, axis: int, keepdims: bool) -> Any:
    """Reduces one axis (already non-negative) of `rt`."""
    dense_fn, ufunc, identity = _REDUCERS[kind]
    if axis >= 2:
        values = rt._values
        if isinstance(values, RaggedTensor):
            return rt.with_values(_reduce_axis(kind, values, axis - 1, keepdims))
        return rt.with_values(dense_fn(values, axis=axis - 1, keepdims=keepdims))
    if isinstance(rt._values, RaggedTensor):
        raise ValueError(
            f"tapeflow: reducing axis {axis} of a RaggedTensor with ragged_rank "
            f"{rt.ragged_rank} is not supported (axis >= 2, or None, is)."
        )
    values = rt._values
    if axis == 0:
        padded = rt.to_tensor(default_value=identity(values._value.dtype))
        return dense_fn(padded, axis=0, keepdims=keepdims)
    nrows = rt.nrows_int()
    if kind == "sum":
        out: Any = unsorted_segment_sum(values, rt.value_rowids(), nrows)
    else:
        v = np.asarray(values._value)
        o = np.full((nrows, *v.shape[1:]), identity(v.dtype), dtype=v.dtype)
        ufunc.at(o, np.asarray(rt.value_rowids()._value), v)
        out = _wrap(o)
    return expand_dims(out, 1) if keepdims else out


def _ragged_reduce(kind: str, rt: RaggedTensor, axis: Any, keepdims: bool) -> Any:
    rank = 1 + rt.ragged_rank + rt.flat_values.ndim - 1
    if axis is None:
        return _REDUCERS[kind][0](rt.flat_values, keepdims=keepdims)
    axes = [int(a) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"axis={a} out of bounds: expected {-rank}<=axis<{rank}")
    result: Any = rt
    for a in sorted({a % rank for a in axes}, reverse=True):
        result = (
            _reduce_axis(kind, result, a, keepdims)
            if isinstance(result, RaggedTensor)
            else _REDUCERS[kind][0](result, axis=a, keepdims=keepdims)
        )
    return result


_KINDS = {"Sum": "sum", "Mean": "mean", "Max": "max", "Min": "min", "Prod": "prod"}


def _reduce(op_type: str, rt: RaggedTensor, axis: Any, keepdims: bool) -> Any:
    """tf.reduce_sum/mean/max/min/prod of a RaggedTensor (ops/reduce.py dispatches here)."""
    kind = _KINDS.get(op_type)
    if kind is None:  # a reduction with no ragged form: TF's conversion error
        convert_to_tensor(rt)
    if kind == "mean":
        # TF's ragged mean: sum / count, so integer inputs give a float64 mean
        total = _ragged_reduce("sum", rt, axis, keepdims)
        count = _ragged_reduce("sum", map_flat_values(ones_like, rt), axis, keepdims)
        return map_flat_values(m.truediv, total, count)
    return _ragged_reduce(kind, rt, axis, keepdims)  # type: ignore[arg-type]


dense_reduce.REDUCTION_DISPATCH[RaggedTensor] = _reduce
