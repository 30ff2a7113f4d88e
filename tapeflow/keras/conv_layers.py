"""Keras layers for images, sequences and tokens: Conv1D and Conv2D, the 1-D and 2-D poolings
and their global forms, UpSampling2D, ZeroPadding2D, Cropping2D, Reshape, RepeatVector,
Permute and Embedding (channels last, as Keras's default). tf.keras.layers re-exports them.
"""

from __future__ import annotations

from typing import Any

from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers import InputSpec, Layer
from tapeflow.keras.serialization import keras_defaults
from tapeflow.ops import conv as _conv
from tapeflow.ops import image as _image
from tapeflow.ops import nn as _nn
from tapeflow.ops import pooling as _pooling
from tapeflow.ops.array import expand_dims, pad, repeat, reshape, transpose
from tapeflow.ops.logic import not_equal
from tapeflow.ops.math import cast, truediv, where
from tapeflow.ops.reduce import reduce_max, reduce_mean, reduce_sum
from tapeflow.tape import add
from tapeflow.tensor import convert_to_tensor

__all__ = [
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "AveragePooling1D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "UpSampling2D",
    "ZeroPadding2D",
    "Cropping2D",
    "Reshape",
    "RepeatVector",
    "Permute",
    "Embedding",
]


def _tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """Keras's standardize_tuple: an int or `n` ints, positive (or >= 0 with `allow_zero`)."""
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int):
        values: tuple[Any, ...] = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
        for v in values:
            try:
                int(v)
            except (ValueError, TypeError):
                raise ValueError(f"{message}including element {v} of type {type(v)}") from None
    bad = {v for v in values if (v < 0 if allow_zero else v <= 0)}
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"{message}, including values {bad} that do not satisfy `value {requirement}`"
        )
    return tuple(int(v) for v in values)


def _pair(value: Any, name: str) -> tuple[int, int]:
    first, second = _tuple(value, 2, name)
    return first, second


def _single(value: Any, name: str) -> int:
    return _tuple(value, 1, name)[0]


def _padding(padding: str, causal: bool = False) -> str:
    mode = padding.upper()
    if mode not in ("VALID", "SAME") and not (causal and mode == "CAUSAL"):
        raise ValueError(
            "The `padding` argument must be a list/tuple or one of "
            f"['valid', 'same', 'causal']. Received: {padding}"
        )
    return mode


