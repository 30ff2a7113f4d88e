"""tf.function: snippets print what TF 2.21 printed (tests/fixtures/function_snippets.py,
recorded by tests/fixtures/make_function_outputs.py), plus what a snippet cannot show: graphs
replay every op of the op table exactly, reads of traced values fall back to eager execution,
tf.print and variable writes happen at every call."""

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_specs import SPECS, draw_arrays

import tapeflow as tf

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import snippets
from function_snippets import SNIPPETS

EXPECTED = snippets.expected("function")


def test_every_snippet_has_tf_output():
    assert set(SNIPPETS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_prints_what_tf_printed(name):
    assert snippets.run(SNIPPETS[name], tf) == EXPECTED[name]


# -- every op of the table, traced once and replayed on other values -------------------------

# Rows whose function (in tests/op_specs.py) reads values in NumPy: their traces run eagerly.
READS_VALUES = {"DenseBincount", "LowerBound", "UpperBound"}
RANDOM = {"RandomShuffle", "RandomStandardNormal", "TruncatedNormal", "RandomUniform"}
RANDOM |= {"RandomUniformInt"}


def _forward_and_gradient(spec):
    def body(*xs):
        with tf.GradientTape() as tape:
            tape.watch([x for x in xs if x.dtype.is_floating])
            out = spec.fn(*xs)
            floats = [o for o in tf.nest.flatten(out) if o.dtype.is_floating]
            loss = tf.add_n([tf.reduce_sum(o * o) for o in floats]) if floats else None
        if not spec.order or loss is None:
            return out
        return out, tape.gradient(loss, list(xs))

    return body


@pytest.mark.parametrize(
    "spec", [s for s in SPECS if s.custom is None and s.op not in RANDOM], ids=lambda s: s.op
)
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_traced_op_replays_exactly(spec, data):
    """Forward and gradient of every op, traced on one input and replayed on another, equal
    eager execution: no value was baked into the graph (shapes and attributes may be)."""
    shapes = data.draw(spec.shapes, label="shapes")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    body = _forward_and_gradient(spec)
    f = tf.function(body)
    first, second = draw_arrays(spec, shapes, rng), draw_arrays(spec, shapes, rng)
    f(*[tf.constant(a) for a in first])
    args = [tf.constant(a) for a in second]
    got, want = f(*args), body(*args)
    assert f.eager_reason(*args) is None or spec.op in READS_VALUES
    for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want), strict=True):
        assert (g is None) == (w is None)
        if g is not None:
            assert g.dtype == w.dtype and g.shape == w.shape
            np.testing.assert_array_equal(g.numpy(), w.numpy())


# -- what runs at every call -------------------------------------------------------------------


def test_tf_print_and_variable_writes_happen_at_every_call(capsys):
    counter = tf.Variable(0)

    @tf.function
    def f(x):
        counter.assign_add(1)
        tf.print("x =", x, "count =", counter)
        return x + 1

    for v in [1.0, 2.0, 3.0]:
        f(tf.constant(v))
    assert capsys.readouterr().err == "x = 1 count = 1\nx = 2 count = 2\nx = 3 count = 3\n"
    assert int(counter) == 3 and f.eager_reason(tf.constant(1.0)) is None


def test_a_value_read_in_python_makes_the_function_run_eagerly():
    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:  # TF converts this with AutoGraph; tapeflow runs it eagerly
            return x
        return -x

    assert f(tf.constant([1.0, 2.0])).numpy().tolist() == [1.0, 2.0]
    assert f(tf.constant([-1.0, -2.0])).numpy().tolist() == [1.0, 2.0]
    reason = f.eager_reason(tf.constant([1.0, 2.0]))
    assert "__bool__" in reason and "test_function.py" in reason

    v = tf.Variable(2.0)

    @tf.function
    def g(x):
        return x * float(v.numpy())  # TF raises (no values while tracing); tapeflow...

    assert float(g(tf.constant(1.0))) == 2.0
    v.assign(3.0)
    assert float(g(tf.constant(1.0))) == 3.0  # ...runs it eagerly, so reads it every call
    assert "variable 'Variable:0' read in Python" in g.eager_reason(tf.constant(1.0))


