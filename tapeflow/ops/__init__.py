"""The op library. Each module holds its ops' forwards and gradients together."""

from tapeflow.ops import operators as _operators  # noqa: F401 - attaches Tensor operators
