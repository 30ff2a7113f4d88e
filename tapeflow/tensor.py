"""Tensor, TensorShape and the conversion of Python and NumPy values to tensors.

A Tensor is an immutable wrapper around one NumPy value. Zero-dimensional tensors hold a NumPy
*scalar* (np.float32(2.0)), not a 0-d array: NumPy's scalar arithmetic is ten times cheaper than
its 0-d array arithmetic, and eager per-op cost on scalars is a headline number.

Operators (`+`, `*`, `[]`, ...) are attached by `tapeflow.ops.operators`, because they are ops and
the core does not import the op library.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.dtypes import DType

__all__ = ["Tensor", "TensorShape", "Reference", "constant", "convert_to_tensor", "is_tensor"]

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class TensorShape:
    """The shape of a tensor: a tuple of dimensions, some maybe unknown (None).

    >>> import tapeflow as tf
    >>> s = tf.TensorShape([2, None]); s.rank, s.as_list(), s == (2, None)
    (2, [2, None], True)
    """

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if dims is None:
            self._dims: tuple[int | None, ...] | None = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (int, np.integer)):
            self._dims = (int(dims),)
        else:
            self._dims = tuple(None if d is None else int(d) for d in dims)

    @property
    def rank(self) -> int | None:
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self) -> list[int | None] | None:
        return None if self._dims is None else list(self._dims)

    def as_list(self) -> list[int | None]:
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def num_elements(self) -> int | None:
        if self._dims is None or None in self._dims:
            return None
        n = 1
        for d in self._dims:
            n *= d  # type: ignore[operator]
        return n

    def is_fully_defined(self) -> bool:
        return self._dims is not None and None not in self._dims

    def is_compatible_with(self, other: Any) -> bool:
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        return len(self._dims) == len(other._dims) and all(
            a is None or b is None or a == b for a, b in zip(self._dims, other._dims)
        )

    def merge_with(self, other: Any) -> TensorShape:
        """The shape both describe: known dimensions fill unknown ones; a conflict raises."""
        other = TensorShape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self) -> Iterator[int | None]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return None if not isinstance(key, slice) else TensorShape(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other: object) -> bool:
        try:
            other_dims = TensorShape(other)._dims
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other_dims

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._dims)

    def __add__(self, other: Any) -> TensorShape:
        return self.concatenate(other)

    def __radd__(self, other: Any) -> TensorShape:
        return TensorShape(other).concatenate(self)

    def concatenate(self, other: Any) -> TensorShape:
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({self._dims[0]},)"
        return "(" + ", ".join(str(d) for d in self._dims) + ")"

    def __bool__(self) -> bool:
        return self._dims is not None

    def __reduce__(self) -> tuple[Any, ...]:
        return TensorShape, (self._dims,)


class Reference:
    """A hashable handle on a Tensor or Variable (`x.ref()`), usable as a dict key."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def deref(self) -> Any:
        return self._obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and other._obj is self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __repr__(self) -> str:
        return f"<Reference wrapping {self._obj!r}>"


def numpy_text(value: Any, is_repr: bool) -> str:
    """TF's printing of a tensor's value: NumPy's text; a scalar's repr is its Python value's."""
    if np.ndim(value) == 0:
        item = np.asarray(value).item()
        text = repr(item) if is_repr or isinstance(item, bytes) else str(value)
    else:
        text = repr(value) if is_repr else str(value)
    if "\n" in text:
        text = "\n" + text
    return text