def test_the_graph_is_straight_line_code_without_dead_ops():
    w = tf.Variable([[2.0]])

    @tf.function
    def f(x):
        unused = tf.exp(x) * 3.0  # noqa: F841 - pruned: reaches no output and no effect
        y = tf.matmul(x, w)
        return tf.nn.relu(y)

    f(tf.constant([[1.0]]))
    graph = f.get_concrete_function(tf.constant([[1.0]])).graph
    assert [n.op.type for n in graph.nodes] == ["ReadVariableOp", "MatMul", "Relu"]
    assert "if " not in graph.source and "for " not in graph.source
    assert float(f(tf.constant([[-3.0]]))[0, 0]) == 0.0


def test_custom_gradients_replay_inside_and_run_python_under_an_outer_tape():
    @tf.custom_gradient
    def clip_grad(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -1.0, 1.0)

    @tf.function
    def loss_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(10.0 * clip_grad(x))
        return loss, tape.gradient(loss, x)

    for v in [[1.0, 2.0], [3.0, -4.0]]:
        loss, g = loss_and_grad(tf.constant(v))
        assert float(loss) == 10 * sum(v) and g.numpy().tolist() == [1.0, 1.0]
    assert loss_and_grad.eager_reason(tf.constant([1.0, 2.0])) is None

    @tf.function
    def f(x):
        return 10.0 * clip_grad(x)

    f(tf.constant([1.0]))
    x = tf.constant([5.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)  # replayed op by op the graph would lose grad_fn: Python runs instead
    assert y.numpy().tolist() == [50.0] and tape.gradient(y, x).numpy().tolist() == [1.0]


def test_a_python_scalar_result_of_an_op_has_the_right_dtype():
    # found by tracing: `0.1 * g` with g an all-ones gradient view returned a Python float
    b = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.constant([[1.0]]) + b)
    d = 0.1 * tape.gradient(loss, b)
    assert d.dtype == tf.float32 and type(d.numpy()) is np.float32


def test_tapes_inside_and_outside_a_function():
    w = tf.Variable([1.0, 2.0])

    @tf.function
    def step(x):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum((w * x) ** 2)
        g = t.gradient(loss, w)
        w.assign_sub(0.1 * g)
        return loss, g

    loss, g = step(tf.constant([1.0, 1.0]))
    assert float(loss) == 5.0 and g.numpy().tolist() == [2.0, 4.0]
    loss, g = step(tf.constant([1.0, 1.0]))  # replayed: reads the updated w
    np.testing.assert_allclose(loss.numpy(), 0.8**2 + 1.6**2, rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [0.64, 1.28], rtol=1e-6)

    class Model:
        @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
        def cube(self, x):
            return x**3

    model = Model()
    for value in [2.0, 3.0]:  # traced, then replayed op by op for the tape
        x = tf.constant(value)
        with tf.GradientTape() as t:
            t.watch(x)
            y = model.cube(x)
        assert float(t.gradient(y, x)) == 3 * value**2
    assert step.python_function.__name__ == "step" and not tf.config.functions_run_eagerly()


def test_iterating_a_dataset_inside_a_function_runs_eagerly():
    ds = tf.data.Dataset.range(6).shuffle(6, seed=1).batch(3)

    @tf.function
    def first_batches(ds):
        return [batch for batch in ds]

    orders = [np.concatenate([b.numpy() for b in first_batches(ds)]).tolist() for _ in range(2)]
    assert sorted(orders[0]) == sorted(orders[1]) == list(range(6))
    assert orders[0] != orders[1]  # reshuffled: the pipeline ran again, not a recording of it
    assert "tf.data.Dataset" in first_batches.eager_reason(ds)


