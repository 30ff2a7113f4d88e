"""The preprocessing layers of TF's text and structured-data tutorials, as Keras 3.15 defines
them: `TextVectorization`, `StringLookup`, `IntegerLookup` and `CategoryEncoding`.

They run on NumPy (strings as UTF-8 bytes), so they work eagerly, inside `Dataset.map` and as
a model's first layer. `adapt` orders the vocabulary as Keras does: by count, most frequent
first, ties by the token in descending (byte) order; the mask and OOV tokens come first.
`Hashing`, and out-of-vocabulary strings with more than one OOV index, use FarmHash's
Fingerprint64 as TF's `to_hash_bucket_fast` (farmhash.py); out-of-vocabulary integers use
Keras's `floormod`. A salted (SipHash) `Hashing` is not supported.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np

from tapeflow.keras.layers import Layer
from tapeflow.ops import strings as _strings
from tapeflow.ops.farmhash import hash_bucket_fast
from tapeflow.tensor import Tensor, constant, convert_to_tensor

__all__ = ["CategoryEncoding", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization"]

# Keras's DEFAULT_STRIP_REGEX
_STRIP = re.compile(rb"[!\"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~']")
_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _values(data: Any) -> np.ndarray:
    """A NumPy array of `data` (a tensor, array, list or ragged tensor)."""
    if hasattr(data, "to_list") and not isinstance(data, Tensor):
        return np.asarray(data.to_list(), dtype=object)
    if isinstance(data, Tensor):
        return np.asarray(data._value)
    return np.asarray(convert_to_tensor(data)._value)


def _as_bytes(v: Any) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


def _batches(data: Any) -> list[Any]:
    """`data` as a list of batches (a dataset's elements, or the whole of anything else)."""
    if hasattr(data, "as_numpy_iterator"):
        return list(data)
    return [data]


def _encode(
    ids: np.ndarray, depth: int, mode: str, weights: np.ndarray | None = None
) -> np.ndarray:
    """Keras's encode_categorical_inputs for one_hot / multi_hot / count / tf_idf."""
    if mode == "one_hot":
        if ids.ndim and ids.shape[-1] == 1:
            ids = ids[..., 0]
        out = np.zeros((*ids.shape, depth), np.float32)
        np.put_along_axis(out, ids[..., None].astype(np.int64), 1.0, axis=-1)
        return out
    if ids.ndim == 0:
        ids = ids[None]
    single = ids.ndim == 1  # Keras: a 1-D input is one sample, encoded as one vector
    rows = ids[None] if single else ids
    if weights is not None and single:
        weights = np.asarray(weights)[None]
    out = np.zeros((rows.shape[0], depth), np.float32)
    for i, row in enumerate(rows):
        w = None if weights is None else np.asarray(weights[i], np.float32)
        np.add.at(out[i], row.astype(np.int64), 1.0 if w is None else w)
    if mode == "multi_hot":
        out = (out > 0).astype(np.float32)
    return out[0] if single else out


class _IndexLookup(Layer):
    """Keras's IndexLookup: tokens to indices in a vocabulary laid out as [mask] + OOV + vocab."""

    _string = True

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: Any = None,
        oov_token: Any = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("oov_method", None)
        kwargs.pop("salt", None)
        kwargs.pop("vocabulary_dtype", None)
        kwargs.pop("encoding", None)
        super().__init__(**kwargs)
        if output_mode not in _MODES:
            raise ValueError(f"Unknown `output_mode`: {output_mode}")
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise NotImplementedError("sparse outputs are not supported")
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = invert
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.input_vocabulary = None if vocabulary is None else list(vocabulary)
        self.input_idf_weights = None if idf_weights is None else list(idf_weights)
        self._tokens: list[Any] = []
        self._idf: np.ndarray | None = None
        self._index: dict[Any, int] = {}
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # -- vocabulary ---------------------------------------------------------------------------

    def _key(self, token: Any) -> Any:
        return _as_bytes(token) if self._string else int(token)

    def _token_start(self) -> int:
        return (0 if self.mask_token is None else 1) + self.num_oov_indices

    def _special(self) -> list[Any]:
        head = [] if self.mask_token is None else [self.mask_token]
        return head + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        tokens = [self._key(t) for t in _values(vocabulary).reshape(-1).tolist()]
        start = self._token_start()
        special = [self._key(t) for t in self._special()]
        if tokens[:start] == special:  # the vocabulary includes the mask and OOV tokens
            tokens = tokens[start:]
            if idf_weights is not None:
                idf_weights = list(idf_weights)[start:]
        self._set(tokens, None if idf_weights is None else np.asarray(idf_weights, np.float32))

    def _set(self, tokens: list[Any], idf: np.ndarray | None) -> None:
        self._tokens = tokens
        start = self._token_start()
        self._index = {t: i + start for i, t in enumerate(tokens)}
        if self.output_mode == "tf_idf":
            if idf is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            idf = np.asarray(idf, np.float32)
            mean = np.float32(idf.mean()) if idf.size else np.float32(0)
            idf = np.concatenate([np.full(start, mean, np.float32), idf])
            self._idf = idf
        else:
            self._idf = None

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        tokens = [t.decode("utf-8", "replace") if isinstance(t, bytes) else t for t in self._tokens]
        return (self._special() if include_special_tokens else []) + tokens

    def vocabulary_size(self) -> int:
        return self._token_start() + len(self._tokens)

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return int(self.max_tokens)
        return self.vocabulary_size()

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        counts: Counter[Any] = Counter()
        documents: Counter[Any] = Counter()
        n_docs = 0
        for batch in _batches(data):
            rows = self._adapt_rows(batch)
            for row in rows:
                keys = [self._key(t) for t in row]
                counts.update(keys)
                documents.update(set(keys))
            n_docs += len(rows)
        self._finalize(counts, documents, n_docs)

    def _adapt_rows(self, batch: Any) -> list[list[Any]]:
        values = _values(batch)
        if values.ndim <= 1:
            return [[v] for v in values.reshape(-1).tolist()]
        return [list(r) for r in values.reshape(values.shape[0], -1).tolist()]

    def _finalize(self, counts: Counter[Any], documents: Counter[Any], n_docs: int) -> None:
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        # Keras: np.lexsort((tokens, counts))[::-1], counts descending, ties by token descending
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            tokens = tokens[: max(int(self.max_tokens) - self._token_start(), 0)]
        idf = None
        if self.output_mode == "tf_idf":
            df = np.array([documents[t] for t in tokens], np.float64)
            idf = np.log(1.0 + n_docs / (1.0 + df)).astype(np.float32)
        self._set(tokens, idf)

    # -- lookup -------------------------------------------------------------------------------

    def _lookup(self, values: np.ndarray) -> np.ndarray:
        """Indices of a NumPy array of tokens."""
        flat = values.reshape(-1).tolist()
        out = np.empty(len(flat), np.int64)
        mask = None if self.mask_token is None else self._key(self.mask_token)
        start = 0 if self.mask_token is None else 1
        index = self._index
        for i, v in enumerate(flat):
            key = self._key(v)
            found = index.get(key)
            if found is not None:
                out[i] = found
            elif mask is not None and key == mask:
                out[i] = 0
            elif self.num_oov_indices == 1:
                out[i] = start
            elif self.num_oov_indices == 0:
                raise ValueError(f"Out-of-vocabulary token {v!r} with num_oov_indices=0")
            elif self._string:  # tf.strings.to_hash_bucket_fast
                out[i] = start + hash_bucket_fast(key, self.num_oov_indices)
            else:
                out[i] = start + key % self.num_oov_indices
        return out.reshape(values.shape)

    def _invert(self, values: np.ndarray) -> np.ndarray:
        vocab = [self._key(t) for t in self._special()] + list(self._tokens)
        oov = self._key(self.oov_token)
        flat = [vocab[i] if 0 <= i < len(vocab) else oov for i in values.reshape(-1).tolist()]
        if self._string:
            return np.array(flat, dtype=object).reshape(values.shape)
        return np.array(flat, np.int64).reshape(values.shape)

    def _output(self, ids: np.ndarray, counts_of: Any = None) -> Tensor:
        if self.output_mode == "int":
            return constant(ids)
        out = _encode(
            ids, self._depth(), "count" if self.output_mode == "tf_idf" else self.output_mode
        )
        if self.output_mode == "tf_idf":
            idf = np.zeros(out.shape[-1], np.float32)
            learnt = self._idf if self._idf is not None else np.zeros(0, np.float32)
            n = min(len(learnt), len(idf))  # (zeros before adapt, as Keras's initial weights)
            idf[:n] = learnt[:n]
            return constant(out * idf)
        return constant(out.astype(np.int64))  # Keras's lookup layers count in int64

    def call(self, inputs: Any) -> Any:
        values = _values(inputs)
        if self.invert:
            return constant(self._invert(values.astype(np.int64)))
        if not self._string and values.dtype.kind not in "iu":
            values = values.astype(np.int64)
        return self._output(self._lookup(values))

    def _asset_files(self) -> dict[str, bytes]:
        """Keras's save_assets: an adapted vocabulary as vocabulary.txt (one token a line,
        special tokens included); tapeflow adds the tf-idf weights as idf_weights.txt."""
        if self.input_vocabulary is not None:
            return {}  # in the config
        files = {"vocabulary.txt": "\n".join(str(w) for w in self.get_vocabulary()).encode()}
        if self._idf is not None:
            files["idf_weights.txt"] = "\n".join(repr(float(w)) for w in self._idf).encode()
        return files

    def _load_asset_files(self, files: dict[str, bytes]) -> None:
        if self.input_vocabulary is not None or "vocabulary.txt" not in files:
            return
        lines = files["vocabulary.txt"].decode("utf-8").split("\n")
        values: list[Any] = lines if self._string else [int(v) for v in lines]
        idf = None
        if "idf_weights.txt" in files:
            idf = [float(v) for v in files["idf_weights.txt"].decode().split("\n")]
        self.set_vocabulary(values, idf)

    def _config_head(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
        }


class StringLookup(_IndexLookup):
    """Strings to integer indices (or one/multi-hot, count, tf-idf vectors), as Keras 3.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.StringLookup(vocabulary=["a", "b"])
    >>> print(layer(tf.constant(["b", "z"])))
    tf.Tensor([2 0], shape=(2,), dtype=int64)
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **self._config_head(),
            "idf_weights": self.input_idf_weights,
            "vocabulary": self.input_vocabulary,
            "vocabulary_size": self.vocabulary_size(),
            "oov_method": "floormod",
            "salt": None,
            "encoding": self.encoding,
        }


class IntegerLookup(_IndexLookup):
    """Integers to indices in a vocabulary (or one/multi-hot, count, tf-idf vectors), as
    Keras 3; out-of-vocabulary integers go to OOV index `value % num_oov_indices`.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.IntegerLookup(vocabulary=[12, 36])
    >>> print(layer(tf.constant([36, 5])))
    tf.Tensor([2 0], shape=(2,), dtype=int64)
    """

    _string = False

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        output_mode: str = "int",
        sparse: bool = False,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        pad_to_max_tokens: bool = False,
        **kwargs: Any,
    ) -> None:
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **self._config_head(),
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": self.input_idf_weights,
            "vocabulary": self.input_vocabulary,
            "vocabulary_size": self.vocabulary_size(),
            "oov_method": "floormod",
            "salt": None,
        }


class CategoryEncoding(Layer):
    """Integer categories in [0, num_tokens) as one-hot, multi-hot or count vectors.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.CategoryEncoding(num_tokens=3, output_mode="count")
    >>> print(layer(tf.constant([[0, 2, 2]])))
    tf.Tensor([[1. 0. 2.]], shape=(1, 3), dtype=float32)
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode not in ("one_hot", "multi_hot", "count"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer.")
        if sparse:
            raise NotImplementedError("sparse outputs are not supported")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        ids = np.asarray(_values(inputs)).astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            raise ValueError(
                "Input values must be in the range 0 <= values < num_tokens with "
                f"num_tokens={self.num_tokens}"
            )
        weights = None if count_weights is None else _values(count_weights)
        return constant(_encode(ids, int(self.num_tokens), self.output_mode, weights))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }


class Hashing(Layer):
    """Values hashed into `num_bins` bins by FarmHash Fingerprint64, as Keras 3's Hashing
    (integers are hashed as their decimal strings, floats cast to int64 first; with
    `mask_value`, bin 0 is the mask's and the rest take the hashes).

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.Hashing(num_bins=3)
    >>> print(layer(tf.constant([["A"], ["B"], ["C"], ["D"], ["E"]])))
    tf.Tensor(
    [[1]
     [0]
     [1]
     [1]
     [2]], shape=(5, 1), dtype=int64)
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Unknown `output_mode`: {output_mode}")
        if salt is not None:
            raise NotImplementedError("a salted Hashing (TF's SipHash) is not supported")
        if sparse:
            raise NotImplementedError("sparse outputs are not supported")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def call(self, inputs: Any) -> Any:
        values = _values(inputs)
        bins = int(self.num_bins)
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            if values.dtype == object:
                mask = values == _as_bytes(self.mask_value)
            else:
                mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        flat = values.reshape(-1).tolist()
        keys = [_as_bytes(v) if values.dtype == object else str(int(v)).encode() for v in flat]
        ids = np.array([hash_bucket_fast(k, bins) for k in keys], np.int64).reshape(values.shape)
        if mask is not None:
            ids = np.where(mask, 0, ids + 1)
        if self.output_mode == "int":
            return constant(ids)
        return constant(_encode(ids, int(self.num_bins), self.output_mode))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


# -- TextVectorization ------------------------------------------------------------------------


def _standardize_bytes(s: bytes, mode: str) -> bytes:
    if mode in ("lower", "lower_and_strip_punctuation"):
        s = s.lower()  # tf.strings.lower: ASCII letters only
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        s = _STRIP.sub(b"", s)
    return s


def _ngrams(tokens: list[bytes], widths: tuple[int, ...]) -> list[bytes]:
    """tf.strings.ngrams(separator=" "): every n-gram of each width, width by width."""
    out: list[bytes] = []
    for n in widths:
        out.extend(b" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class TextVectorization(Layer):
    """Strings to token indices (or multi-hot, count, tf-idf vectors), as Keras 3:
    standardize, split, n-grams, then a StringLookup learnt by `adapt`.

    >>> import tapeflow as tf
    >>> layer = tf.keras.layers.TextVectorization()
    >>> layer.adapt(["The cat.", "the dog"])
    >>> layer.get_vocabulary()
    ['', '[UNK]', 'the', 'dog', 'cat']
    >>> print(layer(tf.constant(["the bird", "dog"])))
    tf.Tensor(
    [[2 1]
     [3 0]], shape=(2, 2), dtype=int64)
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: Any = "lower_and_strip_punctuation",
        split: Any = "whitespace",
        ngrams: Any = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"Unknown `output_mode`: {output_mode}")
        if ragged or sparse:
            raise NotImplementedError("ragged and sparse outputs are not supported")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if isinstance(ngrams, int) and not isinstance(ngrams, bool) and ngrams < 1:
            raise ValueError(f"`ngrams` must be a positive integer. Received: ngrams={ngrams}")
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = pad_to_max_tokens
        self.sparse, self.ragged, self.encoding = sparse, ragged, encoding
        self.input_vocabulary = None if vocabulary is None else list(vocabulary)
        self.input_idf_weights = None if idf_weights is None else list(idf_weights)
        if ngrams is None:
            self._widths: tuple[int, ...] = ()
        elif isinstance(ngrams, int):
            self._widths = tuple(range(1, ngrams + 1))
        else:
            self._widths = tuple(ngrams)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            mask_token="" if output_mode == "int" else None,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            name=f"{self.name}_string_lookup",
        )
        self.built = True

    # -- the text pipeline --------------------------------------------------------------------

    def _standardize(self, values: np.ndarray) -> np.ndarray:
        mode = self.standardize
        if mode is None:
            return values
        if callable(mode):
            return _values(mode(constant(values)))
        if mode not in ("lower", "strip_punctuation", "lower_and_strip_punctuation"):
            raise ValueError(f"Unsupported `standardize`: {mode}")
        flat = [_standardize_bytes(_as_bytes(v), mode) for v in values.reshape(-1).tolist()]
        return np.array(flat, dtype=object).reshape(values.shape)

    def _split(self, values: np.ndarray) -> list[list[bytes]]:
        """The tokens of each string of the 1-D `values`."""
        if callable(self.split):
            pieces = self.split(constant(values))
            rows = pieces.to_list() if hasattr(pieces, "to_list") else _values(pieces).tolist()
            return [[_as_bytes(t) for t in row] for row in rows]
        if self.split == "whitespace":
            return [_strings._split_whitespace(_as_bytes(v), -1) for v in values.tolist()]
        if self.split == "character":
            return [
                [c.encode("utf-8") for c in _as_bytes(v).decode("utf-8")] for v in values.tolist()
            ]
        raise ValueError(f"Unsupported `split`: {self.split}")

    def _tokens(self, inputs: Any) -> tuple[list[list[bytes]] | np.ndarray, bool]:
        """The token rows of `inputs` (or, with split=None, the standardized strings), and
        whether the input was a scalar."""
        values = _values(inputs)
        scalar = values.ndim == 0
        if scalar:
            values = values.reshape(1)
        values = self._standardize(values)
        if self.split is None:
            if self._widths:
                rows = [[_as_bytes(v)] for v in values.reshape(-1).tolist()]
                return [_ngrams(r, self._widths) for r in rows], scalar
            return values, scalar
        if values.ndim > 1:
            if values.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    "be 1 or the last shape dimension must be 1. Received: "
                    f"inputs.shape={values.shape} with rank={values.ndim}"
                )
            values = values.reshape(values.shape[:-1])
        rows = self._split(values.reshape(-1))
        if self._widths:
            rows = [_ngrams(r, self._widths) for r in rows]
        return rows, scalar

    def adapt(self, data: Any, batch_size: Any = None, steps: Any = None) -> None:
        counts: Counter[Any] = Counter()
        documents: Counter[Any] = Counter()
        n_docs = 0
        for batch in _batches(data):
            tokens, _ = self._tokens(batch)
            rows = (
                [[t] for t in tokens.reshape(-1).tolist()]
                if isinstance(tokens, np.ndarray)
                else tokens
            )
            for row in rows:
                keys = [_as_bytes(t) for t in row]
                counts.update(keys)
                documents.update(set(keys))
            n_docs += len(rows)
        self._lookup_layer._finalize(counts, documents, n_docs)

    def call(self, inputs: Any) -> Any:
        tokens, scalar = self._tokens(inputs)
        lookup = self._lookup_layer
        if isinstance(tokens, np.ndarray):  # no split: one token per string
            ids = lookup._lookup(tokens)
            if self.output_mode == "int":
                return constant(ids[0] if scalar else ids)
            return lookup._output(ids)
        rows = [lookup._lookup(np.array(r, dtype=object)) for r in tokens]
        if self.output_mode == "int":
            width = self.output_sequence_length
            if width is None:
                width = max((len(r) for r in rows), default=0)
            ids = np.zeros((len(rows), width), np.int64)
            for i, r in enumerate(rows):
                kept = r[:width]
                ids[i, : len(kept)] = kept
            return constant(ids[0] if scalar else ids)
        depth = lookup._depth()
        counts = np.zeros((len(rows), depth), np.float32)
        for i, r in enumerate(rows):
            np.add.at(counts[i], r, 1.0)
        result: np.ndarray
        if self.output_mode == "multi_hot":
            result = (counts > 0).astype(np.int64)
        elif self.output_mode == "tf_idf":
            learnt = lookup._idf if lookup._idf is not None else np.zeros(0, np.float32)
            idf = np.zeros(depth, np.float32)
            n = min(len(learnt), depth)
            idf[:n] = learnt[:n]
            result = counts * idf
        else:
            result = counts.astype(np.int64)
        return constant(result[0] if scalar else result)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def _asset_files(self) -> dict[str, bytes]:
        return self._lookup_layer._asset_files()

    def _load_asset_files(self, files: dict[str, bytes]) -> None:
        self._lookup_layer._load_asset_files(files)

    def get_config(self) -> dict[str, Any]:
        def name_of(v: Any) -> Any:
            return v if v is None or isinstance(v, str) else getattr(v, "__name__", v)

        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "standardize": name_of(self.standardize),
            "split": name_of(self.split),
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "vocabulary": self.input_vocabulary,
            "idf_weights": self.input_idf_weights,
            "encoding": self.encoding,
            "vocabulary_size": self.vocabulary_size(),
        }
