"""Training speed of two multilayer perceptrons: chainrule against NumPy and PyTorch.

Two networks, three peers:

* ``small``: MLP 2-8-8-1, tanh, mean squared error, batch 10, plain SGD (lr 0.01), on
  1000 random 2-D points. Tiny matrices, so this measures per-op overhead: steps/s.
* ``mnist``: MLP 784-256-128-10, ReLU, softmax cross-entropy from logits, batch 128,
  SGD with momentum 0.9 (lr 0.01), on synthetic MNIST-sized data (60000 x 784 random
  normal inputs, random labels 0..9). The matrix products dominate: samples/s.

* ``numpy``: hand-written forward and backward passes in NumPy, float32 throughout;
* ``torch``: PyTorch eager (``nn.Sequential``, ``torch.optim.SGD``), 2 threads;
* ``chainrule``: this library, plain eager code on raw tensors.

Every peer runs in its own fresh Python process (this script again, with the hidden
``--worker PEER --net NET`` options), so the peak resident set size it reports belongs
to that peer alone: interpreter, imports, data set and training. All peers train on the
same data from the same initial weights, in the same batch order, so their final losses
should agree to a few digits; a peer whose loss differs is computing something else.

Timing: a few warm-up steps, then several blocks of steps, each timed with
``time.perf_counter``; the reported rate is the median over the blocks.

Usage::

    python benchmarks/mlp_training.py [--quick] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

PEERS = ("numpy", "torch", "chainrule")
NETS = ("small", "mnist")

TORCH_THREADS = 2
DATA_SEED = 0
INIT_SEED = 1

# Environment variables that change how the BLAS libraries behave. They are reported
# when set, never changed.
BLAS_ENVIRONMENT = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


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

SCHEDULES = {
    ("small", False): Schedule(warmup_steps=50, blocks=7, steps_per_block=1000),
    ("small", True): Schedule(warmup_steps=20, blocks=5, steps_per_block=200),
    ("mnist", False): Schedule(warmup_steps=3, blocks=7, steps_per_block=20),
    ("mnist", True): Schedule(warmup_steps=2, blocks=5, steps_per_block=5),
}


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
    that no peer pays for a conversion per step).
    """

    step: Callable[[slice], Any]
    loss_value: Callable[[Any], float]
    loss_dtype: Callable[[Any], str]
    version: str
    threads: str


def blas_threads() -> str:
    """Describe the threads of the BLAS library NumPy uses, as threadpoolctl sees it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS ?"
    counts = [str(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas"]
    return "BLAS " + "/".join(counts) if counts else "BLAS ?"


def make_numpy_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """Hand-written NumPy MLP: the fast version a careful engineer would write."""
    parameters = init_parameters(spec.layer_sizes)
    velocities = [(np.zeros_like(w), np.zeros_like(b)) for w, b in parameters]
    n_layers = len(parameters)
    rows = np.arange(spec.batch_size)

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
                h = np.tanh(h) if spec.activation == "tanh" else np.maximum(h, 0)
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


def make_torch_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """PyTorch eager: nn.Sequential of nn.Linear, nn loss, torch.optim.SGD."""
    import torch
    from torch import nn

    torch.set_num_threads(TORCH_THREADS)

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
    model = nn.Sequential(*layers)
    loss_fn = nn.MSELoss() if spec.loss == "mse" else nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)

    # Views of the NumPy arrays: no copy, and slicing them per step is free.
    x_torch = torch.from_numpy(x)
    y_torch = torch.from_numpy(y)

    def step(batch: slice) -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x_torch[batch]), y_torch[batch])
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


class PeerNotReady(Exception):
    """The peer's library cannot be used yet; the benchmark skips it."""


def import_chainrule() -> Any:
    """Import chainrule from this checkout, or raise PeerNotReady."""
    # Benchmark the working copy next to this script, not some installed version.
    sys.path.insert(0, str(REPO_ROOT))
    try:
        import chainrule
    except Exception as error:  # noqa: BLE001  (any failure means: not ready)
        raise PeerNotReady(f"import chainrule failed: {type(error).__name__}: {error}") from error
    needed = ("tensor", "manual_seed")
    missing = [name for name in needed if not hasattr(chainrule, name)]
    if missing:
        raise PeerNotReady(f"chainrule has no {', '.join(missing)} yet")
    return chainrule


