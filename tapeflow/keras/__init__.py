"""tf.keras: layers, Sequential and subclassed models, activations, initializers, losses,
optimizers and metrics for a custom training loop with a GradientTape, and
`compile`/`fit`/`evaluate`/`predict` with callbacks and Keras 3's progress bar.
"""

from __future__ import annotations

from tapeflow.keras import (
    activations,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
)
from tapeflow.keras.layers import Layer
from tapeflow.keras.models import Input, Model, Sequential
from tapeflow.keras.variables import Variable

__all__ = [
    "activations",
    "callbacks",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "Input",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
]
