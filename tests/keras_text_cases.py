"""Keras's text and structured-data preprocessing layers (TextVectorization, StringLookup,
IntegerLookup, CategoryEncoding) run under real TF (fixtures/make_keras_text_fixtures.py) and
under tapeflow (test_keras_text.py). Each case takes the module as `tf` and returns named
results: vocabularies as lists of str, outputs as tensors (string outputs as lists of str).
"""

import numpy as np

CORPUS = [
    "The cat sat on the mat.",
    "the dog, the CAT!",
    "A dog's life: bark bark bark",
    "  spaces   and\ttabs\nnewline ",
    "Ünïcode café CAFÉ naïve",
    "",
    "b a c b a c z",
]
QUERIES = ["the cat and the zebra", "Café? bark!", "", "unseen words only"]


def _strs(t):
    return [s.decode("utf-8") if isinstance(s, bytes) else s for s in np.ravel(t.numpy())]


def _tv(tf, data=CORPUS, queries=QUERIES, adapt_as="list", **kwargs):
    layer = tf.keras.layers.TextVectorization(**kwargs)
    if adapt_as == "list":
        layer.adapt(data)
    elif adapt_as == "array":
        layer.adapt(np.array(data))
    elif adapt_as == "tensor":
        layer.adapt(tf.constant(data))
    elif adapt_as == "dataset":
        layer.adapt(tf.data.Dataset.from_tensor_slices(data).batch(3))
    elif adapt_as == "unbatched":
        layer.adapt(tf.data.Dataset.from_tensor_slices(data))
    return {
        "vocab": list(layer.get_vocabulary()),
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant(queries)),
        "out_col": layer(tf.constant([[q] for q in queries])),
    }


def _config(layer, keys):
    config = layer.get_config()
    out = {}
    for k in keys:
        v = config[k]
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def _full_config(layer):
    """The config without the dtype policy, tuples as lists."""
    config = {k: v for k, v in layer.get_config().items() if k != "dtype"}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}


TV_KEYS = [
    "max_tokens",
    "standardize",
    "split",
    "ngrams",
    "output_mode",
    "output_sequence_length",
    "pad_to_max_tokens",
    "sparse",
    "ragged",
    "vocabulary_size",
    "encoding",
    "idf_weights",
]


def tv_default(tf):
    return _tv(tf)


def tv_dataset_batched(tf):
    return _tv(tf, adapt_as="dataset")


def tv_dataset_unbatched(tf):
    return _tv(tf, adapt_as="unbatched")


def tv_array_and_tensor(tf):
    return {"array": _tv(tf, adapt_as="array"), "tensor": _tv(tf, adapt_as="tensor")}


def tv_max_tokens_ties(tf):
    data = ["d c b a", "a b c d", "e e f f g", "g h"]
    return _tv(tf, data=data, queries=["a b c d e f g h x"], max_tokens=6)


def tv_sequence_length(tf):
    return {
        "pad": _tv(tf, output_sequence_length=8),
        "cut": _tv(tf, output_sequence_length=2),
    }


def tv_lower(tf):
    return _tv(tf, standardize="lower")


def tv_strip(tf):
    return _tv(tf, standardize="strip_punctuation")


def tv_no_standardize(tf):
    return _tv(tf, standardize=None)


def tv_callable(tf):
    def standardize(x):
        return tf.strings.regex_replace(tf.strings.lower(x), "[aeiou]", "")

    return _tv(tf, standardize=standardize)


def tv_split_callable(tf):
    return _tv(tf, split=lambda x: tf.strings.split(x, sep="a"))


def tv_no_split(tf):
    data = ["red", "green", "blue", "red", "Red!"]
    return _tv(tf, data=data, queries=["red", "blue", "pink", ""], split=None)


def tv_ngrams(tf):
    return {
        "two": _tv(tf, ngrams=2),
        "tuple": _tv(tf, ngrams=(2, 3), output_sequence_length=6),
    }


