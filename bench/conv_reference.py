"""A hand-written NumPy conv2d (NHWC, HWIO) and its backward: the yardstick for tapeflow's.

`conv2d_numpy_reference` is what a careful NumPy programmer writes: im2col through a strided
view and one matmul, keeping the columns for the backward pass, which is two matmuls and a
col2im scatter (one strided add per kernel position). The benchmark suite times tapeflow's
`tf.nn.conv2d` forward + backward against it; the op table (`op_specs.py`) uses it as the NumPy
reference of Conv2D and of its two backprop ops, so it is checked against tapeflow there.

`python -m bench.conv_reference` (with tapeflow importable) times both on the typical size
(batch 32, 28x28x16 input, 3x3x16x32 filter, SAME) and prints the ratio.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv2d_numpy_reference", "conv2d_numpy_reference_backward"]


def _same_pads(n: int, k: int, s: int) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv2d_numpy_reference(
    x: np.ndarray, w: np.ndarray, strides: Any = 1, padding: str = "SAME"
) -> tuple[np.ndarray, dict[str, Any]]:
    """conv2d forward; returns (output, cache for `conv2d_numpy_reference_backward`)."""
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else tuple(strides)
    kh, kw, c, o = w.shape
    n, h, wd, _ = x.shape
    if padding == "SAME":
        pads = (_same_pads(h, kh, sh), _same_pads(wd, kw, sw))
    else:
        pads = ((0, 0), (0, 0))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0))) if any(pads[0] + pads[1]) else x
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # n,oh,ow,c,kh,kw
    oh, ow = windows.shape[1:3]
    cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, kh * kw * c)
    out = (cols @ w.reshape(kh * kw * c, o)).reshape(n, oh, ow, o)
    cache = {"cols": cols, "w": w, "xp_shape": xp.shape, "pads": pads, "x_shape": x.shape}
    cache["strides"] = (sh, sw)
    return out, cache


def conv2d_numpy_reference_backward(
    dy: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(d input, d filter) of `conv2d_numpy_reference` for the upstream gradient `dy`."""
    w, cols = cache["w"], cache["cols"]
    kh, kw, c, o = w.shape
    n, oh, ow, _ = dy.shape
    sh, sw = cache["strides"]
    flat = dy.reshape(-1, o)
    dw = (cols.T @ flat).reshape(w.shape)
    dcols = (flat @ w.reshape(-1, o).T).reshape(n, oh, ow, kh, kw, c)
    dxp = np.zeros(cache["xp_shape"], dtype=dy.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += dcols[
                :, :, :, i, j
            ]
    (top, _), (left, _) = cache["pads"]
    _, h, wd, _ = cache["x_shape"]
    return dxp[:, top : top + h, left : left + wd], dw


def _time_ratio(repeats: int = 30) -> None:
    import time

    import tapeflow as tf

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 28, 28, 16)).astype(np.float32)
    w = rng.standard_normal((3, 3, 16, 32)).astype(np.float32)
    dy = rng.standard_normal((32, 28, 28, 32)).astype(np.float32)
    xt, wt, dyt = tf.constant(x), tf.constant(w), tf.constant(dy)

    def numpy_version() -> Any:
        _, cache = conv2d_numpy_reference(x, w, 1, "SAME")
        return conv2d_numpy_reference_backward(dy, cache)

    def tapeflow_version() -> Any:
        with tf.GradientTape() as tape:
            tape.watch([xt, wt])
            y = tf.nn.conv2d(xt, wt, 1, "SAME")
        return tape.gradient(y, [xt, wt], output_gradients=dyt)

    ref, ours = numpy_version(), tapeflow_version()
    for a, b in zip(ref, ours):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-3)
    times: dict[str, list[float]] = {"numpy": [], "tapeflow": []}
    for _ in range(repeats):  # interleaved, so both see the same machine load
        for name, fn in (("numpy", numpy_version), ("tapeflow", tapeflow_version)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    best = {k: min(v) for k, v in times.items()}
    median = {k: float(np.median(v)) for k, v in times.items()}
    print(
        f"conv2d forward+backward, 32x28x28x16 * 3x3x16x32 SAME: NumPy {best['numpy'] * 1e3:.1f} "
        f"ms, tapeflow {best['tapeflow'] * 1e3:.1f} ms (best of {repeats}); ratio "
        f"{best['tapeflow'] / best['numpy']:.2f} best, "
        f"{median['tapeflow'] / median['numpy']:.2f} median"
    )


if __name__ == "__main__":
    _time_ratio()
