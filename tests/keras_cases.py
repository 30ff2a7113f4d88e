"""Keras code run under real TF (fixtures/make_keras_fixtures.py) and under tapeflow
(test_keras.py): each case takes the module as `tf` and returns named results.

Weights are set with `assign` or constant initializers and layers are named, so results do
not depend on random streams or on how many layers were made before.
"""

import warnings

import numpy as np

X = np.linspace(-1.5, 2.0, 12, dtype=np.float32).reshape(4, 3)
W1 = np.cos(np.arange(12, dtype=np.float32)).reshape(3, 4) * 0.7
B1 = np.float32([0.1, -0.2, 0.0, 0.3])
W2 = np.sin(np.arange(8, dtype=np.float32)).reshape(4, 2)
B2 = np.float32([0.05, -0.05])


def _mlp(tf, name):
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(3,)),
            tf.keras.layers.Dense(4, activation="relu", name=f"{name}_h"),
            tf.keras.layers.Dense(2, name=f"{name}_o"),
        ],
        name=name,
    )
    for v, value in zip(model.trainable_variables, (W1, B1, W2, B2)):
        v.assign(value)
    return model


def dense_forward_and_gradients(tf):
    layer = tf.keras.layers.Dense(
        3,
        activation="tanh",
        kernel_initializer=tf.keras.initializers.Constant(0.25),
        bias_initializer="ones",
        name="dense_a",
    )
    built_before = layer.built
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, layer.trainable_variables)
    return {
        "built": [built_before, layer.built],
        "y": y,
        "grads": grads,
        "paths": [v.path for v in layer.variables],
        "names": [v.name for v in layer.variables],
        "kernel_repr": repr(layer.kernel),
        "bias_repr": repr(layer.bias),
        "layer_repr": repr(layer),
        "rank3": layer(tf.ones((2, 5, 3))),
    }


def dense_errors(tf):
    layer = tf.keras.layers.Dense(2, use_bias=False, name="dense_e")
    out = {}
    try:
        layer.kernel
    except AttributeError as e:
        out["unbuilt"] = f"AttributeError: {e}"
    try:
        layer(tf.ones((3,)))
    except ValueError as e:
        out["rank1"] = f"ValueError: {e}"
    layer(tf.ones((2, 3)))
    try:
        layer(tf.ones((2, 4)))
    except ValueError as e:
        out["last_dim"] = f"ValueError: {e}"
    try:
        tf.keras.layers.Dense(0)
    except ValueError as e:
        out["units"] = f"ValueError: {e}"
    out["bias_is_none"] = layer.bias is None
    out["count"] = len(layer.weights)
    return out


def sequential_mlp(tf):
    model = _mlp(tf, "mlp")
    x = tf.constant(X)
    y_true = tf.constant(X[:, :2] * 0.5)
    loss_fn = tf.keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        y = model(x)
        loss = loss_fn(y_true, y)
    grads = tape.gradient(loss, model.trainable_variables)
    return {
        "built": model.built,
        "y": y,
        "loss": loss,
        "grads": grads,
        "paths": [v.path for v in model.trainable_variables],
        "layers": [repr(layer) for layer in model.layers],
        "repr": repr(model),
        "numpy_input": model(X.astype(np.float64)),
    }


def sequential_add_and_lazy_build(tf):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = tf.keras.Sequential(name="seq_add")
        model.add(tf.keras.layers.Dense(2, input_shape=(4,), name="seq_add_a"))
        model.add(tf.keras.layers.Dense(1, name="seq_add_b"))
    lazy = tf.keras.Sequential(
        [tf.keras.layers.Dense(3, name="lazy_a"), tf.keras.layers.Flatten(name="lazy_f")],
        name="lazy",
    )
    before = [lazy.built, len(lazy.variables)]
    lazy(tf.ones((2, 5)))
    return {
        "add_built": model.built,
        "add_shapes": [v.shape.as_list() for v in model.variables],
        "add_paths": [v.path for v in model.variables],
        "lazy_before": before,
        "lazy_after": [lazy.built, len(lazy.variables)],
        "lazy_paths": [v.path for v in lazy.variables],
        "input_repr": repr(tf.keras.Input(shape=(3,), name="inp")),
    }