def test_an_op_failing_while_tracing_raises_only_if_the_graph_needs_it():
    @tf.function
    def unused(x):
        tf.gather(x, [1])  # fails (index 1 of 1), but no output needs it: TF does not run it
        return x * 2.0

    @tf.function
    def used(x):
        return tf.gather(x, [1]) * 2.0  # the failed value flows on: the output needs it

    assert unused(tf.constant([3.0])).numpy().tolist() == [6.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 1 is not in"):
        used(tf.constant([3.0]))
    assert used(tf.constant([3.0, 4.0])).numpy().tolist() == [8.0]  # another signature is fine


def test_inputs_without_a_tensor_take_the_first_ones_dtype():
    # TF converts the first input, then the others to its dtype: not NumPy's promotion
    assert tf.maximum(0.0, [1, -1]).dtype == tf.float32
    assert tf.add(2, 3).dtype == tf.int32 and type(tf.add(2, 3).numpy()) is np.int32
    with pytest.raises(TypeError, match=r"Cannot convert 0\.5 to EagerTensor of dtype int32"):
        tf.maximum([1, -1], 0.5)


# -- Keras layers in a traced training step ------------------------------------------------------

LAYERS = {
    "Dense": (lambda: tf.keras.layers.Dense(3, activation="tanh"), (4, 5), "float32"),
    "Conv2D": (lambda: tf.keras.layers.Conv2D(2, 3, padding="same"), (2, 5, 5, 3), "float32"),
    "MaxPooling2D": (tf.keras.layers.MaxPooling2D, (2, 4, 4, 3), "float32"),
    "AveragePooling2D": (tf.keras.layers.AveragePooling2D, (2, 4, 4, 3), "float32"),
    "GlobalAveragePooling2D": (tf.keras.layers.GlobalAveragePooling2D, (2, 4, 4, 3), "float32"),
    "Flatten": (tf.keras.layers.Flatten, (2, 3, 4), "float32"),
    "Reshape": (lambda: tf.keras.layers.Reshape((4, 3)), (2, 3, 4), "float32"),
    "Embedding": (lambda: tf.keras.layers.Embedding(10, 3), (4, 6), "int32"),
    "Dropout": (lambda: tf.keras.layers.Dropout(0.5), (4, 5), "float32"),
    "BatchNormalization": (tf.keras.layers.BatchNormalization, (4, 5), "float32"),
    "LayerNormalization": (tf.keras.layers.LayerNormalization, (4, 5), "float32"),
    "SimpleRNN": (lambda: tf.keras.layers.SimpleRNN(3), (2, 4, 5), "float32"),
    "LSTM": (lambda: tf.keras.layers.LSTM(3, return_sequences=True), (2, 4, 5), "float32"),
    "GRU": (lambda: tf.keras.layers.GRU(3), (2, 4, 5), "float32"),
    "Bidirectional": (
        lambda: tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(2)),
        (2, 4, 5),
        "float32",
    ),
    "Rescaling": (lambda: tf.keras.layers.Rescaling(0.5, 1.0), (4, 5), "float32"),
    "Softmax": (tf.keras.layers.Softmax, (4, 5), "float32"),
    "Conv1D": (lambda: tf.keras.layers.Conv1D(2, 3, padding="causal"), (2, 5, 3), "float32"),
    "MaxPooling1D": (tf.keras.layers.MaxPooling1D, (2, 4, 3), "float32"),
    "AveragePooling1D": (tf.keras.layers.AveragePooling1D, (2, 4, 3), "float32"),
    "UpSampling2D": (tf.keras.layers.UpSampling2D, (2, 3, 3, 2), "float32"),
    "ZeroPadding2D": (tf.keras.layers.ZeroPadding2D, (2, 3, 3, 2), "float32"),
    "Cropping2D": (lambda: tf.keras.layers.Cropping2D(1), (2, 4, 4, 2), "float32"),
    "RepeatVector": (lambda: tf.keras.layers.RepeatVector(3), (4, 5), "float32"),
    "Permute": (lambda: tf.keras.layers.Permute((2, 1)), (2, 4, 5), "float32"),
    "SpatialDropout1D": (lambda: tf.keras.layers.SpatialDropout1D(0.5), (2, 4, 5), "float32"),
    "TimeDistributed": (
        lambda: tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2)),
        (2, 4, 5),
        "float32",
    ),
    "EinsumDense": (
        lambda: tf.keras.layers.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d"),
        (2, 4, 5),
        "float32",
    ),
    "Lambda": (lambda: tf.keras.layers.Lambda(tf.square), (4, 5), "float32"),
}


