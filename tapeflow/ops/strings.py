"""tf.strings and tf.io.decode_raw: string tensors (NumPy object arrays of bytes), as TF 2.21.

No op here has a gradient (strings carry none, nor do their lengths or parses), so these are
plain functions over the NumPy values rather than recorded ops. Splitting a string gives a
different number of pieces per element: for inputs of rank 1 or more the result is a
RaggedTensor; for a scalar, a 1-D Tensor. Functions on strings also take RaggedTensors of
strings, applied to their flat values, as TF dispatches them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import dtype_mismatch
from tapeflow.printing import format_value
from tapeflow.ragged_tensor import RaggedTensor, kernel_error, map_flat_values
from tapeflow.tensor import Tensor, _scalar_or_array, _wrap, convert_to_tensor

__all__ = [
    "split",
    "to_number",
    "bytes_split",
    "unicode_split",
    "unicode_decode",
    "unicode_encode",
    "length",
    "lower",
    "upper",
    "strip",
    "join",
    "reduce_join",
    "regex_replace",
    "regex_full_match",
    "substr",
    "format",
    "as_string",
    "decode_raw",
    "to_hash_bucket_fast",
]

_STRING = np.dtype(object)


def _strings(x: Any, op_type: str) -> np.ndarray:
    """The object array of bytes of a string input; TF's error for a tensor of another dtype."""
    t = convert_to_tensor(x)
    value = np.asarray(t._value)
    if value.dtype != _STRING:
        raise dtype_mismatch(op_type, 0, _STRING, value.dtype)
    return value


def _requested_strings(x: Any) -> np.ndarray:
    """As _strings, with the error TF's Python wrappers give (they request dtype string)."""
    try:
        t = convert_to_tensor(x, dtype=dtypes.string)
    except ValueError as e:
        raise ValueError(f"input: {e}") from None
    return np.asarray(t._value)


def _map(fn: Callable[..., Any], values: np.ndarray, otype: Any) -> Tensor:
    """fn on every element; a string result stays an object array, a number gets `otype`."""
    out = np.empty(values.shape, dtype=object)
    flat_in, flat_out = values.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat_in):
        flat_out[i] = fn(v)
    if otype is not object:
        out = out.astype(otype)
    return _wrap(_scalar_or_array(out))


def _elementwise(fn: Callable[[Any], Tensor], x: Any) -> Any:
    return map_flat_values(fn, x) if isinstance(x, RaggedTensor) else fn(x)


def _pieces(values: np.ndarray, fn: Callable[[Any], list[Any]], dtype: Any) -> Any:
    """Each element cut into pieces: a 1-D Tensor for a scalar, else one more ragged axis."""
    if values.ndim == 0:
        return _wrap(np.array(fn(values[()]), dtype=dtype).reshape(-1))
    flat = values.reshape(-1)
    rows = [fn(v) for v in flat]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    pieces = np.array([p for r in rows for p in r], dtype=dtype).reshape(-1)
    result: Any = RaggedTensor.from_row_lengths(_wrap(pieces), _wrap(lengths), validate=False)
    # the uniform outer axes of the input, rebuilt around the ragged rows
    size = flat.size
    for dim in reversed(values.shape[1:]):
        splits = np.arange(0, size + 1, dim, dtype=np.int64) if dim else np.zeros(1, np.int64)
        result = RaggedTensor(result, _wrap(splits), internal=True)
        size //= max(dim, 1)
    return result


def _on_ragged_or_dense(fn: Callable[[Any], Any], x: Any) -> Any:
    """A splitting function on a RaggedTensor: split its flat values, keep its rows."""
    if isinstance(x, RaggedTensor):
        return x.with_flat_values(fn(x.flat_values))
    return fn(x)


# ---------------------------------------------------------------------------------------------
# Splitting

_WHITESPACE = b" \t\n\v\f\r"


