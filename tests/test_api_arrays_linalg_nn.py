"""Every public name of the array, linalg and nn ops, under each TF namespace that has it.

The lists are what TF 2.21 exposes (checked with real TF: `hasattr(tf.<namespace>, name)`);
a name is only asserted where TF really has it.
"""

import pytest

import tapeflow as tf

TF_NAMESPACES = {
    "tf": [
        "repeat",
        "pad",
        "reverse",
        "roll",
        "gather",
        "gather_nd",
        "scatter_nd",
        "tensor_scatter_nd_update",
        "tensor_scatter_nd_add",
        "boolean_mask",
        "slice",
        "strided_slice",
        "one_hot",
        "meshgrid",
        "sequence_mask",
        "searchsorted",
        "zeros",
        "ones",
        "fill",
        "zeros_like",
        "ones_like",
        "shape",
        "size",
        "rank",
        "tensordot",
        "einsum",
    ],
    "tf.linalg": [
        "diag",
        "diag_part",
        "band_part",
        "matvec",
        "tensordot",
        "einsum",
        "inv",
        "det",
        "slogdet",
        "solve",
        "cholesky",
        "qr",
        "svd",
        "eigh",
        "trace",
        "triangular_solve",
        "global_norm",
    ],
    "tf.nn": [
        "relu6",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "swish",
        "l2_loss",
        "moments",
        "batch_normalization",
        "bias_add",
        "sigmoid_cross_entropy_with_logits",
        "softmax_cross_entropy_with_logits",
        "sparse_softmax_cross_entropy_with_logits",
        "embedding_lookup",
        "dropout",
        "conv1d",
        "conv2d",
        "conv2d_transpose",
        "max_pool2d",
        "avg_pool2d",
        "max_pool",
        "avg_pool",
    ],
    "tf.random": [
        "truncated_normal",
        "categorical",
        "shuffle",
        "set_seed",
        "Generator",
        "normal",
        "uniform",
    ],
}

_MODULES = {"tf": tf, "tf.linalg": tf.linalg, "tf.nn": tf.nn, "tf.random": tf.random}


@pytest.mark.parametrize(
    ("namespace", "name"),
    [(ns, n) for ns, names in TF_NAMESPACES.items() for n in names],
    ids=[f"{ns}.{n}" for ns, names in TF_NAMESPACES.items() for n in names],
)
def test_name_is_reachable(namespace, name):
    assert callable(getattr(_MODULES[namespace], name))


def test_namespaces_are_importable_modules():
    import tapeflow.linalg
    import tapeflow.nn
    import tapeflow.random

    assert tapeflow.linalg.einsum is tf.einsum
    assert tapeflow.nn.swish is tf.nn.silu
    assert tapeflow.random.Generator is tf.random.Generator


def test_shared_names_are_the_same_function():
    assert tf.linalg.tensordot is tf.tensordot
    assert tf.linalg.einsum is tf.einsum
