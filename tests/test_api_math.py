"""Every public name of the math side of the op library (elementwise math, reductions, sorting,
special functions, clipping, comparisons) and of the utilities is reachable where TF 2.21 has it.

NAMESPACES lists, for each name, the namespaces that TF itself exposes it in ("tf" is the top
level); it was read off real TF. A name that TF does not have at the top level must not appear
there either, so code that runs on tapeflow also runs on TF.
"""

import pytest

import tapeflow as tf

NAMESPACES = {
    "expm1": ("math",),
    "log1p": ("math",),
    "asin": ("tf", "math"),
    "acos": ("tf", "math"),
    "atan": ("tf", "math"),
    "atan2": ("tf", "math"),
    "sinh": ("tf", "math"),
    "cosh": ("tf", "math"),
    "asinh": ("tf", "math"),
    "acosh": ("tf", "math"),
    "atanh": ("tf", "math"),
    "softplus": ("math", "nn"),
    "softsign": ("math", "nn"),
    "erf": ("math",),
    "erfc": ("math",),
    "lgamma": ("math",),
    "digamma": ("math",),
    "polygamma": ("math",),
    "floor": ("tf", "math"),
    "ceil": ("math",),
    "round": ("tf", "math"),
    "is_nan": ("math",),
    "is_inf": ("math",),
    "is_finite": ("math",),
    "squared_difference": ("math",),
    "divide_no_nan": ("math",),
    "xlogy": ("math",),
    "xdivy": ("math",),
    "add_n": ("tf", "math"),
    "polyval": ("math",),
    "mod": ("math",),
    "floormod": ("math",),
    "clip_by_norm": ("tf",),
    "clip_by_global_norm": ("tf",),
    "global_norm": ("linalg",),
    "reduce_std": ("math",),
    "reduce_variance": ("math",),
    "reduce_logsumexp": ("tf", "math"),
    "reduce_euclidean_norm": ("math",),
    "reduce_any": ("tf", "math"),
    "reduce_all": ("tf", "math"),
    "argmax": ("tf", "math"),
    "argmin": ("tf", "math"),
    "top_k": ("math", "nn"),
    "sort": ("tf",),
    "argsort": ("tf",),
    "count_nonzero": ("math",),
    "segment_sum": ("math",),
    "unsorted_segment_sum": ("math",),
    "l2_normalize": ("math", "nn", "linalg"),
    "bincount": ("math",),
    "unique": ("tf",),
    "norm": ("tf", "linalg"),
    "logical_and": ("tf", "math"),
    "logical_or": ("tf", "math"),
    "logical_not": ("tf", "math"),
    "logical_xor": ("math",),
    "equal": ("tf", "math"),
    "not_equal": ("tf", "math"),
    "less": ("tf", "math"),
    "less_equal": ("tf", "math"),
    "greater": ("tf", "math"),
    "greater_equal": ("tf", "math"),
    "print": ("tf",),
    "executing_eagerly": ("tf",),
    "device": ("tf",),
    "name_scope": ("tf",),
    "TensorSpec": ("tf",),
    "shape": ("tf",),
    "assert_equal": ("tf", "debugging"),
    "assert_near": ("debugging",),
    "assert_shapes": ("debugging",),
    "check_numerics": ("debugging",),
    "list_physical_devices": ("config",),
    "list_logical_devices": ("config",),
    "PhysicalDevice": ("config",),
    "LogicalDevice": ("config",),
}


def _module(namespace):
    return tf if namespace == "tf" else getattr(tf, namespace)


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_name_is_where_tf_has_it(name):
    for namespace in NAMESPACES[name]:
        assert callable(getattr(_module(namespace), name, None)), f"tf.{namespace}.{name}"
    if "tf" not in NAMESPACES[name]:
        assert not hasattr(tf, name), f"TF has no top-level tf.{name}"


def test_aliases_are_the_same_function():
    assert tf.math.softplus is tf.nn.softplus
    assert tf.math.top_k is tf.nn.top_k
    assert tf.math.l2_normalize is tf.nn.l2_normalize is tf.linalg.l2_normalize
    assert tf.norm is tf.linalg.norm
    assert tf.math.mod is tf.math.floormod
    assert tf.assert_equal is tf.debugging.assert_equal
    assert tf.math.floor is tf.floor


def test_submodules_import_like_tf():
    from tapeflow.config import list_physical_devices
    from tapeflow.debugging import check_numerics
    from tapeflow.math import erf

    assert erf is tf.math.erf and check_numerics is tf.debugging.check_numerics
    assert list_physical_devices is tf.config.list_physical_devices


@pytest.mark.parametrize(
    "module",
    [
        "tapeflow.ops.special",
        "tapeflow.ops.sort",
        "tapeflow.ops.clip",
        "tapeflow.ops.linalg",
        "tapeflow.ops.reduce",
        "tapeflow.ops.math",
        "tapeflow.ops.transcendental",
        "tapeflow.ops.logic",
        "tapeflow.ops.nn",
        "tapeflow.ops.losses",
        "tapeflow.ops.conv",
        "tapeflow.ops.pooling",
        "tapeflow.ops.array",
        "tapeflow.ops.constructors",
        "tapeflow.ops.indexing",
        "tapeflow.ops.slicing",
        "tapeflow.ops.matrix",
        "tapeflow.ops.debugging",
        "tapeflow.printing",
        "tapeflow.context",
        "tapeflow.tensor_spec",
    ],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