def custom_layer_and_model(tf):
    class Affine(tf.keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
            self.count = self.add_weight(
                shape=(), initializer="zeros", trainable=False, name="count", dtype="int32"
            )

        def call(self, x):
            return tf.matmul(x, self.w) + self.b

    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.second = Affine(2, name="second")
            self.first = Affine(3, name="first")
            self.plain = tf.Variable(5.0, name="plain")  # Keras 3 does not track it

        def call(self, x, training=False):
            h = self.second(self.first(x))
            return tf.keras.layers.Dropout(0.5, name="drop")(h, training=training)

    net = Net()
    x = tf.constant(X[:2])
    with tf.GradientTape() as tape:
        y = net(x)
        loss = tf.reduce_mean(y)
    grads = tape.gradient(loss, net.trainable_variables)
    out = {
        "y": y,
        "grads": grads,
        "name": net.name,
        "trainable_paths": [v.path for v in net.trainable_variables],
        "non_trainable_paths": [v.path for v in net.non_trainable_variables],
        "weights_paths": [v.path for v in net.weights],
        "trainable_weights": len(net.trainable_weights),
        "layers": [layer.name for layer in net.layers],
        "train_false_same": net(x, training=False),
    }
    net.first.trainable = False
    out["after_freeze"] = [v.path for v in net.trainable_variables]
    out["frozen_flags"] = [v.trainable for v in net.first.weights]
    net.trainable = False
    out["all_frozen"] = [len(net.trainable_variables), len(net.non_trainable_variables)]
    return out


def small_layers(tf):
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10)
    return {
        "flatten": tf.keras.layers.Flatten()(x),
        "dropout_inference": tf.keras.layers.Dropout(0.3)(x),
        "dropout_false": tf.keras.layers.Dropout(0.3)(x, training=False),
        "relu": tf.keras.layers.ReLU()(x),
        "relu_max": tf.keras.layers.ReLU(max_value=6.0)(x),
        "activation": tf.keras.layers.Activation("sigmoid")(x),
    }


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "elu", "gelu", "linear", "softplus",
               "softsign", "selu", "silu", "relu6", "exponential"]  # fmt: skip


def activations(tf):
    x = tf.constant([[-3.0, -0.5, 0.0, 0.7, 4.0]])
    out = {}
    for name in ACTIVATIONS:
        fn = tf.keras.activations.get(name)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            s = tf.reduce_sum(y * tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0]]))
        out[name] = y
        out[f"{name}_grad"] = tape.gradient(s, x)
    out["gelu_approx"] = tf.keras.activations.gelu(x, approximate=True)
    out["elu_alpha"] = tf.keras.activations.elu(x, alpha=0.5)
    out["leaky"] = tf.keras.activations.leaky_relu(x)
    return out


