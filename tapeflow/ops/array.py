"""Shape manipulation: reshape, transpose, expand_dims, squeeze, concat, stack, split, unstack,
tile, pad, slice, reverse, roll, repeat and broadcast_to; and the small helpers the other op
modules share (`lead_shape` for batched VJPs, `like_dtype` for TF's operand conversion).

Constructors and shape queries are in `constructors.py`, gather/scatter in `indexing.py`,
`tensor[...]` and strided_slice in `slicing.py`, matrix diagonals and bands in `matrix.py`.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.tape import broadcast_to
from tapeflow.tensor import Tensor, TensorShape, _wrap, convert_to_tensor

__all__ = [
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "concat",
    "stack",
    "unstack",
    "split",
    "tile",
    "broadcast_to",
    "pad",
    "slice",
    "reverse",
    "roll",
    "repeat",
]


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    """A shape argument (list, tuple, TensorShape, tensor) as a tuple of ints."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a Tensor.")
        return tuple(int(d) for d in shape.as_list())  # type: ignore[arg-type]
    if hasattr(shape, "_value"):
        shape = shape._value
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


def _tensor(x: Any) -> Tensor:
    return x if type(x) is Tensor else convert_to_tensor(x)


def lead_shape(grad: Any, out: Any) -> tuple[int, ...]:
    """The extra leading (batch) axes a cotangent carries beyond its output's shape.

    A batched VJP (`defvjp(batched=True)`) keeps them in front of every input gradient:
    reshapes go to `lead + shape`, and axis numbers move right by `len(lead)`.
    """
    g = grad._value
    return g.shape[: g.ndim - np.ndim(out._value)]


def _row_by_row(fn: Any, grad: Tensor, lead: tuple[int, ...]) -> Tensor:
    """fn over each row of a batched cotangent, for a rule that cannot batch one case."""
    n = int(np.prod(lead))
    rows = _unstack(_reshape(grad, shape=(n, *grad._value.shape[len(lead) :])), axis=0)
    done = _stack(*[fn(r) for r in rows], axis=0)
    return _reshape(done, shape=lead + done._value.shape[1:])


def like_dtype(value: Any, ref: Tensor) -> Any:
    """An op's second operand converted as TF converts it: Python values and NumPy arrays take
    the first operand's dtype; tensors and variables are left for the op to check."""
    if hasattr(value, "_value"):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        kind = ref._value.dtype.kind
        if value.dtype.kind == "c" and kind != "c":
            return _wrap(np.asarray(value))  # the op then reports the dtype mismatch
        return _wrap(np.asarray(value).astype(ref._value.dtype)[()])
    return convert_to_tensor(value, dtype_hint=ref.dtype)


# ---------------------------------------------------------------------------------------------
# Reshaping


@op("Reshape", same_dtype=())
def _reshape(tensor: Any, *, shape: tuple[int, ...]) -> Any:
    try:
        return np.reshape(tensor, shape)[()]
    except ValueError:
        raise InvalidArgumentError(
            f"Input to reshape is a tensor with {np.size(tensor)} values, but the requested "
            f"shape has {int(np.prod(shape))} [Op:Reshape]"
        ) from None


@_reshape.defvjp(batched=True)
def _reshape_vjp(grad: Tensor, out: Tensor, x: Tensor, *, shape: Any) -> tuple[Any]:
    return (_reshape(grad, shape=lead_shape(grad, out) + np.shape(x._value)),)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> Tensor:
    """Gives `tensor` a new shape with the same elements; one dimension may be -1.

    >>> import tapeflow as tf
    >>> tf.reshape(tf.range(6), [2, -1]).shape
    TensorShape([2, 3])
    """
    return _reshape(tensor, shape=_shape_tuple(shape))


@op("Transpose", same_dtype=())
def _transpose(x: Any, *, perm: tuple[int, ...]) -> Any:
    return np.transpose(x, perm)[()]


@_transpose.defvjp(batched=True)
def _transpose_vjp(grad: Tensor, out: Tensor, x: Tensor, *, perm: tuple[int, ...]) -> tuple[Any]:
    # the inverse permutation, after the batch axes
    b = len(lead_shape(grad, out))
    inverse = tuple(builtins.range(b)) + tuple(b + int(p) for p in np.argsort(perm))
    return (_transpose(grad, perm=inverse),)


