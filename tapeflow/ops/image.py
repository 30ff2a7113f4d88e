"""tf.image: the image functions tutorials use, written as TF's Python wrappers write them.

Images are (height, width, channels) or batches (n, height, width, channels). Every function
except `adjust_contrast` is built from recorded ops (reverse, transpose, slice, pad, gather,
tensordot, cast, arithmetic), so its gradient, higher derivatives and batched jacobians come
from theirs, and dtypes follow TF's wrappers (integer images go through `convert_image_dtype`).
`adjust_contrast` is TF's kernel "AdjustContrastv2", which has no gradient in TF either.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError, NotFoundError
from tapeflow.op import op
from tapeflow.ops import random as _random
from tapeflow.ops.array import _pad, _reshape, _reverse, _slice, _tile, _transpose
from tapeflow.ops.indexing import _gather
from tapeflow.ops.logic import round as _round
from tapeflow.ops.math import (
    add,
    cast,
    clip_by_value,
    divide,
    floordiv,
    identity,
    maximum,
    multiply,
    rsqrt,
    subtract,
)
from tapeflow.ops.reduce import reduce_mean, reduce_std, reduce_sum
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "central_crop",
    "convert_image_dtype",
    "crop_to_bounding_box",
    "flip_left_right",
    "flip_up_down",
    "grayscale_to_rgb",
    "pad_to_bounding_box",
    "per_image_standardization",
    "random_flip_left_right",
    "random_flip_up_down",
    "resize",
    "resize_with_crop_or_pad",
    "rgb_to_grayscale",
    "rot90",
    "transpose",
    "ResizeMethod",
]


def _image(image: Any) -> Tensor:
    return image if type(image) is Tensor else convert_to_tensor(image)


def _check_at_least_3d(shape: tuple[int, ...]) -> None:
    """TF's _CheckAtLeast3DImage on a static shape."""
    if len(shape) < 3:
        raise ValueError(f"'image' (shape {shape}) must be at least three-dimensional.")
    if 0 in shape[-3:]:
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {shape}")


def _check_3d_or_4d(shape: tuple[int, ...], sep: str = " ") -> None:
    if len(shape) not in (3, 4):
        # TF's _flip omits the space before "must"; the other wrappers have it
        raise ValueError(f"'image' (shape {shape}){sep}must have either 3 or 4 dimensions.")


def _batched(image: Any) -> tuple[Tensor, bool]:
    """The image as a 4-D batch, and whether it was one: the wrappers' expand_dims(image, 0)."""
    x = _image(image)
    shape = x._value.shape
    if len(shape) == 3:
        return _reshape(x, shape=(1, *shape)), False
    if len(shape) != 4:
        raise ValueError(f"'image' (shape {shape}) must have either 3 or 4 dimensions.")
    return x, True


def _unbatched(x: Tensor, is_batch: bool) -> Tensor:
    return x if is_batch else _reshape(x, shape=x._value.shape[1:])


# ---------------------------------------------------------------------------------------------
# dtype conversion


def _saturate_cast(x: Tensor, dtype: dtypes.DType) -> Tensor:
    """Clamps to the range both dtypes share, then casts (TF's saturate_cast)."""
    src = x._value.dtype
    info: Any = np.finfo if src.kind == "f" else np.iinfo
    lo = builtins.max(float(info(src).min), float(dtype.min))
    hi = builtins.min(float(info(src).max), float(dtype.max))
    lo_v, hi_v = np.asarray(lo).astype(src), np.asarray(hi).astype(src)
    if src.kind == "f":  # a bound that rounds outside the integer range must move inwards
        if float(hi_v) > hi:
            hi_v = np.nextafter(hi_v, src.type(0))
        if float(lo_v) < lo:
            lo_v = np.nextafter(lo_v, src.type(0))
    return cast(clip_by_value(x, _wrap(lo_v), _wrap(hi_v)), dtype)


