"""tf.keras.Model (subclassing), tf.keras.Sequential and tf.keras.Input; training
(`compile`, `fit`, `evaluate`, `predict`) is in trainer.py."""

from __future__ import annotations

import inspect
import json
import shutil
from typing import Any

from tapeflow.keras import layers as _layers_module
from tapeflow.keras import saving
from tapeflow.keras.compiled import flatten, pack_sequence_as
from tapeflow.keras.layers import (
    _OPEN_SIZES,
    InputLayer,
    KerasTensor,
    Layer,
    Node,
    _map,
    _open_dims,
    _stand_in,
    _stand_in_values,
    get_keras_mask,
    set_keras_mask,
)
from tapeflow.keras.serialization import (
    deserialize_keras_object,
    serialize_dtype,
    serialize_keras_object,
)
from tapeflow.keras.trainer import Trainer
from tapeflow.keras.variables import name_scope
from tapeflow.ops.math import cast
from tapeflow.tensor import constant, convert_to_tensor

__all__ = [
    "Model",
    "Sequential",
    "Functional",
    "Input",
    "KerasTensor",
    "load_model",
    "save_model",
    "clone_model",
    "model_from_json",
]


def Input(
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    name: str | None = None,
    batch_shape: Any = None,
) -> KerasTensor:
    """The input of a model: `shape` excludes the batch dimension (`batch_shape` has it)."""
    return InputLayer(shape, batch_size, dtype, name, batch_shape=batch_shape).output


