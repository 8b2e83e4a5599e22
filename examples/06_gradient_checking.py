"""Gradient checking: backpropagation against finite differences.

The course claims: a gradient can be checked numerically by central differences,
(f(w + e) - f(w - e)) / 2e, compared with the analytic gradient by the relative error
|a - n| / max(|a|, |n|); in double precision a correct gradient gives about 1e-7 or
less, a wrong one something near 1. It is how to catch a wrong backward pass.

This script checks a small two-layer network's loss with respect to all its weights
(``chainrule.gradcheck``, which compares every entry of the Jacobian), prints a few
entries by hand with their relative errors, then writes a custom op, x^3, whose
backward has a bug (3x instead of 3x^2), and shows that gradcheck catches it.

    python examples/06_gradient_checking.py [--quick]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import chainrule as cr
from chainrule.autograd import Function
from chainrule.nn import functional as F


def network_loss(
    x: cr.Tensor, y: cr.Tensor, w1: cr.Tensor, b1: cr.Tensor, w2: cr.Tensor, b2: cr.Tensor
) -> cr.Tensor:
    """Cross-entropy of a 2-layer tanh network: softmax(tanh(x W1^T + b1) W2^T + b2)."""
    return F.cross_entropy(F.linear(F.linear(x, w1, b1).tanh(), w2, b2), y)


class Cube(Function):
    """x^3.  d/dx = 3 x^2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x**3

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * 3 * x * x,)


class BuggyCube(Cube):
    """x^3 with a wrong backward: 3 x instead of 3 x^2."""

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * 3 * x,)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Gradient checking, and a bug caught by it.")
    parser.add_argument("--quick", action="store_true", help="a smaller network")
    args = parser.parse_args(argv)

    cr.manual_seed(0)
    samples, inputs, hidden, classes = (4, 3, 4, 3) if args.quick else (8, 4, 6, 3)
    x = cr.randn(samples, inputs, dtype=cr.float64)
    y = cr.randint(0, classes, (samples,))
    w1 = cr.randn(hidden, inputs, dtype=cr.float64, requires_grad=True)
    b1 = cr.randn(hidden, dtype=cr.float64, requires_grad=True)
    w2 = cr.randn(classes, hidden, dtype=cr.float64, requires_grad=True)
    b2 = cr.randn(classes, dtype=cr.float64, requires_grad=True)
    weights = (w1, b1, w2, b2)

    # A few entries by hand, the way the course writes it.
    loss = network_loss(x, y, *weights)
    loss.backward()
    eps = 1e-6
    print("entry      analytic      numerical     relative error")
    for name, w, index in (("W1[0,0]", w1, (0, 0)), ("b1[2]", b1, (2,)), ("W2[1,3]", w2, (1, 3))):
        original = w.data[index]
        w.data[index] = original + eps
        plus = network_loss(x, y, *weights).item()
        w.data[index] = original - eps
        minus = network_loss(x, y, *weights).item()
        w.data[index] = original
        numerical = (plus - minus) / (2 * eps)
        analytic = w.grad.numpy()[index]
        relative = abs(analytic - numerical) / max(abs(analytic), abs(numerical))
        print(f"{name:8} {analytic:12.8f}  {numerical:12.8f}  {relative:10.1e}")

    count = sum(w.data.size for w in weights)
    ok = cr.gradcheck(lambda *ws: network_loss(x, y, *ws), weights)
    print(f"gradcheck, two-layer network ({count} weights): {'passed' if ok else 'FAILED'}")

    # A custom op: the correct backward passes, the buggy one is caught.
    z = cr.randn(5, dtype=cr.float64, requires_grad=True)
    ok = cr.gradcheck(lambda t: Cube()(t), z)
    print(f"gradcheck, Cube with backward 3x^2: {'passed' if ok else 'FAILED'}")
    try:
        cr.gradcheck(lambda t: BuggyCube()(t), z)
        print("gradcheck, BuggyCube with backward 3x: passed (the bug was MISSED)")
    except cr.GradcheckError as error:
        print(f"gradcheck, BuggyCube with backward 3x: caught the bug:\n  {error}")


if __name__ == "__main__":
    main()
