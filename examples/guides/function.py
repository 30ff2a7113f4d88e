"""The code of TF's "Better performance with tf.function" guide (tensorflow.org/guide/function),
cell by cell as a script. It was written down from the published guide without network
access, so small details may differ from today's page. Left out: the cells on graph internals
(`graph.as_graph_def()`, `get_operations()`), calling a concrete function with arguments that
do not fit it, custom TraceTypes, and timing. `assert_raises` prints the error's type instead
of a traceback. Run it with `tf` bound to tapeflow or TensorFlow:

    python -m examples.guides.function

tests/test_guides.py checks that it prints what TF 2.21 printed for this very script
(tests/fixtures/guide_function_tf.txt, made by running it with `import tensorflow as tf`);
tf.print writes to stderr, which that test does not compare.
"""

import contextlib

import tapeflow as tf


@contextlib.contextmanager
def assert_raises(error_class):
    try:
        yield
    except error_class as e:
        print(f"Caught expected exception \n  {error_class}:")
        print(f"  {type(e).__name__}")  # the guide prints the traceback (to stderr)
    except Exception as e:
        raise e
    else:
        raise Exception(f"Expected {error_class} to be raised but no error was raised!")


@tf.function
def add(a, b):
    return a + b


print(add(tf.ones([2, 2]), tf.ones([2, 2])))
v = tf.Variable(1.0)
with tf.GradientTape() as tape:
    result = add(v, 1.0)
print(tape.gradient(result, v))


@tf.function
def dense_layer(x, w, b):
    return add(tf.matmul(x, w), b)


print(dense_layer(tf.ones([3, 2]), tf.ones([2, 2]), tf.ones([2])))


@tf.function
def double(a):
    print("Tracing with", a)
    return a + a


print(double(tf.constant(1)))
print()
print(double(tf.constant(1.1)))
print()
print(double(tf.constant("a")))
print()
print(double(tf.constant("b")))
print(double.pretty_printed_concrete_signatures())
print("Obtaining concrete trace")
double_strings = double.get_concrete_function(tf.constant("a"))
print("Executing traced function")
print(double_strings(tf.constant("a")))
print(double_strings(a=tf.constant("b")))
double_strings_from_inputspec = double.get_concrete_function(
    tf.TensorSpec(shape=[], dtype=tf.string)
)
print(double_strings_from_inputspec(tf.constant("c")))
print(double_strings)
print(double_strings.structured_input_signature)
print(double_strings.structured_outputs)


@tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
def next_collatz(x):
    print("Tracing with", x)
    return tf.where(x % 2 == 0, x // 2, 3 * x + 1)


print(next_collatz(tf.constant([1, 2])))
with assert_raises(TypeError):
    next_collatz(tf.constant([[1, 2], [3, 4]]))
with assert_raises(TypeError):
    next_collatz(tf.constant([1.0, 2.0]))


@tf.function(reduce_retracing=True)
def g(x):
    print("Tracing with", x)
    return x


print(g(tf.constant([1, 2, 3])))
print(g(tf.constant([1, 2, 3, 4, 5])))
print(g(tf.constant([1, 2, 3, 4, 5, 6, 7])))
print(g(tf.constant([1, 2, 3, 4, 5, 6, 7, 8, 9])))


def train_one_step():
    pass


@tf.function
def train(num_steps):
    print("Tracing with num_steps = ", num_steps)
    tf.print("Executing with num_steps = ", num_steps)
    for _ in tf.range(num_steps):
        train_one_step()


print("Retracing occurs for different Python arguments.")
train(num_steps=10)
train(num_steps=20)
print()
print("Traces are reused for Tensor arguments.")
train(num_steps=tf.constant(10))
train(num_steps=tf.constant(20))


def f():
    print("Tracing!")
    tf.print("Executing")


tf.function(f)()
tf.function(f)()

external_list = []


@tf.function
def side_effect(x):
    print("Python side effect")
    external_list.append(x)


side_effect(1)
side_effect(1)
side_effect(1)
assert len(external_list) == 1


class Model(tf.Module):
    def __init__(self):
        self.v = tf.Variable(0)
        self.counter = 0

    @tf.function
    def __call__(self):
        if self.counter == 0:
            self.counter += 1
            self.v.assign_add(1)
        return self.v


m = Model()
for n in range(3):
    print(m().numpy())


@tf.function
def buggy_consume_next(iterator):
    tf.print("Value:", next(iterator))


iterator = iter([1, 2, 3])
buggy_consume_next(iterator)
buggy_consume_next(iterator)
buggy_consume_next(iterator)


@tf.function
def f(x):
    v = tf.Variable(1.0)
    return v


with assert_raises(ValueError):
    f(1.0)


class Count(tf.Module):
    def __init__(self):
        self.count = None

    @tf.function
    def __call__(self):
        if self.count is None:
            self.count = tf.Variable(0)
        return self.count.assign_add(1)


c = Count()
print(c())
print(c())