def _split_whitespace(s: bytes, maxsplit: int) -> list[bytes]:
    """TF's whitespace split: runs of whitespace separate; after `maxsplit` pieces the rest
    (past the whitespace) is one more piece, even if empty."""
    tokens: list[bytes] = []
    n = len(s)
    i = 0
    while i < n and s[i] in _WHITESPACE:
        i += 1
    while i < n:
        j = i
        while j < n and s[j] not in _WHITESPACE:
            j += 1
        tokens.append(s[i:j])
        i = j
        while i < n and s[i] in _WHITESPACE:
            i += 1
        if maxsplit >= 0 and len(tokens) == maxsplit and j < n:
            tokens.append(s[i:])
            break
    return tokens


def split(input: Any, sep: Any = None, maxsplit: int = -1, name: str | None = None) -> Any:
    """Splits each string at `sep` (runs of whitespace if None or empty), at most `maxsplit`
    times; a scalar gives a 1-D Tensor, a rank-k input a RaggedTensor of rank k + 1.

    >>> import tapeflow as tf
    >>> print(tf.strings.split(["a b", "c"]))
    <tf.RaggedTensor [[b'a', b'b'], [b'c']]>
    """
    separator = sep.encode() if isinstance(sep, str) else sep

    def cut(s: bytes) -> list[bytes]:
        if not separator:
            return _split_whitespace(s, maxsplit)
        return s.split(separator, maxsplit)

    return _on_ragged_or_dense(lambda x: _pieces(_requested_strings(x), cut, object), input)


def bytes_split(input: Any, name: str | None = None) -> Any:
    """Each string cut into its bytes.

    >>> import tapeflow as tf
    >>> tf.strings.bytes_split("ab").numpy().tolist()
    [b'a', b'b']
    """
    return _on_ragged_or_dense(
        lambda x: _pieces(
            _requested_strings(x), lambda s: [s[i : i + 1] for i in range(len(s))], object
        ),
        input,
    )


_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def _codec(encoding: str) -> str:
    codec = _CODECS.get(encoding.upper())
    if codec is None:
        raise InvalidArgumentError(f"Could not create converter for input encoding: {encoding}")
    return codec


def _code_points(
    s: bytes, codec: str, errors: str, replacement_char: int, op_type: str
) -> list[int]:
    if errors == "strict":
        try:
            return [ord(c) for c in s.decode(codec)]
        except UnicodeDecodeError:
            raise kernel_error(op_type, "Invalid formatting on input string", "") from None
    text = s.decode(codec, errors="replace" if errors == "replace" else "ignore")
    return [replacement_char if c == "\ufffd" else ord(c) for c in text]


def unicode_decode(
    input: Any,
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    replace_control_characters: bool = False,
    name: str | None = None,
) -> Any:
    """Each string as its Unicode code points (int32): 1-D for a scalar, else ragged.

    >>> import tapeflow as tf
    >>> tf.strings.unicode_decode("añ", "UTF-8").numpy().tolist()
    [97, 241]
    """
    codec = _codec(input_encoding)

    def decode(s: bytes) -> list[int]:
        points = _code_points(s, codec, errors, replacement_char, "UnicodeDecode")
        if replace_control_characters:
            points = [replacement_char if p < 32 else p for p in points]
        return points

    return _on_ragged_or_dense(lambda x: _pieces(_requested_strings(x), decode, np.int32), input)