class Conv1D(Layer):
    """`activation(conv1d(inputs, kernel) + bias)` over (batch, steps, channels) with a
    (kernel_size, channels, filters) kernel; `padding="causal"` pads only the start, so step t
    sees steps <= t (WaveNet's convolution, as Keras pads it).

    >>> import tapeflow as tf
    >>> conv = tf.keras.layers.Conv1D(4, 3, padding="causal", kernel_initializer="ones")
    >>> conv(tf.ones([1, 5, 2])).shape
    TensorShape([1, 5, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _single(kernel_size, "kernel_size")
        self.strides = _single(strides, "strides")
        self.dilation_rate = _single(dilation_rate, "dilation_rate")
        self.padding = _padding(padding, causal=True)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape: Any) -> None:
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(min_ndim=3, axes={-1: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        padding = self.padding
        if padding == "CAUSAL":  # Keras: pad dilation * (kernel_size - 1) steps in front
            inputs = pad(inputs, [[0, 0], [self.dilation_rate * (self.kernel_size - 1), 0], [0, 0]])
            padding = "VALID"
        x = _conv.conv1d(inputs, self.kernel, self.strides, padding, dilations=self.dilation_rate)
        if self.bias is not None:
            x = add(x, self.bias)
        return self.activation(x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": (self.kernel_size,),
            "strides": (self.strides,),
            "padding": self.padding.lower(),
            **keras_defaults("data_format"),
            "dilation_rate": (self.dilation_rate,),
            **keras_defaults("groups"),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **keras_defaults("kernel_constraint", "bias_constraint"),
        }


class Conv2D(Layer):
    """`activation(conv2d(inputs, kernel) + bias)` with a (kh, kw, in, filters) kernel.

    >>> import tapeflow as tf
    >>> conv = tf.keras.layers.Conv2D(4, 3, padding="same", kernel_initializer="ones")
    >>> conv(tf.ones([1, 5, 5, 2])).shape
    TensorShape([1, 5, 5, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1),
        padding: str = "valid",
        dilation_rate: Any = (1, 1),
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        self.padding = _padding(padding)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.input_spec = InputSpec(min_ndim=4)

    def build(self, input_shape: Any) -> None:
        channels = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = (
            self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(min_ndim=4, axes={-1: channels})
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = _conv.conv2d(
            inputs, self.kernel, self.strides, self.padding, dilations=self.dilation_rate
        )
        if self.bias is not None:
            x = add(x, self.bias)
        return self.activation(x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding.lower(),
            **keras_defaults("data_format"),
            "dilation_rate": self.dilation_rate,
            **keras_defaults("groups"),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **keras_defaults("kernel_constraint", "bias_constraint"),
        }


class _Pooling2D(Layer):
    def __init__(
        self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _pair(strides, "strides")
        self.padding = _padding(padding)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding.lower(),
            "strides": self.strides,
            **keras_defaults("data_format"),
        }


class MaxPooling2D(_Pooling2D):
    """The maximum of each `pool_size` window, moving by `strides` (default: the window)."""

    def call(self, inputs: Any) -> Any:
        return _pooling.max_pool2d(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling2D(_Pooling2D):
    """The mean of each `pool_size` window, moving by `strides` (default: the window)."""

    def call(self, inputs: Any) -> Any:
        return _pooling.avg_pool2d(inputs, self.pool_size, self.strides, self.padding)


class _Pooling1D(Layer):
    def __init__(
        self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.pool_size = _single(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _single(strides, "strides")
        self.padding = _padding(padding)
        self.input_spec = InputSpec(ndim=3)
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": (self.pool_size,),
            "padding": self.padding.lower(),
            "strides": (self.strides,),
            **keras_defaults("data_format"),
        }


class MaxPooling1D(_Pooling1D):
    """The maximum of each `pool_size` window of steps, moving by `strides` (default: the
    window)."""

    def call(self, inputs: Any) -> Any:
        return _pooling.max_pool(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling1D(_Pooling1D):
    """The mean of each `pool_size` window of steps, moving by `strides` (default: the
    window)."""

    def call(self, inputs: Any) -> Any:
        return _pooling.avg_pool(inputs, self.pool_size, self.strides, self.padding)


class GlobalAveragePooling2D(Layer):
    """The mean over height and width: (batch, h, w, c) -> (batch, c)."""

    def __init__(self, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keepdims = keepdims
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **keras_defaults("data_format"), "keepdims": self.keepdims}

    def call(self, inputs: Any) -> Any:
        return reduce_mean(inputs, axis=[1, 2], keepdims=self.keepdims)


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """The maximum over height and width: (batch, h, w, c) -> (batch, c)."""

    def call(self, inputs: Any) -> Any:
        return reduce_max(inputs, axis=[1, 2], keepdims=self.keepdims)


class GlobalAveragePooling1D(GlobalAveragePooling2D):
    """The mean over the steps: (batch, steps, features) -> (batch, features); with a mask
    (from `Embedding(mask_zero=True)` or `Masking`), the mean of the unmasked steps.

    >>> import tapeflow as tf
    >>> emb = tf.keras.layers.Embedding(5, 1, embeddings_initializer="ones", mask_zero=True)
    >>> print(tf.keras.layers.GlobalAveragePooling1D()(emb(tf.constant([[3, 0, 0]]))))
    tf.Tensor([[1.]], shape=(1, 1), dtype=float32)
    """

    _supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return reduce_mean(inputs, axis=1, keepdims=self.keepdims)
        # Keras 3: the sum of the unmasked steps over their number
        keep = expand_dims(cast(mask, "bool"), 2)
        total = reduce_sum(where(keep, inputs, 0.0), axis=1, keepdims=self.keepdims)
        count = reduce_sum(cast(keep, inputs.dtype), axis=1, keepdims=self.keepdims)
        return truediv(total, count)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalMaxPooling1D(GlobalAveragePooling2D):
    """The maximum over the steps: (batch, steps, features) -> (batch, features)."""

    def call(self, inputs: Any) -> Any:
        return reduce_max(inputs, axis=1, keepdims=self.keepdims)


def _pairs(value: Any, name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Keras's ((top, bottom), (left, right)) from an int, two ints or two pairs."""
    if isinstance(value, int):
        if value < 0 and name == "cropping":
            raise ValueError(f"`cropping` cannot be negative. Received: cropping={value}.")
        return (value, value), (value, value)
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{name}` should have two elements. Received: {name}={value}.")
        return (
            _tuple(value[0], 2, f"1st entry of {name}", allow_zero=True),
            _tuple(value[1], 2, f"2nd entry of {name}", allow_zero=True),
        )
    raise ValueError(
        f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height_crop, "
        "symmetric_width_crop), or a tuple of 2 tuples of 2 ints ((top_crop, bottom_crop), "
        f"(left_crop, right_crop)). Received: {name}={value}."
    )


class UpSampling2D(Layer):
    """Repeats rows `size[0]` times and columns `size[1]` times (`interpolation="nearest"`),
    or resizes bilinearly (`"bilinear"`), as Keras does.

    >>> import tapeflow as tf
    >>> tf.keras.layers.UpSampling2D((2, 3))(tf.ones([1, 2, 2, 1])).shape
    TensorShape([1, 4, 6, 1])
    """

    def __init__(self, size: Any = (2, 2), interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = _pair(size, "size")
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        if self.interpolation == "nearest":
            return repeat(repeat(inputs, self.size[0], axis=1), self.size[1], axis=2)
        height, width = inputs.shape[1], inputs.shape[2]
        size = (height * self.size[0], width * self.size[1])
        return _image.resize(inputs, size, method=self.interpolation)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "size": self.size,
            **keras_defaults("data_format"),
            "interpolation": self.interpolation,
        }


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around images: `padding` is an int, (rows, columns)
    or ((top, bottom), (left, right))."""

    def __init__(self, padding: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = _pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        return pad(inputs, [[0, 0], list(self.padding[0]), list(self.padding[1]), [0, 0]])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, **keras_defaults("data_format")}


class Cropping2D(Layer):
    """Cuts rows and columns off the edges of images: `cropping` is an int,
    (rows, columns) or ((top, bottom), (left, right))."""

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs: Any) -> Any:
        (top, bottom), (left, right) = self.cropping
        height, width = inputs.shape[1], inputs.shape[2]
        if top + bottom >= height or left + right >= width:
            raise ValueError(
                "Values in `cropping` argument should be smaller than the corresponding "
                f"spatial dimension of the input. Received: inputs.shape="
                f"{tuple(inputs.shape.as_list())}, cropping={self.cropping}"
            )
        return inputs[:, top : height - bottom, left : width - right, :]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping, **keras_defaults("data_format")}


class Reshape(Layer):
    """Reshapes each example to `target_shape` (one entry may be -1); the batch axis stays."""

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = convert_to_tensor(inputs)
        return reshape(x, [x.shape[0], *self.target_shape])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}


class RepeatVector(Layer):
    """Repeats each (batch, features) example `n` times: (batch, n, features).

    >>> import tapeflow as tf
    >>> tf.keras.layers.RepeatVector(3)(tf.ones([2, 4])).shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: Any) -> Any:
        return repeat(expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permutes the axes of each example: `dims` numbers them from 1 (the batch axis stays).

    >>> import tapeflow as tf
    >>> tf.keras.layers.Permute((2, 1))(tf.ones([2, 3, 4])).shape
    TensorShape([2, 4, 3])
    """

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: Any) -> Any:
        return transpose(inputs, (0, *self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}


class Embedding(Layer):
    """Rows of an (input_dim, output_dim) table, looked up by integer ids; `mask_zero=True`
    attaches a mask that is False where the id is 0.

    >>> import tapeflow as tf
    >>> emb = tf.keras.layers.Embedding(10, 3, mask_zero=True)
    >>> y = emb(tf.constant([[1, 2], [3, 0]]))
    >>> y.shape
    TensorShape([2, 2, 3])
    >>> print(y._keras_mask)
    tf.Tensor(
    [[ True  True]
     [ True False]], shape=(2, 2), dtype=bool)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        mask_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("input_length", None)  # Keras 2's argument; Keras 3 ignores it with a warning
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = mask_zero

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        ids = convert_to_tensor(inputs)
        if not ids.dtype.is_integer:
            ids = cast(ids, "int32")
        return _nn.embedding_lookup(self.embeddings, ids)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **keras_defaults("embeddings_constraint"),
            "mask_zero": self.mask_zero,
            **keras_defaults("quantization_config"),
        }

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # mask_zero: id 0 is padding, and the steps holding it are masked
        return not_equal(inputs, 0) if self.mask_zero else None
