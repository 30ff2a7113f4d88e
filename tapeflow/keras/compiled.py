"""What `compile` makes of `loss`, `loss_weights`, `metrics` and `weighted_metrics` (Keras 3's
CompileLoss and CompileMetrics), for a model with one output or several: a list, tuple or
dict of them.

Keras 3's rules, which these follow:

- `loss` is one loss (used for every output), a list (one per output; a shorter list covers
  the first outputs), or a dict keyed by the output layers' names (`model.output_names`) or,
  when the model returns a dict, by its keys. `None` leaves an output without a loss.
- `loss_weights` has the structure of `loss` (or as many entries); a single loss takes one
  weight, applied to each output.
- With several losses, each output's (unweighted) loss is also logged as `<name>_loss`, where
  the name is the output layer's name, the dict key, or (no names) the loss's name. The
  logged `loss` is the weighted sum, plus the losses the model's layers add (`model.losses`).
- `metrics` for a model with one output is a list; with several it is a list with one entry
  (a metric or a list of them) per output or a dict keyed by output name: `["accuracy"]` for
  two outputs is an error. Metrics of a named output are logged as `<name>_<metric>`.
  `metrics` ignore `sample_weight`; `weighted_metrics` use it (and are logged as
  `weighted_<metric>` where the name is taken).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapeflow.keras import losses as losses_module
from tapeflow.keras import metrics as metrics_module
from tapeflow.keras.variables import to_snake_case
from tapeflow.ops import math as _math
from tapeflow.tensor import Tensor

__all__ = ["CompileLoss", "CompileMetrics", "flatten", "pack_sequence_as"]


# -- structures ------------------------------------------------------------------------------


def is_nested(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict))


def flatten(value: Any) -> list[Any]:
    """The leaves of lists, tuples and dicts (a dict's in the order of its sorted keys, as
    Keras flattens them)."""
    if isinstance(value, dict):
        return [x for key in sorted(value) for x in flatten(value[key])]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flatten(v)]
    return [value]


def pack_sequence_as(structure: Any, flat: Any) -> Any:
    """`flat` (leaves in `flatten`'s order) put back into `structure`; a dict keeps its own
    order of keys, as Keras's (optree's) do."""
    leaves = iter(flat)

    def pack(s: Any) -> Any:
        if isinstance(s, dict):
            values = {key: pack(s[key]) for key in sorted(s)}
            return {key: values[key] for key in s}
        if isinstance(s, (list, tuple)):
            return type(s)(pack(v) for v in s)
        return next(leaves)

    return pack(structure)


def _skeleton(value: Any) -> Any:
    """`value` with each leaf shown as "X" (what Keras prints of an output structure)."""
    return pack_sequence_as(value, ["X"] * len(flatten(value)))


def _object_name(obj: Any) -> str:
    """Keras's get_object_name."""
    if getattr(obj, "name", None) is not None:
        return str(obj.name)
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    return to_snake_case(type(obj).__name__)


def _shape(x: Any) -> list[Any]:
    shape = x.shape if hasattr(x, "shape") else np.shape(x)
    return shape.as_list() if hasattr(shape, "as_list") else list(shape)


def _categorical_kind(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    """Keras's is_binary_or_sparse_categorical, from the shapes."""
    t_shape, p_shape = _shape(y_true), _shape(y_pred)
    is_binary = p_shape[-1] == 1
    is_sparse = len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1)
    return is_binary, is_sparse


# -- losses ----------------------------------------------------------------------------------


def get_loss(identifier: Any, y_true: Any, y_pred: Any) -> losses_module.Loss:
    """Keras's get_loss: a Loss for a name or function ("crossentropy" picks binary, sparse or
    categorical cross-entropy from the shapes)."""
    if str(identifier).lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _categorical_kind(y_true, y_pred)
        fn: Any = (
            losses_module.binary_crossentropy
            if is_binary
            else losses_module.sparse_categorical_crossentropy
            if is_sparse
            else losses_module.categorical_crossentropy
        )
    else:
        fn = losses_module.get(identifier)
    if isinstance(fn, losses_module.Loss):
        return fn
    name = identifier if isinstance(identifier, str) else _object_name(fn)
    return losses_module.LossFunctionWrapper(fn, name=name)


