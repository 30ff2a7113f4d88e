"""Model.compile, fit, evaluate and predict, as Keras 3 runs them (its `Trainer`).

A training step is Keras 3's `train_step`: the model called with `training=True`, the
compiled loss (per output for several, see compiled.py) plus the model's `losses`
(regularizers, `add_loss`), its gradient by a GradientTape, `optimizer.apply_gradients`,
then the metrics updated with that step's predictions. The logged "loss" is the mean of the
batch losses weighted by batch size; the logs, like Keras's, are sorted by name.

Data is NumPy arrays or tensors (`x`, `y`, cut into batches of `batch_size`, the last one
partial, shuffled each epoch with tapeflow's global random stream) or any iterable of
`(x, y)` or `(x, y, sample_weight)` batches, such as a `tf.data.Dataset`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from tapeflow import function as function_module
from tapeflow.keras import callbacks as callbacks_module
from tapeflow.keras import compiled as compile_module
from tapeflow.keras import metrics as metrics_module
from tapeflow.keras import optimizers as optimizers_module
from tapeflow.op import variable_types
from tapeflow.ops.array import stack
from tapeflow.ops.math import cast
from tapeflow.ops.random import generator
from tapeflow.ops.reduce import reduce_sum
from tapeflow.tape import GradientTape
from tapeflow.tensor import Tensor, constant

__all__ = ["Trainer"]


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, Tensor)) or type(x) in variable_types


def _is_input_structure(x: Any) -> bool:
    """A list, tuple or dict of arrays: one array per input of a multi-input model."""
    if isinstance(x, dict):
        return bool(x) and all(_is_array(v) for v in x.values())
    return isinstance(x, (list, tuple)) and bool(x) and all(_is_array(v) for v in x)


def _map_inputs(fn: Any, x: Any) -> Any:
    """`fn` applied to x, or to each array of an input structure, keeping the structure."""
    if isinstance(x, dict):
        return {k: fn(v) for k, v in x.items()}
    if _is_input_structure(x):
        return type(x)(fn(v) for v in x)
    return fn(x)


def _first(x: Any) -> Any:
    """The first array of x (x itself when it is one array)."""
    if isinstance(x, dict):
        return next(iter(x.values()))
    return x[0] if _is_input_structure(x) else x


def _as_array(x: Any) -> np.ndarray:
    arr = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    # Keras's array adapter: floating data is fed as float32 (its floatx)
    return arr.astype(np.float32) if arr.dtype.kind == "f" else arr


def _unpack(data: Any) -> tuple[Any, Any, Any]:
    """Keras's unpack_x_y_sample_weight: a batch is x, (x,), (x, y) or (x, y, weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