def unicode_split(
    input: Any,
    input_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Any:
    """Each string cut into its characters, each encoded again in `input_encoding`.

    >>> import tapeflow as tf
    >>> tf.strings.unicode_split("añ", "UTF-8").numpy().tolist()
    [b'a', b'\\xc3\\xb1']
    """
    codec = _codec(input_encoding)

    def chars(s: bytes) -> list[bytes]:
        points = _code_points(s, codec, errors, replacement_char, "UnicodeDecodeWithOffsets")
        return [chr(p).encode(codec) for p in points]

    return _on_ragged_or_dense(lambda x: _pieces(_requested_strings(x), chars, object), input)


def unicode_encode(
    input: Any,
    output_encoding: str,
    errors: str = "replace",
    replacement_char: int = 65533,
    name: str | None = None,
) -> Any:
    """Code points (the last axis, ragged or not) encoded as strings: one rank less.

    >>> import tapeflow as tf
    >>> tf.strings.unicode_encode([97, 241], "UTF-8").numpy()
    b'a\\xc3\\xb1'
    """
    codec = _codec(output_encoding)

    def encode(points: Any) -> bytes:
        chars = []
        for p in np.asarray(points).tolist():
            if 0 <= p < 0x110000 and not 0xD800 <= p < 0xE000:
                chars.append(chr(p))
            elif errors == "strict":
                raise kernel_error("UnicodeEncode", f"Invalid code point: {p}")
            elif errors == "replace":
                chars.append(chr(replacement_char))
        return "".join(chars).encode(codec)

    if isinstance(input, RaggedTensor):
        if isinstance(input.values, RaggedTensor):
            return input.with_values(unicode_encode(input.values, output_encoding, errors))
        values = np.asarray(input.values._value)
        s = np.asarray(input.row_splits._value)
        rows = [encode(values[s[i] : s[i + 1]]) for i in range(len(s) - 1)]
        return _wrap(np.array([*rows, b""], dtype=object)[:-1])
    arr = np.asarray(convert_to_tensor(input)._value)
    if arr.ndim == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    lead = arr.reshape(-1, arr.shape[-1])
    out = np.empty(len(lead), dtype=object)
    for i, row in enumerate(lead):
        out[i] = encode(row)
    return _wrap(_scalar_or_array(out.reshape(arr.shape[:-1])))


# ---------------------------------------------------------------------------------------------
# Elementwise


def _to_float(s: bytes) -> float:
    text = s.decode("utf-8", "replace").strip()
    if "_" in text:
        raise ValueError(text)
    if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?", text):
        return float.fromhex(text)  # C's strtod reads hexadecimal floats too
    return float(text)


def to_number(string_tensor: Any, out_type: Any = dtypes.float32, name: str | None = None) -> Any:
    """Parses each string as a number of `out_type` (float32, float64, int32 or int64).

    >>> import tapeflow as tf
    >>> tf.strings.to_number(["1", "2.5"]).numpy().tolist()
    [1.0, 2.5]
    """
    dtype = dtypes.as_dtype(out_type)
    target = dtype._np

    def parse(s: bytes) -> Any:
        try:
            if target.kind == "f":
                return target.type(_to_float(s))
            text = s.decode("utf-8", "replace").strip()
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError(text)
            value = int(text)
            info = np.iinfo(target)
            if not info.min <= value <= info.max:
                raise ValueError(text)
            return value
        except ValueError:
            raise kernel_error(
                "StringToNumber",
                f"StringToNumberOp could not correctly convert string: "
                f"{s.decode('utf-8', 'replace')}",
            ) from None

    def run(x: Any) -> Tensor:
        return _map(parse, _strings(x, "StringToNumber"), target)

    return _elementwise(run, string_tensor)


def to_hash_bucket_fast(input: Any, num_buckets: int, name: str | None = None) -> Any:
    """Each string's FarmHash Fingerprint64 modulo `num_buckets` (int64), as TF.

    >>> import tapeflow as tf
    >>> tf.strings.to_hash_bucket_fast(["Hello", "TF"], 3).numpy().tolist()
    [0, 1]
    """
    from tapeflow.ops.farmhash import hash_bucket_fast

    buckets = int(num_buckets)
    if buckets < 1:
        raise InvalidArgumentError(
            f"Value for attr 'num_buckets' of {buckets} must be at least minimum 1\n\t; "
            "NodeDef: {{node StringToHashBucketFast}}; Op<name=StringToHashBucketFast; "
            "signature=input:string -> output:int64; attr=num_buckets:int,min=1> "
            "[Op:StringToHashBucketFast]"
        )
    return _elementwise(
        lambda x: _map(
            lambda s: hash_bucket_fast(s, buckets),
            _strings(x, "StringToHashBucketFast"),
            np.int64,
        ),
        input,
    )


def length(input: Any, unit: str = "BYTE", name: str | None = None) -> Any:
    """The length of each string in bytes, or in UTF-8 characters (`unit="UTF8_CHAR"`).

    >>> import tapeflow as tf
    >>> tf.strings.length(["añ"], unit="UTF8_CHAR").numpy().tolist()
    [2]
    """
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise InvalidArgumentError(
            f"Value for attr 'unit' of \"{unit}\" is not in the list of allowed values: "
            '"BYTE", "UTF8_CHAR"\n\t; NodeDef: {{node StringLength}}; '
            "Op<name=StringLength; signature=input:string -> output:int32; "
            'attr=unit:string,default="BYTE",allowed=["BYTE", "UTF8_CHAR"]> [Op:StringLength]'
        )

    def count(s: bytes) -> int:
        if unit == "BYTE":
            return len(s)
        return sum(1 for b in s if b & 0xC0 != 0x80)  # every byte that starts a character

    return _elementwise(lambda x: _map(count, _strings(x, "StringLength"), np.int32), input)


def _case(fn_name: str, op_type: str) -> Callable[..., Any]:
    def convert(input: Any, encoding: str = "", name: str | None = None) -> Any:
        def one(s: bytes) -> bytes:
            if encoding:  # TF: with an encoding, Unicode case rules; without, ASCII only
                return getattr(s.decode(encoding), fn_name)().encode(encoding)
            return getattr(s, fn_name)()

        return _elementwise(lambda x: _map(one, _strings(x, op_type), object), input)

    convert.__name__ = convert.__qualname__ = fn_name
    convert.__doc__ = f"Each string in {fn_name} case (ASCII letters only, unless `encoding`)."
    return convert


lower = _case("lower", "StringLower")
upper = _case("upper", "StringUpper")


def strip(input: Any, name: str | None = None) -> Any:
    """Each string without leading and trailing whitespace.

    >>> import tapeflow as tf
    >>> tf.strings.strip(" a ").numpy()
    b'a'
    """
    return _elementwise(
        lambda x: _map(lambda s: s.strip(_WHITESPACE), _strings(x, "StringStrip"), object), input
    )


def join(inputs: Any, separator: str = "", name: str | None = None) -> Tensor:
    """Joins the strings of several tensors elementwise (all one shape, or scalars).

    >>> import tapeflow as tf
    >>> tf.strings.join(["a", "b"], separator="-").numpy()
    b'a-b'
    """
    arrays = [_strings(x, "StringJoin") for x in inputs]
    shaped = [a.shape for a in arrays if a.ndim]
    for s in shaped[1:]:
        if s != shaped[0]:
            raise kernel_error(
                "StringJoin",
                f"Input shapes do not match: {list(shaped[0])} vs. {list(s)}",
                "",
            )
    shape = shaped[0] if shaped else ()
    sep = separator.encode() if isinstance(separator, str) else separator
    out = np.empty(shape, dtype=object)
    parts = [np.broadcast_to(a, shape) for a in arrays]
    for index in np.ndindex(shape):
        out[index] = sep.join(p[index] for p in parts)
    return _wrap(out)


def reduce_join(
    inputs: Any,
    axis: Any = None,
    keepdims: bool = False,
    separator: str = "",
    name: str | None = None,
) -> Tensor:
    """Joins the strings along `axis` (all axes if None), in row-major order.

    >>> import tapeflow as tf
    >>> tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1).numpy().tolist()
    [b'ab', b'cd']
    """
    arr = _strings(inputs, "ReduceJoin")
    rank = arr.ndim
    if axis is None:
        axes = list(range(rank))
    else:
        # TF: the first axis listed varies fastest in the joined order
        listed = [int(a) % rank if rank else 0 for a in np.atleast_1d(axis).tolist()]
        axes = list(dict.fromkeys(listed))[::-1]
    kept = [d for d in range(rank) if d not in axes]
    moved = np.transpose(arr, kept + axes).reshape([arr.shape[d] for d in kept] + [-1])
    sep = separator.encode() if isinstance(separator, str) else separator
    out = np.empty(moved.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = sep.join(moved[index])
    if keepdims:
        out = out.reshape([1 if d in axes else arr.shape[d] for d in range(rank)])
    return _wrap(out)


def _rewrite(template: str | bytes) -> bytes:
    # RE2 writes the whole match as \0; Python's templates read \0 as a NUL character
    raw = template.encode() if isinstance(template, str) else template
    return re.sub(rb"\\0", rb"\\g<0>", raw)


def _pattern(pattern: Any, op_type: str) -> re.Pattern[bytes]:
    raw = pattern.encode() if isinstance(pattern, str) else bytes(np.asarray(pattern).item())
    try:
        return re.compile(raw)
    except re.error as e:
        raise kernel_error(
            op_type, f"Invalid pattern: {raw.decode('utf-8', 'replace')}, error: {e.msg}"
        ) from None


def regex_replace(
    input: Any, pattern: Any, rewrite: Any, replace_global: bool = True, name: str | None = None
) -> Any:
    """Replaces the matches of `pattern` (the first one only unless `replace_global`).

    Patterns are Python's `re` syntax, which agrees with TF's RE2 on the common cases.

    >>> import tapeflow as tf
    >>> tf.strings.regex_replace("hello", "l+", "L").numpy()
    b'heLo'
    """
    op_type = "StaticRegexReplace"
    regex = _pattern(pattern, op_type)
    template = _rewrite(
        rewrite if isinstance(rewrite, (str, bytes)) else np.asarray(rewrite).item()
    )
    count = 0 if replace_global else 1
    return _elementwise(
        lambda x: _map(lambda s: regex.sub(template, s, count), _strings(x, op_type), object),
        input,
    )


def regex_full_match(input: Any, pattern: Any, name: str | None = None) -> Any:
    """Whether each whole string matches `pattern`.

    >>> import tapeflow as tf
    >>> tf.strings.regex_full_match(["abc", "ab"], "a.c").numpy().tolist()
    [True, False]
    """
    regex = _pattern(pattern, "StaticRegexFullMatch")
    return _elementwise(
        lambda x: _map(
            lambda s: regex.fullmatch(s) is not None, _strings(x, "StaticRegexFullMatch"), bool
        ),
        input,
    )


def substr(input: Any, pos: Any, len: Any, unit: str = "BYTE", name: str | None = None) -> Tensor:
    """`len` bytes (or UTF-8 characters) of each string from `pos` (negative: from the end).

    >>> import tapeflow as tf
    >>> tf.strings.substr("hello", 1, 3).numpy()
    b'ell'
    """
    arr = _strings(input, "Substr")
    pos_arr = np.asarray(convert_to_tensor(pos)._value)
    len_arr = np.asarray(convert_to_tensor(len)._value)
    shape = np.broadcast_shapes(arr.shape, pos_arr.shape, len_arr.shape)
    strings, starts, sizes = (np.broadcast_to(a, shape) for a in (arr, pos_arr, len_arr))
    out = np.empty(shape, dtype=object)
    for k, index in enumerate(np.ndindex(shape)):
        s: Any = strings[index]
        text = s.decode("utf-8") if unit == "UTF8_CHAR" else s
        p, n = int(starts[index]), int(sizes[index])
        size = text.__len__()
        if p > size or p < -size:
            raise kernel_error(
                "Substr",
                f"pos {p} out of range for string b'{s.decode('utf-8', 'replace')}' at index {k}",
            )
        p %= size + 1 if p >= 0 else size
        piece = text[p : p + max(n, 0)]
        out[index] = piece.encode("utf-8") if unit == "UTF8_CHAR" else piece
    return _wrap(out)


def format(
    template: str, inputs: Any, placeholder: str = "{}", summarize: int = 3, name: str | None = None
) -> Tensor:
    """`template` with each `placeholder` replaced by the next input, formatted as tf.print.

    >>> import tapeflow as tf
    >>> tf.strings.format("x = {}", tf.constant([1, 2])).numpy()
    b'x = [1 2]'
    """
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(items):
        raise ValueError(
            f"The template expects {len(pieces) - 1} tensors, but the inputs only has "
            f"{len(items)}. Please ensure the number of placeholders in template matches inputs "
            "length."
        )
    out = [pieces[0]]
    for item, piece in zip(items, pieces[1:]):
        out.append(format_value(convert_to_tensor(item)._value, summarize))
        out.append(piece)
    return _wrap(np.array("".join(out).encode(), dtype=object))


def as_string(
    input: Any,
    precision: int = -1,
    scientific: bool = False,
    shortest: bool = False,
    width: int = -1,
    fill: str = "",
    name: str | None = None,
) -> Any:
    """Each number as text, with C's printf conversions (`%f` by default for floats).

    >>> import tapeflow as tf
    >>> tf.strings.as_string([1.5, 2.0], precision=1).numpy().tolist()
    [b'1.5', b'2.0']
    """
    if fill not in ("", " ", "0"):
        raise kernel_error("AsString", f'Fill argument not supported: "{fill}"')

    def run(x: Any) -> Tensor:
        arr = np.asarray(convert_to_tensor(x)._value)
        kind = arr.dtype.kind
        if kind == "O":
            return _wrap(_scalar_or_array(arr.copy()))
        spec = "%" + ("0" if fill == "0" else "") + (str(width) if width > -1 else "")
        if kind in "fc":
            spec += f".{precision}" if precision > -1 else ""
            spec += "e" if scientific else "g" if shortest else "f"
        else:
            spec += "d"

        def text(v: Any) -> bytes:
            if kind == "b":
                return b"true" if v else b"false"
            if kind == "c":
                return f"({spec % v.real},{spec % v.imag})".encode()
            return (spec % (float(v) if kind == "f" else int(v))).encode()

        return _map(text, arr, object)

    return _elementwise(run, input)


def decode_raw(
    input_bytes: Any,
    out_type: Any,
    little_endian: bool = True,
    fixed_length: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Reinterprets each string's bytes as numbers of `out_type`: a new last axis.

    >>> import tapeflow as tf
    >>> tf.io.decode_raw("ab", tf.uint8).numpy().tolist()
    [97, 98]
    """
    arr = _strings(input_bytes, "DecodeRaw")
    dtype = dtypes.as_dtype(out_type)
    np_type = dtype._np.newbyteorder("<" if little_endian else ">")
    flat = arr.reshape(-1)
    size = np_type.itemsize
    if fixed_length is None and flat.size:
        first = len(flat[0])
        for i, s in enumerate(flat):
            if len(s) != first:
                raise kernel_error(
                    "DecodeRaw",
                    "DecodeRaw requires input strings to all be the same size, but element "
                    f"{i} has size {first} != {len(s)}",
                )
    rows = []
    for s in flat:
        raw = s if fixed_length is None else s[:fixed_length].ljust(fixed_length, b"\0")
        if len(raw) % size:
            raise kernel_error(
                "DecodeRaw",
                f"Input to DecodeRaw has length {len(raw)} that is not a multiple of {size}, "
                f"the size of {dtype.name}",
            )
        rows.append(np.frombuffer(raw, dtype=np_type).astype(dtype._np))
    width = len(rows[0]) if rows else 0
    out = np.stack(rows) if rows else np.zeros((0, width), dtype._np)
    return _wrap(out.reshape((*arr.shape, width)))
