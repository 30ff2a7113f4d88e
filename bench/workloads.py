"""The workloads W1-W6: for each, a tapeflow function and a NumPy floor computing the same math.

The tapeflow side is written against TF's public API only (`TfApi` is handed a module), so the
very same code also runs on real TensorFlow when that is importable: its column is then the
same program, not a translation. The floor is what a competent NumPy programmer would write by
hand: float32 throughout, in-place where natural, derivatives written out.

Every implementation is built into a zero-argument callable (the thing that is timed) from
the same seeded NumPy data; `verify` calls each once and compares its results with the
floor's, so a row can only be reported if both sides computed the same numbers.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.conv_reference import conv2d_numpy_reference, conv2d_numpy_reference_backward

F32 = np.float32
Fn = Callable[[], Any]

# The W1/W2 chain: y*MUL, y+ADD, tanh(y), cycling. Python floats on both sides, so both round
# them to float32 the same way (NEP 50 keeps the array's dtype).
MUL, ADD = 1.0001, 0.001
LR = 0.01  # W3's SGD step size


@dataclasses.dataclass(frozen=True)
class Sizes:
    chain: int  # ops in the W1/W2 chains
    vector: int  # W2's vector length
    mlp: tuple[int, ...]  # W3's layer widths, input first
    batch: int  # W3's batch
    big: int  # W4's element count
    hvp: int  # W5's dimension
    jac: int  # W6: W is jac x jac
    conv: tuple[int, int, int, int, int]  # W8: batch, height/width, in channels, out, kernel


FULL = Sizes(
    chain=1000,
    vector=100,
    mlp=(784, 512, 512, 10),
    batch=128,
    big=4_000_000,
    hvp=1000,
    jac=100,
    conv=(32, 28, 16, 32, 3),
)
QUICK = Sizes(
    chain=60, vector=8, mlp=(20, 16, 16, 5), batch=8, big=1000, hvp=10, jac=6, conv=(2, 6, 3, 4, 3)
)


class NotAvailable(Exception):
    """An implementation cannot run this workload (yet); the message says why."""


@dataclasses.dataclass
class Case:
    """One row of the table."""

    key: str  # "W1", "W1-fwd", ...: the part before "-" is the workload (for --only)
    title: str
    unit: str  # what a cell shows: "µs/op", "ms", "µs"
    per_call: float  # seconds per call -> unit: multiply by this
    target: float | None  # the largest tapeflow/floor ratio that meets the target
    floor: Fn
    impls: dict[str, Fn | str]  # framework -> callable, or the reason it is n/a
    rtol: float = 1e-4  # for verify(); relative to each result's largest magnitude
    note: str = ""
    _expected: list[np.ndarray] | None = dataclasses.field(default=None, repr=False)
    checked: set[str] = dataclasses.field(default_factory=set)  # verified on a first call
    replayed: bool = False  # a stateless tf.function row: verify its second (replayed) call

    def expected(self) -> list[np.ndarray]:
        """The floor's results from its first call, copied: W3's floor updates its weights in
        place, and every implementation's first call must be compared with the same state."""
        if self._expected is None:
            self._expected = [a.copy() for a in flatten(self.floor())]
        return self._expected


# ---------------------------------------------------------------------------------------------
# Data: one seeded source for every implementation


def chain_input(s: Sizes, vector: bool) -> Any:
    if not vector:
        return 0.5  # the brief's tf.constant(0.5): a Python float, float32 once converted
    return np.linspace(-1.0, 1.0, s.vector, dtype=F32)


