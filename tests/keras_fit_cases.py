"""Keras `compile`/`fit`/`evaluate`/`predict`, metrics, callbacks and `summary` run under real
TF (fixtures/make_keras_fit_fixtures.py) and under tapeflow (test_keras_fit.py): each case
takes the module as `tf` and returns named results.

Weights are set with `set_weights`, `shuffle=False`, layers and models are named: results do
not depend on random streams. Printed text is what a file or pipe receives, with the times
masked (see `masked`).
"""

import contextlib
import io
import os
import re

import numpy as np

X = np.stack(
    [np.sin(np.arange(50) * 0.7), np.cos(np.arange(50) * 0.3), np.linspace(-1, 1, 50)], axis=1
).astype(np.float32)
Y_INT = (X[:, 0] + 0.5 * X[:, 2] > 0).astype(np.int32)
Y_REG = (X @ np.float32([[0.5], [-1.0], [2.0]]) + 0.25).astype(np.float32)
W1 = (np.cos(np.arange(12, dtype=np.float32)).reshape(3, 4) * 0.7).astype(np.float32)
B1 = np.float32([0.1, -0.2, 0.0, 0.3])


def masked(text):
    """What a terminal finally shows of each line (the part after the last carriage return,
    trailing spaces dropped), with the elapsed and per-step times replaced by T."""
    lines = []
    for line in text.split("\n"):
        shown = line.split("\r")[-1].replace("\b", "").rstrip()
        shown = re.sub(r"\x1b\[1m\d+s\x1b\[0m \d+(s|ms|us)/step", "\x1b[1mTs\x1b[0m T/step", shown)
        shown = re.sub(r" - \d+s - \d+(s|ms|us)/step", " - Ts - T/step", shown)
        lines.append(shown)
    return "\n".join(lines)


@contextlib.contextmanager
def captured():
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer


def _mlp(tf, name, out_units, out_activation=None):
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(3,)),
            tf.keras.layers.Dense(4, activation="relu", name=f"{name}_h"),
            tf.keras.layers.Dense(out_units, activation=out_activation, name=f"{name}_o"),
        ],
        name=name,
    )
    w2 = np.sin(np.arange(4 * out_units, dtype=np.float32)).reshape(4, out_units)
    model.set_weights([W1, B1, w2, np.full(out_units, 0.05, np.float32)])
    return model


def _history(history):
    return {"keys": list(history.history), "values": list(history.history.values())}


def fit_sparse_verbose1(tf):
    model = _mlp(tf, "sparse", 2)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.05),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    with captured() as out:
        history = model.fit(
            X[:40],
            Y_INT[:40],
            batch_size=16,
            epochs=3,
            shuffle=False,
            validation_data=(X[40:], Y_INT[40:]),
        )
    text = out.getvalue()
    with captured() as out_eval:
        evaluated = model.evaluate(X, Y_INT, batch_size=20)
    return {
        "history": _history(history),
        "epoch": history.epoch,
        "params": [history.params["epochs"], history.params["steps"]],
        "text": masked(text),
        "redraws_in_place": "\r" in text and "\b" in text,
        "evaluate": evaluated,
        "evaluate_text": masked(out_eval.getvalue()),
        "evaluate_dict": model.evaluate(X, Y_INT, verbose=0, return_dict=True),
        "predict": model.predict(X[:7], batch_size=4, verbose=0),
        "predict_type": type(model.predict(X[:3], verbose=0)).__name__,
        "metrics_names": model.metrics_names,
        "is_history": model.history is history,
    }


def fit_regression_verbose2_split(tf):
    model = _mlp(tf, "reg", 1)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", tf.keras.metrics.MeanSquaredError()])
    with captured() as out:
        history = model.fit(
            X, Y_REG, epochs=2, batch_size=8, shuffle=False, verbose=2, validation_split=0.3
        )
    with captured() as out_eval:
        evaluated = model.evaluate(X, Y_REG, verbose=2)
    return {
        "history": _history(history),
        "text": masked(out.getvalue()),
        "evaluate": evaluated,
        "evaluate_text": masked(out_eval.getvalue()),
        "loss_only": _loss_only(tf),
    }