def _train(make, batches, traced):
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.Sequential([make(), tf.keras.layers.Flatten(), tf.keras.layers.Dense(1)])
    model(batches[0])
    opt, mean = tf.keras.optimizers.Adam(0.1), tf.keras.metrics.Mean()

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=False) - 1.0))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        mean.update_state(loss)
        return loss

    run = tf.function(step) if traced else step
    losses = [float(run(b)) for b in batches]
    if traced:
        assert run.eager_reason(batches[0]) is None
    return losses, [v.numpy() for v in model.weights], float(mean.result())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_keras_training_step_replays_exactly(name):
    """A train step (layer + Dense head, loss, gradients, Adam update, a metric) traced on one
    batch and replayed on others gives eager execution's numbers, from the same weights."""
    make, shape, dtype = LAYERS[name]
    rng = np.random.default_rng(0)
    batches = [
        rng.integers(0, 10, shape) if dtype == "int32" else rng.normal(size=shape) for _ in range(3)
    ]
    batches = [tf.constant(b.astype(dtype)) for b in batches]
    results = [_train(make, batches, traced) for traced in [False, True]]
    (eager_losses, eager_weights, eager_mean), (losses, weights, mean_) = results
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-6)
    for w, e in zip(weights, eager_weights, strict=True):
        np.testing.assert_allclose(w, e, rtol=1e-6, atol=1e-7)
    assert mean_ == pytest.approx(eager_mean, rel=1e-6)


def _masked_lstm():
    L = tf.keras.layers
    return tf.keras.Sequential([L.Embedding(10, 4, mask_zero=True), L.LSTM(3), L.Dense(1)])


def _multi_head_attention():
    L = tf.keras.layers
    x = tf.keras.Input(shape=(6, 4))
    h = L.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True)
    scored = L.MultiHeadAttention(1, 2, dropout=0.1)(h, x)  # its explicit route (dropout)
    return tf.keras.Model(x, L.Dense(1)(L.GlobalAveragePooling1D()(scored)))


def _masked_graph():
    """Masks through attention, merges, a bidirectional GRU, TimeDistributed and pooling."""
    L = tf.keras.layers
    x = tf.keras.Input(shape=(6,), dtype="int32")
    e = L.Embedding(10, 4, mask_zero=True)(x)
    h = L.Add()([e, L.MultiHeadAttention(2, 2)(e, e)])
    h = L.Bidirectional(L.GRU(3, return_sequences=True))(h)
    h = L.Concatenate()([h, L.Attention()([h, h])])
    h = L.TimeDistributed(L.Dense(2))(L.Masking(0.5)(h))
    return tf.keras.Model(x, L.Dense(1)(L.GlobalAveragePooling1D()(h)))


MODELS = {
    "masked_lstm": (_masked_lstm, (4, 6), "int32"),
    "multi_head_attention": (_multi_head_attention, (4, 6, 4), "float32"),
    "masked_graph": (_masked_graph, (4, 6), "int32"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_masked_or_attention_training_step_replays_exactly(name):
    """Keras masks (ids 0 masked: some steps of each batch, a whole row of one) and attention
    are ops in the trace, not values Python reads: the step replays with eager numbers."""
    make, shape, dtype = MODELS[name]
    rng = np.random.default_rng(1)
    if dtype == "int32":
        batches = [np.where(rng.random(shape) < 0.3, 0, rng.integers(1, 10, shape)) for _ in "abc"]
        batches[1][0] = 0
    else:
        batches = [rng.normal(size=shape) for _ in "abc"]
    batches = [tf.constant(b.astype(dtype)) for b in batches]

    def train(traced):
        tf.keras.utils.set_random_seed(1)
        model = make()
        model(batches[0])
        opt = tf.keras.optimizers.Adam(0.05)

        def step(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x) - 1.0))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        run = tf.function(step) if traced else step
        losses = [float(run(b)) for b in batches]
        if traced:
            assert run.eager_reason(batches[0]) is None
        return losses, [v.numpy() for v in model.weights]

    (eager_losses, eager_weights), (losses, weights) = train(False), train(True)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-6)
    for w, e in zip(weights, eager_weights, strict=True):
        np.testing.assert_allclose(w, e, rtol=1e-6, atol=1e-7)


