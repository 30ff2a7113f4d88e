"""Random numbers with TF's seeding rules.

`tf.random.set_seed(s)` makes every later sequence of random ops repeat from run to run. An op
seed picks its own stream (also reproducible without a global seed, as TF's default global seed
makes it). The values differ from TF's (TF uses Philox); the reproducibility rules are the same
(checked against TF 2.21, `tests/test_random.py`):

- global seed only: the sequence of values repeats after each `set_seed(s)`; two calls of the
  same op give different values;
- op seed (with or without a global seed): the same, per op seed; an op with an explicit seed
  does not shift the sequence of the ops without one; the stream depends on the global seed;
- neither: different values on every run;
- `tf.random.Generator` objects keep their own state and ignore `set_seed`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow import dtypes
from tapeflow.errors import InvalidArgumentError
from tapeflow.op import op
from tapeflow.tensor import Tensor, _wrap, convert_to_tensor

__all__ = [
    "set_seed",
    "normal",
    "uniform",
    "get_global_seed",
    "truncated_normal",
    "categorical",
    "shuffle",
    "Generator",
]

_DEFAULT_GLOBAL_SEED = 87654321  # TF's DEFAULT_GRAPH_SEED, used when only an op seed is given
_state: dict[str, Any] = {"seed": None, "streams": {}}


def set_seed(seed: int | None) -> None:
    """Sets the global seed; random ops after it repeat the same sequence on every run."""
    _state["seed"] = None if seed is None else int(seed)
    _state["streams"] = {}


def get_global_seed() -> int | None:
    return _state["seed"]


def generator(seed: int | None) -> np.random.Generator:
    """The NumPy generator for an op with op seed `seed`, created on first use."""
    global_seed = _state["seed"]
    if seed is None:
        key: Any = ("global",)
        init = global_seed  # None: fresh entropy, as TF without any seed
    else:
        g = _DEFAULT_GLOBAL_SEED if global_seed is None else global_seed
        key = (g, int(seed))
        init = [g, int(seed)]
    streams = _state["streams"]
    gen = streams.get(key)
    if gen is None:
        gen = streams[key] = np.random.default_rng(init)
    return gen


def _op_seed(seed: Any) -> int | None:
    return None if seed is None else int(seed)


def _shape(shape: Any) -> tuple[int, ...]:
    if hasattr(shape, "_value"):
        shape = shape._value
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


# The draws are ops without tensor inputs, so a traced function (tf.function) draws anew at
# every run instead of replaying the first run's numbers. `stream` is an op seed (None: the
# global sequence) or a tf.random.Generator; bounds and scales that are Python numbers are
# applied inside the op, tensors ones by ops after it (so gradients reach them).


def _source(stream: Any) -> np.random.Generator:
    return stream._rng if isinstance(stream, Generator) else generator(stream)


@op("RandomStandardNormal", differentiable=False, same_dtype=())
def _draw_normal(*, shape: Any, dtype: Any, stream: Any, mean: Any = 0.0, stddev: Any = 1.0) -> Any:
    return (_source(stream).standard_normal(shape) * stddev + mean).astype(dtype)[()]


@op("TruncatedNormal", differentiable=False, same_dtype=())
def _draw_truncated(
    *, shape: Any, dtype: Any, stream: Any, mean: Any = 0.0, stddev: Any = 1.0
) -> Any:
    # standard normal values more than 2 standard deviations out are drawn again
    gen = _source(stream)
    rnd = gen.standard_normal(shape)
    bad = np.abs(rnd) > 2
    while bad.any():
        rnd[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(rnd) > 2
    return (rnd * stddev + mean).astype(dtype)[()]


@op("RandomUniform", differentiable=False, same_dtype=())
def _draw_uniform(*, shape: Any, dtype: Any, stream: Any, minval: Any = 0, maxval: Any = 1) -> Any:
    return (_source(stream).random(shape) * (maxval - minval) + minval).astype(dtype)[()]


@op("RandomUniformInt", differentiable=False, same_dtype=())
def _draw_integers(
    *, shape: Any, dtype: Any, stream: Any, minval: int, maxval: int, endpoint: bool = False
) -> Any:
    gen = _source(stream)
    if endpoint:  # the dtype's whole range
        return gen.integers(minval, maxval, shape, dtype=dtype, endpoint=True)[()]
    return gen.integers(minval, maxval, shape).astype(dtype)[()]


def _scaled(draw: Any, stream: Any, shape: Any, dtype: Any, scale: Any, shift: Any) -> Tensor:
    """A draw times `scale` plus `shift`; in the op for numbers, by recorded ops for tensors."""
    np_dtype = dtypes.as_dtype(dtype)._np
    shp = _shape(shape)
    if hasattr(scale, "_value") or hasattr(shift, "_value"):
        from tapeflow.ops.math import multiply
        from tapeflow.tape import add

        unit = draw(shape=shp, dtype=np_dtype, stream=stream)
        return add(multiply(unit, scale), shift)
    return draw(shape=shp, dtype=np_dtype, stream=stream, mean=shift, stddev=scale)


def _normal(stream: Any, shape: Any, mean: Any, stddev: Any, dtype: Any) -> Tensor:
    return _scaled(_draw_normal, stream, shape, dtype, stddev, mean)


def _truncated_normal(stream: Any, shape: Any, mean: Any, stddev: Any, dtype: Any) -> Tensor:
    return _scaled(_draw_truncated, stream, shape, dtype, stddev, mean)


def _uniform(stream: Any, shape: Any, minval: Any, maxval: Any, dtype: Any) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    shp = _shape(shape)
    if dt.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dt!r}")
        lo, hi = int(getattr(minval, "_value", minval)), int(getattr(maxval, "_value", maxval))
        if lo >= hi:
            raise InvalidArgumentError(f"Need minval < maxval: {lo} >= {hi} [Op:RandomUniformInt]")
        return _draw_integers(shape=shp, dtype=dt._np, stream=stream, minval=lo, maxval=hi)
    hi = 1 if maxval is None else maxval
    if hasattr(minval, "_value") or hasattr(hi, "_value"):
        from tapeflow.ops.math import multiply, subtract
        from tapeflow.tape import add

        unit = _draw_uniform(shape=shp, dtype=dt._np, stream=stream)
        return add(multiply(unit, subtract(hi, minval)), minval)
    return _draw_uniform(shape=shp, dtype=dt._np, stream=stream, minval=minval, maxval=hi)


def normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from a normal distribution.

    >>> import tapeflow as tf
    >>> tf.random.set_seed(0); a = tf.random.normal([2])
    >>> tf.random.set_seed(0); b = tf.random.normal([2])
    >>> a.numpy().tolist() == b.numpy().tolist()
    True
    """
    return _normal(_op_seed(seed), shape, mean, stddev, dtype)


def uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples uniformly from [minval, maxval) (integers need an explicit maxval)."""
    return _uniform(_op_seed(seed), shape, minval, maxval, dtype)


def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from a normal distribution cut at two standard deviations (values further out
    are drawn again).

    >>> import tapeflow as tf
    >>> x = tf.random.truncated_normal([1000], stddev=2.0, seed=1)
    >>> bool(tf.reduce_max(tf.abs(x)) <= 4.0)
    True
    """
    return _truncated_normal(_op_seed(seed), shape, mean, stddev, dtype)


def categorical(
    logits: Any,
    num_samples: Any,
    dtype: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Draws `num_samples` class indices per row of `logits` ([batch, classes], unnormalized
    log-probabilities), as a [batch, num_samples] int64 (or `dtype`) tensor.

    >>> import tapeflow as tf
    >>> tf.random.categorical([[0.0, -float("inf")]], 3, seed=1).numpy().tolist()
    [[0, 0, 0]]
    """
    x = logits if hasattr(logits, "_value") else convert_to_tensor(logits)
    lg = np.asarray(x._value)
    if lg.ndim != 2:
        raise InvalidArgumentError(
            f"logits should be a matrix, got shape [{','.join(map(str, lg.shape))}] "
            "[Op:Multinomial]"
        )
    out = dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)
    if out not in (dtypes.int32, dtypes.int64):
        raise TypeError(
            f"Value passed to parameter 'output_dtype' has DataType {out.name} not in list of "
            "allowed values: int32, int64"
        )
    n = int(getattr(num_samples, "_value", num_samples))
    if n < 0:
        raise InvalidArgumentError(f"num_samples should be nonnegative, got {n} [Op:Multinomial]")
    # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits)
    gumbel = -np.log(-np.log(generator(seed).random((lg.shape[0], n, lg.shape[1]))))
    samples = np.argmax(lg[:, None, :].astype(np.float64) + gumbel, axis=-1)
    return _wrap(samples.astype(out._np))


@op("RandomShuffle", differentiable=False, same_dtype=())
def _random_shuffle(value: Any, *, seed: int | None = None) -> Any:
    if np.ndim(value) == 0:
        return value
    return np.asarray(value)[generator(seed).permutation(np.shape(value)[0])]


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """The rows (first axis) of `value` in a random order. Not differentiable, as in TF.

    >>> import tapeflow as tf
    >>> sorted(tf.random.shuffle([1, 2, 3], seed=4).numpy().tolist())
    [1, 2, 3]
    """
    return _random_shuffle(value, seed=None if seed is None else int(seed))


class Generator:
    """A random number generator with its own state (a NumPy generator), independent of
    `tf.random.set_seed`: `tf.random.Generator.from_seed(1)` repeats the same sequence on
    every run.

    >>> import tapeflow as tf
    >>> a = tf.random.Generator.from_seed(1).normal([2])
    >>> b = tf.random.Generator.from_seed(1).normal([2])
    >>> a.numpy().tolist() == b.numpy().tolist()
    True
    """

    def __init__(self, copy_from: Any = None, state: Any = None, alg: Any = None) -> None:
        if copy_from is not None:
            self._rng = np.random.Generator(type(copy_from._rng.bit_generator)())
            self._rng.bit_generator.state = copy_from._rng.bit_generator.state
        elif state is not None:
            self._rng = np.random.default_rng(
                np.asarray(getattr(state, "_value", state)).reshape(-1)
            )
        else:
            raise ValueError(
                "Generator needs copy_from or state; use Generator.from_seed(seed) or "
                "Generator.from_non_deterministic_state()"
            )
        self._alg = alg

    @classmethod
    def from_seed(cls, seed: Any, alg: Any = None) -> Generator:
        """A generator whose sequence is fixed by `seed`."""
        return cls(state=int(getattr(seed, "_value", seed)), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> Generator:
        """A generator seeded from the operating system's entropy."""
        gen = cls.__new__(cls)
        gen._rng = np.random.default_rng()
        gen._alg = alg
        return gen

    def reset_from_seed(self, seed: Any) -> None:
        """Restarts the sequence of `from_seed(seed)`."""
        self._rng = np.random.default_rng(int(getattr(seed, "_value", seed)))

    def normal(
        self,
        shape: Any,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Samples from a normal distribution."""
        return _normal(self, shape, mean, stddev, dtype)

    def truncated_normal(
        self,
        shape: Any,
        mean: Any = 0.0,
        stddev: Any = 1.0,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Samples from a normal distribution cut at two standard deviations."""
        return _truncated_normal(self, shape, mean, stddev, dtype)

    def uniform(
        self,
        shape: Any,
        minval: Any = 0,
        maxval: Any = None,
        dtype: Any = dtypes.float32,
        name: str | None = None,
    ) -> Tensor:
        """Samples uniformly from [minval, maxval); integers need both bounds or neither (the
        whole range of the dtype)."""
        dt = dtypes.as_dtype(dtype)
        if dt.is_integer:
            if (minval is None) != (maxval is None):
                raise ValueError(
                    f"For integer dtype {dt!r}, minval and maxval must be both `None` or both "
                    f"non-`None`; got minval={minval} and maxval={maxval}"
                )
            if minval is None:
                info = np.iinfo(dt._np)
                return _draw_integers(
                    shape=_shape(shape),
                    dtype=dt._np,
                    stream=self,
                    minval=int(info.min),
                    maxval=int(info.max),
                    endpoint=True,
                )
        return _uniform(self, shape, minval, maxval, dtype)

    def split(self, count: int = 1) -> list[Generator]:
        """`count` new generators with independent streams, derived from this one."""
        out = []
        for child in self._rng.spawn(int(count)):
            gen = Generator.__new__(Generator)
            gen._rng = child
            gen._alg = self._alg
            out.append(gen)
        return out