def _path_error(path: tuple[Any, ...]) -> KeyError:
    return KeyError(
        f"The path: {path} in the `loss` argument, can't be found in either the model's "
        "output (`y_pred`) or in the labels (`y_true`)."
    )


def _count(value: Any) -> int:
    return len(flatten(value))


class CompileLoss:
    """The compiled loss: the weighted sum over outputs, and a `Mean` per output when there
    are several (`metrics`). Built on its first call, from the first batch's structure."""

    def __init__(self, loss: Any, loss_weights: Any = None, output_names: Any = None) -> None:
        if loss_weights and not isinstance(loss_weights, (list, tuple, dict, float)):
            raise ValueError(
                "Expected `loss_weights` argument to be a float (single output case) or a "
                "list, tuple, or dict (multiple output case). Received instead: "
                f"loss_weights={loss_weights} of type {type(loss_weights)}"
            )
        self._user_loss, self._user_loss_weights = loss, loss_weights
        self.output_names = output_names
        self.name = "compile_loss"
        self.metrics: list[metrics_module.Metric] = []
        # (key of the output in y_pred, the Loss, its weight or None, its name)
        self._flat: list[tuple[Any, losses_module.Loss, Any, str]] = []
        self.built = False

    # building

    def build(self, y_true: Any, y_pred: Any) -> None:
        loss, weights = self._user_loss, self._user_loss_weights
        names = self.output_names
        nested = is_nested(y_pred)
        if isinstance(loss, dict) and not isinstance(y_pred, dict):
            # a dict by output name becomes a list in the model's order of outputs
            if not names:
                raise ValueError(
                    "A `loss` dict names outputs, but this model's outputs have no names (a "
                    "functional model's are its output layers' names): give a list of losses. "
                    f"Received: loss={loss}"
                )
            if set(names) != set(loss):
                raise ValueError(
                    f"Expected keys {list(names)} in loss dict, but found "
                    f"loss.keys()={list(loss.keys())}"
                )
            loss = [loss[name] for name in names]
            if isinstance(weights, dict):
                weights = [weights[name] for name in names]
        weights = self._weights_like(loss, weights)
        if not nested:
            keys: list[Any] = [None]
            if is_nested(loss):
                if len(loss) != 1 or is_nested(flatten(loss)[0]):
                    raise ValueError(
                        "A model with one output takes one loss (or a list or dict of one). "
                        f"Received: loss={self._user_loss}"
                    )
                loss, weights = flatten(loss)[0], flatten(weights)[0]
            per_output = {None: (loss, weights)}
        else:
            keys = list(y_pred) if isinstance(y_pred, dict) else list(range(len(y_pred)))
            if any(is_nested(v) for v in (y_pred.values() if isinstance(y_pred, dict) else y_pred)):
                raise NotImplementedError(
                    "tapeflow's Keras takes model outputs that are one tensor, or a list, tuple "
                    "or dict of tensors (not nested deeper)"
                )
            per_output = self._per_output(loss, weights, y_pred, y_true, keys)
        for key, (identifier, weight) in per_output.items():  # Keras's order of the losses
            if identifier is None:
                continue
            if is_nested(identifier):
                raise NotImplementedError(
                    "tapeflow's Keras takes one loss per output (not a list of them). "
                    f"Received: loss={self._user_loss}"
                )
            y_t = y_true if key is None else _item(y_true, key)
            y_p = y_pred if key is None else y_pred[key]
            resolved = get_loss(identifier, y_t, y_p)
            if isinstance(key, str):
                name = key
            elif names:
                name = names[0 if key is None else key]
            else:
                name = str(resolved.name)
            self._flat.append((key, resolved, weight, name))
        if len(self._flat) > 1:
            self.metrics = [metrics_module.Mean(name=f"{name}_loss") for *_, name in self._flat]
        self.built = True

    def _weights_like(self, loss: Any, weights: Any) -> Any:
        """`weights` in the structure of `loss` (Keras: the same structure, or as many)."""
        if weights is None:
            return pack_sequence_as(loss, [None] * _count(loss))
        if isinstance(loss, dict) and isinstance(weights, dict) and set(loss) == set(weights):
            return weights
        if isinstance(loss, (list, tuple)) and isinstance(weights, (list, tuple)):
            if len(loss) == len(weights):
                return weights
        if not is_nested(loss) and not is_nested(weights):
            return weights
        if (
            isinstance(loss, (list, tuple))
            and isinstance(weights, dict)
            and self.output_names
            and set(weights) == set(self.output_names[: len(loss)])
        ):
            # weights by output name: each output's own (Keras uses the keys' sorted order)
            return [weights[name] for name in self.output_names[: len(loss)]]
        flat = flatten(weights)
        if _count(loss) != len(flat):
            raise ValueError(
                "`loss_weights` must match the number of losses, got "
                f"{_count(loss)} losses and {len(flat)} weights."
            )
        return pack_sequence_as(loss, flat)

    def _per_output(
        self, loss: Any, weights: Any, y_pred: Any, y_true: Any, keys: list[Any]
    ) -> dict[Any, tuple[Any, Any]]:
        """Each output's (loss, weight), by its key in y_pred."""
        if not is_nested(loss):
            return {key: (loss, weights) for key in keys}
        if isinstance(y_pred, dict):
            if isinstance(loss, dict):
                for key in loss:
                    if loss[key] is not None and (
                        key not in y_pred or not isinstance(y_true, dict) or key not in y_true
                    ):
                        raise _path_error((key,))
                return {key: (loss[key], weights[key]) for key in loss}
            if len(loss) == len(keys):  # a list in the order of the sorted keys
                losses = pack_sequence_as(y_pred, list(loss))
                weights = pack_sequence_as(y_pred, list(weights))
                return {key: (losses[key], weights[key]) for key in keys}
            raise ValueError(
                f"The model's outputs are a dict with keys {sorted(keys)}: `loss` should be one "
                f"loss, a dict by those keys, or a list of {len(keys)}. Received: loss={loss}"
            )
        if isinstance(loss, dict):
            raise _path_error((next(iter(loss)),))
        if len(loss) > len(keys):
            raise _path_error((len(keys),))
        return {i: (loss[i], weights[i]) for i in range(len(loss))}

    # calling

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        if not is_nested(y_pred):
            y_true = _single(y_true, "y")
            if is_nested(sample_weight):
                sample_weight = _single(sample_weight, "sample_weight")
        else:
            y_true = self._align(y_true, y_pred, "y")
            if is_nested(sample_weight):
                sample_weight = self._align(sample_weight, y_pred, "sample_weight")
        if not self.built:
            self.build(y_true, y_pred)
        values = []
        for i, (key, loss_fn, weight, _) in enumerate(self._flat):
            y_t = y_true if key is None else y_true[key]
            y_p = y_pred if key is None else y_pred[key]
            weights = sample_weight[key] if is_nested(sample_weight) else sample_weight
            value = _math.cast(loss_fn(y_t, y_p, weights), "float32")
            if self.metrics:
                # each output's loss before its weight. Keras counts it per sample
                # (sample_weight = the static batch size), but in its traced step on
                # TensorFlow the batch size is unknown (None): each batch counts once.
                self.metrics[i].update_state(value)
            if weight is not None:
                value = _math.multiply(value, weight)
            values.append(value)
        if not values:
            return None
        return sum(values[1:], values[0])

    def _align(self, y: Any, y_pred: Any, label: str) -> Any:
        """`y` in the structure of `y_pred`: the same keys, or a list in the outputs' order
        (a dict y_pred: its sorted keys' order), or a dict by output name."""
        n = len(y_pred)
        if n == 1 and y is not None and not is_nested(y):
            y = [y]
        if isinstance(y_pred, dict):
            if isinstance(y, dict) and set(y) == set(y_pred):
                return y
            if isinstance(y, (list, tuple)) and len(y) == n:
                return pack_sequence_as(y_pred, list(y))
        else:
            if isinstance(y, (list, tuple)) and len(y) == n:
                return list(y)
            names = self.output_names
            if isinstance(y, dict) and names and set(y) == set(names):
                return [y[name] for name in names]
        outputs = (
            f"outputs named {list(self.output_names)}"
            if self.output_names and not isinstance(y_pred, dict)
            else f"outputs {_skeleton(y_pred)}"
        )
        given = _skeleton(y) if is_nested(y) else "None" if y is None else "one array"
        raise ValueError(
            f"`{label}` should have one array per output of the model, as a list in the order "
            f"of its outputs or a dict by output name: the model has {n} {outputs}, and "
            f"`{label}` is {given}."
        )