def _loss_only(tf):
    model = _mlp(tf, "lossonly", 1)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.01), loss=tf.keras.losses.mae)
    history = model.fit(X, Y_REG, epochs=2, shuffle=False, verbose=0)
    return [history.history["loss"], model.evaluate(X, Y_REG, verbose=0), model.metrics_names]


def fit_binary_and_categorical(tf):
    binary = _mlp(tf, "binary", 1, "sigmoid")
    binary.compile(
        optimizer=tf.keras.optimizers.RMSprop(0.01),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    hb = binary.fit(
        X, Y_INT.astype(np.float32)[:, None], batch_size=10, epochs=2, shuffle=False, verbose=0
    )
    with captured() as out_pred:
        predicted = binary.predict(X, batch_size=32)
    onehot = np.eye(3, dtype=np.float32)[(np.arange(50) * 7) % 3]
    cat = _mlp(tf, "cat", 3, "softmax")
    cat.compile(
        optimizer=tf.keras.optimizers.SGD(0.1, momentum=0.9),
        loss="categorical_crossentropy",
        metrics=["acc", tf.keras.metrics.CategoricalAccuracy(name="cat_acc"), "mse"],
    )
    hc = cat.fit(X, onehot, batch_size=25, epochs=3, shuffle=False, verbose=0)
    sparse = _mlp(tf, "sparse_n1", 3)
    sparse.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(True),
        metrics=["accuracy"],
    )
    hs = sparse.fit(X, ((np.arange(50) * 7) % 3)[:, None], epochs=2, shuffle=False, verbose=0)
    return {
        "binary": _history(hb),
        "predict": predicted,
        "predict_text": masked(out_pred.getvalue()),
        "categorical": _history(hc),
        "categorical_evaluate": cat.evaluate(X, onehot, verbose=0),
        "sparse_labels_n1": _history(hs),
    }


def _batches(tf, x, y, size):
    if tf.__name__ == "tensorflow":
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(size)
    # tapeflow's fit takes any iterable of (x, y) batches; a list has a length, as a
    # tf.data.Dataset of known cardinality has
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def fit_on_batches(tf):
    model = _mlp(tf, "batches", 1)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    with captured() as out:
        history = model.fit(
            _batches(tf, X, Y_REG, 16),
            epochs=2,
            validation_data=_batches(tf, X[:20], Y_REG[:20], 8),
        )
    return {
        "history": _history(history),
        "text": masked(out.getvalue()),
        "evaluate": model.evaluate(_batches(tf, X, Y_REG, 16), verbose=0),
        "predict": model.predict(_batches(tf, X[:10], Y_REG[:10], 4), verbose=0),
    }


def metrics(tf):
    m = tf.keras.metrics
    y_int = np.array([0, 2, 1, 1])
    logits = np.array(
        [[0.9, 0.1, 0.0], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]], np.float32
    )
    y_bin = np.array([[1.0], [0.0], [1.0], [0.0]], np.float32)
    p_bin = np.array([[0.7], [0.6], [0.4], [0.1]], np.float32)
    out = {}
    cases = [
        (m.Mean(), [([1.0, 2.0, 3.0],), ([[4.0, 5.0]], [[1.0, 3.0]])]),
        (m.Accuracy(), [([1, 2, 3, 4], [1, 2, 0, 4]), ([[1], [2]], [[1], [1]])]),
        (m.BinaryAccuracy(), [(y_bin, p_bin), (y_bin[:2], p_bin[:2], [1.0, 0.5])]),
        (m.BinaryAccuracy(threshold=0.65), [(y_bin, p_bin)]),
        (m.CategoricalAccuracy(), [(np.eye(3)[y_int], logits)]),
        (
            m.SparseCategoricalAccuracy(),
            [(y_int, logits), (y_int[:, None], logits, [2.0, 1.0, 0.0, 1.0])],
        ),
        (
            m.MeanSquaredError(),
            [(np.ones((4, 3)), logits), (np.zeros((2, 3)), logits[:2], [0.5, 1.5])],
        ),
        (m.MeanAbsoluteError(), [(np.ones((4, 3)), logits)]),
    ]
    for metric, updates in cases:
        results = []
        for args in updates:
            metric.update_state(*args)
            results.append(metric.result())
        variables = [v.path for v in metric.variables]
        metric.reset_state()
        out[f"{type(metric).__name__}_{len(out)}"] = [
            metric.name,
            repr(metric),
            variables,
            results,
            metric.result(),
        ]
    out["get"] = [repr(m.get("mae")), repr(m.get("accuracy")), repr(m.get("MeanSquaredError"))]
    return out


