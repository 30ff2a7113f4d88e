"""A hand-written NumPy conv2d (NHWC, HWIO) and its backward: the yardstick for tapeflow's.

`conv2d_numpy_reference` is what a careful NumPy programmer writes: im2col through a strided
view and one matmul, keeping the columns for the backward pass, which is two matmuls and a
col2im scatter (one strided add per kernel position). The benchmark suite times tapeflow's
`tf.nn.conv2d` forward + backward against it; `test_conv_reference.py` checks it is right.
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
