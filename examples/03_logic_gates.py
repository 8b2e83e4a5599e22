"""AND and OR with one neuron; XOR needs a feature or a hidden layer.

The course claims: one sigmoid neuron draws one straight line through the input space,
so it learns AND and OR (each separable by a line) but not XOR (output 1 when exactly
one input is 1): no line puts (0,1), (1,0) on one side and (0,0), (1,1) on the other,
so at best 3 of the 4 points come out right (trained on cross-entropy, the neuron
settles on 0.5 for every point and learns nothing). Two ways out: give the neuron the product
x1 x2 as a third input (XOR = x1 + x2 - 2 x1 x2 is linear in it), or put a hidden layer
in front of it.

This script trains each model by gradient descent on the four points of the truth
table (binary cross-entropy) and prints its outputs and accuracy.

    python examples/03_logic_gates.py [--quick] [--out gates.png]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

import chainrule as cr
from chainrule import nn, optim

X = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = {
    "AND": [0.0, 0.0, 0.0, 1.0],
    "OR": [0.0, 1.0, 1.0, 1.0],
    "XOR": [0.0, 1.0, 1.0, 0.0],
}


def with_product(x: cr.Tensor) -> cr.Tensor:
    """The inputs (x1, x2) and the feature x1 x2."""
    return cr.cat([x, x[:, :1] * x[:, 1:]], dim=1)


def train(
    model: nn.Module, inputs: Callable[[cr.Tensor], cr.Tensor], y: cr.Tensor, steps: int
) -> float:
    """Full-batch training with Adam on the 4 points; returns the accuracy."""
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs(X)), y)
        loss.backward()
        optimizer.step()
    with cr.no_grad():
        probability = model(inputs(X)).sigmoid().numpy().ravel()
    accuracy = float(np.mean((probability > 0.5) == (y.numpy().ravel() > 0.5)))
    print(f"   outputs on (0,0) (0,1) (1,0) (1,1): {np.round(probability, 2)}", end="")
    print(f"   loss {loss.item():.3f}")
    return accuracy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="AND, OR and XOR with one neuron and more.")
    parser.add_argument("--quick", action="store_true", help="fewer training steps")
    parser.add_argument("--out", help="draw the four XOR attempts' decision regions to this PNG")
    args = parser.parse_args(argv)
    steps = 300 if args.quick else 1000
    cr.manual_seed(0)

    def identity(x: cr.Tensor) -> cr.Tensor:
        return x

    models: dict[str, Callable[[cr.Tensor], cr.Tensor]] = {}
    for gate in ("AND", "OR", "XOR"):
        y = cr.tensor(TARGETS[gate]).reshape(4, 1)
        print(f"{gate} with one neuron:")
        neuron = nn.Linear(2, 1)
        accuracy = train(neuron, identity, y, steps)
        print(f"{gate} with one neuron: accuracy {accuracy:.0%}")
        if gate == "XOR":
            print("   (no line separates XOR: the best any line can do is 75%)")
        models[f"{gate}, one neuron"] = neuron

    y = cr.tensor(TARGETS["XOR"]).reshape(4, 1)
    print("XOR with one neuron and the feature x1*x2:")
    neuron = nn.Linear(3, 1)
    accuracy = train(neuron, with_product, y, steps)
    print(f"XOR with the x1*x2 feature: accuracy {accuracy:.0%}")
    w = neuron.weight.detach().numpy().ravel()
    print(f"   learned weights on (x1, x2, x1*x2): {np.round(w, 1)} (pattern +a, +a, -2a)")
    models["XOR, neuron on (x1, x2, x1 x2)"] = lambda x: neuron(with_product(x))

    print("XOR with a hidden layer of 4 tanh units:")
    mlp = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    accuracy = train(mlp, identity, y, steps)
    print(f"XOR with one hidden layer: accuracy {accuracy:.0%}")
    models["XOR, hidden layer"] = mlp

    if args.out:
        from matplotlib.figure import Figure

        from chainrule.viz import plot_decision_boundary

        fig = Figure(figsize=(12, 3.2), layout="constrained")
        panels = [name for name in models if name.startswith("XOR")]
        for ax, name in zip(fig.subplots(1, len(panels)), panels):
            plot_decision_boundary(models[name], X, TARGETS["XOR"], ax=ax, title=name)
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
