"""Rosenblatt's perceptron (1958): a threshold unit trained with the delta rule.

>>> import chainrule as cr
>>> from chainrule import nn
>>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
>>> unit = nn.Perceptron(2)
>>> unit.fit(X, [0, 0, 0, 1])          # logical AND: errors per epoch, last is 0
[1, 3, 3, 2, 1, 0]
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import Tensor, _to_array
from chainrule.autograd.function import no_grad
from chainrule.nn.module import Module, Parameter

__all__ = ["Perceptron"]


class Perceptron(Module):
    """Rosenblatt's perceptron: one threshold unit, trained with the delta rule.

    The unit outputs 1 if w . x + b > 0, else 0 (a step function of the weighted sum).
    The step has no useful derivative (0 everywhere, undefined at the threshold), so
    it is not trained by backpropagation. Instead, after each example the delta rule
    moves the weights by the error:

        o = step(w . x + b),   w <- w + lr (t - o) x,   b <- b + lr (t - o).

    A correct answer (t = o) changes nothing; a missed 1 adds x to w (turning w
    towards x), a false 1 subtracts it. The perceptron convergence theorem: if a
    hyperplane separates the two classes (the data are linearly separable), this
    reaches zero errors after finitely many updates, whatever the learning rate.
    If not, it never settles: XOR (output 1 when exactly one input is 1) has no
    separating line, so a single unit cannot learn it. That limit is why networks
    need hidden layers, and differentiable activations to train them.

    Args:
        in_features: number of inputs.
        dtype: dtype of the weights (default float64).

    Attributes:
        weight: Parameter of shape (in_features,), zero at the start.
        bias: Parameter of shape (), zero at the start (the negative threshold).
        Both have ``requires_grad=False``: the delta rule, not backward, trains them.

    Shape:
        input (N, in_features) -> output (N,) of 0.0 and 1.0.

    Example::

        >>> unit = nn.Perceptron(2)
        >>> errors = unit.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1])   # OR
        >>> errors[-1]
        0
        >>> unit(cr.tensor([[0.0, 0.0], [1.0, 0.0]]))
        tensor([0., 1.], dtype=float64)
    """

    def __init__(self, in_features: int, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(in_features, bool) or not isinstance(in_features, int) or in_features < 1:
            raise ValueError(
                f"Perceptron: in_features must be a positive integer, got {in_features!r}"
            )
        self.in_features = in_features
        dtype = np.dtype(np.float64 if dtype is None else dtype)
        self.weight = Parameter(np.zeros(in_features, dtype), requires_grad=False)
        self.bias = Parameter(np.zeros((), dtype), requires_grad=False)

    def net_input(self, input: Any) -> Tensor:
        """The weighted sum w . x + b of each row, before the threshold."""
        x = self._inputs(input)
        return Tensor(x @ self.weight.data + self.bias.data)

    def forward(self, input: Any) -> Tensor:
        """1.0 where w . x + b > 0, else 0.0."""
        return Tensor((self.net_input(input).data > 0).astype(self.weight.dtype))

    def fit(
        self,
        X: Any,
        y: Any,
        epochs: int = 100,
        lr: float = 1.0,
        shuffle: bool = False,
        generator: np.random.Generator | None = None,
    ) -> list[int]:
        """Train with the delta rule, one example at a time, for up to ``epochs`` passes.

        Stops after the first epoch with no error (the data are then classified
        perfectly). The weights are not reset first: call ``fit`` again to go on.

        Args:
            X: inputs, shape (N, in_features) (a Tensor, an array or lists).
            y: targets 0 or 1, shape (N,).
            epochs: the most passes over the data.
            lr: the learning rate (step size of each update; with zero initial
                weights it only scales w, so any positive value learns the same
                separation).
            shuffle: visit the examples in a new random order each epoch
                (chainrule's generator, or ``generator``).

        Returns:
            The number of misclassified examples in each epoch (each one caused an
            update). The last is 0 when training converged.
        """
        x = self._inputs(X)
        targets = y.data if isinstance(y, Tensor) else np.asarray(y)
        if targets.shape != (len(x),):
            raise ValueError(
                f"Perceptron.fit: y must have shape ({len(x)},) to match X, got {targets.shape}"
            )
        if not np.isin(targets, (0, 1)).all():
            raise ValueError("Perceptron.fit: targets y must be 0 or 1")
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"Perceptron.fit: epochs must be a positive integer, got {epochs!r}")
        if not lr > 0:
            raise ValueError(f"Perceptron.fit: lr must be positive, got {lr!r}")
        targets = targets.astype(self.weight.dtype)
        rng = _random.seed_from(generator) if shuffle else None
        w = self.weight.data.copy()
        b = self.bias.data.item()
        errors_per_epoch: list[int] = []
        for _ in range(epochs):
            order = rng.permutation(len(x)) if rng is not None else range(len(x))
            errors = 0
            for i in order:
                output = 1.0 if x[i] @ w + b > 0 else 0.0
                delta = targets[i] - output  # the delta rule: the error drives the step
                if delta:
                    w += lr * delta * x[i]
                    b += lr * delta
                    errors += 1
            errors_per_epoch.append(errors)
            if errors == 0:
                break
        with no_grad():
            self.weight.copy_(w)
            self.bias.copy_(b)
        return errors_per_epoch

    def _inputs(self, input: Any) -> np.ndarray:
        x = input.data if isinstance(input, Tensor) else _to_array(input, None)
        x = x.astype(self.weight.dtype, copy=False)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Perceptron: inputs must have shape (N, {self.in_features}), got {x.shape}"
            )
        return x

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"
