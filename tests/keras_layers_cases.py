"""Keras layers for sequences run under real TF (fixtures/make_keras_layers_fixtures.py) and
under tapeflow (test_keras_layers.py): masks (Embedding's `mask_zero`, Masking, their
propagation through layers, models and pooling). Each case takes the module as `tf` and
returns named results.

Weights are set with `set_weights` from their shapes and layers are named, so results do not
depend on random streams or on how many layers were made before. Gradients are taken with a
GradientTape with respect to the inputs and every trainable weight.
"""

import warnings

import numpy as np

SEQ = np.sin(np.arange(30, dtype=np.float32) * 1.3).reshape(2, 5, 3)
IDS = np.array([[4, 2, 7, 0, 0], [3, 0, 5, 1, 0]], dtype=np.int32)


def _fill(layer, scale=0.5):
    """Deterministic weights for every variable of `layer`, from their shapes."""
    layer.set_weights(
        [
            (np.cos(np.arange(w.size) * 0.9 + i) * scale).reshape(w.shape).astype(np.float32)
            for i, w in enumerate(layer.get_weights())
        ]
    )


def _mask(t):
    """The Keras mask attached to `t`, or None."""
    return getattr(t, "_keras_mask", None)


def _warnings(fn):
    """What `fn()` returns, and the messages of the mask warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught if "mask" in str(w.message)]


# -- masks ------------------------------------------------------------------------------------


def embedding_and_masking_masks(tf):
    emb = tf.keras.layers.Embedding(8, 3, mask_zero=True, name="emb_m")
    ids = tf.constant(IDS)
    y = emb(ids)
    emb.set_weights([np.arange(24, dtype=np.float32).reshape(8, 3) / 10 - 1])
    y = emb(ids)
    x = SEQ.copy()
    x[0, 1] = 0.0
    x[1, 3:] = 0.0
    masked = tf.keras.layers.Masking(name="masking")(tf.constant(x))
    sentinel = tf.keras.layers.Masking(mask_value=-1.0, name="masking_b")(tf.constant(x - 1.0))
    dense = tf.keras.layers.Dense(2, name="dense_m")
    d = dense(y)
    relu = tf.keras.layers.ReLU(name="relu_m")(d)
    flat, flatten_warnings = _warnings(lambda: tf.keras.layers.Flatten(name="flatten_m")(y))
    return {
        "y": y,
        "mask": _mask(y),
        "compute_mask": emb.compute_mask(ids),
        "no_mask_zero": _mask(tf.keras.layers.Embedding(8, 3, name="emb_n")(ids)),
        "masked": masked,
        "masking_mask": _mask(masked),
        "sentinel_mask": _mask(sentinel),
        "dense_mask": _mask(d),
        "relu_mask": _mask(relu),
        "flatten_mask": _mask(flat),
        "flatten_warnings": flatten_warnings,
        "plain_tensor": hasattr(tf.constant([1.0]), "_keras_mask"),
    }


def masked_pooling_and_merges(tf):
    emb = tf.keras.layers.Embedding(8, 3, mask_zero=True, name="emb_p")
    emb.build((None,))
    emb.set_weights([np.sin(np.arange(24, dtype=np.float32)).reshape(8, 3)])
    ids = tf.constant(IDS)
    other = tf.keras.layers.Embedding(8, 3, mask_zero=True, name="emb_q")
    other.build((None,))
    other.set_weights([np.cos(np.arange(24, dtype=np.float32)).reshape(8, 3)])
    ids2 = tf.constant(IDS[::-1])
    plain = tf.constant(SEQ)
    with tf.GradientTape() as tape:
        e, e2 = emb(ids), other(ids2)
        avg = tf.keras.layers.GlobalAveragePooling1D(name="gap_m")(e)
        avg_keep = tf.keras.layers.GlobalAveragePooling1D(keepdims=True, name="gap_k")(e)
        mx, max_warnings = _warnings(lambda: tf.keras.layers.GlobalMaxPooling1D(name="gmp")(e))
        added = tf.keras.layers.Add(name="add_m")([e, e2])
        half = tf.keras.layers.Add(name="add_h")([e, plain])
        cat = tf.keras.layers.Concatenate(name="cat_m")([e, plain])
        cat1 = tf.keras.layers.Concatenate(axis=1, name="cat_1")([e, e2])
        loss = tf.reduce_sum(avg**2) + tf.reduce_sum(avg_keep) + tf.reduce_sum(mx)
    grads = tape.gradient(loss, [emb.embeddings])
    return {
        "avg": avg,
        "avg_keep": avg_keep,
        "max": mx,
        "max_warnings": max_warnings,
        "avg_mask": _mask(avg),
        "add_mask": _mask(added),
        "half_mask": _mask(half),
        "cat_mask": _mask(cat),
        "cat1_mask": _mask(cat1),
        "grads": [tf.convert_to_tensor(g) for g in grads],
    }


def masking_guide(tf):
    """Keras's "Understanding masking & padding" guide: the masks Embedding and Masking make,
    and custom layers that pass masks on (`supports_masking`), make them (`compute_mask`) and
    use them (a `mask` argument of `call`)."""
    raw_inputs = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded = tf.keras.utils.pad_sequences(raw_inputs, padding="post")
    embedding = tf.keras.layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
    masked_output = embedding(padded)
    unmasked = tf.cast(tf.tile(tf.expand_dims(padded, axis=-1), [1, 1, 10]), tf.float32)
    masked_embedding = tf.keras.layers.Masking()(unmasked)

    class TemporalSplit(tf.keras.layers.Layer):
        def call(self, inputs):
            return tf.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else tf.split(mask, 2, axis=1)

    class CustomEmbedding(tf.keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim), initializer="ones", name="embeddings"
            )

        def call(self, inputs):
            return tf.gather(self.embeddings, tf.cast(inputs, "int32"))

        def compute_mask(self, inputs, mask=None):
            return tf.not_equal(inputs, 0) if self.mask_zero else None

    class MyActivation(tf.keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs):
            return tf.nn.relu(inputs)

    class TemporalSoftmax(tf.keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            keep = tf.expand_dims(tf.cast(mask, "float32"), -1)
            exp = tf.exp(inputs) * keep
            return exp / tf.reduce_sum(exp * keep, axis=-1, keepdims=True)

    first, second = TemporalSplit(name="split")(masked_embedding)
    custom = CustomEmbedding(10, 3, mask_zero=True, name="custom")(tf.constant(IDS))
    activated = MyActivation(name="act")(custom)
    inputs = tf.keras.Input(shape=(None,), dtype="int32")
    x = tf.keras.layers.Embedding(input_dim=8, output_dim=4, mask_zero=True, name="ge")(inputs)
    x = tf.keras.layers.Dense(1, name="gd")(x)
    outputs = TemporalSoftmax(name="ts")(x)
    model = tf.keras.Model(inputs, outputs, name="guide")
    _fill(model)
    return {
        "padded": padded,
        "embedding_mask": masked_output._keras_mask,
        "masking_mask": masked_embedding._keras_mask,
        "split": [first._keras_mask, second._keras_mask],
        "custom_mask": _mask(custom),
        "activated_mask": _mask(activated),
        "softmax": model(IDS),
        "softmax_mask": _mask(model(tf.constant(IDS))),
    }


CASES = {
    f.__name__: f
    for f in (
        embedding_and_masking_masks,
        masked_pooling_and_merges,
        masking_guide,
    )
}