def transpose(a: Any, perm: Any = None, conjugate: bool = False, name: str | None = None) -> Tensor:
    """Permutes the axes (reverses them if `perm` is None).

    >>> import tapeflow as tf
    >>> tf.transpose(tf.zeros([2, 3])).shape
    TensorShape([3, 2])
    """
    a = _tensor(a)
    p = tuple(reversed(builtins.range(a.ndim))) if perm is None else _shape_tuple(perm)
    if sorted(p) != list(builtins.range(a.ndim)):
        raise InvalidArgumentError(
            f"transpose expects a permutation of {a.ndim} axes, got perm={list(p)} [Op:Transpose]"
        )
    out = _transpose(a, perm=p)
    if conjugate and a._value.dtype.kind == "c":
        from tapeflow.ops.math import conj

        out = conj(out)
    return out


def expand_dims(input: Any, axis: Any, name: str | None = None) -> Tensor:
    """Inserts a dimension of size 1 at `axis`.

    >>> import tapeflow as tf
    >>> tf.expand_dims([1, 2], -1).shape
    TensorShape([2, 1])
    """
    x = _tensor(input)
    ndim = x.ndim
    ax = int(axis)
    if not -ndim - 1 <= ax <= ndim:
        raise InvalidArgumentError(
            f"Tried to expand dim index {ax} for tensor with {ndim} dimensions. [Op:ExpandDims]"
        )
    ax = ax % (ndim + 1)
    shape = x._value.shape
    return _reshape(x, shape=(*shape[:ax], 1, *shape[ax:]))


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """Removes dimensions of size 1 (only those in `axis`, if given).

    >>> import tapeflow as tf
    >>> tf.squeeze(tf.zeros([1, 2, 1])).shape
    TensorShape([2])
    """
    x = _tensor(input)
    shape = x._value.shape
    if axis is None:
        new = tuple(d for d in shape if d != 1)
    else:
        axes = {a % builtins.max(len(shape), 1) for a in _shape_tuple(axis)}
        for a in axes:
            if shape[a] != 1:
                raise InvalidArgumentError(
                    f"Can not squeeze dim[{a}], expected a dimension of 1, got {shape[a]} "
                    "[Op:Squeeze]"
                )
        new = tuple(d for i, d in enumerate(shape) if i not in axes)
    return _reshape(x, shape=new)


# ---------------------------------------------------------------------------------------------
# Joining and splitting


@op("ConcatV2")
def _concat(*values: Any, axis: int = 0) -> Any:
    return np.concatenate(values, axis=axis)


@_concat.defvjp(batched=True)
def _concat_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    # the adjoint of joining is splitting at the same places
    sizes = tuple(x._value.shape[axis] for x in inputs)
    return _split(grad, sizes=sizes, axis=axis + len(lead_shape(grad, out)))


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """Joins tensors along an existing axis.

    >>> import tapeflow as tf
    >>> tf.concat([[1, 2], [3]], 0).numpy().tolist()
    [1, 2, 3]
    """
    tensors = [_tensor(v) for v in values]
    if not tensors:
        raise ValueError("tf.concat needs at least one tensor to concatenate.")
    ndim = tensors[0].ndim
    ax = int(axis)
    if not -ndim <= ax < builtins.max(ndim, 1):
        raise InvalidArgumentError(
            f"ConcatOp : Expected concatenating dimensions in the range [{-ndim}, {ndim}), but "
            f"got {ax} [Op:ConcatV2]"
        )
    if len(tensors) == 1:
        from tapeflow.ops.math import identity

        return identity(tensors[0])
    return _concat(*tensors, axis=ax % ndim)


@op("SplitV", same_dtype=())
def _split(value: Any, *, sizes: tuple[int, ...], axis: int) -> Any:
    cuts = np.cumsum(sizes)[:-1]
    return tuple(np.split(value, cuts, axis=axis))