def test_a_value_escaping_a_trace_cannot_be_used_as_in_tf():
    leaked = []

    @tf.function
    def leaky(a):
        leaked.append(a + 1)  # bad: kept past the trace, not returned
        return a + 2

    assert leaky(tf.constant(1)).numpy() == 3  # outputs are plain tensors
    x = leaked[0]
    assert repr(x) == "<tf.Tensor 'add:0' shape=() dtype=int32>"
    assert str(x) == 'Tensor("add:0", shape=(), dtype=int32)'
    with pytest.raises(AttributeError, match="'SymbolicTensor' object has no attribute 'numpy'"):
        x.numpy()
    with pytest.raises(TypeError, match="is out of scope and cannot be used here"):
        x + 1
    with pytest.raises(TypeError, match="is out of scope and cannot be used here"):
        tf.Variable(0).assign(x)  # nor can a variable take its stale value


def test_python_reading_a_value_dependent_shape_runs_eagerly():
    @tf.function
    def positives(x):
        idx = tf.where(x > 0)  # how many rows: a matter of values
        return [x[int(i[0])] * 2 for i in idx]  # Python loops over those rows

    assert [float(v) for v in positives(tf.constant([1.0, -1.0, 3.0]))] == [2.0, 6.0]
    assert [float(v) for v in positives(tf.constant([-1.0, -1.0, 5.0]))] == [10.0]
    assert "shape depends on values" in positives.eager_reason(tf.constant([1.0, 2.0, 3.0]))

    @tf.function
    def count(x):
        return tf.shape(tf.where(x > 0))[0]  # an op reads the shape: the graph can replay

    assert int(count(tf.constant([1.0, -1.0, 3.0]))) == 2
    assert int(count(tf.constant([1.0, 1.0, 3.0]))) == 3
    assert count.eager_reason(tf.constant([1.0, -1.0, 3.0])) is None


def test_a_function_that_makes_variables_is_traced_twice_as_in_tf(capsys):
    class Count(tf.Module):
        def __init__(self):
            self.count = None

        @tf.function
        def __call__(self):
            print("tracing")
            if self.count is None:
                self.count = tf.Variable(0)  # made by the first trace only
            tf.print("count before:", self.count)
            return self.count.assign_add(1)

    c = Count()
    assert [int(c()) for _ in range(3)] == [1, 2, 3]  # the first trace's write was undone
    assert c.__call__.experimental_get_tracing_count() == 2
    out = capsys.readouterr()
    assert out.out == "tracing\ntracing\n"  # Python runs at both traces, then never again
    assert out.err == "count before: 0\ncount before: 1\ncount before: 2\n"

    @tf.function
    def makes_one_each_call(x):
        v = tf.Variable(1.0)
        return v + x

    with pytest.raises(ValueError, match=r"only supports singleton tf\.Variables"):
        makes_one_each_call(1.0)


def test_tf_print_output_follows_the_trace_python_prints(capsys):
    @tf.function
    def f(x):
        tf.print("graph:", x, output_stream=sys.stdout)
        print("python: tracing")
        return x

    f(tf.constant(1))
    f(tf.constant(2))
    assert capsys.readouterr().out == "python: tracing\ngraph: 1\ngraph: 2\n"


