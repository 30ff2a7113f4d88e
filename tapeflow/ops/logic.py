"""Elementwise ops without gradients: comparisons, logic and bitwise ops, rounding (floor, ceil,
round) and classification (is_nan, is_inf, is_finite).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.op import FLOATS, op, require_dtype

__all__ = [
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "invert",
    "floor",
    "ceil",
    "round",
    "is_nan",
    "is_inf",
    "is_finite",
]


@op("Floor", differentiable=False)  # TF's gradient is None
def floor(x: Any) -> Any:
    require_dtype(x, "Floor", FLOATS)
    return np.floor(x)


_floor = floor


# ---------------------------------------------------------------------------------------------
# Comparisons and logic: no gradient (TF registers them as non-differentiable)


def _comparison(name: str, fn: Any) -> Any:
    def forward(x: Any, y: Any) -> Any:
        return fn(x, y)

    forward.__name__ = name
    return op(name, differentiable=False)(forward)


equal = _comparison("Equal", np.equal)
not_equal = _comparison("NotEqual", np.not_equal)
less = _comparison("Less", np.less)
less_equal = _comparison("LessEqual", np.less_equal)
greater = _comparison("Greater", np.greater)
greater_equal = _comparison("GreaterEqual", np.greater_equal)
logical_and = _comparison("LogicalAnd", np.logical_and)
logical_or = _comparison("LogicalOr", np.logical_or)
logical_xor = _comparison("LogicalXor", np.logical_xor)
bitwise_and = _comparison("BitwiseAnd", np.bitwise_and)
bitwise_or = _comparison("BitwiseOr", np.bitwise_or)
bitwise_xor = _comparison("BitwiseXor", np.bitwise_xor)


@op("LogicalNot", differentiable=False)
def logical_not(x: Any) -> Any:
    return np.logical_not(x)


@op("Invert", differentiable=False)
def invert(x: Any) -> Any:
    return np.invert(x)


# ---------------------------------------------------------------------------------------------
# Rounding (no gradient: TF registers None for Floor, Ceil and Round)


@op("Ceil", differentiable=False)
def ceil(x: Any) -> Any:
    require_dtype(x, "Ceil", FLOATS)
    return np.ceil(x)


@op("Round", differentiable=False)
def round(x: Any) -> Any:
    # half to even ("banker's rounding"), as TF: round(0.5) = 0, round(1.5) = 2
    return x if x.dtype.kind in "iu" else np.round(x)


# ---------------------------------------------------------------------------------------------
# Classification: TF registers no gradient (a gradient reaching them is a LookupError)


@op("IsNan")
def is_nan(x: Any) -> Any:
    require_dtype(x, "IsNan", FLOATS)
    return np.isnan(x)


@op("IsInf")
def is_inf(x: Any) -> Any:
    require_dtype(x, "IsInf", FLOATS)
    return np.isinf(x)


@op("IsFinite")
def is_finite(x: Any) -> Any:
    require_dtype(x, "IsFinite", FLOATS)
    return np.isfinite(x)