@_split.defvjp(batched=True)
def _split_vjp(
    grads: tuple[Any, ...], outs: Any, value: Tensor, *, sizes: Any, axis: int
) -> tuple[Any]:
    return (_concat(*grads, axis=axis + len(lead_shape(grads[0], outs[0]))),)


def split(
    value: Any, num_or_size_splits: Any, axis: Any = 0, num: Any = None, name: str = "split"
) -> list[Tensor]:
    """Splits into equal parts (an int) or parts of given sizes (a list; one may be -1).

    >>> import tapeflow as tf
    >>> [t.numpy().tolist() for t in tf.split([1, 2, 3, 4], [1, 3])]
    [[1], [2, 3, 4]]
    """
    x = _tensor(value)
    ax = int(axis) % builtins.max(x.ndim, 1)
    dim = x._value.shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)):
        n = int(num_or_size_splits)
        if n <= 0 or dim % n:
            raise InvalidArgumentError(
                f"Number of ways to split should evenly divide the split dimension, but got "
                f"split_dim {ax} (size = {dim}) and num_split {n} [Op:Split]"
            )
        sizes = (dim // n,) * n
    else:
        sizes_list = list(_shape_tuple(num_or_size_splits))
        if -1 in sizes_list:
            sizes_list[sizes_list.index(-1)] = dim - (sum(sizes_list) + 1)
        if sum(sizes_list) != dim:
            raise InvalidArgumentError(
                f"Determined shape must either match input shape along split_dim exactly if "
                f"fully specified, or be less than the size of the input along split_dim if not "
                f"fully specified.  Got: {sum(sizes_list)} [Op:SplitV]"
            )
        sizes = tuple(sizes_list)
    return list(_split(x, sizes=sizes, axis=ax))


@op("Pack")
def _stack(*values: Any, axis: int = 0) -> Any:
    return np.stack(values, axis=axis)


@_stack.defvjp(batched=True)
def _stack_vjp(grad: Tensor, out: Tensor, *inputs: Any, axis: int) -> tuple[Any, ...]:
    return _unstack(grad, axis=axis + len(lead_shape(grad, out)))


def stack(values: Any, axis: int = 0, name: str = "stack") -> Tensor:
    """Stacks same-shaped tensors along a new axis.

    >>> import tapeflow as tf
    >>> tf.stack([[1, 2], [3, 4]], axis=1).numpy().tolist()
    [[1, 3], [2, 4]]
    """
    tensors = [_tensor(v) for v in values]
    shapes = {t._value.shape for t in tensors}
    if len(shapes) > 1:
        a, b = list(shapes)[:2]
        raise InvalidArgumentError(
            f"Shapes of all inputs must match: values[0].shape = {list(tensors[0]._value.shape)} "
            f"!= values[i].shape for some i (got {list(a)} and {list(b)}) [Op:Pack]"
        )
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-ndim}, {ndim})")
    return _stack(*tensors, axis=axis % ndim)


@op("Unpack", same_dtype=())
def _unstack(value: Any, *, axis: int = 0) -> Any:
    return tuple(np.moveaxis(value, axis, 0)[i][()] for i in builtins.range(value.shape[axis]))


@_unstack.defvjp(batched=True)
def _unstack_vjp(grads: tuple[Any, ...], outs: Any, value: Tensor, *, axis: int) -> tuple[Any]:
    return (_stack(*grads, axis=axis + len(lead_shape(grads[0], outs[0]))),)


def unstack(value: Any, num: Any = None, axis: int = 0, name: str = "unstack") -> list[Tensor]:
    """Splits a tensor into a list along `axis`, removing that axis."""
    x = _tensor(value)
    if x.ndim == 0:
        raise ValueError("Cannot unstack a scalar tensor (rank 0).")
    return list(_unstack(x, axis=axis % x.ndim))


@op("Tile", same_dtype=())
def _tile(input: Any, *, multiples: tuple[int, ...]) -> Any:
    return np.tile(input, multiples)


