"""Keras saving code run under real TF 2.21 with Keras 3.15 (fixtures/make_saving_fixtures.py)
and under tapeflow (test_saving.py).

`CONFIGS(tf)` returns Keras configs (get_config, compile configs, serialized objects) as JSON,
compared exactly, key order included. Each of `CASES` takes the module as `tf` and an empty
directory and returns named values, compared as the other Keras fixtures are. Weights are
set from arrays and layers named, so results do not depend on random streams or counters.
"""

import json
import os
import zipfile

import numpy as np

X = np.linspace(-1.5, 2.0, 24, dtype=np.float32).reshape(8, 3)
Y = np.float32(np.c_[np.sin(X[:, 0]), X[:, 1] * X[:, 2]])
LABELS = np.int32([0, 1, 2, 1, 0, 2, 2, 1])
SEQ = np.linspace(-1.0, 1.0, 2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3)
IMAGES = np.linspace(0.0, 1.0, 2 * 6 * 6 * 2, dtype=np.float32).reshape(2, 6, 6, 2)


def _json(value):
    return json.loads(json.dumps(value))


def _fill(model):
    """Deterministic weights: each variable gets cos of its element indices, scaled."""
    for i, v in enumerate(model.weights):
        shape = tuple(v.shape)
        values = np.cos(np.arange(int(np.prod(shape))) + i).reshape(shape) * 0.5
        if "variance" in v.path:
            values = np.abs(values) + 0.5
        v.assign(values.astype(np.float32))
    return model


def _layers(tf):
    """One of each layer tapeflow has, named, with some non-default arguments."""
    L = tf.keras.layers
    return [
        L.Dense(3, activation="relu", name="dense"),
        L.Dense(
            3,
            use_bias=False,
            kernel_initializer=tf.keras.initializers.Constant(0.25),
            bias_initializer="ones",
            name="dense_nobias",
        ),
        L.Flatten(name="flatten"),
        L.Dropout(0.3, noise_shape=(None, 1), seed=2, name="dropout"),
        L.ReLU(max_value=6.0, negative_slope=0.1, name="relu"),
        L.Activation("tanh", name="activation"),
        L.Softmax(axis=1, name="softmax"),
        L.BatchNormalization(momentum=0.9, epsilon=1e-5, name="batch_norm"),
        L.LayerNormalization(axis=[1, 2], center=False, name="layer_norm"),
        L.Conv2D(
            4,
            (3, 2),
            strides=2,
            padding="same",
            activation="swish",
            kernel_initializer="he_normal",
            name="conv",
        ),
        L.MaxPooling2D(name="max_pool"),
        L.AveragePooling2D(3, strides=1, padding="same", name="avg_pool"),
        L.GlobalAveragePooling2D(keepdims=True, name="gap2"),
        L.GlobalMaxPooling2D(name="gmp2"),
        L.GlobalAveragePooling1D(name="gap1"),
        L.GlobalMaxPooling1D(name="gmp1"),
        L.Reshape((2, -1), name="reshape"),
        L.Embedding(10, 4, mask_zero=True, name="embedding"),
        L.SimpleRNN(3, return_sequences=True, name="simple_rnn"),
        L.LSTM(3, recurrent_activation="hard_sigmoid", go_backwards=True, name="lstm"),
        L.GRU(3, reset_after=False, return_state=True, name="gru"),
        L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum", name="bidir"),
        L.Normalization(axis=-1, name="normalization"),
        L.Normalization(mean=[1.0, 2.0], variance=[1.0, 4.0], invert=True, name="norm_given"),
        L.Rescaling(1 / 255, offset=-1.0, name="rescaling"),
        L.Add(name="add"),
        L.Subtract(name="subtract"),
        L.Multiply(name="multiply"),
        L.Average(name="average"),
        L.Maximum(name="maximum"),
        L.Minimum(name="minimum"),
        L.Concatenate(axis=1, name="concatenate"),
        *_sequence_and_attention_layers(tf),
        *_regularized_layers(tf),
    ]


def _double(tf):
    """A function registered as Keras finds it by name (a Lambda's `function`)."""

    @tf.keras.utils.register_keras_serializable(package="Cases")
    def double(x):
        return x * 2.0

    return double


