"""Each activation's failure mode: saturating sigmoids and dying ReLUs.

The course claims: the sigmoid saturates. For a large |a| its slope
sigma'(a) = sigma(a)(1 - sigma(a)) is nearly 0 (at most 1/4, at a = 0), so almost no
gradient flows back through a saturated unit and it stops learning; tanh does the same.
ReLU does not saturate for a > 0, but a unit whose input is negative for every example
outputs 0 and gets a zero gradient: it is dead, and no later step revives it. A huge
learning rate kills many units at once.

This script prints the slopes of sigmoid, tanh and ReLU at growing |a| (by autograd);
the mean slope of a sigmoid layer with normal weights against one with weights ten
times too large; and the fraction of dead units in a ReLU network after a few epochs
at a sane and at a huge learning rate, before and after more training at a small rate.

    python examples/07_activation_failures.py [--quick] [--out activations.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import reg_gauss
from chainrule.train import fit


def slopes() -> None:
    a = cr.tensor([0.0, 2.0, 5.0, 10.0, 20.0], dtype=cr.float64, requires_grad=True)
    print("slope f'(a) by autograd:")
    print(f"{'a':>6} {'sigmoid':>10} {'tanh':>10} {'relu':>6}")
    columns = [cr.autograd.grad(f(a).sum(), a)[0].numpy() for f in (cr.sigmoid, cr.tanh, cr.relu)]
    for i, value in enumerate(a.tolist()):
        print(f"{value:6.0f} {columns[0][i]:10.2e} {columns[1][i]:10.2e} {columns[2][i]:6.0f}")


def saturated_layer() -> None:
    X = cr.randn(256, 20)
    for scale in (1.0, 10.0):
        layer = nn.Linear(20, 50)  # Glorot-uniform weights
        with cr.no_grad():
            layer.weight.mul_(scale)
        s = layer(X).sigmoid()
        mean_slope = (s * (1 - s)).mean().item()
        saturated = ((s < 0.01) | (s > 0.99)).float().mean().item()
        print(
            f"sigmoid layer, weights x{scale:<4g}: mean slope {mean_slope:.3f}, "
            f"{saturated:.0%} of outputs saturated (< 0.01 or > 0.99)"
        )


def dead_fraction(model: nn.Sequential, X: np.ndarray) -> float:
    """Hidden ReLU units that output 0 for every input: their gradient is always 0."""
    with cr.no_grad():
        pre_activation = model[0](cr.tensor(X)).numpy()
    return float((pre_activation <= 0).all(axis=0).mean())


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> float:
    """Mini-batch SGD on the mean squared error; returns the last epoch's loss."""
    optimizer = optim.SGD(model.parameters(), lr=lr)
    history = fit(model, nn.MSELoss(), optimizer, (X, y), epochs, 16, verbose=0, seed=0)
    return history["loss"][-1]


def dying_relu(quick: bool) -> None:
    X, y = reg_gauss(200 if quick else 400, seed=0)
    X, y = X / 6, y[:, None]  # inputs scaled to [-1, 1]
    recovery_epochs = 5 if quick else 30
    print(f"predicting the mean of y gives MSE {np.var(y):.4f}")
    for lr in (0.1, 1.0):
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 50), nn.ReLU(), nn.Linear(50, 1))
        train(model, X, y, lr, 3)
        dead_after = dead_fraction(model, X)
        loss = train(model, X, y, 0.05, recovery_epochs)
        print(
            f"lr {lr:<4g} for 3 epochs: {dead_after:.0%} dead ReLUs; after {recovery_epochs} "
            f"more epochs at lr 0.05: {dead_fraction(model, X):.0%} dead, MSE {loss:.4f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Saturating sigmoids and dying ReLUs.")
    parser.add_argument("--quick", action="store_true", help="fewer points and epochs")
    parser.add_argument("--out", help="draw every activation and its slope to this PNG")
    args = parser.parse_args(argv)
    cr.manual_seed(0)
    slopes()
    saturated_layer()
    dying_relu(args.quick)
    if args.out:
        from chainrule.viz import plot_activations

        plot_activations(out=args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
