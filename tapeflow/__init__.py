"""tapeflow: TensorFlow 2's programming model on NumPy. Use it as `import tapeflow as tf`.

This module is the TF-shaped public namespace: re-exports only, no logic.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from tapeflow import dtypes, errors, nest
from tapeflow.dtypes import (
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from tapeflow.ops import array as _array
from tapeflow.ops import linalg as _linalg
from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops import random as _random
from tapeflow.ops import reduce as _reduce
from tapeflow.ops.array import (
    boolean_mask,
    broadcast_to,
    concat,
    expand_dims,
    eye,
    fill,
    gather,
    gather_nd,
    linspace,
    meshgrid,
    one_hot,
    ones,
    ones_like,
    pad,
    range,
    rank,
    repeat,
    reshape,
    reverse,
    roll,
    scatter_nd,
    searchsorted,
    sequence_mask,
    shape,
    size,
    slice,
    split,
    squeeze,
    stack,
    strided_slice,
    tensor_scatter_nd_add,
    tensor_scatter_nd_update,
    tile,
    transpose,
    unstack,
    zeros,
    zeros_like,
)
from tapeflow.ops.linalg import einsum, matmul, tensordot
from tapeflow.ops.math import (
    abs,
    add,
    cast,
    clip_by_value,
    cos,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
    truediv,
    where,
)
from tapeflow.ops.reduce import reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_sum
from tapeflow.tape import GradientTape, UnconnectedGradients
from tapeflow.tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from tapeflow.variables import Variable, VariableAggregation, VariableSynchronization

# The TF 2 API version whose behaviour tapeflow follows, with tapeflow's own as a local part.
__version__ = "2.21.0+tapeflow.0.1.0"

newaxis = None


def _namespace(name: str, members: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(f"tapeflow.{name}")
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    return module


def _public(*modules: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in modules:
        out.update({k: getattr(m, k) for k in m.__all__})
    return out


math = _namespace(
    "math",
    {
        **_public(_math, _reduce),
        "divide": divide,
        "truediv": truediv,
    },
)
linalg = _namespace(
    "linalg",
    {
        **_public(_linalg),
        "eye": eye,
        "diag": _array.diag,
        "diag_part": _array.diag_part,
        "band_part": _array.band_part,
    },
)
nn = _namespace("nn", {**_public(_nn), "sigmoid": sigmoid, "tanh": tanh})
random = _namespace("random", _public(_random))
autodiff = _namespace("autodiff", {"GradientTape": GradientTape})

__all__ = [k for k in dir() if not k.startswith("_")]