def _sequence_and_attention_layers(tf):
    """The masking, sequence, image and attention layers, and the recurrent layers' dropout
    and mask arguments."""
    L = tf.keras.layers
    return [
        L.Masking(mask_value=-1.0, name="masking"),
        L.SpatialDropout1D(0.2, seed=3, name="spatial_dropout"),
        L.Lambda(_double(tf), name="lambda"),
        L.Conv1D(
            4, 3, strides=2, padding="causal", activation="relu", use_bias=False, name="conv1d"
        ),
        L.MaxPooling1D(3, strides=1, padding="same", name="max_pool1"),
        L.AveragePooling1D(2, name="avg_pool1"),
        L.UpSampling2D((2, 3), interpolation="bilinear", name="upsampling"),
        L.ZeroPadding2D(((1, 2), (0, 1)), name="zero_padding"),
        L.Cropping2D(1, name="cropping"),
        L.RepeatVector(3, name="repeat"),
        L.Permute((2, 1), name="permute"),
        L.TimeDistributed(L.Dense(2, name="td_dense"), name="time_distributed"),
        L.EinsumDense(
            "abc,cd->abd", output_shape=(None, 4), bias_axes="d", activation="tanh", name="einsum"
        ),
        L.MultiHeadAttention(
            2, 3, value_dim=4, dropout=0.1, output_shape=(5,), attention_axes=1, name="mha"
        ),
        L.Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=2, name="attention"),
        L.AdditiveAttention(use_scale=False, name="additive_attention"),
        L.Softmax(axis=[1, 2], name="softmax_axes"),
        L.SimpleRNN(2, dropout=0.3, seed=1, name="simple_rnn_dropout"),
        L.LSTM(
            2,
            dropout=0.1,
            recurrent_dropout=0.2,
            seed=5,
            zero_output_for_mask=True,
            name="lstm_dropout",
        ),
        L.GRU(2, recurrent_dropout=0.25, return_sequences=True, name="gru_dropout"),
    ]


def _regularized_layers(tf):
    """The layers that take regularizers, with each kind of regularizer Keras has."""
    L, R = tf.keras.layers, tf.keras.regularizers
    return [
        L.Dense(
            3,
            kernel_regularizer=R.L2(0.02),
            bias_regularizer="l1",
            activity_regularizer=R.L1L2(l1=0.1, l2=0.2),
            name="dense_reg",
        ),
        L.Dropout(0.0, activity_regularizer="l2", name="dropout_reg"),
        L.BatchNormalization(
            gamma_regularizer=R.L1(0.3), beta_regularizer=R.L1L2(l2=0.05), name="batch_norm_reg"
        ),
        L.LayerNormalization(gamma_regularizer="l2", beta_regularizer="l1", name="layer_norm_reg"),
        L.Conv2D(
            2,
            3,
            kernel_regularizer=R.OrthogonalRegularizer(0.1, mode="columns"),
            bias_regularizer=R.L2(0.5),
            activity_regularizer="l1",
            name="conv_reg",
        ),
        L.Embedding(10, 4, embeddings_regularizer=R.L2(0.001), name="embedding_reg"),
        L.SimpleRNN(
            3, kernel_regularizer="l2", recurrent_regularizer=R.L1(0.2), name="simple_rnn_reg"
        ),
        L.LSTM(2, bias_regularizer="l1", activity_regularizer=R.L2(0.1), name="lstm_reg"),
        L.GRU(2, recurrent_regularizer=R.OrthogonalRegularizer(0.2), name="gru_reg"),
        L.Bidirectional(L.LSTM(2, kernel_regularizer="l2"), name="bidir_reg"),
        L.Conv1D(
            2,
            2,
            kernel_regularizer=R.L1L2(0.01, 0.02),
            bias_regularizer="l2",
            activity_regularizer=R.L1(0.1),
            name="conv1d_reg",
        ),
        L.EinsumDense(
            "ab,bc->ac",
            output_shape=3,
            bias_axes="c",
            kernel_regularizer="l1",
            bias_regularizer=R.L2(0.2),
            activity_regularizer="l2",
            name="einsum_reg",
        ),
        L.MultiHeadAttention(
            2,
            2,
            kernel_regularizer=R.L2(0.05),
            bias_regularizer="l1",
            activity_regularizer=R.L1(0.01),
            name="mha_reg",
        ),
    ]