def losses(tf):
    yt = tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    probs = tf.constant([[0.2, 0.7, 0.1], [0.0, 0.3, 0.7]])  # a zero: Keras clips it
    logits = tf.constant([[1.0, 3.0, -1.0], [-20.0, 2.0, 5.0]])
    binary_true = tf.constant([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    binary_p = tf.constant([[0.9, 0.0, 1.0], [0.3, 0.2, 0.6]])  # 0 and 1: clipped
    sparse = tf.constant([1, 0])
    reg_true = tf.constant([[1.0], [2.0], [3.0]])
    reg_pred = tf.constant([1.5, 1.0, 3.5])
    k = tf.keras.losses
    out = {
        "mse": k.MeanSquaredError()(yt, probs),
        "mse_rank": k.MeanSquaredError()(reg_true, reg_pred),
        "mae": k.MeanAbsoluteError()(yt, probs),
        "mse_fn": k.mse(yt, probs),
        "mae_fn": k.mae(yt, probs),
        "bce": k.BinaryCrossentropy()(binary_true, binary_p),
        "bce_logits": k.BinaryCrossentropy(from_logits=True)(binary_true, logits),
        "bce_smooth": k.BinaryCrossentropy(label_smoothing=0.1)(binary_true, binary_p),
        "bce_fn": k.binary_crossentropy(binary_true, binary_p),
        "cce": k.CategoricalCrossentropy()(yt, probs),
        "cce_logits": k.CategoricalCrossentropy(from_logits=True)(yt, logits),
        "cce_smooth": k.CategoricalCrossentropy(label_smoothing=0.2)(yt, probs),
        "cce_fn": k.categorical_crossentropy(yt, probs),
        "cce_of_softmax": k.CategoricalCrossentropy()(yt, tf.keras.activations.softmax(logits)),
        "cce_of_nn_softmax": k.CategoricalCrossentropy()(yt, tf.nn.softmax(logits)),
        "scce": k.SparseCategoricalCrossentropy()(sparse, probs),
        "scce_logits": k.SparseCategoricalCrossentropy(from_logits=True)(sparse, logits),
        "scce_column": k.SparseCategoricalCrossentropy()(tf.constant([[1], [0]]), probs),
        "scce_fn": k.sparse_categorical_crossentropy(sparse, probs),
        "weighted": k.MeanSquaredError()(yt, probs, sample_weight=tf.constant([1.0, 3.0])),
        "sum": k.MeanSquaredError(reduction="sum")(yt, probs),
        "none": k.MeanSquaredError(reduction="none")(yt, probs),
        "float64_pred": k.MeanSquaredError()(yt, tf.cast(probs, tf.float64)),
    }
    for name, loss, pred in [
        ("mse", k.MeanSquaredError(), probs),
        ("bce", k.BinaryCrossentropy(), binary_p),
        ("bce_logits", k.BinaryCrossentropy(from_logits=True), logits),
        ("cce", k.CategoricalCrossentropy(), probs),
        ("cce_logits", k.CategoricalCrossentropy(from_logits=True), logits),
        ("scce_logits", k.SparseCategoricalCrossentropy(from_logits=True), logits),
    ]:
        target = sparse if name.startswith("scce") else (binary_true if "bce" in name else yt)
        with tf.GradientTape() as tape:
            tape.watch(pred)
            value = loss(target, pred)
        out[f"grad_{name}"] = tape.gradient(value, pred)
    return out


OPTIMIZERS = {
    "sgd": ("SGD", {"learning_rate": 0.1}),
    "sgd_momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
    "adam": ("Adam", {"learning_rate": 0.1}),
    "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "beta_1": 0.8, "amsgrad": True}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}),
    "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    "adagrad": ("Adagrad", {"learning_rate": 0.1}),
}


def _optimizer_case(class_name, kwargs):
    def case(tf):
        opt = getattr(tf.keras.optimizers, class_name)(**kwargs, name="opt")
        w = tf.keras.Variable(np.float32([[0.5, -1.0, 2.0], [1.5, 0.0, -0.3]]), name="w")
        b = tf.Variable(np.float32([0.1, -0.2]), name="b")  # a plain tf.Variable
        frozen = tf.keras.Variable(np.float32([1.0]), name="frozen")
        for step in range(6):
            gw = tf.constant(np.sin(np.arange(6, dtype=np.float32) + step).reshape(2, 3))
            gb = tf.constant(np.cos(np.float32([1.0, 2.0]) * (step + 1)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the None gradient's warning
                opt.apply_gradients(zip([gw, gb, None], [w, b, frozen]))
            if step == 2:
                opt.learning_rate = float(opt.learning_rate.numpy()) * 0.5
        return {
            "w": w,
            "b": b,
            "frozen": frozen,
            "iterations": opt.iterations,
            "learning_rate": opt.learning_rate,
            "paths": [v.path for v in opt.variables],
            "slots": list(opt.variables[2:]),
        }

    return case


def optimizer_reprs(tf):
    opt = tf.keras.optimizers.SGD(name="sgd_r")
    w = tf.Variable([1.0, 2.0])
    out = {"lr": repr(opt.learning_rate), "iterations": repr(opt.iterations)}
    opt.learning_rate = 0.5
    result = opt.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    out["after"] = [repr(opt.learning_rate), repr(result), repr(w)]
    try:
        opt.apply_gradients([(None, w)])
    except ValueError as e:
        out["no_gradients"] = str(e)
    return out


def training_loop(tf):
    """A toy regression learned by a custom training loop: the loss after each step."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(32, 2)).astype(np.float32)
    y = (np.sin(2 * x[:, :1]) + 0.5 * x[:, 1:] ** 2).astype(np.float32)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(8, activation="tanh", name="fit_h"),
            tf.keras.layers.Dense(1, name="fit_o"),
        ],
        name="fit",
    )
    model(x[:1])
    for v in model.trainable_variables:
        shape = v.shape.as_list()
        n = int(np.prod(shape))
        v.assign((np.cos(np.arange(n) * 1.3) * 0.5).reshape(shape).astype(np.float32))
    opt = tf.keras.optimizers.Adam(learning_rate=0.05)
    loss_fn = tf.keras.losses.MeanSquaredError()
    history = []
    for _ in range(40):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        history.append(float(loss.numpy()))
    return {"history": np.float32(history), "final": loss_fn(y, model(x)), "weights": model.weights}


def normalization_layers(tf):
    x4 = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) ** 1.5 / 10)
    bn = tf.keras.layers.BatchNormalization(momentum=0.9, name="bn_last")
    bn1 = tf.keras.layers.BatchNormalization(axis=1, epsilon=0.01, name="bn_axis1")
    ln = tf.keras.layers.LayerNormalization(name="ln_last")
    ln12 = tf.keras.layers.LayerNormalization(axis=[1, 2], center=False, name="ln_12")
    x = tf.constant(X)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, x4])
        y_train = bn(x, training=True)
        y_axis1 = bn1(x4, training=True)
        y_ln = ln(x)
        y_ln12 = ln12(x4)
        loss = tf.reduce_sum(y_train**3) + tf.reduce_sum(y_axis1 * x4) + tf.reduce_sum(y_ln**3)
        loss += tf.reduce_sum(tf.sin(y_ln12))
    grads = tape.gradient(loss, [x, x4, *bn.trainable_variables, *bn1.trainable_variables])
    return {
        "y_train": y_train,
        "y_infer": bn(x),  # the moving statistics after one update
        "y_axis1": y_axis1,
        "y_ln": y_ln,
        "y_ln12": y_ln12,
        "grads": grads,
        "bn_paths": [v.path for v in bn.variables],
        "bn_trainable": [v.path for v in bn.trainable_variables],
        "bn1_moving": [bn1.moving_mean, bn1.moving_variance],
        "ln12_paths": [v.path for v in ln12.variables],
    }


def softmax_layer(tf):
    layer = tf.keras.layers.Softmax(name="sm")
    x = tf.constant(X)
    masked = tf.keras.layers.Softmax(axis=0, name="sm0")(x, mask=tf.constant(X > 0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * tf.constant(W1.T[:4, :3]))
    return {"y": y, "masked": masked, "grad": tape.gradient(loss, x), "vars": len(layer.variables)}


def image_and_token_layers(tf):
    import contextlib
    import io

    img = tf.constant(np.sin(np.arange(2 * 7 * 7 * 3, dtype=np.float32)).reshape(2, 7, 7, 3))
    conv = tf.keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="c1")
    conv2 = tf.keras.layers.Conv2D(2, (2, 3), dilation_rate=2, use_bias=False, name="c2")
    conv.build(img.shape)
    conv2.build(img.shape)
    conv.kernel.assign(np.cos(np.arange(108, dtype=np.float32)).reshape(3, 3, 3, 4) * 0.3)
    conv.bias.assign([0.1, -0.1, 0.0, 0.2])
    conv2.kernel.assign(np.sin(np.arange(36, dtype=np.float32)).reshape(2, 3, 3, 2))
    emb = tf.keras.layers.Embedding(5, 3, name="emb")
    emb.build((None,))
    emb.embeddings.assign(np.arange(15, dtype=np.float32).reshape(5, 3) / 10)
    ids = tf.constant([[0, 4, 2], [1, 1, 3]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(img)
        a = conv(img)
        b = conv2(img)
        pooled = [
            tf.keras.layers.MaxPooling2D(name="mp")(a),
            tf.keras.layers.AveragePooling2D(pool_size=3, strides=1, padding="same", name="ap")(b),
            tf.keras.layers.GlobalAveragePooling2D(name="gap")(a),
            tf.keras.layers.GlobalMaxPooling2D(keepdims=True, name="gmp")(b),
            tf.keras.layers.Reshape((-1, 2), name="rs")(a),
        ]
        e = emb(ids)
        tokens = [
            tf.keras.layers.GlobalAveragePooling1D(name="gap1")(e),
            tf.keras.layers.GlobalMaxPooling1D(name="gmp1")(e),
        ]
        loss = sum(tf.reduce_sum(p**2) for p in pooled + tokens)
    grads = tape.gradient(loss, [img, conv.kernel, conv.bias, conv2.kernel, emb.embeddings])
    grads = [tf.convert_to_tensor(g) for g in grads]  # the embedding's is IndexedSlices
    cnn = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(28, 28, 1)),
            tf.keras.layers.Conv2D(8, 3, activation="relu", name="conv2d"),
            tf.keras.layers.MaxPooling2D(name="max_pooling2d"),
            tf.keras.layers.Conv2D(16, 3, activation="relu", padding="same", name="conv2d_1"),
            tf.keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d"),
            tf.keras.layers.Dense(10, name="dense"),
        ],
        name="cnn",
    )
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        cnn.summary(line_length=76)
    return {
        "a": a,
        "b": b,
        "pooled": pooled,
        "tokens": tokens,
        "grads": grads,
        "paths": [v.path for v in conv.variables + emb.variables],
        "summary": text.getvalue(),
    }


RNN_X = np.sin(np.arange(24, dtype=np.float32) * 1.3).reshape(2, 4, 3)


def _rnn_run(tf, layer, initial_state=None):
    """A recurrent layer's outputs and gradients (inputs first, then every weight) with
    deterministic weights set through `set_weights`, as weights copied from Keras would be."""
    x = tf.constant(RNN_X)
    kwargs = {} if initial_state is None else {"initial_state": initial_state}
    layer(x, **kwargs)
    layer.set_weights(
        [
            (np.sin(np.arange(w.size) * 0.7 + i) * 0.6).reshape(w.shape).astype(np.float32)
            for i, w in enumerate(layer.get_weights())
        ]
    )
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, **kwargs)
        flat = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = sum(tf.reduce_sum(o * o + o * (j + 1)) for j, o in enumerate(flat))
    grads = tape.gradient(loss, [x, *layer.trainable_variables])
    return {
        "out": flat,
        "grads": grads,
        "paths": [v.path for v in layer.weights],
        "shapes": [v.shape.as_list() for v in layer.weights],
    }


def _rnn_case(make, initial_state=None):
    def case(tf):
        state = None if initial_state is None else [tf.constant(s) for s in initial_state]
        return _rnn_run(tf, make(tf), state)

    return case


H0 = np.cos(np.arange(6, dtype=np.float32)).reshape(2, 3) * 0.5
C0 = np.sin(np.arange(6, dtype=np.float32)).reshape(2, 3)
RNN_CASES = {
    "lstm_last": (lambda tf: tf.keras.layers.LSTM(3, name="lstm_a"), None),
    "lstm_sequences_state": (
        lambda tf: tf.keras.layers.LSTM(3, return_sequences=True, return_state=True, name="lstm_b"),
        None,
    ),
    "lstm_backwards_initial_state": (
        lambda tf: tf.keras.layers.LSTM(
            3, return_sequences=True, return_state=True, go_backwards=True, name="lstm_c"
        ),
        [H0, C0],
    ),
    "lstm_no_bias_relu": (
        lambda tf: tf.keras.layers.LSTM(
            3,
            activation="relu",
            recurrent_activation="softsign",
            use_bias=False,
            name="lstm_d",
        ),
        None,
    ),
    "gru_sequences_state": (
        lambda tf: tf.keras.layers.GRU(3, return_sequences=True, return_state=True, name="gru_a"),
        None,
    ),
    "gru_backwards_initial_state": (
        lambda tf: tf.keras.layers.GRU(3, go_backwards=True, return_state=True, name="gru_b"),
        [H0],
    ),
    "gru_reset_before": (
        lambda tf: tf.keras.layers.GRU(3, reset_after=False, return_sequences=True, name="gru_c"),
        None,
    ),
    "gru_no_bias": (lambda tf: tf.keras.layers.GRU(3, use_bias=False, name="gru_d"), None),
    "simple_rnn_last": (lambda tf: tf.keras.layers.SimpleRNN(3, name="srnn_a"), None),
    "simple_rnn_sequences_state_backwards": (
        lambda tf: tf.keras.layers.SimpleRNN(
            3, return_sequences=True, return_state=True, go_backwards=True, name="srnn_b"
        ),
        [H0],
    ),
    "bidirectional_lstm_concat": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.LSTM(3, return_sequences=True, name="lstm"), name="bi_a"
        ),
        None,
    ),
    "bidirectional_gru_sum_state": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.GRU(3, return_state=True, name="gru"), merge_mode="sum", name="bi_b"
        ),
        None,
    ),
    "bidirectional_lstm_ave_initial_state": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.LSTM(3, return_sequences=True, name="lstm"),
            merge_mode="ave",
            name="bi_c",
        ),
        [H0, C0, C0, H0],
    ),
    "bidirectional_simple_rnn_mul": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.SimpleRNN(3, return_sequences=True, name="srnn"),
            merge_mode="mul",
            name="bi_d",
        ),
        None,
    ),
    "bidirectional_gru_none_state": (
        lambda tf: tf.keras.layers.Bidirectional(
            tf.keras.layers.GRU(3, return_sequences=True, return_state=True, name="gru"),
            merge_mode=None,
            name="bi_e",
        ),
        None,
    ),
}


def recurrent_initial_weights_and_summary(tf):
    """Keras's deterministic initial weights (LSTM's forget-gate ones, an orthogonal recurrent
    kernel), the output containers and `summary`'s rows and parameter counts."""
    import contextlib
    import io

    lstm = tf.keras.layers.LSTM(4, name="lstm_init")
    gru = tf.keras.layers.GRU(2, bias_initializer="ones", name="gru_init")
    x = tf.constant(RNN_X)
    states = lstm(x), gru(x)
    r = lstm.cell.recurrent_kernel.numpy()
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(4, 3)),
            tf.keras.layers.LSTM(5, return_sequences=True, name="lstm"),
            tf.keras.layers.Bidirectional(
                tf.keras.layers.GRU(3, return_sequences=True, name="gru"), name="bidirectional"
            ),
            tf.keras.layers.GRU(2, reset_after=False, return_sequences=True, name="gru_v1"),
            tf.keras.layers.SimpleRNN(4, name="simple_rnn"),
            tf.keras.layers.Dense(1, name="dense"),
        ],
        name="rnn_model",
    )
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary(line_length=76)
    both = tf.keras.layers.LSTM(2, return_state=True, name="lstm_tuple")(x)
    return {
        "lstm_bias": lstm.cell.bias,
        "gru_bias": gru.cell.bias,
        "orthogonal": bool(np.allclose(r @ r.T, np.eye(4), atol=1e-5)),
        "kernel_shapes": [v.shape.as_list() for v in lstm.weights + gru.weights],
        "shapes": [s.shape.as_list() for s in states],
        "tuple": [type(both).__name__, len(both)],
        "summary": text.getvalue(),
    }


