"""tf.keras: layers, Sequential and subclassed models, activations, initializers, losses,
regularizers, optimizers and metrics for a custom training loop with a GradientTape, and
`compile`/`fit`/`evaluate`/`predict` with callbacks and Keras 3's progress bar.
"""

from __future__ import annotations

import sys
import types

from tapeflow.keras import (
    activations,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
)
from tapeflow.keras import attention as _attention
from tapeflow.keras import conv_layers as _conv_layers
from tapeflow.keras import merging as _merging
from tapeflow.keras import preprocessing as _preprocessing
from tapeflow.keras import recurrent as _recurrent
from tapeflow.keras import saving as _saving
from tapeflow.keras import serialization as _serialization
from tapeflow.keras import text as _text
from tapeflow.keras.layers import Layer
from tapeflow.keras.models import Input, Model, Sequential
from tapeflow.keras.variables import Variable

# tf.keras.layers is layers.py; the image and token layers live in conv_layers.py and the
# recurrent ones in recurrent.py, merge layers in merging.py, attention layers in
# attention.py, Normalization and Rescaling in preprocessing.py, the text and lookup
# layers in text.py (they build on layers.py, so
# they are attached here, not imported there)
for _module in (_conv_layers, _recurrent, _merging, _attention, _preprocessing, _text):
    for _name in _module.__all__:
        setattr(layers, _name, getattr(_module, _name))
        layers.__all__.append(_name)

__all__ = [
    "activations",
    "callbacks",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
]


def _namespace(name: str, members: dict[str, object]) -> types.ModuleType:
    module = types.ModuleType(f"tapeflow.keras.{name}")
    module.__dict__.update(members)
    sys.modules[module.__name__] = module
    return module


_SERIALIZATION = {name: getattr(_serialization, name) for name in _serialization.__all__}
utils = _namespace(
    "utils",
    {
        "to_categorical": _preprocessing.to_categorical,
        "pad_sequences": _preprocessing.pad_sequences,
        "set_random_seed": _preprocessing.set_random_seed,
        "get_file": datasets.get_file,
        **_SERIALIZATION,
    },
)
# keras.saving (tf.keras in TF 2.21 has these under tf.keras.utils and tf.keras.models only;
# Keras 3 code names keras.saving)
saving = _namespace(
    "saving",
    {
        **_SERIALIZATION,
        "save_model": _saving.save_model,
        "load_model": _saving.load_model,
        "save_weights": _saving.save_weights,
        "load_weights": _saving.load_weights,
    },
)
preprocessing = _namespace(
    "preprocessing",
    {
        "sequence": _namespace(
            "preprocessing.sequence", {"pad_sequences": _preprocessing.pad_sequences}
        )
    },
)
__all__ += ["utils", "preprocessing", "datasets", "saving"]
