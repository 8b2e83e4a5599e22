"""The playground's model code, in one place: data, network, loss, optimizer, penalty.

Everything here is chainrule's public API (``chainrule.data``, ``chainrule.nn``,
``chainrule.optim``), put together the way a user would; the session (``session.py``)
only drives it, and the exported script (``export.py``) writes the same recipe out.

Three kinds of task, decided by the data:

============  ==========================  =============================  ==========
task          output layer                loss                           targets
============  ==========================  =============================  ==========
binary        1 unit, tanh                1/2 (y_hat - t)^2, mean        t = -1, +1
multiclass    k units, softmax (logits)   cross-entropy -log p_y, mean   y = 0..k-1
regression    1 unit, linear              1/2 (y_hat - t)^2, mean        t in [-1, 1]
============  ==========================  =============================  ==========

Binary classification and regression are those of playground.tensorflow.org (its
labels are -1/+1, its loss the squared error with the 1/2); the multi-class output is
a softmax with the cross-entropy loss, whose gradient at the logits is p - e_y.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import data, nn, optim

__all__ = [
    "Task",
    "Network",
    "OPTIMIZERS",
    "PENALTIES",
    "DOMAIN",
    "generate",
    "features_of",
    "grid_points",
]

# The plane the playground draws: [-6, 6] x [-6, 6].
DOMAIN = 6.0


@dataclass(frozen=True)
class Task:
    """What the network predicts.

    Attributes:
        kind: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        classes: the number of classes (2 for binary, 0 for regression).
    """

    kind: str
    classes: int

    @property
    def outputs(self) -> int:
        """Units in the output layer."""
        return self.classes if self.kind == "multiclass" else 1

    @property
    def output_activation(self) -> str:
        return {"binary": "tanh", "multiclass": "softmax", "regression": "linear"}[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "classes": self.classes, "outputs": self.outputs}

    @staticmethod
    def for_labels(y: np.ndarray) -> Task:
        """The task that labels ``y`` call for: integers -> classes, floats -> regression."""
        if y.dtype.kind == "f":
            return Task("regression", 0)
        classes = max(int(y.max()) + 1, 2) if y.size else 2
        return Task("binary", 2) if classes == 2 else Task("multiclass", classes)


# ------------------------------------------------------------------------- data


def generate(settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The data set the settings name, from ``chainrule.data.GENERATORS``.

    Returns:
        (X, y): X float32 (n, 2); y int64 class labels or float32 targets. The
        generators return the points in random order, so the first ``percTrainData``
        percent are a random training set.
    """
    regression = settings["problem"] == "regression"
    generator = data.GENERATORS[settings["regDataset"] if regression else settings["dataset"]]
    classes = settings["classes"] if generator.multiclass else None
    return generator(noise=settings["noise"] / 100, seed=settings["seed"], classes=classes)


def features_of(X: np.ndarray, features: list[str]) -> np.ndarray:
    """The network's inputs: the chosen features of every point, (n, len(features))."""
    return data.feature_map(X, features)


def grid_points(size: int) -> np.ndarray:
    """A size x size grid over the plane, row by row from the top (x2 = +6) and left to
    right (x1 = -6 .. +6): shape (size * size, 2), float32."""
    axis = np.linspace(-DOMAIN, DOMAIN, size, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


# -------------------------------------------------------------- optimizer, penalty

# name -> (parameters, learning rate) -> optimizer
OPTIMIZERS: dict[str, Callable[[Any, float], optim.Optimizer]] = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
}

# name -> (model, rate) -> the penalty to add to the loss (weights only, not biases).
# L2 takes the 1/2 convention, so its gradient is rate * w, as in the original playground.
PENALTIES: dict[str, Callable[[nn.Module, float], cr.Tensor] | None] = {
    "none": None,
    "L1": lambda model, rate: optim.l1_penalty(model, rate),
    "L2": lambda model, rate: optim.l2_penalty(model, rate, half=True),
}


# ---------------------------------------------------------------------- network