def chainrule_mlp(cr: Any, spec: NetSpec) -> tuple[list[Any], Callable[[Any], Any]]:
    """The chainrule model: ``nn.Sequential`` of ``nn.Linear`` and activations.

    Returns the parameters (in the order weight, bias of each layer) and the model,
    which is called as the forward function. The weights are the shared initial
    weights, loaded by PyTorch's state_dict keys ("0.weight", "0.bias", ...).
    """
    from chainrule import nn

    layers = []
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
    return list(model.parameters()), model


def make_chainrule_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Trainer:
    """chainrule, plain eager code: model, loss, backward, SGD update on the arrays."""
    cr = import_chainrule()
    cr.manual_seed(0)
    parameters, forward = chainrule_mlp(cr, spec)
    velocities = [np.zeros_like(p.data) for p in parameters]
    rows = np.arange(spec.batch_size)

    def step(batch: slice) -> Any:
        out = forward(cr.from_numpy(x[batch]))
        if spec.loss == "mse":
            loss = ((out - cr.tensor(y[batch])) ** 2).mean()
        else:
            loss = -(out.log_softmax(dim=-1)[rows, y[batch]]).mean()
        loss.backward()
        for parameter, velocity in zip(parameters, velocities, strict=True):
            grad = parameter.grad.data
            values = parameter.data  # the NumPy array of the tensor, updated in place
            if spec.momentum:
                velocity *= spec.momentum
                velocity += grad
                values -= spec.lr * velocity
            else:
                values -= spec.lr * grad
            parameter.grad = None
        return loss

    return Trainer(
        step=step,
        loss_value=lambda loss: float(np.asarray(loss.data)),
        loss_dtype=lambda loss: str(np.asarray(loss.data).dtype),
        version=getattr(cr, "__version__", "?"),
        threads=blas_threads(),
    )


TRAINER_FACTORIES: dict[str, Callable[[NetSpec, np.ndarray, np.ndarray], Trainer]] = {
    "numpy": make_numpy_trainer,
    "torch": make_torch_trainer,
    "chainrule": make_chainrule_trainer,
}


# --------------------------------------------------------------------------------------
# Worker: one peer, one network, one process
# --------------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def run_worker(peer: str, net: str, quick: bool) -> dict[str, Any]:
    """Train one network with one peer and return the measurements."""
    spec = SPECS[net]
    schedule = SCHEDULES[(net, quick)]
    result: dict[str, Any] = {"peer": peer, "net": net, "unit": spec.unit}
    x, y = make_data(spec)
    try:
        trainer = TRAINER_FACTORIES[peer](spec, x, y)
    except PeerNotReady as reason:
        result["skipped"] = str(reason)
        return result

    batches = full_batches(len(x), spec.batch_size)
    samples_per_step = spec.batch_size if spec.unit == "samples/s" else 1
    steps_done = 0

    def train(n_steps: int) -> Any:
        """Run n_steps steps, cycling through the batches; return the last loss."""
        nonlocal steps_done
        loss = None
        for _ in range(n_steps):
            loss = trainer.step(batches[steps_done % len(batches)])
            steps_done += 1
        return loss

    first_loss = trainer.loss_value(train(1))
    train(schedule.warmup_steps - 1)

    block_rates = []
    for _ in range(schedule.blocks):
        start = time.perf_counter()
        loss = train(schedule.steps_per_block)
        elapsed = time.perf_counter() - start
        block_rates.append(schedule.steps_per_block * samples_per_step / elapsed)

    result.update(
        rate=statistics.median(block_rates),
        block_rates=block_rates,
        warmup_steps=schedule.warmup_steps,
        steps_per_block=schedule.steps_per_block,
        batch_size=spec.batch_size,
        steps=steps_done,
        first_loss=first_loss,
        final_loss=trainer.loss_value(loss),
        loss_dtype=trainer.loss_dtype(loss),
        version=trainer.version,
        threads=trainer.threads,
        peak_rss_mib=peak_rss_mib(),
    )
    return result