def summaries(tf):
    out = {}
    mnist = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(28, 28)),
            tf.keras.layers.Flatten(name="flatten"),
            tf.keras.layers.Dense(128, activation="relu", name="hidden"),
            tf.keras.layers.Dropout(0.2, name="dropout"),
            tf.keras.layers.Dense(10, name="logits"),
        ],
        name="mnist",
    )
    unbuilt = tf.keras.Sequential(
        [tf.keras.layers.Dense(4, name="a"), tf.keras.layers.Dense(1, name="b")], name="unbuilt"
    )
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # Keras fits the table to the terminal: 80 when there is none
    try:
        for key, model in [("mnist", mnist), ("unbuilt", unbuilt)]:
            with captured() as out_text:
                model.summary()
            out[key] = out_text.getvalue()
        unbuilt(np.zeros((5, 3), np.float32))
        with captured() as out_text:
            unbuilt.summary()
        out["built_by_call"] = out_text.getvalue()
        fitted = tf.keras.Sequential(
            [tf.keras.layers.Dense(4, name="c"), tf.keras.layers.Dense(1, name="d")], name="fitted"
        )
        fitted.compile(optimizer="adam", loss="mse")
        fitted.fit(np.zeros((8, 3)), np.zeros((8, 1)), verbose=0)
        fitted.layers[0].trainable = False
        with captured() as out_text:
            fitted.summary()
        out["fitted_frozen"] = out_text.getvalue()
        with captured() as out_text:
            mnist.summary(line_length=64)
        out["line_length"] = out_text.getvalue()
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns
    return out


class Recorder:
    """Made with the module's Callback class: records each hook with its argument and the
    names in its logs."""

    @staticmethod
    def make(tf):
        class _Recorder(tf.keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.calls = []

        def hook(name):
            def record(self, *args, logs=None):
                if len(args) == 2 or (args and not isinstance(args[0], int)):
                    args, logs = args[:-1], args[-1]
                self.calls.append([name, *args, sorted(logs or {})])

            return record

        for name in [
            "on_train_begin",
            "on_train_end",
            "on_epoch_begin",
            "on_epoch_end",
            "on_train_batch_begin",
            "on_train_batch_end",
            "on_test_begin",
            "on_test_end",
            "on_test_batch_end",
            "on_predict_begin",
            "on_predict_end",
            "on_predict_batch_end",
        ]:
            setattr(_Recorder, name, hook(name))
        return _Recorder()


def callbacks(tf):
    model = _mlp(tf, "cb", 1)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    recorder = Recorder.make(tf)
    epochs_seen = []
    lam = tf.keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: epochs_seen.append([epoch, round(logs["loss"], 5)])
    )
    model.fit(
        X[:20],
        Y_REG[:20],
        batch_size=8,
        epochs=2,
        shuffle=False,
        verbose=0,
        validation_data=(X[20:30], Y_REG[20:30]),
        callbacks=[recorder, lam],
    )
    model.evaluate(X[:10], Y_REG[:10], batch_size=8, verbose=0, callbacks=[recorder])
    model.predict(X[:10], batch_size=8, verbose=0, callbacks=[recorder])
    return {"calls": recorder.calls, "lambda": epochs_seen}


