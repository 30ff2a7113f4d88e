"""TensorFlow's exception types (`tf.errors.*`)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "OpError",
    "InvalidArgumentError",
    "NotFoundError",
    "OutOfRangeError",
    "UnimplementedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "DataLossError",
    "UnconnectedGradientError",
]


class OpError(Exception):
    """Base of the errors an op raises. TF builds them as `Error(node_def, op, message)`."""

    def __init__(self, node_def: Any = None, op: Any = None, message: str = "", *args: Any):
        if op is None and not message and isinstance(node_def, str):
            node_def, message = None, node_def  # tapeflow's own short form: Error("message")
        super().__init__(message, *args)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(OpError):
    """An op got an argument it cannot use (wrong dtype, incompatible shapes, ...)."""


class NotFoundError(OpError):
    pass


class OutOfRangeError(OpError):
    pass


class UnimplementedError(OpError):
    pass


class ResourceExhaustedError(OpError):
    pass


class FailedPreconditionError(OpError):
    pass


class DataLossError(OpError):
    """A file is not what it should be (a checkpoint in another format, say)."""


class UnconnectedGradientError(ValueError):
    """A strict GradientTape's gradient would be None; `explanations` says why, per source."""

    explanations: list[Any]