def test_a_function_run_eagerly_in_place_of_a_graph_prints_as_a_graph_would(capsys):
    @tf.function
    def train(num_steps):
        print("Tracing with num_steps =", num_steps)
        tf.print("Executing with num_steps =", num_steps, output_stream=sys.stdout)
        total = tf.constant(0)
        for i in tf.range(num_steps):  # AutoGraph in TF; a value read here: runs eagerly
            total += i
        return total

    assert [int(train(tf.constant(n))) for n in (3, 4)] == [3, 6]
    assert capsys.readouterr().out == (
        'Tracing with num_steps = Tensor("num_steps:0", shape=(), dtype=int32)\n'
        "Executing with num_steps = 3\nExecuting with num_steps = 4\n"
    )


def test_keras_fit_runs_its_steps_as_traced_functions():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 8)).astype("float32"), rng.integers(0, 3, 96)

    def fit(run_eagerly):
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(3)])
        model.compile(
            optimizer="adam",
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            run_eagerly=run_eagerly,
        )
        history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        return model, history.history, model.evaluate(x, y, verbose=0), model.predict(x[:5])

    eager, traced = fit(True), fit(False)
    assert eager[0].train_function is None  # run_eagerly: the steps run as Python
    batch = (tf.constant(x[:32]), tf.constant(y[:32]))
    assert traced[0].train_function.eager_reason(batch) is None  # replayed, not re-run
    assert traced[0].test_function.eager_reason(batch) is None
    assert traced[1] == eager[1] and traced[2] == eager[2]
    np.testing.assert_array_equal(traced[3], eager[3])


def test_an_input_signature_converts_python_values_and_names_what_does_not_fit():
    @tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
    def double(x):
        return x * 2

    assert double([1, 2]).numpy().tolist() == [2, 4]  # a list becomes an int32 tensor
    with pytest.raises(TypeError) as e:
        double(tf.constant([1.0]))
    assert str(e.value).startswith(
        "Binding inputs to tf.function failed due to `Can not cast TensorSpec(shape=(1,), "
        "dtype=tf.float32, name=None) to TensorSpec(shape=(None,), dtype=tf.int32, name=None)`."
    )
    assert str(e.value).endswith(
        "for signature: (x: TensorSpec(shape=(None,), dtype=tf.int32, name=None))."
    )


def test_keras_fit_of_a_masked_attention_model_replays():
    """fit's traced steps over masks (some ids 0) and attention replay with run_eagerly's
    numbers."""
    rng = np.random.default_rng(0)
    ids = np.where(rng.random((48, 6)) < 0.3, 0, rng.integers(1, 10, (48, 6))).astype("int32")
    y = rng.normal(size=(48, 1)).astype("float32")

    def fit(run_eagerly):
        tf.keras.utils.set_random_seed(0)
        model = _masked_graph()
        model.compile(optimizer="adam", loss="mse", run_eagerly=run_eagerly)
        history = model.fit(ids, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return model, history.history, model.evaluate(ids, y, verbose=0)

    eager, traced = fit(True), fit(False)
    batch = (tf.constant(ids[:16]), tf.constant(y[:16]))
    assert traced[0].train_function.eager_reason(batch) is None
    assert traced[0].test_function.eager_reason(batch) is None
    np.testing.assert_allclose(traced[1]["loss"], eager[1]["loss"], rtol=1e-6)
    assert traced[2] == pytest.approx(eager[2], rel=1e-6)


def test_a_concrete_function_takes_tensors_of_its_trace_only():
    @tf.function
    def power(a, b):
        return a**b

    square = power.get_concrete_function(a=tf.TensorSpec([], tf.float32), b=2)
    assert float(square(tf.constant(10.0))) == 100.0
    assert float(square(a=tf.constant(3.0))) == 9.0
    with pytest.raises(TypeError, match="Can not cast 3 to Literal"):
        square(tf.constant(10.0), b=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor"):
        square(tf.constant(10))
    assert power.experimental_get_tracing_count() == 1


def test_executing_eagerly_is_false_while_tracing_as_in_tf():
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        return x

    f(tf.constant(1))
    tf.config.run_functions_eagerly(True)
    try:
        f(tf.constant(1))
    finally:
        tf.config.run_functions_eagerly(False)
    assert seen == [False, True] and tf.executing_eagerly()