def mlp_data(
    widths: tuple[int, ...], batch: int, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """He-initialised weights and zero biases (w0, b0, w1, b1, ...), inputs, one-hot labels."""
    rng = np.random.default_rng(seed)
    params: list[np.ndarray] = []
    for n_in, n_out in itertools.pairwise(widths):
        w = rng.standard_normal((n_in, n_out), dtype=F32)
        w *= F32(np.sqrt(2.0 / n_in))
        params += [w, np.zeros(n_out, F32)]
    x = rng.standard_normal((batch, widths[0]), dtype=F32)
    labels = np.zeros((batch, widths[-1]), F32)
    labels[np.arange(batch), rng.integers(0, widths[-1], batch)] = 1.0
    return params, x, labels


def uniform(shape: int | tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape).astype(F32)


# ---------------------------------------------------------------------------------------------
# tapeflow (and real TensorFlow): the same code, handed the module


class TfApi:
    """Builds each workload with TF's eager API; `tf` is tapeflow or tensorflow."""

    def __init__(self, tf: Any) -> None:
        self.tf = tf

    def chain(self, x0: Any, n: int, tape: bool) -> Fn:
        tf = self.tf
        x = tf.constant(x0)

        def forward() -> Any:
            y = x
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL
                elif k == 1:
                    y = y + ADD
                else:
                    y = tf.tanh(y)
            return y

        def forward_backward() -> Any:
            with tf.GradientTape() as t:
                t.watch(x)
                y = forward()
            return y, t.gradient(y, x)

        return forward_backward if tape else forward

    def traced(self, build: Fn) -> Fn:
        """The same workload inside `tf.function`: traced on the first call, replayed after."""
        tf = self.tf
        return tf.function(build)

    def loss(self, logits: Any, labels: Any) -> Any:
        """Softmax cross-entropy, averaged over the batch, from the ops tapeflow has."""
        tf = self.tf
        if hasattr(tf.nn, "log_softmax"):
            log_p = tf.nn.log_softmax(logits)
        else:  # the less stable spelling, for a tapeflow without log_softmax
            log_p = tf.math.log(tf.nn.softmax(logits))
        return -tf.reduce_mean(tf.reduce_sum(labels * log_p, axis=1))

    def mlp(self, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, update: bool) -> Fn:
        """One training step (update=True: SGD applied) or forward+backward only (W7)."""
        tf = self.tf
        vs = [tf.Variable(p) for p in params]
        xt, yt = tf.constant(x), tf.constant(labels)

        def step() -> Any:
            with tf.GradientTape() as tape:
                h = xt
                for i in range(0, len(vs), 2):
                    h = tf.matmul(h, vs[i]) + vs[i + 1]
                    if i + 2 < len(vs):
                        h = tf.nn.relu(h)
                loss = self.loss(h, yt)
            grads = tape.gradient(loss, vs)
            if not update:
                return loss, grads
            for v, g in zip(vs, grads, strict=True):
                v.assign_sub(LR * g)
            return (loss, *vs)

        return step

    def tanh_sigmoid(self, x: np.ndarray) -> Fn:
        tf = self.tf
        xt = tf.constant(x)

        def run() -> Any:
            with tf.GradientTape() as t:
                t.watch(xt)
                y = tf.reduce_sum(tf.tanh(xt) * tf.sigmoid(xt))
            return y, t.gradient(y, xt)

        return run

    def conv2d(self, x: np.ndarray, w: np.ndarray, dy: np.ndarray) -> Fn:
        tf = self.tf
        xt, wt, dyt = tf.constant(x), tf.constant(w), tf.constant(dy)

        def run() -> Any:
            with tf.GradientTape() as t:
                t.watch([xt, wt])
                y = tf.nn.conv2d(xt, wt, 1, "SAME")
            return t.gradient(y, [xt, wt], output_gradients=dyt)

        return run

    def hvp(self, x: np.ndarray, v: np.ndarray) -> Fn:
        tf = self.tf
        xt, vt = tf.constant(x), tf.constant(v)

        def run() -> Any:
            with tf.GradientTape() as outer:
                outer.watch(xt)
                with tf.GradientTape() as inner:
                    inner.watch(xt)
                    y = tf.reduce_sum(xt**4) + tf.reduce_sum(tf.sin(xt))
                g = inner.gradient(y, xt)
                gv = tf.reduce_sum(g * vt)
            return outer.gradient(gv, xt)

        return run

    def jacobian(self, w: np.ndarray, x: np.ndarray) -> Fn:
        tf = self.tf
        if not hasattr(tf.GradientTape, "jacobian"):
            raise NotAvailable("jacobian not implemented yet")
        wt = tf.constant(w)
        xt = tf.constant(x[:, None])  # a column: tf.matmul wants rank 2

        def run() -> Any:
            with tf.GradientTape() as t:
                t.watch(xt)
                y = tf.tanh(tf.matmul(wt, xt))
            return t.jacobian(y, xt)  # (n, 1, n, 1)

        return run


# ---------------------------------------------------------------------------------------------
# The NumPy floors


class Floor:
    """Hand-written NumPy: the same math with the derivatives written out."""

    @staticmethod
    def chain_scalar(x0: float, n: int, tape: bool) -> Fn:
        # The scalar lives as np.float32, the tape is a list of (op, value) tuples, and the
        # backward pass walks it in reverse multiplying the hand-written derivatives.
        def forward() -> Any:
            y = F32(x0)
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL
                elif k == 1:
                    y = y + ADD
                else:
                    y = np.tanh(y)
            return y

        def forward_backward() -> Any:
            y = F32(x0)
            ops: list[tuple[int, Any]] = []
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL
                    ops.append((0, None))
                elif k == 1:
                    y = y + ADD
                    ops.append((1, None))
                else:
                    y = np.tanh(y)
                    ops.append((2, y))  # tanh' = 1 - tanh^2: keep the output
            g = F32(1.0)
            for k, out in reversed(ops):
                if k == 0:
                    g = g * MUL
                elif k == 2:
                    g = g * (1 - out * out)
                # k == 1 (add): the derivative is 1
            return y, g

        return forward_backward if tape else forward

    @staticmethod
    def chain_vector(x0: np.ndarray, n: int, tape: bool) -> Fn:
        def forward() -> Any:
            y = x0.copy()  # one copy, then everything in place
            for i in range(n):
                k = i % 3
                if k == 0:
                    y *= MUL
                elif k == 1:
                    y += ADD
                else:
                    np.tanh(y, out=y)
            return y

        def forward_backward() -> Any:
            y = x0
            ops: list[tuple[int, Any]] = []
            for i in range(n):
                k = i % 3
                if k == 0:
                    y = y * MUL  # a new array: the previous y may be a tanh output on the tape
                    ops.append((0, None))
                elif k == 1:
                    y += ADD  # y is the product just made and on no tape: in place is safe
                    ops.append((1, None))
                else:
                    y = np.tanh(y)
                    ops.append((2, y))
            g = np.ones_like(y)
            for k, out in reversed(ops):
                if k == 0:
                    g *= MUL
                elif k == 2:
                    d = out * out
                    np.subtract(1, d, out=d)
                    g *= d
            return y, g

        return forward_backward if tape else forward

    @staticmethod
    def mlp(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray, update: bool) -> Fn:
        ps = [p.copy() for p in params]  # its own weights: the step updates them in place
        n_layers = len(ps) // 2
        batch = x.shape[0]

        def step() -> Any:
            acts = [x]  # each layer's input
            h = x
            for i in range(n_layers):
                z = h @ ps[2 * i]
                z += ps[2 * i + 1]
                if i < n_layers - 1:
                    np.maximum(z, 0, out=z)  # ReLU in place: only its output is needed later
                acts.append(z)
                h = z
            logits = acts.pop()
            logits -= logits.max(axis=1, keepdims=True)  # in place: only the loss needs it
            e = np.exp(logits)
            total = e.sum(axis=1, keepdims=True)
            logits -= np.log(total)  # now log-softmax
            loss = -(labels * logits).sum() / F32(batch)
            # d loss / d logits = (softmax - labels) / batch (each label row sums to 1)
            d = e
            d /= total
            d -= labels
            d /= F32(batch)
            grads: list[np.ndarray] = [d] * len(ps)
            for i in reversed(range(n_layers)):
                a = acts.pop()  # this layer's input: popped, so it is freed once used
                grads[2 * i] = a.T @ d
                grads[2 * i + 1] = d.sum(axis=0)
                if i > 0:
                    d = d @ ps[2 * i].T
                    d *= a > 0  # ReLU' from its output
            if not update:
                return loss, grads
            for p, g in zip(ps, grads, strict=True):
                np.multiply(g, LR, out=g)
                np.subtract(p, g, out=p)
            return (loss, *ps)

        return step

    @staticmethod
    def tanh_sigmoid(x: np.ndarray) -> Fn:
        def run() -> Any:
            t = np.tanh(x)
            s = np.negative(x)  # sigmoid = 1 / (1 + e^-x), in one buffer
            np.exp(s, out=s)
            s += 1
            np.reciprocal(s, out=s)
            y = np.dot(t, s)  # sum(t * s) without the temporary
            # d/dx = s (1 - t^2) + t s (1 - s) = s (1 + t - t^2 - t s) = s (1 + t (1 - t - s))
            g = 1 - t
            g -= s
            g *= t
            g += 1
            g *= s
            return y, g

        return run

    @staticmethod
    def conv2d(x: np.ndarray, w: np.ndarray, dy: np.ndarray) -> Fn:
        def run() -> Any:  # im2col + one matmul, the columns kept for the backward
            _, cache = conv2d_numpy_reference(x, w, 1, "SAME")
            return conv2d_numpy_reference_backward(dy, cache)

        return run

    @staticmethod
    def hvp(x: np.ndarray, v: np.ndarray) -> Fn:
        def run() -> Any:
            # Hessian of sum(x^4) + sum(sin x) is diag(12 x^2 - sin x)
            h = x * x
            h *= 12
            h -= np.sin(x)
            h *= v
            return h

        return run

    @staticmethod
    def jacobian(w: np.ndarray, x: np.ndarray) -> Fn:
        def run() -> Any:
            t = np.tanh(w @ x)
            return (1 - t * t)[:, None] * w

        return run


# ---------------------------------------------------------------------------------------------
# The rows


def _impls(frameworks: dict[str, Any], build: Callable[[Any], Fn]) -> dict[str, Fn | str]:
    out: dict[str, Fn | str] = {}
    for name, api in frameworks.items():
        try:
            out[name] = build(api)
        except NotAvailable as e:
            out[name] = f"n/a ({e})"
        except AttributeError:  # an optional framework's API without this workload
            out[name] = "n/a (not written for this framework)"
    return out


def cases(s: Sizes, frameworks: dict[str, Any]) -> list[Case]:
    """Every row, built. `frameworks` maps a column name to its API object (TfApi, ...);
    "tapeflow" must be among them."""
    n = s.chain
    us_per_op = 1e6 / n
    scalar, vector = chain_input(s, False), chain_input(s, True)
    params, x, labels = mlp_data(s.mlp, s.batch)
    big = uniform(s.big, 1)
    hx, hv = uniform(s.hvp, 2), uniform(s.hvp, 3)
    jw, jx = uniform((s.jac, s.jac), 4), uniform(s.jac, 5)
    chains = [
        ("W1", f"{n} scalar ops, forward + gradient", scalar, True, 7.0),
        ("W1-fwd", f"{n} scalar ops, forward only, no tape", scalar, False, 3.0),
        ("W2", f"{n} ops on a {s.vector}-vector, forward + gradient", vector, True, 3.0),
        ("W2-fwd", f"{n} ops on a {s.vector}-vector, forward only", vector, False, None),
    ]
    floors: dict[str, Callable[[Any, int, bool], Fn]] = {
        "W1": Floor.chain_scalar,
        "W2": Floor.chain_vector,
    }

    def chain(x0: Any, tape: bool) -> Callable[[Any], Fn]:
        return lambda api: api.chain(x0, n, tape)

    out = [
        Case(
            key,
            title,
            "µs/op",
            us_per_op,
            target,
            floor=floors[key[:2]](x0, n, tape),
            impls=_impls(frameworks, chain(x0, tape)),
            note="" if target else "no target: shows what the tape adds to W2",
        )
        for key, title, x0, tape, target in chains
    ]
    out.append(
        Case(
            "W1-fn",
            "W1 inside tf.function (traced once, then replayed)",
            "µs/op",
            us_per_op,
            None,
            floor=Floor.chain_scalar(scalar, n, True),
            impls=_impls(frameworks, lambda api: api.traced(api.chain(scalar, n, True))),
            note="no target: tf.function's speed on W1",
            replayed=True,
        )
    )
    widths = "-".join(map(str, s.mlp))
    out.append(
        Case(
            "W3",
            f"MLP {widths}, batch {s.batch}, one SGD step",
            "ms",
            1e3,
            1.10,
            floor=Floor.mlp(params, x, labels, update=True),
            impls=_impls(frameworks, lambda api: api.mlp(params, x, labels, update=True)),
        )
    )
    out.append(
        Case(
            "W3-fn",
            "W3 inside tf.function",
            "ms",
            1e3,
            None,
            floor=Floor.mlp(params, x, labels, update=True),
            impls=_impls(
                frameworks, lambda api: api.traced(api.mlp(params, x, labels, update=True))
            ),
            note="no target: tf.function's speed on W3",
        )
    )
    out.append(
        Case(
            "W4",
            f"reduce_sum(tanh(x)*sigmoid(x)) + gradient, {s.big:,} elements",
            "ms",
            1e3,
            1.10,
            floor=Floor.tanh_sigmoid(big),
            impls=_impls(frameworks, lambda api: api.tanh_sigmoid(big)),
        )
    )
    out.append(
        Case(
            "W5",
            f"Hessian-vector product, nested tapes, {s.hvp}-d",
            "µs",
            1e6,
            40.0,
            floor=Floor.hvp(hx, hv),
            impls=_impls(frameworks, lambda api: api.hvp(hx, hv)),
        )
    )
    out.append(
        Case(
            "W6",
            f"jacobian of tanh(W @ x), W {s.jac}x{s.jac}",
            "µs",
            1e6,
            35.0,
            floor=Floor.jacobian(jw, jx),
            impls=_impls(frameworks, lambda api: api.jacobian(jw, jx)),
        )
    )
    batch, side, c_in, c_out, k = s.conv
    cx = uniform((batch, side, side, c_in), 6)
    cw = uniform((k, k, c_in, c_out), 7)
    cdy = uniform((batch, side, side, c_out), 8)
    out.append(
        Case(
            "W8",
            f"conv2d {batch}x{side}x{side}x{c_in} * {k}x{k}x{c_in}x{c_out} SAME, fwd + gradient",
            "ms",
            1e3,
            1.30,
            floor=Floor.conv2d(cx, cw, cdy),
            impls=_impls(frameworks, lambda api: api.conv2d(cx, cw, cdy)),
            rtol=1e-3,  # float32 sums over 144 products, in two different orders
        )
    )
    return out


# ---------------------------------------------------------------------------------------------
# Checking that both sides computed the same numbers


def as_numpy(value: Any) -> np.ndarray:
    """Any framework's tensor (or a NumPy value) as a NumPy array."""
    if hasattr(value, "detach"):  # torch
        value = value.detach()
    if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, np.generic)):
        value = value.numpy()
    return np.asarray(value)


