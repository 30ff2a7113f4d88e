"""Keras layers for sequences run under real TF (fixtures/make_keras_layers_fixtures.py) and
under tapeflow (test_keras_layers.py): masks (Embedding's `mask_zero`, Masking, their
propagation into recurrent layers, pooling and attention), RNN dropout at inference, the
attention layers, and the 1-D, wrapper and reshaping layers. Each case takes the module as
`tf` and returns named results.

Weights are set with `set_weights` from their shapes and layers are named, so results do not
depend on random streams or on how many layers were made before. Gradients are taken with a
GradientTape with respect to the inputs and every trainable weight.
"""

import re
import warnings

import numpy as np

SEQ = np.sin(np.arange(30, dtype=np.float32) * 1.3).reshape(2, 5, 3)
# step masks: right padding, and holes (the first step masked, a masked step between two kept)
RIGHT = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
HOLES = np.array([[0, 1, 0, 1, 1], [1, 0, 0, 1, 0]], dtype=bool)
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


def _loss(tf, outputs):
    """A scalar that weighs every output differently, so each gradient is checked."""
    flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return sum(tf.reduce_sum(o * o + o * (j + 1)) for j, o in enumerate(flat))


def _run(tf, layer, inputs, **kwargs):
    """The layer's outputs on `inputs` (a list of arrays or tensors, the layer's positional
    arguments) and the gradients with respect to the float inputs and trainable weights."""
    tensors = [tf.constant(x) for x in inputs]
    layer(*tensors, **kwargs)
    _fill(layer)
    tensors = [tf.constant(x) for x in inputs]
    floats = [t for t in tensors if t.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(floats)
        out = layer(*tensors, **kwargs)
        loss = _loss(tf, out)
    grads = tape.gradient(loss, [*floats, *layer.trainable_variables])
    return {
        "out": list(out) if isinstance(out, (list, tuple)) else [out],
        "grads": [tf.convert_to_tensor(g) for g in grads],
        "paths": [v.path for v in layer.weights],
        "shapes": [v.shape.as_list() for v in layer.weights],
    }


def _warnings(fn):
    """What `fn()` returns, and the messages of the mask warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught if "mask" in str(w.message)]


def _summary(model):
    import contextlib
    import io

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    return text.getvalue()


def _error(fn):
    """The first line of the error `fn()` raises, its type first. Keras wraps an error raised
    in a layer's call() in "Exception encountered when calling ..." (tapeflow does not: README):
    the message inside is what is compared."""
    try:
        fn()
    except Exception as e:  # the type and text are what the case records
        text = str(e)
        if text.startswith("Exception encountered when calling"):
            text = text.split("\n")[2].replace("\x1b[1m", "").replace("\x1b[0m", "")
        return f"{type(e).__name__}: {text}".split("\n")[0]
    return "no error"


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


def _masked_rnn_case(make, mask, via_masking=False, initial_state=None):
    def case(tf):
        layer = make(tf)
        x = SEQ.copy()
        if via_masking:  # masked steps all zeros, so a Masking layer finds the mask
            x[~mask] = 0.0
        xt = tf.constant(x)
        layer(xt, mask=tf.constant(mask))
        _fill(layer)
        state = None if initial_state is None else [tf.constant(s) for s in initial_state]
        kwargs = {} if state is None else {"initial_state": state}
        with tf.GradientTape() as tape:
            tape.watch(xt)
            if via_masking:
                out = layer(tf.keras.layers.Masking(name="masking_r")(xt), **kwargs)
            else:
                out = layer(xt, mask=tf.constant(mask), **kwargs)
            loss = _loss(tf, out)
        grads = tape.gradient(loss, [xt, *layer.trainable_variables])
        flat = list(out) if isinstance(out, (list, tuple)) else [out]
        return {"out": flat, "grads": grads, "masks": [_mask(o) for o in flat]}

    return case


H0 = np.cos(np.arange(8, dtype=np.float32)).reshape(2, 4) * 0.5
C0 = np.sin(np.arange(8, dtype=np.float32)).reshape(2, 4)
MASKED_RNN_CASES = {
    "lstm_sequences_state": (
        lambda tf: tf.keras.layers.LSTM(4, return_sequences=True, return_state=True, name="ml_a"),
        HOLES,
    ),
    "lstm_last_backwards_initial_state": (
        lambda tf: tf.keras.layers.LSTM(4, go_backwards=True, return_state=True, name="ml_b"),
        HOLES,
        False,
        [H0, C0],
    ),
    "lstm_masking_layer": (
        lambda tf: tf.keras.layers.LSTM(4, return_sequences=True, name="ml_c"),
        RIGHT,
        True,
    ),
    "lstm_zero_output": (
        lambda tf: tf.keras.layers.LSTM(
            4, return_sequences=True, zero_output_for_mask=True, name="ml_d"
        ),
        HOLES,
    ),
    "gru_sequences_state": (
        lambda tf: tf.keras.layers.GRU(4, return_sequences=True, return_state=True, name="mg_a"),
        HOLES,
    ),
    "gru_reset_before_backwards": (
        lambda tf: tf.keras.layers.GRU(
            4, reset_after=False, go_backwards=True, return_sequences=True, name="mg_b"
        ),
        RIGHT,
    ),
    "gru_last_masking_layer": (lambda tf: tf.keras.layers.GRU(4, name="mg_c"), HOLES, True),
    "simple_rnn_sequences": (
        lambda tf: tf.keras.layers.SimpleRNN(4, return_sequences=True, name="ms_a"),
        HOLES,
    ),
    "simple_rnn_backwards_state": (
        lambda tf: tf.keras.layers.SimpleRNN(4, go_backwards=True, return_state=True, name="ms_b"),
        RIGHT,
        False,
        [H0],
    ),
    "bidirectional_lstm_concat": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.LSTM(4, return_sequences=True, name="lstm"), name="mb_a"
        ),
        HOLES,
    ),
    "bidirectional_gru_last": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.GRU(4, name="gru"), merge_mode="sum", name="mb_b"
        ),
        HOLES,
        True,
    ),
    "bidirectional_simple_rnn_none_state": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.SimpleRNN(4, return_sequences=True, return_state=True, name="srnn"),
            merge_mode=None,
            name="mb_c",
        ),
        RIGHT,
    ),
}


def masked_models(tf):
    """Embedding(mask_zero=True) in front of recurrent layers and pooling, in a Sequential and
    a functional model: the mask travels from layer to layer."""
    seq = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(5,), dtype="int32"),
            tf.keras.layers.Embedding(8, 3, mask_zero=True, name="s_emb"),
            tf.keras.layers.LSTM(4, return_sequences=True, name="s_lstm"),
            tf.keras.layers.GRU(3, name="s_gru"),
            tf.keras.layers.Dense(1, name="s_out"),
        ],
        name="masked_seq",
    )
    _fill(seq)
    ids = tf.keras.Input(shape=(5,), dtype="int32", name="f_ids")
    e = tf.keras.layers.Embedding(8, 3, mask_zero=True, name="f_emb")(ids)
    h = tf.keras.layers.Bidirectional(
        tf.keras.layers.SimpleRNN(2, return_sequences=True, name="rnn"), name="f_bi"
    )(e)
    d = tf.keras.layers.Dense(3, activation="tanh", name="f_dense")(h)
    pooled = tf.keras.layers.GlobalAveragePooling1D(name="f_gap")(d)
    fn = tf.keras.Model(ids, tf.keras.layers.Dense(2, name="f_out")(pooled), name="masked_fn")
    _fill(fn)
    x = tf.constant(IDS)
    with tf.GradientTape(persistent=True) as tape:
        ys, yf = seq(x), fn(x)
        ls, lf = tf.reduce_sum(ys**2), tf.reduce_sum(yf**2)
    gs = [tf.convert_to_tensor(g) for g in tape.gradient(ls, seq.trainable_variables)]
    gf = [tf.convert_to_tensor(g) for g in tape.gradient(lf, fn.trainable_variables)]
    lstm_only = tf.keras.Sequential(seq.layers[:2], name="masked_part")
    part = lstm_only(x)
    # a mask passed to a model's call goes onto its input
    inp = tf.keras.Input(shape=(5, 3), name="g_in")
    given = tf.keras.Model(inp, tf.keras.layers.GRU(2, name="g_gru")(inp), name="given")
    _fill(given)
    given_seq = tf.keras.Sequential([tf.keras.layers.LSTM(2, name="g_lstm")], name="given_seq")
    given_seq(tf.constant(SEQ))
    _fill(given_seq)
    given_out, given_warnings = _warnings(
        lambda: [
            given(tf.constant(SEQ), mask=tf.constant(HOLES)),
            given_seq(tf.constant(SEQ), mask=tf.constant(RIGHT)),
        ]
    )
    return {
        "given": given_out,
        "given_warnings": given_warnings,
        "seq": ys,
        "fn": yf,
        "seq_grads": gs,
        "fn_grads": gf,
        "part": part,
        "part_mask": _mask(part),
        "seq_mask": _mask(ys),
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


def masked_model_fit(tf):
    """`fit` on a model whose Embedding masks its padding: the losses of each epoch."""
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(5,), dtype="int32"),
            tf.keras.layers.Embedding(8, 3, mask_zero=True, name="fe"),
            tf.keras.layers.LSTM(3, name="fl"),
            tf.keras.layers.Dense(1, name="fd"),
        ],
        name="masked_fit",
    )
    _fill(model)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    x = np.concatenate([IDS, IDS[::-1], IDS % 3], 0)
    y = np.float32([[0.5], [-0.2], [0.1], [0.3], [-0.4], [0.0]])
    history = model.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    return {
        "loss": history.history["loss"],
        "predict": model.predict(x, verbose=0),
        "weights": model.get_weights(),
    }


def rnn_dropout_at_inference(tf):
    """Dropout and recurrent dropout change nothing without `training=True`."""
    out = {}
    for name, layer in [
        ("lstm", tf.keras.layers.LSTM(4, dropout=0.3, recurrent_dropout=0.2, name="dl")),
        ("gru", tf.keras.layers.GRU(4, dropout=0.5, return_sequences=True, name="dg")),
        ("simple", tf.keras.layers.SimpleRNN(4, recurrent_dropout=0.4, name="ds")),
    ]:
        result = _run(tf, layer, [SEQ])
        out[name] = result["out"]
        out[f"{name}_grads"] = result["grads"]
        out[f"{name}_false"] = layer(tf.constant(SEQ), training=False)
        out[f"{name}_rates"] = [float(layer.dropout), float(layer.recurrent_dropout)]
    return out


# -- attention --------------------------------------------------------------------------------

Q = np.sin(np.arange(2 * 4 * 5, dtype=np.float32) * 0.7).reshape(2, 4, 5)
V = np.cos(np.arange(2 * 6 * 5, dtype=np.float32) * 0.4).reshape(2, 6, 5)
K = np.sin(np.arange(2 * 6 * 3, dtype=np.float32) * 1.1 + 0.5).reshape(2, 6, 3)
AMASK = np.arange(2 * 4 * 6).reshape(2, 4, 6) % 4 != 1
IMG = np.sin(np.arange(2 * 3 * 4 * 5, dtype=np.float32) * 0.3).reshape(2, 3, 4, 5)


def _mha_case(make, inputs, kwargs):
    def case(tf):
        return _run(tf, make(tf), inputs, **kwargs)

    return case


MHA_CASES = {
    "self": (lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, name="mha_a"), [Q, Q], {}),
    "cross_scores": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, name="mha_b"),
        [Q, V],
        {"return_attention_scores": True},
    ),
    "key_value_dim_output_shape": (
        lambda tf: tf.keras.layers.MultiHeadAttention(
            3, 2, value_dim=4, output_shape=(7,), name="mha_c"
        ),
        [Q, V, K],
        {},
    ),
    "no_bias_causal": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, use_bias=False, name="mha_d"),
        [Q, Q],
        {"use_causal_mask": True},
    ),
    "causal_scores": (
        lambda tf: tf.keras.layers.MultiHeadAttention(1, 4, name="mha_e"),
        [Q, V],
        {"use_causal_mask": True, "return_attention_scores": True},
    ),
    "attention_mask": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, name="mha_f"),
        [Q, V],
        {"attention_mask": AMASK},
    ),
    "attention_mask_scores_causal": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, name="mha_g"),
        [Q, V],
        {"attention_mask": AMASK, "return_attention_scores": True, "use_causal_mask": True},
    ),
    "dropout_at_inference": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, dropout=0.5, name="mha_h"),
        [Q, V],
        {"attention_mask": AMASK[:1]},
    ),
    "attention_axes_2d": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, name="mha_i"),
        [IMG, IMG],
        {"return_attention_scores": True},
    ),
    "attention_axis_2": (
        lambda tf: tf.keras.layers.MultiHeadAttention(2, 3, attention_axes=2, name="mha_j"),
        [IMG, IMG],
        {"return_attention_scores": True},
    ),
}


def mha_masks_from_inputs(tf):
    """The Keras masks of query and value become the attention mask; the output carries the
    query's mask, and the inputs lose theirs (Keras takes them off)."""
    emb = tf.keras.layers.Embedding(8, 5, mask_zero=True, name="mm_emb")
    emb.build((None,))
    emb.set_weights([np.sin(np.arange(40, dtype=np.float32) * 0.9).reshape(8, 5)])
    out = {}
    for name, kwargs in [
        ("plain", {}),
        ("scores", {"return_attention_scores": True}),
        ("causal", {"use_causal_mask": True}),
    ]:
        mha = tf.keras.layers.MultiHeadAttention(2, 3, name=f"mm_{name}")
        mha(tf.constant(Q), tf.constant(Q))
        _fill(mha)
        with tf.GradientTape() as tape:
            q, v = emb(tf.constant(IDS)), emb(tf.constant(IDS[::-1]))
            y = mha(q, v, **kwargs)
            first = y[0] if isinstance(y, tuple) else y
            loss = _loss(tf, y)
        grads = tape.gradient(loss, [emb.embeddings, *mha.trainable_variables])
        out[name] = list(y) if isinstance(y, tuple) else [y]
        out[f"{name}_grads"] = [tf.convert_to_tensor(g) for g in grads]
        out[f"{name}_mask"] = _mask(first)
        out[f"{name}_inputs_masked"] = [_mask(q) is not None, _mask(v) is not None]
    return out


def mha_summary_and_weights(tf):
    """A Transformer encoder block as a functional model: layer list, summary, weights."""
    import contextlib
    import io

    inputs = tf.keras.Input(shape=(4, 5), name="tb_in")
    attn = tf.keras.layers.MultiHeadAttention(2, 3, name="tb_mha")(inputs, inputs)
    x = tf.keras.layers.LayerNormalization(name="tb_ln1")(
        tf.keras.layers.Add(name="tb_add1")([inputs, attn])
    )
    ff = tf.keras.layers.Dense(8, activation="relu", name="tb_ff1")(x)
    ff = tf.keras.layers.Dense(5, name="tb_ff2")(ff)
    x = tf.keras.layers.LayerNormalization(name="tb_ln2")(
        tf.keras.layers.Add(name="tb_add2")([x, ff])
    )
    model = tf.keras.Model(inputs, x, name="tblock")
    _fill(model, 0.3)
    xt = tf.constant(Q)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = model(xt)
        loss = tf.reduce_sum(y * y + y)
    grads = tape.gradient(loss, [xt, *model.trainable_variables])
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    mha = model.layers[1]
    return {
        "y": y,
        "grads": grads,
        "paths": [v.path for v in model.weights],
        "summary": text.getvalue(),
        "sublayers": [type(layer).__name__ for layer in (mha.query_dense, mha.output_dense)],
        "equations": [mha.query_dense.equation, mha.output_dense.equation],
        "properties": [mha.num_heads, mha.key_dim, mha.value_dim, float(mha.dropout)],
    }


def functional_masks_after_attention(tf):
    """Keras 3's functional models record the symbolic mask of a single-tensor call that takes
    one (TimeDistributed, pooling, LSTM), and pass it at run time even where MultiHeadAttention
    took the run-time mask off; other calls (the second attention) see the run-time masks."""
    ids = tf.keras.Input(shape=(5,), dtype="int32", name="fa_in")
    x = tf.keras.layers.Embedding(8, 6, mask_zero=True, name="fa_emb")(ids)
    a1 = tf.keras.layers.MultiHeadAttention(2, 3, dropout=0.1, name="fa_mha1")(x, x)
    h1 = tf.keras.layers.LayerNormalization(name="fa_ln1")(
        tf.keras.layers.Add(name="fa_add1")([x, a1])
    )
    a2 = tf.keras.layers.MultiHeadAttention(2, 3, name="fa_mha2")(h1, h1)
    h2 = tf.keras.layers.Add(name="fa_add2")([h1, a2])
    td = tf.keras.layers.TimeDistributed(
        tf.keras.layers.Dense(4, activation="tanh", name="d"), name="fa_td"
    )(h2)
    seq = tf.keras.layers.LSTM(3, return_sequences=True, name="fa_lstm")(td)
    pooled = tf.keras.layers.GlobalAveragePooling1D(name="fa_gap")(seq)
    outputs = [x, a1, h1, a2, h2, td, seq, pooled]
    model = tf.keras.Model(ids, outputs, name="fa")
    _fill(model, 0.4)
    with tf.GradientTape() as tape:
        ys = model(tf.constant(IDS))
        loss = tf.reduce_sum(ys[-1] ** 2) + tf.reduce_sum(ys[3])
    grads = tape.gradient(loss, model.trainable_variables)
    return {
        "outputs": ys,
        "masks": [_mask(y) for y in ys],
        "grads": [tf.convert_to_tensor(g) for g in grads],
    }


def transformer_tutorial_layers(tf):
    """The layers of TF's "Neural machine translation with a Transformer" tutorial, as it
    writes them: a PositionalEmbedding whose mask is Embedding's, and attention layers that
    call MultiHeadAttention with keywords (causal, cross attention with scores)."""

    def positional_encoding(length, depth):
        depth = depth / 2
        positions = np.arange(length)[:, np.newaxis]
        depths = np.arange(depth)[np.newaxis, :] / depth
        angle_rads = positions * (1 / (10000**depths))
        encoding = np.concatenate([np.sin(angle_rads), np.cos(angle_rads)], axis=-1)
        return tf.cast(encoding, dtype=tf.float32)

    class PositionalEmbedding(tf.keras.layers.Layer):
        def __init__(self, vocab_size, d_model):
            super().__init__()
            self.d_model = d_model
            self.embedding = tf.keras.layers.Embedding(vocab_size, d_model, mask_zero=True)
            self.pos_encoding = positional_encoding(length=64, depth=d_model)

        def compute_mask(self, *args, **kwargs):
            return self.embedding.compute_mask(*args, **kwargs)

        def call(self, x):
            length = tf.shape(x)[1]
            x = self.embedding(x)
            x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
            return x + self.pos_encoding[tf.newaxis, :length, :]

    class BaseAttention(tf.keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__()
            self.mha = tf.keras.layers.MultiHeadAttention(**kwargs)
            self.layernorm = tf.keras.layers.LayerNormalization()
            self.add = tf.keras.layers.Add()

    class CrossAttention(BaseAttention):
        def call(self, x, context):
            attn_output, attn_scores = self.mha(
                query=x, key=context, value=context, return_attention_scores=True
            )
            self.last_attn_scores = attn_scores
            return self.layernorm(self.add([x, attn_output]))

    class GlobalSelfAttention(BaseAttention):
        def call(self, x):
            return self.layernorm(self.add([x, self.mha(query=x, value=x, key=x)]))

    class CausalSelfAttention(BaseAttention):
        def call(self, x):
            attn_output = self.mha(query=x, value=x, key=x, use_causal_mask=True)
            return self.layernorm(self.add([x, attn_output]))

    source = tf.constant([[3, 4, 5, 0, 0, 0], [7, 1, 2, 6, 1, 0]])
    target = tf.constant([[2, 6, 0, 0, 0], [7, 1, 3, 4, 0]])
    encode, decode = PositionalEmbedding(8, 8), PositionalEmbedding(8, 8)
    glob = GlobalSelfAttention(num_heads=2, key_dim=8)
    cross = CrossAttention(num_heads=2, key_dim=8)
    causal = CausalSelfAttention(num_heads=2, key_dim=8)

    def run():
        context, x = encode(source), decode(target)
        masks = [_mask(context), _mask(x)]  # the attention takes them off its inputs
        out_glob, out_causal = glob(context), causal(x)
        return context, masks, out_glob, out_causal, cross(out_causal, out_glob)

    _warnings(run)
    for layer in (encode, decode, glob, cross, causal):
        _fill(layer, 0.4)
    with tf.GradientTape() as tape:
        (context, masks, out_glob, out_causal, out), warned = _warnings(run)
        loss = tf.reduce_sum(out**2)
    weights = [*glob.trainable_variables, *cross.trainable_variables]
    grads = tape.gradient(loss, weights + causal.trainable_variables)
    return {
        "context": context,
        "masks": [*masks, *(_mask(t) for t in (context, out_glob, out_causal, out))],
        # the layers are named automatically: their names depend on what ran before
        "warnings": sorted({re.sub(r"Layer '[^']*' ", "Layer ", w) for w in warned}),
        "outputs": [out_glob, out_causal, out],
        "scores": cross.last_attn_scores,
        "grads": [tf.convert_to_tensor(g) for g in grads],
    }


def mha_errors(tf):
    q, v = tf.constant(Q), tf.constant(V)
    mha = tf.keras.layers.MultiHeadAttention(2, 3, name="me_a")
    mha(q, v)
    return {
        "heads": _error(lambda: tf.keras.layers.MultiHeadAttention(0, 2)),
        "key_dim": _error(lambda: tf.keras.layers.MultiHeadAttention(2, -1)),
        "value_dim": _error(lambda: tf.keras.layers.MultiHeadAttention(2, 2, value_dim=0)),
        "axes": _error(lambda: tf.keras.layers.MultiHeadAttention(2, 2, attention_axes="a")),
        "key_shape": _error(
            lambda: tf.keras.layers.MultiHeadAttention(2, 2)(q, v, key=tf.ones((2, 5, 5)))
        ),
        "no_value": _error(lambda: tf.keras.layers.MultiHeadAttention(2, 2)(q)),
        "kwarg": _error(lambda: tf.keras.layers.MultiHeadAttention(2, 2, causal=True)),
    }


ATTENTION_CASES = {
    "dot": (lambda tf: tf.keras.layers.Attention(name="at_a"), [Q, V], {}),
    "dot_scale_key_scores": (
        lambda tf: tf.keras.layers.Attention(use_scale=True, name="at_b"),
        [Q, V, V[:, :, ::-1]],
        {"return_attention_scores": True},
    ),
    "concat_scale_causal": (
        lambda tf: tf.keras.layers.Attention(use_scale=True, score_mode="concat", name="at_c"),
        [Q, Q],
        {"use_causal_mask": True, "return_attention_scores": True},
    ),
    "concat_masks": (
        lambda tf: tf.keras.layers.Attention(score_mode="concat", name="at_d"),
        [Q, V],
        {"mask": [RIGHT[:, :4], np.array([[1, 1, 0, 1, 1, 0], [0, 1, 1, 1, 1, 1]], bool)]},
    ),
    "dot_value_mask_causal": (
        lambda tf: tf.keras.layers.Attention(name="at_e"),
        [Q, Q],
        {"mask": [None, HOLES[:, :4]], "use_causal_mask": True},
    ),
    "additive": (lambda tf: tf.keras.layers.AdditiveAttention(name="ad_a"), [Q, V], {}),
    "additive_no_scale_masks_scores": (
        lambda tf: tf.keras.layers.AdditiveAttention(use_scale=False, name="ad_b"),
        [Q, V, V * 0.5],
        {
            "mask": [HOLES[:, :4], np.array([[1, 0, 1, 1, 1, 1], [1, 1, 1, 0, 0, 1]], bool)],
            "return_attention_scores": True,
        },
    ),
    "additive_causal": (
        lambda tf: tf.keras.layers.AdditiveAttention(name="ad_c"),
        [Q, Q],
        {"use_causal_mask": True},
    ),
}


def _attention_case(make, inputs, kwargs):
    def case(tf):
        layer = make(tf)
        tensors = [tf.constant(x) for x in inputs]
        call = dict(kwargs)
        if "mask" in call:
            call["mask"] = [None if m is None else tf.constant(m) for m in call["mask"]]
        layer(tensors, **call)
        _fill(layer)
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            out = layer(tensors, **call)
            loss = _loss(tf, out)
        grads = tape.gradient(loss, [*tensors, *layer.trainable_variables])
        first = out[0] if isinstance(out, tuple) else out
        return {
            "out": list(out) if isinstance(out, tuple) else [out],
            "grads": grads,
            "paths": [v.path for v in layer.weights],
            "mask": _mask(first),
        }

    return case


def attention_errors(tf):
    q = tf.constant(Q)
    return {
        "score_mode": _error(lambda: tf.keras.layers.Attention(score_mode="add")),
        "not_list": _error(lambda: tf.keras.layers.Attention()(q)),
        "length": _error(lambda: tf.keras.layers.Attention()([q])),
        "mask_list": _error(lambda: tf.keras.layers.Attention()([q, q], mask=tf.constant(RIGHT))),
        "causal_kwarg": _error(lambda: tf.keras.layers.Attention(causal=True)),
    }


def attention_with_embedding_masks(tf):
    """Attention reads the Keras masks of its list of inputs; its output keeps the query's."""
    emb = tf.keras.layers.Embedding(8, 5, mask_zero=True, name="am_emb")
    emb.build((None,))
    emb.set_weights([np.cos(np.arange(40, dtype=np.float32) * 0.8).reshape(8, 5)])
    q, v = emb(tf.constant(IDS)), emb(tf.constant(IDS[::-1]))
    dot = tf.keras.layers.Attention(name="am_dot")([q, v])
    additive = tf.keras.layers.AdditiveAttention(name="am_add")
    additive([q, v])
    _fill(additive)
    return {
        "dot": dot,
        "dot_mask": _mask(dot),
        "additive": additive([q, v]),
        "pooled": tf.keras.layers.GlobalAveragePooling1D(name="am_gap")(dot),
    }


# -- 1-D, wrapper and reshaping layers --------------------------------------------------------


LAYER_CASES = {
    "conv1d_valid": (lambda tf: tf.keras.layers.Conv1D(4, 2, name="c1_a"), [SEQ], {}),
    "conv1d_same_strides": (
        lambda tf: tf.keras.layers.Conv1D(3, 3, strides=2, padding="same", name="c1_b"),
        [SEQ],
        {},
    ),
    "conv1d_causal_dilated": (
        lambda tf: tf.keras.layers.Conv1D(
            2, 2, padding="causal", dilation_rate=2, activation="relu", name="c1_c"
        ),
        [SEQ],
        {},
    ),
    "conv1d_no_bias": (
        lambda tf: tf.keras.layers.Conv1D(2, (3,), use_bias=False, name="c1_d"),
        [SEQ],
        {},
    ),
    "time_distributed_dense": (
        lambda tf: tf.keras.layers.TimeDistributed(
            tf.keras.layers.Dense(2, activation="tanh", name="d"), name="td_a"
        ),
        [SEQ],
        {},
    ),
    "time_distributed_conv2d": (
        lambda tf: tf.keras.layers.TimeDistributed(
            tf.keras.layers.Conv2D(2, 2, name="c"), name="td_b"
        ),
        [IMG.reshape(2, 3, 4, 5, 1)],
        {},
    ),
}


def _layer_case(make, inputs, kwargs):
    def case(tf):
        return _run(tf, make(tf), inputs, **kwargs)

    return case


def reshaping_and_pooling_layers(tf):
    x = tf.constant(SEQ)
    img = tf.constant(IMG)
    flat = tf.constant(SEQ[:, 0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, img, flat])
        results = {
            "max1d": tf.keras.layers.MaxPooling1D(name="mp1")(x),
            "max1d_same": tf.keras.layers.MaxPooling1D(3, 1, padding="same", name="mp1s")(x),
            "avg1d": tf.keras.layers.AveragePooling1D(2, 1, name="ap1")(x),
            "avg1d_same": tf.keras.layers.AveragePooling1D(
                pool_size=2, padding="same", name="ap1s"
            )(x),
            "repeat": tf.keras.layers.RepeatVector(3, name="rv")(flat),
            "permute": tf.keras.layers.Permute((2, 1), name="pm")(x),
            "permute3": tf.keras.layers.Permute((3, 1, 2), name="pm3")(img),
            "lambda": tf.keras.layers.Lambda(lambda t: t * 2.0 + 1.0, name="lam")(x),
            "lambda_args": tf.keras.layers.Lambda(
                lambda t, k: tf.reduce_sum(t, axis=k), arguments={"k": 1}, name="lam_a"
            )(x),
            "upsample": tf.keras.layers.UpSampling2D((2, 3), name="up")(img),
            "upsample_bilinear": tf.keras.layers.UpSampling2D(interpolation="bilinear", name="upb")(
                img
            ),
            "pad": tf.keras.layers.ZeroPadding2D(((1, 0), (2, 1)), name="zp")(img),
            "pad_int": tf.keras.layers.ZeroPadding2D(1, name="zpi")(img),
            "crop": tf.keras.layers.Cropping2D(((1, 0), (1, 2)), name="cr")(img),
            "crop_pair": tf.keras.layers.Cropping2D((1, 1), name="crp")(img),
            "spatial_dropout": tf.keras.layers.SpatialDropout1D(0.5, name="sd")(x),
        }
        loss = sum(tf.reduce_sum(v * v) for v in results.values())
    grads = tape.gradient(loss, [x, img, flat])
    return {**results, "grads": grads}


def masks_through_wrappers(tf):
    """TimeDistributed and Lambda with masks, and the layers that drop them."""
    emb = tf.keras.layers.Embedding(8, 3, mask_zero=True, name="mw_emb")
    e = emb(tf.constant(IDS))
    td = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2, name="d"), name="mw_td")(e)
    lam, lam_warnings = _warnings(lambda: tf.keras.layers.Lambda(lambda t: t * 2, name="lw")(e))
    lam_mask = tf.keras.layers.Lambda(
        lambda t: t, mask=lambda t, m: tf.logical_not(m), name="lw_m"
    )(e)
    conv, conv_warnings = _warnings(lambda: tf.keras.layers.Conv1D(2, 2, name="mw_conv")(e))
    drop = tf.keras.layers.SpatialDropout1D(0.3, name="mw_sd")(e)
    return {
        "td_mask": _mask(td),
        "lambda_mask": _mask(lam),
        "lambda_warnings": lam_warnings,
        "lambda_given_mask": _mask(lam_mask),
        "conv_mask": _mask(conv),
        "conv_warnings": conv_warnings,
        "dropout_mask": _mask(drop),
    }


