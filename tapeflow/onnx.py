"""Export a traced function (or a Keras model) to ONNX, for onnxruntime and other runtimes.

The exporter walks the graph tf.function recorded (tapeflow/graph.py): each node is one op
with TF's type name and static attributes, so each maps to a few ONNX nodes. Variables are
read when the function is exported and become initializers (frozen weights, as tf2onnx
does). Needs the optional `onnx` package (`pip install tapeflow[onnx]`); onnxruntime runs the
result.

>>> import tapeflow as tf
>>> import tapeflow.onnx
>>> model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
>>> [n.op_type for n in tapeflow.onnx.from_keras(model).graph.node]
['MatMul', 'Add']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import graph as graph_module
from tapeflow.function import Function, function
from tapeflow.tensor_spec import TensorSpec

__all__ = ["export", "from_keras", "OPSET"]

OPSET = 17
IR_VERSION = 8  # ONNX IR of opset 17 (onnx 1.12), read by every onnxruntime since 1.12


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:  # an optional part: say how to get it
        raise ImportError(
            "Exporting to ONNX needs the onnx package: pip install 'tapeflow[onnx]'"
        ) from e
    return onnx


class _Builder:
    """ONNX nodes and initializers being written; names are the graph's registers."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def fresh(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"

    def constant(self, value: Any, name: str | None = None) -> str:
        name = name or self.fresh("const")
        array = np.asarray(value)
        if array.dtype == object:
            raise NotImplementedError("string tensors cannot be exported to ONNX by tapeflow")
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self.nodes.append(
            self.onnx.helper.make_node(op_type, inputs, outputs, name=self.fresh(op_type), **attrs)
        )


