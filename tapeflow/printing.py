"""`tf.print`: TF's eager printing of tensors and Python values.

Tensors are formatted as TF's kernels do (tensor.cc's SummarizeValue, print_v2 mode): no
padding between elements, floats in their shortest round-tripping form (6 or else 9 digits
for float32, 15 or else 17 for float64), bools as 1/0, strings quoted, and at most `summarize`
elements at each end of every axis. Python values are formatted with `pprint.pformat`, as TF
builds its template.
"""

from __future__ import annotations

import pprint
import sys
from typing import Any

import numpy as np

from tapeflow import graph, nest
from tapeflow.op import read_variable, variable_types
from tapeflow.tensor import Tensor, _wrap

__all__ = ["print_v2", "format_value"]


def _float_text(v: Any, digits: tuple[int, int]) -> str:
    value = float(v)
    if np.isnan(value):
        return "nan" if not np.signbit(value) else "-nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    short = f"{value:.{digits[0]}g}"
    if type(v)(short) == v:  # round-trips in the tensor's own precision
        return short
    return f"{value:.{digits[1]}g}"


def _element_text(v: Any) -> str:
    kind = np.asarray(v).dtype.kind
    if kind == "b":
        return "1" if v else "0"
    if kind == "f":
        if np.asarray(v).dtype == np.float64:
            return _float_text(v, (15, 17))
        return _float_text(np.float32(v), (6, 9))  # half prints as float, as in TF
    if kind in "iu":
        return str(int(v))
    if kind in "OSU":
        raw = v if isinstance(v, bytes) else str(v).encode()
        return '"' + raw.decode("utf-8", "backslashreplace").replace('"', '\\"') + '"'
    return "?"  # complex: TF's kernel prints "?"


def _spacing(dim: int, ndim: int) -> str:
    """What separates two entries of axis `dim`: a space, or newlines and an indent."""
    if dim == ndim - 1:
        return " "
    return "\n" * (ndim - dim - 1) + " " * (dim + 1)


def _one_dim(
    flat: np.ndarray, shape: tuple[int, ...], dim: int, ends: int, start: int, parts: list[str]
) -> None:
    """TF's PrintOneDimV2: axis `dim` of the block of `flat` that begins at `start`."""
    ndim = len(shape)
    if dim == ndim:
        parts.append(_element_text(flat[start]))
        return
    parts.append("[")
    count = shape[dim]
    stride = int(np.prod(shape[dim + 1 :], dtype=np.int64))
    for i in range(min(ends, count)):
        if i > 0:
            parts.append(_spacing(dim, ndim))
        _one_dim(flat, shape, dim + 1, ends, start + stride * i, parts)
    if count > 2 * ends:
        parts.append(_spacing(dim, ndim))
        parts.append("...")
    for i in range(max(ends, count - ends), count):
        parts.append(_spacing(dim, ndim))
        _one_dim(flat, shape, dim + 1, ends, start + stride * i, parts)
    parts.append("]")


def format_value(value: Any, summarize: int | None = 3) -> str:
    """A tensor's value as TF's print formats it.

    >>> import numpy as np
    >>> format_value(np.arange(10)), format_value(np.float32(1 / 3))
    ('[0 1 2 ... 7 8 9]', '0.333333343')
    """
    arr = np.asarray(value)
    n = arr.size
    limit = n if summarize is None or summarize < 0 else min(int(summarize), n)
    if summarize is None:
        limit = min(3, n)
    parts: list[str] = []
    _one_dim(arr.reshape(-1), arr.shape, 0, limit, 0, parts)
    return "".join(parts)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) or type(x) in variable_types


def print_v2(*inputs: Any, **kwargs: Any) -> None:
    """Prints tensors and Python values, like TF: to `output_stream` (sys.stderr by default),
    separated by `sep` (" "), followed by `end` ("\\n"); at most `summarize` (3) elements at
    each end of every axis (-1: all).

    >>> import sys, tapeflow as tf
    >>> tf.print("x:", tf.constant([1, 2, 3]), output_stream=sys.stdout)
    x: [1 2 3]
    """
    tracer = graph.current()
    if tracer is not None:  # inside tf.function: print at every run of the graph
        _print_traced(tracer, inputs, kwargs)
    else:
        _print_now(inputs, dict(kwargs))


def _print_now(inputs: Any, kwargs: dict[str, Any]) -> None:
    output_stream = kwargs.pop("output_stream", sys.stderr)
    summarize = kwargs.pop("summarize", 3)
    sep = kwargs.pop("sep", " ")
    end = kwargs.pop("end", "\n")
    kwargs.pop("name", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {kwargs}")
    if (
        len(inputs) == 1
        and _is_tensor(inputs[0])
        and np.ndim(inputs[0]._value) == 0
        and inputs[0]._value.dtype == object
    ):
        text = _element_text(inputs[0]._value[()])[1:-1]  # a lone string scalar prints raw
    else:
        text = sep.join(_template(x, summarize) for x in inputs)
    _write(output_stream, text + end)


def _print_traced(tracer: graph.Tracer, inputs: Any, kwargs: Any) -> None:
    """Records the print as an effect of the graph (tensors are its inputs); it prints when the
    trace ends, after the trace's Python prints, as TF's graph runs after it is traced."""
    flat = nest.flatten(list(inputs))
    tensors = [read_variable(x) if type(x) in variable_types else x for x in flat if _is_tensor(x)]

    def print_values(*values: Any) -> None:
        it = iter(values)
        leaves = [_wrap(next(it)) if _is_tensor(x) else x for x in flat]
        _print_now(nest.pack_sequence_as(list(inputs), leaves), dict(kwargs))

    tracer.effect(print_values, tensors)
    values = [graph.raw_value(t) for t in tensors]
    tracer.pending.append(lambda: print_values(*values))


def _template(input_: Any, summarize: int | None) -> str:
    """One input: a string as itself, anything else pretty-printed with tensors formatted."""
    if isinstance(input_, str):
        return input_
    if _is_tensor(input_):
        return format_value(input_._value, summarize)
    marker = "\x00TENSOR\x00"
    flat = nest.flatten(input_)
    tensors = [x for x in flat if _is_tensor(x)]
    if not tensors:
        return pprint.pformat(input_)
    placeholders = [marker if _is_tensor(x) else x for x in flat]
    template = pprint.pformat(nest.pack_sequence_as(input_, placeholders))
    template = template.replace(repr(marker), marker)
    pieces = template.split(marker)
    out = [pieces[0]]
    for t, piece in zip(tensors, pieces[1:]):
        out.append(format_value(t._value, summarize))
        out.append(piece)
    return "".join(out)


def _write(stream: Any, text: str) -> None:
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(
                f"Unsupported output stream, logging level, or file: {stream!r}; use sys.stdout, "
                "sys.stderr, a file-like object or 'file://<path>'."
            )
        with open(stream[len("file://") :], "a", encoding="utf-8") as f:
            f.write(text)
        return
    if stream is None or not hasattr(stream, "write"):
        raise ValueError(
            f"Unsupported output stream, logging level, or file: {stream!r}; use sys.stdout, "
            "sys.stderr, a file-like object or 'file://<path>'."
        )
    stream.write(text)
    if hasattr(stream, "flush"):
        stream.flush()
