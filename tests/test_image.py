"""tf.image prints what TF 2.21 printed for the same snippets (tests/fixtures/image_snippets.py;
the outputs were recorded by tests/fixtures/make_image_outputs.py), and the random flips flip
with the right semantics (their coins are NumPy's, not TF's: README, deliberate differences)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import snippets  # noqa: E402
from image_snippets import SNIPPETS  # noqa: E402

EXPECTED = snippets.expected("image")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_prints(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]


def test_every_snippet_has_tf_output():
    assert set(EXPECTED) == set(SNIPPETS)


IMAGE = np.arange(24, dtype=np.float32).reshape(2, 4, 3)


@pytest.mark.parametrize(
    "random_flip, axis",
    [(tf.image.random_flip_left_right, 1), (tf.image.random_flip_up_down, 0)],
)
def test_random_flip_gives_the_image_or_its_mirror_and_repeats_with_a_seed(random_flip, axis):
    seen = set()
    tf.random.set_seed(3)
    first = [random_flip(IMAGE).numpy() for _ in range(20)]
    for out in first:
        flipped = np.array_equal(out, np.flip(IMAGE, axis))
        assert flipped or np.array_equal(out, IMAGE)
        seen.add(flipped)
    assert seen == {True, False}  # 20 fair coins
    tf.random.set_seed(3)
    again = [random_flip(IMAGE).numpy() for _ in range(20)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_random_flip_of_a_batch_flips_each_image_on_its_own():
    batch = np.stack([IMAGE + 100 * i for i in range(16)])
    out = tf.image.random_flip_left_right(tf.constant(batch), seed=5).numpy()
    flipped = [np.array_equal(o, np.flip(b, 1)) for o, b in zip(out, batch)]
    kept = [np.array_equal(o, b) for o, b in zip(out, batch)]
    assert all(f or k for f, k in zip(flipped, kept)) and 0 < sum(flipped) < 16
    assert out.dtype == np.float32
    ints = tf.image.random_flip_up_down(tf.constant(batch.astype(np.uint8)), seed=5)
    assert ints.dtype == tf.uint8


def test_random_flip_gradient_follows_the_flip():
    x = tf.constant(IMAGE)
    w = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 4, 3))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.image.random_flip_left_right(x, seed=1)
        y = tf.reduce_sum(out * w)
    flipped = np.array_equal(out.numpy(), np.flip(IMAGE, 1))
    expected = np.flip(w.numpy(), 1) if flipped else w.numpy()
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)


def test_random_flip_errors():
    with pytest.raises(ValueError, match="must be at least three-dimensional"):
        tf.image.random_flip_left_right(tf.ones([2, 2]))
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.random_flip_up_down(tf.ones([1, 1, 1, 1, 1]))


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_resize_jacobian_is_batched_and_matches_numerical_gradients(method):
    x = tf.constant(np.random.default_rng(0).random((1, 3, 4, 2)))
    # bilinear computes in float32 (as TF): resizing is linear, so a wide step is exact enough
    resize = lambda t: tf.image.resize(t, [5, 3], method=method)
    tf.testing.check_gradients(resize, x, order=2, eps=0.1, atol=1e-4)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.image.resize(x, [2, 6], method=method)
    jac = tape.jacobian(y, x).numpy().reshape(y.numpy().size, x.numpy().size)
    # resizing is linear: the jacobian applied to x gives the resized image
    np.testing.assert_allclose(jac @ x.numpy().ravel(), y.numpy().ravel(), rtol=1e-6)
