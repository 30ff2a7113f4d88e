"""tapeflow: TensorFlow 2's programming model on NumPy. Use it as `import tapeflow as tf`.

This module is the TF-shaped public namespace: re-exports only, no logic.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from tapeflow import checkpoint as _checkpoint
from tapeflow import context as _context
from tapeflow import data, dtypes, errors, keras, nest
from tapeflow import explain as _explain
from tapeflow import function as _function
from tapeflow import ragged_tensor as _ragged
from tapeflow import saved_model as _saved_model
from tapeflow import sparse_tensor as _sparse
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
from tapeflow.function import function
from tapeflow.indexed_slices import IndexedSlices
from tapeflow.module import Module
from tapeflow.ops import clip as _clip
from tapeflow.ops import conv as _conv
from tapeflow.ops import debugging as _debugging
from tapeflow.ops import image as _image
from tapeflow.ops import indexing as _indexing
from tapeflow.ops import linalg as _linalg
from tapeflow.ops import logic as _logic
from tapeflow.ops import losses as _losses
from tapeflow.ops import math as _math
from tapeflow.ops import matrix as _matrix
from tapeflow.ops import matrix_functions as _matrix_functions
from tapeflow.ops import nn as _nn
from tapeflow.ops import pooling as _pooling
from tapeflow.ops import random as _random
from tapeflow.ops import reduce as _reduce
from tapeflow.ops import sort as _sort
from tapeflow.ops import special as _special
from tapeflow.ops import strings as _strings
from tapeflow.ops import transcendental as _transcendental
from tapeflow.ops.array import (
    broadcast_to,
    concat,
    expand_dims,
    pad,
    repeat,
    reshape,
    reverse,
    roll,
    slice,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unstack,
)
from tapeflow.ops.clip import clip_by_global_norm, clip_by_norm
from tapeflow.ops.constructors import (
    ensure_shape,
    eye,
    fill,
    get_static_value,
    linspace,
    meshgrid,
    one_hot,
    ones,
    ones_like,
    range,
    rank,
    sequence_mask,
    shape,
    shape_n,
    size,
    zeros,
    zeros_like,
)
from tapeflow.ops.control_flow import cond, while_loop
from tapeflow.ops.debugging import assert_equal
from tapeflow.ops.functional import (
    foldl,
    foldr,
    map_fn,
    numpy_function,
    py_function,
    scan,
    vectorized_map,
)
from tapeflow.ops.indexing import (
    boolean_mask,
    dynamic_partition,
    dynamic_stitch,
    gather,
    gather_nd,
    scatter_nd,
    tensor_scatter_nd_add,
    tensor_scatter_nd_update,
)
from tapeflow.ops.linalg import einsum, matmul, norm, tensordot
from tapeflow.ops.logic import (
    equal,
    floor,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    round,
)
from tapeflow.ops.math import (
    abs,
    add,
    add_n,
    cast,
    clip_by_value,
    divide,
    identity,
    maximum,
    minimum,
    multiply,
    negative,
    pow,
    reciprocal,
    sign,
    sqrt,
    square,
    stop_gradient,
    subtract,
    truediv,
    where,
)
from tapeflow.ops.reduce import (
    argmax,
    argmin,
    cumprod,
    cumsum,
    histogram_fixed_width,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from tapeflow.ops.slicing import strided_slice
from tapeflow.ops.sort import argsort, searchsorted, sort, unique, unique_with_counts
from tapeflow.ops.transcendental import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cos,
    cosh,
    exp,
    log,
    sigmoid,
    sin,
    sinh,
    tan,
    tanh,
)
from tapeflow.printing import print_v2 as print
from tapeflow.ragged_tensor import RaggedTensor
from tapeflow.sparse_tensor import SparseTensor
from tapeflow.tape import GradientTape, UnconnectedGradients
from tapeflow.tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from tapeflow.tensor_array import TensorArray
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
        **_public(_math, _transcendental, _logic, _reduce, _special),
        "divide": divide,
        "truediv": truediv,
        "softmax": _nn.softmax,
        "log_softmax": _nn.log_softmax,
        "softplus": _nn.softplus,
        "softsign": _nn.softsign,
        "top_k": _sort.top_k,
        "segment_sum": _indexing.segment_sum,
        "unsorted_segment_sum": _indexing.unsorted_segment_sum,
        "bincount": _indexing.bincount,
        "segment_mean": _indexing.segment_mean,
        "unsorted_segment_mean": _indexing.unsorted_segment_mean,
        "confusion_matrix": _indexing.confusion_matrix,
        "in_top_k": _sort.in_top_k,
        "log_sigmoid": _nn.log_sigmoid,
        "rint": round,
        "accumulate_n": add_n,
        "l2_normalize": _linalg.l2_normalize,
    },
)
linalg = _namespace(
    "linalg",
    {
        **_public(_linalg, _matrix_functions),
        "eye": eye,
        "diag": _matrix.diag,
        "diag_part": _matrix.diag_part,
        "band_part": _matrix.band_part,
        "global_norm": _clip.global_norm,
    },
)
nn = _namespace(
    "nn",
    {
        **_public(_nn, _losses, _conv, _pooling),
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
        "run_functions_eagerly": _function.run_functions_eagerly,
        "functions_run_eagerly": _function.functions_run_eagerly,
        # tapeflow's own: explaining None gradients (tapeflow/explain.py)
        "set_strict_gradients": _explain.set_strict_gradients,
        "set_gradient_explanations": _explain.set_gradient_explanations,
    },
)
random = _namespace("random", _public(_random))
image = _namespace("image", _public(_image))
test = _namespace("test", {"compute_gradient": _testing.compute_gradient})
autodiff = _namespace(
    "autodiff", {"GradientTape": GradientTape, "ForwardAccumulator": ForwardAccumulator}
)
ragged = _namespace(
    "ragged", {"constant": _ragged.constant, "map_flat_values": _ragged.map_flat_values}
)
strings = _namespace("strings", {k: v for k, v in _public(_strings).items() if k != "decode_raw"})
io = _namespace("io", {"decode_raw": _strings.decode_raw})
sparse = _namespace("sparse", _public(_sparse))
train = _namespace("train", _public(_checkpoint))
saved_model = _namespace("saved_model", _public(_saved_model))

__all__ = [k for k in dir() if not k.startswith("_")]
