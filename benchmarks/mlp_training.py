"""Training speed of two multilayer perceptrons: chainrule against its peers.

Two networks:

* ``small``: MLP 2-8-8-1, tanh, mean squared error, batch 10, plain SGD (lr 0.01), on
  1000 random 2-D points. Tiny matrices, so this measures per-op overhead: steps/s.
* ``mnist``: MLP 784-256-128-10, ReLU, softmax cross-entropy from logits, batch 128,
  SGD with momentum 0.9 (lr 0.01), on synthetic MNIST-sized data (60000 x 784 random
  normal inputs, random labels 0..9). The matrix products dominate: samples/s.

Peers (each the idiomatic training loop of its library; see ``PEER_NOTES``):

* ``numpy``: hand-written forward and backward passes in NumPy, float32 throughout;
* ``chainrule``: ``nn.Sequential``, an ``nn`` loss and ``optim.SGD``, eager;
* ``chainrule-compiled``: the same, with the loss computation wrapped by
  ``chainrule.compile`` (traced on the first call, replayed afterwards);
* ``chainrule-step``: the whole step (forward, backward, update) as one
  ``chainrule.compile(loss_of, optimizer=...)`` call, like tinygrad's TinyJit step;
* ``torch``: PyTorch eager (``nn.Sequential``, ``torch.optim.SGD``), 2 threads;
* ``torch-compile``: the same, with the loss computation wrapped by ``torch.compile``;
* ``mygrad``, ``autograd`` (HIPS): NumPy-backed autodiff libraries, SGD written out;
* ``tinygrad``: ``nn.Linear``, ``nn.optim.SGD``, the whole step under ``TinyJit``;
* ``micrograd``: Karpathy's scalar engine (small network only, fewer steps).

Every peer runs in its own fresh Python process (this script again, with the hidden
``--worker PEER --net NET`` options), so the peak resident set size it reports belongs
to that peer alone. The worker imports its library first and records the peak RSS at
that point (the baseline); the table shows the whole peak and the peak above that
baseline (data set, model, training). All peers train on the same data from the same
initial weights, in the same batch order, so their losses should agree to a few
digits; a peer whose loss differs is computing something else.

Timing: warm-up steps (which include any tracing or compiling), then several blocks
of steps, each timed with ``time.perf_counter``. Every peer runs in two rounds (fresh
processes, the second round in reverse order, so that a burst of load from elsewhere
does not always hit the same peer); the reported rate is the median over the blocks
of all rounds. The same run measures NumPy's float32 matrix-multiply peak (sgemm, best
over square sizes 512..2048), and for the MNIST-sized network each peer's achieved
matmul GFLOP/s as a fraction of that peak.

Usage::

    python benchmarks/mlp_training.py [--quick] [--markdown FILE] [--peers a,b] [--nets a,b]
        [--rounds R] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

PEERS = (
    "numpy",
    "chainrule",
    "chainrule-compiled",
    "chainrule-step",
    "torch",
    "torch-compile",
    "mygrad",
    "autograd",
    "tinygrad",
    "micrograd",
)
NETS = ("small", "mnist")

# What each peer runs, for the notes under the tables.
PEER_NOTES = {
    "numpy": "hand-written forward/backward, in-place SGD, float32",
    "chainrule": "nn.Sequential + nn loss + optim.SGD, eager",
    "chainrule-compiled": "as chainrule, loss computation under chainrule.compile",
    "chainrule-step": "as chainrule, the whole step under chainrule.compile(..., optimizer=)",
    "torch": "nn.Sequential + nn loss + torch.optim.SGD, eager",
    "torch-compile": "as torch, loss computation under torch.compile (inductor)",
    "mygrad": "mygrad.Tensor ops, softmax_crossentropy, SGD on .data",
    "autograd": "HIPS autograd value_and_grad of a NumPy function, SGD on the arrays",
    "tinygrad": "nn.Linear + nn.optim.SGD, whole step under TinyJit, CPU device",
    "micrograd": "scalar Value graph (one node per multiply-add), small network only",
}

TORCH_THREADS = 2  # unless --threads says otherwise
DATA_SEED = 0
INIT_SEED = 1
WORKER_TIMEOUT_S = 1800  # torch.compile and tinygrad compile C code in their warm-up

# Environment variables that change how the BLAS libraries behave. They are reported
# when set, never changed.
BLAS_ENVIRONMENT = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)

# Square sizes of the sgemm peak measurement, and repetitions per size (best taken).
SGEMM_SIZES = (512, 1024, 1536, 2048)
SGEMM_REPEATS = 5


@dataclass(frozen=True)
class NetSpec:
    """One benchmark network and how it is trained."""

    name: str
    title: str
    layer_sizes: tuple[int, ...]
    activation: str  # "tanh" or "relu", after every layer but the last
    loss: str  # "mse" or "cross_entropy"
    batch_size: int
    lr: float
    momentum: float  # 0.0 for plain SGD
    unit: str  # "steps/s" or "samples/s"


@dataclass(frozen=True)
class Schedule:
    """How many steps to warm up with, and how many timed blocks of how many steps."""

    warmup_steps: int
    blocks: int
    steps_per_block: int


SPECS = {
    "small": NetSpec(
        name="small",
        title="Small MLP 2-8-8-1, tanh, MSE, batch 10, SGD",
        layer_sizes=(2, 8, 8, 1),
        activation="tanh",
        loss="mse",
        batch_size=10,
        lr=0.01,
        momentum=0.0,
        unit="steps/s",
    ),
    "mnist": NetSpec(
        name="mnist",
        title="MNIST-sized MLP 784-256-128-10, ReLU, cross-entropy, batch 128, SGD momentum",
        layer_sizes=(784, 256, 128, 10),
        activation="relu",
        loss="cross_entropy",
        batch_size=128,
        lr=0.01,
        momentum=0.9,
        unit="samples/s",
    ),
}

# (net, quick) -> schedule. Every peer warms up with the same number of steps, so the
# "loss after warm-up" column compares the same step everywhere.
SCHEDULES = {
    ("small", False): Schedule(warmup_steps=50, blocks=7, steps_per_block=1000),
    ("small", True): Schedule(warmup_steps=20, blocks=5, steps_per_block=200),
    ("mnist", False): Schedule(warmup_steps=5, blocks=7, steps_per_block=50),
    ("mnist", True): Schedule(warmup_steps=3, blocks=5, steps_per_block=5),
}

# Slow peers time fewer steps per block (same warm-up).
PEER_SCHEDULES = {
    ("micrograd", "small", False): Schedule(warmup_steps=50, blocks=5, steps_per_block=20),
    ("micrograd", "small", True): Schedule(warmup_steps=20, blocks=3, steps_per_block=5),
}

# Peers that cannot run a network, and why.
NOT_APPLICABLE = {
    ("micrograd", "mnist"): "scalar engine: one Python object per number, small network only",
}


def schedule_of(peer: str, net: str, quick: bool) -> Schedule:
    """The warm-up and timed blocks of one peer on one network."""
    return PEER_SCHEDULES.get((peer, net, quick), SCHEDULES[(net, quick)])


def matmul_flops(spec: NetSpec) -> int:
    """Floating-point operations of the matrix products of one training step.

    Forward: 2 B n_in n_out per layer. Backward: the weight gradient (2 B n_in n_out)
    per layer and the input gradient (the same) for every layer but the first, whose
    input is the data. Bias adds, activations and the loss are not counted.
    """
    pairs = list(zip(spec.layer_sizes[:-1], spec.layer_sizes[1:], strict=True))
    per_layer = [2 * spec.batch_size * n_in * n_out for n_in, n_out in pairs]
    return 3 * sum(per_layer) - per_layer[0]


# --------------------------------------------------------------------------------------
# Data and initial weights, shared by all peers
# --------------------------------------------------------------------------------------


def make_data(spec: NetSpec) -> tuple[np.ndarray, np.ndarray]:
    """Return the training inputs and targets of a benchmark, seeded and float32.

    ``small``: 1000 points uniform in [-1, 1]^2, target sin(pi x0) cos(pi x1), shape (n, 1).
    ``mnist``: 60000 x 784 standard normal inputs, integer labels 0..9 (int64).
    """
    rng = np.random.default_rng(DATA_SEED)
    if spec.name == "small":
        x = rng.uniform(-1.0, 1.0, size=(1000, 2)).astype(np.float32)
        y = (np.sin(np.pi * x[:, :1]) * np.cos(np.pi * x[:, 1:])).astype(np.float32)
        return x, y
    x = rng.standard_normal(size=(60000, 784), dtype=np.float32)
    labels = rng.integers(0, 10, size=60000, dtype=np.int64)
    return x, labels


def init_parameters(layer_sizes: tuple[int, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (weight, bias) per layer, drawn as PyTorch's nn.Linear does by default.

    Weights have shape (out, in), like PyTorch; both are uniform in +-1/sqrt(in).
    """
    rng = np.random.default_rng(INIT_SEED)
    parameters = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32)
        bias = rng.uniform(-bound, bound, size=fan_out).astype(np.float32)
        parameters.append((weight, bias))
    return parameters


