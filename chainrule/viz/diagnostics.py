"""Training diagnostics: is backpropagation healthy in every layer?

``TrainingDiagnostics`` is a ``chainrule.train`` callback. Once per epoch (on the
epoch's first batch) it measures, layer by layer:

* the **gradient norm** ||dL/dW||: tiny in the first layers means gradients vanish on
  their way back, exactly 0 that none arrives (dead ReLUs block every path), huge
  (or NaN) that they explode;
* the **update-to-weight ratio** ||W_after - W_before|| / ||W_before|| of that
  batch's optimizer step: about 1e-3 is healthy; much larger, the learning rate is
  too high; much smaller, too low;
* for each ReLU layer, the fraction of **dead units**: units whose output is 0 for
  every sample of the batch, so that no gradient flows through them and they never
  recover;
* for each sigmoid / tanh layer, the fraction of **saturated** outputs: where the
  derivative is below 10% of its peak (|tanh| > 0.95, sigmoid outside [0.03, 0.97]),
  so the gradient is multiplied by almost zero.

When a number crosses its threshold, it prints the course's advice once per layer
and kind of problem (all of it is also kept in ``records`` and ``messages``)::

    >>> diagnostics = TrainingDiagnostics()
    >>> fit(model, loss, optimizer, (X, y), epochs=20, callbacks=[diagnostics])
    layer '1' (ReLU): 62% of its 16 units are dead (output 0 for every sample) ...

Activations are read from the model's activation modules (``nn.ReLU``,
``nn.Sigmoid``, ``nn.Tanh``) during the measured batch; activations called as
functions inside a custom ``forward`` are not seen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.train.callbacks import Callback, Logs

__all__ = [
    "TrainingDiagnostics",
    "LayerRecord",
    "recording_activations",
    "ACTIVATION_KINDS",
    "ADVICE",
    "THRESHOLDS",
    "check_activation",
]


def _dead_relu(out: np.ndarray) -> float:
    """The fraction of units (last axis) that are 0 for every sample."""
    columns = out.reshape(-1, out.shape[-1]) if out.ndim else out.reshape(1, 1)
    return float(np.mean(np.all(columns <= 0, axis=0)))


def _saturated_sigmoid(out: np.ndarray) -> float:
    """The fraction of outputs where sigma' = s(1 - s) < 10% of its peak 1/4."""
    return float(np.mean(out * (1 - out) < 0.025))


def _saturated_tanh(out: np.ndarray) -> float:
    """The fraction of outputs where tanh' = 1 - t^2 < 10% of its peak 1."""
    return float(np.mean(1 - out * out < 0.1))


# Activation module class name -> (what is measured, how, from the module's output).
ACTIVATION_KINDS: dict[str, tuple[str, Callable[[np.ndarray], float]]] = {
    "ReLU": ("dead", _dead_relu),
    "Sigmoid": ("saturated", _saturated_sigmoid),
    "Tanh": ("saturated", _saturated_tanh),
}

# The fraction of units above which a layer is flagged (TrainingDiagnostics' defaults).
THRESHOLDS = {"dead": 0.4, "saturated": 0.5}

ADVICE = {
    "dead": "lower the learning rate, or use LeakyReLU / ELU, or He initialization",
    "saturated": (
        "its gradient is nearly zero there: use smaller initial weights (Glorot), "
        "standardize the inputs, or a non-saturating activation (ReLU)"
    ),
    "vanishing": (
        "gradients vanish before reaching this layer: use ReLU-like activations, "
        "Glorot/He initialization, or fewer layers"
    ),
    "no_gradient": (
        "no gradient reaches these weights: dead ReLUs block every path back from the "
        "loss, or feed this layer only zeros (or the loss does not use it)"
    ),
    "exploding": "gradients explode: lower the learning rate or clip the gradients",
    "update_high": "the learning rate is probably too high (a healthy ratio is about 1e-3)",
    "update_low": "the learning rate is probably too low (a healthy ratio is about 1e-3)",
}


def check_activation(kind: str, output: np.ndarray) -> tuple[str, float, str | None] | None:
    """What an activation's output says about its layer, for ReLU, sigmoid and tanh.

    Args:
        kind: the activation module's class name ("ReLU", "Sigmoid", "Tanh").
        output: its output on a batch, (samples, units).

    Returns:
        (problem, fraction, advice): "dead" or "saturated", the fraction of units (ReLU)
        or outputs (sigmoid, tanh) affected, and the course's advice when the fraction
        crosses ``THRESHOLDS`` (else None); None for other activations.
    """
    measured = ACTIVATION_KINDS.get(kind)
    if measured is None:
        return None
    problem, measure = measured
    fraction = measure(output)
    advice = ADVICE[problem] if fraction > THRESHOLDS[problem] else None
    return problem, fraction, advice


