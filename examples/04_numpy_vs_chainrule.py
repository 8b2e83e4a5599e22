"""The course's 20-line NumPy network, and the same network in chainrule.

The course claims: a two-layer network is a few lines of NumPy. The forward pass is
h = sigmoid(x W1), y_pred = h W2, loss = sum (y_pred - y)^2; the backward pass is the
chain rule written out by hand, layer by layer:

    dL/dy_pred = 2 (y_pred - y)
    dL/dW2     = h^T dL/dy_pred
    dL/dh      = dL/dy_pred W2^T
    dL/dW1     = x^T (dL/dh * h (1 - h))

and gradient descent updates W -= lr dL/dW. An autodiff library computes exactly these
gradients without the backward lines.

This script runs three versions from the same random start, in float64: the NumPy
original, the same lines with chainrule tensors (backward() instead of the hand-written
gradients), and chainrule's layers (nn.Linear without bias, optim.SGD). It prints the
losses side by side and the largest difference between the gradients.

    python examples/04_numpy_vs_chainrule.py [--quick] [--out losses.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim

N, D_IN, H, D_OUT = 64, 1000, 100, 10  # batch, input, hidden and output sizes
LR = 1e-4


Array = np.ndarray
Gradients = tuple[np.ndarray, np.ndarray]


def numpy_network(
    x: Array, y: Array, w1_init: Array, w2_init: Array, steps: int
) -> tuple[list[float], Gradients]:
    """The course's network in NumPy: forward, backward by hand, update."""
    w1, w2 = w1_init.copy(), w2_init.copy()
    losses: list[float] = []
    first_grads = None
    for _ in range(steps):
        h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        loss = np.square(y_pred - y).sum()
        losses.append(float(loss))

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * h * (1 - h))
        if first_grads is None:
            first_grads = (grad_w1, grad_w2)

        w1 -= LR * grad_w1
        w2 -= LR * grad_w2
    assert first_grads is not None  # steps >= 1
    return losses, first_grads


def chainrule_tensors(
    x_data: Array, y_data: Array, w1_init: Array, w2_init: Array, steps: int
) -> tuple[list[float], Gradients]:
    """The same lines with chainrule tensors: backward() replaces the gradient lines."""
    x, y = cr.tensor(x_data), cr.tensor(y_data)
    w1 = cr.tensor(w1_init.copy(), requires_grad=True)
    w2 = cr.tensor(w2_init.copy(), requires_grad=True)
    losses: list[float] = []
    first_grads = None
    for _ in range(steps):
        h = (x @ w1).sigmoid()
        y_pred = h @ w2
        loss = ((y_pred - y) ** 2).sum()
        losses.append(loss.item())

        loss.backward()
        if first_grads is None:
            first_grads = (w1.grad.numpy().copy(), w2.grad.numpy().copy())

        with cr.no_grad():
            w1 -= LR * w1.grad
            w2 -= LR * w2.grad
        w1.grad = None
        w2.grad = None
    assert first_grads is not None  # steps >= 1
    return losses, first_grads


def chainrule_layers(
    x_data: Array, y_data: Array, w1_init: Array, w2_init: Array, steps: int
) -> list[float]:
    """The same network from chainrule's layers; nn.Linear stores W as (out, in)."""
    model = nn.Sequential(
        nn.Linear(D_IN, H, bias=False, dtype=cr.float64),
        nn.Sigmoid(),
        nn.Linear(H, D_OUT, bias=False, dtype=cr.float64),
    )
    model.load_state_dict({"0.weight": cr.tensor(w1_init.T), "2.weight": cr.tensor(w2_init.T)})
    optimizer = optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss(reduction="sum")
    x, y = cr.tensor(x_data), cr.tensor(y_data)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The 20-line NumPy network next to chainrule.")
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--out", help="draw the three loss curves to this PNG")
    args = parser.parse_args(argv)
    steps = 30 if args.quick else 200

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((N, D_IN)), rng.standard_normal((N, D_OUT))
    w1, w2 = rng.standard_normal((D_IN, H)), rng.standard_normal((H, D_OUT))

    numpy_losses, numpy_grads = numpy_network(x, y, w1, w2, steps)
    tensor_losses, tensor_grads = chainrule_tensors(x, y, w1, w2, steps)
    layer_losses = chainrule_layers(x, y, w1, w2, steps)

    print(f"{'step':>5} {'NumPy':>14} {'cr tensors':>14} {'cr layers':>14}")
    for t in sorted({0, 1, 2, steps // 4, steps // 2, steps - 1}):
        print(f"{t:5d} {numpy_losses[t]:14.6f} {tensor_losses[t]:14.6f} {layer_losses[t]:14.6f}")
    for name, mine, theirs in zip(("dL/dW1", "dL/dW2"), tensor_grads, numpy_grads):
        difference = np.max(np.abs(mine - theirs)) / np.max(np.abs(theirs))
        print(
            f"first step's {name}: backward() vs by hand, max relative difference {difference:.1e}"
        )
    gap = max(
        np.max(np.abs(np.subtract(tensor_losses, numpy_losses)) / np.asarray(numpy_losses)),
        np.max(np.abs(np.subtract(layer_losses, numpy_losses)) / np.asarray(numpy_losses)),
    )
    print(f"losses over {steps} steps: max relative difference {gap:.1e}")
    print("same losses and gradients:", "yes" if gap < 1e-9 else "NO")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.add_subplot()
        ax.plot(numpy_losses, lw=5, alpha=0.4, label="NumPy, gradients by hand")
        ax.plot(tensor_losses, "--", label="chainrule tensors, backward()")
        ax.plot(layer_losses, ":", label="chainrule nn.Linear + optim.SGD")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_yscale("log")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