def variable_length_models(tf):
    """Inputs of open length (`shape=(None, 3)`): the shapes Keras gives each layer's output
    keep the length open, and the models run on any length."""
    inp = tf.keras.Input(shape=(None, 3), name="vl_in")
    h = tf.keras.layers.Conv1D(4, 3, padding="causal", name="vl_conv")(inp)
    h = tf.keras.layers.LSTM(3, return_sequences=True, name="vl_lstm")(h)
    h = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2, name="d"), name="vl_td")(h)
    attn = tf.keras.layers.MultiHeadAttention(2, 2, name="vl_mha")(h, h)
    out = tf.keras.layers.GlobalMaxPooling1D(name="vl_gmp")(attn)
    fn = tf.keras.Model(inp, [h, out], name="vl_fn")
    _fill(fn)
    seq = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(None, 3)),
            tf.keras.layers.Conv1D(4, 2, name="vs_conv"),
            tf.keras.layers.MaxPooling1D(name="vs_pool"),
            tf.keras.layers.GRU(2, return_sequences=True, name="vs_gru"),
            tf.keras.layers.Permute((2, 1), name="vs_permute"),
        ],
        name="vl_seq",
    )
    _fill(seq)
    long = np.concatenate([SEQ, SEQ[:, :3]], axis=1)
    return {
        "output_shapes": [list(s) for s in fn.output_shape],
        "summary": _summary(fn),
        "seq_summary": _summary(seq),
        "fn_short": fn(SEQ),
        "fn_long": fn(long),
        "seq_short": seq(SEQ),
        "seq_long": seq(long),
    }