def tv_multi_hot(tf):
    return _tv(tf, output_mode="multi_hot")


def tv_count(tf):
    return _tv(tf, output_mode="count", max_tokens=8)


def tv_count_padded(tf):
    return _tv(tf, output_mode="count", max_tokens=30, pad_to_max_tokens=True)


def tv_tf_idf(tf):
    layer = tf.keras.layers.TextVectorization(output_mode="tf_idf")
    layer.adapt(CORPUS)
    return {
        "vocab": list(layer.get_vocabulary()),
        "out": layer(tf.constant(QUERIES)),
        "idf": layer.idf_weights if hasattr(layer, "idf_weights") else None,
    }


def tv_tf_idf_max_tokens(tf):
    return _tv(tf, output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True)


def tv_given_vocabulary(tf):
    layer = tf.keras.layers.TextVectorization(vocabulary=["the", "cat", "bark", "café"])
    return {
        "vocab": list(layer.get_vocabulary()),
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant(QUERIES)),
        "config": _config(layer, TV_KEYS[:-2]),
    }


def tv_given_tf_idf(tf):
    layer = tf.keras.layers.TextVectorization(
        output_mode="tf_idf", vocabulary=["the", "cat", "bark"], idf_weights=[0.5, 1.0, 2.0]
    )
    return {"vocab": list(layer.get_vocabulary()), "out": layer(tf.constant(QUERIES))}


def tv_config(tf):
    layer = tf.keras.layers.TextVectorization(
        max_tokens=20, ngrams=2, output_mode="int", output_sequence_length=5, name="tv_cfg"
    )
    layer.adapt(CORPUS)
    return {"config": _full_config(layer)}


def tv_dataset_map(tf):
    layer = tf.keras.layers.TextVectorization(output_sequence_length=5)
    layer.adapt(CORPUS)
    # the tutorials' lambda form, as written there
    ds = tf.data.Dataset.from_tensor_slices(QUERIES).batch(2).map(lambda x: layer(x))  # noqa: PLW0108
    unbatched = tf.data.Dataset.from_tensor_slices(QUERIES[:2]).map(lambda x: layer(x))  # noqa: PLW0108
    ds_xy = tf.data.Dataset.from_tensor_slices((QUERIES, [0, 1, 0, 1])).batch(4)
    pairs = ds_xy.map(lambda x, y: (layer(x), y))
    return {
        "batched": [b for b in ds],
        "unbatched": [b for b in unbatched],
        "pairs": [list(p) for p in pairs],
    }


def tv_model_first_layer(tf):
    layer = tf.keras.layers.TextVectorization(output_mode="int", output_sequence_length=6)
    layer.adapt(CORPUS)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(1,), dtype="string"),
            layer,
            tf.keras.layers.Embedding(layer.vocabulary_size(), 3, name="tx_emb"),
            tf.keras.layers.GlobalAveragePooling1D(),
            tf.keras.layers.Dense(1, name="tx_dense"),
        ]
    )
    weights = [
        (np.cos(np.arange(w.size) * 0.7 + i) * 0.5).reshape(w.shape).astype(np.float32)
        for i, w in enumerate(model.get_weights())
    ]
    model.set_weights(weights)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="mse")
    x = tf.constant([[s] for s in CORPUS + QUERIES])
    y = np.linspace(-1.0, 1.0, len(CORPUS + QUERIES)).astype(np.float32).reshape(-1, 1)
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return {
        "losses": [float(v) for v in history.history["loss"]],
        "pred": model.predict(x, verbose=0),
        "weights": model.get_weights(),
    }


# -- StringLookup, IntegerLookup, CategoryEncoding ---------------------------------------------

WORDS = ["b", "a", "c", "b", "a", "b", "d", "e", "e", ""]