def early_stopping(tf):
    out = {}
    # no epoch beats the first by min_delta: stops after `patience` more epochs, puts back
    # the first epoch's weights
    model = _mlp(tf, "es", 1)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
    stop = tf.keras.callbacks.EarlyStopping(
        monitor="loss", min_delta=1.0, patience=2, restore_best_weights=True, verbose=1
    )
    weights = []
    keep = tf.keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.append(model.get_weights())
    )
    with captured() as text:
        history = model.fit(X, Y_REG, epochs=10, shuffle=False, verbose=2, callbacks=[stop, keep])
    out["epochs"] = history.epoch
    out["stopped_epoch"] = stop.stopped_epoch
    out["best_epoch"] = stop.best_epoch
    out["restored_is_best"] = all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), weights[0])
    )
    out["text"] = masked(text.getvalue())
    # an accuracy is maximised (mode "auto"); a diverging val_loss with patience 1
    clf = _mlp(tf, "es_acc", 2)
    clf.compile(
        optimizer=tf.keras.optimizers.SGD(0.5),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    stop_acc = tf.keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    h = clf.fit(
        X[:40],
        Y_INT[:40],
        epochs=8,
        shuffle=False,
        verbose=0,
        batch_size=10,
        validation_data=(X[40:], Y_INT[40:]),
        callbacks=[stop_acc],
    )
    out["accuracy_run"] = [h.epoch, stop_acc.stopped_epoch, h.history["val_accuracy"]]
    return out


def fit_regularized(tf):
    """Regularizers and `add_loss` in training: the logged loss is the compiled loss plus
    each of `model.losses` summed, in fit and in evaluate."""

    class Penalty(tf.keras.layers.Layer):
        def call(self, x):
            self.add_loss(0.01 * tf.abs(x))  # not a scalar: compute_loss sums it
            return x

    def make(name, output_activity=None):
        model = tf.keras.Sequential(
            [
                tf.keras.Input(shape=(3,)),
                tf.keras.layers.Dense(
                    4,
                    activation="relu",
                    kernel_regularizer=tf.keras.regularizers.L2(0.05),
                    bias_regularizer="l1",
                    activity_regularizer=tf.keras.regularizers.L1(0.01),
                    name=f"{name}_h",
                ),
                Penalty(name=f"{name}_p"),
                tf.keras.layers.Dense(
                    1,
                    kernel_regularizer=tf.keras.regularizers.L1L2(0.01, 0.02),
                    activity_regularizer=output_activity,
                    name=f"{name}_o",
                ),
            ],
            name=name,
        )
        w2 = np.sin(np.arange(4, dtype=np.float32)).reshape(4, 1)
        model.set_weights([W1, B1, w2, np.float32([0.05])])
        return model

    model = make("regfit")
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    out = {"evaluate_before": model.evaluate(X, Y_REG, verbose=0)}
    model(X[:10])
    out["losses"] = [float(tf.reduce_sum(loss)) for loss in model.losses]
    history = model.fit(
        X[:40],
        Y_REG[:40],
        batch_size=16,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(X[40:], Y_REG[40:]),
    )
    out["history"] = _history(history)
    out["evaluate_after"] = model.evaluate(X, Y_REG, verbose=0, return_dict=True)
    out["weights"] = model.get_weights()
    # a frozen layer's weights are not regularized (its activity still is)
    model.layers[0].trainable = False
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    out["evaluate_frozen"] = model.evaluate(X, Y_REG, verbose=0)
    # no compiled loss at all: the layers' losses are what fit minimises
    only = make("regonly", output_activity="l2")
    only.compile(optimizer=tf.keras.optimizers.SGD(0.1))
    out["only_added_losses"] = _history(
        only.fit(X, epochs=3, batch_size=25, shuffle=False, verbose=0)
    )
    out["only_weights"] = only.get_weights()
    return out


# -- several outputs -------------------------------------------------------------------------

Y_TWO = np.stack([X[:, 1] * 2.0, X[:, 0] - X[:, 2]], axis=1).astype(np.float32)
SAMPLE_WEIGHT = np.linspace(0.2, 1.8, 50).astype(np.float32)


def _dense(tf, units, name, seed, activation=None):
    """A Dense layer whose weights are set when it is built: they do not depend on the
    order in which a model lists its weights."""

    class Fixed(tf.keras.layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.set_weights(_fixed_weights(input_shape[-1], units, seed))

    return Fixed(units, activation=activation, name=name)


def _fixed_weights(inputs, units, seed):
    kernel = np.cos(np.arange(inputs * units) + seed).reshape(inputs, units) * 0.6
    return [kernel.astype(np.float32), np.full(units, 0.05, np.float32)]


def _two_outputs(tf, name, outputs="list"):
    """x -> hidden -> a regression output (1 unit) and a 2-class logits output."""
    inputs = tf.keras.Input(shape=(3,), name=f"{name}_in")
    hidden = _dense(tf, 4, f"{name}_h", 0, "relu")(inputs)
    value = _dense(tf, 1, f"{name}_value", 1)(hidden)
    label = _dense(tf, 2, f"{name}_label", 2)(hidden)
    structure = {"value": value, "label": label} if outputs == "dict" else [value, label]
    return tf.keras.Model(inputs, structure, name=name)


def _run(fn):
    try:
        return fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def fit_multi_output_list(tf):
    model = _two_outputs(tf, "mol")
    model.compile(
        optimizer=tf.keras.optimizers.Adam(0.02),
        loss=["mse", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)],
        loss_weights=[1.0, 0.5],
        metrics=[["mae"], ["accuracy"]],
    )
    before = model.metrics_names
    with captured() as out:
        history = model.fit(
            X[:40],
            [Y_REG[:40], Y_INT[:40]],
            batch_size=16,
            epochs=2,
            shuffle=False,
            validation_data=(X[40:], [Y_REG[40:], Y_INT[40:]]),
        )
    text = out.getvalue()
    with captured() as out_eval:
        evaluated = model.evaluate(X, (Y_REG, Y_INT), batch_size=20)
    predicted = model.predict(X[:7], batch_size=4, verbose=0)
    return {
        "output_names": model.output_names,
        "metrics_names_before_fit": before,
        "metrics_names": model.metrics_names,
        "history": _history(history),
        "text": masked(text),
        "evaluate": evaluated,
        "evaluate_text": masked(out_eval.getvalue()),
        "evaluate_dict": model.evaluate(X, [Y_REG, Y_INT], verbose=0, return_dict=True),
        "predict": predicted,
        "predict_type": type(predicted).__name__,
        "call_type": type(model(X[:2])).__name__,
        "train_on_batch": model.train_on_batch(X[:10], [Y_REG[:10], Y_INT[:10]]),
        "train_on_batch_dict": model.train_on_batch(
            X[10:20], [Y_REG[10:20], Y_INT[10:20]], return_dict=True
        ),
        "test_on_batch": model.test_on_batch(X[:10], [Y_REG[:10], Y_INT[:10]]),
        "predict_on_batch": model.predict_on_batch(X[:3]),
    }


def fit_multi_output_dict(tf):
    model = _two_outputs(tf, "mod", outputs="dict")
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.05, momentum=0.5),
        loss={
            "value": "mae",
            "label": tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"value": 2.0, "label": 1.0},
        metrics={"label": ["accuracy", tf.keras.metrics.SparseCategoricalAccuracy(name="acc2")]},
        weighted_metrics={"value": ["mse"]},
    )
    y = {"value": Y_REG, "label": Y_INT}
    with captured() as out:
        history = model.fit(
            X,
            y,
            sample_weight=SAMPLE_WEIGHT,
            batch_size=20,
            epochs=2,
            shuffle=False,
            verbose=2,
            validation_split=0.2,
        )
    predicted = model.predict(X[:5], verbose=0)
    return {
        "output_names": model.output_names,
        "metrics_names": model.metrics_names,
        "history": _history(history),
        "text": masked(out.getvalue()),
        "evaluate": model.evaluate(X, y, verbose=0),
        "evaluate_weighted": model.evaluate(
            X, y, sample_weight=SAMPLE_WEIGHT, verbose=0, return_dict=True
        ),
        "evaluate_y_list": model.evaluate(X, [Y_INT, Y_REG], verbose=0, return_dict=True),
        "predict_keys": list(predicted),
        "predict": [predicted["value"], predicted["label"]],
        "call_keys": list(model(X[:2])),
    }


