"""Comparing a case's results with the JSON the oracle recorded for the same case (the Keras,
Keras-fit and checkpoint fixtures all encode values this way: strings, bools, ints and None as
they are; lists; dicts; tensors and floats as {"dtype", "shape", "value"})."""

from typing import Any

import numpy as np


def compare(got: Any, want: Any, where: str, rtol: float = 2e-6, atol: float = 2e-6) -> None:
    if isinstance(want, dict) and "dtype" not in want:
        assert isinstance(got, dict) and list(got) == list(want), f"{where}: {got!r}"
        for k in want:
            compare(got[k], want[k], f"{where}.{k}", rtol, atol)
        return
    if want is None or isinstance(want, (str, bool)):
        assert got == want, f"{where}: tapeflow {got!r}, TF {want!r}"
        return
    if isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{where}: {got!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            compare(g, w, f"{where}[{i}]", rtol, atol)
        return
    if isinstance(want, int):
        assert not isinstance(got, bool) and got == want, f"{where}: tapeflow {got!r}, TF {want}"
        return
    if isinstance(want, float):
        assert isinstance(got, (int, float, np.floating)), f"{where}: {got!r}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)
        return
    arr = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
    assert arr.dtype.name == want["dtype"], f"{where}: dtype {arr.dtype} vs TF {want['dtype']}"
    assert list(arr.shape) == want["shape"], f"{where}: shape {arr.shape} vs TF {want['shape']}"
    np.testing.assert_allclose(arr, np.asarray(want["value"]), rtol=rtol, atol=atol, err_msg=where)