class _Data:
    """One pass over the data per call: batches of arrays, or the elements of an iterable."""

    def __init__(
        self, x: Any, y: Any, sample_weight: Any, batch_size: int | None, shuffle: bool
    ) -> None:
        self.arrays: list[np.ndarray | None] | None = None
        self.iterable: Any = None
        if isinstance(x, (list, tuple)) and y is not None and not _is_input_structure(x):
            # Keras 3 takes a list only as one array per input, not as nested numbers
            raise ValueError(f"Unrecognized data type: x={x} (of type {type(x)})")
        if _is_array(x) or _is_input_structure(x):
            self.arrays = [
                None if a is None else _map_inputs(_as_array, a) for a in (x, y, sample_weight)
            ]
            self.batch_size = batch_size or 32
            self.size = len(_first(self.arrays[0]))
            self.num_batches: int | None = math.ceil(self.size / self.batch_size)
        else:
            if y is not None:
                raise ValueError(
                    "When providing `x` as a dataset or another iterable of batches, `y` "
                    f"should not be passed: the batches hold the targets. Received: y={y}"
                )
            self.iterable = x
            try:
                self.num_batches = len(x)
            except TypeError:
                self.num_batches = None
        self.shuffle = shuffle

    def __iter__(self) -> Iterator[Any]:
        """The batches as a step receives them: an iterable's elements as they are, arrays'
        as `(x,)`, `(x, y)` or `(x, y, sample_weight)` (a custom train_step may unpack
        `x, y = data`, as in Keras)."""
        if self.iterable is not None:
            yield from self.iterable
            return
        assert self.arrays is not None
        order = generator(None).permutation(self.size) if self.shuffle else np.arange(self.size)
        given = list(self.arrays)
        while given[-1] is None:  # x always stays
            given.pop()
        for start in range(0, self.size, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield tuple(
                None if a is None else _map_inputs(lambda v: constant(v[idx]), a)  # noqa: B023
                for a in given
            )


def _split(x: Any, y: Any, sample_weight: Any, validation_split: float) -> Any:
    """The last `validation_split` of the samples (before any shuffling) for validation."""
    if not (_is_array(x) or _is_input_structure(x)):
        raise ValueError(
            "`validation_split` is only supported for Tensors or NumPy arrays, "
            f"found following types in the input: {[type(x)]}"
        )
    arrays = [None if a is None else _map_inputs(_as_array, a) for a in (x, y, sample_weight)]
    n = len(_first(arrays[0]))
    split_at = math.floor(n * (1.0 - validation_split))
    if split_at in (0, n):
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`"
            ". Either provide more data, or a different value for the `validation_split` "
            "argument."
        )
    train = tuple(None if a is None else _map_inputs(lambda v: v[:split_at], a) for a in arrays)
    val = tuple(None if a is None else _map_inputs(lambda v: v[split_at:], a) for a in arrays)
    return train, val


class Trainer:
    """The training half of `tf.keras.Model` (mixed into it)."""

    compiled = False
    optimizer: Any = None
    loss: Any = None
    stop_training = False
    _compile_loss: compile_module.CompileLoss | None = None
    _compile_metrics: compile_module.CompileMetrics | None = None

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Sets the optimizer, the losses and metrics `fit` and `evaluate` use: for a model
        with several outputs, per output (see tapeflow/keras/compiled.py). As in Keras, the
        steps of fit, evaluate and predict run as tf.functions unless `run_eagerly`;
        `steps_per_execution`, `jit_compile` and `auto_scale_loss` change nothing."""
        # the arguments as given, for get_compile_config (a saved model is compiled again)
        self._compile_arguments = {k: v for k, v in locals().items() if k != "self"}
        self.optimizer = optimizers_module.get(optimizer)
        output_names = getattr(self, "output_names", None)  # a functional model's
        # as in Keras 3, compiling again without a loss or metrics keeps the earlier ones
        if loss is not None:
            self.loss = loss
            self._compile_loss = compile_module.CompileLoss(loss, loss_weights, output_names)
        if metrics is not None or weighted_metrics is not None:
            self._compile_metrics = compile_module.CompileMetrics(
                metrics, weighted_metrics, output_names
            )
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.stop_training = False
        self.run_eagerly = run_eagerly
        self.train_function = self.test_function = self.predict_function = None
        self.compiled = True

    def _step_function(self, kind: str) -> Any:
        """Keras's train_function (test_, predict_): the step as a tf.function, made once
        after compile; the step itself when `run_eagerly` (or tf.config says so)."""
        step = getattr(self, f"{kind}_step")
        if getattr(self, "run_eagerly", False):
            return step
        fn = getattr(self, f"{kind}_function", None)
        if fn is None:
            fn = function_module.function(step, reduce_retracing=True)
            setattr(self, f"{kind}_function", fn)
        return fn

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model in `{method}()`."
                if method != "fit"
                else "You must call `compile()` before calling `fit()`."
            )

    @property
    def metrics(self) -> list[Any]:
        """Keras 3's order: the loss, the compiled metrics (one object, "compile_metrics"),
        then each output's loss when there are several."""
        if not self.compiled:
            return []
        found: list[Any] = [self._loss_tracker]
        if self._compile_metrics is not None:
            found.append(self._compile_metrics)
        if self._compile_loss is not None:
            found += self._compile_loss.metrics
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The compiled loss plus the losses of `self.losses` (regularizers, `add_loss`),
        each summed to a scalar, as Keras 3 adds them."""
        losses = []
        if self._compile_loss is not None:
            loss = self._compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                losses.append(loss)
        for added in self.losses:  # type: ignore[attr-defined]
            losses.append(reduce_sum(added if added.dtype.is_floating else cast(added, "float32")))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return losses[0] if len(losses) == 1 else reduce_sum(stack(losses))

    def _compute_loss(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Any:
        # as Keras 3: an override of compute_loss written before it took `training` still works
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, float]:
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        """Each metric's result, a tensor (fit makes them Python numbers for the logs)."""
        results: dict[str, Any] = {}
        for m in self.metrics:
            if isinstance(m, compile_module.CompileMetrics):
                if m.built:
                    results.update(m.result())
            else:
                results[m.name] = m.result()
        return results

    def _flatten_metrics_in_order(self, logs: dict[str, float]) -> Any:
        """Keras's list of logged values: in the order of `self.metrics` (a compiled metric by
        its own name, so only a one-output model's are found), then the rest by name."""
        names: list[str] = []
        for m in self.metrics:
            if isinstance(m, compile_module.CompileMetrics):
                names += [sub.name for sub in m.metrics]
            else:
                names.append(m.name)
        results = [logs[name] for name in names if name in logs]
        results += [logs[key] for key in sorted(logs) if key not in names]
        return results[0] if len(results) == 1 else results

    def _symbolic_build(self, x: Any) -> None:
        # Keras builds the model from the data's spec: the batch size stays open (None)
        if not self.built and isinstance(x, Tensor):  # type: ignore[attr-defined]
            self.build((None, *x.shape.as_list()[1:]))  # type: ignore[attr-defined]

    def train_step(self, data: Any) -> dict[str, float]:
        x, y, sample_weight = _unpack(data)
        self._symbolic_build(x)
        with GradientTape() as tape:
            y_pred = self(x, training=True)  # type: ignore[operator]
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=int(_first(x).shape[0]))
        variables = self.trainable_weights  # type: ignore[attr-defined]
        if variables:
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, float]:
        x, y, sample_weight = _unpack(data)
        self._symbolic_build(x)
        y_pred = self(x, training=False)  # type: ignore[operator]
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=int(_first(x).shape[0]))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = _unpack(data)
        self._symbolic_build(x)
        return self(x, training=False)  # type: ignore[operator]

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        sample_weight: Any = None,
        initial_epoch: int = 0,
    ) -> callbacks_module.History:
        """Trains for `epochs` epochs; returns the History of the logs of each epoch.

        >>> import numpy as np
        >>> import tapeflow as tf
        >>> model = tf.keras.Sequential(
        ...     [tf.keras.Input(shape=(1,)), tf.keras.layers.Dense(1, kernel_initializer="ones")]
        ... )
        >>> model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
        >>> x = np.array([[1.0], [2.0]])
        >>> history = model.fit(x, 2 * x, epochs=2, shuffle=False, verbose=0)
        >>> [round(v, 4) for v in history.history["loss"]]
        [2.5, 0.265]
        """
        self._assert_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = _split(x, y, sample_weight, validation_split)
        data = _Data(x, y, sample_weight, batch_size, shuffle)
        cbs = callbacks_module.CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=data.num_batches,
        )
        self.stop_training = False
        train_step = self._step_function("train")
        cbs.on_train_begin()
        training_logs: dict[str, float] | None = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            logs: dict[str, float] = {}
            step = 0
            for step, batch in enumerate(data):
                cbs.on_train_batch_begin(step)
                logs = train_step(batch)
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            # as given: the callbacks see them through pythonify_logs (Keras's order: a
            # custom step's dict of compiled metrics sorts as "compile_metrics")
            epoch_logs = dict(logs)
            if validation_data is not None:
                val_logs = self._evaluate(
                    _unpack(validation_data)
                    if _is_array_data(validation_data)
                    else (validation_data, None, None),
                    batch_size,
                    cbs,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(training_logs)
        return self.history  # type: ignore[attr-defined]

    def _evaluate(
        self, xyw: tuple[Any, Any, Any], batch_size: int | None, cbs: Any
    ) -> dict[str, float]:
        data = _Data(*xyw, batch_size, shuffle=False)
        cbs.on_test_begin()
        self.reset_metrics()
        logs: dict[str, float] = {}
        test_step = self._step_function("test")
        for step, batch in enumerate(data):
            cbs.on_test_batch_begin(step)
            logs = test_step(batch)
            cbs.on_test_batch_end(step, logs)
        logs = callbacks_module.pythonify_logs(logs)
        cbs.on_test_end(logs)
        return logs

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        callbacks: list[Any] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """The loss and metrics over the data: a number when there is only the loss, else a
        list (loss first, then the metrics in the order given to `compile`) or a dict."""
        self._assert_compiled("evaluate")
        data = _Data(x, y, sample_weight, batch_size, shuffle=False)
        cbs = callbacks_module.CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=data.num_batches,
        )
        logs = self._evaluate((x, y, sample_weight), batch_size, cbs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        callbacks: list[Any] | None = None,
    ) -> Any:
        """The model's outputs for `x` in batches, joined into one NumPy array (for several
        outputs, a list or dict of them, as the model returns them)."""
        data = _Data(x, None, None, batch_size, shuffle=False)
        cbs = callbacks_module.CallbackList(
            callbacks,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=data.num_batches,
        )
        cbs.on_predict_begin()
        outputs: list[list[np.ndarray]] = []
        output: Any = None
        predict_step = self._step_function("predict")
        for step, batch in enumerate(data):
            cbs.on_predict_batch_begin(step)
            x = _unpack(batch)[0]
            output = predict_step((x,))  # a 1-tuple: x may itself be a list
            outputs.append([np.asarray(t.numpy()) for t in compile_module.flatten(output)])
            cbs.on_predict_batch_end(step, {"outputs": output})
        cbs.on_predict_end()
        joined = [np.concatenate(parts) for parts in zip(*outputs)]
        return compile_module.pack_sequence_as(output, joined)

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """One training step on one batch: the loss and metrics of that batch (the metrics
        are reset first), as a number, a list (as `evaluate`'s) or a dict."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            raise NotImplementedError("tapeflow's Keras does not take `class_weight` yet")
        self.reset_metrics()
        logs = callbacks_module.pythonify_logs(self.train_step(_one_batch(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """The loss and metrics of one batch, without training (the metrics reset first)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        logs = callbacks_module.pythonify_logs(self.test_step(_one_batch(x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch, as NumPy arrays (in the outputs' structure)."""
        output = self.predict_step((_one_batch(x, None, None)[0],))
        return compile_module.pack_sequence_as(
            output, [np.asarray(t.numpy()) for t in compile_module.flatten(output)]
        )


def _one_batch(x: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
    """x, y and sample_weight as tensors (each may be an array or a list or dict of them)."""
    return tuple(  # type: ignore[return-value]
        None if a is None else _map_inputs(lambda v: constant(_as_array(v)), a)
        for a in (x, y, sample_weight)
    )


def _is_array_data(data: Any) -> bool:
    return (
        isinstance(data, (tuple, list))
        and len(data) in (2, 3)
        # a tuple (x, y) may hold an input structure; a list of tuples is a list of batches
        and (_is_array(data[0]) or (isinstance(data, tuple) and _is_input_structure(data[0])))
    )