def fit_multi_output_by_name(tf):
    out = {}
    model = _two_outputs(tf, "mon")
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.05),
        loss={"mon_label": "mse", "mon_value": "mae"},
        loss_weights={"mon_value": 0.5, "mon_label": 1.5},
        metrics={"mon_value": ["mae", "mae"]},
        weighted_metrics=[["mae"], None],
    )
    history = model.fit(
        X,
        [Y_REG, Y_TWO],
        sample_weight=SAMPLE_WEIGHT,
        batch_size=25,
        epochs=2,
        shuffle=False,
        verbose=0,
    )
    out["history"] = _history(history)
    y = {"mon_value": Y_REG, "mon_label": Y_TWO}  # by output name
    out["evaluate"] = model.evaluate(X, y, verbose=0)
    # one loss for every output; compiling again without metrics keeps the earlier ones
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", loss_weights=[3.0])
    out["one_loss"] = _history(model.fit(X, y, epochs=1, shuffle=False, verbose=0))
    # a shorter list of losses covers the first outputs; None leaves an output out
    model.compile(optimizer="sgd", loss=["mse"], metrics=None)
    out["short_list"] = model.evaluate(X, y, verbose=0, return_dict=True)
    model.compile(optimizer="sgd", loss=[None, "mse"], metrics=[None, ["mse"]])
    out["none_loss"] = model.evaluate(X, y, verbose=0, return_dict=True)
    model.compile(optimizer="sgd", loss=["mse", "crossentropy"], metrics=[[], "accuracy"])
    out["crossentropy"] = model.evaluate(X, [Y_REG, Y_INT], verbose=0, return_dict=True)
    out["metrics_names"] = model.metrics_names

    # a subclassed model has no output names: losses are named by the loss, metrics plainly
    class TwoHeads(tf.keras.Model):
        def __init__(self):
            super().__init__(name="two_heads")
            self.a = tf.keras.layers.Dense(1, name="two_heads_a")
            self.b = tf.keras.layers.Dense(2, name="two_heads_b")

        def call(self, x):
            return [self.a(x), self.b(x)]

    heads = TwoHeads()
    heads(X[:1])  # Keras builds a subclassed model's layers symbolically: set them after
    heads.a.set_weights(_fixed_weights(3, 1, 3))
    heads.b.set_weights(_fixed_weights(3, 2, 4))
    heads.compile(
        optimizer=tf.keras.optimizers.SGD(0.05),
        loss=["mse", "mae"],
        metrics=[["mae"], ["mse"]],
    )
    history = heads.fit(X, [Y_REG, Y_TWO], batch_size=25, epochs=2, shuffle=False, verbose=0)
    out["subclass"] = _history(history)
    out["subclass_names"] = heads.metrics_names
    out["subclass_predict"] = heads.predict(X[:3], verbose=0)
    return out