def convert_image_dtype(
    image: Any, dtype: Any, saturate: bool = False, name: str | None = None
) -> Tensor:
    """Converts between image dtypes, rescaling: floats are in [0, 1], integers in
    [0, dtype.max]. With `saturate`, values are clipped before a narrowing cast.

    >>> import tapeflow as tf
    >>> tf.image.convert_image_dtype(tf.constant([[[255]]], tf.uint8), tf.float32).numpy()
    array([[[1.]]], dtype=float32)
    """
    x = _image(image)
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating and not dtype.is_integer:
        raise AttributeError("dtype must be either floating point or integer")
    src = x.dtype
    if not src.is_floating and not src.is_integer:
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == src:
        return identity(x)
    if src.is_integer and dtype.is_integer:
        scale_in, scale_out = int(src.max), int(dtype.max)
        if scale_in > scale_out:  # keep the high bits: a shift right
            scaled = floordiv(x, (scale_in + 1) // (scale_out + 1))
            return _saturate_cast(scaled, dtype) if saturate else cast(scaled, dtype)
        widened = _saturate_cast(x, dtype) if saturate else cast(x, dtype)
        return multiply(widened, (scale_out + 1) // (scale_in + 1))
    if src.is_floating and dtype.is_floating:
        return cast(x, dtype)
    if src.is_integer:
        return multiply(cast(x, dtype), 1.0 / float(src.max))
    scaled = multiply(x, float(dtype.max) + 0.5)  # + 0.5: TF's guard against rounding down
    return _saturate_cast(scaled, dtype) if saturate else cast(scaled, dtype)


def _as_float(x: Tensor) -> Tensor:
    """float16 and float32 images stay; every other dtype is converted to float32 (TF)."""
    if x._value.dtype in (np.float16, np.float32):
        return x
    return convert_image_dtype(x, dtypes.float32)


# ---------------------------------------------------------------------------------------------
# Colour and contrast


@op("AdjustContrastv2", same_dtype=())  # no gradient rule: TF registers none
def _adjust_contrast(images: Any, contrast_factor: Any) -> Any:
    if images.dtype == np.float16:  # TF's CPU kernel is float32 only
        raise NotFoundError(
            "Could not find device for node: {{node AdjustContrastv2}} = "
            "AdjustContrastv2[T=DT_HALF]\nAll kernels registered for op AdjustContrastv2:\n"
            "  device='XLA_CPU_JIT'; T in [DT_FLOAT, DT_HALF]\n  device='CPU'; T in [DT_FLOAT]\n"
            " [Op:AdjustContrastv2] name: "
        )
    if images.ndim < 3:
        shape = ",".join(str(d) for d in images.shape)
        raise InvalidArgumentError(
            f"input must be at least 3-D, got shape[{shape}] [Op:AdjustContrastv2] name: "
        )
    if np.ndim(contrast_factor) != 0:
        raise InvalidArgumentError(
            f"contrast_factor must be scalar: {list(np.shape(contrast_factor))} "
            "[Op:AdjustContrastv2]"
        )
    # the mean of each image and channel over height and width, in float32; TF's Eigen
    # reduction sums in another order, so arbitrary floats can differ in the last bit
    x = images.astype(np.float32)
    n = np.float32(x.shape[-3] * x.shape[-2])
    mean = x.sum(axis=(-3, -2), keepdims=True, dtype=np.float32) / n
    factor = np.float32(contrast_factor)
    return ((x - mean) * factor + mean).astype(images.dtype)


def adjust_contrast(images: Any, contrast_factor: Any) -> Tensor:
    """`(x - mean) * contrast_factor + mean` per image and channel, the mean taken over height
    and width. Not differentiable (TF registers no gradient for AdjustContrastv2).

    >>> import tapeflow as tf
    >>> tf.image.adjust_contrast([[[1.0], [3.0]]], 2.0).numpy().ravel().tolist()
    [0.0, 4.0]
    """
    x = _image(images)
    adjusted = _adjust_contrast(_as_float(x), cast(contrast_factor, dtypes.float32))
    return convert_image_dtype(adjusted, x.dtype, saturate=True)


def adjust_brightness(image: Any, delta: Any) -> Tensor:
    """Adds `delta` to every pixel (in the [0, 1] float scale for integer images).

    >>> import tapeflow as tf
    >>> tf.image.adjust_brightness([[[0.25]]], 0.5).numpy().ravel().tolist()
    [0.75]
    """
    x = _image(image)
    flt = _as_float(x)
    adjusted = add(flt, cast(delta, flt.dtype))
    return convert_image_dtype(adjusted, x.dtype, saturate=True)


def rgb_to_grayscale(images: Any, name: str | None = None) -> Tensor:
    """Luma with TF's weights [0.2989, 0.5870, 0.1140]; the last axis becomes size 1.

    >>> import tapeflow as tf
    >>> tf.image.rgb_to_grayscale(tf.ones([2, 2, 3])).shape
    TensorShape([2, 2, 1])
    """
    x = _image(images)
    flt = convert_image_dtype(x, dtypes.float32)
    weights = _wrap(np.array([0.2989, 0.5870, 0.1140], np.float32))
    # TF writes tensordot(flt, weights, [-1, -1]); its kernel sums r, g, b in order, and a
    # product then a three-term sum does too (a BLAS matmul can differ in the last bit)
    gray = reduce_sum(multiply(flt, weights), axis=-1, keepdims=True)
    return convert_image_dtype(gray, x.dtype)


def grayscale_to_rgb(images: Any, name: str | None = None) -> Tensor:
    """Repeats the single channel three times.

    >>> import tapeflow as tf
    >>> tf.image.grayscale_to_rgb(tf.ones([2, 2, 1])).shape
    TensorShape([2, 2, 3])
    """
    x = _image(images)
    shape = x._value.shape
    if len(shape) < 2:
        raise ValueError(f"A grayscale image (shape {shape}) must be at least two-dimensional.")
    if shape[-1] != 1:
        raise ValueError("Last dimension of a grayscale image should be size 1.")
    return _tile(x, multiples=(1,) * (len(shape) - 1) + (3,))


def per_image_standardization(image: Any) -> Tensor:
    """`(x - mean) / max(stddev, 1 / sqrt(pixels))` per image, in float32.

    >>> import tapeflow as tf
    >>> tf.image.per_image_standardization([[[1.0], [3.0]]]).numpy().ravel().tolist()
    [-1.0, 1.0]
    """
    x = _image(image)
    _check_at_least_3d(x._value.shape)
    x = cast(x, dtypes.float32)
    num_pixels = int(np.prod(x._value.shape[-3:]))
    mean = reduce_mean(x, axis=[-1, -2, -3], keepdims=True)
    stddev = reduce_std(x, axis=[-1, -2, -3], keepdims=True)
    # the floor keeps a uniform image from dividing by zero
    min_stddev = rsqrt(_wrap(np.float32(num_pixels)))
    return divide(subtract(x, mean), maximum(stddev, min_stddev))


# ---------------------------------------------------------------------------------------------
# Flips, rotations and transposes


def _flip(image: Any, axis: int) -> Tensor:
    x = _image(image)
    shape = x._value.shape
    _check_at_least_3d(shape)
    _check_3d_or_4d(shape, sep="")
    return _reverse(x, axis=(axis + len(shape) - 3,))


def flip_left_right(image: Any) -> Tensor:
    """Mirrors the width axis.

    >>> import tapeflow as tf
    >>> tf.image.flip_left_right([[[1], [2]]]).numpy().ravel().tolist()
    [2, 1]
    """
    return _flip(image, 1)


def flip_up_down(image: Any) -> Tensor:
    """Mirrors the height axis.

    >>> import tapeflow as tf
    >>> tf.image.flip_up_down([[[1]], [[2]]]).numpy().ravel().tolist()
    [2, 1]
    """
    return _flip(image, 0)


def _random_flip(image: Any, axis: int, seed: int | None) -> Tensor:
    x = _image(image)
    shape = x._value.shape
    _check_at_least_3d(shape)
    if len(shape) == 3:
        u = _random.uniform([], 0, 1.0, seed=seed)
        return _reverse(x, axis=(axis,)) if float(u._value) < 0.5 else x
    if len(shape) != 4:
        raise ValueError(f"'image' (shape {shape}) must have either 3 or 4 dimensions.")
    # one coin per image, blended as TF blends (so the gradient reaches both branches as TF's)
    u = _random.uniform([shape[0]], 0, 1.0, seed=seed)
    flips = cast(_round(_reshape(u, shape=(shape[0], 1, 1, 1))), x.dtype)
    flipped = _reverse(x, axis=(axis + 1,))
    return add(multiply(flips, flipped), multiply(subtract(1, flips), x))


def random_flip_left_right(image: Any, seed: int | None = None) -> Tensor:
    """Mirrors the width axis with probability 1/2 (per image for a batch); `seed` as in
    tf.random. The coins are NumPy's, not TF's (README, deliberate differences)."""
    return _random_flip(image, 1, seed)


def random_flip_up_down(image: Any, seed: int | None = None) -> Tensor:
    """Mirrors the height axis with probability 1/2 (per image for a batch)."""
    return _random_flip(image, 0, seed)


def rot90(image: Any, k: Any = 1, name: str | None = None) -> Tensor:
    """Rotates counter-clockwise by `k` quarter turns.

    >>> import tapeflow as tf
    >>> tf.image.rot90([[[1], [2]], [[3], [4]]]).numpy().ravel().tolist()
    [2, 4, 1, 3]
    """
    x = _image(image)
    shape = x._value.shape
    _check_at_least_3d(shape)
    k_value = np.asarray(getattr(k, "_value", k))
    if k_value.ndim != 0:
        raise ValueError(f"Shape {k_value.shape} must have rank 0")
    turns = int(k_value) % 4
    _check_3d_or_4d(shape)
    h = len(shape) - 3  # the height axis; width follows it
    perm = (0, 2, 1, 3) if h else (1, 0, 2)
    if turns == 1:
        return _transpose(_reverse(x, axis=(h + 1,)), perm=perm)
    if turns == 2:
        return _reverse(x, axis=(h, h + 1))
    if turns == 3:
        return _reverse(_transpose(x, perm=perm), axis=(h + 1,))
    return identity(x)


def transpose(image: Any, name: str | None = None) -> Tensor:
    """Swaps height and width.

    >>> import tapeflow as tf
    >>> tf.image.transpose(tf.zeros([2, 3, 1])).shape
    TensorShape([3, 2, 1])
    """
    x = _image(image)
    shape = x._value.shape
    _check_at_least_3d(shape)
    _check_3d_or_4d(shape)
    return _transpose(x, perm=(0, 2, 1, 3) if len(shape) == 4 else (1, 0, 2))


# ---------------------------------------------------------------------------------------------
# Crops and pads


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def central_crop(image: Any, central_fraction: float) -> Tensor:
    """The central `central_fraction` of height and width.

    >>> import tapeflow as tf
    >>> tf.image.central_crop(tf.zeros([4, 4, 1]), 0.5).shape
    TensorShape([2, 2, 1])
    """
    x = _image(image)
    fraction = float(getattr(central_fraction, "_value", central_fraction))
    if fraction <= 0.0 or fraction > 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if fraction == 1.0:
        return x
    shape = x._value.shape
    _check_at_least_3d(shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"`image` should either be a Tensor with rank = 3 or rank = 4. Had rank = {len(shape)}."
        )
    h = len(shape) - 3
    height, width = shape[h], shape[h + 1]
    top = int((height - height * fraction) / 2)
    left = int((width - width * fraction) / 2)
    begin = (0,) * h + (top, left, 0)
    size = (*shape[:h], height - 2 * top, width - 2 * left, shape[-1])
    return _slice(x, begin=begin, size=size)


def crop_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """The `target_height` x `target_width` window whose top-left corner is at the offsets.

    >>> import tapeflow as tf
    >>> tf.image.crop_to_bounding_box(tf.zeros([4, 5, 1]), 1, 2, 2, 3).shape
    TensorShape([2, 3, 1])
    """
    x, is_batch = _batched(image)
    _check_at_least_3d(x._value.shape)
    n, height, width, depth = x._value.shape
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    _require(ow >= 0, "offset_width must be >= 0.")
    _require(oh >= 0, "offset_height must be >= 0.")
    _require(tw > 0, "target_width must be > 0.")
    _require(th > 0, "target_height must be > 0.")
    _require(width >= tw + ow, "width must be >= target + offset.")
    _require(height >= th + oh, "height must be >= target + offset.")
    return _unbatched(_slice(x, begin=(0, oh, ow, 0), size=(n, th, tw, depth)), is_batch)


def pad_to_bounding_box(
    image: Any, offset_height: int, offset_width: int, target_height: int, target_width: int
) -> Tensor:
    """Pads with zeros to `target_height` x `target_width`, the image's top-left corner at the
    offsets.

    >>> import tapeflow as tf
    >>> tf.image.pad_to_bounding_box(tf.ones([2, 2, 1]), 1, 1, 4, 5).shape
    TensorShape([4, 5, 1])
    """
    x, is_batch = _batched(image)
    _, height, width, _ = x._value.shape
    oh, ow, th, tw = (int(v) for v in (offset_height, offset_width, target_height, target_width))
    _check_at_least_3d(x._value.shape)
    _require(oh >= 0, "offset_height must be >= 0")
    _require(ow >= 0, "offset_width must be >= 0")
    _require(tw - ow - width >= 0, "width must be <= target - offset")
    _require(th - oh - height >= 0, "height must be <= target - offset")
    pads = ((0, 0), (oh, th - oh - height), (ow, tw - ow - width), (0, 0))
    zero = _wrap(np.zeros((), x._value.dtype))
    return _unbatched(_pad(x, zero, paddings=pads), is_batch)


def resize_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> Tensor:
    """Crops or zero-pads height and width symmetrically to the target size (the extra pixel
    of an odd difference goes to the bottom and right).

    >>> import tapeflow as tf
    >>> tf.image.resize_with_crop_or_pad(tf.ones([2, 6, 1]), 4, 4).shape
    TensorShape([4, 4, 1])
    """
    x, is_batch = _batched(image)
    _check_at_least_3d(x._value.shape)
    th, tw = int(target_height), int(target_width)
    _require(tw > 0, "target_width must be > 0.")
    _require(th > 0, "target_height must be > 0.")
    _, height, width, _ = x._value.shape
    cropped = crop_to_bounding_box(
        x,
        builtins.max(-(th - height) // 2, 0),
        builtins.max(-(tw - width) // 2, 0),
        builtins.min(th, height),
        builtins.min(tw, width),
    )
    resized = pad_to_bounding_box(
        cropped, builtins.max((th - height) // 2, 0), builtins.max((tw - width) // 2, 0), th, tw
    )
    return _unbatched(resized, is_batch)


# ---------------------------------------------------------------------------------------------
# Resizing


class ResizeMethod:
    """The `method` names of `tf.image.resize`; tapeflow implements BILINEAR and
    NEAREST_NEIGHBOR."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_KNOWN_METHODS = {v for k, v in vars(ResizeMethod).items() if k.isupper()}


def _resize_size(size: Any) -> tuple[int, int]:
    value = np.asarray(getattr(size, "_value", size))
    if value.dtype.kind not in "iu" and not (value.dtype.kind == "f" and value.size == 0):
        raise ValueError("'size' must be a 1-D int32 Tensor")
    if value.shape != (2,):
        raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
    return int(value[0]), int(value[1])


def _scale(in_size: int, out_size: int) -> np.float32:
    return np.float32(in_size) / np.float32(out_size)  # TF computes the scale in float


def _bilinear_axis(x: Tensor, axis: int, out_size: int) -> tuple[Tensor, Tensor, np.ndarray]:
    """The lower and upper source rows (or columns) of each output one, and the weight of the
    upper: TF's half-pixel centres, `in = (out + 0.5) * scale - 0.5`, all in float32."""
    in_size = x._value.shape[axis]
    pos = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * _scale(in_size, out_size)
    pos = pos - np.float32(0.5)
    floor = np.floor(pos)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
    lerp = (pos - floor).astype(np.float32)
    gather = _gather(x, _wrap(lower), axis=axis, batch_dims=0)
    return gather, _gather(x, _wrap(upper), axis=axis, batch_dims=0), lerp


def _resize_bilinear(images: Tensor, height: int, width: int) -> Tensor:
    x = cast(images, dtypes.float32)  # TF's ResizeBilinear always gives float32
    top_rows, bottom_rows, y_lerp = _bilinear_axis(x, 1, height)
    y_w = _wrap(y_lerp.reshape(1, height, 1, 1))
    corners = []
    for rows in (top_rows, bottom_rows):
        left, right, x_lerp = _bilinear_axis(rows, 2, width)
        x_w = _wrap(x_lerp.reshape(1, 1, width, 1))
        corners.append(add(left, multiply(subtract(right, left), x_w)))
    top, bottom = corners
    # TF's order of operations, so values agree to the last bit
    return add(top, multiply(subtract(bottom, top), y_w))


def _nearest_index(in_size: int, out_size: int) -> np.ndarray:
    # TF's half-pixel centres for nearest: floor((out + 0.5) * scale), no -0.5
    pos = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * _scale(in_size, out_size)
    return np.minimum(np.floor(pos).astype(np.int64), in_size - 1)


def _resize_nearest(images: Tensor, height: int, width: int) -> Tensor:
    _, in_h, in_w, _ = images._value.shape
    rows = _gather(images, _wrap(_nearest_index(in_h, height)), axis=1, batch_dims=0)
    return _gather(rows, _wrap(_nearest_index(in_w, width)), axis=2, batch_dims=0)


def resize(
    images: Any,
    size: Any,
    method: str = ResizeMethod.BILINEAR,
    preserve_aspect_ratio: bool = False,
    antialias: bool = False,
    name: str | None = None,
) -> Tensor:
    """Resizes to `size = [height, width]` with TF 2's half-pixel-centre sampling. "bilinear"
    gives float32; "nearest" keeps the dtype. Differentiable (gathers and arithmetic).

    >>> import tapeflow as tf
    >>> tf.image.resize([[[1.0], [3.0]]], [1, 4]).numpy().ravel().tolist()
    [1.0, 1.5, 2.5, 3.0]
    """
    x = _image(images)
    if x.ndim == 3:
        x, is_batch = _reshape(x, shape=(1, *x._value.shape)), False
    elif x.ndim == 4:
        is_batch = True
    else:
        raise ValueError("'images' must have either 3 or 4 dimensions.")
    height, width = _resize_size(size)
    _, in_h, in_w, _ = x._value.shape
    if preserve_aspect_ratio:
        # TF's float32 arithmetic and round-half-to-even
        factor = min(np.float32(height) / np.float32(in_h), np.float32(width) / np.float32(in_w))
        height = int(np.round(factor * np.float32(in_h)))
        width = int(np.round(factor * np.float32(in_w)))
    if method not in _KNOWN_METHODS:
        raise ValueError(f"Resize method is not implemented: {method}")
    kernel = "ResizeBilinear" if method == ResizeMethod.BILINEAR else "ResizeNearestNeighbor"
    if method not in (ResizeMethod.BILINEAR, ResizeMethod.NEAREST_NEIGHBOR) or (
        antialias and method == ResizeMethod.BILINEAR
    ):
        raise NotImplementedError(
            f"tapeflow's tf.image.resize implements 'bilinear' (antialias=False) and "
            f"'nearest'; got method={method!r}, antialias={antialias}"
        )
    if height <= 0 or width <= 0:
        raise InvalidArgumentError(f"output dimensions must be positive [Op:{kernel}] name: ")
    if in_h == 0 or in_w == 0:
        raise InvalidArgumentError(
            f"input image must be of non-zero size, got {in_h}x{in_w} [Op:{kernel}]"
        )
    if method == ResizeMethod.BILINEAR:
        out = _resize_bilinear(x, height, width)
    else:
        out = _resize_nearest(x, height, width)
    return _unbatched(out, is_batch)
