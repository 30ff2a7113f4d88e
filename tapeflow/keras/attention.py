"""Keras 3's attention layers: MultiHeadAttention (made of the EinsumDense projections
`query`, `key`, `value` and `attention_output`), Attention (Luong's dot-product attention)
and AdditiveAttention (Bahdanau's).

The weights are Keras 3's in name, shape and order, so weights copied with `set_weights`
give Keras's outputs; the arithmetic follows Keras's TensorFlow backend step by step,
including its two routes through MultiHeadAttention (below), so results agree to float32
rounding. tf.keras.layers re-exports these layers.
"""

from __future__ import annotations

import copy
import math
import re
import string
from typing import Any

import numpy as np

from tapeflow.keras import activations, initializers, regularizers
from tapeflow.keras.layers import (
    Dropout,
    InputSpec,
    Layer,
    Softmax,
    get_keras_mask,
    set_keras_mask,
)
from tapeflow.keras.serialization import keras_defaults
from tapeflow.keras.variables import Variable, name_scope
from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops.array import expand_dims
from tapeflow.ops.linalg import einsum, matmul
from tapeflow.ops.logic import logical_and, logical_not
from tapeflow.ops.reduce import reduce_sum
from tapeflow.ops.transcendental import tanh
from tapeflow.tape import add
from tapeflow.tensor import Tensor, constant, convert_to_tensor

__all__ = ["EinsumDense", "MultiHeadAttention", "Attention", "AdditiveAttention"]


# -- EinsumDense ------------------------------------------------------------------------------