def _elementwise(onnx_type: str) -> Callable[..., None]:
    def convert(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
        b.node(onnx_type, ins, outs)

    return convert


def _matmul(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    a, c = ins
    for key, name in (("transpose_a", "a"), ("transpose_b", "c")):
        if attrs.get(key) or attrs.get(key.replace("transpose", "adjoint")):
            t = b.fresh("transposed")
            src = a if name == "a" else c
            b.node("Transpose", [src], [t], perm=_swap_last_two(attrs.get("_rank", 2)))
            if name == "a":
                a = t
            else:
                c = t
    b.node("MatMul", [a, c], outs)


def _swap_last_two(rank: int) -> list[int]:
    perm = list(range(rank))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return perm


def _axes(attrs: dict[str, Any], rank: int) -> list[int] | None:
    axis = attrs.get("axis")
    if axis is None:
        return None
    axes = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    return [int(a) % rank if rank else int(a) for a in axes]


def _reduce(onnx_type: str) -> Callable[..., None]:
    def convert(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
        axes = _axes(attrs, attrs["_rank"])
        keepdims = int(bool(attrs.get("keepdims", False)))
        if onnx_type == "ReduceSum":  # axes is an input from opset 13
            inputs = ins + ([b.constant(np.array(axes, np.int64))] if axes is not None else [])
            b.node(onnx_type, inputs, outs, keepdims=keepdims)
        elif axes is None:
            b.node(onnx_type, ins, outs, keepdims=keepdims)
        else:
            b.node(onnx_type, ins, outs, axes=axes, keepdims=keepdims)

    return convert


def _reshape(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    shape = list(attrs["shape"])
    if attrs.get("_dynamic_batch") and shape and shape[0] == 1:
        shape[0] = -1  # the batch dimension the export leaves open
    b.node("Reshape", [ins[0], b.constant(np.array(shape, np.int64))], outs)


def _transpose(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    b.node("Transpose", ins[:1], outs, perm=[int(p) for p in attrs["perm"]])


def _softmax(onnx_type: str) -> Callable[..., None]:
    def convert(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
        b.node(onnx_type, ins, outs, axis=int(attrs.get("axis", -1)))

    return convert


def _cast(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    onnx = b.onnx
    to = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(attrs["_out_dtype"]))
    b.node("Cast", ins, outs, to=to)


def _square(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    b.node("Mul", [ins[0], ins[0]], outs)


def _concat(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    b.node("Concat", ins, outs, axis=int(attrs["axis"]))


def _nchw(b: _Builder, x: str) -> str:
    """NHWC (TF's layout) -> NCHW (ONNX's)."""
    out = b.fresh("nchw")
    b.node("Transpose", [x], [out], perm=[0, 3, 1, 2])
    return out


def _window_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    padding = attrs["padding"]
    if padding == "EXPLICIT":
        pads = attrs["explicit_paddings"]  # TF: (before, after) per NHWC axis
        return {"pads": [pads[2], pads[4], pads[3], pads[5]]}
    return {"auto_pad": "SAME_UPPER" if padding == "SAME" else "VALID"}  # TF pads more after


def _windowed(onnx_type: str) -> Callable[..., None]:
    """Conv2D, MaxPool and AvgPool: in ONNX's NCHW layout between two transposes."""

    def convert(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
        if attrs.get("data_format", "NHWC") != "NHWC":
            raise NotImplementedError(f"{onnx_type} with data_format {attrs['data_format']}")
        extra: dict[str, Any] = {"strides": list(attrs["strides"][1:3]), **_window_attrs(attrs)}
        inputs = [_nchw(b, ins[0])]
        if onnx_type == "Conv":
            kernel = b.fresh("oihw")  # TF's HWIO filter -> ONNX's OIHW
            b.node("Transpose", [ins[1]], [kernel], perm=[3, 2, 0, 1])
            inputs.append(kernel)
            extra["dilations"] = list(attrs["dilations"][1:3])
        else:
            extra["kernel_shape"] = list(attrs["ksize"][1:3])
            if onnx_type == "AveragePool":
                extra["count_include_pad"] = 0  # TF averages over the real pixels only
        nchw = b.fresh(onnx_type.lower())
        b.node(onnx_type, inputs, [nchw], **extra)
        b.node("Transpose", [nchw], outs, perm=[0, 2, 3, 1])

    return convert


def _gather(b: _Builder, ins: list[str], outs: list[str], attrs: dict[str, Any]) -> None:
    if attrs.get("batch_dims", 0):
        raise NotImplementedError("tapeflow cannot write a gather with batch_dims in ONNX yet")
    b.node("Gather", ins[:2], outs, axis=int(attrs.get("axis", 0)))


# TF's op types -> how each is written in ONNX
CONVERTERS: dict[str, Callable[..., None]] = {
    "AddV2": _elementwise("Add"),
    "BiasAdd": _elementwise("Add"),
    "Sub": _elementwise("Sub"),
    "Mul": _elementwise("Mul"),
    "RealDiv": _elementwise("Div"),
    "Maximum": _elementwise("Max"),
    "Minimum": _elementwise("Min"),
    "Pow": _elementwise("Pow"),
    "Neg": _elementwise("Neg"),
    "Abs": _elementwise("Abs"),
    "Exp": _elementwise("Exp"),
    "Log": _elementwise("Log"),
    "Sqrt": _elementwise("Sqrt"),
    "Tanh": _elementwise("Tanh"),
    "Sigmoid": _elementwise("Sigmoid"),
    "Relu": _elementwise("Relu"),
    "Identity": _elementwise("Identity"),
    "Square": _square,
    "MatMul": _matmul,
    "BatchMatMulV2": _matmul,
    "Sum": _reduce("ReduceSum"),
    "Mean": _reduce("ReduceMean"),
    "Max": _reduce("ReduceMax"),
    "Min": _reduce("ReduceMin"),
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Cast": _cast,
    "ConcatV2": _concat,
    "GatherV2": _gather,
    "Conv2D": _windowed("Conv"),
    "MaxPool": _windowed("MaxPool"),
    "AvgPool": _windowed("AveragePool"),
}


def export(
    fn: Any,
    input_signature: list[TensorSpec],
    output_path: str | None = None,
    opset: int = OPSET,
) -> Any:
    """The ONNX model (an `onnx.ModelProto`) of `fn` traced for `input_signature`; written to
    `output_path` if given. A leading None dimension stays open ("batch") in the model.

    Raises:
      ValueError: the function could not be traced to a graph (it reads tensor values in
        Python; the message says where), writes variables or prints.
      NotImplementedError: an op has no ONNX form here (the message names it).
    """
    onnx = _onnx()
    specs = list(input_signature)
    traced = fn if isinstance(fn, Function) else function(fn)
    concrete = traced.get_concrete_function(*specs)
    graph = concrete.graph
    if graph is None:
        raise ValueError(
            f"Cannot export to ONNX: the function runs eagerly ({concrete.eager_reason})"
        )
    regs = _Registers(_Builder(onnx), any(s.shape.rank and s.shape[0] is None for s in specs))
    regs.constants(graph)
    for i, (r, spec) in enumerate(zip(graph.inputs, specs)):
        regs.names[r] = f"input_{i}"
        regs.ranks[r], regs.kinds[r] = len(spec.shape), np.dtype(spec.dtype._np)
    for node in graph.nodes:
        regs.convert(graph, node)
    batch = regs.dynamic_batch

    def value_info(name: str, dtype: Any, dims: list[Any], given: list[Any]) -> Any:
        shown = [
            "batch" if i == 0 and batch and g is None else d
            for i, (d, g) in enumerate(zip(dims, given))
        ]
        return onnx.helper.make_tensor_value_info(
            name, onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shown
        )

    inputs = [
        value_info(
            regs.names[r],
            spec.dtype._np,
            [1 if d is None else d for d in spec.shape],
            list(spec.shape),
        )
        for r, spec in zip(graph.inputs, specs)
    ]
    outputs = []
    for r, out in zip(graph.outputs, _symbolic_leaves(concrete.structured_outputs)):
        dims = out.shape.as_list()
        open_first = [None if i == 0 and d == 1 else d for i, d in enumerate(dims)]
        outputs.append(value_info(regs.names[r], out.dtype._np, dims, open_first))
    model = onnx.helper.make_model(
        onnx.helper.make_graph(regs.b.nodes, "tapeflow", inputs, outputs, regs.b.initializers),
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="tapeflow",
        ir_version=IR_VERSION,  # what onnxruntime releases read (onnx's newest may be newer)
    )
    onnx.checker.check_model(model)
    if output_path is not None:
        onnx.save(model, output_path)
    return model


class _Registers:
    """The graph's registers as ONNX names, with the rank and dtype known of each."""

    def __init__(self, b: _Builder, dynamic_batch: bool) -> None:
        self.b = b
        self.dynamic_batch = dynamic_batch
        self.names: dict[int, str] = {}
        self.ranks: dict[int, int] = {}
        self.kinds: dict[int, np.dtype] = {}
        self.numbers: dict[int, Any] = {}  # Python numbers take their partner's dtype, as in ops

    def constants(self, graph: Any) -> None:
        for r, value in graph.constants.items():
            if type(value) is graph_module._Variable:
                self.names[r] = f"variable_{r}"  # read by a ReadVariableOp: its initializer
            elif isinstance(value, (np.ndarray, np.generic)):
                self.names[r] = self.b.constant(value, f"const_{r}")
                self.kinds[r], self.ranks[r] = value.dtype, value.ndim
            else:
                self.numbers[r] = value

    def convert(self, graph: Any, node: Any) -> None:
        if node.effect:
            raise ValueError("Cannot export to ONNX: the function writes variables or prints")
        if node.fn is graph_module._read_variable:  # the variable's value, frozen
            value = np.asarray(graph.constants[node.inputs[0]].variable.numpy())
            out = node.outputs[0]
            self.names[out] = self.b.constant(value, f"weight_{out}")
            self.ranks[out], self.kinds[out] = value.ndim, value.dtype
            return
        op_type = node.op.type
        convert = CONVERTERS.get(op_type)
        if convert is None:
            raise NotImplementedError(f"tapeflow cannot write the op {op_type} in ONNX yet")
        known = next((self.kinds[r] for r in node.inputs if r in self.kinds), np.dtype("float32"))
        for r in node.inputs:
            if r in self.numbers and r not in self.names:
                value = np.asarray(self.numbers[r], dtype=known)
                self.names[r] = self.b.constant(value, f"const_{r}")
        outs = [f"r{r}" for r in node.outputs]
        rank = self.ranks.get(node.inputs[0], 0) if node.inputs else 0
        attrs = {**node.attrs, "_rank": rank, "_dynamic_batch": self.dynamic_batch}
        if op_type == "Cast":
            attrs["_out_dtype"] = node.attrs.get("DstT", node.attrs.get("dtype"))
        convert(self.b, [self.names[r] for r in node.inputs], outs, attrs)
        for r, name in zip(node.outputs, outs):
            self.names[r] = name
            self.ranks[r] = _rank_after(op_type, node.attrs, rank)
            self.kinds[r] = np.dtype(attrs["_out_dtype"]) if op_type == "Cast" else known


def _symbolic_leaves(structure: Any) -> list[Any]:
    """The outputs' shapes and dtypes, in the order of the graph's outputs."""
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _symbolic_leaves(v)]
    if isinstance(structure, (list, tuple)):
        return [leaf for v in structure for leaf in _symbolic_leaves(v)]
    return [structure] if hasattr(structure, "shape") else []


def _rank_after(op_type: str, attrs: dict[str, Any], rank: int) -> int:
    if op_type == "Reshape":
        return len(attrs["shape"])
    if op_type in ("Sum", "Mean", "Max", "Min") and not attrs.get("keepdims"):
        axis = attrs.get("axis")
        if axis is None:
            return 0
        return rank - (len(axis) if isinstance(axis, (tuple, list)) else 1)
    return rank


def from_keras(
    model: Any,
    input_signature: list[TensorSpec] | None = None,
    output_path: str | None = None,
    opset: int = OPSET,
) -> Any:
    """A Keras model's inference (`training=False`) as ONNX; the signature defaults to the
    model's input shape with an open batch dimension."""
    if input_signature is None:
        shape = getattr(model, "input_shape", None)
        if shape is None:
            raise ValueError("The model has no input shape yet: give input_signature")
        first = (getattr(model, "inputs", None) or [getattr(model, "_input", None)])[0]
        dtype = getattr(first, "dtype", None)  # its Input's (Sequential keeps it as _input)
        input_signature = [TensorSpec(shape, dtype or "float32")]

    def inference(*xs: Any) -> Any:
        return model(xs[0] if len(xs) == 1 else list(xs), training=False)

    return export(inference, input_signature, output_path, opset)
