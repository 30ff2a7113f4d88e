"""The reference the jacobian tests compare with: one gradient call per element of the
target (the slow way), and a guard that fails a test whose ops fall back to it inside
`tape.jacobian`."""

from typing import Any

import numpy as np

import tapeflow as tf
from tapeflow.jacobian import Batched


def row_by_row(tape: Any, y: Any, xs: list[Any]) -> list[Any]:
    """d y / d x for each x, built from gradients seeded with one-hot rows (None when y is
    empty)."""
    n = int(np.prod(y.shape))
    rows = []
    for i in range(n):
        seed = np.zeros(n)
        seed[i] = 1.0
        seed = tf.constant(seed.reshape(y.shape.as_list()))
        gs = tape.gradient(y, xs, output_gradients=[seed], unconnected_gradients="zero")
        rows.append([tf.convert_to_tensor(g).numpy() for g in gs])
    return [
        np.stack([r[j] for r in rows]).reshape(tuple(y.shape) + tuple(x.shape)) if n else None
        for j, x in enumerate(xs)
    ]


def compare(tape: Any, y: Any, xs: list[Any], rtol: float = 1e-12, atol: float = 1e-12) -> None:
    """tape.jacobian(y, xs) has the right shapes and equals the row-by-row jacobian."""
    got = tape.jacobian(y, xs, unconnected_gradients="zero")
    for j, (g, w, x) in enumerate(zip(got, row_by_row(tape, y, xs), xs)):
        assert g.shape == tuple(y.shape) + tuple(x.shape), f"input {j}"
        if w is not None:
            np.testing.assert_allclose(g.numpy(), w, rtol=rtol, atol=atol, err_msg=f"input {j}")


def refuse_fallback(monkeypatch: Any, op_types: Any = None) -> None:
    """Makes an op (of `op_types`, or any) that falls back to the row-by-row rule fail."""
    rows = Batched._rows

    def guarded(self: Any, op_: Any, *args: Any) -> Any:
        if op_types is None or op_.type in op_types:
            raise AssertionError(f"{op_.type} fell back to the row-by-row rule")
        return rows(self, op_, *args)

    monkeypatch.setattr(Batched, "_rows", guarded)