def _analyze_einsum_string(
    equation: str, bias_axes: str | None, input_shape: Any, output_shape: Any
) -> tuple[list[Any], list[Any] | None, list[Any], list[int], list[int]]:
    """Keras's reading of an EinsumDense equation: the kernel's shape, the bias's (or None),
    the full output shape, and which kernel axes are its inputs and outputs (for fans)."""
    dotted = re.sub(r"\.\.\.", "0", equation)
    for pattern, left_elided in [
        ("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
        ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
        ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False),
    ]:
        found = re.match(pattern, dotted)
        if found:
            return _analyze_split_string(
                found, bias_axes, input_shape, output_shape, left_elided=left_elided
            )
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def _analyze_split_string(
    split_string: Any,
    bias_axes: str | None,
    input_shape: Any,
    output_shape: Any,
    left_elided: bool = False,
) -> tuple[list[Any], list[Any] | None, list[Any], list[int], list[int]]:
    input_spec, weight_spec, output_spec = split_string.groups()
    elided = len(input_shape) - len(input_spec)
    full = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    full.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            full.insert(1, input_shape[i])
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided :])
    if left_elided:
        input_dim_map = {d: (i + elided) - len(input_shape) for i, d in enumerate(input_spec)}
        output_dim_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dim_map = {d: i for i, d in enumerate(input_spec)}
        output_dim_map = {d: i for i, d in enumerate(output_spec)}
    for dim in input_spec:
        size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out = full[output_dim_map[dim]]
            if out is not None and out != size:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{dim}'. "
                    f"Input shape is {size}, and output shape is {out}."
                )
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{output_spec}'"
            )
    weight_shape: list[Any] = []
    input_axes: list[int] = []
    output_axes: list[int] = []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(full[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the "
                "weight must be fully specified."
            )
    bias_shape: list[Any] | None = None
    if bias_axes is not None:
        offset = elided if left_elided else 0
        sizes = {c: full[i + offset] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the output spec "
                    f"'{output_spec}'"
                )
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape += [1] * elided
    return weight_shape, bias_shape, full, input_axes, output_axes


class EinsumDense(Layer):
    """A dense layer written as an einsum: `activation(einsum(equation, inputs, kernel) +
    bias)`, the kernel's shape read from the equation and `output_shape` (which leaves out
    the batch axis; None for a size taken from the input).

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")
    >>> layer(tf.ones([2, 3, 5])).shape, layer.kernel.shape, layer.bias.shape
    (TensorShape([2, 3, 4]), TensorShape([5, 4]), TensorShape([4]))
    """

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias: Variable | None = None

    def build(self, input_shape: Any) -> None:
        kernel_shape, bias_shape, self.full_output_shape, inputs, outputs = _analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        self.input_spec = InputSpec(ndim=len(input_shape))
        init = self.kernel_initializer
        if isinstance(init, initializers.VarianceScaling) and (
            init.input_axes is None or init.output_axes is None
        ):  # Keras: the fans are the sizes of the kernel's input and output axes
            init = copy.copy(init)
            init.input_axes, init.output_axes = inputs, outputs
        self._kernel = self.add_weight(
            name="kernel", shape=kernel_shape, initializer=init, regularizer=self.kernel_regularizer
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        self.built = True

    @property
    def kernel(self) -> Variable:
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        return self._kernel

    def call(self, inputs: Any) -> Any:
        x = einsum(self.equation, inputs, self._kernel)
        if self.bias is not None:
            x = add(x, self.bias)
        return self.activation(x)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **keras_defaults("kernel_constraint", "bias_constraint", "quantization_config"),
        }


# -- MultiHeadAttention -----------------------------------------------------------------------


def _letter(i: int) -> str:
    return string.ascii_lowercase[i]


def _build_attention_equation(rank: int, attn_axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Keras's einsum equations for the query-key product and for combining the values:
    (<batch dims>, <attention dims>, heads, channels) projections, scores (<batch dims>,
    heads, <query attention dims>, <key attention dims>)."""
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = tuple(int(d) for d in np.delete(range(rank), (*attn_axes, rank - 1)))
    offset = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join(
        [target[i] for i in batch_dims]
        + [target[i] for i in attn_axes]
        + [source[i] for i in attn_axes]
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _build_proj_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """Keras's projection equation: `free_dims` kept, `bound_dims` contracted with the kernel,
    `output_dims` new (and biased)."""
    free = "".join(_letter(i) for i in range(free_dims))
    bound = "".join(_letter(free_dims + i) for i in range(bound_dims))
    out = "".join(_letter(free_dims + bound_dims + i) for i in range(output_dims))
    return f"{free}{bound},{bound}{out}->{free}{out}", out, len(free + out)


def _output_shape(output_rank: int, known_last_dims: Any) -> list[Any]:
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al. 2017) as Keras 3 computes it.

    `query` (B, T, dim) and `value` (B, S, dim) (and `key`, by default `value`) are projected
    to `num_heads` heads of `key_dim` (values: `value_dim`) channels; each head's softmax of
    scaled query-key products weighs the values, and the heads are projected back to the
    query's last dimension (or `output_shape`). `attention_mask` (B, T, S) says which keys
    each query may attend to; the Keras masks of `query` and `value` (from
    `Embedding(mask_zero=True)` or `Masking`) and `use_causal_mask=True` add to it. With
    `return_attention_scores=True` the scores (B, heads, T, S) come back too.

    >>> import tapeflow as tf
    >>> mha = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    >>> out, scores = mha(tf.ones([1, 4, 5]), tf.ones([1, 6, 5]), return_attention_scores=True)
    >>> out.shape, scores.shape
    (TensorShape([1, 4, 5]), TensorShape([1, 2, 4, 6]))
    >>> [v.path for v in mha.weights][:2]
    ['mha/query/kernel', 'mha/query/bias']
    """

    _supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not _positive_int(num_heads):
            raise ValueError(
                "Received an invalid value for argument `num_heads`, expected a positive "
                f"integer. Received: num_heads={num_heads}"
            )
        if not _positive_int(key_dim):
            raise ValueError(
                "Received an invalid value for argument `key_dim`, expected a positive "
                f"integer. Received: key_dim={key_dim}"
            )
        if value_dim is not None and not _positive_int(value_dim):
            raise ValueError(
                "Received an invalid value for argument `value_dim`, expected a positive "
                f"integer or `None`. Received: value_dim={value_dim}"
            )
        super().__init__(**kwargs)
        self._num_heads, self._key_dim = num_heads, key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout, self._use_bias = dropout, use_bias
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        # Keras gives the regularizers to the projections (the activity one too: each
        # projection's outputs are penalised, not the layer's)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple."
                f"Received: attention_axes={attention_axes}"
            )
        self._attention_axes = attention_axes
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def _projection(self, rank: int, dims: list[int], name: str) -> EinsumDense:
        """An EinsumDense from (batch, ..., features) to (batch, ..., *dims)."""
        equation, bias_axes, output_rank = _build_proj_equation(
            rank - 1, bound_dims=1, output_dims=len(dims)
        )
        return EinsumDense(
            equation,
            output_shape=_output_shape(output_rank - 1, dims),
            bias_axes=bias_axes if self._use_bias else None,
            name=name,
            **self._sublayer_arguments(),
        )

    def _sublayer_arguments(self) -> dict[str, Any]:
        """Keras's arguments of every projection: fresh copies of the initializers (a seeded
        one gives each projection its values), the regularizers and the dtype."""
        return {
            "kernel_initializer": copy.copy(self._kernel_initializer),
            "bias_initializer": copy.copy(self._bias_initializer),
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "activity_regularizer": self._activity_regularizer,
            "dtype": self.dtype,
        }

    def build(  # type: ignore[override]  # Keras: the shapes of query, value and key
        self, query_shape: Any, value_shape: Any, key_shape: Any = None
    ) -> None:
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}"
            )
        heads = self._num_heads
        with name_scope(self.name, caller=self):
            # Keras's order: query, key, value, then the output projection
            self._query_dense = self._projection(len(query_shape), [heads, self._key_dim], "query")
            self._query_dense.build(query_shape)
            self._key_dense = self._projection(len(key_shape), [heads, self._key_dim], "key")
            self._key_dense.build(key_shape)
            self._value_dense = self._projection(
                len(value_shape), [heads, self._value_dim], "value"
            )
            self._value_dense.build(value_shape)
            self._build_attention(len(query_shape) + 1)
            output = list(self._output_shape or [query_shape[-1]])
            equation, bias_axes, output_rank = _build_proj_equation(
                len(query_shape) - 1, bound_dims=2, output_dims=len(output)
            )
            self._output_dense = EinsumDense(
                equation,
                output_shape=_output_shape(output_rank - 1, output),
                bias_axes=bias_axes if self._use_bias else None,
                name="attention_output",
                **self._sublayer_arguments(),
            )
            self._output_dense.build((*query_shape[:-1], heads, self._value_dim))
        self.built = True

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            **keras_defaults("use_gate"),
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            **keras_defaults("sliding_window"),
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            **keras_defaults("kernel_constraint", "bias_constraint"),
            "seed": self.seed,
        }

    def _build_attention(self, rank: int) -> None:
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(
                a if a >= 0 else (rank - 1) + a for a in self._attention_axes
            )
        self._dot_product_equation, self._combine_equation, scores_rank = _build_attention_equation(
            rank, self._attention_axes
        )
        norm_axes = tuple(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype, seed=self.seed)

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if key is None:
            key = value
        # Keras handles the inputs' masks here and takes them off the inputs
        query_mask = get_keras_mask(query)
        for x in (query, value, key):
            set_keras_mask(x, None)
        # a causal mask alone goes to the attention as a flag, as in Keras
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
        )
        if not causal_only:
            attention_mask = self._compute_attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        output, scores = self._compute_attention(
            q, k, v, attention_mask, training, return_attention_scores, causal_only
        )
        output = self._output_dense(output)
        if query_mask is not None:
            set_keras_mask(output, query_mask)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(
        self,
        query: Any,
        value: Any,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        """The (B, T, S) mask of which keys each query attends to: `attention_mask` and the
        query (B, T, 1), value and key (B, 1, S) and causal (1, T, S) masks, all ANDed."""
        auto = None
        for mask, axis in [(query_mask, -1), (value_mask, -2), (key_mask, -2)]:
            if mask is not None:
                m = expand_dims(_math.cast(mask, "bool"), axis)
                auto = m if auto is None else logical_and(auto, m)
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            auto = causal if auto is None else logical_and(auto, causal)
        if attention_mask is not None:
            attention_mask = _math.cast(attention_mask, "bool")
        if auto is not None:
            attention_mask = auto if attention_mask is None else logical_and(attention_mask, auto)
        return attention_mask

    def _compute_causal_mask(self, query: Any, value: Any = None) -> Tensor:
        """(1, T, S): position i attends to positions j <= i."""
        t = query.shape[1]
        s = t if value is None else value.shape[1]
        return constant(np.tril(np.ones((t, s), dtype=bool))[None])

    def _compute_attention(
        self,
        query: Any,
        key: Any,
        value: Any,
        attention_mask: Any,
        training: Any,
        return_attention_scores: bool,
        use_causal_mask: bool = False,
    ) -> tuple[Any, Any]:
        # Keras takes the backend's fused dot_product_attention when it can (no dropout, no
        # scores wanted, one attention axis); it scales after the product and fills masked
        # logits with -0.7 * float32 max, where the explicit route scales the query first and
        # uses its Softmax layer (-1e9, and fully masked rows give 0, not a uniform row)
        if not (self._dropout > 0.0 or return_attention_scores or query.ndim != 4):
            logits = _math.multiply(
                einsum("btnh,bsnh->bnts", query, key), self._inverse_sqrt_key_dim
            )
            mask = attention_mask
            if mask is not None:
                for _ in range(4 - mask.ndim):
                    mask = expand_dims(mask, -len(self._attention_axes) * 2 - 1)
            if use_causal_mask:
                causal = expand_dims(self._compute_causal_mask(query, key), 0)
                mask = causal if mask is None else logical_and(mask, causal)
            if mask is not None:
                logits = _math.where(mask, logits, np.float32(3.38953e38 * -0.7))
            probs = _nn.softmax(logits, axis=-1)
            return einsum("bnts,bsnh->btnh", probs, value), None
        if use_causal_mask:
            attention_mask = self._compute_causal_mask(query, value)
        query = _math.multiply(query, self._inverse_sqrt_key_dim)
        scores = einsum(self._dot_product_equation, key, query)
        if attention_mask is not None:  # from the num_heads axis on, as Keras expands it
            for _ in range(scores.ndim - attention_mask.ndim):
                attention_mask = expand_dims(attention_mask, -len(self._attention_axes) * 2 - 1)
        scores = self._softmax(scores, mask=attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        return einsum(self._combine_equation, dropped, value), scores


# -- Attention and AdditiveAttention ----------------------------------------------------------


class Attention(Layer):
    """Dot-product attention (Luong-style), called on `[query, value]` or
    `[query, value, key]`: softmax(query @ keyᵀ) @ value. `use_scale` learns a scalar scale
    of the scores; `score_mode="concat"` scores with sum(tanh(query + key)) instead. A
    `mask=[query_mask, value_mask]` (or the inputs' Keras masks) zeros masked queries'
    outputs and keeps masked values out; `use_causal_mask=True` lets step i see steps <= i.

    >>> import tapeflow as tf
    >>> q, v = tf.ones([2, 3, 4]), tf.ones([2, 5, 4])
    >>> out, scores = tf.keras.layers.Attention()([q, v], return_attention_scores=True)
    >>> out.shape, scores.shape
    (TensorShape([2, 3, 4]), TensorShape([2, 3, 5]))
    """

    _supports_masking = True
    _keras_call_training = True

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.use_scale, self.score_mode = use_scale, score_mode
        self.dropout, self.seed = dropout, seed
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        self.scale: Variable | None = None
        self.concat_score_weight: Variable | None = None

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        if self.score_mode == "dot":
            scores = matmul(query, key, transpose_b=True)
            return scores if self.scale is None else _math.multiply(scores, self.scale)
        # concat: (batch, Tq, 1, dim) + (batch, 1, Tv, dim)
        summed = add(expand_dims(query, -2), expand_dims(key, -3))
        if self.scale is not None:
            summed = _math.multiply(self.scale, summed)
        return _math.multiply(self.concat_score_weight, reduce_sum(tanh(summed), axis=-1))

    def _apply_scores(
        self, scores: Any, value: Any, scores_mask: Any = None, training: Any = False
    ) -> tuple[Any, Any]:
        if scores_mask is not None:  # Keras: masked scores lowered by 1e9
            padding = logical_not(scores_mask)
            if padding.ndim == 2:
                padding = expand_dims(padding, -2)
            big = 65504.0 if scores.dtype.name == "float16" else 1.0e9
            scores = _math.where(padding, _math.subtract(scores, big), scores)
        weights = _nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _nn.dropout(weights, self.dropout, seed=self.seed)
        return matmul(weights, value), weights

    def _calculate_score_mask(self, scores: Any, v_mask: Any, use_causal_mask: bool) -> Any:
        if not use_causal_mask:
            return v_mask
        tq, tv = scores.shape[-2], scores.shape[-1]
        causal = constant(np.tril(np.ones((tq, tv), dtype=bool))[None])
        if v_mask is not None:
            return logical_and(expand_dims(v_mask, -2), causal)
        return causal

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(q, k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        output, weights = self._apply_scores(scores, v, scores_mask, training)
        if q_mask is not None:
            output = _math.where(expand_dims(q_mask, -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return convert_to_tensor(mask[0])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask}."
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} layer accepts mask list of length 2 or 3. Received: "
                    f"inputs={inputs}, mask={mask}."
                )


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau-style), called on `[query, value]` or
    `[query, value, key]`: scores sum(scale * tanh(query + key)) over the features, with a
    learned `scale` vector when `use_scale` (the default); masks as `Attention`'s.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.AdditiveAttention()
    >>> layer([tf.ones([2, 3, 4]), tf.ones([2, 5, 4])]).shape, layer.scale.shape
    (TensorShape([2, 3, 4]), TensorShape([4]))
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )
        self.built = True

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        summed = tanh(add(expand_dims(query, -2), expand_dims(key, -3)))
        if self.use_scale:
            summed = _math.multiply(self.scale, summed)
        return reduce_sum(summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]  # Keras's AdditiveAttention has none
        return config