# -- the functional API ---------------------------------------------------------------------


def _fill(model):
    """Deterministic weights for every variable of `model`, from its shapes."""
    model.set_weights(
        [
            np.cos(np.arange(np.prod(w.shape)) + i).reshape(w.shape) * 0.5
            for i, w in enumerate(model.get_weights())
        ]
    )


def _summary(model, **kwargs):
    import contextlib
    import io

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary(**kwargs)
    return text.getvalue()


def functional_mlp(tf):
    inputs = tf.keras.Input(shape=(3,), name="fn_in")
    hidden = tf.keras.layers.Dense(4, activation="relu", name="fn_h")(inputs)
    outputs = tf.keras.layers.Dense(2, name="fn_o")(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=outputs, name="fn_mlp")
    _fill(model)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        y = model(x)
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, model.trainable_variables)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit(X, X[:, :2] * 0.5, batch_size=2, epochs=3, shuffle=False, verbose=0)
    return {
        "reprs": [repr(inputs), repr(hidden).split("name=")[0], repr(model)],
        "layers": [repr(layer) for layer in model.layers],
        "y": y,
        "grads": grads,
        "paths": [v.path for v in model.trainable_variables],
        "summary": _summary(model, line_length=80),
        "history": history.history["loss"],
        "evaluate": model.evaluate(X, X[:, :2] * 0.5, verbose=0),
        "predict": model.predict(X, verbose=0),
        "shapes": [list(model.input_shape), list(model.output_shape)],
    }


