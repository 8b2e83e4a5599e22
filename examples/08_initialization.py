"""Glorot initialization against zero initialization: breaking the symmetry.

The course claims: if every weight starts at the same value (zero, say), every hidden
unit of a layer computes the same output, receives the same gradient and makes the same
update, so the units stay identical forever: the layer is worth one unit. Random
initialization breaks the symmetry; Glorot-uniform draws the weights from
U(-b, b) with b = sqrt(6) / sqrt(fan_in + fan_out), biases zero.

This script trains the same network (2 inputs -> 8 sigmoid units -> 1) on the
playground's XOR data twice, once with chainrule's default Glorot-uniform weights and
once with every weight and bias set to zero, then prints the hidden layer's weight rows,
how far apart they are and the accuracy.

    python examples/08_initialization.py [--quick] [--out init.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import xor
from chainrule.train import evaluate, fit


def make_model(zero: bool) -> nn.Sequential:
    model = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1))
    if zero:
        for parameter in model.parameters():
            nn.init.zeros_(parameter)
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Glorot against zero initialization.")
    parser.add_argument("--quick", action="store_true", help="fewer points and epochs")
    parser.add_argument("--out", help="draw both decision boundaries to this PNG")
    args = parser.parse_args(argv)
    X, y = xor(200 if args.quick else 400, seed=0)
    X, y = X / 6, y[:, None].astype(np.float32)  # inputs scaled to about [-1, 1]
    epochs = 40 if args.quick else 150
    np.set_printoptions(precision=3, suppress=True)

    models = {}
    for name, zero in (("Glorot-uniform", False), ("all zeros", True)):
        cr.manual_seed(0)
        model = make_model(zero)
        if not zero:
            bound = np.sqrt(6) / np.sqrt(2 + 8)
            largest = np.abs(model[0].weight.detach().numpy()).max()
            print(
                f"Glorot bound sqrt(6)/sqrt(2 + 8) = {bound:.3f}; largest initial |w| {largest:.3f}"
            )
        optimizer = optim.Adam(model.parameters(), lr=0.05)
        loss_fn = nn.BCEWithLogitsLoss()
        fit(model, loss_fn, optimizer, (X, y), epochs, 32, verbose=0, seed=0)
        accuracy = evaluate(model, loss_fn, (X, y), ["accuracy"])["accuracy"]
        rows = model[0].weight.detach().numpy()
        spread = np.max(np.abs(rows - rows[0]))
        print(f"{name} init: hidden weights after training (one row per unit):")
        print(rows)
        print(f"{name} init: max difference between rows {spread:.2e}, accuracy {accuracy:.0%}")
        models[name] = model

    if args.out:
        from matplotlib.figure import Figure

        from chainrule.viz import plot_decision_boundary

        fig = Figure(figsize=(9, 4), layout="constrained")
        for ax, (name, model) in zip(fig.subplots(1, 2), models.items()):
            plot_decision_boundary(model, X, y.ravel(), ax=ax, title=f"{name} init")
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
