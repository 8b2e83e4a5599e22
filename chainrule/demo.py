"""A two-minute tour: the course's worked examples, then a network learning XOR.

Run it with ``python -m chainrule.demo``.
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.autograd.ops import Linear


def circuit() -> None:
    """f = (x + y) z at x=-2, y=5, z=-4: add distributes, multiply swaps."""
    x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = (x + y) * z
    f.backward()
    dx, dy, dz = (float(np.asarray(t.grad)) for t in (x, y, z))
    print(f"f = (x+y)z = {f.item():g};  df/dx = {dx:g}, df/dy = {dy:g}, df/dz = {dz:g}")


def sigmoid_neuron() -> None:
    """f = sigmoid(w0 x0 + w1 x1 + w2) at w=(2,-3,-3), x=(-1,-2)."""
    w = cr.tensor([2.0, -3.0, -3.0], requires_grad=True)
    x = cr.tensor([-1.0, -2.0], requires_grad=True)
    f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    f.backward()
    dw, dx = np.asarray(w.grad), np.asarray(x.grad)
    print(f"sigmoid neuron f = {f.item():.2f};  dw = {np.round(dw, 2)}, dx = {np.round(dx, 2)}")


def xor(epochs: int = 500) -> float:
    """A 2-4-1 tanh network learns XOR with full-batch gradient descent."""
    cr.manual_seed(0)
    inputs = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = cr.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1 = (cr.randn(4, 2) * 1.0).requires_grad_()
    b1 = cr.zeros(4, requires_grad=True)
    w2 = (cr.randn(1, 4) * 0.5).requires_grad_()
    b2 = cr.zeros(1, requires_grad=True)
    parameters = [w1, b1, w2, b2]
    for epoch in range(epochs + 1):
        hidden = Linear()(inputs, w1, b1).tanh()
        outputs = Linear()(hidden, w2, b2).sigmoid()
        loss = ((outputs - targets) ** 2).mean()
        loss.backward()
        with cr.no_grad():
            for p in parameters:
                assert p.grad is not None  # every parameter was used
                p -= 2.0 * p.grad
                p.grad = None
        if epoch % 100 == 0:
            print(f"  epoch {epoch:4d}  loss {loss.item():.4f}")
    print(f"XOR predictions: {np.round(outputs.detach().numpy().ravel(), 2)} (targets 0 1 1 0)")
    return loss.item()


def main() -> None:
    print("Backpropagation is the chain rule, node by node:")
    circuit()
    sigmoid_neuron()
    print("A hidden layer learns XOR:")
    xor()


if __name__ == "__main__":
    main()