def fit_sample_weight_metrics(tf):
    """Keras 3: `metrics` ignore sample weights, `weighted_metrics` use them (named
    `weighted_...` when the name is taken)."""
    model = _mlp(tf, "swm", 1)
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.02),
        loss="mse",
        metrics=["mae"],
        weighted_metrics=["mae", "mse"],
    )
    history = model.fit(
        X, Y_REG, sample_weight=SAMPLE_WEIGHT, batch_size=16, epochs=2, shuffle=False, verbose=0
    )
    return {
        "history": _history(history),
        "metrics_names": model.metrics_names,
        "evaluate": model.evaluate(X, Y_REG, sample_weight=SAMPLE_WEIGHT, verbose=0),
        "evaluate_dict": model.evaluate(X, Y_REG, verbose=0, return_dict=True),
    }


def multi_output_errors(tf):
    out = {}

    def compiled(**kwargs):
        model = _two_outputs(tf, "moe")
        model.compile(optimizer="sgd", **kwargs)
        return model

    def fit(model, y=(Y_REG, Y_TWO)):
        return model.fit(X, list(y) if isinstance(y, tuple) else y, epochs=1, verbose=0)

    out["loss_dict_unknown"] = _run(lambda: fit(compiled(loss={"moe_value": "mse", "nope": "mse"})))
    out["loss_dict_partial"] = _run(lambda: fit(compiled(loss={"moe_value": "mse"})))
    out["loss_list_long"] = _run(lambda: fit(compiled(loss=["mse", "mse", "mse"])))
    out["loss_weights_count"] = _run(lambda: fit(compiled(loss="mse", loss_weights=[1.0, 2.0])))
    out["loss_weights_type"] = _run(lambda: compiled(loss="mse", loss_weights=2))
    out["metrics_type"] = _run(lambda: compiled(loss="mse", metrics="mae"))
    # Keras's first line is its tree library's; the rest says what was expected
    out["metrics_one_for_two"] = _run(
        lambda: fit(compiled(loss="mse", metrics=["accuracy"]))
    ).split("\n")[1:]
    out["metrics_dict_unknown"] = _run(
        lambda: fit(compiled(loss="mse", metrics={"nope": "mae"}))
    ).split("\n")[1:]
    dict_model = _two_outputs(tf, "moe_dict", outputs="dict")
    dict_model.compile(optimizer="sgd", loss={"moe_dict_value": "mse"})
    out["dict_outputs_by_layer_name"] = _run(
        lambda: dict_model.fit(X, {"value": Y_REG, "label": Y_INT}, verbose=0)
    )
    model = compiled(loss=["mse", "mse"])
    stop = tf.keras.callbacks.EarlyStopping(monitor="moe_value_loss")
    out["early_stopping_auto"] = _run(
        lambda: model.fit(X, [Y_REG, Y_TWO], shuffle=False, verbose=0, callbacks=[stop])
    )
    stop = tf.keras.callbacks.EarlyStopping(monitor="moe_value_loss", mode="min", patience=0)
    history = model.fit(X, [Y_REG, Y_TWO], epochs=3, shuffle=False, verbose=0, callbacks=[stop])
    out["early_stopping_min"] = history.history["moe_value_loss"]
    return out