def _built_layers(tf):
    """Layers after a call: the build changes some configs (LayerNormalization's axis)."""
    L = tf.keras.layers
    calls = [
        (L.Dense(2, name="b_dense"), X),
        (L.BatchNormalization(axis=1, name="b_batch_norm"), SEQ),
        (L.LayerNormalization(name="b_layer_norm"), SEQ),
        (L.Conv2D(2, 3, name="b_conv"), IMAGES),
        (L.LSTM(2, name="b_lstm"), SEQ),
        (L.Bidirectional(L.GRU(2), name="b_bidir"), SEQ),
        (L.Embedding(10, 2, name="b_embedding"), LABELS.reshape(2, 4)),
    ]
    calls += [
        (L.Conv1D(2, 2, padding="same", name="b_conv1d"), SEQ),
        (L.EinsumDense("abc,cd->abd", (None, 2), bias_axes="d", name="b_einsum"), SEQ),
        (L.Masking(name="b_masking"), SEQ),
        (L.MaxPooling1D(name="b_max_pool1"), SEQ),
        (L.UpSampling2D(name="b_upsampling"), IMAGES),
        (L.ZeroPadding2D(name="b_zero_padding"), IMAGES),
        (L.Cropping2D(1, name="b_cropping"), IMAGES),
        (L.RepeatVector(2, name="b_repeat"), X),
        (L.Permute((2, 1), name="b_permute"), SEQ),
        (L.Lambda(_double(tf), name="b_lambda"), X),
        (L.SpatialDropout1D(0.5, name="b_spatial_dropout"), SEQ),
        (L.TimeDistributed(L.Dense(2, name="b_td_dense"), name="b_time_distributed"), SEQ),
        (L.Attention(use_scale=True, name="b_attention"), [SEQ, SEQ[:, :3]]),
        (L.AdditiveAttention(name="b_additive_attention"), [SEQ, SEQ]),
        (L.LSTM(2, dropout=0.5, name="b_lstm_dropout"), SEQ),
    ]
    norm = L.Normalization(name="b_normalization")
    norm.adapt(X)
    out = {}
    for layer, x in calls:
        layer(x)
        out[layer.name] = tf.keras.utils.serialize_keras_object(layer)
    out["b_normalization"] = tf.keras.utils.serialize_keras_object(norm)
    concat = L.Concatenate(name="b_concat")
    concat([X, X[:, :2]])
    out["b_concat"] = tf.keras.utils.serialize_keras_object(concat)
    mha = L.MultiHeadAttention(2, 3, name="b_mha")  # built from its query's and value's shapes
    mha(SEQ, SEQ[:, :2])
    out["b_mha"] = tf.keras.utils.serialize_keras_object(mha)
    mha = L.MultiHeadAttention(1, 2, attention_axes=-2, name="b_mha_axes")
    mha(IMAGES, IMAGES, IMAGES)
    out["b_mha_axes"] = tf.keras.utils.serialize_keras_object(mha)
    return out


def _functional(tf):
    L = tf.keras.layers
    p = tf.keras.Input(shape=(3,), name="p")
    q = tf.keras.Input(shape=(2,), name="q")
    shared = L.Dense(2, name="shared")
    inner = tf.keras.Sequential([L.Dense(2, name="inner_dense")], name="inner")
    x = tf.keras.Input(shape=(2,), name="sub_in")
    sub = tf.keras.Model(x, L.Dense(2, name="sub_dense")(x), name="sub")
    merged = L.Concatenate(name="cat")([shared(p), q])
    out = L.Add(name="sum")([shared(p), inner(merged), sub(q)])
    return tf.keras.Model({"p": p, "q": q}, {"out": out, "side": sub(q)}, name="graph")


def _sequence_model(tf, name="sequence"):
    """A functional model of the sequence and attention layers (no masks: Keras's graph
    records the operations that make masks, tapeflow's does not)."""
    L = tf.keras.layers
    x = tf.keras.Input(shape=(6, 3), name=f"{name}_in")
    h = L.Conv1D(4, 3, padding="causal", name=f"{name}_conv")(x)
    h = L.SpatialDropout1D(0.1, name=f"{name}_sd")(h)
    h = L.TimeDistributed(L.Dense(4, name=f"{name}_d"), name=f"{name}_td")(h)
    h = L.MaxPooling1D(2, name=f"{name}_pool")(h)
    a = L.MultiHeadAttention(2, 2, name=f"{name}_mha")(h, h)
    b = L.Attention(name=f"{name}_att")([a, h])
    c = L.AdditiveAttention(name=f"{name}_add_att")([b, h])
    d = L.Lambda(_double(tf), name=f"{name}_lambda")(c)
    e = L.LSTM(2, dropout=0.2, name=f"{name}_lstm")(d)
    f = L.RepeatVector(2, name=f"{name}_repeat")(e)
    g = L.Permute((2, 1), name=f"{name}_permute")(f)
    out = L.Dropout(0.2, name=f"{name}_drop")(L.Flatten(name=f"{name}_flat")(g))
    return tf.keras.Model(x, out, name=name)


