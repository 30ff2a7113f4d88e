"""tf.keras.datasets and utils.get_file, offline: files placed in a temporary Keras cache (or
fetched from a file:// address) load into the arrays Keras's loaders return. The real files'
hashes are Keras's (tapeflow/keras/datasets.py); here they are replaced by the fakes'."""

import gzip
import hashlib

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras import datasets


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path / "datasets"


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_get_file_downloads_once_and_checks_the_hash(cache, tmp_path, capsys):
    source = tmp_path / "source.bin"
    source.write_bytes(b"tapeflow")
    origin = source.as_uri()
    path = tf.keras.utils.get_file("data.bin", origin=origin, file_hash=_sha256(source))
    assert open(path, "rb").read() == b"tapeflow"
    assert capsys.readouterr().out == f"Downloading data from {origin}\n"
    tf.keras.utils.get_file("data.bin", origin=origin, file_hash=_sha256(source))
    assert capsys.readouterr().out == ""  # cached and valid: no download
    (cache / "data.bin").write_bytes(b"stale")
    tf.keras.utils.get_file("data.bin", origin=origin, file_hash=_sha256(source))
    assert "re-download" in capsys.readouterr().out
    assert (cache / "data.bin").read_bytes() == b"tapeflow"
    with pytest.raises(ValueError, match="corrupted"):
        tf.keras.utils.get_file("other.bin", origin=origin, file_hash="0" * 64)
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        tf.keras.utils.get_file("a/b.bin", origin=origin)
    with pytest.raises(Exception, match="URL fetch failure"):
        tf.keras.utils.get_file("missing.bin", origin=(tmp_path / "nope").as_uri())


def test_mnist_loads_the_cached_npz(cache, monkeypatch):
    arrays = {
        "x_train": np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28),
        "y_train": np.array([3, 7], np.uint8),
        "x_test": np.zeros((1, 28, 28), np.uint8),
        "y_test": np.array([1], np.uint8),
    }
    np.savez(cache / "mnist.npz", **arrays)
    monkeypatch.setitem(datasets.HASHES, "mnist.npz", _sha256(cache / "mnist.npz"))
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert y_train.tolist() == [3, 7] and x_test.shape == (1, 28, 28) and y_test.tolist() == [1]


def test_fashion_mnist_reads_the_idx_files(cache):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    for split, n in (("train", 3), ("t10k", 1)):
        with gzip.open(folder / f"{split}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + bytes(range(n)))
        with gzip.open(folder / f"{split}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images[:n].tobytes())
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    assert y_train.tolist() == [0, 1, 2] and y_test.tolist() == [0]
    np.testing.assert_array_equal(x_test, images[:1])


def test_boston_housing_shuffles_and_splits_as_keras(cache, monkeypatch):
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10, dtype=np.float64)
    np.savez(cache / "boston_housing.npz", x=x, y=y)
    monkeypatch.setitem(
        datasets.HASHES, "boston_housing.npz", _sha256(cache / "boston_housing.npz")
    )
    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.boston_housing.load_data()
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)  # Keras's shuffle, then the first 80% train
    assert y_train.tolist() == order[:8].tolist() and y_test.tolist() == order[8:].tolist()
    np.testing.assert_array_equal(x_train, x[order[:8]])
    np.testing.assert_array_equal(x_test, x[order[8:]])
    with pytest.raises(ValueError, match="test_split"):
        tf.keras.datasets.boston_housing.load_data(test_split=1.0)
