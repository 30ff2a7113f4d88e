"""tf.data: snippets print what TF 2.21 printed, plus tapeflow-only checks of shuffle's
semantics (its orders are not TF's), laziness and the batching fast path.

Outputs were recorded by tests/fixtures/make_data_outputs.py; the snippets are in
tests/fixtures/data_snippets.py.
"""

import collections
import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from data_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("data")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]


# -- shuffle: TF's buffer semantics, tapeflow's own random order


def _order(ds):
    return [int(x) for x in ds.as_numpy_iterator()]


@pytest.mark.parametrize("buffer_size", [1, 3, 10, 50])
@pytest.mark.parametrize("batched", [False, True])
def test_shuffle_is_a_permutation_with_buffer_limited_displacement(buffer_size, batched):
    ds = tf.data.Dataset.from_tensor_slices(np.arange(40)).shuffle(buffer_size, seed=3)
    if batched:  # the index fast path (shuffle then batch) must keep the same semantics
        order = np.concatenate(list(ds.batch(7).as_numpy_iterator())).tolist()
    else:
        order = _order(ds)
    assert sorted(order) == list(range(40))
    # element i enters a buffer of `buffer_size` slots only after i - buffer_size + 1 outputs
    for position, element in enumerate(order):
        assert position >= element - buffer_size + 1
    if buffer_size == 1:
        assert order == list(range(40))


def test_shuffle_reshuffles_each_epoch_and_a_seed_repeats_the_epochs():
    ds = tf.data.Dataset.range(30).shuffle(30, seed=7)
    epochs = [_order(ds) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    again = tf.data.Dataset.range(30).shuffle(30, seed=7)
    assert [_order(again) for _ in range(3)] == epochs
    fixed = tf.data.Dataset.range(30).shuffle(30, reshuffle_each_iteration=False)
    assert _order(fixed) == _order(fixed) != list(range(30))


def test_shuffle_follows_the_global_seed():
    tf.random.set_seed(5)
    a = _order(tf.data.Dataset.range(30).shuffle(30))
    tf.random.set_seed(5)
    b = _order(tf.data.Dataset.range(30).shuffle(30))
    tf.random.set_seed(None)
    assert a == b
    unseeded = [_order(tf.data.Dataset.range(30).shuffle(30)) for _ in range(2)]
    assert unseeded[0] != unseeded[1]


def test_shuffle_then_repeat_reshuffles_each_repetition():
    order = _order(tf.data.Dataset.range(20).shuffle(20, seed=1).repeat(2))
    assert sorted(order[:20]) == sorted(order[20:]) == list(range(20))
    assert order[:20] != order[20:]


# -- laziness, re-iteration and the batching fast path


def test_a_generator_dataset_pulls_only_what_take_needs():
    pulled = []

    def gen():
        for i in range(1000):
            pulled.append(i)
            yield i

    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((), tf.int32))
    ds = ds.map(lambda x: x * 2).batch(2).take(3)
    assert pulled == []  # building a pipeline reads nothing
    assert [b.numpy().tolist() for b in ds] == [[0, 2], [4, 6], [8, 10]]
    assert pulled == list(range(6))


def test_an_infinite_pipeline_is_fine_until_taken():
    ds = tf.data.Dataset.range(3).repeat().map(lambda x: x + 1).shuffle(4).batch(5)
    first = [b.numpy() for b in ds.take(4)]
    assert [b.shape for b in first] == [(5,)] * 4
    # A buffer of 4 means the 20 elements out come from the first 23 in (1, 2, 3, 1, ...),
    # three of which are still in the buffer: whatever the shuffle, no value is over-drawn.
    drawn = collections.Counter(np.concatenate(first).tolist())
    available = collections.Counter([i % 3 + 1 for i in range(23)])
    assert sum(drawn.values()) == 20 and not drawn - available


