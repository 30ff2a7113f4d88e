"""`tf.data`: input pipelines (`Dataset`), evaluated lazily and eagerly in Python."""

from __future__ import annotations

import sys
import types

from tapeflow.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "experimental"]


def _cardinality(dataset: Dataset) -> object:
    return dataset.cardinality()


# tf.data.experimental: where these constants lived before TF 2.10, still used by tutorials
experimental = types.ModuleType("tapeflow.data.experimental")
experimental.__dict__.update(
    AUTOTUNE=AUTOTUNE,
    INFINITE_CARDINALITY=INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY,
    cardinality=_cardinality,
)
sys.modules[experimental.__name__] = experimental