def full_batches(n_samples: int, batch_size: int) -> list[slice]:
    """Return the slices of the full batches of a data set, in order (the rest is dropped)."""
    return [
        slice(start, start + batch_size)
        for start in range(0, n_samples - batch_size + 1, batch_size)
    ]


# --------------------------------------------------------------------------------------
# Peers: each builds a Trainer whose step() trains on one batch
# --------------------------------------------------------------------------------------


@dataclass
class Trainer:
    """One peer's training loop, ready to run.

    ``step(batch)`` does forward, backward and parameter update on the rows ``batch`` of
    the data and returns the loss in the peer's own type; ``loss_value`` turns that into
    a float and ``loss_dtype`` names its floating-point type (kept out of ``step`` so
    that no peer pays for a conversion per step). ``sync`` waits for queued work (for
    peers that run asynchronously); it ends every timed block.
    """

    step: Callable[[slice], Any]
    loss_value: Callable[[Any], float]
    loss_dtype: Callable[[Any], str]
    version: str
    threads: str
    sync: Callable[[], None] = lambda: None


class BatchCycle:
    """A trainer's steps over the batches in order, starting again after the last."""

    def __init__(self, trainer: Trainer, batches: list[slice]) -> None:
        self.trainer = trainer
        self.batches = batches
        self.steps_done = 0

    def run(self, n_steps: int) -> Any:
        """Run ``n_steps`` steps; return the last loss (None for no step)."""
        step, batches, done = self.trainer.step, self.batches, self.steps_done
        loss = None
        for _ in range(n_steps):
            loss = step(batches[done % len(batches)])
            done += 1
        self.steps_done = done
        return loss


def per_call_us(fn: Callable[[], Any], number: int, repeat: int) -> float:
    """Median over ``repeat`` runs of ``number`` calls of ``fn``: µs per call."""
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


class PeerNotReady(Exception):
    """The peer's library cannot be used here; the benchmark skips it with the reason."""