def sl_adapt(tf):
    layer = tf.keras.layers.StringLookup()
    layer.adapt(WORDS)
    return {
        "vocab": list(layer.get_vocabulary()),
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant([["a", "z", "b"], ["", "e", "q"]])),
    }


def sl_vocab_mask(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["x", "y", "z"], mask_token="")
    return {
        "vocab": list(layer.get_vocabulary()),
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant(["y", "", "q", "x", "zz"])),
    }


def sl_two_oov(tf):
    layer = tf.keras.layers.StringLookup(
        vocabulary=["x", "y", "z"], mask_token="", num_oov_indices=2
    )
    return {
        "vocab": list(layer.get_vocabulary()),
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant(["y", "", "z", "x", "q", "zz", "[UNK]", "café", "long" * 20])),
    }


def il_two_oov(tf):
    layer = tf.keras.layers.IntegerLookup(vocabulary=[10, 20], num_oov_indices=3)
    return {
        "vocab": [int(v) for v in layer.get_vocabulary()],
        "out": layer(tf.constant([20, 7, 8, 9, 10, -4])),
    }


def sl_max_tokens(tf):
    layer = tf.keras.layers.StringLookup(max_tokens=4)
    layer.adapt(tf.data.Dataset.from_tensor_slices(WORDS).batch(4))
    return {"vocab": list(layer.get_vocabulary()), "out": layer(tf.constant(["e", "b", "c"]))}


def sl_invert(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["x", "y", "z"])
    inv = tf.keras.layers.StringLookup(vocabulary=["x", "y", "z"], invert=True)
    ids = layer(tf.constant(["z", "q", "x"]))
    return {"ids": ids, "back": _strs(inv(ids)), "vocab": list(inv.get_vocabulary())}


def sl_modes(tf):
    out = {}
    for mode in ("one_hot", "multi_hot", "count", "tf_idf"):
        kwargs = {"idf_weights": [0.5, 1.5, 2.5]} if mode == "tf_idf" else {}
        layer = tf.keras.layers.StringLookup(vocabulary=["x", "y", "z"], output_mode=mode, **kwargs)
        x = ["z", "q", "x"] if mode == "one_hot" else [["z", "x", "z"], ["q", "y", "y"]]
        out[mode] = layer(tf.constant(x))
    return out


def sl_zero_oov(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["x", "y"], num_oov_indices=0)
    return {"vocab": list(layer.get_vocabulary()), "out": layer(tf.constant(["y", "x"]))}


def sl_config(tf):
    layer = tf.keras.layers.StringLookup(vocabulary=["x", "y"], num_oov_indices=2, name="sl_cfg")
    inv = tf.keras.layers.IntegerLookup(vocabulary=[3, 4], invert=True, name="il_cfg")
    return {"string": _full_config(layer), "integer": _full_config(inv)}


NUMS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 0]


def il_adapt(tf):
    layer = tf.keras.layers.IntegerLookup()
    layer.adapt(NUMS)
    return {
        "vocab": [int(v) for v in layer.get_vocabulary()],
        "size": int(layer.vocabulary_size()),
        "out": layer(tf.constant([[5, 7, 0], [1, 3, 9]])),
    }


def il_vocab(tf):
    layer = tf.keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)
    inv = tf.keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    ids = tf.constant([[2, 4, 5], [1, 0, 3]])
    return {
        "vocab": [int(v) for v in layer.get_vocabulary()],
        "out": layer(tf.constant([[12, 1138, 0], [42, 7, 36]])),
        "inv": inv(ids),
        "inv_vocab": [int(v) for v in inv.get_vocabulary()],
    }


def il_modes(tf):
    out = {}
    for mode in ("one_hot", "multi_hot", "count"):
        layer = tf.keras.layers.IntegerLookup(vocabulary=[7, 8, 9], output_mode=mode)
        x = [9, 7, 100] if mode == "one_hot" else [[9, 9, 7], [100, 8, 8]]
        out[mode] = layer(tf.constant(x))
    return out