def functional_multi_io_and_merges(tf):
    a = tf.keras.Input(shape=(3,), name="mi_a")
    b = tf.keras.Input(shape=(2,), name="mi_b")
    da = tf.keras.layers.Dense(2, name="mi_da")(a)
    db = tf.keras.layers.Dense(2, activation="tanh", name="mi_db")(b)
    merged = [
        tf.keras.layers.Add(name="mi_add")([da, db]),
        tf.keras.layers.Subtract(name="mi_sub")([da, db]),
        tf.keras.layers.Multiply(name="mi_mul")([da, db, b]),
        tf.keras.layers.Average(name="mi_avg")([da, db]),
        tf.keras.layers.Maximum(name="mi_max")([da, db]),
        tf.keras.layers.Minimum(name="mi_min")([da, db]),
    ]
    cat = tf.keras.layers.Concatenate(name="mi_cat")(merged)
    first = tf.keras.layers.Concatenate(axis=0, name="mi_cat0")([da, b])
    out = tf.keras.layers.Dense(1, name="mi_o")(cat)
    model = tf.keras.Model([a, b], {"out": out, "first": first, "sum": merged[0]}, name="mi")
    _fill(model)
    xa, xb = tf.constant(X), tf.constant(X[:, :2] * 2.0 - 0.5)
    with tf.GradientTape() as tape:
        y = model([xa, xb])
        loss = tf.reduce_sum(y["out"]) + tf.reduce_sum(y["first"] ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    return {
        "out": y["out"],
        "first": y["first"],
        "sum": y["sum"],
        "keys": sorted(y),
        "grads": grads,
        "layers": [layer.name for layer in model.layers],
        "outputs": [k.shape for k in model.outputs],
        "summary": _summary(model),
    }


def functional_nested_and_shared(tf):
    shared = tf.keras.layers.Dense(3, activation="tanh", name="ns_shared")
    inner_in = tf.keras.Input(shape=(3,), name="ns_inner_in")
    inner = tf.keras.Model(
        inner_in, tf.keras.layers.Dense(2, name="ns_inner_d")(inner_in), name="ns_inner"
    )
    seq = tf.keras.Sequential([tf.keras.layers.Dense(2, name="ns_seq_d")], name="ns_seq")
    a = tf.keras.Input(shape=(3,), name="ns_a")
    b = tf.keras.Input(shape=(3,), name="ns_b")
    sa, sb = shared(a), shared(b)
    twice = shared(sa)
    joined = tf.keras.layers.Concatenate(name="ns_cat")([inner(sa), seq(sb), inner(twice)])
    model = tf.keras.Model(inputs={"ns_a": a, "ns_b": b}, outputs=joined, name="ns")
    _fill(model)
    with tf.GradientTape() as tape:
        y = model({"ns_a": tf.constant(X), "ns_b": tf.constant(X[::-1])})
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, model.trainable_variables)
    chain_in = tf.keras.Input(shape=(3,), name="ns_chain_in")
    chain = tf.keras.Model(chain_in, seq(chain_in), name="ns_chain")
    return {
        "y": y,
        "grads": grads,
        "paths": [v.path for v in model.trainable_variables],
        "layers": [repr(layer) for layer in model.layers],
        "summary": _summary(model),
        "chain": chain(tf.constant(X)),
        "chain_summary": _summary(chain),
    }