class Tensor:
    """An immutable n-dimensional array with a TF dtype; the result of every op.

    >>> import tapeflow as tf
    >>> x = tf.constant([[1.0, 2.0]])
    >>> x.shape, x.dtype, x.numpy().tolist()
    (TensorShape([1, 2]), <dtype: 'float32'>, [[1.0, 2.0]])
    """

    __slots__ = ("_value", "__weakref__")
    __array_priority__ = 100  # NumPy defers `ndarray + Tensor` to Tensor.__radd__, as with TF
    _value: Any

    @property
    def dtype(self) -> DType:
        return dtypes.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def ndim(self) -> int:
        return int(self._value.ndim)

    @property
    def device(self) -> str:
        return DEVICE

    def numpy(self) -> Any:
        """The value as NumPy: a scalar for 0-d tensors, otherwise a fresh, writeable array."""
        value = self._value
        if isinstance(value, np.ndarray):
            return value[()] if value.ndim == 0 else value.copy()
        return value

    def ref(self) -> Reference:
        return Reference(self)

    experimental_ref = ref

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._value, dtype=dtype)

    def __repr__(self) -> str:
        return (
            f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._value, is_repr=True)}>"
        )

    def __str__(self) -> str:
        return (
            f"tf.Tensor({numpy_text(self._value, is_repr=False)}, shape={self.shape}, "
            f"dtype={self.dtype.name})"
        )

    def __format__(self, format_spec: str) -> str:
        return format(self._value, format_spec)  # TF formats the NumPy value: f"{loss:.4f}"

    def __hash__(self) -> int:
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __index__(self) -> int:
        if self._value.dtype.kind not in "iub":
            raise TypeError(
                f"Only integer scalar tensors can be used as an index, got dtype {self.dtype.name}."
            )
        return int(self._value)

    def __complex__(self) -> complex:
        return complex(self._value)

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return int(self._value.shape[0])

    def __iter__(self) -> Iterator[Tensor]:
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self._value.shape[0]):
            yield self[i]  # type: ignore[index]  # __getitem__ comes from ops.operators

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(
            "'tapeflow.Tensor' object does not support item assignment: tensors are immutable. "
            "Use a tf.Variable and its assign methods, or tf.tensor_scatter_nd_update."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return _wrap, (self._value,)


_new = object.__new__


def _wrap(value: Any) -> Tensor:
    """A Tensor around `value` (no copy, no checks): the constructor every op uses."""
    t = _new(Tensor)
    t._value = value
    return t


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) or type(x) in _CONVERTERS


# ---------------------------------------------------------------------------------------------
# Conversion of Python and NumPy values


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _python_leaves_only(value: Any) -> bool:
    """True if a (nested) list holds only Python scalars, so TF's Python defaults apply."""
    if isinstance(value, (list, tuple)):
        return all(_python_leaves_only(v) for v in value)
    return type(value) in (float, int, bool, complex, str, bytes)


def _infer_array(value: Any) -> np.ndarray:
    """TF's dtype inference: Python float -> float32, int -> int32 (int64 if too big)."""
    try:
        if isinstance(value, (list, tuple)) and value and not _python_leaves_only(value):
            return np.asarray(value)  # NumPy values and tensors inside keep their own dtype
        arr = np.asarray(value)
    except ValueError:  # NumPy's "inhomogeneous shape"
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.") from None
    kind = arr.dtype.kind
    if kind == "f" and arr.dtype == np.float64:
        return arr.astype(np.float32)
    if kind == "i" and arr.dtype == np.int64:
        if arr.size == 0 or (arr.min() >= _INT32_MIN and arr.max() <= _INT32_MAX):
            return arr.astype(np.int32)
        return arr
    if kind in "SU":
        return (
            np.asarray(value, dtype=object)
            if kind == "S"
            else np.vectorize(lambda s: s.encode(), otypes=[object])(arr)
        )
    return arr


def _scalar_or_array(arr: np.ndarray) -> Any:
    # string scalars stay 0-d object arrays: their "scalar" would be plain Python bytes
    return arr[()] if arr.ndim == 0 and arr.dtype != object else arr


def _cast_python(value: Any, dtype: DType) -> np.ndarray:
    """Python values to an explicit dtype; refuses lossy conversions, as TF does."""
    arr = np.asarray(value)
    target = dtype._np
    if arr.dtype.kind == "f" and target.kind in "iub":
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    elif arr.dtype.kind == "c" and target.kind != "c":
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if dtype is dtypes.string:
        out = _infer_array(value)
        if out.dtype != object:
            if out.size:  # numbers are not strings
                raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
            out = out.astype(object)  # [] is an empty string tensor
        return out
    try:
        with np.errstate(over="raise", invalid="raise"):
            out = arr.astype(target)
    except (OverflowError, FloatingPointError, ValueError):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}") from None
    if arr.dtype.kind in "iu" and target.kind in "iu" and not np.array_equal(out, arr):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    return out


