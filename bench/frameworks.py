"""The columns: tapeflow always, and TensorFlow, PyTorch or JAX when one happens to be importable.

None of the optional frameworks is a dependency: one that is missing, or fails to import, is
skipped without a word. TensorFlow runs the tapeflow code itself (`TfApi`); PyTorch and JAX get
the same workloads written in their idiom, eagerly (no torch.compile, no jax.jit), because the
comparison is of eager execution. Each adapter method returns the zero-argument callable that
is timed, with the same signature as `TfApi`'s.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.workloads import ADD, LR, MUL, TfApi

Fn = Callable[[], Any]

OPTIONAL = ("tensorflow", "torch", "jax")
LABELS = {"tapeflow": "tapeflow", "tensorflow": "TensorFlow", "torch": "PyTorch", "jax": "JAX"}


def load(name: str) -> Any:
    """The adapter for one framework (importing it)."""
    if name == "tapeflow":
        import tapeflow

        return TfApi(tapeflow)
    if name == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # its start-up chatter
        return TfApi(importlib.import_module("tensorflow"))
    if name == "torch":
        return TorchApi(importlib.import_module("torch"))
    if name == "jax":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")  # don't probe for accelerators
        return JaxApi(importlib.import_module("jax"))
    raise ValueError(f"unknown framework {name!r}")


def optional(names: tuple[str, ...] = OPTIONAL) -> dict[str, Any]:
    """Adapters for the optional frameworks that import; the others are silently left out."""
    out: dict[str, Any] = {}
    for name in names:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            out[name] = load(name)
        except Exception:  # a broken install counts as not installed
            continue
    return out


def version(name: str) -> str:
    module = "tapeflow" if name == "tapeflow" else name
    return str(getattr(importlib.import_module(module), "__version__", "?"))


class TorchApi:
    def __init__(self, torch: Any) -> None:
        self.torch = torch

    def chain(self, x0: Any, n: int, tape: bool) -> Fn:
        torch = self.torch
        x = torch.tensor(x0, dtype=torch.float32, requires_grad=tape)

        def forward() -> Any:
            y = x
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL
                elif k == 1:
                    y = y + ADD
                else:
                    y = torch.tanh(y)
            return y

        def forward_only() -> Any:
            with torch.no_grad():
                return forward()

        def forward_backward() -> Any:
            y = forward()
            (g,) = torch.autograd.grad(y, x, torch.ones_like(y))
            return y.detach(), g

        return forward_backward if tape else forward_only

    def mlp(self, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, update: bool) -> Fn:
        torch = self.torch
        ps = [torch.tensor(p, requires_grad=True) for p in params]
        xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

        def step() -> Any:
            h = xt
            for i in range(0, len(ps), 2):
                h = h @ ps[i] + ps[i + 1]
                if i + 2 < len(ps):
                    h = torch.relu(h)
            loss = -(yt * torch.log_softmax(h, dim=1)).sum(dim=1).mean()
            grads = torch.autograd.grad(loss, ps)
            if not update:
                return loss.detach(), grads
            with torch.no_grad():
                for p, g in zip(ps, grads, strict=True):
                    p.sub_(LR * g)
            return (loss.detach(), *(p.detach() for p in ps))

        return step

    def tanh_sigmoid(self, x: np.ndarray) -> Fn:
        torch = self.torch
        xt = torch.tensor(x, requires_grad=True)

        def run() -> Any:
            y = (torch.tanh(xt) * torch.sigmoid(xt)).sum()
            (g,) = torch.autograd.grad(y, xt)
            return y.detach(), g

        return run

    def hvp(self, x: np.ndarray, v: np.ndarray) -> Fn:
        torch = self.torch
        xt, vt = torch.tensor(x, requires_grad=True), torch.from_numpy(v)

        def run() -> Any:
            y = (xt**4).sum() + torch.sin(xt).sum()
            (g,) = torch.autograd.grad(y, xt, create_graph=True)
            (hv,) = torch.autograd.grad((g * vt).sum(), xt)
            return hv

        return run

    def jacobian(self, w: np.ndarray, x: np.ndarray) -> Fn:
        torch = self.torch
        wt, xt = torch.from_numpy(w), torch.from_numpy(x)

        def run() -> Any:
            # vectorize=True: batched like TF's default (pfor) rather than one pass per row
            return torch.autograd.functional.jacobian(
                lambda z: torch.tanh(wt @ z), xt, vectorize=True
            )

        return run


class JaxApi:
    def __init__(self, jax: Any) -> None:
        self.jax = jax
        self.jnp = importlib.import_module("jax.numpy")

    def _ready(self, value: Any) -> Any:
        return self.jax.block_until_ready(value)  # JAX dispatches asynchronously

    def chain(self, x0: Any, n: int, tape: bool) -> Fn:
        jax, jnp = self.jax, self.jnp
        x = jnp.asarray(x0, dtype=jnp.float32)

        def forward(y: Any) -> Any:
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL
                elif k == 1:
                    y = y + ADD
                else:
                    y = jnp.tanh(y)
            return y

        def forward_backward() -> Any:
            y, pullback = jax.vjp(forward, x)
            (g,) = pullback(jnp.ones_like(y))
            return self._ready((y, g))

        return forward_backward if tape else lambda: self._ready(forward(x))

    def mlp(self, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, update: bool) -> Fn:
        jax, jnp = self.jax, self.jnp
        ps = [jnp.asarray(p) for p in params]
        xt, yt = jnp.asarray(x), jnp.asarray(labels)

        def loss_fn(ps: list[Any]) -> Any:
            h = xt
            for i in range(0, len(ps), 2):
                h = h @ ps[i] + ps[i + 1]
                if i + 2 < len(ps):
                    h = jax.nn.relu(h)
            return -jnp.mean(jnp.sum(yt * jax.nn.log_softmax(h, axis=1), axis=1))

        value_and_grad = jax.value_and_grad(loss_fn)

        def step() -> Any:
            loss, grads = value_and_grad(ps)
            if not update:
                return self._ready((loss, grads))
            ps[:] = [
                p - LR * g for p, g in zip(ps, grads, strict=True)
            ]  # arrays are immutable: rebind
            return self._ready((loss, *ps))

        return step

    def tanh_sigmoid(self, x: np.ndarray) -> Fn:
        jax, jnp = self.jax, self.jnp
        xt = jnp.asarray(x)
        value_and_grad = jax.value_and_grad(lambda z: jnp.sum(jnp.tanh(z) * jax.nn.sigmoid(z)))
        return lambda: self._ready(value_and_grad(xt))

    def hvp(self, x: np.ndarray, v: np.ndarray) -> Fn:
        jax, jnp = self.jax, self.jnp
        xt, vt = jnp.asarray(x), jnp.asarray(v)
        grad = jax.grad(lambda z: jnp.sum(z**4) + jnp.sum(jnp.sin(z)))
        # forward-over-reverse, JAX's idiom for a Hessian-vector product
        return lambda: self._ready(jax.jvp(grad, (xt,), (vt,))[1])

    def jacobian(self, w: np.ndarray, x: np.ndarray) -> Fn:
        jax, jnp = self.jax, self.jnp
        wt, xt = jnp.asarray(w), jnp.asarray(x)
        jac = jax.jacrev(lambda z: jnp.tanh(wt @ z))
        return lambda: self._ready(jac(xt))
