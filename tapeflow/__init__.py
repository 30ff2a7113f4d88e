"""tapeflow: TensorFlow 2's programming model on NumPy. Use it as `import tapeflow as tf`.

This module is the TF-shaped public namespace: re-exports only, no logic.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from tapeflow import context as _context
from tapeflow import dtypes, errors, nest
from tapeflow import explain as _explain
from tapeflow import testing as _testing
from tapeflow.context import device, executing_eagerly, name_scope
from tapeflow.custom_gradient import custom_gradient, grad_pass_through, recompute_grad
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
from tapeflow.forwardprop import ForwardAccumulator
from tapeflow.indexed_slices import IndexedSlices
from tapeflow.ops import array as _array
from tapeflow.ops import clip as _clip
from tapeflow.ops import debugging as _debugging
from tapeflow.ops import linalg as _linalg
from tapeflow.ops import math as _math
from tapeflow.ops import nn as _nn
from tapeflow.ops import random as _random
from tapeflow.ops import reduce as _reduce
from tapeflow.ops import sort as _sort
from tapeflow.ops import special as _special
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
from tapeflow.ops.clip import clip_by_global_norm, clip_by_norm
from tapeflow.ops.debugging import assert_equal
from tapeflow.ops.linalg import einsum, matmul, norm, tensordot
from tapeflow.ops.math import (
    abs,
    acos,
    acosh,
    add,
    add_n,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cast,
    clip_by_value,
    cos,
    cosh,
    divide,
    equal,
    exp,
    floor,
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
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
    truediv,
    where,
)
from tapeflow.ops.reduce import (
    argmax,
    argmin,
    cumprod,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from tapeflow.ops.sort import argsort, sort, unique
from tapeflow.printing import print_v2 as print
from tapeflow.tape import GradientTape, UnconnectedGradients
from tapeflow.tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from tapeflow.tensor_spec import TensorSpec
from tapeflow.variables import Variable, VariableAggregation, VariableSynchronization

# The TF 2 API version whose behaviour tapeflow follows, with tapeflow's own as a local part.
__version__ = "2.21.0+tapeflow.0.1.0"

newaxis = None
setattr(dtypes, "cast", cast)  # noqa: B010 - tf.dtypes.cast; the dtypes module knows no ops


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
        **_public(_math, _reduce, _special),
        "divide": divide,
        "truediv": truediv,
        "softmax": _nn.softmax,
        "log_softmax": _nn.log_softmax,
        "softplus": _nn.softplus,
        "softsign": _nn.softsign,
        "top_k": _sort.top_k,
        "segment_sum": _array.segment_sum,
        "unsorted_segment_sum": _array.unsorted_segment_sum,
        "bincount": _array.bincount,
        "l2_normalize": _linalg.l2_normalize,
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
        "global_norm": _clip.global_norm,
    },
)
nn = _namespace(
    "nn",
    {
        **_public(_nn),
        "sigmoid": sigmoid,
        "tanh": tanh,
        "top_k": _sort.top_k,
        "l2_normalize": _linalg.l2_normalize,
    },
)
debugging = _namespace("debugging", _public(_debugging))
config = _namespace(
    "config",
    {
        "list_physical_devices": _context.list_physical_devices,
        "list_logical_devices": _context.list_logical_devices,
        "PhysicalDevice": _context.PhysicalDevice,
        "LogicalDevice": _context.LogicalDevice,
        # tapeflow's own: explaining None gradients (tapeflow/explain.py)
        "set_strict_gradients": _explain.set_strict_gradients,
        "set_gradient_explanations": _explain.set_gradient_explanations,
    },
)
random = _namespace("random", _public(_random))
test = _namespace("test", {"compute_gradient": _testing.compute_gradient})
autodiff = _namespace(
    "autodiff", {"GradientTape": GradientTape, "ForwardAccumulator": ForwardAccumulator}
)

__all__ = [k for k in dir() if not k.startswith("_")]