def _item(y: Any, key: Any) -> Any:
    try:
        return y[key]
    except (KeyError, IndexError, TypeError):
        raise _path_error((key,)) from None


def _single(y: Any, label: str) -> Any:
    """The one array of `y` for a model with one output (Keras accepts `[y]` and `{k: y}`)."""
    if not is_nested(y):
        return y
    if len(y) == 1:
        return next(iter(y.values())) if isinstance(y, dict) else y[0]
    raise ValueError(
        f"The model has one output, but `{label}` holds {len(y)} arrays: {_skeleton(y)}"
    )


# -- metrics ---------------------------------------------------------------------------------


def get_metric(identifier: Any, y_true: Any, y_pred: Any) -> metrics_module.Metric:
    """Keras's get_metric: "accuracy" becomes binary, sparse or categorical accuracy by the
    shapes of the labels and predictions."""
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = _categorical_kind(y_true, y_pred)
        cls: Any = (
            metrics_module.BinaryAccuracy
            if is_binary
            else metrics_module.SparseCategoricalAccuracy
            if is_sparse
            else metrics_module.CategoricalAccuracy
        )
        metric: Any = cls(name=str(identifier))
    else:
        metric = metrics_module.get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric)
    metric.name = name
    return metric


class _MetricsList:
    """The metrics of one output (`output_name` prefixes their logged names)."""

    def __init__(self, metrics: list[metrics_module.Metric], output_name: str | None) -> None:
        self.metrics, self.output_name = metrics, output_name


