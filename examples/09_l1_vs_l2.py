"""L1 drives weights to zero; L2 only shrinks them.

The course claims: the L2 penalty lambda sum w^2 has gradient 2 lambda w, a pull
proportional to the weight, so weights shrink but (almost) never reach zero. The L1
penalty lambda sum |w| has gradient lambda sign(w), the same pull whatever the size, so
weights that matter little are pushed all the way to zero: L1 makes the weights sparse,
a kind of feature selection. Biases are not penalized.

This script fits a linear unit (20 inputs -> 1 output) to data where only the first 3
inputs matter (y = 3 x0 - 2 x1 + x2 + noise), with no penalty, with L1 and with L2 of
the same strength (``fit(..., regularization={"l1": ...})``, SGD with the course's
a/(1 + dt) decay so the steps settle), and counts the weights that end up (numerically)
zero.

    python examples/09_l1_vs_l2.py [--quick] [--out weights.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import fit

INPUTS, RELEVANT = 20, 3
ZERO = 1e-3  # |w| below this counts as zero


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="L1 against L2 penalties on the weights.")
    parser.add_argument("--quick", action="store_true", help="fewer epochs")
    parser.add_argument("--out", help="draw the three weight vectors to this PNG")
    args = parser.parse_args(argv)
    epochs = 40 if args.quick else 100

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, INPUTS)).astype(np.float32)
    true_w = np.zeros(INPUTS, np.float32)
    true_w[:RELEVANT] = [3.0, -2.0, 1.0]
    y = (X @ true_w + 0.5 * rng.standard_normal(200)).astype(np.float32)[:, None]
    np.set_printoptions(precision=3, suppress=True, linewidth=100)

    weights = {}
    for name, penalty in (("none", None), ("L1", {"l1": 0.1}), ("L2", {"l2": 0.1})):
        cr.manual_seed(0)
        model = nn.Linear(INPUTS, 1)
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        schedule = optim.InverseTimeDecay(optimizer, decay=0.1)
        history = fit(
            model,
            nn.MSELoss(),
            optimizer,
            (X, y),
            epochs,
            20,
            verbose=0,
            seed=0,
            regularization=penalty,
            scheduler=schedule,
        )
        w = model.weight.detach().numpy().ravel()
        weights[name] = w
        zeros = int(np.sum(np.abs(w[RELEVANT:]) < ZERO))
        described = "no penalty" if penalty is None else f"{name} penalty, lambda 0.1"
        print(f"{described}: data loss {history['loss'][-1]:.3f}")
        print(f"  weights: {w}")
        irrelevant = INPUTS - RELEVANT
        print(f"  {name}: {zeros} of {irrelevant} irrelevant weights are zero (|w| < {ZERO:g})")
        print(f"  {name}: the relevant weights (true 3, -2, 1): {np.round(w[:RELEVANT], 2)}")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 3.5), layout="constrained")
        ax = fig.add_subplot()
        positions = np.arange(INPUTS)
        for k, (name, w) in enumerate(weights.items()):
            size = np.maximum(np.abs(w), 1e-6)  # exact zeros drawn at 1e-6
            ax.bar(positions + (k - 1) * 0.27, size, width=0.27, label=f"penalty: {name}")
        ax.axhline(ZERO, color="gray", ls=":", label=f"|w| = {ZERO:g}")
        ax.set_yscale("log")
        ax.set_xticks(positions)
        ax.set_xlabel("input (the first 3 matter)")
        ax.set_ylabel("|learned weight|")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