def blas_threads() -> str:
    """Describe the threads of the BLAS library NumPy uses, as threadpoolctl sees it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS ?"
    counts = [str(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas"]
    return "BLAS " + "/".join(counts) if counts else "BLAS ?"


def numpy_forward(spec: NetSpec) -> Callable[[np.ndarray], np.ndarray]:
    """The activation as a NumPy function."""
    return np.tanh if spec.activation == "tanh" else lambda h: np.maximum(h, 0)


def make_numpy_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """Hand-written NumPy MLP: the fast version a careful engineer would write."""
    parameters = init_parameters(spec.layer_sizes)
    velocities = [(np.zeros_like(w), np.zeros_like(b)) for w, b in parameters]
    n_layers = len(parameters)
    rows = np.arange(spec.batch_size)
    activation = numpy_forward(spec)

    def update(parameter: np.ndarray, grad: np.ndarray, velocity: np.ndarray) -> None:
        if spec.momentum:
            velocity *= spec.momentum
            velocity += grad
            parameter -= spec.lr * velocity
        else:
            parameter -= spec.lr * grad

    def step(batch: slice) -> np.float32:
        xb, yb = x[batch], y[batch]

        # Forward, keeping the input of every layer for the backward pass.
        layer_inputs = []
        h = xb
        for i, (weight, bias) in enumerate(parameters):
            layer_inputs.append(h)
            h = h @ weight.T + bias
            if i < n_layers - 1:
                h = activation(h)
        out = h

        # Loss and its gradient with respect to the output.
        if spec.loss == "mse":
            diff = out - yb
            loss = np.mean(diff * diff)
            grad = diff * (2.0 / diff.size)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            sum_exp = exp.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(sum_exp[:, 0]) - shifted[rows, yb])
            grad = exp / sum_exp
            grad[rows, yb] -= 1.0
            grad /= spec.batch_size

        # Backward, layer by layer; each layer is updated once its weight has been used.
        for i in reversed(range(n_layers)):
            weight, bias = parameters[i]
            layer_input = layer_inputs[i]
            grad_weight = grad.T @ layer_input
            grad_bias = grad.sum(axis=0)
            if i > 0:
                grad = grad @ weight
                # layer_input is the previous layer's activation output.
                if spec.activation == "tanh":
                    grad *= 1.0 - layer_input * layer_input
                else:
                    grad *= layer_input > 0
            update(weight, grad_weight, velocities[i][0])
            update(bias, grad_bias, velocities[i][1])
        return loss

    return Trainer(
        step=step,
        loss_value=float,
        loss_dtype=lambda loss: str(loss.dtype),
        version=np.__version__,
        threads=blas_threads(),
    )


def torch_model(spec: NetSpec) -> Any:
    """nn.Sequential of nn.Linear and activations, with the shared initial weights."""
    import torch
    from torch import nn

    layers: list[nn.Module] = []
    parameters = init_parameters(spec.layer_sizes)
    for i, (weight, bias) in enumerate(parameters):
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(bias))
        layers.append(linear)
        if i < len(parameters) - 1:
            layers.append(nn.Tanh() if spec.activation == "tanh" else nn.ReLU())
    return nn.Sequential(*layers)


def make_torch_trainer(
    spec: NetSpec, x: np.ndarray, y: np.ndarray, compiled: bool = False
) -> Trainer:
    """PyTorch: nn.Sequential of nn.Linear, nn loss, torch.optim.SGD; optionally compiled."""
    import torch
    from torch import nn

    torch.set_num_threads(THREAD_LIMIT or TORCH_THREADS)
    model = torch_model(spec)
    loss_fn = nn.MSELoss() if spec.loss == "mse" else nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)

    def loss_of(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return loss_fn(model(inputs), targets)

    if compiled:
        if shutil.which("gcc") is None and shutil.which("cc") is None:
            raise PeerNotReady("torch.compile's inductor needs a C compiler (gcc)")
        loss_of = torch.compile(loss_of)

    # Views of the NumPy arrays: no copy, and slicing them per step is free.
    x_torch = torch.from_numpy(x)
    y_torch = torch.from_numpy(y)

    def step(batch: slice) -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_of(x_torch[batch], y_torch[batch])
        loss.backward()
        optimizer.step()
        return loss

    return Trainer(
        step=step,
        loss_value=lambda loss: loss.item(),
        loss_dtype=lambda loss: str(loss.dtype).removeprefix("torch."),
        version=torch.__version__,
        threads=f"torch {torch.get_num_threads()}",
    )


def import_chainrule() -> Any:
    """Import chainrule from this checkout, or raise PeerNotReady."""
    # Benchmark the working copy next to this script, not some installed version.
    sys.path.insert(0, str(REPO_ROOT))
    try:
        import chainrule
        from chainrule import nn, optim  # noqa: F401  (loaded lazily otherwise)
    except Exception as error:  # noqa: BLE001  (any failure means: not ready)
        raise PeerNotReady(f"import chainrule failed: {type(error).__name__}: {error}") from error
    return chainrule


def chainrule_model(spec: NetSpec) -> Any:
    """The chainrule model: ``nn.Sequential`` of ``nn.Linear`` and activations.

    The weights are the shared initial weights, loaded by PyTorch's state_dict keys
    ("0.weight", "0.bias", ...).
    """
    from chainrule import nn

    layers: list[Any] = []
    state = {}
    parameters = init_parameters(spec.layer_sizes)
    for i, (weight, bias) in enumerate(parameters):
        state[f"{len(layers)}.weight"] = weight
        state[f"{len(layers)}.bias"] = bias
        layers.append(nn.Linear(weight.shape[1], weight.shape[0]))
        if i < len(parameters) - 1:
            layers.append(nn.Tanh() if spec.activation == "tanh" else nn.ReLU())
    model = nn.Sequential(*layers)
    model.load_state_dict(state)
    return model


def make_chainrule_trainer(
    spec: NetSpec, x: np.ndarray, y: np.ndarray, compiled: bool = False, whole_step: bool = False
) -> Trainer:
    """chainrule, the idiomatic loop: zero_grad, loss of the model, backward, step
    (with ``whole_step``, one compiled call does all of it)."""
    cr = import_chainrule()
    from chainrule import nn, optim

    if compiled and not hasattr(cr, "compile"):
        raise PeerNotReady("chainrule has no compile yet")
    cr.manual_seed(0)
    model = chainrule_model(spec)
    loss_fn = nn.MSELoss() if spec.loss == "mse" else nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)

    def loss_of(inputs: Any, targets: Any) -> Any:
        return loss_fn(model(inputs), targets)

    if compiled:
        loss_of = cr.compile(loss_of)
    if whole_step:
        train_step = cr.compile(loss_of, optimizer=optimizer)

        def step(batch: slice) -> Any:
            return train_step(cr.from_numpy(x[batch]), cr.from_numpy(y[batch]))

    else:

        def step(batch: slice) -> Any:
            inputs, targets = cr.from_numpy(x[batch]), cr.from_numpy(y[batch])
            optimizer.zero_grad()
            loss = loss_of(inputs, targets)
            loss.backward()
            optimizer.step()
            return loss

    return Trainer(
        step=step,
        loss_value=lambda loss: loss.item(),
        loss_dtype=lambda loss: str(loss.dtype),
        version=getattr(cr, "__version__", "?"),
        threads=blas_threads(),
    )


def make_chainrule_compiled_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """chainrule with the loss computation under ``chainrule.compile``."""
    return make_chainrule_trainer(spec, x, y, compiled=True)


def make_chainrule_step_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """chainrule with the whole training step under ``chainrule.compile``."""
    return make_chainrule_trainer(spec, x, y, whole_step=True)


def make_torch_compile_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """PyTorch with the loss computation under ``torch.compile``."""
    return make_torch_trainer(spec, x, y, compiled=True)


def momentum_sgd(spec: NetSpec, parameters: list[np.ndarray]) -> Callable[[list[Any]], None]:
    """PyTorch's SGD rule on NumPy arrays, in place: b = mu b + g; p -= lr b.

    Returns ``update(grads)`` for the peers whose libraries have no optimizer.
    """
    velocities = [np.zeros_like(p) for p in parameters]

    def update(grads: list[Any]) -> None:
        for parameter, grad, velocity in zip(parameters, grads, velocities, strict=True):
            if spec.momentum:
                velocity *= spec.momentum
                velocity += grad
                parameter -= spec.lr * velocity
            else:
                parameter -= spec.lr * grad

    return update


def make_mygrad_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """MyGrad: the model in mygrad ops, weights stored (in, out) as in its examples."""
    try:
        import mygrad as mg
        from mygrad.nnet.activations import relu
        from mygrad.nnet.losses import softmax_crossentropy
    except ImportError as error:
        raise PeerNotReady(f"mygrad is not installed ({error})") from error

    tensors = []
    for weight, bias in init_parameters(spec.layer_sizes):
        tensors += [mg.Tensor(weight.T.copy()), mg.Tensor(bias)]
    update = momentum_sgd(spec, [t.data for t in tensors])
    activation = mg.tanh if spec.activation == "tanh" else relu
    n_layers = len(tensors) // 2

    def step(batch: slice) -> Any:
        h: Any = x[batch]
        for i in range(n_layers):
            h = mg.matmul(h, tensors[2 * i]) + tensors[2 * i + 1]
            if i < n_layers - 1:
                h = activation(h)
        if spec.loss == "mse":
            diff = h - y[batch]
            loss = mg.mean(diff * diff)
        else:
            loss = softmax_crossentropy(h, y[batch])
        loss.backward()  # also clears the graph
        update([t.grad for t in tensors])
        return loss

    return Trainer(
        step=step,
        loss_value=lambda loss: float(loss.item()),
        loss_dtype=lambda loss: str(loss.dtype),
        version=mg.__version__,
        threads=blas_threads(),
    )


def make_autograd_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """HIPS autograd: value_and_grad of the loss as a function of the parameters."""
    try:
        import autograd.numpy as anp
        from autograd import value_and_grad
        from autograd.scipy.special import logsumexp
    except ImportError as error:
        raise PeerNotReady(f"autograd is not installed ({error})") from error

    parameters = [(w.T.copy(), b) for w, b in init_parameters(spec.layer_sizes)]
    update = momentum_sgd(spec, [array for pair in parameters for array in pair])
    rows = np.arange(spec.batch_size)
    activation = anp.tanh if spec.activation == "tanh" else lambda h: anp.maximum(h, 0.0)

    def loss_of(params: list[tuple[Any, Any]], inputs: np.ndarray, targets: np.ndarray) -> Any:
        h = inputs
        for i, (weight, bias) in enumerate(params):
            h = anp.dot(h, weight) + bias
            if i < len(params) - 1:
                h = activation(h)
        if spec.loss == "mse":
            diff = h - targets
            return anp.mean(diff * diff)
        log_probabilities = h - logsumexp(h, axis=1, keepdims=True)
        return -anp.mean(log_probabilities[rows, targets])

    value_and_gradient = value_and_grad(loss_of)

    def step(batch: slice) -> Any:
        loss, grads = value_and_gradient(parameters, x[batch], y[batch])
        update([g for pair in grads for g in pair])
        return loss

    return Trainer(
        step=step,
        loss_value=float,
        loss_dtype=lambda loss: str(np.asarray(loss).dtype),
        version=package_version("autograd"),
        threads=blas_threads(),
    )


def make_micrograd_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """micrograd: every weight a scalar ``Value``; the network as neurons of Values.

    micrograd's ``Value`` has no tanh, so it is added here the way micrograd writes
    its ops: the output Value with a closure that adds the local gradient times the
    upstream gradient into the input.
    """
    try:
        from micrograd.engine import Value
    except ImportError as error:
        raise PeerNotReady(f"micrograd is not installed ({error})") from error
    if spec.activation != "tanh" or spec.loss != "mse":
        raise PeerNotReady("written for the small network only")

    def tanh(v: Any) -> Any:
        t = math.tanh(v.data)
        out = Value(t, (v,), "tanh")

        def _backward() -> None:
            v.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    # layers[i] = (rows of weight Values (out, in), bias Values (out,))
    layers = [
        ([[Value(float(w)) for w in row] for row in weight], [Value(float(b)) for b in bias])
        for weight, bias in init_parameters(spec.layer_sizes)
    ]
    parameters = [v for rows, biases in layers for row in rows + [biases] for v in row]
    xs, ys = x.tolist(), y.tolist()

    def forward(point: list[float]) -> Any:
        h: list[Any] = point
        for i, (rows, biases) in enumerate(layers):
            h = [sum((w * hi for w, hi in zip(row, h)), b) for row, b in zip(rows, biases)]
            if i < len(layers) - 1:
                h = [tanh(v) for v in h]
        return h[0]

    def step(batch: slice) -> Any:
        for p in parameters:
            p.grad = 0
        errors = [forward(point) - target[0] for point, target in zip(xs[batch], ys[batch])]
        loss = sum(e * e for e in errors) * (1.0 / len(errors))
        loss.backward()
        for p in parameters:
            p.data -= spec.lr * p.grad
        return loss

    return Trainer(
        step=step,
        loss_value=lambda loss: float(loss.data),
        loss_dtype=lambda loss: "float64 (Python float)",
        version=package_version("micrograd"),
        threads="1 (pure Python)",
    )


def make_tinygrad_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """tinygrad: nn.Linear layers and nn.optim.SGD, the whole step under TinyJit.

    Batches are wrapped without a copy (``Tensor.from_blob`` on the NumPy rows), the
    analogue of ``torch.from_numpy``; ``Tensor(array)`` would schedule a copy kernel
    per step.
    """
    try:
        from tinygrad import Device, Tensor, TinyJit, dtypes
        from tinygrad import nn as tnn
        from tinygrad.helpers import Context
    except ImportError as error:
        raise PeerNotReady(f"tinygrad is not installed ({error})") from error
    try:
        device = Device.DEFAULT
    except Exception as error:  # noqa: BLE001  (no usable backend: say why)
        reason = f"{type(error).__name__}: {error}"
        if shutil.which("clang") is None:
            reason += " (its CPU backend compiles kernels with clang, which is not installed)"
        raise PeerNotReady(f"tinygrad has no usable device: {reason}") from error

    layers = []
    for weight, bias in init_parameters(spec.layer_sizes):
        linear = tnn.Linear(weight.shape[1], weight.shape[0])
        linear.weight, linear.bias = Tensor(weight).realize(), Tensor(bias).realize()
        layers.append(linear)
    optimizer = tnn.optim.SGD(tnn.state.get_parameters(layers), lr=spec.lr, momentum=spec.momentum)

    def forward(h: Any) -> Any:
        for i, linear in enumerate(layers):
            h = linear(h)
            if i < len(layers) - 1:
                h = h.tanh() if spec.activation == "tanh" else h.relu()
        return h

    @TinyJit
    def jit_step(inputs: Any, targets: Any) -> Any:
        with Context(TRAINING=1):
            optimizer.zero_grad()
            out = forward(inputs)
            if spec.loss == "mse":
                loss = (out - targets).square().mean()
            else:
                loss = out.sparse_categorical_crossentropy(targets)
            loss.backward()
            # One schedule for the loss and the update, so the loss is the one of the
            # weights before the update (loss.realize() after step() would see new ones).
            Tensor.realize(loss, *optimizer.schedule_step())
            return loss

    x_type = dtypes.float32
    y_type = dtypes.float32 if y.dtype == np.float32 else dtypes.int64

    def step(batch: slice) -> Any:
        xb, yb = x[batch], y[batch]
        return jit_step(
            Tensor.from_blob(xb.ctypes.data, xb.shape, dtype=x_type, device=device),
            Tensor.from_blob(yb.ctypes.data, yb.shape, dtype=y_type, device=device),
        )

    from tinygrad.helpers import NUM_CPU_THREADS

    return Trainer(
        step=step,
        loss_value=lambda loss: float(loss.item()),
        loss_dtype=lambda loss: str(loss.numpy().dtype),
        version=package_version("tinygrad"),
        threads=f"{device} {NUM_CPU_THREADS.value}",
        sync=lambda: Device[device].synchronize(),
    )


TRAINER_FACTORIES: dict[str, Callable[[NetSpec, np.ndarray, np.ndarray], Trainer]] = {
    "numpy": make_numpy_trainer,
    "chainrule": make_chainrule_trainer,
    "chainrule-compiled": make_chainrule_compiled_trainer,
    "chainrule-step": make_chainrule_step_trainer,
    "torch": make_torch_trainer,
    "torch-compile": make_torch_compile_trainer,
    "mygrad": make_mygrad_trainer,
    "autograd": make_autograd_trainer,
    "tinygrad": make_tinygrad_trainer,
    "micrograd": make_micrograd_trainer,
}

# The modules a peer imports, loaded before the baseline RSS is taken.
PEER_IMPORTS = {
    "numpy": (),
    "chainrule": ("chainrule", "chainrule.nn", "chainrule.optim"),
    "chainrule-compiled": ("chainrule", "chainrule.nn", "chainrule.optim"),
    "chainrule-step": ("chainrule", "chainrule.nn", "chainrule.optim"),
    "torch": ("torch",),
    "torch-compile": ("torch", "torch._dynamo", "torch._inductor"),
    "mygrad": ("mygrad", "mygrad.nnet"),
    "autograd": ("autograd", "autograd.numpy", "autograd.scipy.special"),
    "tinygrad": ("tinygrad", "tinygrad.nn"),
    "micrograd": ("micrograd.engine",),
}


# --------------------------------------------------------------------------------------
# Worker: one peer, one network, one process
# --------------------------------------------------------------------------------------

# --threads N: the worker's cap on BLAS, PyTorch and tinygrad threads (None: defaults).
THREAD_LIMIT: int | None = None


def limit_threads(threads: int) -> None:
    """Cap the thread pools of this worker at ``threads`` (BLAS, PyTorch, tinygrad)."""
    global THREAD_LIMIT
    THREAD_LIMIT = threads
    os.environ["NUM_CPU_THREADS"] = str(threads)  # read by tinygrad when imported
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads)  # applies at once, to every loaded BLAS


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    On Linux this is ``VmHWM`` from /proc/self/status, the high-water mark of this
    process's own memory. ``ru_maxrss`` would be wrong there: it survives ``exec``, so
    a worker started by the driver (vfork + exec) starts with the driver's peak.
    Elsewhere ``ru_maxrss`` it is.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def import_peer(peer: str) -> None:
    """Import the peer's library (so the baseline RSS includes it); skip it if missing."""
    import importlib

    if peer.startswith("chainrule"):
        sys.path.insert(0, str(REPO_ROOT))
    for module in PEER_IMPORTS[peer]:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001  (the factory reports a missing library)
            raise PeerNotReady(f"import {module} failed: {type(error).__name__}: {error}") from None


