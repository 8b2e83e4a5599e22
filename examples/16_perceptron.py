"""Rosenblatt's perceptron and the delta rule: AND, OR, two blobs, and not XOR.

The course claims: the perceptron (Rosenblatt, 1958) is one threshold unit,
o = step(w . x + b), trained example by example with the delta rule
w <- w + lr (t - o) x, b <- b + lr (t - o): a right answer changes nothing, a wrong
one moves the separating line towards it. If a line separates the two classes it
reaches zero errors after finitely many updates (the convergence theorem); for XOR
there is no such line, and it never stops making errors.

This script trains ``chainrule.nn.Perceptron`` on the truth tables of AND, OR and XOR
and on two separable Gaussian blobs (the playground's "gauss" data), and prints the
errors per epoch, the learned line and the outputs.

    python examples/16_perceptron.py [--quick] [--out perceptron.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import gauss

TRUTH_TABLE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def train(name: str, X: np.ndarray, y: np.ndarray, epochs: int) -> nn.Perceptron:
    unit = nn.Perceptron(2)
    errors = unit.fit(X, y, epochs=epochs)
    w, b = unit.weight.numpy(), unit.bias.item()
    shown = errors if len(errors) <= 12 else [*errors[:10], "...", errors[-1]]
    print(f"{name}: errors per epoch {shown}")
    if errors[-1] == 0:
        line = f"{w[0]:.3g} x1 {w[1]:+.3g} x2 {b:+.3g} = 0"
        print(f"{name}: converged after {len(errors)} epochs, separating line {line}")
    else:
        print(f"{name}: still {errors[-1]} errors after {len(errors)} epochs: not separable")
    return unit


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rosenblatt's perceptron and the delta rule.")
    parser.add_argument("--quick", action="store_true", help="fewer points and epochs")
    parser.add_argument("--out", help="draw the blobs and the learned line to this PNG")
    args = parser.parse_args(argv)
    epochs = 20 if args.quick else 100

    for gate, targets in GATES.items():
        unit = train(gate, TRUTH_TABLE, np.array(targets), epochs)
        outputs = unit(cr.tensor(TRUTH_TABLE)).numpy().astype(int).tolist()
        print(f"{gate}: outputs on (0,0) (0,1) (1,0) (1,1): {outputs}, targets {targets}")

    X, y = gauss(100 if args.quick else 400, noise=0.0, seed=0)
    unit = train("two blobs", X, y, epochs)
    accuracy = float(np.mean(unit(cr.tensor(X)).numpy() == y))
    print(f"two blobs: accuracy {accuracy:.0%}")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5, 5), layout="constrained")
        ax = fig.add_subplot()
        for label, color in ((0, "#f59322"), (1, "#0877bd")):
            points = X[y == label]
            ax.scatter(points[:, 0], points[:, 1], s=10, color=color, label=f"class {label}")
        (w0, w1), b = unit.weight.numpy(), unit.bias.item()
        x1 = np.array([X[:, 0].min(), X[:, 0].max()])
        ax.plot(x1, -(w0 * x1 + b) / w1, "k", label="w . x + b = 0")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