def test_each_iteration_starts_afresh():
    calls = []
    ds = tf.data.Dataset.range(4).map(lambda x: calls.append(1) or x)
    calls.clear()  # the map's spec was learnt from two stand-in calls
    assert _order(ds) == _order(ds) == [0, 1, 2, 3]
    assert len(calls) == 8
    it1, it2 = iter(ds), iter(ds)
    assert int(next(it1)) == 0 and int(next(it1)) == 1 and int(next(it2)) == 0


def test_cache_runs_the_pipeline_once():
    calls = []
    ds = tf.data.Dataset.range(4).map(lambda x: calls.append(1) or x).cache()
    calls.clear()
    assert _order(ds) == _order(ds) == [0, 1, 2, 3]
    assert len(calls) == 4


def test_batches_of_slices_are_views_of_one_snapshot():
    x = np.arange(20.0).reshape(10, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(10))).batch(4)
    batches = [np.asarray(xb) for xb, _ in ds]
    base = batches[0].base
    assert base is not None and all(b.base is base for b in batches)
    assert not batches[0].flags.writeable  # the dataset's snapshot cannot be changed
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]


def test_shuffled_batches_gather_without_restacking_elements():
    ds = tf.data.Dataset.from_tensor_slices(np.arange(12.0).reshape(6, 2)).shuffle(6)
    plan = ds._index_plan()
    assert plan is not None  # shuffle of slices is a stream of indices, batched by gathering
    rows = np.concatenate([b.numpy() for b in ds.batch(4)])
    assert sorted(rows[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]
    assert np.array_equal(rows[:, 1], rows[:, 0] + 1)


def test_features_labels_batches_are_2_tuples_of_tensors():
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((5, 3), np.float32), np.ones(5))).batch(2)
    for batch in ds:
        assert type(batch) is tuple and len(batch) == 2
        assert all(isinstance(t, tf.Tensor) for t in batch)


# -- errors found while iterating (their TF text carries a Python traceback, so not a fixture)


def test_generator_errors():
    def gen():
        yield [1, 2]
        yield [1, 2, 3]

    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((2,), tf.int32))
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"yielded an element of shape \(3,\) where an element of shape \(2,\) was expected",
    ):
        list(ds)
    pair = (tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.string))
    ds = tf.data.Dataset.from_generator(lambda: iter([1]), output_signature=pair)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"expected structure was \(tf.int32, tf.string\), but the yielded element was 1",
    ):
        list(ds)


def test_batching_elements_of_different_shapes():
    ds = tf.data.Dataset.range(3).map(lambda x: tf.fill([x], x)).batch(2)
    # TF copies elements into a batch in parallel: which shape it calls [tensor] varies
    message = r"elements does not match. Shapes are: \[tensor\]: \[0\], \[batch\]: \[1\]"
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        list(ds)
    ds = tf.data.Dataset.range(2).map(lambda x: tf.reshape(tf.range(6), [2, 3] if x else [3, 2]))
    message = r"component 0. First element had shape \[3,2\] and element 1 had shape \[2,3\]"
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        list(ds.batch(2))


def test_get_next_at_the_end_raises_out_of_range():
    it = iter(tf.data.Dataset.range(1))
    it.get_next()
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()


# -- the README's deliberate differences for tf.data


def test_map_learns_its_spec_from_two_stand_in_calls_when_built():
    seen = []
    ds = tf.data.Dataset.range(5).batch(2).map(lambda x: seen.append(x.numpy().tolist()) or x)
    assert seen == [[0], [1, 1]]  # built: zeros with the unknown dimension 1, ones with 2
    assert str(ds.element_spec.shape) == "(None,)"


def test_range_refuses_unknown_keywords():
    with pytest.raises(TypeError):
        tf.data.Dataset.range(3, dtype=tf.int32)


def test_readme_example():
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = readme.split("## tf.data (first slice)")[1].split("```python\n")[1].split("```")[0]
    scope = {}
    exec(code, scope)
    assert scope["features"].shape == (4, 3) and scope["labels"].dtype == tf.int64


def test_docstring_examples():
    import doctest

    from tapeflow.data import dataset

    assert doctest.testmod(dataset).failed == 0