def run_worker(peer: str, net: str, quick: bool) -> dict[str, Any]:
    """Train one network with one peer and return the measurements."""
    spec = SPECS[net]
    schedule = schedule_of(peer, net, quick)
    result: dict[str, Any] = {"peer": peer, "net": net, "unit": spec.unit}
    if (peer, net) in NOT_APPLICABLE:
        result["skipped"] = NOT_APPLICABLE[(peer, net)]
        return result
    try:
        import_peer(peer)
        if THREAD_LIMIT is not None:  # again: the peer may have loaded another BLAS
            limit_threads(THREAD_LIMIT)
        baseline = peak_rss_mib()
        x, y = make_data(spec)
        trainer = TRAINER_FACTORIES[peer](spec, x, y)
    except PeerNotReady as reason:
        result["skipped"] = str(reason)
        return result

    samples_per_step = spec.batch_size if spec.unit == "samples/s" else 1
    cycle = BatchCycle(trainer, full_batches(len(x), spec.batch_size))
    train = cycle.run

    warmup_start = time.perf_counter()
    try:
        first_loss = trainer.loss_value(train(1))
    except Exception as error:  # noqa: BLE001  (e.g. torch.compile without a working toolchain)
        result["skipped"] = f"first step failed: {type(error).__name__}: {error}".splitlines()[0]
        return result
    warmup_loss = trainer.loss_value(train(schedule.warmup_steps - 1))
    trainer.sync()
    warmup_seconds = time.perf_counter() - warmup_start

    block_rates = []
    for _ in range(schedule.blocks):
        start = time.perf_counter()
        loss = train(schedule.steps_per_block)
        trainer.sync()
        elapsed = time.perf_counter() - start
        block_rates.append(schedule.steps_per_block * samples_per_step / elapsed)

    rate = statistics.median(block_rates)
    steps_per_second = rate / samples_per_step
    peak = peak_rss_mib()
    result.update(
        rate=rate,
        block_rates=block_rates,
        warmup_steps=schedule.warmup_steps,
        warmup_seconds=warmup_seconds,
        blocks=schedule.blocks,
        steps_per_block=schedule.steps_per_block,
        batch_size=spec.batch_size,
        steps=cycle.steps_done,
        first_loss=first_loss,
        warmup_loss=warmup_loss,
        final_loss=trainer.loss_value(loss),
        loss_dtype=trainer.loss_dtype(loss),
        version=trainer.version,
        threads=trainer.threads,
        peak_rss_mib=peak,
        baseline_rss_mib=baseline,
        matmul_gflops=steps_per_second * matmul_flops(spec) / 1e9,
    )
    return result