def _two_outputs(tf, name="two"):
    """A functional model with two named outputs ("a", "b") and regularizers of each kind."""
    L, R = tf.keras.layers, tf.keras.regularizers
    x = tf.keras.Input(shape=(3,), name=f"{name}_in")
    h = L.Dense(
        4,
        activation="tanh",
        kernel_regularizer=R.OrthogonalRegularizer(0.1),
        bias_regularizer=R.L1(0.02),
        name=f"{name}_h",
    )(x)
    h = L.BatchNormalization(gamma_regularizer=R.L1L2(0.01, 0.01), name=f"{name}_bn")(h)
    a = L.Dense(2, kernel_regularizer="l2", activity_regularizer=R.L1(0.05), name="a")(h)
    b = L.Dense(1, bias_regularizer=R.L2(0.3), name="b")(h)
    return tf.keras.Model(x, [a, b], name=name)


# compile arguments of a two-output model, as Keras 3 takes them: dicts by output name, lists
# in the outputs' order, one loss for both, an output without a loss
def _multi_output_compiles(tf):
    return [
        {
            "optimizer": tf.keras.optimizers.Adam(0.01),
            "loss": {"a": "mse", "b": tf.keras.losses.MeanAbsoluteError()},
            "loss_weights": {"a": 1.0, "b": 0.5},
            "metrics": {"a": ["mae"], "b": [tf.keras.metrics.MeanSquaredError(name="sq")]},
            "weighted_metrics": [["mse"], None],
        },
        {
            "optimizer": "sgd",
            "loss": ["mse", tf.keras.losses.mae],
            "loss_weights": [0.3, 0.7],
            "metrics": [["mae", "mse"], [tf.keras.metrics.MeanAbsoluteError()]],
        },
        {"optimizer": "rmsprop", "loss": "mae", "loss_weights": 2.0, "metrics": [None, ["mse"]]},
        {"optimizer": "adam", "loss": [None, "mse"], "weighted_metrics": {"b": ["mae"]}},
    ]


def _sequential(tf, name="seq"):
    L = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(3,), name=f"{name}_in"),
            L.Dense(4, activation="tanh", name=f"{name}_h"),
            L.BatchNormalization(name=f"{name}_bn"),
            L.Dropout(0.0, name=f"{name}_drop"),  # no random numbers in training
            L.Dense(2, name=f"{name}_out"),
        ],
        name=name,
    )