@_tile.defvjp(batched=True)
def _tile_vjp(grad: Tensor, out: Tensor, x: Tensor, *, multiples: tuple[int, ...]) -> tuple[Any]:
    # view the tiled gradient as (m0, d0, m1, d1, ...) and sum the copies
    from tapeflow.ops.reduce import reduce_sum

    lead = lead_shape(grad, out)
    shape = np.shape(x._value)
    split_shape = lead + tuple(v for pair in zip(multiples, shape) for v in pair)
    axes = list(builtins.range(len(lead), len(lead) + 2 * len(shape), 2))
    return (reduce_sum(_reshape(grad, shape=split_shape), axis=axes),)


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:
    """Repeats the tensor `multiples[i]` times along axis i."""
    x = _tensor(input)
    m = _shape_tuple(multiples)
    if len(m) != x.ndim:
        raise InvalidArgumentError(
            f"Expected multiples argument to be a vector of length {x.ndim} but got length "
            f"{len(m)} [Op:Tile]"
        )
    return _tile(x, multiples=m)


def _value(x: Any) -> Any:
    return x._value if hasattr(x, "_value") else convert_to_tensor(x)._value


# ---------------------------------------------------------------------------------------------
# Padding, slicing, reversing and rolling


def _paddings(paddings: Any, ndim: int, op_type: str) -> tuple[tuple[int, int], ...]:
    pads = np.asarray(_value(paddings)).astype(np.int64)
    if pads.ndim != 2 or pads.shape[1] != 2 or pads.shape[0] != ndim:
        raise InvalidArgumentError(
            f"The first dimension of paddings must be the rank of inputs{list(pads.shape)}, "
            f"and paddings must have shape [{ndim}, 2] [Op:{op_type}]"
        )
    if (pads < 0).any():
        bad = pads[(pads < 0).any(axis=1)][0]
        raise InvalidArgumentError(
            f"Paddings must be non-negative: {bad[0]} {bad[1]} [Op:{op_type}]"
        )
    return tuple((int(b), int(a)) for b, a in pads)


@op("PadV2")
def _pad(input: Any, constant_values: Any, *, paddings: tuple[tuple[int, int], ...]) -> Any:
    return np.pad(input, paddings, constant_values=constant_values)[()]


@_pad.defvjp(batched=True)
def _pad_vjp(grad: Tensor, out: Tensor, x: Tensor, c: Tensor, *, paddings: Any) -> tuple[Any, Any]:
    # padding is an embedding: its adjoint cuts the original block out (TF: no gradient for c)
    lead = lead_shape(grad, out)
    begin = (0,) * len(lead) + tuple(b for b, _ in paddings)
    return _slice(grad, begin=begin, size=lead + x._value.shape), None


@op("MirrorPad", same_dtype=())
def _mirror_pad(input: Any, *, paddings: tuple[tuple[int, int], ...], mode: str) -> Any:
    np_mode: Any = mode.lower()  # NumPy's "reflect" and "symmetric" are TF's two modes
    return np.pad(input, paddings, mode=np_mode)[()]


@op("MirrorPadGrad", same_dtype=())
def _mirror_pad_grad(grad: Any, *, paddings: tuple[tuple[int, int], ...], mode: str) -> Any:
    # fold each mirrored border back onto the entries it copied, one axis at a time
    shift = 1 if mode == "REFLECT" else 0
    g = np.asarray(grad)
    for axis, (before, after) in enumerate(paddings):
        if not before and not after:  # nothing to fold (a jacobian's batch axes)
            continue
        g = np.moveaxis(g, axis, 0)
        n = g.shape[0] - before - after
        core = g[before : before + n].copy()
        if before:
            core[shift : shift + before] += g[before - 1 :: -1]
        if after:
            core[n - shift - after : n - shift] += g[: before + n - 1 : -1]
        g = np.moveaxis(core, 0, axis)
    return np.ascontiguousarray(g)[()]


def _lead_paddings(grad: Tensor, out: Tensor, paddings: Any) -> Any:
    """`paddings` with an unpadded (0, 0) pair for each batch axis of the cotangent."""
    b = grad._value.ndim - np.ndim(out._value)
    return ((0, 0),) * b + paddings if b else paddings


