"""The code of TF's "Introduction to graphs and tf.function" guide
(tensorflow.org/guide/intro_to_graphs), cell by cell as a script. It was written down from the
published guide without network access, so small details may differ from today's page. Left
out: the cells that print timings (not reproducible), `tf.autograph.to_code` and
`graph.as_graph_def()` (TF's graph internals; tapeflow has no AutoGraph and no GraphDef).
Notebook cells that only display a value print it here. Run it with `tf` bound to tapeflow or
TensorFlow:

    python -m examples.guides.intro_to_graphs

tests/test_guides.py checks that it prints what TF 2.21 printed for this very script
(tests/fixtures/guide_intro_to_graphs_tf.txt, made by running it with
`import tensorflow as tf`).
"""

import tapeflow as tf


# Define a Python function.
def a_regular_function(x, y, b):
    x = tf.matmul(x, y)
    x = x + b
    return x


# The Python type of `a_function_that_uses_a_graph` will now be a
# `PolymorphicFunction`.
a_function_that_uses_a_graph = tf.function(a_regular_function)

# Make some tensors.
x1 = tf.constant([[1.0, 2.0]])
y1 = tf.constant([[2.0], [3.0]])
b1 = tf.constant(4.0)

orig_value = a_regular_function(x1, y1, b1).numpy()
# Call a `tf.function` like a Python function.
tf_function_value = a_function_that_uses_a_graph(x1, y1, b1).numpy()
assert orig_value == tf_function_value


def inner_function(x, y, b):
    x = tf.matmul(x, y)
    x = x + b
    return x


# Using the `tf.function` decorator makes `outer_function` into a
# `PolymorphicFunction`.
@tf.function
def outer_function(x):
    y = tf.constant([[2.0], [3.0]])
    b = tf.constant(4.0)

    return inner_function(x, y, b)


# Note that the callable will create a graph that
# includes `inner_function` as well as `outer_function`.
print(outer_function(tf.constant([[1.0, 2.0]])).numpy())


def simple_relu(x):
    if tf.greater(x, 0):
        return x
    else:
        return 0


# Using `tf.function` makes `tf_simple_relu` a `PolymorphicFunction` that wraps
# `simple_relu`.
tf_simple_relu = tf.function(simple_relu)

print("First branch, with graph:", tf_simple_relu(tf.constant(1)).numpy())
print("Second branch, with graph:", tf_simple_relu(tf.constant(-1)).numpy())


@tf.function
def my_relu(x):
    return tf.maximum(0.0, x)


# `my_relu` creates new graphs as it observes different input signatures.
print(my_relu(tf.constant(5.5)))
print(my_relu([1, -1]))
print(my_relu(tf.constant([3.0, -3.0])))

# These two calls do *not* create new graphs.
print(my_relu(tf.constant(-2.5)))  # Input signature matches `tf.constant(5.5)`.
print(my_relu(tf.constant([-1.0, 1.0])))  # Input signature matches `tf.constant([3., -3.])`.

# There are three `ConcreteFunction`s (one for each graph) in `my_relu`.
# The `ConcreteFunction` also knows the return type and shape!
print(my_relu.pretty_printed_concrete_signatures())

tf.random.set_seed(0)
y_true = tf.random.uniform([5], maxval=10, dtype=tf.int32)
y_pred = tf.random.uniform([5], maxval=10, dtype=tf.int32)
# the guide prints y_true and y_pred here: their values are TF's random stream, not printed


def get_MSE(y_true, y_pred):
    sq_diff = tf.pow(y_true - y_pred, 2)
    return tf.reduce_mean(sq_diff)


print(get_MSE(tf.constant([1, 9, 3, 6, 2]), tf.constant([4, 0, 3, 5, 8])))

tf.config.run_functions_eagerly(True)
get_MSE = tf.function(get_MSE)
print(get_MSE(tf.constant([1, 9, 3, 6, 2]), tf.constant([4, 0, 3, 5, 8])))
# Don't forget to set it back when you are done.
tf.config.run_functions_eagerly(False)


@tf.function
def get_MSE(y_true, y_pred):  # the guide redefines it
    print("Calculating MSE!")
    sq_diff = tf.pow(y_true - y_pred, 2)
    return tf.reduce_mean(sq_diff)


error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)

# Now, globally set everything to run eagerly to force eager execution.
tf.config.run_functions_eagerly(True)

# Observe what is printed below.
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)
error = get_MSE(y_true, y_pred)

tf.config.run_functions_eagerly(False)


def unused_return_eager(x):
    # Get index 1 will fail when `len(x) == 1`
    tf.gather(x, [1])  # unused
    return x


try:
    print(unused_return_eager(tf.constant([0.0])))
except tf.errors.InvalidArgumentError as e:
    # All operations are run during eager execution so an error is raised.
    print(f"{type(e).__name__}: {e}")


@tf.function
def unused_return_graph(x):
    tf.gather(x, [1])  # unused
    return x


# Only needed operations are run during graph execution. The error is not raised.
print(unused_return_graph(tf.constant([0.0])))


@tf.function
def a_function_with_python_side_effect(x):
    print("Tracing!")  # An eager-only side effect.
    return x * x + tf.constant(2)


# This is traced the first time.
print(a_function_with_python_side_effect(tf.constant(2)))
# The second time through, you won't see the side effect.
print(a_function_with_python_side_effect(tf.constant(3)))

# This retraces each time the Python argument changes,
# as a Python argument could be an epoch count or other
# hyperparameter.
print(a_function_with_python_side_effect(2))
print(a_function_with_python_side_effect(3))

# A graph's concrete function and its signature
concrete = my_relu.get_concrete_function(tf.constant(1.0))
print(concrete.structured_input_signature)
print(concrete.structured_outputs)
print(concrete(tf.constant(-4.0)))