def _registered(tf):
    """A registered custom layer and a registered subclassed model."""

    @tf.keras.utils.register_keras_serializable(package="Cases")
    class Scale(tf.keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @tf.keras.utils.register_keras_serializable(package="Cases")
    class TwoLayer(tf.keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = tf.keras.layers.Dense(units, activation="relu", name="hidden")
            self.out = tf.keras.layers.Dense(1, name="out")

        def call(self, x):
            return self.out(self.hidden(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Scale, TwoLayer


def CONFIGS(tf):
    ser = tf.keras.utils.serialize_keras_object
    out = {}
    for layer in _layers(tf):
        out[f"layer_{layer.name}"] = layer.get_config()
    for name, config in _built_layers(tf).items():
        out[f"built_{name}"] = config
    with_input = _sequential(tf)
    out["sequential"] = with_input.get_config()
    lazy = tf.keras.Sequential([tf.keras.layers.Dense(2, name="lazy_d")], name="lazy")
    out["sequential_lazy_unbuilt"] = lazy.get_config()
    lazy(X)
    config = lazy.get_config()
    config["layers"][0]["config"]["name"] = "<auto>"  # an auto-named InputLayer
    out["sequential_lazy_called"] = config
    out["functional"] = _functional(tf).get_config()
    out["functional_sequence_layers"] = _sequence_model(tf).get_config()
    model = _sequential(tf, "compiled")
    for i, (optimizer, loss, metrics) in enumerate(
        [
            (tf.keras.optimizers.Adam(0.01), "mse", ["mae"]),
            (
                tf.keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                tf.keras.losses.MeanSquaredError(),
                [tf.keras.metrics.MeanAbsoluteError(), "accuracy"],
            ),
            ("rmsprop", tf.keras.losses.mae, None),
            (
                tf.keras.optimizers.Adagrad(),
                tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                [tf.keras.metrics.SparseCategoricalAccuracy(name="acc")],
            ),
            (
                tf.keras.optimizers.RMSprop(centered=True, momentum=0.5),
                tf.keras.losses.BinaryCrossentropy(label_smoothing=0.1),
                [tf.keras.metrics.BinaryAccuracy(threshold=0.3)],
            ),
            ("adam", tf.keras.losses.CategoricalCrossentropy(axis=-1), ["categorical_accuracy"]),
        ]
    ):
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        out[f"compile_{i}"] = model.get_compile_config()
    out["to_json"] = json.loads(model.to_json())
    two = _two_outputs(tf, "compiled_two")
    out["functional_regularized"] = two.get_config()
    for i, arguments in enumerate(_multi_output_compiles(tf)):
        two.compile(**arguments)
        out[f"compile_multi_output_{i}"] = two.get_compile_config()
    R = tf.keras.regularizers
    for name, regularizer in [
        ("L1", R.L1(0.3)),
        ("L2", R.L2()),
        ("L1L2", R.L1L2(l1=0.25)),
        ("l1_l2", R.l1_l2()),
        ("Orthogonal", R.OrthogonalRegularizer(0.5, "columns")),
        ("by_name", R.get("l2")),
    ]:
        out[f"regularizer_{name}"] = ser(regularizer)
    for init in [
        tf.keras.initializers.RandomNormal(0.1, 0.2, seed=3),
        tf.keras.initializers.TruncatedNormal(),
        tf.keras.initializers.RandomUniform(-1.0, 1.0),
        tf.keras.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
        tf.keras.initializers.GlorotNormal(seed=1),
        tf.keras.initializers.HeUniform(),
        tf.keras.initializers.Orthogonal(gain=2.0),
        tf.keras.initializers.Zeros(),
    ]:
        out[f"initializer_{type(init).__name__}"] = ser(init)
    Scale, _ = _registered(tf)
    out["registered_layer"] = ser(Scale(3.0, name="scale"))
    out["registered_name"] = tf.keras.utils.get_registered_name(Scale)
    return _json(out)


# -- value cases ----------------------------------------------------------------------------


def _history(history):
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}


def _error(fn):
    try:
        fn()
    except Exception as e:  # the type and text are what is compared
        return [type(e).__name__, str(e)]
    return None


def sequential_save_load_and_resume(tf, d):
    model = _fill(_sequential(tf))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    first = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = os.path.join(d, "model.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if not n.startswith("model.weights"))
        metadata = sorted(json.loads(archive.read("metadata.json")))
        saved_config = json.loads(archive.read("config.json"))
    loaded = tf.keras.models.load_model(path)
    out = {
        "first": _history(first),
        "archive": names,
        "metadata_keys": metadata,
        "config_keys": sorted(saved_config),
        "class_name": saved_config["class_name"],
        "loaded_class": type(loaded).__name__,
        "loaded_layers": [layer.name for layer in loaded.layers],
        "loaded_paths": [v.path for v in loaded.weights],
        "loaded_weights": loaded.get_weights(),
        "optimizer": type(loaded.optimizer).__name__,
        "optimizer_variables": [v.numpy() for v in loaded.optimizer.variables],
        "predict": loaded.predict(X, verbose=0),
        "evaluate": loaded.evaluate(X, Y, verbose=0),
    }
    resumed = loaded.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    continued = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    out["resumed"] = _history(resumed)
    out["continued"] = _history(continued)
    out["resumed_weights"] = loaded.get_weights()
    uncompiled = tf.keras.models.load_model(path, compile=False)
    out["uncompiled"] = [uncompiled.compiled, uncompiled.predict(X, verbose=0)]
    return out


def functional_save_load(tf, d):
    model = _fill(_functional(tf))
    inputs = {"p": X, "q": X[:, :2] * 2.0}
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.05, momentum=0.9),
        loss="mse",
    )
    path = os.path.join(d, "graph.keras")
    model.save(path)
    loaded = tf.keras.models.load_model(path)
    got = loaded(inputs)
    return {
        "layers": [layer.name for layer in loaded.layers],
        "paths": [v.path for v in loaded.weights],
        "out": got["out"],
        "side": got["side"],
        "same_config": json.dumps(loaded.get_config()) == json.dumps(model.get_config()),
        "clone_layers": [layer.name for layer in tf.keras.models.clone_model(model).layers],
    }


def every_layer_through_a_saved_model(tf, d):
    L = tf.keras.layers
    outputs = {}
    models = {
        "dense": [tf.keras.Input(shape=(3,)), L.Dense(4, activation="relu"), L.Dense(2)],
        "norms": [
            tf.keras.Input(shape=(5, 3)),
            L.BatchNormalization(),
            L.LayerNormalization(),
            L.Flatten(),
            L.Dropout(0.5),
            L.ReLU(max_value=1.0),
            L.Reshape((3, 5)),
            L.Softmax(),
        ],
        "conv": [
            tf.keras.Input(shape=(6, 6, 2)),
            L.Rescaling(2.0, offset=-1.0),
            L.Conv2D(3, 3, padding="same", activation="relu"),
            L.MaxPooling2D(),
            L.AveragePooling2D(1),
            L.GlobalAveragePooling2D(),
        ],
        "recurrent": [
            tf.keras.Input(shape=(5, 3)),
            L.SimpleRNN(3, return_sequences=True),
            L.LSTM(3, return_sequences=True),
            L.Bidirectional(L.GRU(2, return_sequences=True)),
            L.GlobalMaxPooling1D(),
            L.Activation("sigmoid"),
        ],
        "embedding": [tf.keras.Input(shape=(4,), dtype="int32"), L.Embedding(10, 3)],
    }
    data = {
        "dense": X,
        "norms": SEQ,
        "conv": IMAGES,
        "recurrent": SEQ,
        "embedding": LABELS.reshape(2, 4),
    }
    for name, layers in models.items():
        model = _fill(tf.keras.Sequential(layers, name=name))
        path = os.path.join(d, f"{name}.keras")
        model.save(path)
        loaded = tf.keras.models.load_model(path)
        outputs[name] = loaded.predict(data[name], verbose=0)
        outputs[f"{name}_weights"] = len(loaded.weights)
    norm = L.Normalization()
    norm.adapt(X)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), norm], name="norm")
    model.save(os.path.join(d, "norm.keras"))
    outputs["normalization"] = tf.keras.models.load_model(os.path.join(d, "norm.keras"))(X)
    return outputs