# --------------------------------------------------------------------------------------
# The machine: matrix-multiply peak, CPU, libraries
# --------------------------------------------------------------------------------------


def measure_sgemm(quick: bool) -> dict[int, float]:
    """Best float32 matrix-multiply GFLOP/s of NumPy per square size n (2 n^3 flops).

    Each size is timed ``SGEMM_REPEATS`` times after one untimed product; the best
    time counts (the machine is shared: the best is the least disturbed).
    """
    rng = np.random.default_rng(0)
    results = {}
    for n in SGEMM_SIZES[:2] if quick else SGEMM_SIZES:
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        out = np.empty((n, n), dtype=np.float32)
        np.matmul(a, b, out=out)
        best = math.inf
        for _ in range(SGEMM_REPEATS):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - start)
        results[n] = 2 * n**3 / best / 1e9
    return results


def pool_rounds(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One peer's results of several rounds as one: the median over all their blocks.

    The peak RSS is the largest of the rounds; losses are those of the first round
    (every round trains the same steps from the same start).
    """
    complete = [result for result in results if "rate" in result]
    if not complete:
        return results[0]
    pooled = dict(complete[0])
    blocks = [rate for result in complete for rate in result["block_rates"]]
    pooled["block_rates"] = blocks
    pooled["round_rates"] = [result["rate"] for result in complete]
    pooled["rate"] = statistics.median(blocks)
    pooled["peak_rss_mib"] = max(result["peak_rss_mib"] for result in complete)
    pooled["baseline_rss_mib"] = max(result["baseline_rss_mib"] for result in complete)
    pooled["matmul_gflops"] = complete[0]["matmul_gflops"] / complete[0]["rate"] * pooled["rate"]
    return pooled


def run_in_subprocess(
    peer: str, net: str, quick: bool, threads: int | None = None
) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--net", net]
    if quick:
        command.append("--quick")
    if threads is not None:
        command += ["--threads", str(threads)]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=WORKER_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return {"peer": peer, "net": net, "failed": f"timed out after {WORKER_TIMEOUT_S} s"}
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["(no error output)"]
        return {"peer": peer, "net": net, "failed": f"exit {completed.returncode}: {lines[-1]}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    """The vector instruction sets the CPU reports (AVX2, AVX-512, FMA)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")
                    return " ".join(flag for flag in wanted if flag in flags) or "none of note"
    except OSError:
        pass
    return "unknown"


def package_version(name: str) -> str:
    """Installed version of a package, without importing it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def numpy_blas() -> str:
    """The BLAS library NumPy uses: internal API, version, threads and architecture."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    descriptions = []
    for info in threadpool_info():
        if info["user_api"] != "blas":
            continue
        descriptions.append(
            f"{info['internal_api']} {info.get('version') or ''}, "
            f"{info['num_threads']} threads, architecture {info.get('architecture', '?')}"
        )
    return "; ".join(descriptions) or "none found"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (other work on a shared machine)."""
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def machine_description() -> list[tuple[str, str]]:
    """(label, value) pairs that say where the numbers were measured."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    compilers = ", ".join(name for name in ("gcc", "clang") if shutil.which(name)) or "none"
    peers = ", ".join(
        f"{name} {package_version(name)}"
        for name in ("mygrad", "autograd", "micrograd", "tinygrad")
    )
    rows = [
        ("CPU", f"{cpu_model()} ({cpu_flags()})"),
        ("Cores", f"{cores} logical, {usable} usable by this process"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("NumPy BLAS", numpy_blas()),
        ("PyTorch", f"{package_version('torch')} ({THREAD_LIMIT or TORCH_THREADS} threads)"),
        ("Other peers", peers),
        ("C compilers", compilers),
    ]
    for name in BLAS_ENVIRONMENT:
        if name in os.environ:
            rows.append((name, os.environ[name]))
    return rows


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def ratio(result: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """This peer's rate divided by the reference peer's, or '-' if either is missing."""
    if reference is None or "rate" not in reference or "rate" not in result:
        return "-"
    return f"{result['rate'] / reference['rate']:.3g}x"


def table_rows(results: list[dict[str, Any]], sgemm_peak: float) -> list[list[str]]:
    """Cells of the results table of one network, a header row first."""
    net = results[0]["net"]
    unit = SPECS[net].unit
    with_flops = net == "mnist"
    by_peer = {result["peer"]: result for result in results}
    header = [
        "peer",
        f"{unit} (median)",
        "min - max",
        "vs torch",
        "vs numpy",
        "peak RSS MiB",
        "above imports MiB",
        "threads",
        "loss after warm-up",
        "final loss",
    ]
    if with_flops:
        header += ["matmul GFLOP/s", "of sgemm peak"]
    rows = [header]
    for result in results:
        if "rate" not in result:
            note = result.get("skipped") or result.get("failed") or "no result"
            rows.append([result["peer"], "not run: " + note] + [""] * (len(header) - 2))
            continue
        row = [
            result["peer"],
            f"{result['rate']:,.0f}",
            f"{min(result['block_rates']):,.0f} - {max(result['block_rates']):,.0f}",
            ratio(result, by_peer.get("torch")),
            ratio(result, by_peer.get("numpy")),
            f"{result['peak_rss_mib']:.0f}",
            f"{result['peak_rss_mib'] - result['baseline_rss_mib']:.0f}",
            result["threads"],
            f"{result['warmup_loss']:.5g}",
            f"{result['final_loss']:.5g}",
        ]
        if with_flops:
            row += [
                f"{result['matmul_gflops']:.1f}",
                f"{100 * result['matmul_gflops'] / sgemm_peak:.0f}%",
            ]
        rows.append(row)
    return rows


def format_text_table(rows: list[list[str]]) -> str:
    """Plain-text table with aligned columns (numbers right-aligned)."""
    # A "not run" row spans the table; leave it out of the column widths.
    full_rows = [row for row in rows if not row[1].startswith("not run")]
    widths = [max(len(row[column]) for row in full_rows) for column in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        if row[1].startswith("not run"):
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]}")
            continue
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_markdown_table(rows: list[list[str]]) -> str:
    """GitHub-flavoured markdown table, numbers right-aligned."""
    lines = ["| " + " | ".join(rows[0]) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(rows[0]) - 1)) + "|")
    for row in rows[1:]:
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def method_note(quick: bool) -> str:
    """One sentence on how the rates were measured."""
    parts = []
    for net in NETS:
        schedule = SCHEDULES[(net, quick)]
        parts.append(
            f"{net}: {schedule.warmup_steps} warm-up steps, "
            f"median of {schedule.blocks} blocks of {schedule.steps_per_block} steps"
        )
    for (peer, net, is_quick), schedule in PEER_SCHEDULES.items():
        if is_quick == quick:
            parts.append(
                f"{peer} on {net}: {schedule.blocks} blocks of {schedule.steps_per_block} steps"
            )
    return "; ".join(parts) + (" (--quick)" if quick else "")