@dataclass
class LayerRecord:
    """What was measured for one layer in one epoch (None: not measured)."""

    epoch: int
    layer: str
    kind: str  # the module's class name
    grad_norm: float | None = None
    update_ratio: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None
    units: int | None = None
    flags: list[str] = field(default_factory=list)


@contextlib.contextmanager
def recording_activations(model: Any) -> Iterator[dict[str, tuple[str, np.ndarray]]]:
    """While active, keep the latest output of every activation module of ``model``.

    Yields a dict module name -> (class name, output array), filled in by forward
    hooks (``Module.register_forward_hook``) on the hidden activation modules.
    """
    seen: dict[str, tuple[str, np.ndarray]] = {}
    handles = []
    modules = list(model.named_modules()) if hasattr(model, "named_modules") else []
    # The model's last module is its output activation (a sigmoid giving probabilities
    # is meant to saturate once trained): only hidden layers are watched.
    hidden = modules[:-1] if len(modules) > 2 else modules
    for name, module in hidden:
        kind = type(module).__name__
        if kind in ACTIVATION_KINDS:

            def keep(
                module: Any, inputs: Any, out: Any, name: str = name, kind: str = kind
            ) -> None:
                seen[name] = (kind, np.asarray(out.data))

            handles.append(module.register_forward_hook(keep))
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


