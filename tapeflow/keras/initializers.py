"""tf.keras.initializers: callables `(shape, dtype) -> Tensor` for new weights.

The random ones draw from NumPy, not from TF's Philox streams, so their values differ from
TF's (README: deliberate differences). As in Keras 3, a `seed` makes every call give the same
values; without one, calls draw from tf.random's global stream, which `tf.random.set_seed`
makes repeatable.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.ops import random as _random
from tapeflow.tensor import Tensor, constant

__all__ = [
    "Initializer",
    "Zeros",
    "Ones",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeNormal",
    "HeUniform",
    "Orthogonal",
    "get",
    "serialize",
    "deserialize",
]


class Initializer:
    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        raise NotImplementedError  # each initializer defines it

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, under Keras's names (Keras's `get_config`)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        from tapeflow.keras.serialization import supported_arguments

        return cls(**supported_arguments(cls, config))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"


def _np_dtype(dtype: Any) -> Any:
    return dtypes.as_dtype(dtype or "float32")._np


class Zeros(Initializer):
    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        return constant(np.zeros(tuple(shape), _np_dtype(dtype)))


class Ones(Initializer):
    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        return constant(np.ones(tuple(shape), _np_dtype(dtype)))


class Constant(Initializer):
    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        return constant(np.full(tuple(shape), self.value, _np_dtype(dtype)))

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class _Random(Initializer):
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def _generator(self) -> np.random.Generator:
        if self.seed is None:
            return _random.generator(None)
        return np.random.default_rng(self.seed)  # a fresh stream: the same values each call

    def _draw(self, shape: tuple[int, ...], dist: str, scale: float, gen: Any) -> np.ndarray:
        if dist == "uniform":  # in [-scale, scale)
            return (gen.random(shape) * 2 - 1) * scale
        rnd = gen.standard_normal(shape)
        if dist == "truncated_normal":  # redraw what falls more than 2 deviations out
            bad = np.abs(rnd) > 2
            while bad.any():
                rnd[bad] = gen.standard_normal(int(bad.sum()))
                bad = np.abs(rnd) > 2
        return rnd * scale

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(_Random):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        rnd = self._draw(tuple(shape), "normal", self.stddev, self._generator()) + self.mean
        return constant(rnd.astype(_np_dtype(dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_Random):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        gen = self._generator()
        rnd = self._draw(tuple(shape), "truncated_normal", self.stddev, gen) + self.mean
        return constant(rnd.astype(_np_dtype(dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_Random):
    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        rnd = self._generator().random(tuple(shape)) * (self.maxval - self.minval) + self.minval
        return constant(rnd.astype(_np_dtype(dtype)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(
    shape: tuple[int, ...], input_axes: Any = None, output_axes: Any = None
) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras counts them; a convolution kernel multiplies both by its
    receptive field. Given `input_axes` and `output_axes` (EinsumDense's kernels), the fans are
    the products of those axes' sizes."""
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    """Values of variance `scale / n`, n the fan-in, fan-out or their mean (`mode`)."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                "Invalid `mode` argument: expected one of {'fan_in', 'fan_out', 'fan_avg'}. "
                f"Received: mode={mode}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of {'uniform', "
                "'truncated_normal', 'untruncated_normal'}. "
                f"Received: distribution={distribution}"
            )
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            scale = math.sqrt(3.0 * variance)  # U(-a, a) has variance a^2 / 3
        elif self.distribution == "truncated_normal":
            # the standard deviation of a unit normal truncated to [-2, 2]
            scale = math.sqrt(variance) / 0.87962566103423978
        else:
            scale = math.sqrt(variance)
        dist = "normal" if self.distribution == "untruncated_normal" else self.distribution
        rnd = self._draw(shape, dist, scale, self._generator())
        return constant(rnd.astype(_np_dtype(dtype)))

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed arguments: its config is the seed and the axes (Keras's)."""

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_Preset):
    def __init__(
        self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None
    ) -> None:
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)


class GlorotNormal(_Preset):
    def __init__(
        self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None
    ) -> None:
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)


class HeNormal(_Preset):
    def __init__(
        self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None
    ) -> None:
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class HeUniform(_Preset):
    def __init__(
        self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None
    ) -> None:
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)


class Orthogonal(_Random):
    """Keras's orthogonal initializer: Q of the QR decomposition of a normal matrix, its
    columns' signs fixed by R's diagonal, times `gain` (NumPy's stream, not TF's)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        shape = tuple(shape)
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return constant((self.gain * q).reshape(shape), dtype=dtype or "float32")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


_BY_NAME: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,  # Keras's alias (Embedding's default), U(-0.05, 0.05)
    "normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "orthogonal": Orthogonal,
}


def get(identifier: Any) -> Any:
    """An initializer from its name ("glorot_uniform" or "GlorotUniform") or its serialized
    config, or itself."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or {c.__name__: c for c in _BY_NAME.values()}.get(identifier)
        if cls is not None:
            return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret initializer identifier: {identifier}")


def serialize(initializer: Any) -> Any:
    """Keras's config value of an initializer."""
    from tapeflow.keras.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The initializer `serialize` described."""
    from tapeflow.keras.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects)