class Network:
    """A multilayer perceptron for the playground: an ``nn.Sequential`` of
    ``Linear -> activation [-> Dropout]`` per hidden layer and a ``Linear`` output
    (followed by ``Tanh`` for binary classification).

    Args:
        inputs: the number of input features.
        shape: neurons per hidden layer, e.g. [4, 2].
        activations: one activation name per hidden layer (keys of ``nn.ACTIVATIONS``).
        task: what the output predicts.
        dropout: probability of dropping a hidden unit while training.

    Attributes:
        model: the ``nn.Sequential``; its ``state_dict`` is what the page exports.
        linears: the ``nn.Linear`` layers, input to output.

    Example::

        >>> net = Network(2, [4, 2], ["tanh", "tanh"], Task("binary", 2))
        >>> net.model(cr.zeros(5, 2)).shape
        (5, 1)
    """

    def __init__(
        self,
        inputs: int,
        shape: list[int],
        activations: list[str],
        task: Task,
        dropout: float = 0.0,
    ) -> None:
        self.task = task
        self.activation_names = list(activations[: len(shape)])
        sizes = [inputs, *shape, task.outputs]
        self.linears = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.activations: list[nn.Module] = [nn.get_activation(a) for a in self.activation_names]
        self.output_activation: nn.Module | None = nn.Tanh() if task.kind == "binary" else None
        self.loss_fn: nn.Module = (
            nn.CrossEntropyLoss() if task.kind == "multiclass" else nn.MSELoss(half=True)
        )
        self.dropout = -1.0
        self.model = nn.Sequential()
        self.set_dropout(dropout)

    def set_dropout(self, p: float) -> None:
        """Put Dropout(p) after every hidden activation (none for p = 0), keeping the
        weights: the Sequential is rebuilt around the same layers."""
        if p == self.dropout:
            return
        self.dropout = p
        modules: list[nn.Module] = []
        for linear, activation in zip(self.linears, self.activations):
            modules += [linear, activation] + ([nn.Dropout(p)] if p > 0 else [])
        modules.append(self.linears[-1])
        if self.output_activation is not None:
            modules.append(self.output_activation)
        self.model = nn.Sequential(*modules)

    def parameters(self) -> Iterator[nn.Parameter]:
        return self.model.parameters()

    def targets(self, y: np.ndarray) -> cr.Tensor:
        """The loss's targets for labels ``y``: -1/+1 (binary, as the original), the
        class (multi-class) or the value (regression), shaped like the output."""
        if self.task.kind == "multiclass":
            return cr.tensor(y.astype(np.int64))
        t = (2.0 * y - 1.0) if self.task.kind == "binary" else y
        return cr.tensor(np.asarray(t, np.float32).reshape(-1, 1))

    # -------------------------------------------------------------- evaluation

    @contextlib.contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Evaluation mode (no dropout) and no graph; switching modes only when there is
        dropout to switch off."""
        if self.dropout > 0:
            self.model.eval()
        try:
            with cr.no_grad():
                yield
        finally:
            if self.dropout > 0:
                self.model.train()

    def _display(self, out: cr.Tensor) -> np.ndarray:
        return (out.softmax(-1) if self.task.kind == "multiclass" else out).numpy()

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The output for display, without dropout: tanh output in [-1, 1] (binary),
        class probabilities (multi-class), or the value (regression). (n, outputs)."""
        with self._evaluating():
            return self._display(self.model(cr.tensor(inputs)))

    def loss(self, inputs: np.ndarray, targets: cr.Tensor) -> float:
        """The data loss (no penalty, no dropout) over all of ``inputs``."""
        return self.evaluate(inputs, targets)[0]

    def evaluate(self, inputs: np.ndarray, targets: cr.Tensor) -> tuple[float, np.ndarray]:
        """(data loss, output for display) over all of ``inputs``, in one forward pass."""
        if len(inputs) == 0:
            return float("nan"), np.zeros((0, self.task.outputs), np.float32)
        with self._evaluating():
            out = self.model(cr.tensor(inputs))
            return float(self.loss_fn(out, targets).item()), self._display(out)

    def node_outputs(self, inputs: np.ndarray) -> list[np.ndarray]:
        """Every neuron's output on ``inputs`` in one batched pass, without dropout: one
        (n, width) array per hidden layer, then the output layer (as ``predict``)."""
        outputs = []
        with self._evaluating():
            h = cr.tensor(inputs)
            for linear, activation in zip(self.linears, self.activations):
                h = activation(linear(h))
                outputs.append(h.numpy())
            out = self.linears[-1](h)
            if self.output_activation is not None:
                out = self.output_activation(out)
            elif self.task.kind == "multiclass":
                out = out.softmax(-1)
            outputs.append(out.numpy())
        return outputs

    def health(self, inputs: np.ndarray) -> list[dict[str, Any]]:
        """Per hidden layer, on ``inputs``: the fraction of dead ReLU units or saturated
        sigmoid/tanh outputs, the weights' last gradient norm, and the course's advice
        where ``chainrule.viz.diagnostics`` would flag the layer."""
        from chainrule.viz.diagnostics import check_activation

        report = []
        hidden = self.node_outputs(inputs)[:-1]
        for layer, (activation, output, linear) in enumerate(
            zip(self.activations, hidden, self.linears), start=1
        ):
            grad = linear.weight.grad
            entry: dict[str, Any] = {
                "layer": layer,
                "gradNorm": _finite_or_none(grad),
                "problem": None,
                "fraction": None,
                "advice": None,
            }
            checked = check_activation(type(activation).__name__, output)
            if checked is not None:
                entry["problem"], entry["fraction"], entry["advice"] = checked
            report.append(entry)
        return report

    # ---------------------------------------------------------- show the math

    def trace(self, point_inputs: np.ndarray, label: Any) -> dict[str, Any]:
        """One point's forward and backward pass, every number from chainrule's autograd.

        For layer l with weights W (out, in), bias b and activation g:

            forward:   a = W h_prev + b,   h = g(a)
            backward:  dL/da = dL/dh * g'(a),   dL/dW = dL/da h_prev^T,
                       dL/db = dL/da,   dL/dh_prev = W^T dL/da

        The output layer's g is tanh (binary), softmax (multi-class: dL/da = p - e_y
        directly) or the identity (regression). Dropout is off (evaluation mode).

        Args:
            point_inputs: the point's features, shape (inputs,).
            label: its class (int) or value (float).

        Returns:
            a JSON-ready dict: ``input``, ``target``, ``loss`` and ``layers``, a list
            with, per layer: ``activation``, ``W``, ``b``, ``a``, ``h``, ``gprime``,
            ``dh``, ``da``, ``dW``, ``db``, ``dprev``.
        """
        x = cr.tensor(np.asarray(point_inputs, np.float32).reshape(1, -1))
        target = self.targets(np.asarray([label]))
        names = [*self.activation_names, self.task.output_activation]
        modules = [*self.activations, self.output_activation]
        pre: list[cr.Tensor] = []
        post: list[cr.Tensor] = []
        h = x
        for linear, module in zip(self.linears, modules):
            a = linear(h)
            h = a if module is None else module(a)
            pre.append(a)
            post.append(h)
        logits = pre[-1]
        if self.task.kind == "multiclass":
            post[-1] = logits.softmax(-1)
            loss = self.loss_fn(logits, target)
        else:
            loss = self.loss_fn(post[-1], target)

        # Gradients of the loss, returned (not accumulated into .grad): the training
        # state is untouched.
        weights = [p for linear in self.linears for p in (linear.weight, linear.bias)]
        wanted = [*pre, *post, *weights]
        # Each tensor asked for once (with a linear activation, h is a itself).
        unique = list({id(t): t for t in wanted}.values())
        by_id = dict(zip(map(id, unique), cr.autograd.grad(loss, unique, allow_unused=True)))
        grads = [by_id[id(t)] for t in wanted]
        n = len(pre)
        d_pre, d_post, d_weights = grads[:n], grads[n : 2 * n], grads[2 * n :]

        layers = []
        for i, (linear, name) in enumerate(zip(self.linears, names)):
            layers.append(
                {
                    "activation": name,
                    "W": linear.weight.numpy().tolist(),
                    "b": linear.bias.numpy().tolist(),
                    "a": pre[i].numpy()[0].tolist(),
                    "h": post[i].numpy()[0].tolist(),
                    "gprime": None if name == "softmax" else _derivative(modules[i], pre[i]),
                    "dh": None if name == "softmax" else _row(d_post[i]),
                    "da": _row(d_pre[i]),
                    "dW": d_weights[2 * i].numpy().tolist(),
                    "db": d_weights[2 * i + 1].numpy().tolist(),
                    "dprev": _row(d_post[i - 1]) if i > 0 else None,
                }
            )
        t = target.numpy().ravel()
        return {
            "input": x.numpy()[0].tolist(),
            "target": int(t[0]) if self.task.kind == "multiclass" else float(t[0]),
            "loss": float(loss.item()),
            "layers": layers,
        }


def _row(gradient: cr.Tensor | None) -> list[float] | None:
    return None if gradient is None else gradient.numpy()[0].tolist()


def _derivative(activation: nn.Module | None, pre: cr.Tensor) -> list[float]:
    """g'(a) for an elementwise activation, by autograd: d(sum g(a))/da = g'(a)."""
    a = pre.detach().requires_grad_()
    if activation is None:
        return [1.0] * a.shape[-1]
    (slope,) = cr.autograd.grad(activation(a).sum(), a)
    return slope.numpy()[0].tolist()


def _finite_or_none(grad: Any) -> float | None:
    """The norm of a gradient, or None when there is none or it is not finite (JSON)."""
    if grad is None:
        return None
    norm = float(np.linalg.norm(grad.numpy()))
    return norm if math.isfinite(norm) else None
