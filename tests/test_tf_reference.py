"""Every snippet of TF 2.21's observed autodiff semantics, run on tapeflow, prints what TF printed.

Cases for features that later issues add are strict xfails: implementing the feature makes
them pass, and the marker must then go. Deliberate differences (README) assert tapeflow's own
output instead.
"""

import pytest
from reference_cases import Case, load, run

FUNCTION = (
    "graph mode: tf.gradients/tf.hessians and trace-time errors (tf.function tracing, a later step)"
)
XFAIL = {
    **dict.fromkeys("T03 T05 T06 T07 D02".split(), FUNCTION),
    "E22": "bfloat16: NumPy has no bfloat16 dtype (README, deliberate differences)",
}

# Deliberate differences (README): clearer messages of the same exception type, and a seed
# of the wrong shape is refused instead of producing a wrong-shaped gradient.
OURS = {
    "E09d": (
        "AttributeError : gradient() sources must be Tensors or Variables, got 1.0 of type "
        "'float'; a Python or NumPy value cannot be differentiated against (convert it with "
        "tf.constant and watch it inside the tape).\n"
        "AttributeError : gradient() sources must be Tensors or Variables, got array(1.) of "
        "type 'ndarray'; a Python or NumPy value cannot be differentiated against (convert it "
        "with tf.constant and watch it inside the tape)."
    ),
    "A06": (
        "watch before enter: AttributeError : GradientTape.watch was called before the tape "
        "was entered; use it inside `with tf.GradientTape() as tape:`\n"
        "tf.Tensor(4.0, shape=(), dtype=float32)"
    ),
    "V05": (
        "TypeError : 'tapeflow.Tensor' object does not support item assignment: tensors are "
        "immutable. Use a tf.Variable and its assign methods, or tf.tensor_scatter_nd_update.\n"
        "(2,) <dtype: 'float32'> 1 [1. 2.] 1.0 True"
    ),
    "A04": (  # TF's first sentence, then what went wrong instead of TF's graph-node dump
        "ValueError : Dimension 0 in both shapes must be equal, but are 3 and 2. Shapes are [3] "
        "and [2]. The tangent given to ForwardAccumulator has shape (3,), but its primal has "
        "shape (2,); a tangent must have its primal"
    ),
    # tf.norm's gradient at the zero vector is 0, not TF's nan
    "E13": (
        "abs: tf.Tensor(0.0, shape=(), dtype=float32)\n"
        "sqrt: tf.Tensor(inf, shape=(), dtype=float32)\n"
        "norm: tf.Tensor([0. 0.], shape=(2,), dtype=float32)\n"
        "sign: tf.Tensor(0.0, shape=(), dtype=float32)"
    ),
    "E20b": (
        "InvalidArgumentError : cannot compute Mul as input #1(zero-based) was expected to be "
        "a double tensor but is a float tensor [Op:Mul] name: \n"
        "ValueError : output_gradients entry has shape (3,) but its target has shape (2,); "
        "each seed must have its target's shape."
    ),
}


def _normalise(text: str) -> str:
    """TF's exception module path and oneDNN kernel name are not part of the semantics."""
    return (
        text.replace("tensorflow.python.framework.errors_impl.", "tapeflow.errors.")
        .replace("_MklMatMul", "MatMul")
        .replace("tensorflow.python.framework.ops.Tensor", "tapeflow.tensor.Tensor")
    )


CASES = load()


def test_all_reference_cases_are_loaded():
    assert len(CASES) == 135
    assert not (set(XFAIL) | set(OURS)) - {c.id for c in CASES}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.id, marks=pytest.mark.xfail(reason=XFAIL[c.id], strict=True))
        if c.id in XFAIL
        else pytest.param(c, id=c.id)
        for c in CASES
    ],
)
def test_reference_case(case: Case):
    got, _ = run(case)
    expected = OURS.get(case.id, _normalise(case.expected))
    assert got == expected


@pytest.mark.parametrize("case_id", ["E04b", "E05", "E05c", "E16c", "M06"])
def test_warnings_match_tf(case_id, monkeypatch):
    from tapeflow import tape

    monkeypatch.setattr(tape, "_warned", {"dtype": 0, "inside": False})  # a fresh process
    case = next(c for c in CASES if c.id == case_id)
    _, logs = run(case)
    assert len(logs) == len(case.logs)
    for got, want in zip(logs, case.logs):
        assert got.startswith(want.removesuffix(" …[truncated]"))
