"""Ragged, string and sparse tensors print what TF 2.21 printed.

Outputs were recorded by tests/fixtures/make_text_outputs.py; the snippets are in
tests/fixtures/text_snippets.py. Behaviour TF's printed output does not show is asserted below.
"""

import doctest
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tapeflow import ragged_tensor, sparse_tensor
from tapeflow.ops import strings

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from text_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("text")

# tapeflow's class paths in place of TF's (README, deliberate differences)
TYPE_NAMES = {
    "tensorflow.python.framework.sparse_tensor.SparseTensor": "tapeflow.sparse_tensor.SparseTensor"
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    expected = EXPECTED[name]
    for theirs, ours in TYPE_NAMES.items():
        expected = expected.replace(theirs, ours)
    assert snippets.run(SNIPPETS[name], tf) == expected


@pytest.mark.parametrize(
    "module", [ragged_tensor, sparse_tensor, strings], ids=lambda m: m.__name__
)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_ragged_values_and_types():
    rt = tf.ragged.constant([[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]])
    assert isinstance(rt, tf.RaggedTensor) and tf.is_tensor(rt)
    assert rt.row_splits.dtype == tf.int64 and rt.flat_values.dtype == tf.int32
    assert rt.shape == tf.TensorShape([4, None]) and int(rt.nrows()) == 4
    assert tf.nest.flatten({"a": rt, "b": [1]}) == [rt, 1]  # a leaf, without expand_composites
    assert tf.math.reduce_sum is tf.reduce_sum
    np.testing.assert_array_equal(tf.reduce_sum(rt, axis=1).numpy(), [6, 9, 21, 9])
    mean = tf.reduce_mean(tf.ragged.constant([[1.0, 2.0], [3.0]]), axis=1)
    assert mean.dtype == tf.float32 and mean.numpy().tolist() == [1.5, 3.0]
    assert tf.reduce_mean(rt, axis=1).dtype == tf.float64  # TF: sum / count
    # dense inputs still take the dense path, with its integer mean
    assert tf.reduce_mean(tf.constant([1, 2])).numpy() == 1
    three = tf.ragged.constant([[[1, 2], [3]], [[4]]])
    assert tf.reduce_sum(three, axis=2).to_list() == [[3, 3], [4]]
    assert rt[1:3].to_list() == [[4, 5], [6, 7, 8]] and rt[-1].numpy().tolist() == [9]


def test_ragged_arithmetic_is_recorded_on_the_flat_values():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        rt = tf.RaggedTensor.from_row_lengths(x, [2, 1])
        y = tf.reduce_sum((rt * rt).flat_values)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]


def test_strings_values():
    assert tf.constant([], tf.string).dtype == tf.string
    with pytest.raises(TypeError, match="Cannot convert \\[1, 2\\] to EagerTensor of dtype string"):
        tf.constant([1, 2], tf.string)
    words = tf.strings.split(tf.constant(["a b", "c"]))
    assert isinstance(words, tf.RaggedTensor) and words.to_list() == [[b"a", b"b"], [b"c"]]
    assert tf.strings.to_number("0x1p3").numpy() == 8.0
    assert tf.strings.length(["añ"], unit="UTF8_CHAR").numpy().tolist() == [2]
    assert tf.io.decode_raw("Duck", tf.uint8).numpy().tolist() == [68, 117, 99, 107]


def test_sparse_values():
    st = tf.SparseTensor(indices=[[0, 1], [2, 0]], values=[1.0, 2.0], dense_shape=[3, 2])
    assert st.indices.dtype == tf.int64 and st.dense_shape.dtype == tf.int64
    assert tf.nest.flatten([st]) == [st]
    dense = tf.sparse.to_dense(st)
    assert dense.numpy().tolist() == [[0, 1], [0, 0], [2, 0]]
    back = tf.sparse.from_dense(dense)
    assert back.indices.numpy().tolist() == [[0, 1], [2, 0]]
    assert back.values.numpy().tolist() == [1.0, 2.0]


# -- deliberate differences and what is not there yet (README) ------------------------------


def test_ragged_dimensions_are_never_uniform():
    # TF keeps a uniform row length here and reports (2, 3) and (2, 2, None)
    assert tf.RaggedTensor.from_tensor([[1, 0, 0], [2, 3, 0]]).shape == (2, None)
    assert tf.strings.split(tf.constant([["a b", "c"], ["d", ""]])).shape == (2, None, None)


def test_regex_patterns_are_pythons():
    # TF uses RE2; Python's re agrees on the common syntax, and its error messages are its own
    assert tf.strings.regex_replace("a1b22", r"\d+", "#").numpy() == b"a#b#"
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid pattern: \\("):
        tf.strings.regex_replace("abc", "(", "x")


def test_sparse_conversion_error_names_tapeflows_class():
    st = tf.SparseTensor(indices=[[0]], values=[1], dense_shape=[1])
    with pytest.raises(ValueError, match=r"tapeflow\.sparse_tensor\.SparseTensor"):
        tf.convert_to_tensor(st)


def test_elementwise_functions_take_ragged_through_map_flat_values():
    # TF dispatches tf.exp(rt); tapeflow dispatches reductions and operators only
    rt = tf.ragged.constant([[0.0, 1.0], [2.0]])
    with pytest.raises(ValueError, match="has no len"):
        tf.exp(rt)
    out = tf.ragged.map_flat_values(tf.exp, rt)
    np.testing.assert_allclose(out.flat_values.numpy(), np.exp([0.0, 1.0, 2.0]), rtol=1e-6)


def test_readme_section_example_prints_what_it_says():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Ragged, string and sparse tensors", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    expected = "\n".join(line[2:] for line in code.splitlines() if line.startswith("# "))
    assert snippets.run(code, tf).strip() == expected.strip()
