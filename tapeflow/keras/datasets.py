"""tf.keras.datasets (mnist, fashion_mnist, boston_housing) and tf.keras.utils.get_file: the
files Keras downloads, from the same addresses, into the same cache (`$KERAS_HOME`, else
`~/.keras`, under `datasets/`), checked by the same hashes, loaded into the same arrays.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import types
import urllib.parse
import urllib.request
from typing import Any

import numpy as np

__all__ = ["get_file", "mnist", "fashion_mnist", "boston_housing"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# Keras's sha256 of each file: a cached file that does not match is downloaded again
HASHES = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "boston_housing.npz": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
}


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """The local path of `origin`'s file, downloaded into the Keras cache unless a copy with
    the right sha256 `file_hash` is already there."""
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    directory = os.path.join(os.path.expanduser(cache_dir), cache_subdir)
    os.makedirs(directory, exist_ok=True)
    name = fname or os.path.basename(urllib.parse.urlsplit(origin).path)
    if os.sep in name:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={name}"
        )
    target = os.path.join(directory, name)
    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and _sha256(target) != file_hash:
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"sha256 file hash does not match the original value of {file_hash} so we will "
            "re-download the data."
        )
        download = True
    if download:
        print(f"Downloading data from {origin}")
        partial = target + ".part"
        try:
            urllib.request.urlretrieve(origin, partial)
        except Exception as e:
            if os.path.exists(partial):
                os.remove(partial)
            raise Exception(f"URL fetch failure on {origin}: {e}") from e
        os.replace(partial, target)
        if file_hash is not None and _sha256(target) != file_hash:
            raise ValueError(
                f"Incomplete or corrupted file detected. The sha256 file hash does not match "
                f"the provided value of {file_hash}."
            )
    return target


def _mnist_load_data(path: str = "mnist.npz") -> Any:
    """(x_train, y_train), (x_test, y_test) of MNIST: uint8 28x28 images and labels."""
    local = get_file(path, origin=f"{_ORIGIN}mnist.npz", file_hash=HASHES["mnist.npz"])
    with np.load(local, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _fashion_mnist_load_data() -> Any:
    """(x_train, y_train), (x_test, y_test) of Fashion-MNIST, from its four gzip'd IDX files."""
    names = [
        "train-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
    ]
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(n, origin=_ORIGIN + n, cache_subdir=subdir) for n in names]
    arrays = []
    for labels, images in ((paths[0], paths[1]), (paths[2], paths[3])):
        with gzip.open(labels, "rb") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        with gzip.open(images, "rb") as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y), 28, 28)
        arrays.append((x, y))
    return arrays[0], arrays[1]


def _boston_housing_load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> Any:
    """The Boston housing prices, shuffled with NumPy's RandomState(seed) as Keras does and
    split at `1 - test_split`."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    local = get_file(
        path, origin=f"{_ORIGIN}boston_housing.npz", file_hash=HASHES["boston_housing.npz"]
    )
    with np.load(local, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def _dataset(name: str, load_data: Any) -> types.ModuleType:
    module = types.ModuleType(f"tapeflow.keras.datasets.{name}")
    module.load_data = load_data  # type: ignore[attr-defined]
    return module


mnist = _dataset("mnist", _mnist_load_data)
fashion_mnist = _dataset("fashion_mnist", _fashion_mnist_load_data)
boston_housing = _dataset("boston_housing", _boston_housing_load_data)
