"""Universal approximation: one hidden layer fits a function better as it grows wider.

The course claims: a network with a single hidden layer of enough sigmoid-like units
can approximate any continuous function on a bounded interval as closely as we like
(Cybenko 1989, Hornik 1991). Each unit adds one smooth step; more units, more steps,
a closer fit. The theorem says nothing about how many units, or how to find the
weights: training has to do that.

This script fits sin(x) on [-2 pi, 2 pi] (two periods) with 1 -> n tanh units -> 1,
for growing n, by full-batch Adam on the mean squared error, and prints the MSE for
each width.

    python examples/13_universal_approximation.py [--quick] [--out fits.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim


def fit_width(x: cr.Tensor, y: cr.Tensor, width: int, steps: int) -> nn.Sequential:
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    schedule = optim.InverseTimeDecay(optimizer, decay=0.002)  # stepped once per step here
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        schedule.step()
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="One hidden layer fitting sin(x), wider and wider."
    )
    parser.add_argument("--quick", action="store_true", help="fewer widths and steps")
    parser.add_argument("--out", help="draw the fits to this PNG")
    args = parser.parse_args(argv)
    widths = [1, 2, 4, 8] if args.quick else [1, 2, 4, 8, 16, 32]
    steps = 800 if args.quick else 1500

    x = cr.linspace(-2 * np.pi, 2 * np.pi, 200).reshape(-1, 1)
    y = x.sin()
    print(f"fitting sin(x) on [-2 pi, 2 pi] with one hidden layer, {steps} Adam steps each")
    print(f"{'hidden units':>12} {'MSE':>10}")
    fits = {}
    for width in widths:
        model = fit_width(x, y, width, steps)
        with cr.no_grad():
            prediction = model(x)
            mse = nn.MSELoss()(prediction, y).item()
        fits[width] = prediction.numpy().ravel()
        print(f"{width:12d} {mse:10.2e}")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4), layout="constrained")
        ax = fig.add_subplot()
        grid = x.numpy().ravel()
        ax.plot(grid, y.numpy().ravel(), "k", lw=4, alpha=0.3, label="sin(x)")
        for width, values in fits.items():
            ax.plot(grid, values, label=f"{width} unit{'s' if width > 1 else ''}")
        ax.legend(ncol=2)
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