# --------------------------------------------------------------------------------------
# Driver: machine description, one subprocess per peer, tables
# --------------------------------------------------------------------------------------


def run_in_subprocess(peer: str, net: str, quick: bool) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return its JSON result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--net", net]
    if quick:
        command.append("--quick")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
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


def machine_description() -> list[tuple[str, str]]:
    """(label, value) pairs that say where the numbers were measured."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    rows = [
        ("CPU", cpu_model()),
        ("Cores", f"{cores} logical, {usable} usable by this process"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("NumPy BLAS", numpy_blas()),
        ("PyTorch", f"{package_version('torch')} ({TORCH_THREADS} threads)"),
    ]
    for name in BLAS_ENVIRONMENT:
        if name in os.environ:
            rows.append((name, os.environ[name]))
    return rows


def ratio(result: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """This peer's rate divided by the reference peer's, or '-' if either is missing."""
    if reference is None or "rate" not in reference or "rate" not in result:
        return "-"
    return f"{result['rate'] / reference['rate']:.3g}x"


def table_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Cells of the results table of one network, a header row first."""
    unit = SPECS[results[0]["net"]].unit
    by_peer = {result["peer"]: result for result in results}
    header = [
        "peer",
        f"{unit} (median)",
        "min - max",
        "peak RSS MiB",
        "threads",
        "vs torch",
        "vs numpy",
        "final loss",
    ]
    rows = [header]
    for result in results:
        if "rate" not in result:
            note = result.get("skipped") or result.get("failed") or "no result"
            rows.append([result["peer"], "not run: " + note] + [""] * (len(header) - 2))
            continue
        rows.append(
            [
                result["peer"],
                f"{result['rate']:,.0f}",
                f"{min(result['block_rates']):,.0f} - {max(result['block_rates']):,.0f}",
                f"{result['peak_rss_mib']:.0f}",
                result["threads"],
                ratio(result, by_peer.get("torch")),
                ratio(result, by_peer.get("numpy")),
                f"{result['final_loss']:.5g}",
            ]
        )
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
    return "; ".join(parts) + (" (--quick)" if quick else "")


def write_markdown(
    path: Path,
    machine: list[tuple[str, str]],
    tables: dict[str, list[list[str]]],
    quick: bool,
) -> None:
    """Write the machine description and the tables as markdown."""
    lines = ["### MLP training speed", ""]
    for net, rows in tables.items():
        lines += [f"**{SPECS[net].title}**", "", format_markdown_table(rows), ""]
    lines.append(f"Method: {method_note(quick)}. Peak RSS is the whole worker process.")
    lines.append("")
    lines += [f"- {label}: {value}" for label, value in machine]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; --worker and --net are for the script's own subprocesses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="far fewer steps, for a quick check")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write markdown")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--net", choices=NETS, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if (arguments.worker is None) != (arguments.net is None):
        parser.error("--worker and --net go together")
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run every peer on every network, print the tables, optionally write markdown."""
    arguments = parse_arguments(argv)
    if arguments.worker is not None:
        print(json.dumps(run_worker(arguments.worker, arguments.net, arguments.quick)))
        return 0

    machine = machine_description()
    for label, value in machine:
        print(f"{label + ':':<12} {value}")
    print(f"Method:      {method_note(arguments.quick)}")

    tables = {}
    for net in NETS:
        print(f"\n{SPECS[net].title}")
        results = []
        for peer in PEERS:
            print(f"  running {peer} ...", end="", flush=True)
            result = run_in_subprocess(peer, net, arguments.quick)
            if "rate" in result:
                print(f" {result['rate']:,.0f} {result['unit']}")
                if result["loss_dtype"] != "float32":
                    print(f"  note: {peer} computes its loss in {result['loss_dtype']}")
            else:
                print(" not run: " + (result.get("skipped") or result.get("failed", "?")))
            results.append(result)
        tables[net] = table_rows(results)
        print()
        print(format_text_table(tables[net]))

    if arguments.markdown is not None:
        write_markdown(arguments.markdown, machine, tables, arguments.quick)
        print(f"\nMarkdown written to {arguments.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