def functional_errors(tf):
    out = {}
    a = tf.keras.Input(shape=(3,), name="fe_a")
    b = tf.keras.Input(shape=(3,), name="fe_b")
    ya = tf.keras.layers.Dense(1, name="fe_da")(a)
    yb = tf.keras.layers.Dense(1, name="fe_db")(b)
    for key, outputs in [("single", ya), ("list", [yb, ya]), ("dict", {"p": yb, "q": ya})]:
        try:
            tf.keras.Model(b, outputs)
        except ValueError as e:
            out[key] = f"ValueError: {e}"
    try:
        tf.keras.Model(a, X)
    except ValueError as e:
        out["not_keras_tensor"] = f"ValueError: {e}".split(" including")[0]
    try:
        tf.reduce_sum(ya)
    except ValueError as e:
        out["tf_op"] = f"ValueError: {e}".split(" You can only")[0]
    unused = tf.keras.Model([a, b], ya, name="fe_unused")
    out["unused_layers"] = [layer.name for layer in unused.layers]
    return out


# -- regularizers and layer losses -----------------------------------------------------------

M = np.float32([[1.0, 2.0], [3.0, 1.0], [0.5, -1.0]])


def _error(fn):
    try:
        fn()
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


def regularizers(tf):
    r = tf.keras.regularizers
    m = tf.constant(M)
    out = {
        "values": [
            r.L1(0.1)(m),
            r.L2(0.1)(m),
            r.L1L2(0.1, 0.2)(m),
            r.L1L2(l2=0.3)(m),
            r.l1_l2()(m),
            r.OrthogonalRegularizer(0.1)(m),
            r.OrthogonalRegularizer(0.1, mode="columns")(m),
            r.L2(0.5)(tf.constant(M, tf.float64)),
        ],
        "aliases": [r.l1 is r.L1, r.l2 is r.L2, r.l1_l2 is r.L1L2],
        "by_name": [
            [type(r.get(name)).__name__, str(r.get(name).get_config())]
            for name in ["l1", "l2", "l1l2", "L1L2", "L2", "orthogonal_regularizer"]
        ],
        "configs": [str(r.L1(0.1).get_config()), str(r.L1L2(0.1, 0.2).get_config())],
        "serialize": [str(r.serialize(r.L2(0.3))), str(r.serialize(r.L1L2(0.1, 0.2)))],
        "deserialize": [
            str(r.deserialize(r.serialize(r.L1(0.25))).get_config()),
            str(r.deserialize("l2").get_config()),
            str(r.get(r.serialize(r.L2(0.7))).get_config()),
        ],
        "none": r.get(None) is None,
        "errors": [
            _error(lambda: r.get("l1_l2")),
            _error(lambda: r.get("nope")),
            _error(lambda: r.get(3)),
            _error(lambda: r.L2(-1.0)),
            _error(lambda: r.L1(float("inf"))),
            _error(lambda: r.OrthogonalRegularizer(mode="diagonal")),
            _error(lambda: r.OrthogonalRegularizer()(tf.ones([2, 2, 2]))),
        ],
    }
    return out