def to_array(value: Any, dtype: DType | None = None, copy: bool = False) -> Any:
    """A NumPy value (scalar for 0-d) from a Python or NumPy value, with TF's dtype rules."""
    if isinstance(value, (np.ndarray, np.generic)):
        if dtype is not None and value.dtype != dtype._np:
            arr = np.asarray(value).astype(dtype._np)
        elif value.dtype.kind in "SU":
            arr = _infer_array(value)
        else:
            arr = np.array(value, copy=True) if copy else np.asarray(value)
    elif dtype is None:
        arr = _infer_array(value)
    else:
        arr = _cast_python(value, dtype)
    return _scalar_or_array(arr)


def none_error() -> ValueError:
    """TF's error for None where a tensor was expected."""
    return ValueError(
        "Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to a "
        "Tensor."
    )


def conversion_error(requested: DType, t: Any) -> ValueError:
    return ValueError(
        f"Tensor conversion requested dtype {requested.name} for Tensor with dtype "
        f"{dtypes.from_numpy(t._value.dtype).name}: {t!r}"
    )


def convert_to_tensor(
    value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None
) -> Tensor:
    """Converts Tensors, Variables, NumPy arrays and Python values to a Tensor.

    >>> import tapeflow as tf
    >>> tf.convert_to_tensor([1, 2]).dtype, tf.convert_to_tensor(1.0).dtype
    (<dtype: 'int32'>, <dtype: 'float32'>)
    """
    if type(value) is Tensor and dtype is None:
        return value
    requested = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        if requested is not None and value._value.dtype != requested._np:
            raise conversion_error(requested, value)
        return value
    converter = _CONVERTERS.get(type(value))
    if converter is None:
        for cls, fn in _CONVERTERS.items():
            if isinstance(value, cls):
                converter = fn
                break
    if converter is not None:
        t = converter(value)
        if requested is not None and t._value.dtype != requested._np:
            raise conversion_error(requested, t)
        return t
    if requested is None and dtype_hint is not None:
        try:
            return _wrap(to_array(value, dtypes.as_dtype(dtype_hint)))
        except (TypeError, ValueError):
            pass
    try:
        return _wrap(to_array(value, requested))
    except TypeError:
        raise
    except (ValueError, OverflowError) as e:
        raise ValueError(
            f"Attempt to convert a value ({value!r}) with an unsupported type "
            f"({type(value)}) to a Tensor."
        ) from e


# Types that know how to become a Tensor (Variable, IndexedSlices, ...) register here, so this
# module need not import them.
_CONVERTERS: dict[type, Any] = {}


def register_tensor_conversion_function(base_type: type, conversion_func: Any) -> None:
    _CONVERTERS[base_type] = conversion_func


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const") -> Tensor:
    """A Tensor holding a copy of `value`, optionally cast to `dtype` and filled to `shape`.

    >>> import tapeflow as tf
    >>> tf.constant(0, shape=(2, 2)).numpy().tolist()
    [[0, 0], [0, 0]]
    """
    if value is None:
        raise none_error()
    requested = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(value, Tensor) or type(value) in _CONVERTERS:
        t = convert_to_tensor(value)
        arr = t._value if requested is None else np.asarray(t._value).astype(requested._np)
    else:
        arr = to_array(value, requested, copy=True)
    if shape is not None:
        shape = tuple(TensorShape(shape).as_list())
        a = np.asarray(arr)
        if a.size == 1:
            arr = np.full(shape, a.reshape(()), dtype=a.dtype)
        elif a.size == int(np.prod(shape)):
            arr = a.reshape(shape)
        else:
            raise TypeError(
                f"Eager execution of tf.constant with unsupported shape. Tried to convert "
                f"{a.size} elements to a tensor of shape {shape}."
            )
        arr = _scalar_or_array(arr)
    return _wrap(arr)
