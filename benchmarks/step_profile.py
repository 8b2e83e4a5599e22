"""Where the time of a small-network training step goes in chainrule, in microseconds.

The small network of ``mlp_training.py`` (2-8-8-1, tanh, MSE, batch 10, SGD) does
almost no arithmetic: a step is some 30 NumPy calls on arrays of at most 80 numbers.
What it costs is the framework around them. This script measures that overhead piece
by piece, so that a change to the core can be judged by the pieces it touches:

1. *Pieces*: single calls (Tensor creation, an op through ``Function.__call__`` with
   and without recording a node, a layer through ``Module.__call__``, the loss, one
   ``optimizer.step``), each next to the bare NumPy work it wraps, so the difference
   is the overhead.
2. *Backward engine per node*: the backward pass over chains of N cheap nodes, for
   two values of N; the slope is the engine's cost per node (vjp included: one
   NumPy multiply of 80 numbers).
3. *Ops*: every node of the step's graph, its ``forward`` and ``backward`` called
   directly on arrays: the NumPy work the framework cannot avoid (short of fusing).
4. *Step phases*: the real training step of each peer (hand-written NumPy, chainrule
   eager, chainrule with ``chainrule.compile``, PyTorch eager), cut into zero_grad /
   forward / loss / backward / optimizer step, each phase timed on every step.

Every number is a median: of repeats for the pieces, of steps for the phases. The
machine may be shared; run it twice and compare.

Usage::

    python benchmarks/step_profile.py [--quick] [--markdown FILE] [--cprofile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # the working copy next to this script
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mlp_training import (  # noqa: E402  (the same network, data and initial weights)
    SPECS,
    NetSpec,
    chainrule_model,
    full_batches,
    make_data,
    make_numpy_trainer,
    per_call_us,
    torch_model,
)

import chainrule as cr  # noqa: E402
from chainrule import nn, optim  # noqa: E402
from chainrule.autograd import ops  # noqa: E402

SPEC = SPECS["small"]
PHASES = ("batch to tensors", "zero_grad", "forward (model)", "loss", "backward", "optimizer step")


def interleaved_us(fns: list[Callable[[], Any]], number: int, repeat: int) -> list[float]:
    """Per function, the median over ``repeat`` runs of the time of one call, in µs.

    The runs take turns (all functions once, then all again, ...), so that a burst of
    load from elsewhere on the machine spreads over all of them instead of spoiling
    the whole measurement of one.
    """
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for samples, fn in zip(times, fns):
            samples.append(timeit.timeit(fn, number=number))
    return [statistics.median(samples) / number * 1e6 for samples in times]


# --------------------------------------------------------------------------------------
# 1. Pieces
# --------------------------------------------------------------------------------------


def piece_rows(number: int, repeat: int) -> list[tuple[str, float, str]]:
    """(piece, microseconds per call, note) for the single calls a step is made of."""
    rng = np.random.default_rng(0)
    x_np = rng.uniform(-1, 1, (10, 2)).astype(np.float32)
    h_np = rng.uniform(-1, 1, (10, 8)).astype(np.float32)
    y_np = rng.uniform(-1, 1, (10, 1)).astype(np.float32)
    w_np = rng.uniform(-1, 1, (8, 8)).astype(np.float32)
    b_np = rng.uniform(-1, 1, 8).astype(np.float32)

    h = cr.Tensor(h_np)
    h_grad = cr.tensor(h_np, requires_grad=True)
    w = cr.tensor(w_np, requires_grad=True)
    b = cr.tensor(b_np, requires_grad=True)
    linear = nn.Linear(8, 8)
    tanh_module = nn.Tanh()
    model = chainrule_model(SPEC)
    out = model(cr.Tensor(x_np))
    y = cr.Tensor(y_np)
    loss_fn = nn.MSELoss()
    params = list(model.parameters())
    optimizer = optim.SGD(params, lr=0.01)
    for p in params:
        p.grad = cr.Tensor(np.zeros_like(p.data))

    def numpy_update() -> None:
        for p in params:
            p.data -= 0.01 * p.grad.data

    def with_graph(make: Callable[[], Any]) -> Callable[[], Any]:
        return make  # the result (and its node) is dropped at once

    add = ops.Add
    linear_op = ops.Linear
    measured: list[tuple[str, Callable[[], Any], str]] = [
        ("numpy: h + h (10x8 float32)", lambda: h_np + h_np, "the floor of one elementwise op"),
        ("numpy: x @ w.T + b (10x8)", lambda: h_np @ w_np.T + b_np, "the floor of one layer"),
        ("numpy: tanh (10x8)", lambda: np.tanh(h_np), ""),
        ("Tensor(array)", lambda: cr.Tensor(h_np), "wrapping an array, no copy"),
        ("chainrule.from_numpy(x[rows])", lambda: cr.from_numpy(x_np[0:10]), "per batch"),
        ("Add()(h, h), no grad", lambda: add()(h, h), "Function.__call__, result a constant"),
        ("Add()(h, h), records a node", with_graph(lambda: add()(h_grad, h)), "+ the node"),
        ("h + h via Tensor.__add__, node", lambda: h_grad + h, "operator dispatch on top"),
        ("h.tanh(), node", lambda: h_grad.tanh(), ""),
        ("nn.Tanh()(h), node", lambda: tanh_module(h_grad), "module call on top"),
        ("Linear()(h, w, b), node", lambda: linear_op()(h, w, b), "the fused layer op"),
        ("nn.Linear(8, 8)(h), node", lambda: linear(h), "module call on top"),
        (
            "model(x): 3 Linear + 2 Tanh",
            lambda: model(cr.Tensor(x_np)),
            "Sequential: 3 ops (2 Linear+Tanh)",
        ),
        ("MSELoss()(out, y)", lambda: loss_fn(out, y), "numpy floor below"),
        ("numpy: mean((o - y)**2)", lambda: np.mean((out.data - y_np) ** 2), ""),
        ("optimizer.step(), 6 parameters", optimizer.step, "SGD, no momentum"),
        ("numpy: p -= lr * g, 6 parameters", numpy_update, "the floor of that step"),
    ]
    # optimizer.step() keeps the gradients (zero_grad is not measured here).
    costs = interleaved_us([fn for _, fn, _ in measured], number, repeat)
    return [(name, cost, note) for (name, _, note), cost in zip(measured, costs)]


# --------------------------------------------------------------------------------------
# 2. Backward engine per node
# --------------------------------------------------------------------------------------


def engine_rows(repeat: int) -> list[tuple[str, float, str]]:
    """Cost per node of building, and of running backward over, a chain of Mul nodes.

    Each cost is the slope between chains of 10 and 100 nodes, so the fixed costs
    (``backward()``'s setup, the final ``sum``) drop out. Backward is timed alone on
    a freshly built chain; it includes freeing the graph as it goes.
    """
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.uniform(-1, 1, (10, 8)).astype(np.float32), requires_grad=True)
    c = cr.Tensor(np.full((10, 8), 0.99, np.float32))
    short, long = 10, 100

    def build(n: int) -> Any:
        y = x
        for _ in range(n):
            y = y * c
        return y.sum()

    def build_us(n: int) -> float:
        return per_call_us(lambda: build(n), number=20, repeat=repeat)

    def backward_us(n: int) -> float:
        samples = []
        for _ in range(20 * repeat):
            x.grad = None
            loss = build(n)
            start = time.perf_counter()
            loss.backward()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1e6

    build_slope = (build_us(long) - build_us(short)) / (long - short)
    backward_slope = (backward_us(long) - backward_us(short)) / (long - short)
    g = np.ones((10, 8), np.float32)
    c_np = c.data
    vjp = per_call_us(lambda: g * c_np, number=2000, repeat=repeat)
    return [
        ("forward: y = y * c, per node", build_slope, "Tensor.__mul__ + node (+ freeing it)"),
        ("backward: per node", backward_slope, "engine + Mul vjp + freeing"),
        ("  of which the vjp's NumPy work", vjp, "g * c on 80 numbers"),
    ]


# --------------------------------------------------------------------------------------
# 3. The ops of one step: their own NumPy work
# --------------------------------------------------------------------------------------


def op_rows(spec: NetSpec, repeat: int) -> tuple[list[list[str]], float, float]:
    """Each node of the eager step's graph: the time of its ``forward`` and ``backward``
    called directly on arrays (no Tensors, no engine), in graph order.

    Returns the table rows (header first) and the sums of the forward and backward
    columns: what the step would cost with no framework around the ops.
    """
    x, y = make_data(spec)
    model = chainrule_model(spec)
    rows_of_batch = slice(0, spec.batch_size)
    loss = chainrule_loss(spec)(
        model(cr.from_numpy(x[rows_of_batch])), cr.from_numpy(y[rows_of_batch])
    )
    nodes = []
    stack, seen = [loss._node], set()
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            stack += [p._node for p in node.parents if p._node is not None]
    nodes.sort(key=lambda node: node.seq)

    # The upstream gradient of every node, found by walking the graph backward once.
    upstream: dict[int, Any] = {id(loss._node): np.ones((), np.float32)}
    vjps: dict[int, Callable[[], Any]] = {}
    for node in reversed(nodes):  # backward order: upstream gradients are complete
        g = upstream.pop(id(node))
        arrays = [p.data for p in node.parents]

        def vjp(node: Any = node, g: Any = g, arrays: list[Any] = arrays) -> Any:
            return node.backward(g, node.out, *arrays)

        vjps[id(node)] = vjp
        for parent, needed, pg in zip(node.parents, node.needs_grad, vjp()):
            if needed and pg is not None and parent._node is not None:
                pg = ops.sum_to_shape(pg, parent.data.shape)
                key = id(parent._node)
                upstream[key] = pg if key not in upstream else upstream[key] + pg

    def forward_of(node: Any) -> Callable[[], Any]:
        arrays = [p.data for p in node.parents]
        return lambda: node.forward(*arrays)

    calls = [forward_of(node) for node in nodes] + [vjps[id(node)] for node in nodes]
    number = 2000 if spec.name == "small" else 20
    costs = interleaved_us(calls, number=number, repeat=repeat)
    forward_costs, backward_costs = costs[: len(nodes)], costs[len(nodes) :]
    rows = [["op (graph order)", "input shapes", "forward µs", "backward µs"]]
    for node, forward, backward in zip(nodes, forward_costs, backward_costs):
        shapes = " ".join(str(tuple(p.data.shape)) for p in node.parents)
        rows.append([node.name, shapes, f"{forward:.2f}", f"{backward:.2f}"])
    forward_total, backward_total = sum(forward_costs), sum(backward_costs)
    rows.append(["sum", "", f"{forward_total:.1f}", f"{backward_total:.1f}"])
    return rows, forward_total, backward_total


# --------------------------------------------------------------------------------------
# 4. Step phases
# --------------------------------------------------------------------------------------


class PhaseClock:
    """Accumulates the duration of named phases, one list of samples per phase."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.last = 0.0

    def start(self) -> None:
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.samples.setdefault(phase, []).append(now - self.last)
        self.last = now

    def medians_us(self) -> dict[str, float]:
        return {phase: statistics.median(values) * 1e6 for phase, values in self.samples.items()}


Stepper = Callable[[slice, PhaseClock], None]


def chainrule_loss(spec: NetSpec) -> Any:
    """The network's loss module in chainrule."""
    return nn.MSELoss() if spec.loss == "mse" else nn.CrossEntropyLoss()


def chainrule_stepper(spec: NetSpec, x: np.ndarray, y: np.ndarray, compiled: bool) -> Stepper:
    """The idiomatic chainrule step, timed phase by phase."""
    model = chainrule_model(spec)
    loss_fn = chainrule_loss(spec)
    optimizer = optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)

    def loss_of(inputs: Any, targets: Any) -> Any:
        return loss_fn(model(inputs), targets)

    compiled_loss = cr.compile(loss_of) if compiled else None

    def step(batch: slice, clock: PhaseClock) -> None:
        clock.start()
        inputs, targets = cr.from_numpy(x[batch]), cr.from_numpy(y[batch])
        clock.lap("batch to tensors")
        optimizer.zero_grad()
        clock.lap("zero_grad")
        if compiled_loss is not None:
            loss = compiled_loss(inputs, targets)  # forward and loss in one replay
            clock.lap("forward (model)")
        else:
            out = model(inputs)
            clock.lap("forward (model)")
            loss = loss_fn(out, targets)
            clock.lap("loss")
        loss.backward()
        clock.lap("backward")
        optimizer.step()
        clock.lap("optimizer step")

    return step