def ce_modes(tf):
    x = tf.constant([[0, 1], [0, 0], [1, 2], [3, 1]])
    out = {}
    for mode in ("multi_hot", "count"):
        out[mode] = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode)(x)
    out["one_hot"] = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(
        tf.constant([3, 2, 0, 1])
    )
    out["one_hot_col"] = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(
        tf.constant([[3], [2]])
    )
    out["weights"] = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")(
        x, count_weights=tf.constant([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    )
    cfg = tf.keras.layers.CategoryEncoding(num_tokens=4, output_mode="count").get_config()
    out["config"] = {k: cfg[k] for k in ("num_tokens", "output_mode")}
    return out


def hashing(tf):
    h = tf.keras.layers.Hashing
    words = tf.constant([["A"], ["B"], ["C"], ["D"], ["E"], [""], ["café"], ["x" * 70]])
    return {
        "strings": h(num_bins=3)(words),
        "many": h(num_bins=1000)(words),
        "ints": h(num_bins=5)(tf.constant([[0, 1, 2], [-7, 123456789, 42]])),
        "int64": h(num_bins=7)(tf.constant(np.array([2**40, -(2**40)], np.int64))),
        "floats": h(num_bins=5)(tf.constant([1.7, -2.2, 3.0])),
        "mask": h(num_bins=4, mask_value="")(tf.constant(["a", "", "b", "c"])),
        "mask_int": h(num_bins=4, mask_value=0)(tf.constant([[0, 1], [2, 0]])),
        "one_hot": h(num_bins=4, output_mode="one_hot")(tf.constant(["a", "b", "c"])),
        "multi_hot": h(num_bins=4, output_mode="multi_hot")(tf.constant([["a", "b"], ["c", "c"]])),
        "count": h(num_bins=4, output_mode="count")(tf.constant([["a", "b"], ["c", "c"]])),
        "config": _full_config(h(num_bins=4, mask_value=0, name="hash_cfg")),
    }


def farmhash_lengths(tf):
    """tf.strings.to_hash_bucket_fast over every length branch of Fingerprint64."""
    lengths = [*range(0, 140), 191, 192, 193, 255, 256, 257, 1000]
    strs = [bytes((i * 37 + j * 11) % 256 for j in range(n)) for i, n in enumerate(lengths)]
    return {
        "big": tf.strings.to_hash_bucket_fast(tf.constant(strs), 2**63 - 1),
        "small": tf.strings.to_hash_bucket_fast(tf.constant([["a", "b"], ["", "café"]]), 10),
    }


def structured_pipeline(tf):
    """The structured-data tutorial's pattern: lookup then encoding, inside Dataset.map."""
    lookup = tf.keras.layers.StringLookup(output_mode="one_hot")
    lookup.adapt(["dog", "cat", "dog", "bird"])
    enc = tf.keras.layers.IntegerLookup(output_mode="multi_hot", num_oov_indices=1)
    enc.adapt([1, 2, 2, 3])
    ds = tf.data.Dataset.from_tensor_slices((["cat", "fish", "dog"], [2, 3, 9])).batch(3)
    ds = ds.map(lambda a, b: (lookup(a), enc(b)))
    return {"out": [list(x) for x in ds]}


def structured_model(tf):
    """The structured-data tutorial's functional model: string and integer Inputs through
    lookup layers, concatenated with a normalized number, into Dense; fit and predict."""
    animals = ["dog", "cat", "dog", "bird", "cat", "fish"]
    ages = [1, 3, 3, 7, 2, 1]
    weights = [3.0, 1.0, 4.0, 0.5, 2.0, 0.1]
    kind = tf.keras.layers.StringLookup(output_mode="one_hot", name="sm_kind")
    kind.adapt(animals[:4])
    age = tf.keras.layers.IntegerLookup(output_mode="one_hot", name="sm_age")
    age.adapt(ages[:4])
    norm = tf.keras.layers.Normalization(axis=None, name="sm_norm")
    norm.adapt(np.array(weights, np.float32))
    a_in = tf.keras.Input(shape=(1,), name="animal", dtype="string")
    g_in = tf.keras.Input(shape=(1,), name="age", dtype="int64")
    w_in = tf.keras.Input(shape=(1,), name="weight")
    x = tf.keras.layers.Concatenate(name="sm_cat")([kind(a_in), age(g_in), norm(w_in)])
    x = tf.keras.layers.Dense(3, activation="relu", name="sm_d1")(x)
    out = tf.keras.layers.Dense(1, name="sm_d2")(x)
    model = tf.keras.Model({"animal": a_in, "age": g_in, "weight": w_in}, out)
    model.set_weights(
        [
            (np.cos(np.arange(w.size) * 0.7 + i) * 0.5).reshape(w.shape).astype(np.float32)
            for i, w in enumerate(model.get_weights())
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    data = {
        "animal": tf.constant([[a] for a in animals]),
        "age": tf.constant([[a] for a in ages], dtype="int64"),
        "weight": tf.constant([[w] for w in weights]),
    }
    y = tf.constant([[1.0], [0.0], [1.0], [0.0], [0.5], [0.2]])
    history = model.fit(data, y, batch_size=3, epochs=3, shuffle=False, verbose=0)
    return {
        "losses": [float(v) for v in history.history["loss"]],
        "pred": model.predict(data, verbose=0),
        "kind": kind(tf.constant([["cat"], ["fish"]])),
    }


def tv_character_and_multi_hot_padded(tf):
    return {
        "chars": _tv(tf, split="character", output_sequence_length=12),
        "padded": _tv(tf, output_mode="multi_hot", max_tokens=30, pad_to_max_tokens=True),
        "ngram_idf": _tv(tf, output_mode="tf_idf", ngrams=2),
    }


def tv_from_config(tf):
    layer = tf.keras.layers.TextVectorization(
        max_tokens=12, output_sequence_length=4, vocabulary=["the", "cat", "bark"]
    )
    clone = tf.keras.layers.TextVectorization.from_config(layer.get_config())
    return {"vocab": list(clone.get_vocabulary()), "out": clone(tf.constant(QUERIES))}


def tv_unicode_whitespace_and_symbols(tf):
    """Non-ASCII spaces are not separators, non-ASCII punctuation stays, (batch, 1) datasets
    adapt; lookups adapted on (batch, n) tensors."""
    data = [
        "a\u00a0b c\u3000d",
        "x\u2014y \u00abquoted\u00bb e.g. it's",
        "\u00c0\u00c9\u00ce \u00e0\u00e9\u00ee",
        "tab\tsep\x0bvt\x0cff\rcr",
        "__init__ 3.14 $5",
    ]
    layer = tf.keras.layers.TextVectorization()
    layer.adapt(tf.data.Dataset.from_tensor_slices([[d] for d in data]).batch(2))
    sl = tf.keras.layers.StringLookup(max_tokens=3, output_mode="count", pad_to_max_tokens=True)
    sl.adapt(tf.constant([["a", "b"], ["a", "c"]]))
    il = tf.keras.layers.IntegerLookup(output_mode="tf_idf")
    il.adapt(tf.constant([[1, 2], [2, 2], [3, 1]]))
    return {
        "vocab": list(layer.get_vocabulary()),
        "ids": layer(tf.constant(data)),
        "sl": list(sl.get_vocabulary()),
        "sl_count": sl(tf.constant([["a", "q"], ["c", "c"]])),
        "il": [int(v) for v in il.get_vocabulary()],
        "il_tf_idf": il(tf.constant([[2, 9]])),
    }


CASES = {
    name: fn
    for name, fn in dict(globals()).items()
    if callable(fn)
    and name.split("_")[0] in ("tv", "sl", "il", "ce", "hashing", "farmhash", "structured")
}