def layer_errors(tf):
    x, img = tf.constant(SEQ), tf.constant(IMG)
    return {
        "permute": _error(lambda: tf.keras.layers.Permute((1, 3))),
        "permute_zero": _error(lambda: tf.keras.layers.Permute((0, 1))),
        "repeat_rank": _error(lambda: tf.keras.layers.RepeatVector(3, name="rv_e")(x)),
        "td_rank": _error(lambda: tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(2))(x[0])),
        "td_layer": _error(lambda: tf.keras.layers.TimeDistributed("x")),
        "conv1d_rank": _error(lambda: tf.keras.layers.Conv1D(2, 3, name="c1_e")(x[0])),
        "crop": _error(lambda: tf.keras.layers.Cropping2D(((2, 2), (0, 0)))(img)),
        "pool_rank": _error(lambda: tf.keras.layers.MaxPooling1D(name="mp_e")(img)),
        "upsample_rank": _error(lambda: tf.keras.layers.UpSampling2D(name="up_e")(x)),
        "conv1d_kernel": _error(lambda: tf.keras.layers.Conv1D(2, 0)),
        "conv1d_strides": _error(lambda: tf.keras.layers.Conv1D(2, 3, strides=(1, 2))),
        "conv2d_kernel": _error(lambda: tf.keras.layers.Conv2D(2, (3, -1))),
        "pool1d_size": _error(lambda: tf.keras.layers.MaxPooling1D(0)),
        "pad_three": _error(lambda: tf.keras.layers.ZeroPadding2D((1, 2, 3))),
        "pad_negative": _error(lambda: tf.keras.layers.ZeroPadding2D(((1, -1), (0, 0)))),
        "pad_kind": _error(lambda: tf.keras.layers.ZeroPadding2D(1.5)),
        "crop_negative": _error(lambda: tf.keras.layers.Cropping2D(-1)),
        "softmax_mask_rank": _error(
            lambda: tf.keras.layers.Softmax()(x[0], mask=tf.ones((5, 3, 1), bool))
        ),
        "softmax_mask_shape": _error(
            lambda: tf.keras.layers.Softmax()(x, mask=tf.ones((2, 2, 3), bool))
        ),
    }


CASES = {
    f.__name__: f
    for f in (
        embedding_and_masking_masks,
        masked_pooling_and_merges,
        masked_models,
        masking_guide,
        masked_model_fit,
        rnn_dropout_at_inference,
        mha_masks_from_inputs,
        mha_summary_and_weights,
        functional_masks_after_attention,
        transformer_tutorial_layers,
        mha_errors,
        attention_errors,
        attention_with_embedding_masks,
        reshaping_and_pooling_layers,
        masks_through_wrappers,
        variable_length_models,
        layer_errors,
    )
}
CASES.update({f"masked_rnn_{k}": _masked_rnn_case(*v) for k, v in MASKED_RNN_CASES.items()})
CASES.update({f"mha_{k}": _mha_case(*v) for k, v in MHA_CASES.items()})
CASES.update({f"attention_{k}": _attention_case(*v) for k, v in ATTENTION_CASES.items()})
CASES.update({f"layer_{k}": _layer_case(*v) for k, v in LAYER_CASES.items()})