def custom_objects(tf, d):
    Scale, TwoLayer = _registered(tf)
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), Scale(3.0, name="scale")])
    model.layers[0].w.assign([1.0, 2.0, 3.0])
    model.save(os.path.join(d, "scale.keras"))
    loaded = tf.keras.models.load_model(os.path.join(d, "scale.keras"))
    sub = TwoLayer(units=2, name="two")
    sub(X)
    _fill(sub)
    sub.compile(optimizer="adam", loss="mse")
    sub.fit(X, Y[:, :1], epochs=1, shuffle=False, verbose=0)
    sub.save(os.path.join(d, "sub.keras"))
    sub_loaded = tf.keras.models.load_model(os.path.join(d, "sub.keras"))

    class Unregistered(tf.keras.layers.Layer):
        def call(self, x):
            return x + 1.0

    plain = tf.keras.Sequential([tf.keras.Input(shape=(3,)), Unregistered(name="plus")])
    plain.save(os.path.join(d, "plain.keras"))
    error = _error(lambda: tf.keras.models.load_model(os.path.join(d, "plain.keras")))
    with_objects = tf.keras.models.load_model(
        os.path.join(d, "plain.keras"), custom_objects={"Unregistered": Unregistered}
    )
    return {
        "scale": loaded(X),
        "scale_factor": loaded.layers[0].factor,
        "sub": [type(sub_loaded).__name__, sub_loaded.units, sub_loaded(X)],
        "sub_resumed": _history(sub_loaded.fit(X, Y[:, :1], epochs=2, shuffle=False, verbose=0)),
        "sub_continued": _history(sub.fit(X, Y[:, :1], epochs=2, shuffle=False, verbose=0)),
        "unregistered_type": error[0],
        "unregistered_cause": "Could not locate class 'Unregistered'" in error[1],
        "with_custom_objects": with_objects(X),
    }