def sgemm_note(sgemm: dict[str, dict[int, float]]) -> str:
    """The sgemm measurements, per size, before and after the peers ran."""
    parts = []
    for when, by_size in sgemm.items():
        sizes = ", ".join(f"{n}: {gflops:.0f}" for n, gflops in by_size.items())
        parts.append(f"{when} ({sizes})")
    return "GFLOP/s by size n, " + "; ".join(parts)


def write_markdown(
    path: Path,
    machine: list[tuple[str, str]],
    tables: dict[str, list[list[str]]],
    sgemm: dict[str, dict[int, float]],
    sgemm_peak: float,
    quick: bool,
    command: str,
    rounds: int,
) -> None:
    """Write the machine description and the tables as markdown."""
    lines = ["### MLP training speed", "", f"Command: `{command}`", ""]
    for net, rows in tables.items():
        lines += [f"**{SPECS[net].title}**", "", format_markdown_table(rows), ""]
        if net == "mnist":
            flops = matmul_flops(SPECS[net])
            lines += [
                f"Matmul work per step: {flops / 1e6:.1f} MFLOP (forward, weight gradients, "
                "input gradients but the first layer's); the sgemm peak is "
                f"{sgemm_peak:.0f} GFLOP/s.",
                "",
            ]
    lines.append(
        f"Method: {method_note(quick)}; {rounds} round(s), each peer in a fresh process per "
        "round, every other round in reverse order, blocks of all rounds pooled. "
        "Rates are medians over blocks on a shared, noisy "
        "machine; min - max shows the spread. Peak RSS is the whole worker process; "
        "'above imports' subtracts the peak RSS after the library's imports (so it holds "
        "the data set, the model and the training)."
    )
    lines.append("")
    lines += [f"- {label}: {value}" for label, value in machine]
    lines.append(f"- sgemm (NumPy float32 matmul): {sgemm_note(sgemm)}")
    lines.append("")
    lines.append("Peers:")
    lines.append("")
    lines += [f"- `{peer}`: {note}" for peer, note in PEER_NOTES.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def shown_arguments(arguments: list[str]) -> list[str]:
    """The command-line arguments as the markdown shows them: file names without folders."""
    return [Path(argument).name if "/" in argument else argument for argument in arguments]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --worker and --net are for the script's own subprocesses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="far fewer steps, for a quick check")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write markdown")
    parser.add_argument(
        "--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}"
    )
    parser.add_argument(
        "--nets", default=",".join(NETS), help=f"comma-separated subset of {','.join(NETS)}"
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="cap every peer's thread pools (BLAS via threadpoolctl, PyTorch, tinygrad) at N; "
        f"default: BLAS as it comes, PyTorch {TORCH_THREADS}",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="R",
        help="run every peer R times (fresh processes, alternating order) and pool the "
        "blocks (default 2, 1 with --quick)",
    )
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--net", choices=NETS, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if (arguments.worker is None) != (arguments.net is None):
        parser.error("--worker and --net go together")
    for option in ("rounds", "threads"):
        value = getattr(arguments, option)
        if value is not None and value < 1:
            parser.error(f"--{option} must be at least 1, got {value}")
    for option, allowed in (("peers", PEERS), ("nets", NETS)):
        chosen = [name for name in getattr(arguments, option).split(",") if name]
        unknown = [name for name in chosen if name not in allowed]
        if unknown or not chosen:
            parser.error(f"--{option}: unknown {unknown or 'empty list'}; choose from {allowed}")
        setattr(arguments, option, chosen)
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run every peer on every network, print the tables, optionally write markdown."""
    arguments = parse_arguments(argv)
    if arguments.worker is not None:
        if arguments.threads is not None:
            limit_threads(arguments.threads)
        print(json.dumps(run_worker(arguments.worker, arguments.net, arguments.quick)))
        return 0
    if arguments.threads is not None:  # the sgemm peak too
        limit_threads(arguments.threads)

    command = "python benchmarks/mlp_training.py " + " ".join(
        shown_arguments(sys.argv[1:] if argv is None else argv)
    )
    machine = machine_description()
    machine.append(("Load average", f"{load_average()} at the start"))
    for label, value in machine:
        print(f"{label + ':':<13} {value}")
    print(f"Method:       {method_note(arguments.quick)}")
    sgemm = {"before": measure_sgemm(arguments.quick)}
    print(f"sgemm:        {sgemm_note(sgemm)}")

    rounds = arguments.rounds or (1 if arguments.quick else 2)
    tables_results = {}
    for net in arguments.nets:
        print(f"\n{SPECS[net].title}")
        by_round: dict[str, list[dict[str, Any]]] = {peer: [] for peer in arguments.peers}
        for round_index in range(rounds):
            # Every other round in reverse order, so no peer always follows the same one.
            order = arguments.peers if round_index % 2 == 0 else arguments.peers[::-1]
            for peer in order:
                print(f"  round {round_index + 1}: {peer} ...", end="", flush=True)
                result = run_in_subprocess(peer, net, arguments.quick, arguments.threads)
                if "rate" in result:
                    print(f" {result['rate']:,.0f} {result['unit']}")
                else:
                    print(" not run: " + (result.get("skipped") or result.get("failed", "?")))
                by_round[peer].append(result)
        results = [pool_rounds(by_round[peer]) for peer in arguments.peers]
        for result in results:
            if result.get("loss_dtype", "float32") != "float32":
                print(f"  note: {result['peer']} computes its loss in {result['loss_dtype']}")
        tables_results[net] = results

    sgemm["after"] = measure_sgemm(arguments.quick)
    sgemm_peak = max(g for by_size in sgemm.values() for g in by_size.values())
    machine[-1] = ("Load average", f"{machine[-1][1]}, {load_average()} at the end")
    print(f"\nsgemm:        {sgemm_note(sgemm)}; peak {sgemm_peak:.0f} GFLOP/s")
    print(f"Load average: {machine[-1][1]}")

    tables = {}
    for net, results in tables_results.items():
        tables[net] = table_rows(results, sgemm_peak)
        print(f"\n{SPECS[net].title}\n")
        print(format_text_table(tables[net]))

    if arguments.markdown is not None:
        write_markdown(
            arguments.markdown, machine, tables, sgemm, sgemm_peak, arguments.quick, command, rounds
        )
        print(f"\nMarkdown written to {arguments.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