class TrainingDiagnostics(Callback):
    """A ``fit`` callback that checks gradients and activations layer by layer.

    Args:
        every: measure every ``every`` epochs (on the epoch's first batch).
        dead_threshold: flag a ReLU layer with more dead units than this fraction.
        saturated_threshold: flag a sigmoid/tanh layer with more saturated outputs.
        vanishing: flag a gradient norm below this.
        exploding: flag a gradient norm above this (or not finite).
        update_low, update_high: flag an update-to-weight ratio outside this range.
        verbose: print the advice when a threshold is crossed (each layer and kind of
            problem once).

    Attributes:
        records: every ``LayerRecord`` measured.
        messages: every piece of advice given.

    Example::

        >>> diagnostics = TrainingDiagnostics()
        >>> history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=5.0),
        ...               (X, y), epochs=5, callbacks=[diagnostics])
        layer '1' (ReLU): 88% of its 16 units are dead ...
        >>> diagnostics.summary()   # the last measurement, as a table
    """

    watches_forward = True  # activations come from forward hooks

    def __init__(
        self,
        every: int = 1,
        dead_threshold: float = THRESHOLDS["dead"],
        saturated_threshold: float = THRESHOLDS["saturated"],
        vanishing: float = 1e-6,
        exploding: float = 1e3,
        update_low: float = 1e-5,
        update_high: float = 1e-1,
        verbose: bool = True,
    ) -> None:
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be an integer >= 1, got {every!r}")
        self.every = every
        self.dead_threshold = dead_threshold
        self.saturated_threshold = saturated_threshold
        self.vanishing = vanishing
        self.exploding = exploding
        self.update_low = update_low
        self.update_high = update_high
        self.verbose = verbose
        self.records: list[LayerRecord] = []
        self.messages: list[str] = []
        self._told: set[tuple[str, str]] = set()
        self._epoch = 0
        self._before: dict[str, np.ndarray] | None = None
        self._recording: Any = None
        self._seen: dict[str, tuple[str, np.ndarray]] = {}

    # ------------------------------------------------------------------ hooks

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        if batch != 0 or self._epoch % self.every or self.model is None:
            return
        self._before = {name: p.data.copy() for name, p in _weights(self.model)}
        self._recording = recording_activations(self.model)
        self._seen = self._recording.__enter__()

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._recording is None:
            return
        self._recording.__exit__(None, None, None)
        self._recording = None
        self.measure(self._epoch, self._seen, self._before or {})
        self._before = None

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._recording is not None:  # training stopped inside a measured batch
            self._recording.__exit__(None, None, None)
            self._recording = None

    # ------------------------------------------------------------------ numbers

    def measure(
        self,
        epoch: int,
        activations: dict[str, tuple[str, np.ndarray]],
        before: dict[str, np.ndarray],
    ) -> list[LayerRecord]:
        """Record one epoch's numbers (gradients are read from ``.grad``)."""
        modules = dict(self.model.named_modules()) if hasattr(self.model, "named_modules") else {}
        records: dict[str, LayerRecord] = {}
        for name, weight in _weights(self.model):
            layer = name.rpartition(".")[0]
            kind = type(modules.get(layer)).__name__ if layer in modules else "params"
            record = records.setdefault(layer, LayerRecord(epoch, layer, kind))
            if weight.grad is not None:
                record.grad_norm = _norm(weight.grad.data)
            if name in before:
                change = _norm(weight.data - before[name])
                record.update_ratio = change / max(_norm(before[name]), 1e-12)
        for layer, (kind, out) in activations.items():
            record = records.setdefault(layer, LayerRecord(epoch, layer, kind))
            what, measure = ACTIVATION_KINDS[kind]
            record.units = int(out.shape[-1]) if out.ndim else 1
            if what == "dead":
                record.dead_fraction = measure(out)
            else:
                record.saturated_fraction = measure(out)
        ordered = sorted(records.values(), key=lambda r: _module_order(modules, r.layer))
        for record in ordered:
            self._check(record)
        self.records.extend(ordered)
        return ordered

    def _check(self, record: LayerRecord) -> None:
        """Compare a record with the thresholds; give the advice once per layer and kind."""
        where = f"layer '{record.layer}' ({record.kind})"
        checks = []
        if record.dead_fraction is not None and record.dead_fraction > self.dead_threshold:
            checks.append(
                (
                    "dead",
                    f"{record.dead_fraction:.0%} of its {record.units} units are dead "
                    "(output 0 for every sample)",
                )
            )
        saturated = record.saturated_fraction
        if saturated is not None and saturated > self.saturated_threshold:
            checks.append(("saturated", f"{saturated:.0%} of its outputs are saturated"))
        norm = record.grad_norm
        if norm is not None:
            if not np.isfinite(norm) or norm > self.exploding:
                checks.append(("exploding", f"the weight gradient's norm is {norm:.3g}"))
            elif norm == 0:
                checks.append(("no_gradient", "the weight gradient is exactly 0"))
            elif norm < self.vanishing:
                checks.append(("vanishing", f"the weight gradient's norm is {norm:.3g}"))
        ratio = record.update_ratio
        if ratio is not None and np.isfinite(ratio):
            if ratio > self.update_high:
                checks.append(("update_high", f"an update changed the weights by {ratio:.1%}"))
            elif 0 < ratio < self.update_low:
                checks.append(("update_low", f"the update-to-weight ratio is {ratio:.2g}"))
        for problem, finding in checks:
            record.flags.append(problem)
            if (record.layer, problem) in self._told:
                continue
            self._told.add((record.layer, problem))
            message = f"epoch {record.epoch}: {where}: {finding}: {ADVICE[problem]}"
            self.messages.append(message)
            if self.verbose:
                print(message)

    # ------------------------------------------------------------------ reading

    def flagged(self, problem: str) -> list[str]:
        """The layers flagged at least once with ``problem``: ``"dead"``, ``"saturated"``,
        ``"vanishing"``, ``"no_gradient"``, ``"exploding"``, ``"update_high"`` or
        ``"update_low"``."""
        if problem not in ADVICE:
            raise ValueError(f"problem must be one of {sorted(ADVICE)}, got {problem!r}")
        layers: list[str] = []
        for record in self.records:
            if problem in record.flags and record.layer not in layers:
                layers.append(record.layer)
        return layers

    def gradient_norms(self) -> dict[str, list[float]]:
        """Layer -> its weight gradient's norm at each measurement (for
        ``plot_gradient_norms``)."""
        series: dict[str, list[float]] = {}
        for record in self.records:
            if record.grad_norm is not None:
                series.setdefault(record.layer, []).append(record.grad_norm)
        return series

    def summary(self) -> str:
        """The last measurement as a text table."""
        if not self.records:
            return "no measurement yet"
        last_epoch = self.records[-1].epoch
        rows = [r for r in self.records if r.epoch == last_epoch]
        header = ["layer", "kind", "grad norm", "update/weight", "dead", "saturated", "flags"]
        table = [header]
        for r in rows:
            table.append(
                [
                    r.layer,
                    r.kind,
                    _maybe(r.grad_norm, ".3g"),
                    _maybe(r.update_ratio, ".2g"),
                    _maybe(r.dead_fraction, ".0%"),
                    _maybe(r.saturated_fraction, ".0%"),
                    ", ".join(r.flags),
                ]
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = [f"epoch {last_epoch}"]
        for row in table:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        return "\n".join(lines)


def _weights(model: Any) -> list[tuple[str, Any]]:
    """The weight matrices (parameters with 2 or more axes), by name: biases are left out."""
    if not hasattr(model, "named_parameters"):
        return []
    return [(name, p) for name, p in model.named_parameters() if p.data.ndim >= 2]


def _norm(array: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


def _maybe(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _module_order(modules: dict[str, Any], name: str) -> int:
    names = list(modules)
    return names.index(name) if name in names else len(names)