@_mirror_pad.defvjp(batched=True)
def _mirror_pad_vjp(grad: Tensor, out: Tensor, x: Tensor, *, paddings: Any, mode: str) -> Any:
    # each input entry receives the gradient of every place it was copied to
    return (_mirror_pad_grad(grad, paddings=_lead_paddings(grad, out, paddings), mode=mode),)


@_mirror_pad_grad.defvjp(batched=True)
def _mirror_pad_grad_vjp(grad: Tensor, out: Tensor, g: Tensor, *, paddings: Any, mode: str) -> Any:
    # folding is the adjoint of mirroring, and the other way round
    return (_mirror_pad(grad, paddings=_lead_paddings(grad, out, paddings), mode=mode),)


def pad(
    tensor: Any,
    paddings: Any,
    mode: str = "CONSTANT",
    constant_values: Any = 0,
    name: str | None = None,
) -> Tensor:
    """Pads `tensor`: `paddings[d] = [before, after]` entries on each side of axis d.

    `mode` is "CONSTANT" (with `constant_values`), "REFLECT" (mirror without the edge) or
    "SYMMETRIC" (mirror with the edge).

    >>> import tapeflow as tf
    >>> tf.pad([[1, 2, 3]], [[0, 0], [2, 1]], "REFLECT").numpy().tolist()
    [[3, 2, 1, 2, 3, 2]]
    """
    x = _tensor(tensor)
    m = str(mode).upper()
    if m not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(
            'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
            f'"SYMMETRIC". Received `mode` = {mode}'
        )
    op_type = "PadV2" if m == "CONSTANT" else "MirrorPad"
    pads = _paddings(paddings, x.ndim, op_type)
    if m == "CONSTANT":
        return _pad(x, constant_values, paddings=pads)
    limit = 0 if m == "REFLECT" else 1
    for (before, after), dim in zip(pads, x._value.shape):
        if before > dim - 1 + limit or after > dim - 1 + limit:
            relation = "less than" if m == "REFLECT" else "no greater than"
            raise InvalidArgumentError(
                f"paddings must be {relation} the dimension size: {before}, {after} not "
                f"{relation} {dim} [Op:MirrorPad]"
            )
    return _mirror_pad(x, paddings=pads, mode=m)


@op("Slice", same_dtype=())
def _slice(input: Any, *, begin: tuple[int, ...], size: tuple[int, ...]) -> Any:
    block = tuple(builtins.slice(b, b + s) for b, s in zip(begin, size))
    return np.asarray(input)[block].copy()[()]


@_slice.defvjp(batched=True)
def _slice_vjp(grad: Tensor, out: Tensor, x: Tensor, *, begin: Any, size: Any) -> tuple[Any]:
    # the adjoint of cutting a block out is padding it back with zeros
    shape = x._value.shape
    pads = tuple((b, d - b - s) for b, s, d in zip(begin, size, shape))
    pads = _lead_paddings(grad, out, pads)
    return (_pad(grad, np.zeros((), grad._value.dtype), paddings=pads),)


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:
    """The block of `size` entries starting at `begin` (a size of -1 takes the rest).

    >>> import tapeflow as tf
    >>> tf.slice([[1, 2, 3], [4, 5, 6]], [0, 1], [-1, 2]).numpy().tolist()
    [[2, 3], [5, 6]]
    """
    x = _tensor(input_)
    shape = x._value.shape
    b, s = list(_shape_tuple(begin)), list(_shape_tuple(size))
    if len(b) != x.ndim or len(s) != x.ndim:
        raise InvalidArgumentError(
            f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but got "
            f"shapes [{len(b)}] and [{len(s)}] instead. [Op:Slice]"
        )
    for i, dim in enumerate(shape):
        if s[i] == -1:
            s[i] = dim - b[i]
        if not 0 <= b[i] <= dim:
            raise InvalidArgumentError(
                f"Expected begin[{i}] in [0, {dim}], but got {b[i]} [Op:Slice]"
            )
        if not 0 <= s[i] <= dim - b[i]:
            raise InvalidArgumentError(
                f"Expected size[{i}] in [0, {dim - b[i]}], but got {s[i]} [Op:Slice]"
            )
    return _slice(x, begin=tuple(b), size=tuple(s))