def fit_custom_train_step(tf):
    """The train_step of Keras 3's guide "Customizing what happens in fit()": it updates
    `self.metrics` itself and returns their results, the compiled metrics as one dict."""

    class CustomModel(tf.keras.Model):
        def __init__(self):
            super().__init__(name="custom_step")
            self.hidden = tf.keras.layers.Dense(4, activation="relu", name="custom_step_h")
            self.out = tf.keras.layers.Dense(1, name="custom_step_o")

        def call(self, x):
            return self.out(self.hidden(x))

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = CustomModel()
    model(X[:1])
    model.hidden.set_weights([W1, B1])
    model.out.set_weights(_fixed_weights(4, 1, 5))
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    with captured() as out:
        history = model.fit(
            X, Y_REG, batch_size=16, epochs=2, shuffle=False, verbose=2, validation_split=0.2
        )
    return {
        "history": _history(history),
        "text": masked(out.getvalue()),
        "metrics_names": model.metrics_names,
        "evaluate": model.evaluate(X, Y_REG, verbose=0, return_dict=True),
    }


CASES = {
    f.__name__: f
    for f in [
        fit_sparse_verbose1,
        fit_regression_verbose2_split,
        fit_binary_and_categorical,
        fit_on_batches,
        metrics,
        summaries,
        callbacks,
        early_stopping,
        fit_regularized,
        fit_multi_output_list,
        fit_multi_output_dict,
        fit_multi_output_by_name,
        fit_sample_weight_metrics,
        multi_output_errors,
        fit_custom_train_step,
    ]
}