def multi_output_regularized_save_load_and_resume(tf, d):
    """A two-output model with regularizers and every compile argument, saved after some
    training and loaded: the configs, losses, metrics and training go on as before."""
    model = _fill(_two_outputs(tf))
    model.compile(**_multi_output_compiles(tf)[0])
    ys, weights = [Y, X[:, :1] ** 2], np.linspace(0.5, 1.5, 8, dtype=np.float32)
    fit = {"batch_size": 4, "epochs": 2, "shuffle": False, "verbose": 0}
    first = model.fit(X, ys, sample_weight=weights, **fit)
    path = os.path.join(d, "two.keras")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        saved = json.loads(archive.read("config.json"))
    loaded = tf.keras.models.load_model(path)
    loaded(X)  # the activity regularizer's loss is a call's
    out = {
        "first": _history(first),
        # as JSON text, compared exactly (the optimizer's name has a process-wide counter)
        "compile_config": json.dumps(
            {k: v for k, v in saved["compile_config"].items() if k != "optimizer"}
        ),
        "same_config": json.dumps(loaded.get_config()) == json.dumps(model.get_config()),
        "same_compile_config": json.dumps(loaded.get_compile_config())
        == json.dumps(model.get_compile_config()),
        "losses": [float(loss) for loss in loaded.losses],
        "metrics_names": loaded.metrics_names,
        "evaluate": loaded.evaluate(X, ys, sample_weight=weights, verbose=0, return_dict=True),
        "predict": loaded.predict(X, verbose=0),
    }
    resumed = loaded.fit(X, ys, sample_weight=weights, **fit)
    continued = model.fit(X, ys, sample_weight=weights, **fit)
    out["resumed"] = _history(resumed)
    out["continued"] = _history(continued)
    out["resumed_weights"] = loaded.get_weights()
    return out


def subclassed_multi_output_save_load(tf, d):
    """A registered subclassed model with two unnamed outputs and `add_loss`: its logged
    losses are named after the losses ("mse_loss", "mean_absolute_error_loss"), before and
    after loading."""

    @tf.keras.utils.register_keras_serializable(package="Cases")
    class TwoHeads(tf.keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = tf.keras.layers.Dense(
                units, activation="relu", kernel_regularizer="l2", name="hidden"
            )
            self.head_a = tf.keras.layers.Dense(2, name="head_a")
            self.head_b = tf.keras.layers.Dense(1, name="head_b")

        def call(self, x):
            h = self.hidden(x)
            self.add_loss(0.01 * tf.reduce_sum(tf.square(h)))
            return [self.head_a(h), self.head_b(h)]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = TwoHeads(name="heads")
    model(X)
    _fill(model)
    model.compile(
        optimizer=tf.keras.optimizers.SGD(0.05, momentum=0.5),
        loss=["mse", tf.keras.losses.MeanAbsoluteError()],
        loss_weights=[0.5, 2.0],
        metrics=[["mae"], None],
    )
    ys = [Y, X[:, 2:] * 0.5]
    fit = {"batch_size": 4, "epochs": 2, "shuffle": False, "verbose": 0}
    first = model.fit(X, ys, **fit)
    model.save(os.path.join(d, "heads.keras"))
    loaded = tf.keras.models.load_model(os.path.join(d, "heads.keras"))
    return {
        "first": _history(first),
        "loaded": [type(loaded).__name__, loaded.units, loaded(X)],
        "losses": [float(loss) for loss in loaded.losses],
        "resumed": _history(loaded.fit(X, ys, **fit)),
        "continued": _history(model.fit(X, ys, **fit)),
    }


def errors_and_json(tf, d):
    model = _fill(_sequential(tf, "errs"))
    model.compile(optimizer="sgd", loss="mse")
    out = {}
    for name in ["noext", "model.tf"]:
        path = os.path.join(d, name)
        out[f"save_{name}"] = _error(lambda p=path: model.save(p))
    for name in ["noext", "missing.keras"]:
        path = os.path.join(d, name)
        out[f"load_{name}"] = _error(lambda p=path: tf.keras.models.load_model(p))
    for key in out:
        out[key] = [out[key][0], out[key][1].replace(d, "<dir>")]
    from_json = tf.keras.models.model_from_json(model.to_json())
    out["from_json"] = [from_json.name, [layer.name for layer in from_json.layers]]
    out["from_json_compiled"] = bool(from_json.compiled)
    clone = tf.keras.models.clone_model(model)
    out["clone"] = [clone.name, [layer.name for layer in clone.layers], clone.built]
    out["clone_same_weights"] = all(
        np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights())
    )
    layer = tf.keras.layers.Dense.from_config(model.layers[0].get_config())
    out["from_config"] = [layer.name, layer.units, layer.built]
    return out


