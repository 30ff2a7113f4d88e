"""tf.keras, first slice: layers, Sequential and subclassed models, activations, initializers,
losses and optimizers: what a custom training loop with a GradientTape uses.

`Model.compile`, `fit`, `evaluate` and `predict` are not here yet.
"""

from __future__ import annotations

from tapeflow.keras import activations, initializers, layers, losses, models, optimizers
from tapeflow.keras.layers import Layer
from tapeflow.keras.models import Input, Model, Sequential
from tapeflow.keras.variables import Variable

__all__ = [
    "activations",
    "initializers",
    "layers",
    "losses",
    "models",
    "optimizers",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
]