class Model(Trainer, Layer):
    """Subclass it: make layers in `__init__`, use them in `call`; its weights are theirs.

    >>> import tapeflow as tf
    >>> class TwoLayers(tf.keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tf.keras.layers.Dense(4, activation="relu")
    ...         self.out = tf.keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> model = TwoLayers()
    >>> model(tf.ones([2, 3])).shape
    TensorShape([2, 1])
    >>> [v.shape.as_list() for v in model.trainable_variables]
    [[3, 4], [4], [4, 1], [1]]
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # as Keras: `Model(inputs, outputs)` makes a functional model, `Model()` a subclass's
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def save_weights(self, filepath: str) -> None:
        """Saves the weights to `filepath`, which must end in `.weights.h5` (Keras 3's rule;
        the file is tapeflow's own format, see tapeflow/keras/saving.py)."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: str) -> None:
        """Loads weights that `save_weights` (or `save`: a `.keras` file) saved from a model
        of the same structure."""
        saving.load_weights(self, filepath)

    def save(
        self, filepath: str, overwrite: bool = True, zipped: Any = None, **kwargs: Any
    ) -> None:
        """Saves the model to a `.keras` file: its config, weights and compile state (the
        optimizer's too), so that `tf.keras.models.load_model` makes it again. The weights are
        an `.npz` archive inside the zip, not Keras's HDF5 (see tapeflow/keras/saving.py).

        >>> import os, tempfile, tapeflow as tf
        >>> model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> loaded = tf.keras.models.load_model(path)
        >>> [w.tolist() == v.tolist() for w, v in zip(model.get_weights(), loaded.get_weights())]
        [True, True]
        """
        saving.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def to_json(self, **kwargs: Any) -> str:
        """The model's serialized config as JSON (`tf.keras.models.model_from_json` reads it);
        `kwargs` go to `json.dumps`."""
        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_compile_config(self) -> dict[str, Any] | None:
        """The arguments `compile` was given, serialized (an empty dict before `compile`)."""
        if not self.compiled:
            return {}
        given = dict(self._compile_arguments)
        return {
            "optimizer": serialize_keras_object(self.optimizer),
            "loss": serialize_keras_object(given.pop("loss", None)),
            "loss_weights": serialize_keras_object(given.pop("loss_weights", None)),
            "metrics": serialize_keras_object(given.pop("metrics", None)),
            "weighted_metrics": serialize_keras_object(given.pop("weighted_metrics", None)),
            "run_eagerly": bool(given.pop("run_eagerly", False)),
            "steps_per_execution": given.pop("steps_per_execution", 1),
            "jit_compile": False,  # tapeflow compiles nothing
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compiles the model as `get_compile_config` describes, and builds the optimizer (so
        that its saved variables can be loaded)."""
        from tapeflow.keras import losses, metrics, optimizers

        accepted = inspect.signature(self.compile).parameters
        arguments: dict[str, Any] = {}
        readers = {
            "optimizer": optimizers.get,
            "loss": lambda v: _deserialize_each(losses.deserialize, v),
            "metrics": lambda v: _deserialize_each(metrics.deserialize, v),
            "weighted_metrics": lambda v: _deserialize_each(metrics.deserialize, v),
        }
        for key, saved in config.items():
            value = readers[key](saved) if key in readers and saved is not None else saved
            if key in accepted:
                arguments[key] = value
            elif value not in (None, False, 1, "auto"):
                raise NotImplementedError(
                    f"tapeflow's `compile` does not take `{key}` (the saved model has {key}="
                    f"{value!r})."
                )
        self.compile(**arguments)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """The model `get_config` describes: a functional model from its layer graph, a
        subclassed one from its constructor's arguments."""
        if all(key in config for key in ("name", "layers", "input_layers", "output_layers")):
            return _functional_from_config(Functional if cls is Model else cls, config)
        return super().from_config(config)

    def summary(
        self,
        line_length: int | None = None,
        positions: list[float] | None = None,
        print_fn: Any = None,
    ) -> None:
        """Prints Keras 3's table of the layers, their output shapes and parameter counts,
        then the totals, as Keras prints it when stdout is not a terminal (no colours).

        >>> import tapeflow as tf
        >>> model = tf.keras.Sequential(
        ...     [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2, name="out")], name="model"
        ... )
        >>> model.summary(line_length=50)
        Model: "model"
        ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
        ┃ Layer (type)        ┃ Output Shape   ┃ Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
        │ out (Dense)         │ (None, 2)      │       8 │
        └─────────────────────┴────────────────┴─────────┘
         Total params: 8 (32.00 B)
         Trainable params: 8 (32.00 B)
         Non-trainable params: 0 (0.00 B)
        """
        # Keras: 88 columns (108 with "Connected to"), or the terminal's width less 4 (76 when
        # stdout is not a terminal)
        connected = isinstance(self, Functional) and not self._sequential_like()
        line_length = line_length or min(
            108 if connected else 88, shutil.get_terminal_size().columns - 4
        )
        positions = positions or ([0.3, 0.56, 0.74, 1.0] if connected else [0.45, 0.80, 1.0])
        widths, used = [], 0
        for pos in positions:
            widths.append(int(pos * line_length) - used)
            used += widths[-1]
        # rich's table, `line_length` wide: each cell has a space either side, and when the
        # columns with their padding and borders are too wide they shrink evenly
        cells = [w + 2 for w in widths]
        excess = sum(cells) + len(cells) + 1 - line_length
        if excess > 0:
            cells = _ratio_reduce(excess, cells)
        rows = []
        for layer in self.layers:
            count = sum(v.shape.num_elements() or 0 for v in layer.weights)
            rows.append(
                [
                    f"{layer.name} ({type(layer).__name__})",
                    self._shape_text(layer),
                    f"{count:,}" if layer.built else "0 (unbuilt)",
                ]
            )
            if connected:
                rows[-1].append(self._connections(layer))  # type: ignore[attr-defined]
        header = ["Layer (type)", "Output Shape", "Param #"]
        lines = [f'Model: "{self.name}"']
        lines += _table(header + ["Connected to"] * connected, rows, cells)
        optimizer = self.optimizer if self.compiled else None
        groups = [
            ("Trainable", self.trainable_weights),
            ("Non-trainable", self.non_trainable_weights),
        ]
        if optimizer is not None and optimizer.built:
            groups.append(("Optimizer", optimizer.variables))
        counts = [(label, *_size(ws)) for label, ws in groups]
        total = (sum(c[1] for c in counts), sum(c[2] for c in counts))
        for label, n, nbytes in [("Total", *total), *counts]:
            lines.append(f" {label} params: {n:,} ({_memory(nbytes)})")
        text = "\n".join(lines)
        if print_fn is None:
            print(text)
        else:
            print_fn(text)

    def _shape_text(self, layer: Layer) -> str:
        shape = getattr(self, "_output_shapes", {}).get(id(layer))  # Sequential's
        return "?" if shape is None else str(shape)


def _ratio_reduce(total: int, values: list[int]) -> list[int]:
    """rich's ratio_reduce with equal ratios: takes `total` off the values, evenly."""
    result, remaining, parts = [], total, len(values)
    for value in values:
        cut = min(value, round(remaining / parts))
        result.append(value - cut)
        remaining -= cut
        parts -= 1
    return result


def _table(header: list[str], rows: list[list[str]], cells: list[int]) -> list[str]:
    """rich's table with a rule between rows; the third column (Param #) right-aligned, as
    Keras's summary sets it."""

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in cells) + right

    def row(values: list[str], bar: str) -> list[str]:
        # a cell too long for its column wraps at spaces onto more lines, as rich's do
        wrapped = [_wrap_cell(v, w - 2) for v, w in zip(values, cells)]
        out = []
        for k in range(max(len(c) for c in wrapped)):
            line = [c[k] if k < len(c) else "" for c in wrapped]
            aligned = [
                v.rjust(w - 2) if i == 2 else v.ljust(w - 2)
                for i, (v, w) in enumerate(zip(line, cells))
            ]
            out.append(bar + bar.join(f" {v} " for v in aligned) + bar)
        return out

    lines = [rule("┏", "━", "┳", "┓"), *row(header, "┃"), rule("┡", "━", "╇", "┩")]
    for i, values in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += row(values, "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def _wrap_cell(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`, wrapped at spaces as rich wraps; a word longer than
    the column is cut to end in an ellipsis (rich's default overflow, which Keras keeps:
    "(MultiHeadAttentio…")."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and lines[-1] and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    cut = [line if len(line) <= width else line[: width - 1] + "…" for line in lines if line]
    return cut or [""]


def _size(weights: list[Any]) -> tuple[int, int]:
    """The number of values in `weights` and their bytes."""
    sizes = [(v.shape.num_elements() or 0, v.dtype.size) for v in weights]
    return sum(n for n, _ in sizes), sum(n * b for n, b in sizes)


def _memory(nbytes: float) -> str:
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


class Sequential(Model):
    """A stack of layers, each called on the previous one's output.

    With an input shape (`tf.keras.Input(shape=...)` first, or `input_shape=` on the first
    layer) it is built, weights and all, as soon as it is made.

    >>> import tapeflow as tf
    >>> model = tf.keras.Sequential(
    ...     [tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(2, name="out")], name="model"
    ... )
    >>> [v.path for v in model.weights]
    ['model/out/kernel', 'model/out/bias']
    """

    _keras_call_mask = True

    def __init__(
        self,
        layers: list[Any] | None = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        super().__init__(trainable=trainable, name=name)
        self._layers: list[Layer] = []
        self._input: KerasTensor | None = None
        self._output_shapes: dict[int, tuple[int | None, ...]] = {}
        for layer in layers or ():
            self.add(layer, rebuild=False)
        self._build_if_shaped()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Appends a layer (or, first, a `tf.keras.Input`)."""
        if isinstance(layer, InputLayer):
            layer = layer.output
        if isinstance(layer, KerasTensor):
            if self._layers or self._input is not None:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._input.shape if self._input else None}. You cannot add a "
                    "different Input layer to it."
                )
            self._input = layer
        elif isinstance(layer, Layer):
            if not self._layers and self._input is None and layer._input_shape_arg:
                self._input = InputLayer(batch_shape=tuple(layer._input_shape_arg)).output
            self._layers.append(layer)
        else:
            raise ValueError(
                "Only instances of `keras.Layer` can be added to a Sequential model. "
                f"Received: {layer} (of type {type(layer)})"
            )
        if rebuild:
            self._build_if_shaped()

    def pop(self) -> Layer:
        if not self._layers:
            raise IndexError("There are no layers in the model.")
        return self._layers.pop()

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        if self._input is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._input.shape

    def _build_if_shaped(self) -> None:
        if self._input is not None and self._layers:
            self.build(self._input.shape)

    def build(self, input_shape: Any) -> None:
        # Keras traces the layers on a symbolic input; running them once on a batch of one
        # zero input gives each layer its input shape the same way, and its output shape
        # for `summary` (with the batch size the model was built with: None or a number).
        # Open dimensions besides the batch take two sizes in two runs, which tell the output
        # dimensions that follow them (as in Layer._symbolic_call)
        if _layers_module._symbolic_batch:  # traced in a functional model: its batch size
            input_shape = (_layers_module._symbolic_batch[-1], *tuple(input_shape)[1:])
        if self._input is None:  # built by a call: Keras then has an input layer too
            self._input = InputLayer(batch_shape=tuple(input_shape)).output
        unbuilt = {id(layer) for layer in self._layers if not layer.built}

        def run(size: int) -> list[list[Any]]:
            dtype = getattr(self._input, "dtype", None) or "float32"
            x = constant(_stand_in_values(_stand_in(tuple(input_shape), size), dtype))
            shapes = []
            with name_scope(self.name, caller=self):
                for layer in self._layers:
                    x = layer(x)
                    shapes.append(x.shape.as_list())
            return shapes

        _layers_module._symbolic_batch.append(input_shape[0])
        try:
            shapes = run(_OPEN_SIZES[0])
            if any(d is None for d in input_shape[1:]):
                try:
                    shapes = [_open_dims(a, b) for a, b in zip(shapes, run(_OPEN_SIZES[1]))]
                except Exception:  # a model that only runs at one length: keep the first shapes
                    pass
        finally:
            _layers_module._symbolic_batch.pop()
        self._clear_losses()  # the zero input's activity losses are not a call's
        symbolic: Any = tuple(input_shape)
        for layer, shape in zip(self._layers, shapes):
            if id(layer) in unbuilt and not isinstance(
                layer.__dict__.get("_build_input_shape"), dict
            ):
                layer.__dict__["_build_input_shape"] = symbolic  # its build_config: traced shapes
            symbolic = self._output_shapes[id(layer)] = (input_shape[0], *shape[1:])
        self.built = True

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if mask is not None:  # Keras: the mask goes onto the input, for the layers to read
            set_keras_mask(inputs, mask)
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def get_config(self) -> dict[str, Any]:
        layers = [serialize_keras_object(layer) for layer in self._layers]
        input_layer = self._input_layer()
        if input_layer is not None:
            layers.insert(0, serialize_keras_object(input_layer))
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": serialize_dtype(self.dtype),
            "layers": layers,
        }
        if self._input is not None and self.built:
            config["build_input_shape"] = self._input.shape
        return config

    def _input_layer(self) -> InputLayer | None:
        history = self._input._history if self._input is not None else None
        return history[0].layer if history is not None else None  # type: ignore[return-value]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        model = cls(name=config["name"], trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_keras_object(layer_config), rebuild=False)
        model._build_if_shaped()
        shape = config.get("build_input_shape")
        if shape and not model.built:
            model.build(tuple(shape))
        return model

    def get_build_config(self) -> dict[str, Any] | None:
        if self._input is None or not self.built:
            return None
        return {"input_shape": self._input.shape}


class Functional(Model):
    """What `tf.keras.Model(inputs, outputs)` makes: a model that runs the layer calls
    recorded from `inputs` (`tf.keras.Input`s) to `outputs`, in Keras's order.

    >>> import tapeflow as tf
    >>> inputs = tf.keras.Input(shape=(3,), name="x")
    >>> hidden = tf.keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    >>> outputs = tf.keras.layers.Dense(2, name="out")(hidden)
    >>> model = tf.keras.Model(inputs=inputs, outputs=outputs, name="fn")
    >>> [layer.name for layer in model.layers]
    ['x', 'hidden', 'out']
    >>> model(tf.ones([5, 3])).shape
    TensorShape([5, 2])
    """

    _keras_call_mask = True

    def __init__(
        self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True
    ) -> None:
        super().__init__(name=name, trainable=trainable)
        for label, value in [("inputs", inputs), ("outputs", outputs)]:
            for x in flatten(value):
                if not isinstance(x, KerasTensor):
                    raise ValueError(
                        f"All `{label}` values must be KerasTensors. Received: "
                        f"{label}={value} including invalid value {x} of type {type(x)}"
                    )
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = flatten(inputs), flatten(outputs)
        self._nodes, self._layers, self._depth = _map_graph(self.inputs, self.outputs)
        # what `compile` keys a dict of losses or metrics by, and names logged values after
        self.output_names = [k._history[0].layer.name for k in self.outputs if k._history]
        # a graph with masks runs its calls as Keras 3 does (Node.run)
        self._masked = any(k._keras_mask is not None for n in self._nodes for k in n.outputs)
        # Keras runs the graph once at construction: an output it cannot reach is an error
        reached = {id(k) for k in self.inputs}
        for node in self._nodes:
            if node.inputs and all(id(k) in reached for k in node.inputs):
                reached.update(id(k) for k in node.outputs)
        for path, x in zip(_paths(outputs), self.outputs):
            if id(x) not in reached:
                raise ValueError(f"Output with path `{path}` is not connected to `inputs`")
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def input_shape(self) -> Any:
        shapes = [k.shape for k in self.inputs]
        return shapes[0] if isinstance(self._inputs_struct, KerasTensor) else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [k.shape for k in self.outputs]
        return shapes[0] if isinstance(self._outputs_struct, KerasTensor) else shapes

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        given = flatten(inputs)
        if len(given) != len(self.inputs):
            raise ValueError(
                "Function was called with an invalid input structure. Expected input "
                f"structure: {self._inputs_struct}\nReceived input structure: {inputs}"
            )
        masks = [None] * len(given) if mask is None else flatten(mask)
        values = {}
        for k, v, m in zip(self.inputs, given, masks):
            values[id(k)] = t = _as_tensor(v, k.dtype)
            # an input's Keras mask (or the one passed) stays with it, for the layers to read
            set_keras_mask(t, get_keras_mask(v) if m is None else m)
        graph_masks: dict[int, Any] | None = {} if self._masked else None
        for node in self._nodes:
            if node.inputs and all(id(k) in values for k in node.inputs):
                # `training` reaches the layers through Layer.__call__
                for k, v in zip(node.outputs, flatten(node.run(values, graph_masks))):
                    values[id(k)] = v
        outputs = pack_sequence_as(self._outputs_struct, [values[id(k)] for k in self.outputs])
        # Keras's unpack_singleton: outputs=[y] gives y
        return outputs[0] if isinstance(outputs, (list, tuple)) and len(outputs) == 1 else outputs

    def get_config(self) -> dict[str, Any]:
        """Keras's functional config: each layer with the calls (`inbound_nodes`) that made
        this model, its inputs and outputs as [layer name, call index, output index]."""
        own = {id(node) for node in self._nodes}

        def call_index(node: Node) -> int:
            # among the layer's calls that belong to this model, as Keras numbers them
            return sum(id(n) in own for n in node.layer._inbound_nodes[: node.index])

        def tensor(k: KerasTensor) -> dict[str, Any]:
            node, index = k._history  # type: ignore[misc]
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": k.shape,
                    "dtype": k.dtype,
                    "keras_history": [node.layer.name, call_index(node), index],
                },
            }

        def endpoint(k: KerasTensor) -> list[Any]:
            node, index = k._history  # type: ignore[misc]
            # Keras counts a functional model's own construction as its first call
            offset = 1 if isinstance(node.layer, Functional) else 0
            return [node.layer.name, call_index(node) + offset, index]

        layer_configs = []
        for layer in self._layers:
            entry = serialize_keras_object(layer)
            nodes = []
            for node in layer._inbound_nodes:
                if id(node) in own and node.inputs:
                    kwargs = {**node.kwargs, **_keras_call_arguments(layer, node)}
                    nodes.append(
                        {
                            "args": serialize_keras_object(_map(tensor, node.args)),
                            "kwargs": serialize_keras_object(_map(tensor, kwargs)),
                        }
                    )
            entry["name"] = layer.name
            entry["inbound_nodes"] = nodes
            layer_configs.append(entry)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": _map(endpoint, self._inputs_struct),
            "output_layers": _map(endpoint, self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return _functional_from_config(cls, config)

    def get_build_config(self) -> dict[str, Any] | None:
        return {"input_shape": None}  # as Keras: the graph, not a shape, builds it

    def _sequential_like(self) -> bool:
        # Keras's rule for leaving out "Connected to": one node per depth, each with at most
        # one input, and no layer called twice
        layers = [node.layer for node in self._nodes]
        return all(len(node.inputs) <= 1 for node in self._nodes) and len(
            {id(layer) for layer in layers}
        ) == len(layers) == len({self._depth[id(node)] for node in self._nodes})

    def _shape_text(self, layer: Layer) -> str:
        # Keras shows the outputs of the layer's last call, in this model or not
        if not layer._inbound_nodes:
            return "?"
        shapes = [_shape_str(k.shape) for k in layer._inbound_nodes[-1].outputs]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"

    def _connections(self, layer: Layer) -> str:
        ours = {id(node) for node in self._nodes}
        names = [
            f"{k._history[0].layer.name}[{k._history[0].index}][{k._history[1]}]"
            for node in layer._inbound_nodes
            if id(node) in ours
            for k in node.inputs
            if k._history is not None
        ]
        return ", ".join(names) or "-"


def _shape_str(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Keras's path of each leaf of `flatten(value)`: the keys and indices joined by dots."""
    if isinstance(value, dict):
        items: Any = [(key, value[key]) for key in sorted(value)]
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return [prefix]
    return [p for key, v in items for p in _paths(v, f"{prefix}.{key}" if prefix else str(key))]


def _as_tensor(value: Any, dtype: str) -> Any:
    t = convert_to_tensor(value)
    return cast(t, dtype) if t.dtype.is_floating and t.dtype.name != dtype else t


def _map_graph(
    inputs: list[KerasTensor], outputs: list[KerasTensor]
) -> tuple[list[Node], list[Layer], dict[int, int]]:
    """Keras's map_graph: the nodes from `inputs` to `outputs` deepest first (in the order
    to run them), their layers in the order `model.layers` lists them, and each node's
    depth (by id)."""
    input_ids = {id(k) for k in inputs}
    order: list[Node] = []
    visited: set[int] = set()
    index: dict[int, int] = {}  # a layer's position in the walk back from the outputs

    def visit(k: KerasTensor) -> None:
        if k._history is None:
            return
        node = k._history[0]
        if id(node) in visited:
            return
        index.setdefault(id(node.layer), len(index))
        visited.add(id(node))
        if id(k) not in input_ids:
            for parent in node.inputs:
                visit(parent)
        order.append(node)

    for k in outputs:
        visit(k)
    # a node's depth is its distance from the outputs; a layer's the largest of its nodes'
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    nodes = {id(node): node for node in order}
    layers = {id(node.layer): node.layer for node in order}
    for node in reversed(order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for k in node.inputs:
            parent = k._history[0] if k._history else None
            if parent is not None and id(parent) in nodes:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for k in inputs:  # inputs no output needs
        if k._history is not None and id(k._history[0].layer) not in layer_depth:
            node = k._history[0]
            layers[id(node.layer)], nodes[id(node)] = node.layer, node
            layer_depth[id(node.layer)] = node_depth[id(node)] = 0
            index[id(node.layer)] = -1
    by_depth = sorted(node_depth, key=lambda n: -node_depth[n])  # stable: Keras's order
    ordered = sorted(layers, key=lambda n: (-layer_depth[n], index[n]))
    return [nodes[n] for n in by_depth], [layers[n] for n in ordered], node_depth


def _keras_call_arguments(layer: Layer, node: Node) -> dict[str, Any]:
    """The arguments Keras's `Layer.__call__` adds to those its graph records for this call
    of `layer`: `training` (False, where its `call` defaults it so) and `mask` (None, where its
    `call` takes one). Keras records them only for a call on one tensor of the layer's dtype,
    with no keyword arguments (otherwise it converts the arguments into new ones first, and
    records those)."""
    only = node.args[0] if len(node.args) == 1 and not node.kwargs else None
    if not isinstance(only, KerasTensor) or only.dtype != layer.dtype:
        return {}
    added: dict[str, Any] = {}
    if layer._keras_call_training:
        added["training"] = False
    if layer._keras_call_mask or "mask" in inspect.signature(type(layer).call).parameters:
        added["mask"] = None
    return added


def _deserialize_each(deserialize: Any, value: Any) -> Any:
    """`value` deserialized, each item of a list or dict on its own. Names stay names, as
    Keras leaves them: a several-output model logs "mse_loss" for `loss=["mse", ...]` where
    its outputs have no names, and a loaded model should log the same."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return [_deserialize_each(deserialize, v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _deserialize_each(deserialize, v) for k, v in value.items()}
    return deserialize(value)


def _functional_from_config(cls: Any, config: dict[str, Any]) -> Any:
    """Keras's functional_from_config: makes the layers, then replays their calls on
    KerasTensors as soon as their inputs exist, then takes the inputs and outputs."""
    created: dict[str, Layer] = {}
    pending: list[tuple[Layer, list[Any]]] = []
    for layer_data in config["layers"]:
        layer = deserialize_keras_object(layer_data)
        created[layer_data["name"]] = layer
        pending.append((layer, list(layer_data["inbound_nodes"])))

    def revive(value: Any) -> Any:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, index, tensor_index = value["config"]["keras_history"]
            nodes = created[name]._inbound_nodes
            if index >= len(nodes):
                raise IndexError(index)  # its call is not made yet
            return nodes[index].outputs[tensor_index]
        if isinstance(value, dict):
            return {k: revive(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(revive(v) for v in value)
        return value

    while any(nodes for _, nodes in pending):
        progressed = False
        for layer, nodes in pending:
            while nodes:
                try:
                    args = revive(nodes[0]["args"])
                    kwargs = revive(nodes[0]["kwargs"])
                except IndexError:
                    break
                # what Keras's call added (`_keras_call_arguments`): a call without them gets
                # the same, and the model's graph masks as a call made on the tensor alone
                if kwargs.get("mask", 0) is None:
                    del kwargs["mask"]
                if kwargs.get("training", 0) is False and layer._keras_call_training:
                    del kwargs["training"]
                # a None Keras passes that this layer's call does not take
                kwargs = {
                    k: v
                    for k, v in kwargs.items()
                    if v is not None or _layers_module._accepts(type(layer), k)
                }
                layer(*args, **kwargs)
                nodes.pop(0)
                progressed = True
        if not progressed:
            raise ValueError(
                "Invalid Functional model configuration. The graph of the Functional model "
                "either has loops or disconnected nodes."
            )

    def endpoint(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
            layer = created[value[0]]
            index = value[1] - (1 if isinstance(layer, Functional) else 0)
            return layer._inbound_nodes[index].outputs[value[2]]
        if isinstance(value, dict):
            return {k: endpoint(v) for k, v in value.items()}
        return [endpoint(v) for v in value]

    return cls(
        inputs=endpoint(config["input_layers"]),
        outputs=endpoint(config["output_layers"]),
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )


load_model = saving.load_model
save_model = saving.save_model
clone_model = saving.clone_model
model_from_json = saving.model_from_json