def _metrics_list(metrics: Any, y_true: Any, y_pred: Any, name: str | None) -> Any:
    if metrics is None:
        return None
    given = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    return _MetricsList([get_metric(m, y_true, y_pred) for m in given], name)


class CompileMetrics:
    """The compiled metrics and weighted metrics, per output; its `result()` is a dict of
    their logged names and values (`model.metrics_names` lists it as "compile_metrics")."""

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Any = None) -> None:
        for label, value in [("metrics", metrics), ("weighted_metrics", weighted_metrics)]:
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"Expected `{label}` argument to be a list, tuple, or dict. Received "
                    f"instead: {label}={value} of type {type(value)}"
                )
        self._user_metrics, self._user_weighted_metrics = metrics, weighted_metrics
        self.output_names = output_names
        self.name = "compile_metrics"
        self._flat_metrics: list[Any] = []
        self._flat_weighted_metrics: list[Any] = []
        self._resolved_output_names: list[Any] | None = None
        self.built = False

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        return [
            m
            for group in self._flat_metrics + self._flat_weighted_metrics
            if group is not None
            for m in group.metrics
        ]

    def build(self, y_true: Any, y_pred: Any) -> None:
        n = len(flatten(y_pred))
        is_flat = is_nested(y_pred) and len(y_pred) == n
        names = self.output_names
        if is_flat and isinstance(y_pred, dict):
            # a dict's keys name its outputs, unless they are the output layers' names
            if not (names and set(y_pred) == set(names)):
                names = sorted(y_pred)
        # a dict y (true or predicted) is read in this order of keys
        self._resolved_output_names = list(names) if n > 1 and is_flat and names else None
        self._flat_metrics = self._build_set(
            self._user_metrics, n, names, y_true, y_pred, is_flat, "metrics"
        )
        self._flat_weighted_metrics = self._build_set(
            self._user_weighted_metrics, n, names, y_true, y_pred, is_flat, "weighted_metrics"
        )
        self.built = True

    def _build_set(
        self,
        metrics: Any,
        n: int,
        names: Any,
        y_true: Any,
        y_pred: Any,
        is_flat: bool,
        label: str,
    ) -> list[Any]:
        if not metrics:
            return [None] * n
        if n == 1:  # every metric is the one output's, named without a prefix
            return [_metrics_list(flatten(metrics), flatten(y_true)[0], flatten(y_pred)[0], None)]
        per_output = None
        if is_flat:
            if isinstance(metrics, (list, tuple)) and len(metrics) == n:
                per_output = list(metrics)
            elif (
                names
                and isinstance(metrics, dict)
                and len(metrics) <= n
                and set(metrics) <= set(names)
            ):
                per_output = [metrics.get(name) for name in names]
        if per_output is None:
            expected = (
                "either be a dict or a list matching the output names of the functional "
                f"model {self.output_names} or match"
                if self.output_names
                else "match"
            )
            raise ValueError(
                f"The model has {n} outputs: `{label}` needs one entry per output (a metric, a "
                "list of them or None) or a dict by output name.\n"
                f"Invalid `{label}`. `{label}` should contain metrics objects and {expected} "
                f"the output structure of the model: {_skeleton(y_pred)}.\n"
                f"Received: {label}={metrics}"
            )
        return [
            _metrics_list(m, yt, yp, name)
            for m, yt, yp, name in zip(
                per_output,
                self._flatten_y(y_true),
                self._flatten_y(y_pred),
                names if names else [None] * n,
            )
        ]

    def _flatten_y(self, y: Any) -> list[Any]:
        if isinstance(y, dict) and self._resolved_output_names is not None:
            return [y[name] for name in self._resolved_output_names]
        return flatten(y)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        y_true, y_pred = self._flatten_y(y_true), self._flatten_y(y_pred)
        for group, y_t, y_p in zip(self._flat_metrics, y_true, y_pred):
            if group is not None:
                for m in group.metrics:
                    m.update_state(y_t, y_p)  # Keras 3: `metrics` are not weighted
        weights = [None] * len(y_true)
        if sample_weight is not None:
            weights = self._flatten_y(sample_weight)
            if len(weights) < len(y_true):  # one weight array for every output
                weights = [weights[0]] * len(y_true)
        for group, y_t, y_p, w in zip(self._flat_weighted_metrics, y_true, y_pred, weights):
            if group is not None:
                for m in group.metrics:
                    m.update_state(y_t, y_p, w)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def result(self) -> dict[str, Tensor]:
        """The values by logged name: `<output>_<metric>`, a repeated name numbered (`_1`,
        ...), a weighted metric named like an unweighted one as `weighted_<metric>`."""
        results: dict[str, Tensor] = {}
        counters: dict[str, int] = {}
        for weighted, groups in [(False, self._flat_metrics), (True, self._flat_weighted_metrics)]:
            for group in groups:
                if group is None:
                    continue
                prefix = f"{group.output_name}_" if group.output_name else ""
                for m in group.metrics:
                    name = prefix + m.name
                    if name not in counters:
                        counters[name] = 1
                    else:
                        if weighted:
                            name = f"{prefix}weighted_{m.name}"
                        if name not in counters:
                            counters[name] = 1
                        else:
                            counters[name] += 1
                            name = f"{name}_{counters[name] - 1}"
                    results[name] = m.result()
        return results