def _losses(layer):
    return [float(loss) for loss in layer.losses]


def layer_regularization_losses(tf):
    r = tf.keras.regularizers
    dense = tf.keras.layers.Dense(
        2,
        kernel_initializer="ones",
        bias_initializer="ones",
        kernel_regularizer="l2",
        bias_regularizer=r.L1(0.5),
        activity_regularizer="l1",
        name="reg_dense",
    )
    out = {"unbuilt": _losses(dense)}
    dense(tf.ones((4, 3)))
    out["batch_4"] = _losses(dense)
    dense(tf.ones((2, 3)) * 2.0)
    out["batch_2"] = _losses(dense)
    dense.kernel.assign(np.full((3, 2), 0.5, np.float32))
    out["recomputed"] = _losses(dense)
    with tf.GradientTape() as tape:
        total = tf.add_n(dense.losses)
    out["gradients"] = tape.gradient(total, dense.trainable_variables)
    dense.trainable = False
    out["frozen"] = _losses(dense)
    conv = tf.keras.layers.Conv2D(
        2,
        2,
        kernel_initializer="ones",
        bias_initializer="ones",
        kernel_regularizer=r.L1L2(0.01, 0.02),
        bias_regularizer="l2",
        activity_regularizer=r.L2(0.001),
        name="reg_conv",
    )
    conv(tf.ones((2, 3, 3, 1)))
    out["conv"] = _losses(conv)
    emb = tf.keras.layers.Embedding(
        5,
        2,
        embeddings_initializer="ones",
        embeddings_regularizer="l1",
        activity_regularizer="l2",
        name="reg_emb",
    )
    emb(tf.constant([[1, 2, 3]]))
    out["embedding"] = _losses(emb)
    lstm = tf.keras.layers.LSTM(
        2,
        kernel_initializer="ones",
        recurrent_initializer="ones",
        kernel_regularizer="l2",
        recurrent_regularizer=r.L1(0.1),
        bias_regularizer="l1",
        activity_regularizer="l2",
        name="reg_lstm",
    )
    lstm(tf.ones((2, 3, 2)) * 0.1)
    out["lstm"] = _losses(lstm)
    bi = tf.keras.layers.Bidirectional(
        tf.keras.layers.GRU(
            2, kernel_initializer="ones", recurrent_initializer="ones", kernel_regularizer="l2"
        ),
        name="reg_bi",
    )
    bi(tf.ones((1, 2, 3)))
    out["bidirectional"] = _losses(bi)
    norms = [
        tf.keras.layers.BatchNormalization(
            gamma_regularizer="l2", beta_regularizer="l1", beta_initializer="ones"
        ),
        tf.keras.layers.LayerNormalization(gamma_regularizer=r.L2(0.5), beta_regularizer="l1"),
    ]
    for i, layer in enumerate(norms):
        layer(tf.constant(M))
        out[f"norm_{i}"] = _losses(layer)
    flat = tf.keras.layers.Flatten(activity_regularizer=r.L1(0.5))
    flat(tf.constant(M))
    out["any_layer_activity"] = _losses(flat)
    custom = tf.keras.layers.Dense(
        1,
        kernel_initializer="ones",
        kernel_regularizer=lambda w: 0.25 * tf.reduce_sum(tf.abs(w)),
        activity_regularizer=lambda y: tf.reduce_sum(y * y),
        name="reg_custom",
    )
    with tf.GradientTape() as tape:
        custom(tf.constant(M))
        total = tf.add_n(custom.losses)
    out["callables"] = _losses(custom)
    later = tf.keras.layers.Dense(2, kernel_initializer="ones", name="reg_later")
    later.build((None, 3))
    out["set_later"] = [later.kernel.regularizer is None, _losses(later)]
    later.kernel.regularizer = r.L2(0.5)
    out["set_later"].append(_losses(later))
    out["callables_gradients"] = tape.gradient(total, custom.trainable_variables)
    return out