@op("ReverseV2", same_dtype=())
def _reverse(tensor: Any, *, axis: tuple[int, ...]) -> Any:
    return np.flip(tensor, axis).copy()[()] if axis else tensor


@_reverse.defvjp(batched=True)
def _reverse_vjp(grad: Tensor, out: Tensor, x: Tensor, *, axis: Any) -> tuple[Any]:
    # reversing is its own adjoint (the same axes, after any batch axes)
    b = grad._value.ndim - np.ndim(out._value)
    return (_reverse(grad, axis=tuple(a + b for a in axis) if b else axis),)


def _axes(axis: Any, ndim: int, op_type: str) -> tuple[int, ...]:
    out = []
    for i, a in enumerate(_shape_tuple(axis)):
        if not -ndim <= a < ndim:
            raise InvalidArgumentError(
                f"'axis'[{i}] = {a} is out of valid range [{-ndim}, {ndim}) [Op:{op_type}]"
            )
        out.append(a % ndim)
    return tuple(out)


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """Reverses the order of the entries along each axis in `axis`.

    >>> import tapeflow as tf
    >>> tf.reverse([[1, 2, 3]], [-1]).numpy().tolist()
    [[3, 2, 1]]
    """
    x = _tensor(tensor)
    axes = _axes(axis, x.ndim, "ReverseV2")
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"axis {list(axes)} specified more than once. [Op:ReverseV2]")
    return _reverse(x, axis=axes)


@op("Roll", same_dtype=())
def _roll(input: Any, *, shift: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    return np.roll(input, shift, axis)[()]


@_roll.defvjp(batched=True)
def _roll_vjp(grad: Tensor, out: Tensor, x: Tensor, *, shift: Any, axis: Any) -> tuple[Any]:
    # rolling by s is undone by rolling by -s (along the same axes, after any batch axes)
    b = grad._value.ndim - np.ndim(out._value)
    axes = tuple(a + b for a in axis) if b else axis
    return (_roll(grad, shift=tuple(-s for s in shift), axis=axes),)


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> Tensor:
    """Shifts the entries cyclically by `shift[i]` along `axis[i]` (repeated axes add up).

    >>> import tapeflow as tf
    >>> tf.roll([1, 2, 3, 4], shift=1, axis=0).numpy().tolist()
    [4, 1, 2, 3]
    """
    x = _tensor(input)
    shifts = _shape_tuple(shift)
    axes = _axes(axis, x.ndim, "Roll")
    if len(shifts) != len(axes):
        raise InvalidArgumentError(
            f"shift and axis must have the same size, got {len(shifts)} and {len(axes)} [Op:Roll]"
        )
    return _roll(x, shift=shifts, axis=axes)


def repeat(input: Any, repeats: Any, axis: Any = None, name: str | None = None) -> Tensor:
    """Repeats each entry along `axis` `repeats` times (a scalar, or one count per entry);
    with `axis=None` the input is flattened first. A gather, so it is differentiable.

    >>> import tapeflow as tf
    >>> tf.repeat([[1, 2], [3, 4]], [1, 2], axis=0).numpy().tolist()
    [[1, 2], [3, 4], [3, 4]]
    """
    x = _tensor(input)
    if axis is None:
        x = _reshape(x, shape=(-1,))
        ax = 0
    else:
        ax = int(axis)
        if not -x.ndim <= ax < builtins.max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"axis = {ax} is out of range for a tensor of rank {x.ndim}")
        ax %= x.ndim
    reps = np.asarray(_value(repeats)).reshape(-1)
    dim = x._value.shape[ax]
    if reps.size not in (1, dim):
        raise ValueError(f"Dimensions {dim} and {reps.size} are not compatible")
    if (reps < 0).any():
        raise InvalidArgumentError(f"repeats must be non-negative, got {reps.tolist()}")
    idx = np.repeat(np.arange(dim, dtype=np.int64), reps if reps.size == dim else int(reps[0]))
    from tapeflow.ops.indexing import _gather

    return _gather(x, _wrap(idx), axis=ax, batch_dims=0)