def flatten(result: Any) -> list[np.ndarray]:
    if isinstance(result, (tuple, list)):
        return [a for r in result for a in flatten(r)]
    return [as_numpy(result)]


def mismatch(got: Any, want: Any, rtol: float) -> str | None:
    """None if `got` has the floor's values (to rtol of each result's scale), else why not."""
    g, w = flatten(got), flatten(want)
    if len(g) != len(w):
        return f"{len(g)} results, the floor has {len(w)}"
    for i, (a_, b) in enumerate(zip(g, w, strict=True)):
        if a_.size != b.size:
            return f"result {i} has shape {a_.shape}, the floor's {b.shape}"
        a = a_.reshape(b.shape)
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        err = float(np.max(np.abs(a.astype(np.float64) - b))) if b.size else 0.0
        if not err <= rtol * scale + 1e-30:
            return f"result {i} differs by {err:.3g} (scale {scale:.3g}, rtol {rtol:g})"
    return None


def verify(case: Case, names: list[str] | None = None) -> dict[str, str | None]:
    """Compares each implementation's first call with the floor's: framework -> problem or
    None. Call it before timing an implementation (W3's step changes its weights)."""
    out: dict[str, str | None] = {}
    for name, fn in case.impls.items():
        if isinstance(fn, str) or (names is not None and name not in names):
            continue
        if name in case.checked:  # only a first call can be compared (W3 trains)
            continue
        case.checked.add(name)
        if case.replayed:
            fn()  # the trace: the call compared is then the graph's replay
        out[name] = mismatch(fn(), case.expected(), case.rtol)
    return out