def add_loss_and_model_losses(tf):
    class Penalty(tf.keras.layers.Layer):
        def call(self, x):
            self.add_loss(0.1 * tf.abs(x))  # not a scalar: fit sums it
            return x

    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__(name="loss_net")
            self.dense = tf.keras.layers.Dense(
                1, kernel_initializer="ones", kernel_regularizer="l1", name="loss_net_d"
            )
            self.penalty = Penalty(name="loss_net_p")

        def call(self, x):
            y = self.penalty(self.penalty(self.dense(x)))  # one layer called twice
            self.add_loss(tf.reduce_mean(y))
            return y

    net = Net()
    out = {"before_call": _losses(net)}
    net(tf.constant(X[:2]))
    out["shapes_2"] = [loss.shape.as_list() for loss in net.losses]
    out["values_2"] = net.losses
    net(tf.constant(X[:3]))
    out["shapes_3"] = [loss.shape.as_list() for loss in net.losses]
    out["sublayer_own"] = [loss.shape.as_list() for loss in net.penalty.losses]
    net.penalty(tf.constant(X[:1]))  # clears only what that layer added
    out["after_sublayer_call"] = [loss.shape.as_list() for loss in net.losses]
    out["add_loss_float"] = _error(lambda: net.add_loss(1.0))
    net.add_loss(tf.constant(2.0))  # outside a call: kept until the next call
    out["added_outside"] = len(net.losses)
    # a functional model's symbolic build and a Sequential's build add no activity losses
    inputs = tf.keras.Input(shape=(3,), name="loss_fn_in")
    hidden = tf.keras.layers.Dense(
        4,
        kernel_initializer="ones",
        kernel_regularizer=tf.keras.regularizers.L2(0.1),
        activity_regularizer=tf.keras.regularizers.L1(0.1),
        name="loss_fn_h",
    )(inputs)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(1, name="loss_fn_o")(hidden))
    out["functional_built"] = _losses(model)
    model(tf.constant(X))
    out["functional_called"] = _losses(model)
    seq = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(3,)),
            tf.keras.layers.Dense(2, kernel_initializer="ones", activity_regularizer="l2"),
        ]
    )
    out["sequential_built"] = _losses(seq)
    seq(tf.constant(X))
    out["sequential_called"] = _losses(seq)
    return out


CASES = {
    f.__name__: f
    for f in (
        dense_forward_and_gradients,
        dense_errors,
        sequential_mlp,
        sequential_add_and_lazy_build,
        custom_layer_and_model,
        small_layers,
        activations,
        losses,
        optimizer_reprs,
        training_loop,
        normalization_layers,
        softmax_layer,
        image_and_token_layers,
        recurrent_initial_weights_and_summary,
        functional_mlp,
        functional_multi_io_and_merges,
        functional_nested_and_shared,
        functional_errors,
        regularizers,
        layer_regularization_losses,
        add_loss_and_model_losses,
    )
}
CASES.update({f"optimizer_{k}": _optimizer_case(*v) for k, v in OPTIMIZERS.items()})
CASES.update({f"rnn_{k}": _rnn_case(*v) for k, v in RNN_CASES.items()})