def sequence_and_attention_save_load(tf, d):
    """Models of the new layers saved and loaded: a masked Embedding -> LSTM -> Dense, the
    functional sequence model, an attention block and an image stack; their outputs before
    and after, and a resumed fit of the masked one."""
    L = tf.keras.layers
    ids = np.int32([[3, 1, 4, 0, 0], [5, 9, 2, 6, 5], [0, 0, 0, 0, 0], [8, 0, 7, 0, 1]])
    masked = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(5,), dtype="int32"),
            L.Embedding(10, 3, mask_zero=True, name="m_embedding"),
            L.LSTM(4, return_sequences=True, zero_output_for_mask=True, name="m_lstm"),
            L.GlobalAveragePooling1D(name="m_pool"),
            L.Dense(1, name="m_dense"),
        ],
        name="masked",
    )
    q = tf.keras.Input(shape=(4, 3), name="q")
    v = tf.keras.Input(shape=(6, 3), name="v")
    attended = L.MultiHeadAttention(2, 2, name="block_mha")(q, v, use_causal_mask=False)
    normed = L.LayerNormalization(name="block_norm")(L.Add(name="block_add")([q, attended]))
    projected = L.EinsumDense("abc,cd->abd", (None, 2), name="block_einsum")(normed)
    block = tf.keras.Model([q, v], projected, name="block")
    images = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(6, 6, 2)),
            L.ZeroPadding2D(((1, 0), (0, 1)), name="i_padding"),
            L.Cropping2D(((0, 1), (1, 0)), name="i_cropping"),
            L.UpSampling2D((1, 2), name="i_upsampling"),
            L.Conv2D(2, 3, name="i_conv"),
        ],
        name="images",
    )
    seq_in = np.linspace(-1.0, 1.0, 2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3)
    data = {
        "masked": ids,
        "sequence": seq_in,
        "block": [SEQ[:, :4], seq_in],
        "images": IMAGES,
    }
    out = {}
    for name, model in [
        ("masked", masked),
        ("sequence", _sequence_model(tf)),
        ("block", block),
        ("images", images),
    ]:
        _fill(model)
        before = model.predict(data[name], verbose=0)
        model.save(os.path.join(d, f"{name}.keras"))
        loaded = tf.keras.models.load_model(os.path.join(d, f"{name}.keras"))
        out[name] = before
        out[f"{name}_loaded"] = loaded.predict(data[name], verbose=0)
        out[f"{name}_weights"] = [v.path for v in loaded.weights]
    R = tf.keras.regularizers
    x = tf.keras.Input(shape=(6, 3), name="r_in")
    h = L.Conv1D(4, 2, padding="same", kernel_regularizer=R.L2(0.1), name="r_conv")(x)
    h = L.MultiHeadAttention(
        2,
        2,
        kernel_regularizer=R.L1(0.01),
        bias_regularizer="l2",
        activity_regularizer=R.L2(0.5),
        name="r_mha",
    )(h, h)
    h = L.EinsumDense(
        "abc,cd->abd", (None, 2), bias_axes="d", activity_regularizer="l1", name="r_einsum"
    )(h)
    regularized = _fill(tf.keras.Model(x, h, name="regularized"))
    regularized(seq_in)
    regularized.save(os.path.join(d, "regularized.keras"))
    loaded = tf.keras.models.load_model(os.path.join(d, "regularized.keras"))
    loaded(seq_in)
    out["regularized_losses"] = [float(loss) for loss in regularized.losses]
    out["regularized_loaded_losses"] = [float(loss) for loss in loaded.losses]
    masked.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    targets = np.float32([[0.5], [-0.5], [1.0], [0.0]])
    first = masked.fit(ids, targets, batch_size=2, epochs=2, shuffle=False, verbose=0)
    masked.save(os.path.join(d, "masked_fit.keras"))
    loaded = tf.keras.models.load_model(os.path.join(d, "masked_fit.keras"))
    out["first"] = _history(first)
    out["resumed"] = _history(
        loaded.fit(ids, targets, batch_size=2, epochs=2, shuffle=False, verbose=0)
    )
    out["continued"] = _history(
        masked.fit(ids, targets, batch_size=2, epochs=2, shuffle=False, verbose=0)
    )
    return out


CASES = {
    f.__name__: f
    for f in (
        sequential_save_load_and_resume,
        functional_save_load,
        every_layer_through_a_saved_model,
        custom_objects,
        multi_output_regularized_save_load_and_resume,
        subclassed_multi_output_save_load,
        errors_and_json,
        sequence_and_attention_save_load,
    )
}