def eager_node_count(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> int:
    """Number of graph nodes of the eager step's loss (iterative walk)."""
    model = chainrule_model(spec)
    batch = slice(0, spec.batch_size)
    loss = chainrule_loss(spec)(model(cr.from_numpy(x[batch])), cr.from_numpy(y[batch]))
    seen: set[int] = set()
    stack = [loss._node]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack += [p._node for p in node.parents if p._node is not None]
    return len(seen)


def numpy_stepper(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Stepper:
    """The hand-written NumPy step (no phases inside): timed as a whole."""
    trainer = make_numpy_trainer(spec, x, y)

    def step(batch: slice, clock: PhaseClock) -> None:
        clock.start()
        trainer.step(batch)
        clock.lap("whole step")

    return step


def torch_stepper(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Stepper | None:
    """The PyTorch eager step, timed phase by phase (None if torch is missing)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    model = torch_model(spec)
    loss_fn = torch.nn.MSELoss() if spec.loss == "mse" else torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)
    x_torch, y_torch = torch.from_numpy(x), torch.from_numpy(y)

    def step(batch: slice, clock: PhaseClock) -> None:
        clock.start()
        inputs, targets = x_torch[batch], y_torch[batch]
        clock.lap("batch to tensors")
        optimizer.zero_grad()
        clock.lap("zero_grad")
        out = model(inputs)
        clock.lap("forward (model)")
        loss = loss_fn(out, targets)
        clock.lap("loss")
        loss.backward()
        clock.lap("backward")
        optimizer.step()
        clock.lap("optimizer step")

    return step


def phase_table(spec: NetSpec, steps: int) -> tuple[list[list[str]], int]:
    """Rows of the phase table (a header first) and the eager graph's node count.

    The peers take turns every ``steps // 30`` steps, so that load from elsewhere hits
    them alike.
    The first 20 steps of each (tracing and checking the compiled loss) are not counted.
    """
    x, y = make_data(spec)
    steppers: dict[str, Stepper] = {
        "numpy": numpy_stepper(spec, x, y),
        "chainrule": chainrule_stepper(spec, x, y, compiled=False),
        "chainrule-compiled": chainrule_stepper(spec, x, y, compiled=True),
    }
    torch_step = torch_stepper(spec, x, y)
    if torch_step is not None:
        steppers["torch"] = torch_step
    batches = full_batches(len(x), spec.batch_size)
    warmup = PhaseClock()
    for i in range(20):
        for step in steppers.values():
            step(batches[i % len(batches)], warmup)
    clocks = {name: PhaseClock() for name in steppers}
    chunk = max(10, steps // 30)  # steps in a row per peer: a warm cache, turns often enough
    for start in range(0, steps, chunk):
        for name, step in steppers.items():
            for i in range(start, min(start + chunk, steps)):
                step(batches[i % len(batches)], clocks[name])
    columns = {name: clock.medians_us() for name, clock in clocks.items()}

    header = ["phase (µs, median of steps)"] + list(columns)
    rows = [header]
    for phase in PHASES:
        rows.append([phase] + [_cell(column.get(phase)) for column in columns.values()])
    totals = [
        column["whole step"] if "whole step" in column else sum(column.values())
        for column in columns.values()
    ]
    rows.append(["sum of medians"] + [f"{total:.1f}" for total in totals])
    rows.append(["= steps/s"] + [f"{1e6 / total:,.0f}" for total in totals])
    return rows, eager_node_count(spec, x, y)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(rows[0]) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_cprofile(steps: int) -> None:
    """cProfile of the eager chainrule step, sorted by own time (the hot functions)."""
    import cProfile
    import pstats

    x, y = make_data(SPEC)
    model = chainrule_model(SPEC)
    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=SPEC.lr)
    batches = full_batches(len(x), SPEC.batch_size)

    def train(n: int) -> None:
        for i in range(n):
            batch = batches[i % len(batches)]
            optimizer.zero_grad()
            loss = loss_fn(model(cr.from_numpy(x[batch])), cr.from_numpy(y[batch]))
            loss.backward()
            optimizer.step()

    train(20)
    profiler = cProfile.Profile()
    profiler.enable()
    train(steps)
    profiler.disable()
    print(f"\ncProfile of {steps} eager steps (own time; cProfile itself slows calls down):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    parser.add_argument(
        "--net",
        choices=tuple(SPECS),
        default="small",
        help="the network of the op and phase tables (the pieces are always the small one's)",
    )
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write markdown")
    parser.add_argument("--cprofile", action="store_true", help="also print a cProfile")
    args = parser.parse_args(argv)
    spec = SPECS[args.net]
    number, repeat, steps = (500, 5, 500) if args.quick else (2000, 9, 3000)
    if spec.name != "small":
        steps //= 10  # a step takes milliseconds, not microseconds

    tables = []
    if spec.name == "small":
        pieces = [["piece", "µs per call", "note"]] + [
            [name, f"{us:.2f}", note] for name, us, note in piece_rows(number, repeat)
        ]
        engine = [["backward engine (chain of Mul nodes, 10x8)", "µs", "note"]] + [
            [name, f"{us:.2f}", note] for name, us, note in engine_rows(repeat)
        ]
        tables += [pieces, engine]
    op_table, forward_work, backward_work = op_rows(spec, repeat)
    phases, nodes = phase_table(spec, steps)
    tables += [op_table, phases]
    node_note = (
        f"The eager step's graph has {nodes} nodes; 'forward (model)' of "
        "chainrule-compiled is the whole replayed loss function. The ops' own NumPy work "
        f"is {forward_work:.1f} µs forward (model and loss) and {backward_work:.1f} µs "
        "backward: the rest of each phase is framework."
    )
    for table in tables:
        print(text_table(table))
        print()
    print(node_note)
    if args.cprofile:
        run_cprofile(steps)
    if args.markdown is not None:
        command = "python benchmarks/step_profile.py" + " ".join(
            [""]
            + (["--quick"] if args.quick else [])
            + ([f"--net {spec.name}"] if spec.name != "small" else [])
        )
        text = "\n\n".join(
            [
                f"### Where a training step's time goes: {spec.title}",
                f"Command: `{command}` (NumPy {np.__version__}, chainrule "
                f"{cr.__version__}; medians of {repeat} interleaved repeats / {steps} steps)",
            ]
            + [markdown_table(table) for table in tables]
            + [node_note]
        )
        args.markdown.write_text(text + "\n", encoding="utf-8")
        print(f"\nMarkdown written to {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
